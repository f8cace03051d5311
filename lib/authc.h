/*
 * authc.h - the client of tern-authd ("is this user/password right?"),
 * and the wire format both sides speak.
 *
 * USE.  authc_verify(sockpath, req, rep, timeout_ms) connects to
 * tern-authd's Unix socket (conf key auth_socket, ${run_dir}/authd.sock),
 * sends one request, waits for the one reply and closes.  It returns 0
 * when a reply arrived (rep->status says what it is) and -1 with errno
 * when tern-authd could not be asked (not running, refused, timeout,
 * a malformed reply: EPROTO): the caller answers a temporary error
 * (SMTP 454 4.7.0, POP3 -ERR [SYS/TEMP], IMAP NO [UNAVAILABLE]).
 *   AUTHC_OK         the password is right; addr (the canonical account
 *                    key: the lowercased address), uid, quota, home and
 *                    host describe the account.
 *   AUTHC_FAIL       wrong password, unknown or disabled account, or a
 *                    plaintext login refused (reason AUTHC_R_PLAINTEXT;
 *                    every other failure has reason AUTHC_R_NONE so a
 *                    client cannot tell which accounts exist).
 *   AUTHC_TEMPFAIL   tern-authd could not decide (maps unreadable).
 *   AUTHC_THROTTLED  too many recent failures from this IP or for this
 *                    account: "temporarily refused, try later".  The
 *                    password was not checked.
 * A FAIL answer is delayed by tern-authd itself (1 s, 2 s, 4 s ... up to
 * auth_fail_delay_max), so timeout_ms must exceed that plus a hash:
 * AUTHC_TIMEOUT_MS is a good value.  A request the protocol cannot carry
 * (empty user, a NUL byte, user or password too long, bad service or IP)
 * is answered AUTHC_FAIL locally without asking tern-authd.
 * Plaintext policy is the caller's: check before sending a password in
 * the clear; tern-authd refuses too (auth_allow_plaintext) when req->tls
 * is 0 and the client IP is not covered.
 * The password is wiped from every buffer authc_verify used
 * (explicit_bzero); the caller wipes its own copy.
 *
 * WIRE FORMAT.  One request, then one reply, on a fresh stream
 * connection.  Each is a sequence of records: one type byte, a 4-byte
 * big-endian length, that many bytes; exactly these records in this
 * order, each once, closed by END; nothing may follow END.
 * Request:
 *   'V' version   1 byte, AUTHC_VERSION
 *   'S' service   1..AUTHC_SERVICE_MAX bytes of [a-z0-9_-]
 *   'I' client IP 0..AUTHC_IP_MAX bytes, IPv4 or IPv6 text (empty: local)
 *   'U' user      1..AUTHC_USER_MAX bytes, no NUL
 *   'P' password  0..AUTHC_PASS_MAX bytes, no NUL
 *   'T' tls       1 byte, 0 or 1
 *   'Z' authzid   optional, 1..AUTHC_USER_MAX bytes, no NUL: a trusted
 *                 front end (tern-proxy, doc/proxy.md) logs in as the
 *                 account 'Z' with its master identity as user and the
 *                 master secret as password
 *   'X' origin    optional, 1..AUTHC_IP_MAX bytes, IPv4 or IPv6 text: the
 *                 real client's IP as a trusted front end saw it
 *   'E' END       0 bytes
 * tern-authd honours Z and X only when the request's IP (the peer of the
 * server asking) is in login_trusted_proxies; X then replaces the IP in
 * its logs and its per-IP throttling.
 * Reply:
 *   'V' version   1 byte, AUTHC_VERSION
 *   'R' status    1 byte, enum authc_status
 *   'C' reason    1 byte, enum authc_reason
 *   only when status is AUTHC_OK:
 *   'A' address   1..MAPS_ADDR_MAX bytes, no NUL or control byte
 *   'N' uid       4 bytes, big-endian
 *   'Q' quota     8 bytes, big-endian (0: none)
 *   'H' home      1..MAPS_PATH_MAX bytes, absolute, no control byte
 *   'O' host      1..MAPS_DOMAIN_MAX bytes, no control byte
 *   'E' END       0 bytes
 * The decoders are strict: anything unknown, out of order, repeated,
 * too long, truncated or trailing is refused; the encoders refuse what
 * the decoders would (a writer never produces what a reader refuses).
 *
 * Return conventions: encoders return 0 and the length in *len_r, or -1
 * with errno (EINVAL: a field out of bounds; E2BIG: buffer too small);
 * decoders return 0, or -1 with errno EPROTO and a static reason in
 * *why_r.  authc_frame() tells whether a buffer holds a whole message.
 * Secrets: struct authc_request holds the password; authc_request_wipe()
 * clears it (explicit_bzero).  Nothing here logs.
 */
#ifndef TERN_AUTHC_H
#define TERN_AUTHC_H

#include <stddef.h>
#include <stdint.h>

#include "lib/maps.h"

#define AUTHC_VERSION		1
#define AUTHC_SERVICE_MAX	32	/* "submission", "imap", ... */
#define AUTHC_IP_MAX		45	/* INET6_ADDRSTRLEN - 1 */
#define AUTHC_USER_MAX		255	/* an address or a login name */
#define AUTHC_PASS_MAX		511	/* PASSWD_PASSWORD_MAX */
#define AUTHC_REC_HDR		5	/* type byte + 4-byte length */
#define AUTHC_REQ_MAX		(9 * AUTHC_REC_HDR + 1 + AUTHC_SERVICE_MAX + \
	    2 * AUTHC_IP_MAX + 2 * AUTHC_USER_MAX + AUTHC_PASS_MAX + 1)
#define AUTHC_REPLY_MAX		(9 * AUTHC_REC_HDR + 3 + MAPS_ADDR_MAX + 4 + \
	    8 + MAPS_PATH_MAX + MAPS_DOMAIN_MAX)
/* A good timeout_ms: the longest FAIL delay (15 s default) plus slack. */
#define AUTHC_TIMEOUT_MS	30000

/* Record types. */
#define AUTHC_T_VERSION	'V'
#define AUTHC_T_SERVICE	'S'
#define AUTHC_T_IP	'I'
#define AUTHC_T_USER	'U'
#define AUTHC_T_PASS	'P'
#define AUTHC_T_TLS	'T'
#define AUTHC_T_AUTHZ	'Z'
#define AUTHC_T_ORIGIN	'X'
#define AUTHC_T_STATUS	'R'
#define AUTHC_T_REASON	'C'
#define AUTHC_T_ADDR	'A'
#define AUTHC_T_UID	'N'
#define AUTHC_T_QUOTA	'Q'
#define AUTHC_T_HOME	'H'
#define AUTHC_T_HOST	'O'
#define AUTHC_T_END	'E'

enum authc_status {
	AUTHC_OK = 0,
	AUTHC_FAIL = 1,
	AUTHC_TEMPFAIL = 2,
	AUTHC_THROTTLED = 3
};

/*
 * Why: only AUTHC_R_NONE and AUTHC_R_PLAINTEXT reach clients; the others
 * travel between tern-authd's processes (for its log) and are turned into
 * AUTHC_R_NONE before an answer leaves it.
 */
enum authc_reason {
	AUTHC_R_NONE = 0,
	AUTHC_R_PLAINTEXT = 1,	/* no TLS and the IP is not allowed */
	AUTHC_R_UNKNOWN = 2,	/* no such account */
	AUTHC_R_PASSWORD = 3,	/* wrong password */
	AUTHC_R_DISABLED = 4,	/* status=disabled */
	AUTHC_R_NOPASS = 5,	/* no usable hash */
	AUTHC_R_MAPS = 6,	/* a map unreadable (TEMPFAIL) */
	AUTHC_R_MOVING = 7	/* status=moving: tern-user move (TEMPFAIL) */
};
#define AUTHC_R_LAST	AUTHC_R_MOVING

struct authc_req {
	const char	*service;	/* "smtp", "submission", "pop3", ... */
	const char	*remote_ip;	/* text; NULL or "": local */
	const char	*user;
	size_t		 user_len;
	const char	*pass;
	size_t		 pass_len;
	int		 tls;		/* was the client's channel encrypted */
	const char	*authzid;	/* NULL or "": none (master login) */
	size_t		 authzid_len;
	const char	*origin_ip;	/* NULL or "": none */
};

struct authc_reply {
	enum authc_status status;
	enum authc_reason reason;
	char		 addr[MAPS_ADDR_MAX + 1];	/* canonical account key */
	uint32_t	 uid;
	uint64_t	 quota;				/* 0: none */
	char		 home[MAPS_PATH_MAX + 1];
	char		 host[MAPS_DOMAIN_MAX + 1];
};

/* A decoded request (tern-authd's side); every string NUL-terminated. */
struct authc_request {
	char		 service[AUTHC_SERVICE_MAX + 1];
	char		 ip[AUTHC_IP_MAX + 1];
	char		 user[AUTHC_USER_MAX + 1];
	size_t		 user_len;
	char		 pass[AUTHC_PASS_MAX + 1];
	size_t		 pass_len;
	int		 tls;
	char		 authzid[AUTHC_USER_MAX + 1];	/* "" none */
	size_t		 authzid_len;
	char		 origin[AUTHC_IP_MAX + 1];	/* "" none */
};

int	authc_verify(const char *sockpath, const struct authc_req *,
	    struct authc_reply *, int64_t timeout_ms);

/* buf must hold AUTHC_REQ_MAX / AUTHC_REPLY_MAX bytes to be sure. */
int	authc_req_encode(const struct authc_req *, unsigned char *buf,
	    size_t size, size_t *len_r);
int	authc_req_decode(const void *, size_t, struct authc_request *,
	    const char **why_r);
void	authc_request_wipe(struct authc_request *);
int	authc_reply_encode(const struct authc_reply *, unsigned char *buf,
	    size_t size, size_t *len_r);
int	authc_reply_decode(const void *, size_t, struct authc_reply *,
	    const char **why_r);
/*
 * Framing only: 1 when buf holds whole records ending with an END record
 * exactly at len, 0 when more bytes are needed, -1 when it can never be a
 * message of at most max bytes (bytes after END, a record longer than
 * max allows).
 */
int	authc_frame(const void *buf, size_t len, size_t max);

const char *authc_status_name(enum authc_status);

#endif
