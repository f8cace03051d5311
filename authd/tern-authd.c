/*
 * tern-authd - the only reader of password hashes: answers "is this
 * user/password right" over a Unix socket, and throttles failures per
 * client IP and per account across all connections (tern-authd(8)).
 *
 * One poll loop in the main process holds the clients, the failure
 * tables and the timers; a few worker processes (authd_worker.c) compute
 * the hashes, so a slow hash never stalls the loop.
 *
 * A client moves through these states (state x event; anything not
 * listed closes the connection):
 *   READ    readable: more bytes; a whole request -> policy checks ->
 *           WRITE (refused, throttled) or WAIT; garbage, EOF or the
 *           auth_timeout deadline -> closed
 *   WAIT    a worker is free -> VERIFY (the request goes to it)
 *   VERIFY  the worker answers: OK/TEMPFAIL -> WRITE, FAIL -> DELAY;
 *           the worker dies -> WRITE (TEMPFAIL)
 *   DELAY   the timer fires -> WRITE
 *   WRITE   writable: the reply sent -> closed; deadline -> closed
 * A client that hangs up while in WAIT, VERIFY or DELAY is noticed when
 * its reply is written (and its failure still counts).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/selfpipe.h"
#include "lib/throttle.h"
#include "authd/authd.h"

#define WORKERS_MAX	64	/* auth_workers upper bound */
#define CLIENTS_MAX	4096	/* auth_max_clients upper bound */
#define THR_ENTRIES	4096	/* keys remembered per table (IP, account) */
#define LISTEN_BACKLOG	128
#define ALLOW_MAX	5	/* peer uids allowed */
#define RESPAWN_MS	1000	/* wait before replacing a dead worker */
#define PROXY_SECRET_MIN 16	/* bytes of tern-proxy's master secret */

enum cstate { C_FREE = 0, C_READ, C_WAIT, C_VERIFY, C_DELAY, C_WRITE };

struct client {
	enum cstate	 st;
	int		 fd;
	int64_t		 deadline;	/* READ/WRITE deadline, DELAY wake-up */
	uint64_t	 seq;		/* arrival order, for WAIT */
	unsigned char	 in[AUTHC_REQ_MAX];	/* holds the password */
	size_t		 inlen;
	unsigned char	 out[AUTHC_REPLY_MAX];
	size_t		 outlen, outoff;
	char		 service[AUTHC_SERVICE_MAX + 1];
	char		 ip[AUTHC_IP_MAX + 1];
	char		 user[AUTHC_USER_MAX + 1];	/* lowercased */
	size_t		 user_len;
	int		 ip_exempt;
	unsigned	 deaths;	/* workers that died holding it */
};

struct worker {
	pid_t		 pid;		/* -1: none */
	int		 fd;
	int		 client;	/* index in VERIFY, or -1 */
	int64_t		 respawn_at;
};

static struct {
	const char	*conf_path;
	char		 sock[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char		*accounts, *secrets;
	uint64_t	 nworkers, max_clients, timeout_s;
	uint64_t	 window_s, delay_max_s, limit_ip, limit_acct;
	uint64_t	 known_s;	/* auth_known_ip_time */
	int		 allow_plain;
	enum passwd_scheme dummy_scheme;	/* password_scheme */
	struct cidr	*exempt, *plain, *proxies;
	size_t		 nexempt, nplain, nproxies;
	const char	*master_user;	/* tern-proxy's identity */
	struct sbuf	 master_secret;	/* empty: no master logins */
	int		 is_root;
	uid_t		 auth_uid, allow[ALLOW_MAX];
	gid_t		 auth_gid, sock_gid;
	size_t		 nallow;
} cfg;

static struct client *clients;
static struct worker workers[WORKERS_MAX];
static size_t nclients;
/*
 * Slots at or past nused are free: every scan of the client table (and
 * poll's table) stops there, so a large auth_max_clients costs nothing
 * until that many clients are connected at once.
 */
static size_t nused;
static uint64_t seq;
/*
 * thr_known: "ip user" pairs that logged in within auth_known_ip_time.
 * The per-account limit does not apply to them, so failures from
 * elsewhere cannot lock an account's owner out of their mail (the limit
 * would otherwise refuse even the right password); the per-IP limit still
 * does.  Only a success adds a pair.
 */
static struct throttle thr_ip, thr_acct, thr_known;
static int64_t start_ms;

static void client_reply(struct client *, enum authc_status,
    enum authc_reason);

/* ---- configuration ---- */

static char *
join(const char *dir, const char *name)
{
	struct sbuf b;

	sbuf_init(&b, 4096);
	if (sbuf_printf(&b, "%s/%s", dir, name) == -1 || sbuf_nul(&b) == -1)
		die_sys(EXIT_TEMP, "path");
	return b.s;
}

static void
read_nets(const struct conf *c, const char *key, struct cidr **v, size_t *n)
{
	const char *bad = "?";
	char **w;
	size_t nw;

	if (conf_list(c, key, &w, &nw) == -1)
		die(EXIT_PERM, "configuration: %s", key);
	if (cidr_parse_list(w, nw, v, n, &bad) == -1)
		die(EXIT_PERM, "configuration: %s: bad network %s", key,
		    log_esc_s(bad));
	free(w);
}

static void
read_users(const struct conf *c)
{
	const char *name;
	gid_t g;

	cfg.allow[cfg.nallow++] = 0;
	cfg.allow[cfg.nallow++] = geteuid();
	if (!cfg.is_root)
		return;
	name = conf_str(c, "auth_user");
	if (name == NULL ||
	    priv_lookup(name, &cfg.auth_uid, &cfg.auth_gid) == -1)
		die(EXIT_PERM, "auth_user %s: no such user",
		    name ? log_esc_s(name) : "?");
	if (cfg.auth_uid == 0)
		die(EXIT_PERM, "auth_user must not be root");
	cfg.nallow = 1;
	cfg.allow[cfg.nallow++] = cfg.auth_uid;
	name = conf_str(c, "user");
	if (name == NULL ||
	    priv_lookup(name, &cfg.allow[cfg.nallow], &cfg.sock_gid) == -1)
		die(EXIT_PERM, "user %s: no such user",
		    name ? log_esc_s(name) : "?");
	cfg.nallow++;
	name = conf_str(c, "login_user");
	if (name != NULL && priv_lookup(name, &cfg.allow[cfg.nallow], &g) == 0)
		cfg.nallow++;
	name = conf_str(c, "proxy_user");
	if (name != NULL && name[0] == '\0')
		name = conf_str(c, "user");
	if (name != NULL && priv_lookup(name, &cfg.allow[cfg.nallow], &g) == 0)
		cfg.nallow++;
}

/*
 * The master secret of tern-proxy (doc/proxy.md), read as root before
 * the drop: one line, at least PROXY_SECRET_MIN bytes.  Missing: master
 * logins are refused.
 */
static void
read_master(const struct conf *c)
{
	const char *path = conf_path(c, "proxy_master_secret_file");
	const char *user = conf_str(c, "proxy_master_user");
	struct sbuf *b = &cfg.master_secret;

	sbuf_init(b, AUTHC_PASS_MAX + 2);
	if (path == NULL || user == NULL)
		die(EXIT_PERM, "configuration: proxy_master_*");
	cfg.master_user = user;
	if (cfg.nproxies == 0)
		return;
	if (io_read_file(path, b, AUTHC_PASS_MAX + 2) == -1) {
		log_warn_sys("login_trusted_proxies set, but the master secret "
		    "%s cannot be read: proxy logins refused", path);
		sbuf_reset(b);
		return;
	}
	while (b->len > 0 && (b->s[b->len - 1] == '\n' ||
	    b->s[b->len - 1] == '\r'))
		b->len--;
	if (b->len < PROXY_SECRET_MIN || b->len > AUTHC_PASS_MAX ||
	    memchr(b->s, '\0', b->len) != NULL) {
		log_warn("master secret %s: not one line of %d..%d bytes: "
		    "proxy logins refused", path, PROXY_SECRET_MIN,
		    AUTHC_PASS_MAX);
		if (b->s != NULL)
			explicit_bzero(b->s, b->cap);
		sbuf_reset(b);
	}
}

static void
read_conf(void)
{
	struct conf *c;
	struct sbuf err;
	const char *s, *scheme, *map;

	sbuf_init(&err, 8192);
	if (conf_read(cfg.conf_path, &c, &err) == -1)
		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP, "%s",
		    sbuf_str(&err) ? sbuf_str(&err) : "configuration");
	sbuf_fini(&err);
	if ((s = conf_path(c, "auth_socket")) == NULL ||
	    (map = conf_path(c, "map_dir")) == NULL ||
	    conf_uint(c, "auth_workers", &cfg.nworkers) == -1 ||
	    conf_uint(c, "auth_max_clients", &cfg.max_clients) == -1 ||
	    conf_duration(c, "auth_timeout", &cfg.timeout_s) == -1 ||
	    conf_duration(c, "auth_fail_window", &cfg.window_s) == -1 ||
	    conf_duration(c, "auth_fail_delay_max", &cfg.delay_max_s) == -1 ||
	    conf_uint(c, "auth_fail_limit_ip", &cfg.limit_ip) == -1 ||
	    conf_uint(c, "auth_fail_limit_account", &cfg.limit_acct) == -1 ||
	    conf_duration(c, "auth_known_ip_time", &cfg.known_s) == -1 ||
	    conf_bool(c, "allow_plain_passwords", &cfg.allow_plain) == -1)
		die(EXIT_PERM, "configuration: bad value");
	/* (conf_check took only these two values already.) */
	scheme = conf_str(c, "password_scheme");
	if (scheme == NULL ||
	    passwd_scheme_parse(scheme, &cfg.dummy_scheme) == -1)
		die(EXIT_PERM, "configuration: password_scheme is not "
		    "yescrypt or sha512-crypt");
	if (strlen(s) >= sizeof(cfg.sock))
		die(EXIT_PERM, "auth_socket too long for a socket path");
	memcpy(cfg.sock, s, strlen(s) + 1);
	if (cfg.nworkers < 1 || cfg.nworkers > WORKERS_MAX ||
	    cfg.max_clients < 1 || cfg.max_clients > CLIENTS_MAX ||
	    cfg.timeout_s < 1 || cfg.window_s < 1 ||
	    cfg.window_s > UINT32_MAX / 2 || cfg.delay_max_s > 3600 ||
	    cfg.known_s > UINT32_MAX / 2 ||
	    cfg.limit_ip < 1 || cfg.limit_ip > THROTTLE_RING ||
	    cfg.limit_acct < 1 || cfg.limit_acct > THROTTLE_RING)
		die(EXIT_PERM, "configuration: auth_* value out of range "
		    "(workers 1..%d, max_clients 1..%d, limits 1..%d)",
		    WORKERS_MAX, CLIENTS_MAX, THROTTLE_RING);
	cfg.accounts = join(map, "accounts.cdb");
	cfg.secrets = join(map, "secrets.cdb");
	read_nets(c, "auth_throttle_exempt", &cfg.exempt, &cfg.nexempt);
	read_nets(c, "auth_allow_plaintext", &cfg.plain, &cfg.nplain);
	read_nets(c, "login_trusted_proxies", &cfg.proxies, &cfg.nproxies);
	read_master(c);
	read_users(c);
	cfg.master_user = mem_strdup(cfg.master_user);
	conf_free(&c);
}

/* ---- the socket ---- */

static int
listen_sock(void)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd, r;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, cfg.sock, strlen(cfg.sock) + 1);
	if (unlink(cfg.sock) == -1 && errno != ENOENT)
		die_sys(EXIT_TEMP, "unlink %s", cfg.sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		die_sys(EXIT_TEMP, "socket");
	old = umask(0177);	/* nobody connects before the chown */
	r = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	(void)umask(old);
	if (r == -1)
		die_sys(EXIT_TEMP, "bind %s", cfg.sock);
	if (cfg.is_root &&
	    chown(cfg.sock, cfg.auth_uid, cfg.sock_gid) == -1)
		die_sys(EXIT_TEMP, "chown %s", cfg.sock);
	if (chmod(cfg.sock, 0660) == -1)
		die_sys(EXIT_TEMP, "chmod %s", cfg.sock);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		die_sys(EXIT_TEMP, "listen");
	return fd;
}

static int
peer_ok(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);
	size_t i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return 0;
	for (i = 0; i < cfg.nallow; i++)
		if (uc.uid == cfg.allow[i])
			return 1;
	log_warn("connection from uid %lu refused", (unsigned long)uc.uid);
	return 0;
}

/* ---- workers ---- */

static void
worker_start(size_t i, int lfd)
{
	struct worker_cfg wc = { cfg.accounts, cfg.secrets, cfg.allow_plain,
	    cfg.dummy_scheme, cfg.proxies, cfg.nproxies, cfg.master_user,
	    cfg.master_secret.s, cfg.master_secret.len };
	struct worker *w = &workers[i];
	int sv[2];
	pid_t pid;

	w->pid = -1;
	w->client = -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn_sys("worker socketpair");
		w->respawn_at = io_now_ms() + RESPAWN_MS;
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn_sys("worker fork");
		(void)close(sv[0]);
		(void)close(sv[1]);
		w->respawn_at = io_now_ms() + RESPAWN_MS;
		return;
	}
	if (pid == 0) {
		/* Other clients' passwords stay out of the worker. */
		explicit_bzero(clients, cfg.max_clients * sizeof(*clients));
		selfpipe_fini();
		/* A reload (SIGHUP to the group) must not kill a check. */
		(void)signal(SIGHUP, SIG_IGN);	/* cannot fail for SIGHUP */
		closelog();	/* its socket may be descriptor 3 */
		if (dup2(sv[1], 3) == -1)
			die_sys(EXIT_TEMP, "worker dup2");
		closefrom(4);
		log_reopen();
		(void)lfd;
		worker_main(3, &wc);
	}
	(void)close(sv[1]);
	w->pid = pid;
	w->fd = sv[0];
	if (io_set_nonblock(w->fd, 1) == -1)
		log_warn_sys("worker nonblock");
}

static void
worker_lost(struct worker *w)
{
	if (w->pid > 0)
		(void)kill(w->pid, SIGKILL);
	(void)io_close(&w->fd);
	w->pid = -1;
	if (w->client >= 0) {
		struct client *c = &clients[w->client];

		/*
		 * A check is safe to repeat: the request goes back to the
		 * queue (its place kept).  Workers killed together may each
		 * take it before their death is seen, so it may go round
		 * as many times as there are workers; then it is answered
		 * tempfail, so no input can make tern-authd fork workers
		 * without end.
		 */
		if (++c->deaths < cfg.nworkers + 1) {
			log_warn("worker died during a check: asking another");
			c->st = C_WAIT;
		} else {
			log_err("worker died during a check: answering "
			    "tempfail");
			explicit_bzero(c->in, sizeof(c->in));
			client_reply(c, AUTHC_TEMPFAIL, AUTHC_R_NONE);
		}
		w->client = -1;
	}
	w->respawn_at = io_now_ms() + RESPAWN_MS;
}

/* ---- clients ---- */

static void
client_close(struct client *c)
{
	(void)io_close(&c->fd);
	explicit_bzero(c, sizeof(*c));
	c->fd = -1;
	c->st = C_FREE;
	nclients--;
	while (nused > 0 && clients[nused - 1].st == C_FREE)
		nused--;
}

static uint32_t
now_s(void)
{
	return (uint32_t)((io_now_ms() - start_ms) / 1000) + 1;
}

static const char *
ip_or_local(const struct client *c)
{
	return c->ip[0] != '\0' ? c->ip : "local";
}

static void
client_reply(struct client *c, enum authc_status st, enum authc_reason why)
{
	struct authc_reply r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.reason = why;
	if (authc_reply_encode(&r, c->out, sizeof(c->out), &c->outlen) == -1)
		panic("encoding a reply");
	c->outoff = 0;
	c->st = C_WRITE;
	c->deadline = io_deadline_ms((int64_t)cfg.timeout_s * 1000);
}

/*
 * Whether c's IP logged in to c's account within auth_known_ip_time;
 * with mark, record that it just did.  The key puts the IP first, so a
 * cut (THROTTLE_KEY_MAX) can only shorten the account name.  No IP (a
 * local caller) and auth_known_ip_time = 0: never known.
 */
static int
known_ip(const struct client *c, int mark)
{
	char key[AUTHC_IP_MAX + 1 + THROTTLE_KEY_MAX];
	size_t iplen = strlen(c->ip), n;

	if (cfg.known_s == 0 || iplen == 0)
		return 0;
	memcpy(key, c->ip, iplen);
	key[iplen] = ' ';
	n = c->user_len < sizeof(key) - iplen - 1 ? c->user_len :
	    sizeof(key) - iplen - 1;
	memcpy(key + iplen + 1, c->user, n);
	n += iplen + 1;
	if (mark)
		return throttle_fail(&thr_known, key, n, now_s()) > 0;
	return throttle_count(&thr_known, key, n, now_s()) > 0;
}

/* A whole request arrived: decide what happens to it. */
static void
client_request(struct client *c)
{
	struct authc_request q;
	const char *why;
	unsigned fip, facct;
	size_t i;
	int tls, proxy;

	if (authc_req_decode(c->in, c->inlen, &q, &why) == -1) {
		log_warn("bad request: %s", why);
		explicit_bzero(c->in, sizeof(c->in));
		client_close(c);
		return;
	}
	memcpy(c->service, q.service, sizeof(c->service));
	memcpy(c->ip, q.ip, sizeof(c->ip));
	/* A trusted proxy (doc/proxy.md): its client's IP counts, the
	 * channel is its business, and a master login is throttled and
	 * logged as the account it is for. */
	proxy = q.ip[0] != '\0' && cfg.nproxies > 0 &&
	    cidr_match(cfg.proxies, cfg.nproxies, q.ip);
	if (proxy && q.origin[0] != '\0')
		memcpy(c->ip, q.origin, sizeof(c->ip));
	if (proxy && q.authzid_len > 0) {
		memcpy(q.user, q.authzid, sizeof(q.user));
		q.user_len = q.authzid_len;
	}
	for (i = 0; i < q.user_len; i++)
		c->user[i] = (q.user[i] >= 'A' && q.user[i] <= 'Z') ?
		    (char)(q.user[i] - 'A' + 'a') : q.user[i];
	c->user_len = q.user_len;
	tls = q.tls || proxy;
	authc_request_wipe(&q);
	c->ip_exempt = c->ip[0] != '\0' &&
	    cidr_match(cfg.exempt, cfg.nexempt, c->ip);
	if (!tls && c->ip[0] != '\0' && !cfg.allow_plain &&
	    !cidr_match(cfg.plain, cfg.nplain, c->ip)) {
		explicit_bzero(c->in, sizeof(c->in));
		log_info("auth refused service=%s user=%s ip=%s "
		    "reason=plaintext", c->service,
		    log_esc(c->user, c->user_len), c->ip);
		client_reply(c, AUTHC_FAIL, AUTHC_R_PLAINTEXT);
		return;
	}
	fip = c->ip_exempt ? 0 :
	    throttle_count(&thr_ip, c->ip, strlen(c->ip), now_s());
	facct = throttle_count(&thr_acct, c->user, c->user_len, now_s());
	if (fip >= cfg.limit_ip ||
	    (facct >= cfg.limit_acct && !known_ip(c, 0))) {
		explicit_bzero(c->in, sizeof(c->in));
		log_info("auth throttled service=%s user=%s ip=%s "
		    "failures_ip=%u failures_user=%u", c->service,
		    log_esc(c->user, c->user_len), ip_or_local(c), fip, facct);
		client_reply(c, AUTHC_THROTTLED, AUTHC_R_NONE);
		return;
	}
	c->st = C_WAIT;
	c->seq = seq++;
	c->deaths = 0;
}

static void
client_read(struct client *c)
{
	ssize_t n;
	int f;

	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		explicit_bzero(c->in, sizeof(c->in));
		client_close(c);
		return;
	}
	c->inlen += (size_t)n;
	f = authc_frame(c->in, c->inlen, sizeof(c->in));
	if (f == 0)
		return;
	if (f == -1) {
		log_warn("bad request: framing");
		explicit_bzero(c->in, sizeof(c->in));
		client_close(c);
		return;
	}
	client_request(c);
}

static void
client_write(struct client *c)
{
	ssize_t n;

	n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->outoff += (size_t)n;
	if (c->outoff == c->outlen)
		client_close(c);
}

static void
accept_some(int lfd)
{
	struct client *c;
	size_t i;
	int fd, k;

	for (k = 0; k < 16 && nclients < cfg.max_clients; k++) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn_sys("accept");
			return;
		}
		if (!peer_ok(fd)) {
			(void)io_close(&fd);
			continue;
		}
		for (i = 0; i < cfg.max_clients; i++)
			if (clients[i].st == C_FREE)
				break;
		if (i == cfg.max_clients)
			panic("client table full");
		if (i >= nused)
			nused = i + 1;
		c = &clients[i];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->st = C_READ;
		c->deadline = io_deadline_ms((int64_t)cfg.timeout_s * 1000);
		nclients++;
	}
}

/* ---- answers from workers ---- */

static void
log_fail(struct client *c, const struct authc_reply *r, unsigned fip,
    unsigned facct, uint64_t delay)
{
	static const char *names[] = { "none", "plaintext", "unknown",
	    "password", "disabled", "nopass", "maps", "moving" };

	log_info("auth fail service=%s user=%s ip=%s failures_ip=%u "
	    "failures_user=%u delay=%llus reason=%s", c->service,
	    log_esc(c->user, c->user_len), ip_or_local(c), fip, facct,
	    (unsigned long long)delay, names[r->reason]);
}

static void
verdict(struct client *c, const struct authc_reply *r)
{
	unsigned fip, facct, n;
	uint64_t delay;

	switch (r->status) {
	case AUTHC_OK:
		throttle_clear(&thr_acct, c->user, c->user_len);
		(void)known_ip(c, 1);
		log_info("auth ok service=%s user=%s ip=%s", c->service,
		    r->addr, ip_or_local(c));
		if (authc_reply_encode(r, c->out, sizeof(c->out),
		    &c->outlen) == -1)
			panic("encoding a reply");
		c->outoff = 0;
		c->st = C_WRITE;
		c->deadline = io_deadline_ms((int64_t)cfg.timeout_s * 1000);
		return;
	case AUTHC_FAIL:
		fip = c->ip_exempt ? 0 : throttle_fail(&thr_ip, c->ip,
		    strlen(c->ip), now_s());
		facct = throttle_fail(&thr_acct, c->user, c->user_len,
		    now_s());
		n = fip > facct ? fip : facct;
		delay = n >= 12 ? 4096 : (uint64_t)1 << (n > 0 ? n - 1 : 0);
		if (delay > cfg.delay_max_s)
			delay = cfg.delay_max_s;
		log_fail(c, r, fip, facct, delay);
		client_reply(c, AUTHC_FAIL, AUTHC_R_NONE);
		c->st = C_DELAY;
		c->deadline = io_now_ms() + (int64_t)delay * 1000;
		return;
	case AUTHC_TEMPFAIL:
		log_warn("auth tempfail service=%s user=%s ip=%s%s",
		    c->service, log_esc(c->user, c->user_len),
		    ip_or_local(c), r->reason == AUTHC_R_MOVING ?
		    " reason=moving" : "");
		client_reply(c, AUTHC_TEMPFAIL, AUTHC_R_NONE);
		return;
	case AUTHC_THROTTLED:
		break;
	}
	client_reply(c, AUTHC_TEMPFAIL, AUTHC_R_NONE);
}

static void
worker_answer(struct worker *w)
{
	unsigned char buf[AUTHC_REPLY_MAX + 1];
	struct authc_reply r;
	const char *why;
	ssize_t n;

	n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || w->client < 0 ||
	    authc_reply_decode(buf, (size_t)n, &r, &why) == -1) {
		if (n > 0)
			log_err("worker sent a bad answer");
		worker_lost(w);
		return;
	}
	explicit_bzero(clients[w->client].in, sizeof(clients[w->client].in));
	verdict(&clients[w->client], &r);
	w->client = -1;
}

/* Give waiting requests, oldest first, to idle workers. */
static void
dispatch(void)
{
	struct client *c;
	size_t i, j;
	ssize_t n;

	for (i = 0; i < cfg.nworkers; i++) {
		if (workers[i].pid <= 0 || workers[i].client >= 0)
			continue;
		c = NULL;
		for (j = 0; j < nused; j++)
			if (clients[j].st == C_WAIT &&
			    (c == NULL || clients[j].seq < c->seq))
				c = &clients[j];
		if (c == NULL)
			return;
		n = send(workers[i].fd, c->in, c->inlen,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n != (ssize_t)c->inlen) {
			/*
			 * A worker that died but is not reaped yet: the request
			 * never reached it, so the client keeps waiting (its
			 * request intact) for the next worker, not a tempfail.
			 */
			log_warn_sys("sending to a worker");
			worker_lost(&workers[i]);
			continue;
		}
		/* The request (with the password) is kept until the answer,
		 * to ask again if this worker dies (worker_lost). */
		c->st = C_VERIFY;
		workers[i].client = (int)(c - clients);
	}
}

/* ---- the loop ---- */

static void
timers(int lfd)
{
	int64_t now = io_now_ms();
	struct client *c;
	size_t i;

	for (i = 0; i < nused; i++) {
		c = &clients[i];
		if (c->st == C_FREE || now < c->deadline)
			continue;
		switch (c->st) {
		case C_READ:
			log_info("client dropped: no request within %llus",
			    (unsigned long long)cfg.timeout_s);
			explicit_bzero(c->in, sizeof(c->in));
			client_close(c);
			break;
		case C_DELAY:
			c->st = C_WRITE;
			c->deadline = now + (int64_t)cfg.timeout_s * 1000;
			client_write(c);
			break;
		case C_WRITE:
			client_close(c);
			break;
		case C_FREE:
		case C_WAIT:
		case C_VERIFY:
			break;
		}
	}
	for (i = 0; i < cfg.nworkers; i++)
		if (workers[i].pid <= 0 && now >= workers[i].respawn_at)
			worker_start(i, lfd);
}

static int
poll_timeout(void)
{
	int64_t next = IO_NO_DEADLINE, now = io_now_ms(), d;
	size_t i;

	for (i = 0; i < nused; i++)
		if ((clients[i].st == C_READ || clients[i].st == C_DELAY ||
		    clients[i].st == C_WRITE) && clients[i].deadline < next)
			next = clients[i].deadline;
	for (i = 0; i < cfg.nworkers; i++)
		if (workers[i].pid <= 0 && workers[i].respawn_at < next)
			next = workers[i].respawn_at;
	if (next == IO_NO_DEADLINE)
		return -1;
	d = next - now;
	return d <= 0 ? 0 : d > 60000 ? 60000 : (int)d + 1;
}

/* Collect dead children; a worker's pid is forgotten before anything
 * could signal it (the pid may be reused). */
static void
reap(void)
{
	pid_t pid;
	size_t i;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (i = 0; i < cfg.nworkers; i++)
			if (workers[i].pid == pid) {
				workers[i].pid = -1;
				worker_lost(&workers[i]);
			}
}

static void
stop(void)
{
	size_t i;

	log_info("stopping");
	for (i = 0; i < cfg.nworkers; i++)
		if (workers[i].pid > 0)
			(void)kill(workers[i].pid, SIGTERM);
	exit(EXIT_OK);
}

static void
serve(int lfd)
{
	struct pollfd *pfd;
	size_t np, i, cbase, wbase, polled;
	int t;

	np = 2 + cfg.nworkers + cfg.max_clients;
	if ((pfd = mem_alloc(np, sizeof(*pfd))) == NULL)
		die_sys(EXIT_TEMP, "poll table");
	for (;;) {
		dispatch();
		pfd[0].fd = selfpipe_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = nclients < cfg.max_clients ? lfd : -1;
		pfd[1].events = POLLIN;
		wbase = 2;
		for (i = 0; i < cfg.nworkers; i++) {
			pfd[wbase + i].fd = workers[i].pid > 0 ?
			    workers[i].fd : -1;
			pfd[wbase + i].events = POLLIN;
		}
		cbase = wbase + cfg.nworkers;
		for (i = 0; i < nused; i++) {
			pfd[cbase + i].fd = clients[i].st == C_READ ||
			    clients[i].st == C_WRITE ? clients[i].fd : -1;
			pfd[cbase + i].events = clients[i].st == C_READ ?
			    POLLIN : POLLOUT;
		}
		t = poll_timeout();
		polled = nused;
		if (poll(pfd, cbase + polled, t) == -1 && errno != EINTR)
			die_sys(EXIT_TEMP, "poll");
		selfpipe_drain();
		if (selfpipe_caught(SIGTERM) || selfpipe_caught(SIGINT))
			stop();
		(void)selfpipe_caught(SIGHUP);	/* maps reload themselves */
		if (selfpipe_caught(SIGCHLD))
			reap();
		for (i = 0; i < cfg.nworkers; i++)
			if (pfd[wbase + i].fd != -1 &&
			    pfd[wbase + i].fd == workers[i].fd &&
			    pfd[wbase + i].revents)
				worker_answer(&workers[i]);
		for (i = 0; i < nused && i < polled; i++) {
			if (pfd[cbase + i].fd == -1 ||
			    pfd[cbase + i].fd != clients[i].fd ||
			    !pfd[cbase + i].revents)
				continue;
			if (clients[i].st == C_READ)
				client_read(&clients[i]);
			else if (clients[i].st == C_WRITE)
				client_write(&clients[i]);
		}
		if (pfd[1].fd != -1 && (pfd[1].revents & POLLIN))
			accept_some(lfd);
		timers(lfd);
	}
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-authd [-d] [-c tern.conf]");
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	const char *why;
	size_t i;
	int ch, flags = 0, lfd;

	while ((ch = getopt(argc, argv, "c:d")) != -1) {
		switch (ch) {
		case 'c':
			cfg.conf_path = optarg;
			break;
		case 'd':
			flags |= LOG_STDERR;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init_env("tern-authd", flags);
	if (proc_init(NULL, 0, PROC_NOCORE) == -1)
		die_sys(EXIT_TEMP, "proc_init");
	cfg.is_root = priv_is_root();
	read_conf();
	lfd = listen_sock();
	if (cfg.is_root) {
		if (priv_drop(cfg.auth_uid, cfg.auth_gid, NULL, &why) !=
		    PRIV_DROPPED)
			die_sys(EXIT_TEMP, "privilege drop: %s", why);
	} else
		log_info("not root: running as uid %lu, no privilege steps",
		    (unsigned long)geteuid());
	start_ms = io_now_ms();
	if (throttle_init(&thr_ip, THR_ENTRIES, (uint32_t)cfg.window_s) == -1 ||
	    throttle_init(&thr_acct, THR_ENTRIES, (uint32_t)cfg.window_s) == -1 ||
	    throttle_init(&thr_known, THR_ENTRIES,
	    cfg.known_s > 0 ? (uint32_t)cfg.known_s : 1) == -1 ||
	    (clients = mem_alloc(cfg.max_clients, sizeof(*clients))) == NULL)
		die_sys(EXIT_TEMP, "tables");
	for (i = 0; i < cfg.max_clients; i++)
		clients[i].fd = -1;
	if (selfpipe_init(sigs, sizeof(sigs) / sizeof(sigs[0])) == -1)
		die_sys(EXIT_TEMP, "selfpipe");
	for (i = 0; i < cfg.nworkers; i++) {
		workers[i].fd = -1;
		worker_start(i, lfd);
	}
	log_info("listening socket=%s workers=%llu max_clients=%llu",
	    cfg.sock, (unsigned long long)cfg.nworkers,
	    (unsigned long long)cfg.max_clients);
	serve(lfd);
}
