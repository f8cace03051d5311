/*
 * imapp_seqset.c - IMAP sequence sets (RFC 9051 sequence-set, RFC 5182
 * "$"): parsing, membership, normalising, iteration and output.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/imapp_int.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

void
imapp_seqset_init(struct imapp_seqset *s)
{
	memset(s, 0, sizeof(*s));
}

void
imapp_seqset_fini(struct imapp_seqset *s)
{
	mem_free(&s->r);
	memset(s, 0, sizeof(*s));
}

int
imapp_seqset_add(struct imapp_seqset *s, uint32_t lo, uint32_t hi)
{
	if (s->n == s->cap) {
		size_t ncap = s->cap < 8 ? 8 : s->cap * 2;
		void *p;

		if (ncap > IMAPP_SEQSET_MAX)
			ncap = IMAPP_SEQSET_MAX;
		if (ncap <= s->n)
			return -1;
		if ((p = mem_realloc(s->r, ncap, sizeof(*s->r))) == NULL)
			return -1;
		s->r = p;
		s->cap = ncap;
	}
	s->r[s->n].lo = lo;
	s->r[s->n].hi = hi;
	s->n++;
	s->is_normal = 0;
	return 0;
}

/* seq-number at p[*i]: "*" (0) or nz-number. */
static int
seq_number(const char *p, size_t n, size_t *i, uint32_t *v_r)
{
	size_t d0 = *i;
	uint64_t v;

	if (*i < n && p[*i] == '*') {
		(*i)++;
		*v_r = 0;
		return 0;
	}
	while (*i < n && imapp_is_digit((unsigned char)p[*i]))
		(*i)++;
	if (*i == d0 || p[d0] == '0' || *i - d0 > 10 ||
	    imapp_num(p + d0, *i - d0, &v) < 0 || v > UINT32_MAX)
		return -1;
	*v_r = (uint32_t)v;
	return 0;
}

int
imapp_seqset_parse(const char *p, size_t n, struct imapp_seqset *s,
    const char **why_r)
{
	size_t i = 0;

	s->n = 0;
	s->is_saved = 0;
	s->is_normal = 0;
	if (n == 1 && p[0] == '$') {
		s->is_saved = 1;
		return 0;
	}
	for (;;) {
		uint32_t lo, hi;

		if (seq_number(p, n, &i, &lo) < 0)
			goto bad;
		hi = lo;
		if (i < n && p[i] == ':') {
			i++;
			if (seq_number(p, n, &i, &hi) < 0)
				goto bad;
		}
		if (imapp_seqset_add(s, lo, hi) < 0) {
			*why_r = "sequence set too long";
			s->n = 0;
			return -1;
		}
		if (i == n)
			break;
		if (p[i] != ',')
			goto bad;
		i++;
	}
	return 0;
bad:
	s->n = 0;
	*why_r = "invalid sequence set";
	return -1;
}

/* A range with "*" resolved and in order; 0 if it is empty (star 0). */
static int
resolve(const struct imapp_range *r, uint32_t star, uint32_t *lo_r,
    uint32_t *hi_r)
{
	uint32_t lo = r->lo, hi = r->hi, t;

	if ((lo == 0 || hi == 0) && star == 0)
		return 0;
	if (lo == 0)
		lo = star;
	if (hi == 0)
		hi = star;
	if (lo > hi) {
		t = lo;
		lo = hi;
		hi = t;
	}
	*lo_r = lo;
	*hi_r = hi;
	return 1;
}

/* Index of the first normalised range whose hi >= n (s->n if none). */
static size_t
lower_bound(const struct imapp_seqset *s, uint32_t n)
{
	size_t a = 0, b = s->n;

	while (a < b) {
		size_t m = a + (b - a) / 2;

		if (s->r[m].hi < n)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

int
imapp_seqset_contains(const struct imapp_seqset *s, uint32_t n,
    uint32_t star)
{
	size_t i;
	uint32_t lo, hi;

	if (n == 0)
		return 0;
	if (s->is_normal) {
		i = lower_bound(s, n);
		return i < s->n && s->r[i].lo <= n;
	}
	for (i = 0; i < s->n; i++)
		if (resolve(&s->r[i], star, &lo, &hi) && lo <= n && n <= hi)
			return 1;
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct imapp_range *x = a, *y = b;

	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	return 0;
}

void
imapp_seqset_normalize(struct imapp_seqset *s, uint32_t star)
{
	size_t i, j = 0;

	if (s->is_normal)
		return;
	for (i = 0; i < s->n; i++) {
		uint32_t lo, hi;

		if (!resolve(&s->r[i], star, &lo, &hi))
			continue;
		s->r[j].lo = lo;
		s->r[j].hi = hi;
		j++;
	}
	s->n = j;
	if (s->n > 1)
		qsort(s->r, s->n, sizeof(*s->r), range_cmp);
	j = 0;
	for (i = 0; i < s->n; i++) {
		if (j > 0 && (s->r[j - 1].hi == UINT32_MAX ||
		    s->r[i].lo <= s->r[j - 1].hi + 1)) {
			if (s->r[i].hi > s->r[j - 1].hi)
				s->r[j - 1].hi = s->r[i].hi;
			continue;
		}
		s->r[j++] = s->r[i];
	}
	s->n = j;
	s->is_normal = 1;
}

uint32_t
imapp_seqset_next(const struct imapp_seqset *s, uint32_t after)
{
	size_t i;

	if (!s->is_normal || after == UINT32_MAX)
		return 0;
	i = lower_bound(s, after + 1);
	if (i == s->n)
		return 0;
	return s->r[i].lo > after ? s->r[i].lo : after + 1;
}

uint64_t
imapp_seqset_count(const struct imapp_seqset *s)
{
	uint64_t c = 0;
	size_t i;

	if (!s->is_normal)
		return 0;
	for (i = 0; i < s->n; i++)
		c += (uint64_t)s->r[i].hi - s->r[i].lo + 1;
	return c;
}

int
imapp_seqset_format(const struct imapp_seqset *s, struct sbuf *out)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct imapp_range *r = &s->r[i];
		int rc;

		if (i > 0 && sbuf_cat_c(out, ',') < 0)
			return -1;
		if (r->lo == 0)
			rc = sbuf_cat_c(out, '*');
		else
			rc = sbuf_printf(out, "%lu", (unsigned long)r->lo);
		if (rc < 0)
			return -1;
		if (r->hi == r->lo)
			continue;
		if (r->hi == 0)
			rc = sbuf_cat_s(out, ":*");
		else
			rc = sbuf_printf(out, ":%lu", (unsigned long)r->hi);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
imapp_seqset_check(const char *p, size_t n)
{
	size_t i = 0;
	uint32_t v;

	for (;;) {
		if (seq_number(p, n, &i, &v) < 0)
			return -1;
		if (i < n && p[i] == ':') {
			i++;
			if (seq_number(p, n, &i, &v) < 0)
				return -1;
		}
		if (i == n)
			return 0;
		if (p[i] != ',')
			return -1;
		i++;
	}
}
