/*
 * hdraddr.c - header fields and address lists; see hdraddr.h.
 *
 * UNSAFE: walks header bytes by index (hdr_next, hdr_addr_list, item);
 * every index is checked against its length, no NUL is relied on.
 */
#include <errno.h>
#include <string.h>

#include "lib/hdraddr.h"
#include "lib/sbuf.h"

/* The offset past the line starting at i (its LF included), or n. */
static size_t
line_end(const char *p, size_t n, size_t i)
{
	const char *nl = memchr(p + i, '\n', n - i);

	return nl == NULL ? n : (size_t)(nl - p) + 1;
}

/* Is the line at i empty (LF or CR LF)? */
static int
empty_line(const char *p, size_t n, size_t i)
{
	return (i < n && p[i] == '\n') ||
	    (i + 1 < n && p[i] == '\r' && p[i + 1] == '\n') ||
	    (i + 1 == n && p[i] == '\r');
}

int
hdr_next(const char *p, size_t n, size_t *off, struct hdr_field *f)
{
	size_t i = *off, e, k, v;

	if (i >= n || empty_line(p, n, i))
		return 0;
	e = line_end(p, n, i);
	/* Continuation lines: the next one starts with a blank. */
	while (e < n && (p[e] == ' ' || p[e] == '\t'))
		e = line_end(p, n, e);
	*off = e;
	for (k = i; k < e && p[k] != ':'; k++)
		if ((unsigned char)p[k] < 33 || (unsigned char)p[k] > 126)
			break;
	v = k;
	/* "Name :" (obsolete, RFC 5322 4.5): blanks before the colon. */
	while (v < e && (p[v] == ' ' || p[v] == '\t'))
		v++;
	if (k == i || v >= e || p[v] != ':' || k - i > HDR_NAME_MAX)
		return HDR_EBAD;
	f->name = p + i;
	f->name_len = k - i;
	f->value = p + v + 1;
	f->value_len = e - (v + 1);
	if (f->value_len > 0 && f->value[f->value_len - 1] == '\n')
		f->value_len--;
	if (f->value_len > 0 && f->value[f->value_len - 1] == '\r')
		f->value_len--;
	f->start = i;
	f->end = e;
	return 1;
}

int
hdr_is(const struct hdr_field *f, const char *name)
{
	size_t i, n = strlen(name);
	char a, b;

	if (f->name_len != n)
		return 0;
	for (i = 0; i < n; i++) {
		a = f->name[i];
		b = name[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (char)(b - 'A' + 'a');
		if (a != b)
			return 0;
	}
	return 1;
}

struct list {
	const char	*bare_domain;
	unsigned	 flags;
	struct addr	*out;
	size_t		 max, count;
	const char	*why;
};

static int
bad(struct list *l, const char *why)
{
	l->why = why;
	errno = EINVAL;
	return -1;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "<name>" (no '@', no quote, no route) and a domain to add? */
static int
bare_name(const struct list *l, const char *p, size_t n, const char *gt)
{
	return l->bare_domain != NULL && gt != NULL &&
	    memchr(p, '@', (size_t)(gt - p)) == NULL &&
	    memchr(p, '"', (size_t)(gt - p)) == NULL && gt - p < (long)n &&
	    gt - p > 1;
}

/* An addr-spec without '<>', trimmed; bare names get "@bare_domain". */
static int
spec(struct list *l, const char *p, size_t n, struct addr *a)
{
	struct sbuf b;
	const char *why = "";
	size_t i;
	int q = 0, at = 0, r;

	for (i = 0; i < n; i++) {
		if (q && p[i] == '\\') {
			i++;
			continue;
		}
		if (p[i] == '"')
			q = !q;
		else if (!q && p[i] == '@')
			at = 1;
	}
	if (at)
		r = addr_parse(p, n, l->flags, a, &why);
	else if (l->bare_domain == NULL)
		return bad(l, "an address without a domain");
	else {
		sbuf_init(&b, ADDR_PATH_MAX + 1);
		if (sbuf_cat_n(&b, p, n) < 0 || sbuf_cat_c(&b, '@') < 0 ||
		    sbuf_cat_s(&b, l->bare_domain) < 0) {
			sbuf_fini(&b);
			return bad(l, "address too long");
		}
		r = addr_parse(b.s, b.len, l->flags, a, &why);
		sbuf_fini(&b);
	}
	if (r != ADDR_OK)
		return bad(l, why);
	return 0;
}

/* "<...>" at p; "<name>" gets "@bare_domain" when there is one. */
static int
angle(struct list *l, const char *p, size_t n, struct addr *a,
    size_t *used_r)
{
	struct sbuf b;
	const char *why = "", *gt = memchr(p, '>', n);
	int r;

	if (bare_name(l, p, n, gt)) {
		sbuf_init(&b, ADDR_PATH_MAX + 1);
		if (sbuf_cat_n(&b, p, (size_t)(gt - p)) < 0 ||
		    sbuf_cat_c(&b, '@') < 0 ||
		    sbuf_cat_s(&b, l->bare_domain) < 0 ||
		    sbuf_cat_c(&b, '>') < 0) {
			sbuf_fini(&b);
			return bad(l, "address too long");
		}
		r = addr_parse_path(b.s, b.len, l->flags, a, used_r, &why);
		sbuf_fini(&b);
		*used_r = (size_t)(gt - p) + 1;
	} else
		r = addr_parse_path(p, n, l->flags, a, used_r, &why);
	if (r != ADDR_OK)
		return bad(l, why);
	return 0;
}

/* One list item: a name-addr or an addr-spec (or nothing). */
static int
item(struct list *l, const char *p, size_t n)
{
	struct addr a;
	size_t i, lt, used = 0;
	int q = 0;

	while (n > 0 && is_blank(p[0])) {
		p++;
		n--;
	}
	while (n > 0 && is_blank(p[n - 1]))
		n--;
	if (n == 0)
		return 0;
	for (i = 0, lt = n; i < n && lt == n; i++) {
		if (q && p[i] == '\\')
			i++;
		else if (p[i] == '"')
			q = !q;
		else if (!q && p[i] == '<')
			lt = i;
	}
	if (lt < n) {
		if (angle(l, p + lt, n - lt, &a, &used) < 0)
			return -1;
		for (i = lt + used; i < n; i++)
			if (!is_blank(p[i]))
				return bad(l, "text after '>'");
	} else if (spec(l, p, n, &a) < 0)
		return -1;
	if (l->count >= l->max) {
		errno = E2BIG;
		l->why = "too many addresses";
		return -1;
	}
	l->out[l->count++] = a;
	return 0;
}

/* Split at top-level ',' ':' ';' with comments removed into cur. */
static int
scan(struct list *l, const char *v, size_t n, struct sbuf *cur)
{
	size_t i;
	int quote = 0, angle = 0, lit = 0, comment = 0, group = 0, c, add;

	for (i = 0; i < n; i++) {
		c = (unsigned char)v[i];
		if (c == 0 || c == 0x7f ||
		    (c < 0x20 && c != '\t' && c != '\r' && c != '\n'))
			return bad(l, "control byte in the header");
		if (c == '\r' || c == '\n')
			c = ' ';
		add = 1;
		if (comment > 0) {
			if (c == '\\')
				i++;
			else if (c == '(')
				comment++;
			else if (c == ')')
				comment--;
			continue;
		}
		if ((quote || lit) && c == '\\' && i + 1 < n) {
			if (sbuf_cat_c(cur, c) < 0)
				return -1;
			c = (unsigned char)v[++i];
		} else if (quote)
			quote = c != '"';
		else if (lit)
			lit = c != ']';
		else if (c == '"')
			quote = 1;
		else if (c == '[')
			lit = 1;
		else if (c == '(') {
			comment = 1;
			c = ' ';
		} else if (angle) {
			if (c == '<')
				return bad(l, "'<' inside '<>'");
			angle = c != '>';
		} else if (c == '<')
			angle = 1;
		else if (c == ',' || c == ';') {
			if (c == ';' && !group)
				return bad(l, "';' outside a group");
			if (c == ';')
				group = 0;
			if (item(l, cur->s, cur->len) < 0)
				return -1;
			sbuf_reset(cur);
			add = 0;
		} else if (c == ':') {
			if (group)
				return bad(l, "a group inside a group");
			group = 1;
			sbuf_reset(cur);	/* the group's display name */
			add = 0;
		}
		if (add && sbuf_cat_c(cur, c) < 0)
			return -1;
	}
	if (quote || angle || lit || comment > 0)
		return bad(l, "unterminated quote, comment or '<'");
	if (group)
		return bad(l, "group without ';'");
	return item(l, cur->s, cur->len);
}

int
hdr_addr_list(const char *v, size_t n, const char *bare_domain,
    unsigned flags, struct addr *out, size_t max, size_t *count_r,
    const char **why_r)
{
	struct list l = { bare_domain, flags, out, max, 0, "" };
	struct sbuf cur;
	int r;

	*count_r = 0;
	*why_r = "";
	if (n > HDR_VALUE_MAX) {
		*why_r = "header field too long";
		errno = E2BIG;
		return -1;
	}
	sbuf_init(&cur, n + 1);
	r = scan(&l, v, n, &cur);
	sbuf_fini(&cur);
	*why_r = l.why;
	if (r < 0)
		return -1;
	*count_r = l.count;
	return 0;
}
