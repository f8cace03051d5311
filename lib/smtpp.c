/* smtpp.c - SMTP command parsing and xtext (see smtpp.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/base64.h"
#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/smtpp.h"

static const struct {
	const char	*name;
	enum smtp_verb	 verb;
} verbs[] = {
	{ "HELO", SMTP_VERB_HELO },
	{ "EHLO", SMTP_VERB_EHLO },
	{ "LHLO", SMTP_VERB_LHLO },
	{ "MAIL", SMTP_VERB_MAIL },
	{ "RCPT", SMTP_VERB_RCPT },
	{ "DATA", SMTP_VERB_DATA },
	{ "BDAT", SMTP_VERB_BDAT },
	{ "RSET", SMTP_VERB_RSET },
	{ "NOOP", SMTP_VERB_NOOP },
	{ "QUIT", SMTP_VERB_QUIT },
	{ "VRFY", SMTP_VERB_VRFY },
	{ "EXPN", SMTP_VERB_EXPN },
	{ "HELP", SMTP_VERB_HELP },
	{ "STARTTLS", SMTP_VERB_STARTTLS },
	{ "AUTH", SMTP_VERB_AUTH },
};

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
is_alnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static int
is_uhex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* p[0..n) equals the C string s, ASCII case-insensitively. */
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

const char *
smtpp_verb_name(enum smtp_verb v)
{
	size_t i;

	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

/*
 * xtext.  One unit at p[*i]: a plain xchar or "+XX".  Returns 0 and the
 * byte, or -1.
 */
static int
xtext_next(const char *p, size_t n, size_t *i, unsigned char *c,
    const char **why_r)
{
	unsigned char ch = (unsigned char)p[*i];
	int hi, lo;

	if (ch == '+') {
		if (n - *i < 3 || !is_uhex((unsigned char)p[*i + 1]) ||
		    !is_uhex((unsigned char)p[*i + 2])) {
			*why_r = "bad xtext hex escape";
			return -1;
		}
		hi = (unsigned char)p[*i + 1];
		lo = (unsigned char)p[*i + 2];
		hi = hi <= '9' ? hi - '0' : hi - 'A' + 10;
		lo = lo <= '9' ? lo - '0' : lo - 'A' + 10;
		ch = (unsigned char)(hi * 16 + lo);
		*i += 2;
	} else if (ch < '!' || ch > '~' || ch == '=') {
		*why_r = "bad xtext character";
		return -1;
	}
	*c = ch;
	*i += 1;
	return 0;
}

/* Decode into dst (at most max bytes). */
static int
xtext_decode_buf(const char *p, size_t n, char *dst, size_t max,
    size_t *len_r, const char **why_r)
{
	size_t i = 0, k = 0;
	unsigned char c;

	while (i < n) {
		if (xtext_next(p, n, &i, &c, why_r) < 0)
			return -1;
		if (k >= max) {
			*why_r = "xtext value too long";
			return -1;
		}
		dst[k++] = (char)c;
	}
	*len_r = k;
	return 0;
}

int
smtpp_xtext_decode(const char *p, size_t n, struct sbuf *out,
    const char **why_r)
{
	size_t i = 0;
	unsigned char c;

	sbuf_reset(out);
	while (i < n) {
		if (xtext_next(p, n, &i, &c, why_r) < 0) {
			errno = EINVAL;
			return -1;
		}
		if (sbuf_cat_c(out, c) < 0) {
			*why_r = "decoded xtext too long";
			return -1;
		}
	}
	return 0;
}

int
smtpp_xtext_encode(const void *p, size_t n, struct sbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *q = p;
	char e[3];
	size_t i;

	for (i = 0; i < n; i++) {
		if (q[i] >= '!' && q[i] <= '~' && q[i] != '+' && q[i] != '=') {
			if (sbuf_cat_c(out, q[i]) < 0)
				return -1;
			continue;
		}
		e[0] = '+';
		e[1] = hex[q[i] >> 4];
		e[2] = hex[q[i] & 0x0f];
		if (sbuf_cat_n(out, e, 3) < 0)
			return -1;
	}
	return 0;
}

/* 1*(%d32-126): the VRFY/EXPN/NOOP/HELP string. */
static int
check_string(const char *p, size_t n, const char **why_r)
{
	size_t i;
	int rc = SMTPP_OK;

	if (n == 0) {
		*why_r = "empty argument";
		rc = SMTPP_ESYNTAX;
	}
	for (i = 0; i < n && rc == SMTPP_OK; i++) {
		if ((unsigned char)p[i] < 32 || (unsigned char)p[i] > 126) {
			*why_r = "bad character in argument";
			rc = SMTPP_ESYNTAX;
		}
	}
	return rc;
}

/* "[a.b.c.d]" or "[IPv6:...]". */
static int
check_literal(const char *p, size_t n, const char **why_r)
{
	char buf[64];
	unsigned char bin[16];
	int af = AF_INET, rc = SMTPP_OK;

	if (n < 3 || p[0] != '[' || p[n - 1] != ']') {
		*why_r = "bad address literal";
		return SMTPP_ESYNTAX;
	}
	p++;
	n -= 2;
	if (n > 5 && ieq(p, 5, "IPv6:")) {
		af = AF_INET6;
		p += 5;
		n -= 5;
	}
	if (n == 0 || n >= sizeof buf) {
		*why_r = "bad address literal";
		rc = SMTPP_ESYNTAX;
	} else {
		memcpy(buf, p, n);
		buf[n] = '\0';
		if (inet_pton(af, buf, bin) != 1) {
			*why_r = "bad address literal";
			rc = SMTPP_ESYNTAX;
		}
	}
	return rc;
}

/*
 * A HELO name outside the Domain grammar that real clients send: a
 * Windows machine name with '_' ("my_pc"), a name with its root dot
 * ("host.example.").  Postfix takes any name by default, Exim with
 * helo_allow_chars = _; refusing them locked such clients out of
 * submission.  Labels of LDH and '_', none empty but a final dot.
 */
static int
helo_name_loose(const char *p, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > ADDR_DOMAIN_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')
			label++;
		else
			return 0;
	}
	return label > 0 || n > 1;
}

static int
parse_helo(const char *p, size_t n, struct smtp_cmd *out, const char **why_r)
{
	int rc;

	if (n > 0 && p[0] == '[') {
		rc = check_literal(p, n, why_r);
		out->arg_is_literal = 1;
	} else if (addr_parse_domain(p, n, 0, why_r) != ADDR_OK &&
	    !helo_name_loose(p, n)) {
		rc = SMTPP_ESYNTAX;
	} else
		rc = SMTPP_OK;
	if (rc == SMTPP_OK) {
		out->arg = p;
		out->arg_len = n;
	}
	return rc;
}

static int
parse_size(const char *v, size_t vn, uint64_t *r, const char **why_r)
{
	size_t i;

	for (i = 0; i < vn; i++)
		if (v[i] < '0' || v[i] > '9')
			break;
	if (vn == 0 || i < vn) {
		*why_r = "bad SIZE value";
		return SMTPP_EPARAMVAL;
	}
	if (scan_u64_n(v, vn, r) < 0)
		*r = UINT64_MAX;	/* all digits, too big: saturate, 552 */
	return SMTPP_OK;
}

static int
parse_auth_param(const char *v, size_t vn, struct smtp_cmd *out,
    const char **why_r)
{
	char buf[ADDR_PATH_MAX];
	size_t len;

	if (xtext_decode_buf(v, vn, buf, sizeof buf, &len, why_r) < 0)
		return SMTPP_EPARAMVAL;
	if (len == 2 && buf[0] == '<' && buf[1] == '>') {
		memset(&out->auth, 0, sizeof out->auth);
		out->auth.is_null = 1;
	} else if (addr_parse(buf, len, ADDR_UTF8, &out->auth, why_r) !=
	    ADDR_OK)
		return SMTPP_EPARAMVAL;
	return SMTPP_OK;
}

static int
parse_envid(const char *v, size_t vn, struct smtp_cmd *out,
    const char **why_r)
{
	size_t i;

	if (vn == 0 || xtext_decode_buf(v, vn, out->envid, SMTPP_ENVID_MAX,
	    &out->envid_len, why_r) < 0) {
		if (vn == 0)
			*why_r = "empty ENVID";
		return SMTPP_EPARAMVAL;
	}
	out->envid[out->envid_len] = '\0';
	for (i = 0; i < out->envid_len; i++) {
		if ((unsigned char)out->envid[i] < 32 ||
		    (unsigned char)out->envid[i] > 126) {
			*why_r = "ENVID is not printable ASCII";
			return SMTPP_EPARAMVAL;
		}
	}
	return SMTPP_OK;
}

static int
parse_mail_param(const char *k, size_t kn, const char *v, size_t vn,
    int has_v, struct smtp_cmd *out, const char **why_r)
{
	unsigned bit;
	int rc = SMTPP_OK;

	if (ieq(k, kn, "SIZE"))
		bit = SMTPP_P_SIZE;
	else if (ieq(k, kn, "BODY"))
		bit = SMTPP_P_BODY;
	else if (ieq(k, kn, "SMTPUTF8"))
		bit = SMTPP_P_SMTPUTF8;
	else if (ieq(k, kn, "AUTH"))
		bit = SMTPP_P_AUTH;
	else if (ieq(k, kn, "RET"))
		bit = SMTPP_P_RET;
	else if (ieq(k, kn, "ENVID"))
		bit = SMTPP_P_ENVID;
	else {
		*why_r = "unknown MAIL parameter";
		return SMTPP_EPARAM;
	}
	if (out->params & bit) {
		*why_r = "duplicate MAIL parameter";
		return SMTPP_EPARAMVAL;
	}
	out->params |= bit;
	if (has_v != (bit != SMTPP_P_SMTPUTF8)) {
		*why_r = has_v ? "parameter takes no value" :
		    "parameter needs a value";
		return SMTPP_EPARAMVAL;
	}
	switch (bit) {
	case SMTPP_P_SIZE:
		rc = parse_size(v, vn, &out->size, why_r);
		break;
	case SMTPP_P_BODY:
		if (ieq(v, vn, "7BIT"))
			out->body = SMTP_BODY_7BIT;
		else if (ieq(v, vn, "8BITMIME"))
			out->body = SMTP_BODY_8BITMIME;
		else if (ieq(v, vn, "BINARYMIME"))
			out->body = SMTP_BODY_BINARYMIME;
		else {
			*why_r = "bad BODY value";
			rc = SMTPP_EPARAMVAL;
		}
		break;
	case SMTPP_P_AUTH:
		rc = parse_auth_param(v, vn, out, why_r);
		break;
	case SMTPP_P_RET:
		if (ieq(v, vn, "FULL"))
			out->ret = SMTP_RET_FULL;
		else if (ieq(v, vn, "HDRS"))
			out->ret = SMTP_RET_HDRS;
		else {
			*why_r = "bad RET value";
			rc = SMTPP_EPARAMVAL;
		}
		break;
	case SMTPP_P_ENVID:
		rc = parse_envid(v, vn, out, why_r);
		break;
	default:
		break;	/* SMTPUTF8: nothing more */
	}
	return rc;
}

static int
parse_notify(const char *v, size_t vn, struct smtp_cmd *out,
    const char **why_r)
{
	size_t i = 0, j;
	unsigned bit;

	for (;;) {
		for (j = i; j < vn && v[j] != ','; j++)
			continue;
		if (ieq(v + i, j - i, "NEVER"))
			bit = SMTPP_NOTIFY_NEVER;
		else if (ieq(v + i, j - i, "SUCCESS"))
			bit = SMTPP_NOTIFY_SUCCESS;
		else if (ieq(v + i, j - i, "FAILURE"))
			bit = SMTPP_NOTIFY_FAILURE;
		else if (ieq(v + i, j - i, "DELAY"))
			bit = SMTPP_NOTIFY_DELAY;
		else {
			*why_r = "bad NOTIFY value";
			return SMTPP_EPARAMVAL;
		}
		if (out->notify & bit) {
			*why_r = "repeated NOTIFY value";
			return SMTPP_EPARAMVAL;
		}
		out->notify |= bit;
		if (j == vn)
			break;
		i = j + 1;
	}
	if ((out->notify & SMTPP_NOTIFY_NEVER) &&
	    out->notify != SMTPP_NOTIFY_NEVER) {
		*why_r = "NOTIFY=NEVER with other values";
		return SMTPP_EPARAMVAL;
	}
	return SMTPP_OK;
}

/* Whether p[0..n) is printable ASCII: what the envelope keeps. */
static int
is_print_ascii(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * ORCPT=addr-type;xtext (RFC 3461 4.2).  The value must be well-formed
 * xtext of at most SMTPP_ORCPT_MAX bytes, or the parameter is refused.
 * What it says is not checked as an address: RFC 3461 says it need not
 * follow its type's syntax ("rfc822;fred" from a sendmail that had no
 * domain), and relays pass on what they were given, so refusing the
 * recipient for it would refuse mail.  An rfc822 value of printable
 * ASCII is kept; a utf-8 one (RFC 6533) is kept when it is ASCII; any
 * other value or type is dropped (orcpt_len 0): the DSN then has no
 * Original-Recipient, the mail goes on.
 */
static int
parse_orcpt(const char *v, size_t vn, struct smtp_cmd *out,
    const char **why_r)
{
	size_t i, k;
	int keep;

	for (i = 0; i < vn && v[i] != ';'; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') ||
		    (v[i] >= 'A' && v[i] <= 'Z') ||
		    (v[i] >= '0' && v[i] <= '9') || v[i] == '-'))
			break;
	if (i == 0 || i == vn || v[i] != ';' || i + 1 == vn) {
		*why_r = "ORCPT is not addr-type;address";
		return SMTPP_EPARAMVAL;
	}
	if (xtext_decode_buf(v + i + 1, vn - i - 1, out->orcpt,
	    SMTPP_ORCPT_MAX, &out->orcpt_len, why_r) < 0)
		return SMTPP_EPARAMVAL;
	keep = ieq(v, i, "rfc822") || ieq(v, i, "utf-8");
	/* utf-8-addr-xtext writes a non-ASCII character as \x{HEX}: such a
	 * value is not ASCII, and is dropped like one. */
	for (k = 0; keep && k + 2 < out->orcpt_len; k++)
		if (ieq(v, i, "utf-8") && out->orcpt[k] == '\\' &&
		    out->orcpt[k + 1] == 'x' && out->orcpt[k + 2] == '{')
			keep = 0;
	if (!keep || !is_print_ascii(out->orcpt, out->orcpt_len))
		out->orcpt_len = 0;
	out->orcpt[out->orcpt_len] = '\0';
	return SMTPP_OK;
}

static int
parse_rcpt_param(const char *k, size_t kn, const char *v, size_t vn,
    int has_v, struct smtp_cmd *out, const char **why_r)
{
	unsigned bit;
	int rc;

	if (ieq(k, kn, "NOTIFY"))
		bit = SMTPP_P_NOTIFY;
	else if (ieq(k, kn, "ORCPT"))
		bit = SMTPP_P_ORCPT;
	else {
		*why_r = "unknown RCPT parameter";
		return SMTPP_EPARAM;
	}
	if (out->params & bit) {
		*why_r = "duplicate RCPT parameter";
		return SMTPP_EPARAMVAL;
	}
	out->params |= bit;
	if (!has_v) {
		*why_r = "parameter needs a value";
		return SMTPP_EPARAMVAL;
	}
	if (bit == SMTPP_P_NOTIFY)
		rc = parse_notify(v, vn, out, why_r);
	else
		rc = parse_orcpt(v, vn, out, why_r);
	return rc;
}

/* esmtp-keyword ["=" esmtp-value]; split at the first '='. */
static int
split_param(const char *p, size_t n, size_t *kn, const char **v, size_t *vn,
    int *has_v, const char **why_r)
{
	size_t i;

	for (i = 0; i < n && p[i] != '='; i++) {
		if (!is_alnum((unsigned char)p[i]) && (i == 0 || p[i] != '-')) {
			*why_r = "bad parameter keyword";
			return SMTPP_ESYNTAX;
		}
	}
	if (i == 0) {
		*why_r = "empty parameter keyword";
		return SMTPP_ESYNTAX;
	}
	*kn = i;
	*has_v = i < n;
	*v = *has_v ? p + i + 1 : p + n;
	*vn = *has_v ? n - i - 1 : 0;
	if (*has_v && *vn == 0) {
		*why_r = "empty parameter value";
		return SMTPP_ESYNTAX;
	}
	for (i = 0; i < *vn; i++) {
		unsigned char c = (unsigned char)(*v)[i];

		if (c < 33 || c > 126 || c == '=') {
			*why_r = "bad character in parameter value";
			return SMTPP_ESYNTAX;
		}
	}
	return SMTPP_OK;
}

/* Mail-parameters / Rcpt-parameters: *(SP esmtp-param), p[0] is SP. */
static int
parse_params(const char *p, size_t n, struct smtp_cmd *out,
    const char **why_r)
{
	size_t i = 0, j, kn, vn;
	const char *v;
	int has_v, rc = SMTPP_OK;

	while (i < n && rc == SMTPP_OK) {
		if (p[i] != ' ') {
			*why_r = "junk after address";
			return SMTPP_ESYNTAX;
		}
		while (i < n && p[i] == ' ')
			i++;	/* more than one SP between parameters: taken */
		for (j = i; j < n && p[j] != ' '; j++)
			continue;
		rc = split_param(p + i, j - i, &kn, &v, &vn, &has_v, why_r);
		if (rc != SMTPP_OK)
			break;
		if (out->verb == SMTP_VERB_MAIL)
			rc = parse_mail_param(p + i, kn, v, vn, has_v, out,
			    why_r);
		else
			rc = parse_rcpt_param(p + i, kn, v, vn, has_v, out,
			    why_r);
		i = j;
	}
	return rc;
}

static int
addr_rc(int arc)
{
	return arc == ADDR_EUTF8 ? SMTPP_EUTF8 : SMTPP_EADDR;
}

/* "FROM:" / "TO:" [SP] Path *(SP param). */
static int
parse_mail_rcpt(const char *p, size_t n, unsigned flags, struct smtp_cmd *out,
    const char **why_r)
{
	int is_mail = out->verb == SMTP_VERB_MAIL;
	const char *kw = is_mail ? "FROM:" : "TO:";
	size_t kl = strlen(kw), used = 0;
	unsigned aflags;
	int rc, utf8;

	if (n < kl || !ieq(p, kl, kw)) {
		*why_r = is_mail ? "expected MAIL FROM:<path>" :
		    "expected RCPT TO:<path>";
		return SMTPP_ESYNTAX;
	}
	p += kl;
	n -= kl;
	if (n > 0 && p[0] == ' ') {
		p++;
		n--;
	}
	/* MAIL: the SMTPUTF8 parameter comes after the path: parse with
	 * UTF-8 allowed and check once the parameters are known. */
	aflags = is_mail ? ADDR_NULL_OK | ADDR_UTF8 : ADDR_POSTMASTER_OK |
	    ((flags & SMTPP_F_UTF8) ? ADDR_UTF8 : 0);
	rc = addr_parse_path(p, n, aflags, &out->path, &used, why_r);
	if (rc != ADDR_OK)
		return addr_rc(rc);
	rc = parse_params(p + used, n - used, out, why_r);
	if (rc != SMTPP_OK)
		return rc;
	utf8 = is_mail ? (out->params & SMTPP_P_SMTPUTF8) != 0 :
	    (flags & SMTPP_F_UTF8) != 0;
	if (!utf8 && (out->path.is_utf8 || out->auth.is_utf8)) {
		*why_r = "non-ASCII address without SMTPUTF8";
		return SMTPP_EUTF8;
	}
	return SMTPP_OK;
}

static int
parse_bdat(const char *p, size_t n, struct smtp_cmd *out, const char **why_r)
{
	size_t i;

	for (i = 0; i < n && p[i] != ' '; i++)
		continue;
	if (scan_u64_n(p, i, &out->chunk_size) < 0) {
		*why_r = errno == ERANGE ? "BDAT size too large" :
		    "bad BDAT size";
		return SMTPP_ESYNTAX;
	}
	if (i < n) {
		if (!ieq(p + i + 1, n - i - 1, "LAST")) {
			*why_r = "expected BDAT size [LAST]";
			return SMTPP_ESYNTAX;
		}
		out->last = 1;
	}
	return SMTPP_OK;
}

static int
parse_auth(const char *p, size_t n, struct smtp_cmd *out, const char **why_r)
{
	size_t i;

	for (i = 0; i < n && p[i] != ' '; i++) {
		if (!is_alnum((unsigned char)p[i]) && p[i] != '-' &&
		    p[i] != '_') {
			*why_r = "bad SASL mechanism name";
			return SMTPP_ESYNTAX;
		}
	}
	if (i == 0 || i > SMTPP_MECH_MAX) {
		*why_r = "bad SASL mechanism name";
		return SMTPP_ESYNTAX;
	}
	out->mech = p;
	out->mech_len = i;
	if (i < n) {
		p += i + 1;
		n -= i + 1;
		if (n == 0) {
			*why_r = "empty initial response";
			return SMTPP_ESYNTAX;
		}
		if (!(n == 1 && p[0] == '=') && base64_check(p, n, why_r) < 0)
			return SMTPP_ESYNTAX;
		out->has_initial = 1;
		out->initial = p;
		out->initial_len = p[0] == '=' ? 0 : n;
	}
	return SMTPP_OK;
}

/* Does the verb take an argument: 0 never, 1 optional, 2 required? */
static int
verb_arity(enum smtp_verb v)
{
	int arity = 2;

	switch (v) {
	case SMTP_VERB_DATA:
	case SMTP_VERB_RSET:
	case SMTP_VERB_QUIT:
	case SMTP_VERB_STARTTLS:
		arity = 0;
		break;
	case SMTP_VERB_NOOP:
	case SMTP_VERB_HELP:
		arity = 1;
		break;
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
	case SMTP_VERB_LHLO:
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RCPT:
	case SMTP_VERB_BDAT:
	case SMTP_VERB_AUTH:
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
		break;
	}
	return arity;
}

/* Parse a present argument of out->verb. */
static int
parse_arg(const char *arg, size_t n, unsigned flags, struct smtp_cmd *out,
    const char **why_r)
{
	int rc = SMTPP_ESYNTAX;

	switch (out->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
	case SMTP_VERB_LHLO:
		rc = parse_helo(arg, n, out, why_r);
		break;
	case SMTP_VERB_MAIL:
	case SMTP_VERB_RCPT:
		rc = parse_mail_rcpt(arg, n, flags, out, why_r);
		break;
	case SMTP_VERB_BDAT:
		rc = parse_bdat(arg, n, out, why_r);
		break;
	case SMTP_VERB_AUTH:
		rc = parse_auth(arg, n, out, why_r);
		break;
	case SMTP_VERB_NOOP:
	case SMTP_VERB_HELP:
	case SMTP_VERB_VRFY:
	case SMTP_VERB_EXPN:
		rc = check_string(arg, n, why_r);
		if (rc == SMTPP_OK) {
			out->arg = arg;
			out->arg_len = n;
		}
		break;
	case SMTP_VERB_DATA:
	case SMTP_VERB_RSET:
	case SMTP_VERB_QUIT:
	case SMTP_VERB_STARTTLS:
		*why_r = "command takes no argument";
		break;
	}
	return rc;
}

int
smtpp_parse_cmd(const char *line, size_t len, unsigned flags,
    struct smtp_cmd *out, const char **why_r)
{
	size_t i, vl;
	const char *arg = NULL;
	int rc;

	memset(out, 0, sizeof *out);
	for (i = 0; i < len; i++) {
		if (line[i] == '\0' || line[i] == '\r' || line[i] == '\n') {
			*why_r = "NUL or bare CR/LF in command";
			return SMTPP_EBADCHAR;
		}
	}
	/*
	 * Trailing blanks are dropped, as Postfix and Exim do: some clients
	 * end "MAIL FROM:<a@b.example> " or "QUIT " with one, and no
	 * argument means anything else for it.
	 */
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	for (vl = 0; vl < len && line[vl] != ' '; vl++)
		continue;
	for (i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (ieq(line, vl, verbs[i].name))
			break;
	if (i == sizeof verbs / sizeof verbs[0]) {
		*why_r = "unrecognised command";
		return SMTPP_EUNKNOWN;
	}
	out->verb = verbs[i].verb;
	if (vl < len)
		arg = line + vl + 1;
	if (arg == NULL && verb_arity(out->verb) == 2) {
		*why_r = "argument required";
		rc = SMTPP_ESYNTAX;
	} else if (arg == NULL)
		rc = SMTPP_OK;
	else
		rc = parse_arg(arg, len - vl - 1, flags, out, why_r);
	return rc;
}

void
smtpp_reply(int rc, enum smtp_verb verb, int *code_r, const char **enh_r)
{
	switch (rc) {
	case SMTPP_OK:
		*code_r = 250;
		*enh_r = "2.0.0";
		break;
	case SMTPP_EUNKNOWN:
		*code_r = 500;
		*enh_r = "5.5.1";
		break;
	case SMTPP_EBADCHAR:
		*code_r = 500;
		*enh_r = "5.5.2";
		break;
	case SMTPP_EADDR:
		*code_r = 501;
		*enh_r = verb == SMTP_VERB_MAIL ? "5.1.7" : "5.1.3";
		break;
	case SMTPP_EUTF8:
		*code_r = 553;
		*enh_r = "5.6.7";
		break;
	case SMTPP_EPARAM:
		*code_r = 555;
		*enh_r = "5.5.4";
		break;
	case SMTPP_ESYNTAX:
	case SMTPP_EPARAMVAL:
	default:
		*code_r = 501;
		*enh_r = "5.5.4";
		break;
	}
}
