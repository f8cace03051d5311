/*
 * pop3d_login.c - the pre-auth child of tern-pop3d: login uid, chrooted
 * into an empty folder, holding the TLS session.  It speaks the
 * AUTHORIZATION state (RFC 1939 4): CAPA, STLS (RFC 2595), USER/PASS,
 * AUTH PLAIN (RFC 5034), QUIT; a login goes to the monitor (login_ask),
 * and after a success this process only relays bytes (login_relay).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>
#include <unistd.h>

#include "lib/base64.h"
#include "lib/authc.h"
#include "lib/bio.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/pop3p.h"
#include "lib/sbuf.h"
#include "lib/sock.h"
#include "lib/tls.h"

#include "pop3d/pop3d.h"

#define TLS_HANDSHAKE_MS	30000
#define PRE_READ_MS		30000	/* one command line before login */

enum step { STEP_GO, STEP_END, STEP_OK };

struct pre {
	struct pop3_pre	*p;
	struct tls_conn	*tls;
	struct sbuf	 user;		/* after USER */
	uint64_t	 failures;
	int		 errors, cmds;
};

static int
reply(struct pre *s, const char *line)
{
	if (bio_puts(s->p->b, line) < 0 || bio_puts(s->p->b, "\r\n") < 0 ||
	    bio_flush(s->p->b) < 0)
		return -1;
	return 0;
}

static int
plain_ok(const struct pre *s)
{
	return s->p->tls || s->p->plain_ok;
}

static enum step
refuse_plain(struct pre *s)
{
	log_info("refused plaintext login before TLS ip=%s", s->p->ip);
	if (reply(s, "-ERR [AUTH] Plaintext authentication disallowed on "
	    "non-secure (non-TLS) connections; use STLS") < 0)
		return STEP_END;
	return STEP_GO;
}

static enum step
do_stls(struct pre *s)
{
	struct sbuf why;
	size_t dropped;

	if (s->p->tls)
		return reply(s, "-ERR Command not permitted when TLS active")
		    < 0 ? STEP_END : STEP_GO;
	if (s->p->tls_ctx == NULL)
		return reply(s, "-ERR TLS not available") < 0 ? STEP_END :
		    STEP_GO;
	if (reply(s, "+OK Begin TLS negotiation now") < 0)
		return STEP_END;
	if ((dropped = bio_pending(s->p->b)) > 0) {
		log_warn("tls: dropped %zu bytes pipelined after STLS from %s",
		    dropped, s->p->ip);
		bio_discard_input(s->p->b);
	}
	sbuf_init(&why, TLS_WHY_MAX);
	s->tls = tls_server_start(s->p->tls_ctx, s->p->b, TLS_HANDSHAKE_MS,
	    &why);
	if (s->tls == NULL) {
		log_info("tls handshake failed ip=%s: %s", s->p->ip,
		    log_esc_s(sbuf_str(&why)));
		sbuf_fini(&why);
		return STEP_END;
	}
	sbuf_fini(&why);
	s->p->tls = 1;
	sbuf_reset(&s->user);	/* RFC 2595 4: forget the old state */
	return STEP_GO;
}

/* Ask the monitor; the answer decides what we say. */
static enum step
login(struct pre *s, const char *user, size_t ulen, const char *pass,
    size_t plen, const char *authz, size_t alen)
{
	struct login_req q;
	int a;

	memset(&q, 0, sizeof q);
	if (ulen == 0 || ulen > LOGIN_USER_MAX || plen > LOGIN_PASS_MAX ||
	    alen > LOGIN_USER_MAX || memchr(authz, '\0', alen) != NULL ||
	    memchr(user, '\0', ulen) != NULL ||
	    memchr(pass, '\0', plen) != NULL) {
		a = LOGIN_FAIL;
	} else {
		memcpy(q.user, user, ulen);
		q.user_len = ulen;
		memcpy(q.pass, pass, plen);
		q.pass_len = plen;
		q.tls = s->p->tls;
		/* Plaintext with nothing more read: the worker may take
		 * the socket and this process end (login.h: handoff). */
		q.handoff = !s->p->tls && bio_pending(s->p->b) == 0;
		memcpy(q.authzid, authz, alen);
		q.authzid_len = alen;
		(void)strlcpy(q.origin, s->p->origin, sizeof q.origin);
		a = login_ask(s->p->login, &q, AUTHC_TIMEOUT_MS + 5000);
	}
	explicit_bzero(&q, sizeof q);
	sbuf_reset(&s->user);
	switch (a) {
	case LOGIN_OK:
		return STEP_OK;		/* the worker answers */
	case LOGIN_HANDOFF:
		return STEP_END;	/* the worker has the client: not a byte more */
	case LOGIN_FAIL:
		s->failures++;
		if (reply(s, "-ERR [AUTH] Authentication failed.") < 0)
			return STEP_END;
		if (s->failures >= s->p->max_failures) {
			log_info("too many failed logins ip=%s", s->p->ip);
			return STEP_END;
		}
		return STEP_GO;
	case LOGIN_THROTTLED:
		s->failures++;
		return reply(s, "-ERR [SYS/TEMP] Too many failed logins, "
		    "try again later") < 0 ? STEP_END : STEP_END;
	case LOGIN_LIMIT:
		/* max_userip_connections, or (through tern-proxy) the
		 * backend's maildrop lock: RFC 2449's IN-USE; the session
		 * goes on (USER/PASS again). */
		return reply(s, "-ERR [IN-USE] Mailbox in use, or too many "
		    "connections for this user from this address") < 0 ?
		    STEP_END : STEP_GO;
	case LOGIN_TEMPFAIL:
		return reply(s, "-ERR [SYS/TEMP] Authentication temporarily "
		    "unavailable, try again later") < 0 ? STEP_END : STEP_GO;
	}
	return STEP_END;	/* the monitor is gone */
}

/* AUTH PLAIN: authzid NUL authcid NUL password (RFC 4616). */
static enum step
auth_plain(struct pre *s, const char *b64, size_t n)
{
	struct sbuf dec;
	const char *why, *p, *z1, *z2;
	enum step st;
	int authz;

	sbuf_init(&dec, POP3P_LINE_MAX);
	if (n == 1 && b64[0] == '=')
		n = 0;	/* RFC 5034 4: "=" is an empty initial response */
	if (base64_decode(b64, n, &dec, &why) < 0) {
		sbuf_fini_secret(&dec);
		return reply(s, "-ERR Invalid base64 data") < 0 ? STEP_END :
		    STEP_GO;
	}
	p = dec.s;
	z1 = dec.len > 0 ? memchr(p, '\0', dec.len) : NULL;
	z2 = z1 != NULL ? memchr(z1 + 1, '\0', dec.len - (size_t)(z1 + 1 - p))
	    : NULL;
	if (z1 == NULL || z2 == NULL) {
		sbuf_fini_secret(&dec);
		return reply(s, "-ERR Invalid AUTH PLAIN message") < 0 ?
		    STEP_END : STEP_GO;
	}
	/* An authorization identity other than the login is refused,
	 * except from a trusted proxy (its master login, doc/proxy.md;
	 * tern-authd checks again). */
	authz = z1 != p && ((size_t)(z1 - p) != (size_t)(z2 - z1 - 1) ||
	    memcmp(p, z1 + 1, (size_t)(z1 - p)) != 0);
	if (authz && !s->p->trusted_peer) {
		sbuf_fini_secret(&dec);
		s->failures++;
		return reply(s, "-ERR [AUTH] Authentication failed.") < 0 ?
		    STEP_END : STEP_GO;
	}
	st = login(s, z1 + 1, (size_t)(z2 - z1 - 1), z2 + 1,
	    dec.len - (size_t)(z2 + 1 - p), p, authz ? (size_t)(z1 - p) : 0);
	sbuf_fini_secret(&dec);
	return st;
}

static enum step
do_auth(struct pre *s, const struct pop3p_cmd *c, struct sbuf *line)
{
	int eol, r;
	enum step st;

	/* Bare AUTH (the list Outlook asks for) lists what CAPA's SASL
	 * line does: nothing while a password may not be sent yet. */
	if (c->nargs == 0)
		return reply(s, plain_ok(s) ? "+OK\r\nPLAIN\r\n." :
		    "+OK\r\n.") < 0 ? STEP_END : STEP_GO;
	if (c->arg[0].n != 5 || strncasecmp(c->arg[0].p, "PLAIN", 5) != 0)
		return reply(s, "-ERR Unsupported authentication mechanism")
		    < 0 ? STEP_END : STEP_GO;
	if (!plain_ok(s))
		return refuse_plain(s);
	if (c->nargs == 2) {
		struct sbuf ir;

		sbuf_init(&ir, POP3P_LINE_MAX);
		if (sbuf_cat_n(&ir, c->arg[1].p, c->arg[1].n) < 0)
			return STEP_END;
		st = auth_plain(s, ir.s, ir.len);
		sbuf_fini_secret(&ir);
		return st;
	}
	if (reply(s, "+ ") < 0)
		return STEP_END;
	r = bio_getline(s->p->b, line, POP3P_LINE_MAX, &eol);
	if (r == BIO_TOOLONG)
		return reply(s, "-ERR Line too long") < 0 ? STEP_END : STEP_GO;
	if (r != BIO_OK)
		return STEP_END;
	if (line->len == 1 && line->s[0] == '*')
		return reply(s, "-ERR Authentication cancelled") < 0 ?
		    STEP_END : STEP_GO;
	st = auth_plain(s, line->s, line->len);
	explicit_bzero(line->s, line->len);
	return st;
}

static enum step
do_cmd(struct pre *s, const struct pop3p_cmd *c, struct sbuf *line)
{
	switch (c->verb) {
	case POP3_CAPA:
		if (pop3_capa(s->p->b, 1, s->p->tls_ctx != NULL && !s->p->tls,
		    plain_ok(s), s->p->expire, s->p->login_delay) < 0 ||
		    bio_flush(s->p->b) < 0)
			return STEP_END;
		return STEP_GO;
	case POP3_STLS:
		return do_stls(s);
	case POP3_USER:
		if (!plain_ok(s))
			return refuse_plain(s);
		sbuf_reset(&s->user);
		if (sbuf_cat_n(&s->user, c->arg[0].p, c->arg[0].n) < 0)
			return STEP_END;
		return reply(s, "+OK") < 0 ? STEP_END : STEP_GO;
	case POP3_PASS:
		if (!plain_ok(s))
			return refuse_plain(s);
		if (s->user.len == 0)
			return reply(s, "-ERR No username given") < 0 ?
			    STEP_END : STEP_GO;
		return login(s, s->user.s, s->user.len, c->arg[0].p,
		    c->arg[0].n, "", 0);
	case POP3_AUTH:
		return do_auth(s, c, line);
	case POP3_QUIT:
		(void)reply(s, "+OK tern POP3 server signing off");
		return STEP_END;
	case POP3_APOP:
		return reply(s, "-ERR APOP not supported") < 0 ? STEP_END :
		    STEP_GO;
	case POP3_NOOP:
	case POP3_STAT:
	case POP3_LIST:
	case POP3_RETR:
	case POP3_DELE:
	case POP3_RSET:
	case POP3_TOP:
	case POP3_UIDL:
	case POP3_UNKNOWN:
		s->errors++;
		return reply(s, "-ERR Unknown command in AUTHORIZATION state")
		    < 0 ? STEP_END : STEP_GO;
	}
	return STEP_END;
}

/*
 * XCLIENT ADDR=ip (a trusted proxy only, doc/proxy.md): the real
 * client's address, for tern-authd's log and throttling.  Other
 * attributes are ignored.
 */
static enum step
do_xclient(struct pre *s, const char *p, size_t n)
{
	size_t i = 0, j;

	while (i < n) {
		while (i < n && p[i] == ' ')
			i++;
		for (j = i; j < n && p[j] != ' '; j++)
			;
		if (j - i > 5 && strncasecmp(p + i, "ADDR=", 5) == 0 &&
		    j - i - 5 < sizeof s->p->origin &&
		    sock_ip_text_valid(p + i + 5, j - i - 5)) {
			memcpy(s->p->origin, p + i + 5, j - i - 5);
			s->p->origin[j - i - 5] = '\0';
		}
		i = j;
	}
	return reply(s, "+OK") < 0 ? STEP_END : STEP_GO;
}

static enum step
one_line(struct pre *s, struct sbuf *line)
{
	struct pop3p_cmd c;
	const char *why = "";
	int eol, r;
	enum step st;

	r = bio_getline(s->p->b, line, POP3P_LINE_MAX, &eol);
	if (r == BIO_TOOLONG) {
		s->errors++;
		return reply(s, "-ERR Line too long") < 0 ? STEP_END : STEP_GO;
	}
	if (r != BIO_OK) {
		if (r < 0 && errno == ETIMEDOUT)
			(void)reply(s, "-ERR Disconnected for inactivity");
		return STEP_END;
	}
	/* The line is read first, so no unread line turns the close into
	 * a reset that would lose this answer. */
	if (++s->cmds > POP3_PREAUTH_CMDS_MAX || s->errors >= POP3_ERRORS_MAX) {
		explicit_bzero(line->s, line->len);
		(void)reply(s, "-ERR Too many commands before login");
		return STEP_END;
	}
	if (s->p->trusted_peer && line->len > 8 &&
	    strncasecmp(line->s, "XCLIENT ", 8) == 0)
		return do_xclient(s, line->s + 8, line->len - 8);
	if (pop3p_parse(line->s, line->len, &c, &why) < 0) {
		s->errors++;
		explicit_bzero(line->s, line->len);
		if (bio_printf(s->p->b, "-ERR %s\r\n", why) < 0 ||
		    bio_flush(s->p->b) < 0)
			return STEP_END;
		return STEP_GO;
	}
	st = do_cmd(s, &c, line);
	explicit_bzero(line->s, line->len);
	return st;
}

int
pop3_preauth(struct pop3_pre *p)
{
	static struct pre s;
	struct sbuf line;
	struct sbuf why;
	const char *rwhy = "";
	enum step st = STEP_GO;

	s.p = p;
	sbuf_init(&s.user, LOGIN_USER_MAX);
	sbuf_init(&line, POP3P_LINE_MAX);
	bio_set_timeout(p->b, PRE_READ_MS, PRE_READ_MS);
	bio_set_session_timeout(p->b, p->login_ms);
	if (p->implicit_tls) {
		sbuf_init(&why, TLS_WHY_MAX);
		s.tls = tls_server_start(p->tls_ctx, p->b, TLS_HANDSHAKE_MS,
		    &why);
		if (s.tls == NULL) {
			log_info("tls handshake failed ip=%s: %s", p->ip,
			    log_esc_s(sbuf_str(&why)));
			return EXIT_OK;
		}
		sbuf_fini(&why);
		p->tls = 1;
	}
	log_info("connect ip=%s tls=%s", p->ip, p->tls ? "yes" : "no");
	if (reply(&s, "+OK tern POP3 server ready") < 0)
		return EXIT_OK;
	while (st == STEP_GO)
		st = one_line(&s, &line);
	sbuf_fini_secret(&line);
	sbuf_fini(&s.user);
	if (st != STEP_OK) {
		if (s.tls != NULL)
			tls_conn_free(&s.tls);
		return EXIT_OK;
	}
	/* Logged in: relay between the client and the worker. */
	bio_set_session_timeout(p->b, 0);
	bio_set_timeout(p->b, p->session_ms, p->session_ms);
	if (login_relay(p->login, p->b, p->session_ms + 60000, &rwhy) < 0)
		log_info("relay ended ip=%s: %s: %s", p->ip, rwhy,
		    strerror(errno));
	(void)bio_flush(p->b);
	if (s.tls != NULL)
		tls_conn_free(&s.tls);
	return EXIT_OK;
}
