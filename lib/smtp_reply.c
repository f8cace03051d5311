/* smtp_reply.c - SMTP reply reading and writing (see smtp_reply.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/smtp_reply.h"

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
ieq(const char *p, size_t n, const char *s)
{
	size_t i;

	if (strlen(s) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)p[i]) != lower((unsigned char)s[i]))
			return 0;
	return 1;
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof *r);
	sbuf_init(&r->text, SMTP_REPLY_TEXT_MAX);
}

void
smtp_reply_reset(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->done = 0;
	r->text_off = 0;
	memset(&r->enh, 0, sizeof r->enh);
	sbuf_reset(&r->text);
}

void
smtp_reply_fini(struct smtp_reply *r)
{
	sbuf_fini(&r->text);
	memset(r, 0, sizeof *r);
}

/* 1*3DIGIT at p[*i]; the value in *v. */
static int
enh_num(const char *p, size_t n, size_t *i, int *v)
{
	size_t start = *i;

	*v = 0;
	while (*i < n && is_digit((unsigned char)p[*i]) && *i - start < 3) {
		*v = *v * 10 + (p[*i] - '0');
		(*i)++;
	}
	return *i > start ? 0 : -1;
}

int
smtp_enh_parse(const char *p, size_t n, struct smtp_enh *e, size_t *used_r)
{
	size_t i = 2;

	memset(e, 0, sizeof *e);
	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.')
		return -1;
	e->cls = p[0] - '0';
	if (enh_num(p, n, &i, &e->subject) < 0 || i >= n || p[i] != '.')
		return -1;
	i++;
	if (enh_num(p, n, &i, &e->detail) < 0 || (i < n && p[i] != ' '))
		return -1;
	memcpy(e->str, p, i);	/* at most 1+1+3+1+3 = 9 bytes */
	e->str[i] = '\0';
	e->present = 1;
	*used_r = i;
	return 0;
}

/* Reply-code: 3 digits, 2-5, 0-5, 0-9. */
static int
reply_code(const char *p, size_t n)
{
	if (n < 3 || p[0] < '2' || p[0] > '5' || p[1] < '0' || p[1] > '5' ||
	    !is_digit((unsigned char)p[2]))
		return -1;
	return (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
}

static int
check_text(const char *p, size_t n)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)p[i];
		if ((c < 32 && c != '\t') || c == 127)
			return -1;
	}
	return 0;
}

/* Note the enhanced code at the start of the first line's text. */
static void
first_line(struct smtp_reply *r, const char *t, size_t tn)
{
	size_t used;

	if (smtp_enh_parse(t, tn, &r->enh, &used) < 0 ||
	    r->enh.cls != r->code / 100) {
		memset(&r->enh, 0, sizeof r->enh);
		return;
	}
	r->text_off = used < tn ? used + 1 : used;
}

int
smtp_reply_feed_line(struct smtp_reply *r, const char *line, size_t n,
    const char **why_r)
{
	int code, last;
	const char *t;
	size_t tn;

	if (r->done) {
		*why_r = "reply already complete";
		return SMTP_REPLY_EPROTO;
	}
	if ((code = reply_code(line, n)) < 0) {
		*why_r = "bad reply code";
		return SMTP_REPLY_EPROTO;
	}
	if (n > 3 && line[3] != ' ' && line[3] != '-') {
		*why_r = "bad reply separator";
		return SMTP_REPLY_EPROTO;
	}
	if (r->nlines > 0 && code != r->code) {
		*why_r = "reply code changed between lines";
		return SMTP_REPLY_EPROTO;
	}
	last = n == 3 || line[3] == ' ';
	t = n > 3 ? line + 4 : line + 3;
	tn = n > 3 ? n - 4 : 0;
	if (check_text(t, tn) < 0) {
		*why_r = "control character in reply text";
		return SMTP_REPLY_EPROTO;
	}
	if (r->nlines >= SMTP_REPLY_LINES_MAX) {
		*why_r = "too many reply lines";
		return SMTP_REPLY_ETOOBIG;
	}
	if ((r->nlines > 0 && sbuf_cat_c(&r->text, '\n') < 0) ||
	    sbuf_cat_n(&r->text, t, tn) < 0) {
		*why_r = errno == E2BIG ? "reply too long" : "out of memory";
		return errno == E2BIG ? SMTP_REPLY_ETOOBIG : SMTP_REPLY_ESYS;
	}
	if (r->nlines == 0) {
		r->code = code;
		first_line(r, t, tn);
	}
	r->nlines++;
	r->done = last;
	return last ? SMTP_REPLY_DONE : SMTP_REPLY_MORE;
}

static unsigned
auth_mech(const char *p, size_t n)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} mechs[] = {
		{ "PLAIN", SMTP_AUTH_PLAIN },
		{ "LOGIN", SMTP_AUTH_LOGIN },
		{ "CRAM-MD5", SMTP_AUTH_CRAM_MD5 },
		{ "SCRAM-SHA-1", SMTP_AUTH_SCRAM_SHA_1 },
		{ "SCRAM-SHA-256", SMTP_AUTH_SCRAM_SHA_256 },
		{ "XOAUTH2", SMTP_AUTH_XOAUTH2 },
		{ "EXTERNAL", SMTP_AUTH_EXTERNAL },
	};
	size_t i;

	for (i = 0; i < sizeof mechs / sizeof mechs[0]; i++)
		if (ieq(p, n, mechs[i].name))
			return mechs[i].bit;
	return 0;
}

/* The parameters of AUTH: SP-separated mechanism names. */
static void
auth_params(const char *p, size_t n, struct smtp_caps *c)
{
	size_t i = 0, j;

	while (i < n) {
		for (j = i; j < n && p[j] != ' '; j++)
			continue;
		c->auth |= auth_mech(p + i, j - i);
		i = j + 1;
	}
}

/* One ehlo-line: keyword *(SP param). */
static void
caps_line(const char *p, size_t n, struct smtp_caps *c)
{
	static const struct {
		const char	*name;
		unsigned	 bit;
	} kws[] = {
		{ "PIPELINING", SMTP_CAP_PIPELINING },
		{ "8BITMIME", SMTP_CAP_8BITMIME },
		{ "BINARYMIME", SMTP_CAP_BINARYMIME },
		{ "STARTTLS", SMTP_CAP_STARTTLS },
		{ "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
		{ "CHUNKING", SMTP_CAP_CHUNKING },
		{ "DSN", SMTP_CAP_DSN },
		{ "ENHANCEDSTATUSCODES", SMTP_CAP_ENHANCED },
	};
	size_t k, i;
	uint64_t v;

	for (k = 0; k < n && p[k] != ' ' && p[k] != '='; k++)
		continue;
	if (ieq(p, k, "AUTH")) {
		c->flags |= SMTP_CAP_AUTH;
		if (k < n)
			auth_params(p + k + 1, n - k - 1, c);
		return;
	}
	if (ieq(p, k, "SIZE") && (k == n || p[k] == ' ')) {
		c->flags |= SMTP_CAP_SIZE;
		if (k < n && scan_u64_n(p + k + 1, n - k - 1, &v) == 0)
			c->size = v;
		return;
	}
	if (k != n)
		return;	/* a known keyword with junk: ignore the line */
	for (i = 0; i < sizeof kws / sizeof kws[0]; i++)
		if (ieq(p, k, kws[i].name))
			c->flags |= kws[i].bit;
}

int
smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *c)
{
	const char *p = r->text.s;
	size_t n = r->text.len, i, j;

	memset(c, 0, sizeof *c);
	if (!r->done || r->code != 250) {
		errno = EINVAL;
		return -1;
	}
	/* Skip the first line (the server's name and greeting). */
	for (i = 0; i < n && p[i] != '\n'; i++)
		continue;
	while (i < n) {
		i++;
		for (j = i; j < n && p[j] != '\n'; j++)
			continue;
		caps_line(p + i, j - i, c);
		i = j;
	}
	return 0;
}

/* Append one line's text, escaping control bytes and DEL. */
static int
fmt_text(struct sbuf *out, const char *t, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = { '\\', 'x', 0, 0 };
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)t[i];
		if ((c >= 32 && c != 127) || c == '\t') {
			if (sbuf_cat_c(out, c) < 0)
				return -1;
			continue;
		}
		e[2] = hex[c >> 4];
		e[3] = hex[c & 0x0f];
		if (sbuf_cat_n(out, e, 4) < 0)
			return -1;
	}
	return 0;
}

static int
fmt_check(int code, const char *enh)
{
	struct smtp_enh e;
	size_t used;

	if (code < 200 || code > 599 || (code / 10) % 10 > 5)
		return -1;
	if (enh != NULL && (smtp_enh_parse(enh, strlen(enh), &e, &used) < 0 ||
	    used != strlen(enh) || e.cls != code / 100))
		return -1;
	return 0;
}

static int
fmt_line(struct sbuf *out, int code, const char *enh, const char *t,
    size_t n, int last)
{
	size_t start = out->len;

	if (sbuf_printf(out, "%03d", code) < 0)
		return -1;
	/* Reply-code [SP textstring]: no SP before nothing on the last. */
	if ((!last || enh != NULL || n > 0) &&
	    sbuf_cat_c(out, last ? ' ' : '-') < 0)
		return -1;
	if (enh != NULL && (sbuf_cat_s(out, enh) < 0 ||
	    (n > 0 && sbuf_cat_c(out, ' ') < 0)))
		return -1;
	if (fmt_text(out, t, n) < 0 || sbuf_cat_n(out, "\r\n", 2) < 0)
		return -1;
	if (out->len - start > SMTP_REPLY_OUT_LINE_MAX) {
		errno = E2BIG;
		return -1;
	}
	return 0;
}

int
smtp_reply_fmt(struct sbuf *out, int code, const char *enh, const char *text)
{
	size_t old = out->len, n, i = 0, j;

	if (fmt_check(code, enh) < 0) {
		errno = EINVAL;
		return -1;
	}
	if (text == NULL)
		text = "";
	n = strlen(text);
	if (n > 0 && text[n - 1] == '\n')
		n--;
	for (;;) {
		for (j = i; j < n && text[j] != '\n'; j++)
			continue;
		if (fmt_line(out, code, enh, text + i, j - i, j == n) < 0) {
			sbuf_truncate(out, old);
			return -1;
		}
		if (j == n)
			break;
		i = j + 1;
	}
	return 0;
}
