/* imapfmt.c - IMAP output of strings; see imapfmt.h. */
#include <string.h>

#include "lib/imapfmt.h"
#include "lib/sbuf.h"

/* RFC 3501 ATOM-CHAR: CHAR minus atom-specials; ']' only as ASTRING-CHAR. */
static int
atom_char(unsigned char c, int astring)
{
	if (c <= 0x20 || c >= 0x7f)
		return 0;
	switch (c) {
	case '(': case ')': case '{': case '%': case '*': case '"':
	case '\\':
		return 0;
	case ']':
		return astring;
	default:
		return 1;
	}
}

int
imapfmt_is_atom(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!atom_char((unsigned char)s[i], 0))
			return 0;
	return 1;
}

static int
quotable(const char *s, size_t n)
{
	size_t i;

	if (n >= IMAPFMT_QUOTED_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return 0;
	}
	return 1;
}

void
imapfmt_nonul(char *p, size_t n)
{
	char *q, *end = p + n;

	while (p < end && (q = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		*q = (char)0x80;
		p = q + 1;
	}
}

int
imapfmt_string(struct sbuf *out, const char *s, size_t n)
{
	size_t i, run;

	if (!quotable(s, n)) {
		if (sbuf_printf(out, "{%zu}\r\n", n) < 0 ||
		    sbuf_cat_n(out, s, n) < 0)
			return -1;
		imapfmt_nonul(out->s + out->len - n, n);
		return 0;
	}
	if (sbuf_reserve(out, n + 2) < 0 || sbuf_cat_c(out, '"') < 0)
		return -1;
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n && s[i + run] != '"' &&
		    s[i + run] != '\\'; run++)
			;
		if (run > 0 && sbuf_cat_n(out, s + i, run) < 0)
			return -1;
		if (i + run < n) {
			if (sbuf_cat_c(out, '\\') < 0 ||
			    sbuf_cat_c(out, s[i + run]) < 0)
				return -1;
			run++;
		}
	}
	return sbuf_cat_c(out, '"');
}

int
imapfmt_nstring(struct sbuf *out, const char *s, size_t n)
{
	if (s == NULL)
		return sbuf_cat_n(out, "NIL", 3);
	return imapfmt_string(out, s, n);
}

int
imapfmt_astring(struct sbuf *out, const char *s, size_t n)
{
	size_t i;

	if (n == 0 || (n == 3 && strncasecmp(s, "NIL", 3) == 0))
		return imapfmt_string(out, s, n);
	for (i = 0; i < n; i++)
		if (!atom_char((unsigned char)s[i], 1))
			return imapfmt_string(out, s, n);
	return sbuf_cat_n(out, s, n);
}

int
imapfmt_u64(struct sbuf *out, uint64_t v)
{
	char b[20];
	size_t i = sizeof(b);

	do {
		b[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	return sbuf_cat_n(out, b + i, sizeof(b) - i);
}
