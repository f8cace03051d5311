/*
 * proxy_backend.c - tern-proxy's backend side, in the monitor (uid
 * proxy_user, after tern-authd's OK): find the account's storage host,
 * connect, log in there with the master identity (doc/proxy.md), answer
 * the client with the backend's own words, then relay bytes both ways
 * (the pre-auth child relays between the client and us).  Nothing here
 * reads a client byte as a command.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/authc.h"
#include "lib/base64.h"
#include "lib/bio.h"
#include "lib/cdbmap.h"
#include "lib/dns.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/maps.h"
#include "lib/proxyp.h"
#include "lib/scan.h"
#include "lib/sock.h"
#include "lib/tls.h"

#include "proxy/proxy.h"

#define ADDRS_MAX	8	/* addresses of a backend name tried */

/* ---- where ---- */

/* routes[key]: 1 with host set, 0 none (or "local"), -1 error. */
static int
route(const struct proxy *px, const char *key, size_t n,
    char host[PROXY_HOST_MAX + 1], const char **why_r)
{
	struct sbuf k;
	struct maps_nexthop nh;
	const void *v;
	size_t vlen;
	int r;

	if (px->routes == NULL)
		return 0;
	sbuf_init(&k, MAPS_ADDR_MAX + 1);
	if (maps_key(&k, key, n) < 0) {
		sbuf_fini(&k);
		return 0;	/* not a map key: no route */
	}
	r = cdbmap_lookup(px->routes, k.s, k.len, &v, &vlen);
	sbuf_fini(&k);
	if (r < 0) {
		*why_r = "routes map unreadable";
		return -1;
	}
	if (r == 0)
		return 0;
	if (maps_nexthop_parse(v, vlen, &nh, why_r) < 0)
		return -1;
	if (nh.kind == MAPS_HOP_LOCAL)
		return 0;
	if (nh.host.n == 0 || nh.host.n > PROXY_HOST_MAX) {
		*why_r = "route host too long";
		return -1;
	}
	memcpy(host, nh.host.p, nh.host.n);
	host[nh.host.n] = '\0';
	return 1;
}

/* proxy_backend_ports: HOST=IMAPPORT/POP3PORT. */
static void
port_override(const struct proxy *px, const char *host, uint16_t *port_r)
{
	const char *w, *eq, *slash, *p;
	size_t i, hl = strlen(host);
	uint64_t v;

	for (i = 0; i < px->nports; i++) {
		w = px->ports[i];
		if ((eq = strchr(w, '=')) == NULL || (size_t)(eq - w) != hl ||
		    strncasecmp(w, host, hl) != 0 ||
		    (slash = strchr(eq, '/')) == NULL)
			continue;
		if (px->proto == PROXY_IMAP) {
			p = eq + 1;
			if (scan_u64_n(p, (size_t)(slash - p), &v) == 0 &&
			    v > 0 && v <= 65535)
				*port_r = (uint16_t)v;
		} else {
			p = slash + 1;
			if (scan_u64_s(p, &v) == 0 && v > 0 && v <= 65535)
				*port_r = (uint16_t)v;
		}
	}
}

int
proxy_backend_where(const struct proxy *px, const char *addr,
    const char *acct_host, char host[PROXY_HOST_MAX + 1], uint16_t *port_r,
    const char **why_r)
{
	const char *at = strrchr(addr, '@');
	int r;

	r = route(px, addr, strlen(addr), host, why_r);
	if (r == 0 && at != NULL)
		r = route(px, at + 1, strlen(at + 1), host, why_r);
	if (r < 0)
		return -1;
	if (r == 0) {
		/* The account's own storage host, else this host. */
		if (acct_host != NULL && acct_host[0] != '\0' &&
		    strcmp(acct_host, "local") != 0 &&
		    strlen(acct_host) <= PROXY_HOST_MAX)
			(void)strlcpy(host, acct_host, PROXY_HOST_MAX + 1);
		else
			(void)strlcpy(host, "127.0.0.1", PROXY_HOST_MAX + 1);
	}
	*port_r = px->port;
	port_override(px, host, port_r);
	return 0;
}

/* ---- connect ---- */

static int
connect_one(const struct proxy *px, const struct sock_addr *a,
    int64_t deadline, const char **why_r)
{
	struct sock_addr src;
	struct sockaddr_in *s4;
	struct sockaddr_in6 *s6;
	socklen_t elen;
	int fd, err = 0;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0) {
		*why_r = "socket";
		return -1;
	}
	if (px->source_ip[0] != '\0') {
		memset(&src, 0, sizeof src);
		src.ss.ss_family = a->ss.ss_family;
		s4 = (struct sockaddr_in *)&src.ss;
		s6 = (struct sockaddr_in6 *)&src.ss;
		if ((a->ss.ss_family == AF_INET &&
		    inet_pton(AF_INET, px->source_ip, &s4->sin_addr) == 1 &&
		    bind(fd, (struct sockaddr *)s4, sizeof *s4) < 0) ||
		    (a->ss.ss_family == AF_INET6 &&
		    inet_pton(AF_INET6, px->source_ip, &s6->sin6_addr) == 1 &&
		    bind(fd, (struct sockaddr *)s6, sizeof *s6) < 0)) {
			*why_r = "bind proxy_source_ip";
			(void)io_close(&fd);
			return -1;
		}
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
	    errno != EINPROGRESS) {
		*why_r = "connect";
		(void)io_close(&fd);
		return -1;
	}
	if (io_wait(fd, POLLOUT, deadline) < 0) {
		*why_r = "connect timeout";
		(void)io_close(&fd);
		return -1;
	}
	elen = sizeof err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0 || err != 0) {
		errno = err != 0 ? err : errno;
		*why_r = "connect";
		(void)io_close(&fd);
		return -1;
	}
	if (io_set_nonblock(fd, 0) < 0) {
		*why_r = "fcntl";
		(void)io_close(&fd);
		return -1;
	}
	return fd;
}

static int
backend_connect(const struct proxy *px, const char *host, uint16_t port,
    const char **why_r)
{
	struct sock_addr a[ADDRS_MAX];
	int64_t deadline = io_deadline_ms(px->connect_ms);
	size_t n = 0, i;
	int fd = -1;

	if (dns_addrs(host, port, a, ADDRS_MAX, &n, why_r) != DNS_OK) {
		errno = EHOSTUNREACH;
		return -1;
	}
	for (i = 0; i < n && fd < 0; i++)
		fd = connect_one(px, &a[i], deadline, why_r);
	return fd;
}

/* ---- the backend's login ---- */

struct conv {
	const struct proxy *px;
	struct bio	*b;
	struct sbuf	 line;
	struct sbuf	 answer;	/* the line for the client */
	const char	*why;
	int		 limit;		/* the backend said NO [LIMIT] */
};

/* One line from the backend into c->line (CRLF or LF: a server's). */
static int
get_line(struct conv *c)
{
	int eol, r;

	r = bio_getline(c->b, &c->line, PROXY_LINE_MAX, &eol);
	if (r != BIO_OK) {
		c->why = r == BIO_EOF ? "backend closed" : r == BIO_TOOLONG ?
		    "backend line too long" : "backend read";
		return -1;
	}
	return 0;
}

/* Send one command line; wipes nothing (the caller does). */
static int
send_line(struct conv *c, const char *s, size_t n)
{
	if (bio_write(c->b, s, n) < 0 || bio_puts(c->b, "\r\n") < 0 ||
	    bio_flush(c->b) < 0) {
		c->why = "backend write";
		return -1;
	}
	return 0;
}

/* Lines until the tagged (IMAP) or status (POP3) one: 1 OK, 2 NO, -1. */
static int
wait_answer(struct conv *c, const char *tag, const char **rest_r,
    size_t *rest_n_r)
{
	int i, r;

	for (i = 0; i < PROXY_LINES_MAX; i++) {
		if (get_line(c) < 0)
			return -1;
		r = proxyp_line(c->px->proto == PROXY_IMAP ? PROXYP_IMAP :
		    PROXYP_POP3, tag, c->line.s,
		    c->line.len, rest_r, rest_n_r);
		if (r != 0)
			return r;
		if (c->px->proto == PROXY_POP3)
			break;	/* POP3 answers are one status line */
	}
	c->why = "backend answer not understood";
	return -1;
}

/* AUTHENTICATE PLAIN / AUTH PLAIN's argument: authzid, master, secret. */
static int
plain_b64(const struct proxy *px, const char *addr, struct sbuf *out)
{
	struct sbuf raw;
	int r;

	sbuf_init(&raw, 2 * AUTHC_USER_MAX + AUTHC_PASS_MAX + 4);
	r = sbuf_cat_s(&raw, addr) < 0 || sbuf_cat_c(&raw, '\0') < 0 ||
	    sbuf_cat_s(&raw, px->master_user) < 0 ||
	    sbuf_cat_c(&raw, '\0') < 0 ||
	    sbuf_cat_n(&raw, px->secret.s, px->secret.len) < 0 ||
	    base64_encode(raw.s, raw.len, out) < 0 ? -1 : 0;
	sbuf_fini_secret(&raw);
	return r;
}

/* IMAP: greeting, ID with the client's IP, AUTHENTICATE PLAIN; the
 * client's answer is "<tag> OK [CAPABILITY ...] ..." as the backend
 * said it, or its CAPABILITY fetched when the OK carried none. */
static int
login_imap(struct conv *c, const char *addr, const char *tag)
{
	struct sbuf cmd;
	const char *rest;
	size_t rn;
	int r;

	if (get_line(c) < 0)
		return -1;
	if (c->line.len < 4 || strncasecmp(c->line.s, "* OK", 4) != 0) {
		c->why = "backend greeting is not * OK";
		return -1;
	}
	sbuf_init(&cmd, PROXY_LINE_MAX);
	if (c->px->ip[0] != '\0') {
		if (sbuf_printf(&cmd, "P1 ID (\"x-originating-ip\" \"%s\")",
		    c->px->ip) < 0 || send_line(c, cmd.s, cmd.len) < 0 ||
		    wait_answer(c, "P1", &rest, &rn) < 0) {
			sbuf_fini(&cmd);
			return -1;
		}
		sbuf_reset(&cmd);
	}
	r = sbuf_cat_s(&cmd, "P2 AUTHENTICATE PLAIN ") < 0 ||
	    plain_b64(c->px, addr, &cmd) < 0 ? -1 :
	    send_line(c, cmd.s, cmd.len);
	sbuf_fini_secret(&cmd);
	if (r < 0 || (r = wait_answer(c, "P2", &rest, &rn)) < 0)
		return -1;
	/* The backend's max_userip_connections, counted with the client's
	 * address we sent (doc/proxy.md): the client hears it. */
	if (r == 2 && rn >= 10 && strncasecmp(rest, "NO [LIMIT]", 10) == 0) {
		c->limit = 1;
		c->why = "the backend's max_userip_connections";
		return -1;
	}
	if (r == 2) {
		c->why = "backend refused the master login";
		log_warn("backend refused the master login for %s: %s",
		    log_esc_s(addr), log_esc(c->line.s, c->line.len));
		return -1;
	}
	if (rn >= 13 && strncasecmp(rest, " [CAPABILITY ", 13) == 0)
		return sbuf_printf(&c->answer, "%s OK", tag) < 0 ||
		    sbuf_cat_n(&c->answer, rest, rn) < 0 ? -1 : 0;
	/* No capability code: ask (RFC 3501 7.1: the client wants it). */
	if (send_line(c, "P3 CAPABILITY", 13) < 0)
		return -1;
	if (get_line(c) < 0)
		return -1;
	if (c->line.len < 13 ||
	    strncasecmp(c->line.s, "* CAPABILITY ", 13) != 0) {
		c->why = "backend sent no CAPABILITY";
		return -1;
	}
	if (sbuf_printf(&c->answer, "%s OK [CAPABILITY ", tag) < 0 ||
	    sbuf_cat_n(&c->answer, c->line.s + 13, c->line.len - 13) < 0 ||
	    sbuf_cat_s(&c->answer, "] Logged in") < 0)
		return -1;
	if (wait_answer(c, "P3", &rest, &rn) != 1)
		return -1;
	return 0;
}

/* POP3: greeting, XCLIENT ADDR=, AUTH PLAIN; the client gets the
 * backend's answer line ("+OK Logged in.", "-ERR [IN-USE] ..."). */
static int
login_pop3(struct conv *c, const char *addr)
{
	struct sbuf cmd;
	const char *rest;
	size_t rn;
	int r;

	if (get_line(c) < 0)
		return -1;
	if (proxyp_line(PROXYP_POP3, "", c->line.s, c->line.len, &rest,
	    &rn) != 1) {
		c->why = "backend greeting is not +OK";
		return -1;
	}
	sbuf_init(&cmd, PROXY_LINE_MAX);
	if (c->px->ip[0] != '\0') {
		if (sbuf_printf(&cmd, "XCLIENT ADDR=%s", c->px->ip) < 0 ||
		    send_line(c, cmd.s, cmd.len) < 0 ||
		    wait_answer(c, "", &rest, &rn) < 0) {
			sbuf_fini(&cmd);
			return -1;
		}
		sbuf_reset(&cmd);
	}
	r = sbuf_cat_s(&cmd, "AUTH PLAIN ") < 0 ||
	    plain_b64(c->px, addr, &cmd) < 0 ? -1 :
	    send_line(c, cmd.s, cmd.len);
	sbuf_fini_secret(&cmd);
	if (r < 0 || (r = wait_answer(c, "", &rest, &rn)) < 0)
		return -1;
	/*
	 * IN-USE (the maildrop locked by another session, or the backend's
	 * max_userip_connections) is the account's state, not a failure of
	 * ours: the client hears -ERR [IN-USE] from the pre-auth child
	 * (LOGIN_LIMIT) and may try again.  Never relay it to this
	 * connection: the backend is still before its login, and it trusts
	 * us (XCLIENT), so the client would be talking as the proxy.
	 */
	if (r == 2 && rn >= 9 && strncmp(rest, " [IN-USE]", 9) == 0) {
		c->limit = 1;
		c->why = "backend: mailbox in use";
		return -1;
	}
	if (r == 2) {
		c->why = "backend refused the master login";
		log_warn("backend refused the master login for %s: %s",
		    log_esc_s(addr), log_esc(c->line.s, c->line.len));
		return -1;
	}
	return sbuf_cat_n(&c->answer, c->line.s, c->line.len);
}

/* ---- the session ---- */

/*
 * A plaintext login whose child has no client byte buffered (its 'H'):
 * the monitor takes the client socket itself, as tern-imapd's worker
 * does, so the session is one process, not two (doc/proxy.md).  The
 * child is answered LOGIN_HANDOFF, which ends it without a byte more to
 * the client; it is then killed and reaped, so no zombie and no second
 * writer stays whatever it does.  l->relay becomes the client socket.
 */
static void
handoff(struct login *l)
{
	int st;

	(void)login_answer(l, LOGIN_HANDOFF);
	(void)kill(l->child, SIGKILL);
	while (waitpid(l->child, &st, 0) < 0 && errno == EINTR)
		;
	l->child = 0;
	(void)io_close(&l->relay);
	l->relay = l->client;
	l->client = -1;
	(void)io_set_nonblock(l->relay, 1);
}

/* All of p to a non-blocking socket within ms: 0, or -1. */
static int
send_all(int fd, const char *p, size_t n, int64_t ms)
{
	int64_t deadline = io_deadline_ms(ms);
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			if (io_wait(fd, POLLOUT, deadline) <= 0)
				return -1;
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Relay between the child (l->relay) and the backend, then end. */
static void __attribute__((noreturn))
relay(struct proxy *px, struct login *l, struct bio *b)
{
	struct login rl;
	const char *why = "";
	int st;

	memset(&rl, 0, sizeof rl);
	rl.ctl = rl.client = -1;
	rl.relay = l->relay;
	bio_set_session_timeout(b, 0);
	bio_set_timeout(b, px->session_ms, px->session_ms);
	if (login_relay(&rl, b, px->session_ms + 60000, &why) < 0)
		log_info("relay ended ip=%s: %s: %s", px->ip, why,
		    strerror(errno));
	(void)bio_flush(b);
	(void)io_close(&l->relay);
	(void)io_close(&l->ctl);
	while (l->child > 0 && waitpid(l->child, &st, 0) < 0 && errno == EINTR)
		;
	_exit(EXIT_OK);
}

int
proxy_session(void *arg, struct login *l, const struct authc_reply *rep,
    const struct login_req *q, struct login_event *ev)
{
	struct proxy *px = arg;
	char host[PROXY_HOST_MAX + 1];
	struct conv c;
	struct tls_conn *tc = NULL;
	struct sbuf why;
	uint16_t port;
	int fd, r;

	memset(&c, 0, sizeof c);
	c.px = px;
	c.why = "";
	if (px->secret.len == 0) {
		ev->why = "no master secret";
		ev->err = ENOENT;
		return 0;
	}
	if (proxy_backend_where(px, rep->addr, rep->host, host, &port,
	    &c.why) < 0) {
		ev->why = c.why;
		ev->err = EPROTO;
		return 0;
	}
	if ((fd = backend_connect(px, host, port, &c.why)) < 0) {
		log_warn("backend %s:%u for %s: %s: %s", log_esc_s(host),
		    (unsigned)port, rep->addr, c.why, strerror(errno));
		ev->why = "backend unavailable";
		ev->err = errno;
		return 0;
	}
	if ((c.b = bio_new(fd, fd)) == NULL) {
		(void)io_close(&fd);
		ev->why = "bio_new";
		ev->err = errno;
		return 0;
	}
	/* Each of: the connection (above), the TLS handshake, the whole
	 * login conversation takes at most proxy_connect_timeout. */
	bio_set_timeout(c.b, px->connect_ms, px->connect_ms);
	if (px->tls != NULL) {
		sbuf_init(&why, TLS_WHY_MAX);
		tc = tls_client_start(px->tls, c.b, host, 1, px->connect_ms,
		    &why);
		if (tc == NULL)
			log_warn("backend %s:%u: TLS: %s", log_esc_s(host),
			    (unsigned)port, log_esc_s(sbuf_str(&why)));
		sbuf_fini(&why);
		if (tc == NULL) {
			bio_free(&c.b);
			(void)io_close(&fd);
			ev->why = "backend TLS failed";
			ev->err = EPROTO;
			return 0;
		}
	}
	bio_set_session_timeout(c.b, px->connect_ms);
	sbuf_init(&c.line, PROXY_LINE_MAX);
	sbuf_init(&c.answer, PROXY_LINE_MAX + LOGIN_TAG_MAX + 32);
	r = px->proto == PROXY_IMAP ? login_imap(&c, rep->addr, q->tag) :
	    login_pop3(&c, rep->addr);
	if (r < 0) {
		log_warn("backend %s:%u for %s: %s", log_esc_s(host),
		    (unsigned)port, rep->addr, c.why);
		sbuf_fini(&c.line);
		sbuf_fini(&c.answer);
		if (tc != NULL)
			tls_conn_free(&tc);
		bio_free(&c.b);
		(void)io_close(&fd);
		ev->why = c.limit ? "too many connections for this user from "
		    "this address" : "backend login failed";
		ev->err = c.limit ? EUSERS : EPROTO;
		ev->code = c.limit ? LOGIN_LIMIT : 0;	/* login.h: become */
		return 0;
	}
	sbuf_fini(&c.line);
	explicit_bzero(px->secret.s, px->secret.cap);	/* needed no more */
	log_info("login user=%s ip=%s client_tls=%s backend=%s:%u "
	    "backend_tls=%s", log_esc_s(rep->addr), px->ip[0] != '\0' ?
	    px->ip : "local", q->tls ? "yes" : "no", log_esc_s(host),
	    (unsigned)port, tc != NULL ? "yes" : "no");
	if (q->handoff && l->client >= 0) {
		handoff(l);
		if (send_all(l->relay, c.answer.s, c.answer.len,
		    px->connect_ms) < 0 ||
		    send_all(l->relay, "\r\n", 2, px->connect_ms) < 0)
			_exit(EXIT_OK);	/* the client is gone */
	} else {
		if (login_answer(l, LOGIN_OK) < 0)
			_exit(EXIT_TEMP);
		if (io_write_full(l->relay, c.answer.s, c.answer.len) < 0 ||
		    io_write_full(l->relay, "\r\n", 2) < 0)
			_exit(EXIT_OK);	/* the child is gone */
	}
	sbuf_fini(&c.answer);
	relay(px, l, c.b);
}
