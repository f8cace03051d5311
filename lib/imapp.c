/* UNSAFE: index arithmetic over an untrusted command buffer; every access
 * is checked against len before it is made. */
/*
 * imapp.c - IMAP command tokenizer and command-line parser (see imapp.h).
 * The tokenizer is one loop with an explicit stack of open lists, so no
 * input can make it recurse.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/imapp_int.h"
#include "lib/mem.h"

struct frame {
	uint32_t	 idx;		/* the container token */
	uint32_t	 last;		/* its last child, 0: none yet */
};

struct ps {
	const char	*b;
	size_t		 len, i;
	struct imapp_cmd *c;
	uint32_t	 maxtok, maxdepth;
	uint64_t	 maxlit;
	size_t		 strused;
	int		 err;
	const char	*why;
	uint32_t	 depth;
	struct frame	 st[IMAPP_DEPTH_MAX + 1];
};

void
imapp_cmd_init(struct imapp_cmd *c)
{
	memset(c, 0, sizeof(*c));
}

void
imapp_cmd_fini(struct imapp_cmd *c)
{
	mem_free(&c->tok);
	mem_free(&c->secs);
	mem_free(&c->str);
	memset(c, 0, sizeof(*c));
}

int
imapp_is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

int
imapp_upper(int ch)
{
	return ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch;
}

int
imapp_eq(const char *p, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || imapp_upper((unsigned char)p[i]) !=
		    imapp_upper((unsigned char)word[i]))
			return 0;
	return word[n] == '\0';
}

/* ATOM-CHAR plus the list-wildcards, "\" and "]": what the tokenizer
 * takes into an atom (the helpers check the exact grammar). */
int
imapp_is_tokchar(int ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '(' && ch != ')' &&
	    ch != '{' && ch != '"';
}

/* RFC 9051 ATOM-CHAR. */
int
imapp_is_atomchar(int ch)
{
	return imapp_is_tokchar(ch) && ch != '%' && ch != '*' &&
	    ch != '\\' && ch != ']';
}

/* RFC 9051 ASTRING-CHAR. */
int
imapp_is_astringchar(int ch)
{
	return imapp_is_atomchar(ch) || ch == ']';
}

/* Digits into a uint64_t: 0 ok, -1 empty, junk or overflow. */
int
imapp_num(const char *p, size_t n, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!imapp_is_digit((unsigned char)p[i]))
			return -1;
		if (v > (UINT64_MAX - 9) / 10 &&
		    (v > UINT64_MAX / 10 ||
		    v * 10 > UINT64_MAX - (uint64_t)(p[i] - '0')))
			return -1;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*v_r = v;
	return 0;
}

int
imapp_line_literal(const char *line, size_t len, uint64_t limit,
    uint64_t *n_r, int *nonsync_r, int *bin_r)
{
	size_t end, j, d0;
	uint64_t v;

	*n_r = 0;
	*nonsync_r = 0;
	*bin_r = 0;
	if (limit == 0 || limit > IMAPP_LITERAL_MAX)
		limit = IMAPP_LITERAL_MAX;
	if (len >= 2 && line[len - 2] == '\r' && line[len - 1] == '\n')
		len -= 2;
	else if (len >= 1 && line[len - 1] == '\n')
		len -= 1;
	if (len == 0 || line[len - 1] != '}')
		return 0;
	end = len - 1;			/* at '}' */
	j = end;
	if (j > 0 && line[j - 1] == '+') {
		*nonsync_r = 1;
		j--;
	}
	d0 = j;
	while (j > 0 && imapp_is_digit((unsigned char)line[j - 1]))
		j--;
	if (j == 0 || line[j - 1] != '{') {
		/* "}" is an ATOM-CHAR: "foo}" is no literal.  But "{" can
		 * appear in no atom, so "{x}" is malformed. */
		if (memchr(line, '{', len) != NULL &&
		    (j == 0 || line[j - 1] == '{' || line[j - 1] == '+'))
			return -1;
		*nonsync_r = 0;
		return 0;
	}
	if (j > 1 && line[j - 2] == '~')
		*bin_r = 1;
	if (d0 == j || d0 - j > 20 || imapp_num(line + j, d0 - j, &v) < 0 ||
	    v > limit)
		return -1;
	*n_r = v;
	return 1;
}

static void
fail(struct ps *s, int err, const char *why)
{
	if (s->err == 0) {
		s->err = err;
		s->why = why;
	}
}

/* A new token as the last child of f; returns its index or 0 (error). */
static uint32_t
tok_new(struct ps *s, struct frame *f, enum imapp_tok_type type)
{
	struct imapp_cmd *c = s->c;
	struct imapp_tok *t;
	uint32_t idx;

	if (c->ntok > s->maxtok) {
		fail(s, IMAPP_ELIMIT, "too many tokens");
		return 0;
	}
	if (c->ntok == c->tokcap) {
		uint32_t ncap = c->tokcap < 64 ? 64 : c->tokcap * 2;
		void *p;

		if (ncap > s->maxtok + 1)
			ncap = s->maxtok + 1;
		p = mem_realloc(c->tok, ncap, sizeof(*c->tok));
		if (p == NULL) {
			fail(s, IMAPP_ENOMEM, "out of memory");
			return 0;
		}
		c->tok = p;
		c->tokcap = ncap;
	}
	idx = c->ntok++;
	t = &c->tok[idx];
	memset(t, 0, sizeof(*t));
	t->type = type;
	if (f != NULL) {
		if (f->last != 0)
			c->tok[f->last].next = idx;
		f->last = idx;
		c->tok[f->idx].nkids++;
	}
	return idx;
}

static int
at_end(const struct ps *s)
{
	size_t r = s->len - s->i;

	return r == 0 || (r == 2 && s->b[s->i] == '\r' &&
	    s->b[s->i + 1] == '\n') || (r == 1 && s->b[s->i] == '\n');
}

/* "..." at s->i: unescaped into the string arena. */
static int
scan_quoted(struct ps *s, const char **p_r, size_t *n_r)
{
	char *out = s->c->str + s->strused;
	size_t n = 0;

	s->i++;
	for (;;) {
		int ch;

		if (s->i >= s->len) {
			fail(s, IMAPP_EBAD, "unterminated quoted string");
			return -1;
		}
		ch = (unsigned char)s->b[s->i++];
		if (ch == '"')
			break;
		if (ch == '\0' || ch == '\r' || ch == '\n') {
			fail(s, IMAPP_EBAD, "bad character in quoted string");
			return -1;
		}
		if (ch == '\\') {
			if (s->i >= s->len || (s->b[s->i] != '\\' &&
			    s->b[s->i] != '"')) {
				fail(s, IMAPP_EBAD, "bad escape in quoted string");
				return -1;
			}
			ch = (unsigned char)s->b[s->i++];
		}
		out[n++] = (char)ch;
	}
	s->strused += n;
	*p_r = out;
	*n_r = n;
	return 0;
}

/* {n} / {n+} / ~{n} at s->i (after any "~"), then CRLF and n bytes. */
static int
scan_literal(struct ps *s, int bin, const char **p_r, size_t *n_r)
{
	size_t d0;
	uint64_t v;

	s->i++;
	d0 = s->i;
	while (s->i < s->len && imapp_is_digit((unsigned char)s->b[s->i]))
		s->i++;
	if (s->i == d0 || s->i - d0 > 20 ||
	    imapp_num(s->b + d0, s->i - d0, &v) < 0) {
		fail(s, IMAPP_EBAD, "bad literal length");
		return -1;
	}
	if (v > s->maxlit) {
		fail(s, IMAPP_ELIMIT, "literal too large");
		return -1;
	}
	if (s->i < s->len && s->b[s->i] == '+')
		s->i++;
	if (s->i >= s->len || s->b[s->i] != '}') {
		fail(s, IMAPP_EBAD, "bad literal");
		return -1;
	}
	s->i++;
	if (s->i + 1 < s->len && s->b[s->i] == '\r' && s->b[s->i + 1] == '\n')
		s->i += 2;
	else if (s->i < s->len && s->b[s->i] == '\n')
		s->i++;
	else {
		fail(s, IMAPP_EBAD, "literal not followed by CRLF");
		return -1;
	}
	if (v > s->len - s->i) {
		fail(s, IMAPP_EBAD, "literal shorter than announced");
		return -1;
	}
	*p_r = s->b + s->i;
	*n_r = (size_t)v;
	if (!bin && memchr(*p_r, '\0', *n_r) != NULL) {
		fail(s, IMAPP_EBAD, "NUL in literal");
		return -1;
	}
	s->i += (size_t)v;
	return 0;
}

static int
is_section_name(const char *p, size_t n, int *bin_r)
{
	*bin_r = 0;
	if (imapp_eq(p, n, "BODY") || imapp_eq(p, n, "BODY.PEEK"))
		return 1;
	if (imapp_eq(p, n, "BINARY") || imapp_eq(p, n, "BINARY.PEEK") ||
	    imapp_eq(p, n, "BINARY.SIZE")) {
		*bin_r = 1;
		return 1;
	}
	return 0;
}

/* The word at s->i up to ']' or SP. */
static size_t
word_len(const struct ps *s)
{
	size_t j = s->i;

	while (j < s->len && s->b[j] != ']' && s->b[j] != ' ')
		j++;
	return j - s->i;
}

/* " (" field *(SP field) ")" of HEADER.FIELDS, as kids of the section. */
static int
scan_fields(struct ps *s, uint32_t sidx, struct imapp_section *sec)
{
	struct frame f = { sidx, 0 };

	if (s->len - s->i < 3 || s->b[s->i] != ' ' || s->b[s->i + 1] != '(') {
		fail(s, IMAPP_EBAD, "HEADER.FIELDS needs a list");
		return -1;
	}
	s->i += 2;
	for (;;) {
		uint32_t k;
		size_t j = s->i;

		if (s->i >= s->len) {
			fail(s, IMAPP_EBAD, "unterminated header list");
			return -1;
		}
		if (s->b[s->i] == '"') {
			const char *p;
			size_t n;

			if (scan_quoted(s, &p, &n) < 0 ||
			    (k = tok_new(s, &f, IMAPP_T_QUOTED)) == 0)
				return -1;
			s->c->tok[k].p = p;
			s->c->tok[k].n = n;
		} else {
			while (j < s->len && imapp_is_astringchar(
			    (unsigned char)s->b[j]))
				j++;
			if (j == s->i) {
				fail(s, IMAPP_EBAD, "bad header field name");
				return -1;
			}
			if ((k = tok_new(s, &f, IMAPP_T_ATOM)) == 0)
				return -1;
			s->c->tok[k].p = s->b + s->i;
			s->c->tok[k].n = j - s->i;
			s->i = j;
		}
		sec->nfields++;
		if (s->i < s->len && s->b[s->i] == ')') {
			s->i++;
			return 0;
		}
		if (s->len - s->i < 2 || s->b[s->i] != ' ' ||
		    s->b[s->i + 1] == ' ' || s->b[s->i + 1] == ')') {
			fail(s, IMAPP_EBAD, "bad header list");
			return -1;
		}
		s->i++;
	}
}

/* Part numbers "1.2.3" at s->i; stops before a "." not followed by a
 * digit. */
static int
scan_parts(struct ps *s, struct imapp_section *sec)
{
	while (s->i < s->len && imapp_is_digit((unsigned char)s->b[s->i])) {
		size_t d0 = s->i;
		uint64_t v;

		while (s->i < s->len &&
		    imapp_is_digit((unsigned char)s->b[s->i]))
			s->i++;
		if (s->b[d0] == '0' || s->i - d0 > 10 ||
		    imapp_num(s->b + d0, s->i - d0, &v) < 0 ||
		    v > UINT32_MAX) {
			fail(s, IMAPP_EBAD, "bad section part number");
			return -1;
		}
		if (sec->nparts == IMAPP_SECTION_PARTS) {
			fail(s, IMAPP_ELIMIT, "section too deep");
			return -1;
		}
		sec->part[sec->nparts++] = (uint32_t)v;
		if (s->len - s->i >= 2 && s->b[s->i] == '.' &&
		    imapp_is_digit((unsigned char)s->b[s->i + 1]))
			s->i++;
		else
			break;
	}
	return 0;
}

static int
scan_spec(struct ps *s, uint32_t sidx, struct imapp_section *sec)
{
	const char *w;
	size_t n;

	if (sec->nparts > 0) {
		if (s->i >= s->len || s->b[s->i] == ']')
			return 0;
		if (s->b[s->i] != '.') {
			fail(s, IMAPP_EBAD, "bad section");
			return -1;
		}
		s->i++;
	}
	w = s->b + s->i;
	n = word_len(s);
	if (imapp_eq(w, n, "HEADER"))
		sec->spec = IMAPP_SPEC_HEADER;
	else if (imapp_eq(w, n, "TEXT"))
		sec->spec = IMAPP_SPEC_TEXT;
	else if (imapp_eq(w, n, "MIME") && sec->nparts > 0)
		sec->spec = IMAPP_SPEC_MIME;
	else if (imapp_eq(w, n, "HEADER.FIELDS"))
		sec->spec = IMAPP_SPEC_HEADER_FIELDS;
	else if (imapp_eq(w, n, "HEADER.FIELDS.NOT"))
		sec->spec = IMAPP_SPEC_HEADER_FIELDS_NOT;
	else {
		fail(s, IMAPP_EBAD, "bad section");
		return -1;
	}
	s->i += n;
	if (sec->spec == IMAPP_SPEC_HEADER_FIELDS ||
	    sec->spec == IMAPP_SPEC_HEADER_FIELDS_NOT)
		return scan_fields(s, sidx, sec);
	return 0;
}

/* "<" number "." nz-number ">" after a section. */
static int
scan_partial(struct ps *s, struct imapp_section *sec)
{
	size_t d0;

	if (s->i >= s->len || s->b[s->i] != '<')
		return 0;
	d0 = ++s->i;
	while (s->i < s->len && imapp_is_digit((unsigned char)s->b[s->i]))
		s->i++;
	if (s->i - d0 > 20 || imapp_num(s->b + d0, s->i - d0,
	    &sec->offset) < 0 || s->i >= s->len || s->b[s->i] != '.')
		goto bad;
	d0 = ++s->i;
	while (s->i < s->len && imapp_is_digit((unsigned char)s->b[s->i]))
		s->i++;
	if (s->i - d0 > 20 || imapp_num(s->b + d0, s->i - d0,
	    &sec->count) < 0 || sec->count == 0 || s->b[d0] == '0' ||
	    s->i >= s->len || s->b[s->i] != '>')
		goto bad;
	s->i++;
	sec->has_partial = 1;
	return 0;
bad:
	fail(s, IMAPP_EBAD, "bad partial <offset.count>");
	return -1;
}

static struct imapp_section *
sec_new(struct ps *s, uint32_t *idx_r)
{
	struct imapp_cmd *c = s->c;

	if (c->nsec == c->seccap) {
		uint32_t ncap = c->seccap < 8 ? 8 : c->seccap * 2;
		void *p;

		if (ncap > s->maxtok + 1)
			ncap = s->maxtok + 1;
		p = mem_realloc(c->secs, ncap, sizeof(*c->secs));
		if (p == NULL) {
			fail(s, IMAPP_ENOMEM, "out of memory");
			return NULL;
		}
		c->secs = p;
		c->seccap = ncap;
	}
	*idx_r = c->nsec;
	memset(&c->secs[c->nsec], 0, sizeof(c->secs[0]));
	return &c->secs[c->nsec++];
}

/* BODY[...]<o.n>: s->i at '['; the name runs from start. */
static int
scan_section(struct ps *s, struct frame *f, size_t start, int bin)
{
	struct imapp_section *sec;
	uint32_t k, si;

	if ((k = tok_new(s, f, IMAPP_T_SECTION)) == 0 ||
	    (sec = sec_new(s, &si)) == NULL)
		return -1;
	s->c->tok[k].p = s->b + start;
	s->c->tok[k].n = s->i - start;
	/* Point at the index for now; fixed up when the arrays stop moving. */
	s->c->tok[k].num = si;
	s->i++;
	if (scan_parts(s, sec) < 0)
		return -1;
	if (s->i < s->len && s->b[s->i] != ']') {
		if (bin) {
			fail(s, IMAPP_EBAD, "bad BINARY section");
			return -1;
		}
		if (scan_spec(s, k, &s->c->secs[si]) < 0)
			return -1;
	}
	sec = &s->c->secs[si];
	if (s->i >= s->len || s->b[s->i] != ']') {
		fail(s, IMAPP_EBAD, "unterminated section");
		return -1;
	}
	s->i++;
	return scan_partial(s, sec);
}

static int
scan_atom(struct ps *s, struct frame *f)
{
	size_t start = s->i;
	uint32_t k;
	int bin;

	while (s->i < s->len && imapp_is_tokchar((unsigned char)s->b[s->i])) {
		if (s->b[s->i] == '[' &&
		    is_section_name(s->b + start, s->i - start, &bin))
			return scan_section(s, f, start, bin);
		s->i++;
	}
	if (s->i == start) {
		fail(s, IMAPP_EBAD, s->i < s->len && s->b[s->i] == '\0' ?
		    "NUL in command" : "bad character in command");
		return -1;
	}
	if ((k = tok_new(s, f, IMAPP_T_ATOM)) == 0)
		return -1;
	s->c->tok[k].p = s->b + start;
	s->c->tok[k].n = s->i - start;
	if (imapp_eq(s->c->tok[k].p, s->c->tok[k].n, "NIL"))
		s->c->tok[k].type = IMAPP_T_NIL;
	else if (s->i - start <= 20 && imapp_num(s->c->tok[k].p,
	    s->c->tok[k].n, &s->c->tok[k].num) == 0)
		s->c->tok[k].type = IMAPP_T_NUMBER;
	return 0;
}

/* One element at s->i (not ')'); a '(' opens a list: returns 1 then,
 * else 0 or -1. */
static int
scan_element(struct ps *s)
{
	struct frame *f = &s->st[s->depth];
	const char *p;
	size_t n;
	uint32_t k;
	int ch = (unsigned char)s->b[s->i];

	if (ch == '(') {
		if (s->depth >= s->maxdepth) {
			fail(s, IMAPP_ELIMIT, "lists nested too deeply");
			return -1;
		}
		if ((k = tok_new(s, f, IMAPP_T_LIST)) == 0)
			return -1;
		s->depth++;
		s->st[s->depth].idx = k;
		s->st[s->depth].last = 0;
		s->i++;
		return 1;
	}
	if (ch == '"') {
		if (scan_quoted(s, &p, &n) < 0 ||
		    (k = tok_new(s, f, IMAPP_T_QUOTED)) == 0)
			return -1;
	} else if (ch == '{' || (ch == '~' && s->len - s->i > 1 &&
	    s->b[s->i + 1] == '{')) {
		int bin = ch == '~';

		s->i += bin;
		if (scan_literal(s, bin, &p, &n) < 0 ||
		    (k = tok_new(s, f, bin ? IMAPP_T_LITERAL8 :
		    IMAPP_T_LITERAL)) == 0)
			return -1;
	} else
		return scan_atom(s, f);
	s->c->tok[k].p = p;
	s->c->tok[k].n = n;
	return 0;
}

/* The argument tree after "tag SP name SP". */
static int
scan_args(struct ps *s)
{
	int want = 1;		/* an element must come next */

	for (;;) {
		if (want) {
			if (s->i >= s->len) {
				fail(s, IMAPP_EBAD, "missing argument");
				return -1;
			}
			if (s->b[s->i] == ')' && s->depth > 0 &&
			    s->st[s->depth].last == 0) {
				/* "()" */
				s->depth--;
				s->i++;
				want = 0;
				continue;
			}
			if (s->b[s->i] == ' ' || s->b[s->i] == ')') {
				fail(s, IMAPP_EBAD, "unexpected space or )");
				return -1;
			}
			if ((want = scan_element(s)) < 0)
				return -1;
			continue;
		}
		if (s->i < s->len && s->b[s->i] == ')') {
			if (s->depth == 0) {
				fail(s, IMAPP_EBAD, "unbalanced )");
				return -1;
			}
			s->depth--;
			s->i++;
		} else if (s->i < s->len && s->b[s->i] == ' ') {
			s->i++;
			want = 1;
		} else if (at_end(s)) {
			if (s->depth > 0) {
				fail(s, IMAPP_EBAD, "unbalanced (");
				return -1;
			}
			return 0;
		} else {
			fail(s, IMAPP_EBAD, s->b[s->i] == '\0' ?
			    "NUL in command" : "junk after argument");
			return -1;
		}
	}
}

static int
is_tagchar(int ch)
{
	return imapp_is_astringchar(ch) && ch != '+';
}

static int
is_namechar(int ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    imapp_is_digit(ch) || ch == '-' || ch == '.' || ch == '_';
}

/* The command name at s->i into name; 0 or -1. */
static int
scan_name(struct ps *s, char *name)
{
	size_t j = 0;

	while (s->i < s->len && is_namechar((unsigned char)s->b[s->i])) {
		if (j == IMAPP_NAME_MAX) {
			fail(s, IMAPP_EBAD, "unknown command");
			return -1;
		}
		name[j++] = (char)imapp_upper((unsigned char)s->b[s->i++]);
	}
	name[j] = '\0';
	if (j == 0) {
		fail(s, IMAPP_EBAD, "missing command");
		return -1;
	}
	if (s->i < s->len && s->b[s->i] != ' ' && !at_end(s)) {
		fail(s, IMAPP_EBAD, "bad command name");
		return -1;
	}
	return 0;
}

static int
uid_ok(const char *name)
{
	static const char *const v[] = { "COPY", "MOVE", "FETCH", "STORE",
	    "SEARCH", "SORT", "THREAD", "EXPUNGE" };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (strcmp(name, v[i]) == 0)
			return 1;
	return 0;
}

static int
scan_head(struct ps *s)
{
	struct imapp_cmd *c = s->c;

	while (s->i < s->len && is_tagchar((unsigned char)s->b[s->i]))
		s->i++;
	if (s->i == 0 || s->i > IMAPP_TAG_MAX ||
	    (s->i < s->len && s->b[s->i] != ' ' && !at_end(s))) {
		fail(s, IMAPP_EBAD, "invalid tag");
		return -1;
	}
	if (at_end(s)) {
		c->tag = s->b;
		c->tag_len = s->i;
		fail(s, IMAPP_EBAD, "missing command");
		return -1;
	}
	c->tag = s->b;
	c->tag_len = s->i;
	s->i++;
	if (scan_name(s, c->name) < 0)
		return -1;
	if (strcmp(c->name, "UID") == 0) {
		if (s->i >= s->len || s->b[s->i] != ' ') {
			fail(s, IMAPP_EBAD, "UID needs a command");
			return -1;
		}
		s->i++;
		if (scan_name(s, c->name) < 0)
			return -1;
		c->uid = 1;
		if (!uid_ok(c->name)) {
			fail(s, IMAPP_EBAD, "bad UID command");
			return -1;
		}
	}
	return 0;
}

static int
prepare(struct ps *s, const struct imapp_limits *lim)
{
	struct imapp_cmd *c = s->c;
	size_t need = s->len + 1;

	s->maxtok = lim != NULL && lim->max_tokens != 0 ? lim->max_tokens :
	    IMAPP_TOKENS_DEFAULT;
	if (s->maxtok > UINT32_MAX / 2 - 1)
		s->maxtok = UINT32_MAX / 2 - 1;
	s->maxdepth = lim != NULL && lim->max_depth != 0 ? lim->max_depth :
	    IMAPP_DEPTH_DEFAULT;
	if (s->maxdepth > IMAPP_DEPTH_MAX)
		s->maxdepth = IMAPP_DEPTH_MAX;
	s->maxlit = lim != NULL && lim->max_literal != 0 &&
	    lim->max_literal < IMAPP_LITERAL_MAX ? lim->max_literal :
	    IMAPP_LITERAL_MAX;
	c->tag = NULL;
	c->tag_len = 0;
	c->name[0] = '\0';
	c->uid = 0;
	c->ntok = 0;
	c->nargs = 0;
	c->nsec = 0;
	/* Unescaped quoted strings never outgrow the input. */
	if (c->strcap < need) {
		char *p = mem_realloc(c->str, need, 1);

		if (p == NULL) {
			fail(s, IMAPP_ENOMEM, "out of memory");
			return -1;
		}
		c->str = p;
		c->strcap = need;
	}
	if (tok_new(s, NULL, IMAPP_T_LIST) != 0 || s->err != 0)
		return -1;	/* cannot happen: index 0 */
	return 0;
}

/* Section pointers once the arrays no longer move. */
static void
fixup(struct imapp_cmd *c)
{
	uint32_t k;

	for (k = 0; k < c->ntok; k++) {
		struct imapp_tok *t = &c->tok[k];

		if (t->type != IMAPP_T_SECTION)
			continue;
		t->sec = &c->secs[t->num];
		c->secs[t->num].fields = t->nkids > 0 ? &c->tok[k + 1] : NULL;
		t->num = 0;
	}
}

int
imapp_parse(const char *buf, size_t len, const struct imapp_limits *lim,
    struct imapp_cmd *c, const char **why_r)
{
	static struct ps zero;
	struct ps *s, st;

	st = zero;
	s = &st;
	s->b = buf;
	s->len = len;
	s->c = c;
	*why_r = NULL;
	if (prepare(s, lim) < 0)
		goto out;
	if (scan_head(s) < 0)
		goto out;
	if (s->i < s->len && !at_end(s)) {
		s->i++;			/* the SP */
		s->st[0].idx = 0;
		s->st[0].last = 0;
		if (scan_args(s) < 0)
			goto out;
	}
	c->nargs = c->tok[0].nkids;
	fixup(c);
out:
	if (s->err != 0) {
		*why_r = s->why;
		c->ntok = 0;
		c->nargs = 0;
		return s->err;
	}
	return IMAPP_OK;
}

const struct imapp_tok *
imapp_tok_first(const struct imapp_cmd *c, const struct imapp_tok *t)
{
	(void)c;
	if (t == NULL || t->nkids == 0)
		return NULL;
	return t + 1;
}

const struct imapp_tok *
imapp_tok_next(const struct imapp_cmd *c, const struct imapp_tok *t)
{
	if (t == NULL || t->next == 0)
		return NULL;
	return &c->tok[t->next];
}

const struct imapp_tok *
imapp_arg(const struct imapp_cmd *c, uint32_t i)
{
	const struct imapp_tok *t;

	if (c->ntok == 0)
		return NULL;
	for (t = imapp_tok_first(c, &c->tok[0]); t != NULL && i > 0; i--)
		t = imapp_tok_next(c, t);
	return t;
}

int
imapp_tok_is_astring(const struct imapp_tok *t)
{
	size_t i;

	switch (t->type) {
	case IMAPP_T_ATOM:
		for (i = 0; i < t->n; i++)
			if (!imapp_is_astringchar((unsigned char)t->p[i]))
				return 0;
		return 1;
	case IMAPP_T_NUMBER:
	case IMAPP_T_NIL:
	case IMAPP_T_QUOTED:
	case IMAPP_T_LITERAL:
		return 1;
	case IMAPP_T_LITERAL8:
	case IMAPP_T_LIST:
	case IMAPP_T_SECTION:
		return 0;
	}
	return 0;
}

int
imapp_tok_is(const struct imapp_tok *t, const char *word)
{
	if (t == NULL || (t->type != IMAPP_T_ATOM &&
	    t->type != IMAPP_T_NUMBER && t->type != IMAPP_T_NIL))
		return 0;
	return imapp_eq(t->p, t->n, word);
}
