/*
 * smtpd.h - tern-smtpd's private interface: one SMTP, submission or LMTP
 * session on descriptors 0 and 1 (tern-smtpd(8)).
 *
 * tern-smtpd.c   main: arguments, configuration, TLS key, maps, drop
 * smtpd_session.c the command loop, replies, limits, the final log line
 * smtpd_cmd.c    the verb table and every command but DATA/BDAT/STARTTLS
 * smtpd_data.c   DATA and BDAT: the message into tern-enqueue, Received
 * smtpd_enqueue.c the enqueue service or fork+execve tern-enqueue,
 *                stream, commit or abort
 * smtpd_tls.c    STARTTLS and implicit TLS (submissions)
 * smtpd_auth.c   AUTH, sender ownership, the header From: check
 * smtpd_rate.c   messages per hour per account (a locked counter file)
 *
 * Nothing here is shared with another program; what two programs need
 * lives in lib/.
 */
#ifndef TERN_SMTPD_H
#define TERN_SMTPD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/resolve.h"
#include "lib/sbuf.h"
#include "lib/smtp_data.h"
#include "lib/smtpp.h"

struct bio;
struct cdbmap;
struct conf;
struct tls_ctx;
struct tls_conn;

/*
 * Limits.  Timeouts and counts that admins tune are tern.conf keys (their
 * defaults below); the rest are fixed here.
 */
#define SMTPD_DATA_LINE_MAX	16384	/* RFC 5321 4.5.3.1.6 asks 1000;
					 * real mail has longer lines.  A
					 * longer one refuses the message */
#define SMTPD_LINE_MAX		SMTPD_DATA_LINE_MAX	/* >= SMTPP_CMD_LINE_MAX */
#define SMTPD_CHUNK_BUF		16384	/* BDAT bytes read at a time */
#define SMTPD_HDR_MAX		4096	/* our Received: header */
#define SMTPD_TEXT_MAX		1024	/* one reply's text */
#define SMTPD_CMD_TIMEOUT	300	/* RFC 5321 4.5.3.2.7: 5 min */
#define SMTPD_DATA_TIMEOUT	180	/* RFC 5321 4.5.3.2.5: 3 min/block */
#define SMTPD_DONE_TIMEOUT	600	/* RFC 5321 4.5.3.2.6: 10 min */
#define SMTPD_WRITE_TIMEOUT	300	/* our replies: as a command */
#define SMTPD_NVERBS		15	/* enum smtp_verb */
#define SMTPD_HDRS_MAX		65536	/* header section kept for the From:
					 * check of a submission */
#define SMTPD_FROM_MAX		16	/* addresses in one From: field */
#define SMTPD_JUNK_MAX		100	/* NOOP, RSET, VRFY, HELP between two
					 * messages queued; each one more
					 * counts as an error (Postfix's
					 * smtpd_junk_command_limit) */
#define SMTPD_RCPT_OVERSHOOT	1000	/* 452s for recipients past the limit
					 * not counted as errors, per
					 * transaction (Postfix's
					 * smtpd_recipient_overshoot_limit) */

/* submission_sender_check */
#define SMTPD_CHECK_ENVELOPE	0x01
#define SMTPD_CHECK_HEADER	0x02

enum smtpd_mode {
	SMTPD_SMTP,		/* port 25: STARTTLS, no AUTH */
	SMTPD_SUBMISSION,	/* 587: AUTH after STARTTLS, then MAIL */
	SMTPD_SUBMISSIONS,	/* 465: TLS from the first byte */
	SMTPD_LMTP		/* RFC 2033: LHLO, a reply per recipient */
};

/* One tern-enqueue child. */
struct smtpd_job {
	pid_t		pid;		/* -1: none */
	int		svc;		/* a service's worker has it */
	int		msg_fd;		/* its fd 0 (a pipe) */
	int		env_fd;		/* its fd 1 (a socketpair) */
	int		write_failed;	/* it stopped reading (died) */
	char		qid[QID_LEN + 1];	/* the id we propose */
	uint64_t	size;		/* bytes taken (buffered or written) */
	struct sbuf	buf;		/* taken, not yet written */
};

struct smtpd {
	struct conf	*cf;
	enum smtpd_mode	 mode;
	struct bio	*b;
	struct tls_ctx	*tls_ctx;	/* NULL: no STARTTLS */
	int		 tls_set_up;	/* tls_setup() done */
	struct tls_conn	*tls;		/* the session speaks TLS */
	struct sbuf	 tls_info;	/* "tls=TLSv1.3 cipher=..." */
	struct resolve_maps maps;
	int		 maps_open;	/* maps and senders are open */
	int		 forked;	/* a fork server's child */
	int		 has_ids;	/* uid, gid: "user" looked up */
	uid_t		 uid;
	gid_t		 gid;
	const char	*hostname;
	const char	*program_dir;
	const char	*conf_home;	/* folder of tern.conf, for enqueue */
	const char	*enqueue_socket;	/* the enqueue service */
	char		 ip[ENV_IP_MAX + 1];	/* "" when unknown */

	/* Limits (tern.conf). */
	uint64_t	 size_limit;
	uint64_t	 rcpt_limit;
	uint64_t	 error_limit;
	uint64_t	 hop_limit;

	/* Submission (AUTH). */
	const char	*auth_socket;
	int		 plain_ok;	/* AUTH allowed before TLS */
	unsigned	 sender_check;	/* SMTPD_CHECK_* */
	int		 null_sender_ok;
	uint64_t	 rate_limit;	/* messages per hour; 0 none */
	const char	*rate_dir;
	struct cdbmap	*senders;	/* sender_login.cdb (may be empty) */
	char		 auth_user[ENV_AUTH_MAX + 1];	/* "" until AUTH */
	int64_t		 cmd_ms, data_ms, done_ms, session_ms;

	/* Session. */
	int		 helo_kind;	/* 0 none, 1 HELO, 2 EHLO/LHLO */
	char		 helo[ENV_HELO_MAX + 1];
	unsigned	 errors;
	unsigned	 ncmds;
	unsigned	 count[SMTPD_NVERBS];
	unsigned	 nqueued;
	unsigned	 junk;		/* junk commands since the last queued */
	int		 quit;		/* end the session */
	int		 nocount;	/* replies do not count as errors */
	struct sbuf	 line;
	struct sbuf	 out;		/* reply being built */
	struct sbuf	 text;

	/* Transaction. */
	int		 has_mail;
	int		 utf8;		/* MAIL ... SMTPUTF8 */
	unsigned	 rcpt_over;	/* RCPTs past rcpt_limit */
	struct envelope	 env;
	struct sbuf	 hdr;		/* the client's header section */
	int		 hdr_done;
	int		 hdr_over;	/* longer than SMTPD_HDRS_MAX */

	/* BDAT in progress. */
	int		 bdat;
	struct smtpd_job job;
	struct smtp_data d;
};

/* smtpd_session.c */
void	smtpd_init(struct smtpd *);
void	smtpd_close(struct smtpd *);
void	smtpd_fini(struct smtpd *);
void	smtpd_serve(struct smtpd *);
void	smtpd_reply(struct smtpd *, int code, const char *enh,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	smtpd_tx_reset(struct smtpd *);
const char *smtpd_proto(const struct smtpd *);

/* smtpd_cmd.c */
void	smtpd_command(struct smtpd *, const char *line, size_t len);

/* smtpd_data.c */
void	smtpd_data(struct smtpd *);
void	smtpd_bdat(struct smtpd *, uint64_t size, int last);
void	smtpd_bdat_abort(struct smtpd *);

/* smtpd_enqueue.c */
int	smtpd_enq_start(struct smtpd *, struct smtpd_job *);
void	smtpd_enq_write(struct smtpd_job *, const void *, size_t);
int	smtpd_enq_finish(struct smtpd *, struct smtpd_job *,
	    char id_r[QID_LEN + 1]);
void	smtpd_enq_abort(struct smtpd_job *);

/* smtpd_auth.c */
struct smtp_cmd;
void	smtpd_auth(struct smtpd *, struct smtp_cmd *);
int	smtpd_auth_offered(const struct smtpd *);
int	smtpd_sender_owned(struct smtpd *, const struct addr *);
int	smtpd_header_from_ok(struct smtpd *, const char **why_r);
void	smtpd_hdr_feed(struct smtpd *, const char *, size_t);
/* " user=ADDR" after AUTH, else "" (for log lines). */
const char *smtpd_user_kv(const struct smtpd *);

/* smtpd_rate.c */
int	smtpd_rate_over(struct smtpd *);
void	smtpd_rate_count(struct smtpd *);
void	smtpd_rate_setup(struct smtpd *, uid_t, gid_t, int chown_it);
void	smtpd_rate_sweep(struct smtpd *);

/* smtpd_tls.c */
void	smtpd_starttls(struct smtpd *);
int	smtpd_tls_implicit(struct smtpd *);

#endif
