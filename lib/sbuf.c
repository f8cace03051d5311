/* sbuf.c - bounded byte strings; see sbuf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/sbuf.h"

void
sbuf_init(struct sbuf *b, size_t max)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
	/* Keeps need + 1 and the doubling below clear of overflow. */
	b->max = max > SIZE_MAX / 4 ? SIZE_MAX / 4 : max;
}

void
sbuf_fini(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

void
sbuf_fini_secret(struct sbuf *b)
{
	if (b->s != NULL)
		explicit_bzero(b->s, b->cap);
	sbuf_fini(b);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

/* Make room for 'more' bytes plus a NUL, within max. */
int
sbuf_reserve(struct sbuf *b, size_t more)
{
	size_t need, ncap;
	char *p;

	if (__builtin_add_overflow(b->len, more, &need) || need > b->max) {
		errno = E2BIG;
		return -1;
	}
	if (need + 1 <= b->cap)
		return 0;
	ncap = b->cap < 64 ? 64 : b->cap;
	while (ncap < need + 1) {
		if (__builtin_mul_overflow(ncap, 2, &ncap)) {
			ncap = need + 1;
			break;
		}
	}
	if (ncap > b->max + 1)
		ncap = b->max + 1;
	p = mem_realloc(b->s, ncap, 1);
	if (p == NULL)
		return -1;
	b->s = p;
	b->cap = ncap;
	return 0;
}

int
sbuf_cat_n(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
sbuf_cat_s(struct sbuf *b, const char *s)
{
	return sbuf_cat_n(b, s, strlen(s));
}

int
sbuf_cat_c(struct sbuf *b, int c)
{
	char ch = (char)c;

	return sbuf_cat_n(b, &ch, 1);
}

int
sbuf_cat_sbuf(struct sbuf *b, const struct sbuf *from)
{
	return sbuf_cat_n(b, from->s, from->len);
}

int
sbuf_set_n(struct sbuf *b, const void *p, size_t n)
{
	if (n > b->max) {
		errno = E2BIG;
		return -1;
	}
	b->len = 0;
	return sbuf_cat_n(b, p, n);
}

int
sbuf_set_s(struct sbuf *b, const char *s)
{
	return sbuf_set_n(b, s, strlen(s));
}

int
sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list aq;
	int n;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if (sbuf_reserve(b, (size_t)n) < 0)
		return -1;
	if (vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap) != n) {
		errno = EINVAL;
		return -1;
	}
	b->len += (size_t)n;
	return 0;
}

int
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = sbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

int
sbuf_cat_escaped(struct sbuf *b, const void *p, size_t n, size_t limit)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = p;
	size_t i, use = n > limit ? limit : n;
	char esc[4];

	for (i = 0; i < use; i++) {
		if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '\\') {
			if (sbuf_cat_c(b, u[i]) < 0)
				return -1;
			continue;
		}
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[u[i] >> 4];
		esc[3] = hex[u[i] & 15];
		if (sbuf_cat_n(b, esc, 4) < 0)
			return -1;
	}
	if (use < n && sbuf_cat_s(b, "...") < 0)
		return -1;
	return 0;
}

int
sbuf_nul(struct sbuf *b)
{
	if (b->s == NULL && sbuf_reserve(b, 0) < 0)
		return -1;
	b->s[b->len] = '\0';
	return 0;
}

int
sbuf_has_nul(const struct sbuf *b)
{
	return b->len > 0 && memchr(b->s, '\0', b->len) != NULL;
}

void
sbuf_consume(struct sbuf *b, size_t n)
{
	if (n >= b->len) {
		sbuf_reset(b);
		return;
	}
	memmove(b->s, b->s + n, b->len - n);
	b->len -= n;
	b->s[b->len] = '\0';
}

void
sbuf_truncate(struct sbuf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->s[len] = '\0';
	}
}

const char *
sbuf_str(struct sbuf *b)
{
	if (sbuf_nul(b) < 0)
		return NULL;
	return b->s;
}
