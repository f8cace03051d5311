/*
 * UNSAFE: byte-level parsing with indexes into caller memory.  Every read
 * goes through cur_peek()/cur_at(), which check the index against the
 * length; every write into struct addr goes through put_byte(), which
 * checks it against the array size.
 *
 * addr.c - RFC 5321 mailbox and path parsing; see addr.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lib/addr.h"
#include "lib/sbuf.h"

#define LITERAL_MAX	64	/* longest "[IPv6:...]" content we look at */

struct cur {
	const unsigned char	*p;
	size_t			 n;
	size_t			 i;
};

static int
cur_peek(const struct cur *c)
{
	return c->i < c->n ? c->p[c->i] : -1;
}

static int
cur_at(const struct cur *c, size_t k)
{
	return k < c->n - c->i ? c->p[c->i + k] : -1;
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5321 atext (RFC 5322 3.2.3), ASCII part. */
static int
is_atext(int c)
{
	return c >= 0 && (is_alpha(c) || is_digit(c) ||
	    (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL));
}

/* qtextSMTP, ASCII part: 32-33, 35-91, 93-126. */
static int
is_qtext(int c)
{
	return c >= 32 && c <= 126 && c != '"' && c != '\\';
}

static int
to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/*
 * Length of the valid UTF-8 sequence for one non-ASCII code point at the
 * cursor, or 0.  Refuses overlong forms, surrogates, > U+10FFFF and the
 * C1 controls U+0080..U+009F.
 */
static size_t
utf8_seq(const struct cur *c)
{
	int b0 = cur_peek(c), b1 = cur_at(c, 1), lo = 0x80, hi = 0xbf;
	size_t need, k;

	if (b0 < 0xc2 || b0 > 0xf4)
		return 0;
	if (b0 < 0xe0) {
		need = 2;
		if (b0 == 0xc2)
			lo = 0xa0;	/* no C1 controls */
	} else if (b0 < 0xf0) {
		need = 3;
		if (b0 == 0xe0)
			lo = 0xa0;	/* no overlong */
		else if (b0 == 0xed)
			hi = 0x9f;	/* no surrogates */
	} else {
		need = 4;
		if (b0 == 0xf0)
			lo = 0x90;	/* no overlong */
		else if (b0 == 0xf4)
			hi = 0x8f;	/* <= U+10FFFF */
	}
	if (b1 < lo || b1 > hi)
		return 0;
	for (k = 2; k < need; k++)
		if (cur_at(c, k) < 0x80 || cur_at(c, k) > 0xbf)
			return 0;
	return need;
}

/*
 * For a byte >= 0x80 at the cursor: the sequence length when UTF-8 is
 * allowed and valid, else 0 with the error in *err_r and *why_r.
 */
static size_t
utf8_take(const struct cur *c, unsigned flags, int *err_r, const char **why_r)
{
	size_t k;

	if (!(flags & ADDR_UTF8)) {
		*err_r = ADDR_EUTF8;
		*why_r = "non-ASCII address needs SMTPUTF8";
		return 0;
	}
	if ((k = utf8_seq(c)) == 0) {
		*err_r = ADDR_ESYNTAX;
		*why_r = "invalid UTF-8";
	}
	return k;
}

static int
put_bytes(char *buf, size_t *len, size_t max, const unsigned char *p,
    size_t n)
{
	if (n > max - *len)
		return -1;
	memcpy(buf + *len, p, n);
	*len += n;
	buf[*len] = '\0';
	return 0;
}

/* Dot-string: Atom *("." Atom). */
static int
parse_dot_string(struct cur *c, unsigned flags, struct addr *a,
    const char **why_r)
{
	size_t atom, k;
	int ch, err = ADDR_ESYNTAX;

	for (;;) {
		atom = 0;
		while ((ch = cur_peek(c)) >= 0) {
			if (ch >= 0x80) {
				if ((k = utf8_take(c, flags, &err, why_r)) == 0)
					return err;
				a->is_utf8 = 1;
			} else if (is_atext(ch))
				k = 1;
			else
				break;
			if (put_bytes(a->local, &a->local_len, ADDR_LOCAL_MAX,
			    c->p + c->i, k) < 0) {
				*why_r = "local part too long";
				return ADDR_ETOOLONG;
			}
			c->i += k;
			atom++;
		}
		if (atom == 0) {
			*why_r = a->local_len == 0 && ch != '.' ?
			    "empty local part" :
			    "empty atom in local part (bad dot)";
			return ADDR_ESYNTAX;
		}
		if (ch != '.')
			break;
		if (put_bytes(a->local, &a->local_len, ADDR_LOCAL_MAX,
		    c->p + c->i, 1) < 0) {
			*why_r = "local part too long";
			return ADDR_ETOOLONG;
		}
		c->i++;
	}
	return ADDR_OK;
}

/* Quoted-string: DQUOTE *(qtextSMTP / quoted-pairSMTP) DQUOTE. */
static int
parse_quoted(struct cur *c, unsigned flags, struct addr *a,
    const char **why_r)
{
	size_t k, start = c->i;
	int ch, err = ADDR_ESYNTAX;

	c->i++;		/* the opening quote */
	for (;;) {
		ch = cur_peek(c);
		if (ch < 0) {
			*why_r = "unterminated quoted string";
			return ADDR_ESYNTAX;
		}
		if (ch == '"')
			break;
		if (ch == '\\') {
			c->i++;
			ch = cur_peek(c);
			if (ch < 32 || ch > 126) {
				*why_r = "bad quoted pair";
				return ADDR_ESYNTAX;
			}
			k = 1;
		} else if (ch >= 0x80) {
			if ((k = utf8_take(c, flags, &err, why_r)) == 0)
				return err;
			a->is_utf8 = 1;
		} else if (is_qtext(ch))
			k = 1;
		else {
			*why_r = "control byte in quoted string";
			return ADDR_ESYNTAX;
		}
		if (c->i + k - start > ADDR_LOCAL_MAX ||
		    put_bytes(a->local, &a->local_len, ADDR_LOCAL_MAX,
		    c->p + c->i, k) < 0) {
			*why_r = "local part too long";
			return ADDR_ETOOLONG;
		}
		c->i += k;
	}
	c->i++;		/* the closing quote */
	if (c->i - start > ADDR_LOCAL_MAX) {
		*why_r = "local part too long";
		return ADDR_ETOOLONG;
	}
	if (a->local_len == 0) {
		*why_r = "empty local part";
		return ADDR_ESYNTAX;
	}
	return ADDR_OK;
}

/*
 * sub-domain *("." sub-domain); copies into buf (max octets) when buf is
 * not NULL.  Stops at the first byte that cannot continue the domain.
 */
static int
parse_domain_name(struct cur *c, unsigned flags, char *buf, size_t *len,
    int *is_utf8, const char **why_r)
{
	size_t start = c->i, label, k;
	int ch, last, err = ADDR_ESYNTAX;

	for (;;) {
		label = 0;
		last = -1;
		while ((ch = cur_peek(c)) >= 0) {
			if (ch >= 0x80) {
				if ((k = utf8_take(c, flags, &err, why_r)) == 0)
					return err;
				*is_utf8 = 1;
			} else if (is_alpha(ch) || is_digit(ch) ||
			    (ch == '-' && label > 0))
				k = 1;
			else
				break;
			label += k;
			last = ch;
			c->i += k;
			if (label > ADDR_LABEL_MAX) {
				*why_r = "domain label too long";
				return ADDR_ETOOLONG;
			}
			if (c->i - start > ADDR_DOMAIN_MAX) {
				*why_r = "domain too long";
				return ADDR_ETOOLONG;
			}
		}
		if (label == 0) {
			*why_r = ch == '-' ? "domain label starts with '-'" :
			    "empty domain label";
			return ADDR_ESYNTAX;
		}
		if (last == '-') {
			*why_r = "domain label ends with '-'";
			return ADDR_ESYNTAX;
		}
		if (ch != '.')
			break;
		c->i++;
	}
	if (buf != NULL && put_bytes(buf, len, ADDR_DOMAIN_MAX, c->p + start,
	    c->i - start) < 0) {
		*why_r = "domain too long";
		return ADDR_ETOOLONG;
	}
	return ADDR_OK;
}

/* "[" IPv4 "]" or "[IPv6:" IPv6 "]", checked with inet_pton. */
static int
parse_literal(struct cur *c, struct addr *a, const char **why_r)
{
	char tmp[LITERAL_MAX + 1];
	unsigned char bin[16];
	size_t start = c->i, k = 0;
	int ch, af = AF_INET, off = 0;

	c->i++;		/* '[' */
	while ((ch = cur_peek(c)) >= 0 && ch != ']') {
		/* dcontent: 33-90, 94-126 */
		if (ch < 33 || ch > 126 || (ch >= 91 && ch <= 93) ||
		    k >= LITERAL_MAX) {
			*why_r = "bad address literal";
			return ADDR_ESYNTAX;
		}
		tmp[k++] = (char)ch;
		c->i++;
	}
	if (ch != ']') {
		*why_r = "unterminated address literal";
		return ADDR_ESYNTAX;
	}
	c->i++;
	tmp[k] = '\0';
	if (k >= 5 && strncasecmp(tmp, "IPv6:", 5) == 0) {
		af = AF_INET6;
		off = 5;
	} else if (memchr(tmp, ':', k) != NULL) {
		*why_r = "unsupported address literal";
		return ADDR_ESYNTAX;
	}
	if (inet_pton(af, tmp + off, bin) != 1) {
		*why_r = af == AF_INET6 ? "bad IPv6 address literal" :
		    "bad IPv4 address literal";
		return ADDR_ESYNTAX;
	}
	a->domain_len = 0;
	if (put_bytes(a->domain, &a->domain_len, ADDR_DOMAIN_MAX,
	    c->p + start, c->i - start) < 0) {
		*why_r = "domain too long";
		return ADDR_ETOOLONG;
	}
	a->is_literal = 1;
	return ADDR_OK;
}

static void
addr_clear(struct addr *a)
{
	memset(a, 0, sizeof *a);
}

/* "Postmaster" alone, RFC 5321 4.1.1.3. */
static int
is_postmaster(const struct cur *c, size_t end)
{
	return end - c->i == 10 &&
	    strncasecmp((const char *)c->p + c->i, "postmaster", 10) == 0;
}

/* Local-part "@" Domain, stopping where the domain ends. */
static int
parse_mailbox(struct cur *c, unsigned flags, struct addr *a,
    const char **why_r)
{
	int rc;

	if (cur_peek(c) == '"')
		rc = parse_quoted(c, flags, a, why_r);
	else
		rc = parse_dot_string(c, flags, a, why_r);
	if (rc != ADDR_OK)
		return rc;
	if (cur_peek(c) != '@') {
		*why_r = cur_peek(c) < 0 ? "missing @domain" :
		    "bad character in local part";
		return ADDR_ESYNTAX;
	}
	c->i++;
	if (cur_peek(c) == '[')
		rc = parse_literal(c, a, why_r);
	else
		rc = parse_domain_name(c, flags, a->domain, &a->domain_len,
		    &a->is_utf8, why_r);
	return rc;
}

int
addr_parse(const char *p, size_t n, unsigned flags, struct addr *out,
    const char **why_r)
{
	struct cur c = { (const unsigned char *)p, n, 0 };
	int rc;

	addr_clear(out);
	if (n > ADDR_MAILBOX_MAX) {
		*why_r = "address too long";
		rc = ADDR_ETOOLONG;
	} else if ((flags & ADDR_POSTMASTER_OK) && is_postmaster(&c, n)) {
		memcpy(out->local, p, 10);
		out->local_len = 10;
		rc = ADDR_OK;
	} else {
		rc = parse_mailbox(&c, flags, out, why_r);
		if (rc == ADDR_OK && c.i != n) {
			*why_r = "junk after address";
			rc = ADDR_ESYNTAX;
		}
	}
	return rc;
}

/* A-d-l ":" - At-domain *("," At-domain), checked and dropped. */
static int
parse_route(struct cur *c, unsigned flags, const char **why_r)
{
	int rc, dummy = 0;

	for (;;) {
		if (cur_peek(c) != '@') {
			*why_r = "bad source route";
			return ADDR_ESYNTAX;
		}
		c->i++;
		rc = parse_domain_name(c, flags, NULL, NULL, &dummy, why_r);
		if (rc != ADDR_OK)
			return rc;
		if (c->i > ADDR_PATH_MAX) {
			*why_r = "path too long";
			return ADDR_ETOOLONG;
		}
		if (cur_peek(c) == ':')
			break;
		if (cur_peek(c) != ',') {
			*why_r = "bad source route";
			return ADDR_ESYNTAX;
		}
		c->i++;
	}
	c->i++;
	return ADDR_OK;
}

int
addr_parse_path(const char *p, size_t n, unsigned flags, struct addr *out,
    size_t *used_r, const char **why_r)
{
	struct cur c = { (const unsigned char *)p, n, 0 };
	const unsigned char *gt;
	int rc = ADDR_OK;

	addr_clear(out);
	*used_r = 0;
	if (cur_peek(&c) != '<') {
		*why_r = "path must start with '<'";
		return ADDR_ESYNTAX;
	}
	c.i++;
	if (cur_peek(&c) == '>') {
		out->is_null = 1;
		if (!(flags & ADDR_NULL_OK)) {
			*why_r = "null path not allowed here";
			rc = ADDR_ESYNTAX;
		}
	} else if (cur_peek(&c) == '@')
		rc = parse_route(&c, flags, why_r);
	if (rc == ADDR_OK && !out->is_null) {
		gt = memchr(c.p + c.i, '>', c.n - c.i);
		if ((flags & ADDR_POSTMASTER_OK) && gt != NULL &&
		    is_postmaster(&c, (size_t)(gt - c.p))) {
			memcpy(out->local, c.p + c.i, 10);
			out->local_len = 10;
			c.i += 10;
		} else
			rc = parse_mailbox(&c, flags, out, why_r);
	}
	if (rc == ADDR_OK && cur_peek(&c) != '>') {
		*why_r = cur_peek(&c) < 0 ? "missing '>'" :
		    "junk in path before '>'";
		rc = ADDR_ESYNTAX;
	}
	if (rc == ADDR_OK && c.i + 1 > ADDR_PATH_MAX) {
		*why_r = "path too long";
		rc = ADDR_ETOOLONG;
	}
	if (rc == ADDR_OK)
		*used_r = c.i + 1;
	return rc;
}

int
addr_parse_domain(const char *p, size_t n, unsigned flags,
    const char **why_r)
{
	struct cur c = { (const unsigned char *)p, n, 0 };
	int rc, is_utf8 = 0;

	if (n > ADDR_DOMAIN_MAX) {
		*why_r = "domain too long";
		return ADDR_ETOOLONG;
	}
	rc = parse_domain_name(&c, flags, NULL, NULL, &is_utf8, why_r);
	if (rc == ADDR_OK && c.i != n) {
		*why_r = "bad character in domain";
		rc = ADDR_ESYNTAX;
	}
	return rc;
}

/* Does the local part need quotes to be read back as the same bytes? */
static int
needs_quotes(const char *s, size_t n)
{
	size_t i;
	int prev = '.';

	if (n == 0 || s[n - 1] == '.')
		return 1;
	for (i = 0; i < n; i++) {
		int ch = (unsigned char)s[i];

		if (ch == '.' && prev == '.')
			return 1;
		if (ch != '.' && ch < 0x80 && !is_atext(ch))
			return 1;
		prev = ch;
	}
	return 0;
}

static int
format_local(const char *s, size_t n, int fold, struct sbuf *out)
{
	size_t i;
	int q = needs_quotes(s, n), ch;

	if (q && sbuf_cat_c(out, '"') < 0)
		return -1;
	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (q && (ch == '"' || ch == '\\') && sbuf_cat_c(out, '\\') < 0)
			return -1;
		if (sbuf_cat_c(out, fold ? to_lower(ch) : ch) < 0)
			return -1;
	}
	if (q && sbuf_cat_c(out, '"') < 0)
		return -1;
	return 0;
}

static int
format_addr(const struct addr *a, int fold_local, int fold_domain,
    struct sbuf *out)
{
	size_t i;

	if (a->is_null)
		return 0;
	if (format_local(a->local, a->local_len, fold_local, out) < 0)
		return -1;
	if (a->domain_len == 0)		/* bare Postmaster */
		return 0;
	if (sbuf_cat_c(out, '@') < 0)
		return -1;
	for (i = 0; i < a->domain_len; i++)
		if (sbuf_cat_c(out, fold_domain ?
		    to_lower((unsigned char)a->domain[i]) :
		    (unsigned char)a->domain[i]) < 0)
			return -1;
	return 0;
}

int
addr_format(const struct addr *a, struct sbuf *out)
{
	sbuf_reset(out);
	return format_addr(a, 0, 0, out);
}

int
addr_format_path(const struct addr *a, struct sbuf *out)
{
	sbuf_reset(out);
	if (sbuf_cat_c(out, '<') < 0 || format_addr(a, 0, 0, out) < 0 ||
	    sbuf_cat_c(out, '>') < 0)
		return -1;
	return 0;
}

int
addr_key(const struct addr *a, int fold_local, struct sbuf *out)
{
	sbuf_reset(out);
	return format_addr(a, fold_local, 1, out);
}

void
addr_normalize(struct addr *a)
{
	size_t i;

	for (i = 0; i < a->domain_len; i++)
		a->domain[i] = (char)to_lower((unsigned char)a->domain[i]);
	for (i = 0; i < a->local_len; i++)
		a->local_key[i] = (char)to_lower((unsigned char)a->local[i]);
	a->local_key[a->local_len] = '\0';
}

int
addr_split_delim(const char *local, size_t n, const char *delims,
    size_t *baselen_r, const char **ext_r, size_t *extlen_r)
{
	size_t i;

	*baselen_r = n;
	*ext_r = NULL;
	*extlen_r = 0;
	if (delims == NULL || *delims == '\0')
		return 0;
	for (i = 1; i < n; i++) {
		if (local[i] != '\0' && strchr(delims, local[i]) != NULL) {
			*baselen_r = i;
			*ext_r = local + i + 1;
			*extlen_r = n - i - 1;
			return 1;
		}
	}
	return 0;
}
