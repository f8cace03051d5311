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
#include "lib/log.h"
#include "lib/login.h"
#include "lib/sbuf.h"
#include "lib/tls.h"

#include "imapd/imapd.h"

#define TLS_HANDSHAKE_MS	30000
#define PRE_READ_MS		30000	/* one command line before login */
#define PRE_ARGS_MAX		8	/* arguments looked at before login */

enum step { STEP_GO, STEP_END, STEP_OK };

struct pre {
	struct imap_pre	*p;
	struct tls_conn	*tls;
	struct imapd_reader rd;
	char		 tag[IMAP_TAG_MAX + 1];
	uint64_t	 failures;
	int		 errors, cmds;
};

/* One argument of a pre-auth command: the bytes of an atom, a quoted
 * string (still escaped: q = 1) or a literal; '(' for a list (skipped). */
struct pre_arg {
	const char	*p;
	size_t		 n;
	int		 q;
	int		 list;
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

/* ---- the few arguments the pre-auth state reads ---- */

static int
pre_quoted(const char **pp, const char *end, struct pre_arg *a)
{
	const char *p = *pp + 1;

	a->p = p;
	a->q = 1;
	while (p < end && *p != '"') {
		if (*p == '\\') {
			if (p + 1 >= end || (p[1] != '"' && p[1] != '\\'))
				return -1;
			p++;
		}
		if (*p == '\r' || *p == '\n')
			return -1;
		p++;
	}
	if (p >= end)
		return -1;
	a->n = (size_t)(p - a->p);
	*pp = p + 1;
	return 0;
}

static int
pre_literal(const char **pp, const char *end, struct pre_arg *a)
{
	const char *p = *pp + 1;
	uint64_t n = 0;

	while (p < end && *p >= '0' && *p <= '9' && n < IMAP_PRE_LITERAL_MAX)
		n = n * 10 + (uint64_t)(*p++ - '0');
	if (p < end && *p == '+')
		p++;
	if (end - p < 3 || p[0] != '}' || p[1] != '\r' || p[2] != '\n' ||
	    (uint64_t)(end - p - 3) < n)
		return -1;
	a->p = p + 3;
	a->n = (size_t)n;
	*pp = p + 3 + n;
	return 0;
}

/* Skip a parenthesised list (ID's), nested at most a few levels. */
static int
pre_list(const char **pp, const char *end, struct pre_arg *a)
{
	const char *p = *pp;
	struct pre_arg x;
	int depth = 0;

	a->list = 1;
	while (p < end) {
		if (*p == '(') {
			if (++depth > 4)
				return -1;
			p++;
		} else if (*p == ')') {
			p++;
			if (--depth == 0)
				break;
		} else if (*p == ' ') {
			p++;
		} else if (*p == '"') {
			if (pre_quoted(&p, end, &x) < 0)
				return -1;
		} else if (*p == '{') {
			if (pre_literal(&p, end, &x) < 0)
				return -1;
		} else {
			p++;
		}
	}
	if (depth != 0)
		return -1;
	*pp = p;
	return 0;
}

/* Split "tag name args..." (the tag was checked by the caller). */
static int
pre_split(const char *p, const char *end, const char **name_r,
    size_t *nlen_r, struct pre_arg *args, size_t *nargs_r)
{
	const char *q;
	size_t n = 0;

	*name_r = p;
	while (p < end && *p != ' ')
		p++;
	*nlen_r = (size_t)(p - *name_r);
	while (p < end) {
		if (*p++ != ' ' || p >= end || n >= PRE_ARGS_MAX)
			return -1;
		memset(&args[n], 0, sizeof args[n]);
		if (*p == '"') {
			if (pre_quoted(&p, end, &args[n]) < 0)
				return -1;
		} else if (*p == '{') {
			if (pre_literal(&p, end, &args[n]) < 0)
				return -1;
		} else if (*p == '(') {
			if (pre_list(&p, end, &args[n]) < 0)
				return -1;
		} else {
			q = p;
			while (p < end && *p != ' ' && *p != '(' &&
			    *p != ')' && *p != '"' && *p != '{')
				p++;
			if (p == q || (p < end && *p != ' '))
				return -1;
			args[n].p = q;
			args[n].n = (size_t)(p - q);
		}
		n++;
	}
	*nargs_r = n;
	return 0;
}

/* The value of an astring argument, unescaped, into out. */
static int
pre_value(const struct pre_arg *a, char *out_buf, size_t size, size_t *len_r)
{
	size_t i, o = 0;

	if (a->list)
		return -1;
	for (i = 0; i < a->n; i++) {
		if (a->q && a->p[i] == '\\')
			i++;
		if (o >= size)
			return -1;
		out_buf[o++] = a->p[i];
	}
	*len_r = o;
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
    size_t plen)
{
	struct login_req q;
	int a;

	memset(&q, 0, sizeof q);
	if (ulen == 0 || ulen > LOGIN_USER_MAX || plen > LOGIN_PASS_MAX ||
	    memchr(user, '\0', ulen) != NULL ||
	    memchr(pass, '\0', plen) != NULL) {
		a = LOGIN_FAIL;
	} else {
		memcpy(q.user, user, ulen);
		q.user_len = ulen;
		memcpy(q.pass, pass, plen);
		q.pass_len = plen;
		q.tls = s->p->tls;
		(void)strlcpy(q.tag, s->tag, sizeof q.tag);	/* fits */
		a = login_ask(s->p->login, &q, AUTHC_TIMEOUT_MS + 5000);
	}
	explicit_bzero(&q, sizeof q);
	switch (a) {
	case LOGIN_OK:
		return STEP_OK;		/* the worker answers */
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
	case LOGIN_TEMPFAIL:
		return say(s, "NO", "[UNAVAILABLE] Authentication temporarily "
		    "unavailable, try again later");
	}
	return STEP_END;	/* the monitor is gone */
}

static enum step
do_login(struct pre *s, const struct pre_arg *args, size_t nargs)
{
	char user[LOGIN_USER_MAX + 1], pass[LOGIN_PASS_MAX + 1];
	size_t ul, pl;
	enum step st;

	if (nargs != 2)
		return say(s, "BAD", "LOGIN needs a user name and a password");
	if (!plain_ok(s))
		return refuse_plain(s);
	if (pre_value(&args[0], user, sizeof user, &ul) < 0 ||
	    pre_value(&args[1], pass, sizeof pass, &pl) < 0) {
		explicit_bzero(pass, sizeof pass);
		s->failures++;
		return say(s, "NO", "[AUTHENTICATIONFAILED] Authentication "
		    "failed.");
	}
	st = login(s, user, ul, pass, pl);
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
	/* An authorization identity other than the login is refused. */
	if (z1 != p && ((size_t)(z1 - p) != (size_t)(z2 - z1 - 1) ||
	    memcmp(p, z1 + 1, (size_t)(z1 - p)) != 0)) {
		sbuf_fini_secret(&dec);
		s->failures++;
		return say(s, "NO", "[AUTHORIZATIONFAILED] Authorization "
		    "identity refused.");
	}
	st = login(s, z1 + 1, (size_t)(z2 - z1 - 1), z2 + 1,
	    dec.len - (size_t)(z2 + 1 - p));
	sbuf_fini_secret(&dec);
	return st;
}

static enum step
do_authenticate(struct pre *s, const struct pre_arg *args, size_t nargs)
{
	struct sbuf line;
	enum step st;
	int eol, r;

	if (nargs < 1 || nargs > 2 || args[0].list)
		return say(s, "BAD", "AUTHENTICATE needs a mechanism");
	if (args[0].n != 5 || strncasecmp(args[0].p, "PLAIN", 5) != 0)
		return say(s, "NO", "Unsupported authentication mechanism");
	if (!plain_ok(s))
		return refuse_plain(s);
	if (nargs == 2) {
		if (args[1].q || args[1].list)
			return say(s, "BAD", "Invalid initial response");
		return auth_plain(s, args[1].p, args[1].n);
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

static int
is_cmd(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

static enum step
do_cmd(struct pre *s, const char *name, size_t n, const struct pre_arg *args,
    size_t nargs)
{
	if (is_cmd(name, n, "CAPABILITY"))
		return capa(s) < 0 ? STEP_END :
		    say(s, "OK", "Capability completed");
	if (is_cmd(name, n, "NOOP"))
		return say(s, "OK", "NOOP completed");
	if (is_cmd(name, n, "LOGOUT")) {
		(void)out(s, "* BYE tern IMAP server signing off");
		(void)say(s, "OK", "Logout completed");
		return STEP_END;
	}
	if (is_cmd(name, n, "ID"))
		return out(s, "* ID (\"name\" \"tern\")") < 0 ? STEP_END :
		    say(s, "OK", "ID completed");
	if (is_cmd(name, n, "STARTTLS"))
		return do_starttls(s);
	if (is_cmd(name, n, "LOGIN"))
		return do_login(s, args, nargs);
	if (is_cmd(name, n, "AUTHENTICATE"))
		return do_authenticate(s, args, nargs);
	s->errors++;
	return say(s, "BAD", "Command unknown or not valid before login");
}

static enum step
one_cmd(struct pre *s, struct sbuf *cmd)
{
	struct pre_arg args[PRE_ARGS_MAX];
	const char *name;
	size_t t, n, nargs = 0;
	enum step st;

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
	t = imapd_tag_len(cmd->s, cmd->len);
	if (t == 0 || t + 1 >= cmd->len) {
		s->errors++;
		memcpy(s->tag, t ? cmd->s : "*", t ? t : 1);
		s->tag[t ? t : 1] = '\0';
		explicit_bzero(cmd->s, cmd->len);
		return say(s, "BAD", "Missing tag or command");
	}
	memcpy(s->tag, cmd->s, t);
	s->tag[t] = '\0';
	if (pre_split(cmd->s + t + 1, cmd->s + cmd->len, &name, &n, args,
	    &nargs) < 0) {
		s->errors++;
		st = say(s, "BAD", "Invalid arguments");
	} else
		st = do_cmd(s, name, n, args, nargs);
	explicit_bzero(cmd->s, cmd->len);
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
	if (st == STEP_OK)
		relay(&s);	/* logged in */
	if (s.tls != NULL)
		tls_conn_free(&s.tls);
	return EXIT_OK;
}
