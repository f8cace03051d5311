/*
 * imapd_login.c - the pre-auth child of tern-imapd: login uid, chrooted
 * into an empty folder, holding the TLS session.  It speaks the
 * not-authenticated state (RFC 3501 6.1, 6.2): CAPABILITY, NOOP, LOGOUT,
 * ID (RFC 2971), STARTTLS, LOGIN, AUTHENTICATE PLAIN (RFC 4616) with
 * SASL-IR (RFC 4959) or a continuation.  A login goes to the monitor
 * (login_ask) with the command's tag; after a success the worker sends
 * the tagged OK and this process only relays bytes (login_relay).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/authc.h"
#include "lib/base64.h"
#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/sbuf.h"
#include "lib/sock.h"
#include "lib/tls.h"

#include "imapd/imapd.h"

#define TLS_HANDSHAKE_MS	30000
#define PRE_READ_MS		30000	/* one command line before login */
#define PRE_TOKENS_MAX		200	/* tokens in one command before login */
#define PRE_DEPTH_MAX		4	/* ( ) nesting before login (ID) */

enum step { STEP_GO, STEP_END, STEP_OK };

struct pre {
	struct imap_pre	*p;
	struct tls_conn	*tls;
	struct imapd_reader rd;
	struct imapp_cmd pc;
	char		 tag[IMAP_TAG_MAX + 1];
	uint64_t	 failures;
	int		 errors, cmds;
};

static int
out(struct pre *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
out(struct pre *s, const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	int r;

	sbuf_init(&b, 1024);
	va_start(ap, fmt);
	r = sbuf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (r == 0)
		r = bio_write(s->p->b, b.s, b.len) < 0 ||
		    bio_puts(s->p->b, "\r\n") < 0 || bio_flush(s->p->b) < 0 ?
		    -1 : 0;
	sbuf_fini(&b);
	return r;
}

static enum step
say(struct pre *s, const char *what, const char *text)
{
	return out(s, "%s %s %s", s->tag, what, text) < 0 ? STEP_END :
	    STEP_GO;
}

static int
plain_ok(const struct pre *s)
{
	return s->p->tls || s->p->plain_ok;
}

static int
capa(struct pre *s)
{
	int offer = s->p->tls_ctx != NULL && !s->p->tls;

	return out(s, "* CAPABILITY " IMAP_CAPA_COMMON "%s%s",
	    offer ? " STARTTLS" : "",
	    plain_ok(s) ? " AUTH=PLAIN" : " LOGINDISABLED");
}

/* The value of an astring argument into buf (no NUL inside). */
static int
arg_value(const struct imapp_tok *t, char *buf, size_t size, size_t *len_r)
{
	if (t == NULL || !imapp_tok_is_astring(t) || t->n > size ||
	    memchr(t->p, '\0', t->n) != NULL)
		return -1;
	memcpy(buf, t->p, t->n);
	*len_r = t->n;
	return 0;
}

/* ---- commands ---- */

static enum step
refuse_plain(struct pre *s)
{
	log_info("refused plaintext login before TLS ip=%s", s->p->ip);
	return say(s, "NO", "[PRIVACYREQUIRED] Plaintext authentication "
	    "disallowed on non-secure (non-TLS) connections; use STARTTLS");
}

static enum step
do_starttls(struct pre *s)
{
	struct sbuf why;
	size_t dropped;

	if (s->p->tls)
		return say(s, "BAD", "TLS is already active");
	if (s->p->tls_ctx == NULL)
		return say(s, "NO", "TLS not available");
	if (say(s, "OK", "Begin TLS negotiation now") != STEP_GO)
		return STEP_END;
	if ((dropped = bio_pending(s->p->b)) > 0) {
		log_warn("tls: dropped %zu bytes pipelined after STARTTLS "
		    "from %s", dropped, s->p->ip);
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
		(void)strlcpy(q.tag, s->tag, sizeof q.tag);	/* fits */
		memcpy(q.authzid, authz, alen);
		q.authzid_len = alen;
		(void)strlcpy(q.origin, s->p->origin, sizeof q.origin);
		a = login_ask(s->p->login, &q, AUTHC_TIMEOUT_MS + 5000);
	}
	explicit_bzero(&q, sizeof q);
	switch (a) {
	case LOGIN_OK:
		return STEP_OK;		/* the worker answers */
	case LOGIN_HANDOFF:
		return STEP_END;	/* the worker has the client: not a byte more */
	case LOGIN_FAIL:
		s->failures++;
		if (say(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
		    "failed.") != STEP_GO)
			return STEP_END;
		if (s->failures >= s->p->max_failures) {
			log_info("too many failed logins ip=%s", s->p->ip);
			(void)out(s, "* BYE Too many failed logins");
			return STEP_END;
		}
		return STEP_GO;
	case LOGIN_THROTTLED:
		(void)say(s, "NO", "[UNAVAILABLE] Too many failed logins, "
		    "try again later");
		return STEP_END;
	case LOGIN_LIMIT:
		/* max_userip_connections (RFC 5530 LIMIT); the session goes
		 * on, as Dovecot's imap-login does. */
		return say(s, "NO", "[LIMIT] Too many connections for this "
		    "user from this address");
	case LOGIN_TEMPFAIL:
		return say(s, "NO", "[UNAVAILABLE] Authentication temporarily "
		    "unavailable, try again later");
	}
	return STEP_END;	/* the monitor is gone */
}

static enum step
do_login(struct pre *s)
{
	char user[LOGIN_USER_MAX + 1], pass[LOGIN_PASS_MAX + 1];
	size_t ul, pl;
	enum step st;

	if (s->pc.nargs != 2)
		return say(s, "BAD", "LOGIN needs a user name and a password");
	if (!plain_ok(s))
		return refuse_plain(s);
	if (arg_value(imapp_arg(&s->pc, 0), user, sizeof user, &ul) < 0 ||
	    arg_value(imapp_arg(&s->pc, 1), pass, sizeof pass, &pl) < 0) {
		explicit_bzero(pass, sizeof pass);
		s->failures++;
		return say(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
		    "failed.");
	}
	st = login(s, user, ul, pass, pl, "", 0);
	explicit_bzero(pass, sizeof pass);
	return st;
}

/* AUTHENTICATE PLAIN: authzid NUL authcid NUL password (RFC 4616). */
static enum step
auth_plain(struct pre *s, const char *b64, size_t n)
{
	struct sbuf dec;
	const char *why, *p, *z1, *z2;
	enum step st;
	int authz;

	sbuf_init(&dec, IMAP_PRE_LINE_MAX);
	if (n == 1 && b64[0] == '=')
		n = 0;	/* RFC 4959 3: "=" is an empty initial response */
	if (base64_decode(b64, n, &dec, &why) < 0) {
		sbuf_fini_secret(&dec);
		return say(s, "BAD", "Invalid base64 data");
	}
	p = dec.s;
	z1 = dec.len > 0 ? memchr(p, '\0', dec.len) : NULL;
	z2 = z1 != NULL ? memchr(z1 + 1, '\0', dec.len - (size_t)(z1 + 1 - p))
	    : NULL;
	if (z1 == NULL || z2 == NULL) {
		sbuf_fini_secret(&dec);
		return say(s, "BAD", "Invalid AUTHENTICATE PLAIN message");
	}
	/* An authorization identity other than the login is refused,
	 * except from a trusted proxy (its master login, doc/proxy.md;
	 * tern-authd checks again). */
	authz = z1 != p && ((size_t)(z1 - p) != (size_t)(z2 - z1 - 1) ||
	    memcmp(p, z1 + 1, (size_t)(z1 - p)) != 0);
	if (authz && !s->p->trusted_peer) {
		sbuf_fini_secret(&dec);
		s->failures++;
		return say(s, "NO", "[AUTHORIZATIONFAILED] Authorization "
		    "identity refused.");
	}
	st = login(s, z1 + 1, (size_t)(z2 - z1 - 1), z2 + 1,
	    dec.len - (size_t)(z2 + 1 - p), p, authz ? (size_t)(z1 - p) : 0);
	sbuf_fini_secret(&dec);
	return st;
}

static enum step
do_authenticate(struct pre *s)
{
	const struct imapp_tok *mech = imapp_arg(&s->pc, 0);
	const struct imapp_tok *ir = imapp_arg(&s->pc, 1);
	struct sbuf line;
	enum step st;
	int eol, r;

	if (s->pc.nargs < 1 || s->pc.nargs > 2 || mech->type != IMAPP_T_ATOM)
		return say(s, "BAD", "AUTHENTICATE needs a mechanism");
	if (!imapp_tok_is(mech, "PLAIN"))
		return say(s, "NO", "Unsupported authentication mechanism");
	if (!plain_ok(s))
		return refuse_plain(s);
	if (ir != NULL) {
		if (ir->type != IMAPP_T_ATOM)
			return say(s, "BAD", "Invalid initial response");
		return auth_plain(s, ir->p, ir->n);
	}
	if (out(s, "+ ") < 0)
		return STEP_END;
	sbuf_init(&line, IMAP_PRE_LINE_MAX);
	r = bio_getline(s->p->b, &line, IMAP_PRE_LINE_MAX, &eol);
	if (r == BIO_TOOLONG)
		st = say(s, "BAD", "Line too long");
	else if (r != BIO_OK)
		st = STEP_END;
	else if (line.len == 1 && line.s[0] == '*')
		st = say(s, "BAD", "Authentication cancelled");
	else
		st = auth_plain(s, line.s, line.len);
	sbuf_fini_secret(&line);
	return st;
}

/* A trusted proxy's ("x-originating-ip" "IP"): kept for the login. */
static void
id_origin(struct pre *s, const struct imapp_id *id)
{
	const struct imapp_tok *k, *v;
	size_t i;

	for (i = 0; i < id->n; i++) {
		k = id->key[i];
		v = id->value[i];
		if (k == NULL || v == NULL || k->n != 16 ||
		    strncasecmp(k->p, "x-originating-ip", 16) != 0 ||
		    !imapp_tok_is_astring(v) || v->n == 0 ||
		    v->n >= sizeof s->p->origin ||
		    !sock_ip_text_valid(v->p, v->n))
			continue;
		memcpy(s->p->origin, v->p, v->n);
		s->p->origin[v->n] = '\0';
	}
}

static enum step
do_id(struct pre *s)
{
	struct imapp_id id;
	const char *why = "";

	if (s->pc.nargs != 1 ||
	    imapp_id_parse(&s->pc, imapp_arg(&s->pc, 0), &id, &why) < 0)
		return say(s, "BAD", s->pc.nargs != 1 ? "ID takes one argument" :
		    why);
	if (s->p->trusted_peer)
		id_origin(s, &id);
	if (out(s, "* ID (\"name\" \"tern\")") < 0)
		return STEP_END;
	return say(s, "OK", "ID completed");
}

static enum step
do_cmd(struct pre *s)
{
	const char *n = s->pc.name;

	if (s->pc.uid == 0 && strcmp(n, "CAPABILITY") == 0)
		return capa(s) < 0 ? STEP_END :
		    say(s, "OK", "Capability completed");
	if (s->pc.uid == 0 && strcmp(n, "NOOP") == 0)
		return say(s, "OK", "NOOP completed");
	if (s->pc.uid == 0 && strcmp(n, "LOGOUT") == 0) {
		(void)out(s, "* BYE tern IMAP server signing off");
		(void)say(s, "OK", "Logout completed");
		return STEP_END;
	}
	if (s->pc.uid == 0 && strcmp(n, "ID") == 0)
		return do_id(s);
	if (s->pc.uid == 0 && strcmp(n, "STARTTLS") == 0)
		return do_starttls(s);
	if (s->pc.uid == 0 && strcmp(n, "LOGIN") == 0)
		return do_login(s);
	if (s->pc.uid == 0 && strcmp(n, "AUTHENTICATE") == 0)
		return do_authenticate(s);
	s->errors++;
	return say(s, "BAD", "Command unknown or not valid before login");
}

static enum step
one_cmd(struct pre *s, struct sbuf *cmd)
{
	struct imapp_limits lim;
	const char *why = "";
	enum step st;
	int r;

	switch (imapd_read_cmd(&s->rd, cmd)) {
	case RD_OK:
		break;
	case RD_BAD:
		s->errors++;
		return s->errors >= IMAP_ERRORS_MAX ? STEP_END : STEP_GO;
	case RD_ERR:
		if (errno == ETIMEDOUT)
			(void)out(s, "* BYE Autologout; idle for too long");
		return STEP_END;
	case RD_EOF:
	case RD_FATAL:
		return STEP_END;
	}
	if (++s->cmds > IMAP_PREAUTH_CMDS_MAX || s->errors >= IMAP_ERRORS_MAX) {
		explicit_bzero(cmd->s, cmd->len);
		(void)out(s, "* BYE Too many commands before login");
		return STEP_END;
	}
	memset(&lim, 0, sizeof lim);
	lim.max_tokens = PRE_TOKENS_MAX;
	lim.max_depth = PRE_DEPTH_MAX;
	lim.max_literal = IMAP_PRE_LITERAL_MAX;
	r = imapp_parse(cmd->s, cmd->len, &lim, &s->pc, &why);
	if (s->pc.tag_len == 0 || s->pc.tag_len > IMAP_TAG_MAX)
		(void)strlcpy(s->tag, "*", sizeof s->tag);
	else {
		memcpy(s->tag, s->pc.tag, s->pc.tag_len);
		s->tag[s->pc.tag_len] = '\0';
	}
	if (r < 0) {
		s->errors++;
		st = say(s, "BAD", why);
	} else
		st = do_cmd(s);
	explicit_bzero(cmd->s, cmd->len);
	if (s->pc.str != NULL)	/* unescaped quoted strings: a password */
		explicit_bzero(s->pc.str, s->pc.strcap);
	return st;
}

static int
greet(struct pre *s)
{
	int offer = s->p->tls_ctx != NULL && !s->p->tls;

	return out(s, "* OK [CAPABILITY " IMAP_CAPA_COMMON "%s%s] tern IMAP "
	    "server ready", offer ? " STARTTLS" : "",
	    plain_ok(s) ? " AUTH=PLAIN" : " LOGINDISABLED");
}

static void
relay(struct pre *s)
{
	const char *rwhy = "";

	bio_set_session_timeout(s->p->b, 0);
	bio_set_timeout(s->p->b, s->p->session_ms, s->p->session_ms);
	if (login_relay(s->p->login, s->p->b, s->p->session_ms + 60000,
	    &rwhy) < 0)
		log_info("relay ended ip=%s: %s: %s", s->p->ip, rwhy,
		    strerror(errno));
	(void)bio_flush(s->p->b);
}

int
imap_preauth(struct imap_pre *p)
{
	static struct pre s;
	struct sbuf cmd, why;
	enum step st = STEP_GO;

	s.p = p;
	s.rd.b = p->b;
	s.rd.line_max = IMAP_PRE_LINE_MAX;
	s.rd.literal_max = IMAP_PRE_LITERAL_MAX;
	s.rd.cmd_max = IMAP_PRE_LINE_MAX;
	(void)strlcpy(s.tag, "*", sizeof s.tag);
	sbuf_init(&cmd, 2 * IMAP_PRE_LINE_MAX + IMAP_PRE_LITERAL_MAX);
	imapp_cmd_init(&s.pc);
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
	if (greet(&s) < 0)
		return EXIT_OK;
	while (st == STEP_GO)
		st = one_cmd(&s, &cmd);
	sbuf_fini_secret(&cmd);
	imapp_cmd_fini(&s.pc);
	if (st == STEP_OK)
		relay(&s);	/* logged in */
	if (s.tls != NULL)
		tls_conn_free(&s.tls);
	return EXIT_OK;
}
