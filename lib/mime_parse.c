/* UNSAFE: offset arithmetic over the message; every index is checked
 * against len before it is read.  See mime.h for the contract. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

struct mime_arena {
	struct mime_arena *next;
	size_t		 used, cap;
	/* data follows, aligned */
};

#define ARENA_HDR	((sizeof(struct mime_arena) + 15) & ~(size_t)15)

void *
mime_arena_alloc(struct mime_arena **ap, size_t n)
{
	struct mime_arena *a = *ap, *b;
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX / 2 - ARENA_HDR - 16) {
		errno = ENOMEM;
		return NULL;
	}
	need = (n + 15) & ~(size_t)15;
	if (a == NULL || a->cap - a->used < need) {
		cap = need > MIME_ARENA_BLOCK ? need : MIME_ARENA_BLOCK;
		if (a != NULL && a->cap * 2 > cap && a->cap < 1024 * 1024)
			cap = a->cap * 2;
		b = mem_realloc(NULL, 1, ARENA_HDR + cap);	/* not zeroed */
		if (b == NULL)
			return NULL;
		b->cap = cap;
		b->used = 0;
		b->next = a;
		*ap = a = b;
	}
	p = (char *)a + ARENA_HDR + a->used;
	a->used += need;
	memset(p, 0, need);
	return p;
}

void
mime_arena_free(struct mime_arena **ap)
{
	struct mime_arena *a = *ap, *n;

	while (a != NULL) {
		n = a->next;
		free(a);
		a = n;
	}
	*ap = NULL;
}

int
mime_is_tchar(unsigned char c)
{
	switch (c) {
	case '(': case ')': case '<': case '>': case '@': case ',': case ';':
	case ':': case '\\': case '"': case '/': case '[': case ']': case '?':
	case '=':
		return 0;
	default:
		return c > 0x20 && c != 0x7f;
	}
}

int
mime_eq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	return n == l && strncasecmp(s, lit, n) == 0;
}

void
mime_skip_cfws(const char *v, size_t n, size_t *i)
{
	size_t j = *i;
	unsigned depth;

	while (j < n) {
		if (mime_is_blank((unsigned char)v[j]) || v[j] == '\r' ||
		    v[j] == '\n') {
			j++;
			continue;
		}
		if (v[j] != '(')
			break;
		depth = 0;
		for (; j < n; j++) {
			if (v[j] == '\\' && j + 1 < n)
				j++;
			else if (v[j] == '(')
				depth++;
			else if (v[j] == ')' && --depth == 0) {
				j++;
				break;
			}
		}
	}
	*i = j;
}

/* The tree and its arena, freed together. */
struct mime_tree {
	struct mime_part	 root;		/* first: mime_free casts */
	struct mime_arena	*arena;
};

struct bnd {
	const char	*s;
	size_t		 n;
};

#define HIT_NONE	(-2)	/* header ended on its blank line */
#define HIT_EOF		(-1)

struct hit {
	int		 idx;		/* boundary stack index, or HIT_* */
	int		 closing;	/* "--boundary--" */
	size_t		 at;		/* start of the boundary line */
	size_t		 next;		/* after it */
	uint64_t	 lf_at, bare_at;	/* counters at 'at' */
};

struct pctx {
	const char	*m;
	size_t		 len;
	struct mime_arena *arena;
	struct bnd	*bs;
	unsigned	 nb;
	unsigned	 depth_max, parts_max, nparts;
	int		 nomem;
	int		 hdr_mime;	/* MIME-Version or Content-Type seen */
	uint64_t	 lf, bare;	/* LFs / bare LFs in m[0..pos) */
	struct sbuf	 tmp;		/* one unfolded header value */
};

struct rparam {
	const char	*name;
	size_t		 name_len;	/* without *N or * */
	int		 section;	/* -1: none */
	int		 extended;	/* ends in '*' */
	char		*value;
	size_t		 value_len;
};

static void *
c_alloc(struct pctx *c, size_t n)
{
	void *p = mime_arena_alloc(&c->arena, n);

	if (p == NULL)
		c->nomem = 1;
	return p;
}

static struct mime_str
c_str(struct pctx *c, const char *s, size_t n)
{
	struct mime_str r = { NULL, 0 };
	char *p = c_alloc(c, n + 1);

	if (p != NULL) {
		if (n > 0)
			memcpy(p, s, n);
		p[n] = '\0';
		r.s = p;
		r.n = n;
	}
	return r;
}

/* Past the line at pos (after its LF, or len); counts the LF. */
static size_t
eat_line(struct pctx *c, size_t pos)
{
	const char *nl = memchr(c->m + pos, '\n', c->len - pos);
	size_t e;

	if (nl == NULL)
		return c->len;
	e = (size_t)(nl - c->m);
	c->lf++;
	if (e == 0 || c->m[e - 1] != '\r')
		c->bare++;
	return e + 1;
}

/* Is the line at pos (starting "--") a boundary?  Longest match wins,
 * innermost on a tie. */
static int
match_boundary(struct pctx *c, size_t pos, struct hit *h)
{
	size_t avail = c->len - pos - 2, best_n = 0, e;
	const char *p = c->m + pos + 2;
	int best = -1;
	unsigned i;

	for (i = c->nb; i-- > 0;) {
		if (c->bs[i].n > avail || (best >= 0 && c->bs[i].n <= best_n))
			continue;
		if (memcmp(p, c->bs[i].s, c->bs[i].n) == 0) {
			best = (int)i;
			best_n = c->bs[i].n;
		}
	}
	if (best < 0)
		return 0;
	e = pos + 2 + best_n;
	h->idx = best;
	h->closing = e + 1 < c->len && c->m[e] == '-' && c->m[e + 1] == '-';
	h->at = pos;
	h->lf_at = c->lf;
	h->bare_at = c->bare;
	h->next = eat_line(c, pos);
	return 1;
}

static int
at_boundary(struct pctx *c, size_t pos, struct hit *h)
{
	return c->nb > 0 && c->len - pos > 2 && c->m[pos] == '-' &&
	    c->m[pos + 1] == '-' && match_boundary(c, pos, h);
}

/* Lines from pos to the next boundary line or the end. */
static void
scan(struct pctx *c, size_t pos, struct hit *h)
{
	while (pos < c->len) {
		if (at_boundary(c, pos, h))
			return;
		pos = eat_line(c, pos);
	}
	h->idx = HIT_EOF;
	h->closing = 0;
	h->at = h->next = c->len;
	h->lf_at = c->lf;
	h->bare_at = c->bare;
}

/* Unfold v[0..n) into c->tmp: CR and LF dropped, leading blanks skipped
 * (trailing ones are kept, as Dovecot keeps them). */
static int
unfold(struct pctx *c, const char *v, size_t n)
{
	size_t i, run;

	sbuf_reset(&c->tmp);
	while (n > 0 && (mime_is_blank((unsigned char)v[0]) || v[0] == '\r' ||
	    v[0] == '\n')) {
		v++;
		n--;
	}
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && v[i + run] != '\r' &&
		    v[i + run] != '\n'; run++)
			;
		if (run > 0 && sbuf_cat_n(&c->tmp, v + i, run) < 0) {
			c->nomem = 1;
			return -1;
		}
		if (i + run < n)
			run++;
	}
	return 0;
}

static size_t
token_len(const char *v, size_t n, size_t i)
{
	size_t j = i;

	while (j < n && mime_is_tchar((unsigned char)v[j]))
		j++;
	return j - i;
}

/* A quoted string at v[*i] == '"' unquoted into the arena. */
static char *
quoted_value(struct pctx *c, const char *v, size_t n, size_t *i,
    size_t *len_r)
{
	size_t j = *i + 1, k = 0;
	char *out = c_alloc(c, n - *i + 1);

	if (out == NULL)
		return NULL;
	for (; j < n && v[j] != '"'; j++) {
		if (v[j] == '\\' && j + 1 < n)
			j++;
		out[k++] = v[j];
	}
	if (j < n)
		j++;
	*i = j;
	*len_r = k;
	return out;
}

/* name*N*, name*N, name* -> base length, section, extended. */
static void
param_name(struct rparam *r, const char *s, size_t n)
{
	size_t star;
	int sec = 0;

	r->name = s;
	r->name_len = n;
	r->section = -1;
	r->extended = 0;
	if (n > 1 && s[n - 1] == '*') {
		r->extended = 1;
		n--;
	}
	star = n;
	while (star > 0 && s[star - 1] >= '0' && s[star - 1] <= '9')
		star--;
	if (star < n && star > 1 && s[star - 1] == '*' && n - star <= 3) {
		for (size_t k = star; k < n; k++)
			sec = sec * 10 + (s[k] - '0');
		r->section = sec;
		n = star - 1;
	}
	r->name_len = n;
}

static size_t
parse_params_raw(struct pctx *c, const char *v, size_t n, size_t i,
    struct rparam *rp)
{
	size_t np = 0, tl, vl;
	char *val;

	while (i < n && np < MIME_PARAMS_MAX) {
		mime_skip_cfws(v, n, &i);
		if (i >= n)
			break;
		if (v[i] != ';') {
			/* Junk: skip to the next ';'. */
			while (i < n && v[i] != ';')
				i++;
			continue;
		}
		i++;
		mime_skip_cfws(v, n, &i);
		tl = token_len(v, n, i);
		if (tl == 0 && (i >= n || v[i] != '='))
			continue;
		param_name(&rp[np], v + i, tl);
		i += tl;
		mime_skip_cfws(v, n, &i);
		if (i >= n || v[i] != '=')
			continue;
		i++;
		mime_skip_cfws(v, n, &i);
		if (i < n && v[i] == '"') {
			val = quoted_value(c, v, n, &i, &vl);
		} else {
			size_t s = i;

			while (i < n && v[i] != ';' &&
			    !mime_is_blank((unsigned char)v[i]))
				i++;
			vl = i - s;
			val = c_alloc(c, vl + 1);
			if (val != NULL)
				memcpy(val, v + s, vl);
		}
		if (val == NULL)
			return np;
		val[vl] = '\0';
		rp[np].value = val;
		rp[np].value_len = vl;
		np++;
	}
	return np;
}

/* Join RFC 2231 sections of rp[k] (section 0) into one value. */
static int
join_sections(struct pctx *c, struct rparam *rp, size_t np, size_t k,
    struct mime_param *out)
{
	size_t total = 0, j, off;
	int sec;
	char *buf, *name;

	for (sec = 0;; sec++) {
		for (j = 0; j < np; j++)
			if (rp[j].section == sec &&
			    rp[j].name_len == rp[k].name_len &&
			    strncasecmp(rp[j].name, rp[k].name,
			    rp[k].name_len) == 0)
				break;
		if (j == np)
			break;
		total += rp[j].value_len;
	}
	buf = c_alloc(c, total + 1);
	name = c_alloc(c, rp[k].name_len + 2);
	if (buf == NULL || name == NULL)
		return -1;
	off = 0;
	for (int s = 0; s < sec; s++) {
		for (j = 0; j < np; j++)
			if (rp[j].section == s &&
			    rp[j].name_len == rp[k].name_len &&
			    strncasecmp(rp[j].name, rp[k].name,
			    rp[k].name_len) == 0)
				break;
		memcpy(buf + off, rp[j].value, rp[j].value_len);
		off += rp[j].value_len;
	}
	buf[off] = '\0';
	memcpy(name, rp[k].name, rp[k].name_len);
	name[rp[k].name_len] = rp[k].extended ? '*' : '\0';
	name[rp[k].name_len + 1] = '\0';
	out->name.s = name;
	out->name.n = rp[k].name_len + (rp[k].extended ? 1 : 0);
	out->value.s = buf;
	out->value.n = off;
	return 0;
}

static int
name_cmp(const struct mime_str *a, const struct mime_str *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int r = n > 0 ? memcmp(a->s, b->s, n) : 0;

	if (r != 0)
		return r;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* Insertion sort (stable; n <= MIME_PARAMS_MAX). */
static void
sort_params(struct mime_param *p, size_t n)
{
	struct mime_param t;
	size_t i, j;

	for (i = 1; i < n; i++) {
		t = p[i];
		for (j = i; j > 0 && p[j - 1].name.s != NULL && t.name.s != NULL &&
		    name_cmp(&p[j - 1].name, &t.name) > 0; j--)
			p[j] = p[j - 1];
		p[j] = t;
	}
}

/* Parameters from v[i..n) (";" name "=" value ...), RFC 2231 joined. */
static void
parse_params(struct pctx *c, const char *v, size_t n, size_t i,
    struct mime_param **pp, size_t *np_r)
{
	struct rparam rp[MIME_PARAMS_MAX];
	struct mime_param *out;
	size_t np, k, no = 0, first;

	np = parse_params_raw(c, v, n, i, rp);
	*pp = NULL;
	*np_r = 0;
	if (np == 0)
		return;
	out = c_alloc(c, np * sizeof(*out));
	if (out == NULL)
		return;
	/* Plain parameters first, in order; then the RFC 2231 ones ("*"
	 * in the name) sorted by name, as Dovecot orders them. */
	for (k = 0; k < np; k++) {
		if (rp[k].section >= 0 || rp[k].extended)
			continue;
		out[no].name = c_str(c, rp[k].name, rp[k].name_len);
		out[no].value.s = rp[k].value;
		out[no].value.n = rp[k].value_len;
		no++;
	}
	first = no;
	for (k = 0; k < np; k++) {
		if (rp[k].section > 0 || (rp[k].section < 0 &&
		    !rp[k].extended))
			continue;	/* sections join their section 0 */
		if (rp[k].section == 0) {
			if (join_sections(c, rp, np, k, &out[no]) < 0)
				return;
		} else {
			out[no].name = c_str(c, rp[k].name, rp[k].name_len + 1);
			out[no].value.s = rp[k].value;
			out[no].value.n = rp[k].value_len;
		}
		no++;
	}
	sort_params(out + first, no - first);
	*pp = out;
	*np_r = no;
}

static void
parse_ctype(struct pctx *c, struct mime_part *p, const char *v, size_t n)
{
	size_t i = 0, tl, sl, ts, ss;

	p->has_ctype = 1;
	mime_skip_cfws(v, n, &i);
	ts = i;
	tl = token_len(v, n, i);
	i += tl;
	mime_skip_cfws(v, n, &i);
	ss = i;
	sl = 0;
	if (i < n && v[i] == '/') {
		i++;
		mime_skip_cfws(v, n, &i);
		ss = i;
		sl = token_len(v, n, i);
		i += sl;
		mime_skip_cfws(v, n, &i);
		if (sl == 0)
			tl = 0;
	}
	if (tl == 0 || (i < n && v[i] != ';')) {
		/* Not type/subtype (Dovecot): "" "" and no parameters. */
		p->type = c_str(c, "", 0);
		p->subtype = c_str(c, "", 0);
		return;
	}
	p->type = c_str(c, v + ts, tl);
	p->subtype = c_str(c, v + ss, sl);
	parse_params(c, v, n, i, &p->params, &p->nparams);
}

static void
parse_disposition(struct pctx *c, struct mime_part *p, const char *v,
    size_t n)
{
	size_t i = 0, tl;

	mime_skip_cfws(v, n, &i);
	tl = token_len(v, n, i);
	parse_params(c, v, n, i + tl, &p->disp_params, &p->ndisp_params);
	if (tl > 0 || p->ndisp_params > 0)
		p->disposition = c_str(c, v + i, tl);
}

static void
parse_language(struct pctx *c, struct mime_part *p, const char *v, size_t n)
{
	struct mime_str l[MIME_PARAMS_MAX];
	size_t i = 0, tl, k = 0;

	while (i < n && k < MIME_PARAMS_MAX) {
		mime_skip_cfws(v, n, &i);
		tl = token_len(v, n, i);
		if (tl == 0)
			break;
		l[k++] = c_str(c, v + i, tl);
		i += tl;
		mime_skip_cfws(v, n, &i);
		if (i >= n || v[i] != ',')
			break;
		i++;
	}
	if (k == 0)
		return;
	p->languages = c_alloc(c, k * sizeof(*l));
	if (p->languages == NULL)
		return;
	memcpy(p->languages, l, k * sizeof(*l));
	p->nlanguages = k;
}

static void
parse_cte(struct pctx *c, struct mime_part *p, const char *v, size_t n)
{
	size_t i = 0, tl;

	mime_skip_cfws(v, n, &i);
	tl = token_len(v, n, i);
	if (tl == 0)
		return;
	p->encoding = c_str(c, v + i, tl);
}

static void
set_str(struct pctx *c, struct mime_str *dst, const char *v, size_t n)
{
	if (dst->s == NULL)
		*dst = c_str(c, v, n);
}

/* One header field m[fs..fe) of part p: the Content-* ones we keep. */
static void
header_field(struct pctx *c, struct mime_part *p, size_t fs, size_t fe)
{
	const char *f = c->m + fs, *colon, *name;
	size_t nl, vl;

	if (fe - fs >= 13 && (f[0] | 0x20) == 'm' &&
	    strncasecmp(f, "mime-version", 12) == 0 &&
	    (f[12] == ':' || mime_is_blank((unsigned char)f[12])))
		c->hdr_mime = 1;
	if (fe - fs < 10 || (f[0] | 0x20) != 'c' ||
	    strncasecmp(f, "content-", 8) != 0)
		return;
	colon = memchr(f, ':', fe - fs);
	if (colon == NULL)
		return;
	name = f + 8;
	nl = (size_t)(colon - name);
	while (nl > 0 && mime_is_blank((unsigned char)name[nl - 1]))
		nl--;
	vl = fe - fs - (size_t)(colon + 1 - f);
	if (unfold(c, colon + 1, vl) < 0)
		return;
	if (mime_eq(name, nl, "type")) {
		c->hdr_mime = 1;
		if (!p->has_ctype)
			parse_ctype(c, p, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "transfer-encoding")) {
		if (p->encoding.s == NULL)
			parse_cte(c, p, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "id")) {
		set_str(c, &p->id, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "description")) {
		set_str(c, &p->description, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "md5")) {
		set_str(c, &p->md5, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "location")) {
		set_str(c, &p->location, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "disposition")) {
		if (p->disposition.s == NULL)
			parse_disposition(c, p, c->tmp.s, c->tmp.len);
	} else if (mime_eq(name, nl, "language")) {
		if (p->languages == NULL)
			parse_language(c, p, c->tmp.s, c->tmp.len);
	}
}

/* A message header with neither MIME-Version nor Content-Type: its
 * Content-* fields do not count (Dovecot). */
static void
not_mime(struct mime_part *p)
{
	static const struct mime_str none = { NULL, 0 };

	p->id = p->description = p->encoding = p->md5 = none;
	p->location = p->disposition = none;
	p->disp_params = NULL;
	p->ndisp_params = 0;
	p->languages = NULL;
	p->nlanguages = 0;
}

/* The header from pos: up to and including its blank line, or up to a
 * boundary line (then *h is that hit) or the end.  Returns body_off. */
static size_t
parse_header(struct pctx *c, struct mime_part *p, size_t pos, struct hit *h)
{
	size_t fs;

	p->hdr_off = pos;
	h->idx = HIT_NONE;
	c->hdr_mime = 0;
	while (pos < c->len) {
		if (c->m[pos] == '\n' || (c->m[pos] == '\r' &&
		    (pos + 1 == c->len || c->m[pos + 1] == '\n'))) {
			pos = eat_line(c, pos);
			break;
		}
		if (at_boundary(c, pos, h))
			break;
		fs = pos;
		pos = eat_line(c, pos);
		while (pos < c->len && mime_is_blank((unsigned char)c->m[pos]))
			pos = eat_line(c, pos);
		header_field(c, p, fs, pos);
	}
	p->hdr_len = pos - p->hdr_off;
	if (!c->hdr_mime && (p->parent == NULL || p->parent->is_message))
		not_mime(p);
	return pos;
}

static struct mime_part *
new_part(struct pctx *c, struct mime_part *parent, unsigned depth)
{
	struct mime_part *p;

	if (c->nparts >= c->parts_max)
		return NULL;
	p = c_alloc(c, sizeof(*p));
	if (p == NULL)
		return NULL;
	c->nparts++;
	p->parent = parent;
	p->depth = depth;
	return p;
}

static void
set_defaults(struct pctx *c, struct mime_part *p)
{
	struct mime_part *par = p->parent;

	if (!p->has_ctype) {
		if (par != NULL && par->is_multipart &&
		    mime_eq(par->subtype.s, par->subtype.n, "digest")) {
			p->type = c_str(c, "message", 7);
			p->subtype = c_str(c, "rfc822", 6);
		} else {
			p->type = c_str(c, "text", 4);
			p->subtype = c_str(c, "plain", 5);
		}
		if (p->type.s == NULL || p->subtype.s == NULL) {
			p->type.s = "text";
			p->type.n = 4;
			p->subtype.s = "plain";
			p->subtype.n = 5;
		}
	}
	p->is_text = mime_eq(p->type.s, p->type.n, "text");
}

/* Body end from the hit: the line end before a boundary line is the
 * boundary's. */
static void
body_end(struct pctx *c, struct mime_part *p, const struct hit *h,
    uint64_t lf0, uint64_t bare0)
{
	size_t e = h->at;
	uint64_t lf = h->lf_at, bare = h->bare_at;

	if (h->idx >= 0 && e > p->body_off && c->m[e - 1] == '\n') {
		e--;
		lf--;
		if (e > p->body_off && c->m[e - 1] == '\r')
			e--;
		else
			bare--;
	}
	p->body_len = e - p->body_off;
	p->body_lines = lf - lf0;
	p->body_vsize = (uint64_t)p->body_len + (bare - bare0);
}

static void parse_entity(struct pctx *, struct mime_part *, size_t,
    struct hit *, uint64_t *, uint64_t *);

static void
parse_multipart(struct pctx *c, struct mime_part *p,
    const struct mime_str *b, struct hit *h)
{
	struct mime_part *ch, **tail = &p->child;
	unsigned own = c->nb;

	c->bs[c->nb].s = b->s;
	c->bs[c->nb].n = b->n;
	c->nb++;
	scan(c, p->body_off, h);
	while (h->idx == (int)own && !h->closing) {
		ch = new_part(c, p, p->depth + 1);
		if (ch == NULL) {
			scan(c, h->next, h);
			continue;
		}
		*tail = ch;
		tail = &ch->next;
		p->nchildren++;
		parse_entity(c, ch, h->next, h, NULL, NULL);
	}
	c->nb = own;
	if (h->idx == (int)own)
		scan(c, h->next, h);	/* the epilogue */
}

static void
parse_entity(struct pctx *c, struct mime_part *p, size_t pos, struct hit *h,
    uint64_t *lfb_r, uint64_t *bareb_r)
{
	const struct mime_str *b = NULL;
	uint64_t lf0, bare0, hbare0 = c->bare, clf, cbare;

	p->body_off = parse_header(c, p, pos, h);
	p->hdr_vsize = p->hdr_len + (c->bare - hbare0);
	set_defaults(c, p);
	lf0 = c->lf;
	bare0 = c->bare;
	if (h->idx != HIT_NONE) {
		/* A boundary ended the header: no body. */
		p->body_len = 0;
		p->hdr_vsize = p->hdr_len + (h->bare_at - hbare0);
		lf0 = h->lf_at;
		bare0 = h->bare_at;
	}
	if (lfb_r != NULL) {
		*lfb_r = lf0;
		*bareb_r = bare0;
	}
	if (h->idx != HIT_NONE)
		return;
	if (mime_eq(p->type.s, p->type.n, "multipart"))
		b = mime_param_get(p->params, p->nparams, "boundary");
	if (b != NULL && b->n > 0 && p->depth < c->depth_max &&
	    c->nb < c->depth_max) {
		p->is_multipart = 1;
		parse_multipart(c, p, b, h);
	} else if (p->has_ctype && (b == NULL || b->n == 0) &&
	    mime_eq(p->type.s, p->type.n, "multipart") &&
	    p->depth < c->depth_max) {
		/* No boundary: a multipart with no parts (as Dovecot). */
		p->is_multipart = 1;
		scan(c, p->body_off, h);
	} else if (mime_eq(p->type.s, p->type.n, "message") &&
	    (mime_eq(p->subtype.s, p->subtype.n, "rfc822") ||
	    mime_eq(p->subtype.s, p->subtype.n, "global")) &&
	    p->depth < c->depth_max &&
	    (p->msg = new_part(c, p, p->depth + 1)) != NULL) {
		p->is_message = 1;
		parse_entity(c, p->msg, p->body_off, h, &clf, &cbare);
		/* The body ends where the embedded message's does (its
		 * header's blank line may hold the boundary's line end). */
		p->body_len = p->msg->body_off + p->msg->body_len - p->body_off;
		p->body_lines = clf - lf0 + p->msg->body_lines;
		p->body_vsize = p->body_len + (cbare - bare0) +
		    (p->msg->body_vsize - p->msg->body_len);
		return;
	} else {
		scan(c, p->body_off, h);
	}
	body_end(c, p, h, lf0, bare0);
}

int
mime_parse(const char *msg, size_t len, const struct mime_limits *lim,
    struct mime_part **root_r)
{
	struct mime_tree *t;
	struct pctx c;
	struct hit h;

	memset(&c, 0, sizeof(c));
	c.m = msg;
	c.len = len;
	c.depth_max = lim != NULL && lim->depth > 0 ? lim->depth :
	    MIME_DEPTH_DEFAULT;
	if (c.depth_max > MIME_DEPTH_HARD)
		c.depth_max = MIME_DEPTH_HARD;
	c.parts_max = lim != NULL && lim->parts > 0 ? lim->parts :
	    MIME_PARTS_DEFAULT;
	t = mem_alloc(1, sizeof(*t));
	if (t == NULL)
		return -1;
	c.bs = mime_arena_alloc(&c.arena, sizeof(*c.bs) * (c.depth_max + 1));
	if (c.bs == NULL) {
		free(t);
		return -1;
	}
	sbuf_init(&c.tmp, len + 1);
	c.nparts = 1;
	parse_entity(&c, &t->root, 0, &h, NULL, NULL);
	sbuf_fini(&c.tmp);
	t->arena = c.arena;
	if (c.nomem) {
		mime_arena_free(&t->arena);
		free(t);
		errno = ENOMEM;
		return -1;
	}
	*root_r = &t->root;
	return 0;
}

void
mime_free(struct mime_part **rootp)
{
	struct mime_tree *t;

	if (*rootp == NULL)
		return;
	t = (struct mime_tree *)(void *)*rootp;
	mime_arena_free(&t->arena);
	free(t);
	*rootp = NULL;
}

const struct mime_str *
mime_param_get(const struct mime_param *p, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].name.s != NULL &&
		    mime_eq(p[i].name.s, p[i].name.n, name))
			return &p[i].value;
	return NULL;
}

uint64_t
mime_crlf_len(const char *p, size_t n)
{
	const char *q = p, *end = p + n, *nl;
	uint64_t extra = 0;

	while (q < end && (nl = memchr(q, '\n', (size_t)(end - q))) != NULL) {
		if (nl == p || nl[-1] != '\r')
			extra++;
		q = nl + 1;
	}
	return (uint64_t)n + extra;
}
