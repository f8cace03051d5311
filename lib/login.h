/*
 * login.h - the login path of the mail-reading servers (tern-pop3d now,
 * tern-imapd next): privilege split, the pre-auth child's request to its
 * monitor, tern-authd, and the post-auth worker.  doc/login.md has the
 * picture; in short:
 *
 *   per-connection process (root, under tern-supervise)
 *     loads config and the TLS key, makes the jail, then login_fork():
 *     - the CHILD drops to login_user, chroots into the empty jail, keeps
 *       the TLS context (the only process that does), speaks the pre-auth
 *       protocol, and asks the monitor with login_ask(); after LOGIN_OK it
 *       only relays bytes (login_relay) between the client and the worker;
 *     - the MONITOR (the parent, still root) frees its copy of the TLS
 *       context when login_fork() is given it (tern-proxy; tern-imapd
 *       and tern-pop3d keep it: their monitor execs the worker, which
 *       replaces its memory, doc/login.md), reads nothing from the
 *       network, only strict fixed-format requests from the child
 *       (login_monitor_run), asks tern-authd
 *       (authc_verify), and on success BECOMES the worker (no fork: one
 *       process fewer per session, and tern-supervise's pid for the
 *       connection is the session's): the home checked as root (a folder
 *       owned by the account, else the login is refused and the monitor
 *       goes on), priv_drop to the account's uid (gid = uid), chdir into
 *       its Maildir and the owner checked again, LOGIN_OK to the child,
 *       execve of a fresh program image (no key in its memory) with the
 *       client channel (a socket pair whose other end the child relays) on
 *       descriptors 0 and 1.  The child, now the worker's child, ends when
 *       the worker closes the channel.
 *
 * Not root (a development run), the same code runs and every privilege
 * step is skipped: login_fork() says so in *dropped_r (PRIV_SKIPPED) and
 * the worker's Maildir must then belong to the current uid.
 *
 * CHILD -> MONITOR request: one SOCK_SEQPACKET message of records, each
 * one type byte, a 2-byte big-endian length and the value, exactly these
 * in this order, each once, then nothing:
 *   'U' user  1..LOGIN_USER_MAX bytes, no NUL
 *   'P' pass  0..LOGIN_PASS_MAX bytes, no NUL
 *   'T' tls   1 byte, 0 or 1
 *   'G' tag   0..LOGIN_TAG_MAX bytes of 0x21..0x7e (IMAP's tag; POP3: empty)
 *   'H' handoff 1 byte, 0 or 1: the session is plaintext and the child has
 *             no unread client byte buffered, so the worker may take the
 *             client socket itself (below)
 *   'Z' authzid optional, 1..LOGIN_USER_MAX bytes, no NUL: the account a
 *             trusted front end logs in as (tern-proxy's master login,
 *             doc/proxy.md); user and pass are then the master identity
 *   'X' origin optional, 1..LOGIN_ORIGIN_MAX bytes, an IP address: the
 *             real client's IP a trusted front end sent (IMAP ID
 *             "x-originating-ip", POP3 XCLIENT ADDR=)
 *   'E' end   0 bytes
 * The monitor gives Z and X to tern-authd, which honours them only when
 * the connection comes from login_trusted_proxies.
 * MONITOR -> CHILD answer: one message, 'A' 1 byte enum login_answer, 'E'.
 * After LOGIN_FAIL, LOGIN_THROTTLED and LOGIN_LIMIT the monitor waits for
 * another request; after LOGIN_TEMPFAIL it may end.
 *
 * Handoff.  The monitor keeps a close-on-exec duplicate of the client
 * socket (it never reads it).  When a login succeeds on a request with
 * handoff set, the worker gets that socket itself on descriptors 0 and 1
 * and the child is answered LOGIN_HANDOFF: it must end at once without a
 * byte more to the client.  A plaintext session then costs one process
 * (the worker) instead of two.  Under TLS the child stays and relays.
 * login_req_decode()/login_req_encode() are the strict codec (fuzzable).
 *
 * The worker's environment: the variables named in the caller's allow
 * list, then LOGIN_USER (the canonical address from tern-authd),
 * LOGIN_TLS (0/1), LOGIN_QUOTA (the account's Maildir++ byte limit from
 * tern-authd, 0: none), LOGIN_TAG (when not empty), then the caller's
 * extras.
 *
 * Return convention: 0 (or a count/role) / -1 with errno, and a static
 * reason in *why_r where there is one.  Nothing here logs: the monitor
 * reports each event through the caller's note() function.  Passwords are
 * wiped (explicit_bzero) from every buffer here once used.
 */
#ifndef TERN_LOGIN_H
#define TERN_LOGIN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct authc_reply;
struct bio;
struct tls_ctx;

#define LOGIN_USER_MAX		255	/* AUTHC_USER_MAX */
#define LOGIN_PASS_MAX		511	/* AUTHC_PASS_MAX */
#define LOGIN_TAG_MAX		64	/* an IMAP tag kept for the worker */
#define LOGIN_ORIGIN_MAX	45	/* AUTHC_IP_MAX */
#define LOGIN_REQ_MAX		(8 * 3 + 2 * LOGIN_USER_MAX + LOGIN_PASS_MAX + \
	    1 + LOGIN_TAG_MAX + 1 + LOGIN_ORIGIN_MAX)
#define LOGIN_ATTEMPTS_MAX	10	/* monitor's own bound per connection */
#define LOGIN_RELAY_BUF		16384
#define LOGIN_REAP_MS		5000	/* a handed-off child's time to end */

enum login_role {
	LOGIN_ROLE_CHILD = 0,
	LOGIN_ROLE_MONITOR = 1
};

enum login_answer {
	LOGIN_OK = 0,
	LOGIN_FAIL = 1,		/* wrong password or unknown user: same */
	LOGIN_TEMPFAIL = 2,	/* tern-authd unreachable, worker failed */
	LOGIN_THROTTLED = 3,	/* tern-authd refuses for now */
	LOGIN_HANDOFF = 4,	/* OK, and the worker has the client: end */
	LOGIN_LIMIT = 5		/* right password, but the account has
				 * max_userip_connections sessions from this
				 * address already: refuse, go on */
};

struct login {
	pid_t		 child;		/* monitor: the pre-auth child (0 when
					 * only its pidfd is known) */
	int		 pidfd;		/* monitor: a pidfd of it, or -1 */
	int		 dropped;	/* monitor: no longer root (failed start) */
	int		 client;	/* monitor: the client socket, kept
					 * (never read) for a handoff; or -1 */
	int		 ctl;		/* SOCK_SEQPACKET, child <-> monitor */
	int		 relay;		/* child: its end of the channel;
					 * monitor: the worker's end */
};

struct login_req {
	char		 user[LOGIN_USER_MAX + 1];
	size_t		 user_len;
	char		 pass[LOGIN_PASS_MAX + 1];
	size_t		 pass_len;
	int		 tls;
	char		 tag[LOGIN_TAG_MAX + 1];
	int		 handoff;	/* see 'H' above */
	char		 authzid[LOGIN_USER_MAX + 1];	/* 'Z', "" none */
	size_t		 authzid_len;
	char		 origin[LOGIN_ORIGIN_MAX + 1];	/* 'X', "" none */
};

enum login_event_kind {
	LOGIN_EV_AUTH = 0,	/* an answer from tern-authd (or none) */
	LOGIN_EV_WORKER,	/* the worker started (or failed to) */
	LOGIN_EV_PROTO,		/* the child broke the protocol */
	LOGIN_EV_END,		/* no worker: the child ended */
	LOGIN_EV_LIMIT		/* no session slot (why NULL: all held, the
				 * login refused; else an error: let in) */
};

struct login_event {
	enum login_event_kind kind;
	const char	*user;		/* as the child sent it: escape it */
	size_t		 user_len;
	const char	*addr;		/* the account (LOGIN_OK) */
	int		 status;	/* authc status, -1: authd unreachable */
	uint32_t	 uid;
	pid_t		 pid;
	int		 code;		/* LOGIN_EV_END: exit code */
	const char	*why;		/* or NULL */
	int		 err;		/* errno, or 0 */
	const char	*authzid;	/* LOGIN_EV_AUTH: 'Z' or "" */
	const char	*origin;	/* LOGIN_EV_AUTH: 'X' or "" */
	const char	*ip;		/* LOGIN_EV_LIMIT: the address counted */
	unsigned	 max;		/* LOGIN_EV_LIMIT: the limit */
};

struct login_monitor_conf {
	const char	*service;	/* tern-authd service: "pop3", "imap" */
	const char	*authd_socket;
	const char	*remote_ip;	/* from TCPREMOTEIP, "" if none */
	const char	*program;	/* absolute path of the worker */
	char *const	*argv;
	const char *const *env_allow;	/* env_build() allow list */
	const char *const *env_extra;	/* NULL-terminated, may be NULL */
	int64_t		 preauth_ms;	/* child's whole pre-auth budget */
	int64_t		 auth_timeout_ms;
	uint32_t	 uid_min;	/* refuse accounts below (root only) */
	/*
	 * This host's name (tern.conf hostname, else the system's), or NULL.
	 * A first login of an account whose host= is this name (or local)
	 * makes its missing Maildir, as tern-lspawn does at a delivery.
	 */
	const char	*hostname;
	/*
	 * Sessions per account and client address (lib/userip.h; Dovecot's
	 * mail_max_userip_connections).  userip_max 0 or userip_dir NULL: no
	 * limit.  Else, after tern-authd said OK and before the worker
	 * starts, a slot of (userip_service, the account, the address) is
	 * taken, and held by the worker for the whole session (the
	 * descriptor stays open in it, read-only); with every slot held the
	 * child is answered LOGIN_LIMIT and may try again.  The address is
	 * remote_ip, or the origin ('X') of a master login (a trusted front
	 * end's, which tern-authd accepted: doc/proxy.md).  No address (a
	 * local program): no limit.  A slot that cannot be taken (I/O) lets
	 * the session in, noted.
	 */
	const char	*userip_dir;
	const char	*userip_service;
	unsigned	 userip_max;
	void		(*note)(void *arg, const struct login_event *);
	void		*arg;
	/*
	 * NULL: execve program as the worker.  Else the worker runs in this
	 * process (its program is this one: tern-pop3d-worker and
	 * tern-imapd-worker start as the monitor, doc/login.md): called
	 * where the execve would be, after the privilege drop, the chdir,
	 * the channel on 0 and 1 and the monitor's descriptors closed, with
	 * the worker's environment; it does not return.
	 */
	void		(*run)(char **env);
	/*
	 * NULL: become the worker (above).  Else called after tern-authd
	 * said OK, instead of the worker (tern-proxy): it answers the child
	 * itself with login_answer(l, LOGIN_OK) and does not return (it
	 * runs the session and exits), or returns 0 (a temporary failure,
	 * noted with ev->why: the child is answered LOGIN_TEMPFAIL and may
	 * try again; LOGIN_LIMIT instead when it set ev->code to that: the
	 * backend's max_userip_connections) or -1 (the same, then the
	 * monitor ends).
	 */
	int		(*become)(void *arg, struct login *,
			    const struct authc_reply *,
			    const struct login_req *, struct login_event *);
};

/*
 * The split model (tern-pop3d, tern-imapd; doc/login.md): the monitor is
 * the worker program (tern-pop3d-worker, tern-imapd-worker) started with
 * arguments, linked statically without OpenSSL (tern-login(8) names that
 * mode; there is no program of that name).
 * The connection's process (or the fork server, for each connection)
 * makes the two socket pairs (login_split_open), forks the pre-auth child
 * (login_split_child in it), and starts the monitor with
 * login_split_monitor: in place (execve: the connection's pid becomes
 * the monitor, the child is its child) or, in a fork server, by vfork
 * and exec (posix_spawn: no copy of the server's page tables; the child
 * and the monitor are then both the server's children, and the monitor
 * kills and waits for the child through a pidfd).  The monitor finds its
 * descriptors at these numbers (login_monitor_attach):
 */
#define LOGIN_MON_FD_CLIENT	3	/* the client socket (handoff only) */
#define LOGIN_MON_FD_CTL	4	/* its end of the request pair */
#define LOGIN_MON_FD_RELAY	5	/* the worker's end of the channel */
#define LOGIN_MON_FD_CHILD	6	/* a pidfd of the pre-auth child */
#define LOGIN_MON_NFD		4
#define LOGIN_ZYGOTE_MSG	16384	/* a connection's variables, one
					 * message to the monitor zygote
					 * (login_split.h) ... */
#define LOGIN_ZYGOTE_VARS	256	/* ... at most this many (more:
					 * the monitor is spawned) */

struct login_split {
	int		 ctl[2];	/* [0] the monitor's, [1] the child's */
	int		 rel[2];
};

/* Before the fork: the pairs (close-on-exec), TCP_NODELAY on client.
 * 0, or -1 with errno and *why_r (nothing left open). */
int	login_split_open(struct login_split *, int client, const char **why_r);
/* In the child after the fork: its ends into l, the monitor's closed,
 * privileges dropped as login_fork() does, the death watch armed (the
 * child dies when its monitor does, whoever its parent is).  0, or -1
 * (a half-dropped process must exit 111). */
int	login_split_child(struct login *l, struct login_split *,
	    const char *login_user, const char *jail, int *dropped_r,
	    const char **why_r);
/* In the parent after the fork: start program (the monitor) with argv and
 * envp, the client, the monitor's ends and a pidfd of child on the
 * descriptors above; every descriptor of sp is closed.  in_place: execve
 * here, returns only on failure; else the monitor's pid.  -1 with errno
 * and *why_r on failure (the caller kills the child). */
pid_t	login_split_monitor(struct login_split *, pid_t child, int client,
	    const char *program, char *const *argv, char *const *envp,
	    int in_place, const char **why_r);
void	login_split_close(struct login_split *);
/* In the monitor: l from the descriptors above (close-on-exec from now
 * on), /dev/null on 0 and 1.  0, or -1 with errno and *why_r. */
int	login_monitor_attach(struct login *l, const char **why_r);

/* Make (or check) the jail: an empty folder, 0755, owned by root (by the
 * current uid when not root), not a symlink. */
int	login_jail_make(const char *path, const char **why_r);

/*
 * Fork.  Returns LOGIN_ROLE_CHILD in the child, which has dropped to
 * login_user chrooted into jail (or skipped that when not root:
 * *dropped_r = PRIV_SKIPPED) and owns l->ctl and l->relay; returns
 * LOGIN_ROLE_MONITOR in the parent, which has freed *tls (may be NULL)
 * and put /dev/null on descriptors 0 and 1 (the client is the child's).
 * -1 with errno and *why_r on failure (in the child: a half-dropped
 * process must exit 111).  First it sets TCP_NODELAY on descriptor 0
 * (ignored when that is no TCP socket): a socket option, so the child,
 * the kept copy and a worker that takes the socket over all have it.
 */
int	login_fork(struct login *l, const char *login_user, const char *jail,
	    struct tls_ctx **tls, int *dropped_r, const char **why_r);

/*
 * Resolve login_user once, before a fork server forks connections
 * (as root; a no-op otherwise): login_fork() then drops to the ids found
 * instead of looking the name up in every child.  0, or -1 with errno.
 */
int	login_prepare(const char *login_user);

/* Child: ask the monitor; the password is wiped from req.  Returns an
 * enum login_answer, or -1 (the monitor is gone: end the session). */
int	login_ask(struct login *l, struct login_req *req, int64_t timeout_ms);

/* Child, after LOGIN_OK: relay between the client and the worker until
 * the worker closes its end (0) or an error or idle_ms of silence (-1). */
int	login_relay(struct login *l, struct bio *client, int64_t idle_ms,
	    const char **why_r);

/* Monitor: serve the child's requests; after a success it execs the
 * worker and never returns.  Otherwise (failures, the child gone, a worker
 * that could not start) it waits for the child and returns the exit code
 * for the process (0 / 111) after a LOGIN_EV_END note.  LOGIN_EV_WORKER
 * is noted just before the execve (pid: this process), and again with
 * why when it failed. */
int	login_monitor_run(struct login *l, const struct login_monitor_conf *c);

/* Monitor: send the child its answer (enum login_answer): 0 / -1. */
int	login_answer(struct login *l, int answer);

/* Strict codec of the request (see above). */
int	login_req_encode(const struct login_req *, unsigned char *buf,
	    size_t size, size_t *len_r);
int	login_req_decode(const void *buf, size_t len, struct login_req *,
	    const char **why_r);

/*
 * Is ip (text) inside one of the networks ("a.b.c.d/len", "v6/len", or a
 * bare address)?  1 yes, 0 no, -1 when a network does not parse (*why_r).
 */
int	login_ip_in(const char *ip, char *const *nets, size_t n,
	    const char **why_r);

#endif
