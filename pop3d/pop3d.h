/*
 * pop3d.h - tern-pop3d's internal interfaces.  tern-pop3d.c: main, the
 * set-up and the monitor; pop3d_login.c: the pre-auth child (greeting,
 * CAPA, STLS, USER/PASS, AUTH PLAIN); pop3d_cmd.c: the post-auth worker
 * (TRANSACTION and UPDATE states); pop3d_box.c: the Maildir as a POP3
 * maildrop (scan, lock, sizes, UIDLs, RETR/TOP output, deletes).
 */
#ifndef TERN_POP3D_H
#define TERN_POP3D_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

struct bio;
struct tls_ctx;
struct login;

#define POP3_PREAUTH_CMDS_MAX	30	/* commands before login */
#define POP3_ERRORS_MAX		20	/* bad commands per session */
#define POP3_UIDL_MAX		70	/* RFC 1939 7: 1..70 characters */
#define POP3_LOCK_FILE		"tern-pop3.lock"
#define POP3_EXPIRE_MAX		16

/* The pre-auth child's settings (from tern.conf, read as root). */
struct pop3_pre {
	struct bio	*b;
	struct tls_ctx	*tls_ctx;	/* NULL: no TLS configured */
	struct login	*login;
	int		 implicit_tls;	/* pop3s: TLS from the first byte */
	int		 plain_ok;	/* plaintext passwords allowed here */
	int		 tls;		/* TLS active */
	const char	*ip;
	int64_t		 login_ms;	/* whole pre-auth phase */
	int64_t		 session_ms;	/* pop3_timeout: relay idle limit */
	uint64_t	 max_failures;
	char		 expire[POP3_EXPIRE_MAX + 1];
	uint64_t	 login_delay;
	/* proxy: the peer is in login_trusted_proxies (doc/proxy.md): it
	 * may send XCLIENT ADDR= and log in with AUTH PLAIN as another
	 * account (authzid).  Always 0 in tern-proxy. */
	int		 trusted_peer;
	char		 origin[46];	/* proxy: XCLIENT ADDR=, or "" */
};

/* CAPA lines shared by both halves. */
int	pop3_capa(struct bio *, int preauth, int tls_offer, int plain_ok,
	    const char *expire, uint64_t login_delay);

/* The pre-auth child: returns the process exit code. */
int	pop3_preauth(struct pop3_pre *);

/* The worker: returns the process exit code. */
int	pop3_worker(void);

/* The maildrop. */
struct pop3_msg {
	char		*name;		/* file name in new/ or cur/ */
	size_t		 uid_len;	/* the UIDL: a prefix of name */
	char		*uid;		/* or a computed one */
	uint64_t	 size;		/* CRLF size, UINT64_MAX: not known */
	int		 in_new;
	int		 deleted;
};

struct pop3_box {
	struct pop3_msg	*m;
	size_t		 n;
	int		 dirfd, newfd, curfd, lockfd;
};

/* Lock (-1 errno EWOULDBLOCK: another session) and scan new/ and cur/. */
int	box_open(struct pop3_box *, const char **why_r);
void	box_close(struct pop3_box *);
/* The CRLF size of message i (computed once when no ,W= says it). */
int	box_size(struct pop3_box *, size_t i, uint64_t *size_r);
/* RETR (lines = UINT64_MAX) or TOP: "+OK", the message, ".". */
int	box_send(struct pop3_box *, size_t i, struct bio *out, uint64_t lines,
	    const char **why_r);
/* After RETR: new/ -> cur/ with the S flag (0, or -1: logged by caller). */
int	box_seen(struct pop3_box *, size_t i);
/* UPDATE: unlink the deleted; count of failures returned (or 0). */
size_t	box_expunge(struct pop3_box *);
/* After UPDATE: release the lock before the QUIT answer (the box stays). */
void	box_unlock(struct pop3_box *);
/* The UIDL of a name (Maildir base up to the first ',' or ':'), or -1 when
 * it is no valid UIDL (then a hash is used). */
int	box_uidl(const char *name, size_t n, size_t *len_r);

#endif
