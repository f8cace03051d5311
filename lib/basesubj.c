/*
 * basesubj.c - RFC 5256 2.1 base subject extraction and the title-case
 * mapping SORT and THREAD compare with (see basesubj.h).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/basesubj.h"
#include "lib/mime.h"
#include "lib/sbuf.h"

/* U+00C0..U+00DF: base letter and combining mark (0: none). */
static const struct {
	char		 base;
	uint16_t	 mark;
} latin1[32] = {
	{ 'A', 0x300 }, { 'A', 0x301 }, { 'A', 0x302 }, { 'A', 0x303 },
	{ 'A', 0x308 }, { 'A', 0x30a }, { 0, 0 }, { 'C', 0x327 },
	{ 'E', 0x300 }, { 'E', 0x301 }, { 'E', 0x302 }, { 'E', 0x308 },
	{ 'I', 0x300 }, { 'I', 0x301 }, { 'I', 0x302 }, { 'I', 0x308 },
	{ 0, 0 }, { 'N', 0x303 }, { 'O', 0x300 }, { 'O', 0x301 },
	{ 'O', 0x302 }, { 'O', 0x303 }, { 'O', 0x308 }, { 0, 0 },
	{ 0, 0 }, { 'U', 0x300 }, { 'U', 0x301 }, { 'U', 0x302 },
	{ 'U', 0x308 }, { 'Y', 0x301 }, { 0, 0 }, { 0, 0 }
};

static int
put_utf8(struct sbuf *out, uint32_t c)
{
	char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (char)(0xc0 | (c >> 6));
		b[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (char)(0xe0 | (c >> 12));
		b[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (c >> 18));
		b[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		b[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	return sbuf_cat_n(out, b, n);
}

/* The next code point of s[*i..n), or 0xfffd for an invalid byte. */
static uint32_t
next_cp(const unsigned char *s, size_t n, size_t *i)
{
	uint32_t c = s[*i], min;
	size_t k, len;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else {
		(*i)++;
		return 0xfffd;
	}
	if (n - *i < len) {
		(*i)++;
		return 0xfffd;
	}
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80) {
			(*i)++;
			return 0xfffd;
		}
		c = c << 6 | (s[*i + k] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		(*i)++;
		return 0xfffd;
	}
	*i += len;
	return c;
}

/* Title case of one code point (simple mappings of the covered blocks). */
static uint32_t
title(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c >= 0xe0 && c <= 0xfe && c != 0xf7)
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c == 0xb5)
		return 0x39c;
	if (c >= 0x100 && c <= 0x137 && (c & 1))
		return c - 1;
	if (c >= 0x139 && c <= 0x148 && !(c & 1))
		return c - 1;
	if (c >= 0x14a && c <= 0x177 && (c & 1))
		return c - 1;
	if (c == 0x17a || c == 0x17c || c == 0x17e)
		return c - 1;
	if (c == 0x17f)
		return 'S';
	if (c >= 0x3b1 && c <= 0x3cb && c != 0x3c2)
		return c - 32;
	if (c == 0x3c2)
		return 0x3a3;
	if (c >= 0x3ac && c <= 0x3af)
		return c == 0x3ac ? 0x386 : c - 37;
	if (c >= 0x3cc && c <= 0x3ce)
		return c == 0x3cc ? 0x38c : c - 63;
	if (c >= 0x430 && c <= 0x44f)
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	return c;
}

int
basesubj_casemap(struct sbuf *out, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	uint32_t c;
	size_t i = 0;

	while (i < n) {
		c = title(next_cp(u, n, &i));
		if (c >= 0xc0 && c <= 0xdf && latin1[c - 0xc0].base != 0) {
			if (sbuf_cat_c(out, latin1[c - 0xc0].base) == -1 ||
			    put_utf8(out, latin1[c - 0xc0].mark) == -1)
				return -1;
			continue;
		}
		if (c == 0x178) {	/* Y with diaeresis */
			if (sbuf_cat_c(out, 'Y') == -1 ||
			    put_utf8(out, 0x308) == -1)
				return -1;
			continue;
		}
		if (put_utf8(out, c) == -1)
			return -1;
	}
	return 0;
}

/* A subject being cut down: s[b..e). */
struct subj {
	const char	*s;
	size_t		 b, e;
	int		 reply;
};

static int
has_prefix(const struct subj *j, size_t at, const char *w)
{
	size_t n = strlen(w);

	return j->e - at >= n && strncasecmp(j->s + at, w, n) == 0;
}

/* (2) trailing "(fwd)" and spaces. */
static void
trailers(struct subj *j)
{
	for (;;) {
		if (j->e > j->b && j->s[j->e - 1] == ' ')
			j->e--;
		else if (j->e - j->b >= 5 &&
		    strncasecmp(j->s + j->e - 5, "(fwd)", 5) == 0) {
			j->e -= 5;
			j->reply = 1;
		} else
			break;
	}
}

/* A subj-blob at *at: "[" chars other than "[" and "]" "]" and one space
 * (spaces are single after step 1); 1 and *at past it, or 0. */
static int
blob(const struct subj *j, size_t *at)
{
	size_t i = *at;

	if (i >= j->e || j->s[i] != '[')
		return 0;
	for (i++; i < j->e && j->s[i] != ']'; i++)
		if (j->s[i] == '[')
			return 0;
	if (i >= j->e)
		return 0;
	i++;
	if (i < j->e && j->s[i] == ' ')
		i++;
	*at = i;
	return 1;
}

/* (3) one subj-leader; 1 if removed. */
static int
leader(struct subj *j)
{
	size_t i = j->b;

	if (i < j->e && j->s[i] == ' ') {
		j->b++;
		return 1;
	}
	while (i < j->e && j->s[i] == '[')
		if (!blob(j, &i))
			return 0;
	if (has_prefix(j, i, "RE"))
		i += 2;
	else if (has_prefix(j, i, "FWD"))
		i += 3;
	else if (has_prefix(j, i, "FW"))
		i += 2;
	else
		return 0;
	if (i < j->e && j->s[i] == ' ')
		i++;
	if (i < j->e && j->s[i] == '[' && !blob(j, &i))
		return 0;
	if (i >= j->e || j->s[i] != ':')
		return 0;
	j->b = i + 1;
	j->reply = 1;
	return 1;
}

/* (4) a leading blob with something after it; 1 if removed. */
static int
leading_blob(struct subj *j)
{
	size_t i = j->b;

	if (!blob(j, &i) || i >= j->e)
		return 0;
	j->b = i;
	return 1;
}

/* (6) "[fwd:" ... "]"; 1 if removed. */
static int
fwd_hdr(struct subj *j)
{
	if (j->e - j->b < 6 || !has_prefix(j, j->b, "[FWD:") ||
	    j->s[j->e - 1] != ']')
		return 0;
	j->b += 5;
	j->e--;
	j->reply = 1;
	return 1;
}

/* (1): decode, case map, one space for each run of blanks. */
static int
normalize(struct sbuf *norm, const char *v, size_t n)
{
	struct sbuf dec, map;
	size_t i;
	int r = -1, sp = 0;
	char c;

	sbuf_init(&dec, BASESUBJ_MAX);
	sbuf_init(&map, BASESUBJ_MAX * 2);
	if (mime_header_decode(&dec, v, n) == -1) {
		if (errno != E2BIG)
			goto out;
		/* Too long: use what fitted. */
	}
	if (basesubj_casemap(&map, dec.s ? dec.s : "", dec.len) == -1 &&
	    errno != E2BIG)
		goto out;
	for (i = 0; i < map.len; i++) {
		c = map.s[i];
		if (c == '\t' || c == '\r' || c == '\n' || c == ' ') {
			sp = 1;
			continue;
		}
		if (sp && sbuf_cat_c(norm, ' ') == -1)
			goto out;
		sp = 0;
		if (sbuf_cat_c(norm, c) == -1)
			goto out;
	}
	if (sp && sbuf_cat_c(norm, ' ') == -1)
		goto out;
	r = 0;
out:
	sbuf_fini(&dec);
	sbuf_fini(&map);
	return r;
}

int
basesubj_extract(struct sbuf *out, const char *v, size_t n, int *is_reply_r)
{
	struct sbuf norm;
	struct subj j;
	int found, r;

	if (is_reply_r != NULL)
		*is_reply_r = 0;
	sbuf_init(&norm, BASESUBJ_MAX * 2 + 1);
	if (normalize(&norm, v, n) == -1) {
		sbuf_fini(&norm);
		return -1;
	}
	j.s = norm.s ? norm.s : "";
	j.b = 0;
	j.e = norm.len;
	j.reply = 0;
	do {
		trailers(&j);
		do {
			found = leader(&j);
			found |= leading_blob(&j);
		} while (found);
	} while (fwd_hdr(&j));
	if (is_reply_r != NULL)
		*is_reply_r = j.reply;
	r = sbuf_cat_n(out, j.s + j.b, j.e - j.b);
	sbuf_fini(&norm);
	return r;
}
