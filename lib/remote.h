/*
 * remote.h - the interface between tern-qmgr and tern-remote (the SMTP/LMTP
 * client): the request qmgr writes, the results tern-remote writes back,
 * and the destination (next hop, TLS policy) qmgr computes for a target.
 *
 * PROCESS.  qmgr's worker forks and execs tern-remote for one message and
 * one destination with: fd 0 the message file (read-only, offset 0), fd 3
 * one end of a socketpair, fd 1 /dev/null, fd 2 the log.  It writes the
 * request on fd 3; tern-remote answers on fd 3 with one result per
 * recipient, in request order, then exits 0.  Anything else (no or a bad
 * answer, a timeout, a crash) defers every recipient of the request: a
 * recipient the remote already took may be sent again (a duplicate,
 * never a loss).  With "-s SOCKET" and the slot lock as fd 4, tern-remote
 * then waits on SOCKET (remote_idle_time) for further requests to the
 * same destination: the worker connects, sends the byte 'M' with the
 * message descriptor (SCM_RIGHTS), the same request, and reads the
 * record 'A' (length 0: taken) and then the results.  No 'A': not taken
 * (nothing sent), go on; after it, a missing answer defers as above.
 *
 * WIRE FORMAT.  The record framing of lspawn.h (type byte, 4-byte
 * big-endian length, payload), closed by 'E' with length 0; nothing after
 * it; strings without NUL or control bytes.
 * Request, in this order:
 *   'Q' queue id               QID_LEN bytes                  once
 *   'H' next hop               1..REMOTE_HOP_MAX: "smtp:DOMAIN" (MX),
 *                              "smtp:HOST[:PORT]" (MX of HOST),
 *                              "smtp:[HOST][:PORT]" (no MX),
 *                              "lmtp:HOST:PORT"; maps_nexthop_parse
 *                              syntax                         once
 *   'T' TLS policy             1 byte: REMOTE_TLS_*          once
 *   'S' sender                 0..ENV_ADDR_MAX (empty: <>)    once
 *   'B' body                   1 byte: ENV_BODY_*             once
 *   'F' flags                  1 byte: ENV_F_*                once
 *   'X' RET                    1 byte: ENV_RET_FULL or _HDRS  optional
 *   'I' ENVID                  1..ENV_ENVID_MAX, decoded, printable
 *                              ASCII or space (RFC 3461 4.4)  optional
 *   'R' recipient              1..ENV_ADDR_MAX, 1..REMOTE_RCPT_MAX times,
 *                              each followed by
 *     'N' NOTIFY               1 byte: ENV_N_* bits, not 0    optional
 *     'O' ORCPT                1..ENV_ORCPT_MAX: "addr-type;xtext" as
 *                              in the envelope, printable     optional
 *   'E' END
 * The optional records are written only when they carry something (a
 * message without DSN parameters is sent as before).
 * Results, per recipient in request order:
 *   'K' status                 1 byte: 's' sent, 'd' deferred, 'b' bounced
 *   'H' relay                  0..REMOTE_RELAY_MAX: "host[ip]:port"
 *                              (empty: no connection was made)
 *   'D' diagnostic             1..REMOTE_DIAG_MAX: "X.Y.Z text"
 *   'P' DSN passed on          1 byte: 1 when the next hop offered DSN
 *                              (RFC 3461: it now owns NOTIFY), 0 when not
 *                              ("relayed": the sender's NOTIFY=SUCCESS is
 *                              answered by tern)              optional
 *   'E' END
 *
 * DESTINATION.  remote_dest(routes, relay_host, addr, storage_host, &d):
 * the next hop of a remote target: routes[address], then routes[domain]
 * (lowercased keys; a route "local" is ignored), then relay_host when set,
 * then "smtp:[storage_host]"-less "smtp:HOST" for an account on another
 * storage host, else "smtp:DOMAIN".  remote_tls_policy(list, domain) reads
 * the tls_policy setting ("DOMAIN:POLICY" words, POLICY none, may, must
 * or verify; "*:POLICY" is the default for every other domain).
 *
 * SERVICE (tern-remote -S; remote_svc.c).  Where tern.conf's
 * remote_socket exists, tern-qmgr's worker does not execute tern-remote
 * (which would then run as the queue user): it connects to that socket,
 * served by tern-remote's pre-forked workers running as "user", and
 * sends remote_svc_send()'s hello: the byte REMOTE_SVC_HELLO and the slot
 * number (4 bytes, big-endian; REMOTE_SVC_NOSLOT: none) with the message
 * descriptor and, with a slot, the slot's lock descriptor (SCM_RIGHTS,
 * lib/fdpass), then the request (given as req, it goes in the same
 * message: one send).  The worker checks the peer's uid
 * (SO_PEERCRED), answers the record 'A' (taken) and the results exactly
 * as above, then, holding the lock, waits for the next message to the
 * same destination on the abstract socket remote_slot_path(dirname(
 * remote_socket), hop, slot), where a worker (having checked that the
 * listener runs as the service's user: the owner of remote_socket) sends
 * remote_kept_send()'s hello: the byte
 * REMOTE_KEPT_HELLO with the message descriptor (and the request, as
 * above).  remote_svc_recv() and
 * remote_kept_recv() take exactly that (a regular file, and for the lock
 * one more) or refuse it (EPROTO, every descriptor closed).
 *
 * Return convention: encoders 0 / -1 with errno; decoders 0, or -1 with
 * errno EPROTO and a static reason in *why_r.  Ownership: remote_req_init
 * / remote_req_fini for the request (its recipients are one heap array).
 */
#ifndef TERN_REMOTE_H
#define TERN_REMOTE_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"
#include "lib/qid.h"

struct sbuf;
struct cdbmap;

#define REMOTE_HOP_MAX	300	/* "lmtp:" host ":" port */
#define REMOTE_RELAY_MAX 320	/* host "[" ip "]:" port */
#define REMOTE_DIAG_MAX	512
#define REMOTE_RCPT_MAX	1000	/* recipients per request */
#define REMOTE_MSG_MAX	((size_t)REMOTE_RCPT_MAX * \
	    (4 * 5 + 2 + REMOTE_RELAY_MAX + REMOTE_DIAG_MAX + ENV_ADDR_MAX + \
	    ENV_ORCPT_MAX) + 4096)

#define REMOTE_T_QID	'Q'
#define REMOTE_T_HOP	'H'
#define REMOTE_T_TLS	'T'
#define REMOTE_T_SENDER	'S'
#define REMOTE_T_BODY	'B'
#define REMOTE_T_FLAGS	'F'
#define REMOTE_T_RET	'X'
#define REMOTE_T_ENVID	'I'
#define REMOTE_T_RCPT	'R'
#define REMOTE_T_NOTIFY	'N'
#define REMOTE_T_ORCPT	'O'
#define REMOTE_T_STATUS	'K'
#define REMOTE_T_RELAY	'H'
#define REMOTE_T_DIAG	'D'
#define REMOTE_T_PASSED	'P'
#define REMOTE_T_END	'E'

enum remote_tls {
	REMOTE_TLS_NONE = 0,	/* never STARTTLS */
	REMOTE_TLS_MAY,		/* opportunistic (RFC 7435) */
	REMOTE_TLS_MUST,	/* TLS or defer; any certificate */
	REMOTE_TLS_VERIFY	/* TLS with a verified certificate, or defer */
};

enum remote_status {
	REMOTE_SENT = 's',
	REMOTE_DEFER = 'd',
	REMOTE_BOUNCE = 'b'
};

struct remote_req {
	char		 qid[QID_LEN + 1];
	char		 hop[REMOTE_HOP_MAX + 1];
	enum remote_tls	 tls;
	char		 sender[ENV_ADDR_MAX + 1];
	unsigned	 body;
	unsigned	 flags;
	unsigned	 ret;		/* ENV_RET_* (NONE: not given) */
	char		 envid[ENV_ENVID_MAX + 1];	/* "": not given */
	char		(*rcpt)[ENV_ADDR_MAX + 1];
	struct remote_dsn *dsn;		/* one per rcpt */
	size_t		 nrcpt;
};

/* A recipient's DSN parameters (0 / "": not given). */
struct remote_dsn {
	unsigned	 notify;		/* ENV_N_* */
	char		 orcpt[ENV_ORCPT_MAX + 1];
};

struct remote_result {
	enum remote_status status;
	char		 relay[REMOTE_RELAY_MAX + 1];
	char		 diag[REMOTE_DIAG_MAX + 1];
	int		 dsn_passed;	/* the next hop offered DSN */
};

void	remote_req_init(struct remote_req *);
void	remote_req_fini(struct remote_req *);
/* Copy a recipient in: 0, or -1 (EINVAL too long, E2BIG, ENOMEM). */
int	remote_req_add_rcpt(struct remote_req *, const char *addr);
/* The same with its DSN parameters (orcpt NULL or "": none). */
int	remote_req_add_rcpt_dsn(struct remote_req *, const char *addr,
	    unsigned notify, const char *orcpt);
int	remote_req_encode(const struct remote_req *, struct sbuf *out);
int	remote_req_decode(const void *, size_t, struct remote_req *,
	    const char **why_r);
int	remote_res_encode(const struct remote_result *, size_t n,
	    struct sbuf *out);
/* Exactly n results expected. */
int	remote_res_decode(const void *, size_t, struct remote_result *,
	    size_t n, const char **why_r);
/* Set a result's fields (text cut to fit, control bytes to '?'). */
void	remote_result_set(struct remote_result *, enum remote_status,
	    const char *relay, const char *diag);

const char *remote_tls_name(enum remote_tls);
/* "none", "may", "must", "verify" (also "must-tls"): 0, or -1. */
int	remote_tls_parse(const char *, enum remote_tls *);
enum remote_tls remote_tls_policy(char *const *words, size_t n,
	    const char *domain, enum remote_tls def);

/* The service and kept processes (SERVICE above; lib/remote_svc.c). */
#define REMOTE_SVC_HELLO	'N'
#define REMOTE_KEPT_HELLO	'M'
#define REMOTE_SVC_NOSLOT	0xffffffffu
#define REMOTE_ACK_LEN		5	/* the record 'A', length 0 */
#define REMOTE_SLOT_BACKLOG	16
/*
 * The name of a slot's socket, DIR/HASH.SLOT.s (HASH of hop): 0, or -1
 * (ENAMETOOLONG: it does not fit a sockaddr_un).  It is an abstract
 * socket (Linux: no file, so listening anew after each message costs no
 * inode): remote_slot_listen() binds and listens on it;
 * remote_slot_connect() connects *fdp (made when -1; a refused connect
 * leaves it usable for the next name) and then requires the listener's
 * uid (SO_PEERCRED) to be uid, else closes it (EPERM): anyone can bind
 * an abstract name, only the expected user is handed a message.
 */
int	remote_slot_path(const char *dir, const char *hop, unsigned slot,
	    char *out, size_t size);
int	remote_slot_listen(const char *name);
int	remote_slot_connect(int *fdp, const char *name, uid_t uid);
/* Connect to the socket at path, waiting at most ms for a backlog: fd. */
int	remote_svc_connect(const char *path, int64_t ms);
int	remote_svc_send(int fd, unsigned slot, int msgfd, int lockfd,
	    const struct remote_req *req);
/* *lockfd_r is -1 when slot is REMOTE_SVC_NOSLOT. */
int	remote_svc_recv(int fd, int64_t deadline, unsigned *slot_r,
	    int *msgfd_r, int *lockfd_r);
int	remote_kept_send(int fd, int msgfd, const struct remote_req *req);
int	remote_kept_recv(int fd, int64_t deadline, int *msgfd_r);
int	remote_ack_send(int fd);
/* 0 when the acknowledgement came before deadline, else -1. */
int	remote_ack_recv(int fd, int64_t deadline);
/*
 * A request or the results, records up to and including END, into out
 * (reset first): read in as few reads as they came in (the peer sends
 * nothing after END until it is answered, so nothing is read ahead).
 * 0, or -1: EPROTO on end of file before END, bytes after END or an END
 * that is not empty, E2BIG over max, ETIMEDOUT at deadline.
 */
int	remote_read_records(int fd, struct sbuf *out, size_t max,
	    int64_t deadline);

/* Next hop of a target, into hop (REMOTE_HOP_MAX + 1 bytes). 0 or -1. */
int	remote_dest(struct cdbmap *routes, const char *relay_host,
	    const char *addr, const char *storage_host,
	    char hop[REMOTE_HOP_MAX + 1]);

#endif
