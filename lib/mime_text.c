/* UNSAFE: byte-level decoders (RFC 2047, base64, quoted-printable, UTF-8)
 * by index; every index is checked against its length.  See mime.h. */
#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/base64.h"
#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

#define CHARSET_NAME_MAX	64

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Lenient base64: other bytes skipped, stops at '='. */
int
mime_b64_decode(struct sbuf *out, const char *s, size_t n)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i;
	int v;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = base64_value((unsigned char)s[i])) < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (sbuf_cat_c(out, (int)((acc >> bits) & 0xff)) < 0)
				return -1;
		}
	}
	return 0;
}

/* Quoted-printable (RFC 2045 6.7); header_q: RFC 2047 "Q" ('_' is a
 * space, no soft line breaks). */
int
mime_qp_decode(struct sbuf *out, const char *s, size_t n, int header_q)
{
	size_t i, j;
	int h, l, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c == '_' && header_q)
			c = ' ';
		else if (c == '=') {
			if (i + 2 < n && (h = hexval((unsigned char)s[i + 1])) >= 0 &&
			    (l = hexval((unsigned char)s[i + 2])) >= 0) {
				c = h * 16 + l;
				i += 2;
			} else if (!header_q) {
				/* Soft line break: "=" blanks line-end. */
				for (j = i + 1; j < n && mime_is_blank(
				    (unsigned char)s[j]); j++)
					;
				if (j < n && s[j] == '\r')
					j++;
				if (j < n && s[j] == '\n') {
					i = j;
					continue;
				}
				if (j == n) {
					i = j;
					continue;
				}
			}
		}
		if (sbuf_cat_c(out, c) < 0)
			return -1;
	}
	return 0;
}

static int
is_utf8_name(const char *cs, size_t n)
{
	return mime_eq(cs, n, "utf-8") || mime_eq(cs, n, "utf8") ||
	    mime_eq(cs, n, "us-ascii") || mime_eq(cs, n, "ascii");
}

/* Append as much of p[0..n) as fits, cut at a UTF-8 boundary; 1 when
 * something did not fit. */
static int
cat_fit(struct sbuf *out, const char *p, size_t n)
{
	size_t room;

	if (sbuf_cat_n(out, p, n) == 0)
		return 0;
	if (errno != E2BIG)
		return -1;
	room = out->max - out->len;
	if (room < n) {
		while (room > 0 && ((unsigned char)p[room] & 0xc0) == 0x80)
			room--;
		if (room > 0 && sbuf_cat_n(out, p, room) < 0)
			return -1;
	}
	return 1;
}

/* Convert p[0..n) from charset cs to UTF-8 onto out.  -2: charset not
 * known to iconv; 1: out is full; 0; -1 error. */
static int
to_utf8(struct sbuf *out, const char *cs, size_t csn, const char *p,
    size_t n)
{
	char name[CHARSET_NAME_MAX + 1], buf[4096], *in, *ob;
	size_t il, ol, r;
	iconv_t cd;
	int ret = 0;

	if (cs == NULL || is_utf8_name(cs, csn))
		return cat_fit(out, p, n);
	if (csn == 0 || csn > CHARSET_NAME_MAX || memchr(cs, '\0', csn))
		return -2;
	memcpy(name, cs, csn);
	name[csn] = '\0';
	cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1)
		return -2;
	in = (char *)(uintptr_t)p;
	il = n;
	while (il > 0 && ret == 0) {
		ob = buf;
		ol = sizeof(buf);
		r = iconv(cd, &in, &il, &ob, &ol);
		if (ob > buf)
			ret = cat_fit(out, buf, (size_t)(ob - buf));
		if (r == (size_t)-1 && errno == EILSEQ) {
			in++;		/* skip a bad byte */
			il--;
		} else if (r == (size_t)-1 && errno == EINVAL)
			break;		/* truncated at the end */
	}
	(void)iconv_close(cd);
	return ret;
}

/* One encoded word at v[i] ("=?cs?e?text?="): its end in *end_r. */
static int
encoded_word(const char *v, size_t n, size_t i, size_t *end_r,
    const char **cs, size_t *csn, char *enc, const char **tx, size_t *txn)
{
	size_t j, q1, q2;

	if (i + 1 >= n || v[i] != '=' || v[i + 1] != '?')
		return 0;
	for (q1 = i + 2; q1 < n && v[q1] != '?' && v[q1] > ' '; q1++)
		;
	if (q1 + 2 >= n || v[q1] != '?' || v[q1 + 2] != '?')
		return 0;
	*enc = (char)(v[q1 + 1] | 0x20);
	if (*enc != 'b' && *enc != 'q')
		return 0;
	for (q2 = q1 + 3; q2 + 1 < n && !(v[q2] == '?' && v[q2 + 1] == '=');
	    q2++)
		if (v[q2] == ' ' || v[q2] == '\t' || v[q2] == '\r' ||
		    v[q2] == '\n')
			return 0;
	if (q2 + 1 >= n)
		return 0;
	*cs = v + i + 2;
	*csn = q1 - i - 2;
	for (j = 0; j < *csn; j++)	/* RFC 2231 language: cs*lang */
		if ((*cs)[j] == '*') {
			*csn = j;
			break;
		}
	*tx = v + q1 + 3;
	*txn = q2 - q1 - 3;
	*end_r = q2 + 2;
	return 1;
}

int
mime_header_decode(struct sbuf *out, const char *v, size_t n)
{
	struct sbuf dec;
	const char *cs, *tx;
	size_t i = 0, end, csn, txn, ws, k;
	char enc;
	int prev_word = 0, r;

	sbuf_init(&dec, n + 1);
	while (i < n) {
		if (!encoded_word(v, n, i, &end, &cs, &csn, &enc, &tx, &txn)) {
			/* Whitespace between two encoded words is dropped. */
			for (ws = i; ws < n && (mime_is_blank((unsigned char)v[ws])
			    || v[ws] == '\r' || v[ws] == '\n'); ws++)
				;
			if (prev_word && ws > i && ws < n &&
			    encoded_word(v, n, ws, &end, &cs, &csn, &enc,
			    &tx, &txn)) {
				i = ws;
				continue;
			}
			prev_word = 0;
			if (v[i] != '\r' && v[i] != '\n' &&
			    sbuf_cat_c(out, v[i]) < 0)
				goto fail;
			i++;
			continue;
		}
		sbuf_reset(&dec);
		r = enc == 'b' ? mime_b64_decode(&dec, tx, txn) :
		    mime_qp_decode(&dec, tx, txn, 1);
		if (r < 0)
			goto fail;
		r = to_utf8(out, cs, csn, dec.s != NULL ? dec.s : "", dec.len);
		if (r == -2) {
			for (k = i; k < end; k++)
				if (sbuf_cat_c(out, v[k]) < 0)
					goto fail;
		} else if (r != 0)
			goto fail;
		prev_word = 1;
		i = end;
	}
	sbuf_fini(&dec);
	return 0;
fail:
	sbuf_fini(&dec);
	if (errno == 0)
		errno = E2BIG;
	return -1;
}

int
mime_part_text(struct sbuf *out, const char *msg, const struct mime_part *p)
{
	const struct mime_str *cs;
	const char *b = msg + p->body_off;
	struct sbuf dec;
	int r;

	if (!p->is_text || p->is_multipart || p->is_message)
		return 0;
	cs = mime_param_get(p->params, p->nparams, "charset");
	sbuf_init(&dec, p->body_len + 1);
	if (p->encoding.s != NULL &&
	    mime_eq(p->encoding.s, p->encoding.n, "base64"))
		r = mime_b64_decode(&dec, b, p->body_len);
	else if (p->encoding.s != NULL &&
	    mime_eq(p->encoding.s, p->encoding.n, "quoted-printable"))
		r = mime_qp_decode(&dec, b, p->body_len, 0);
	else
		r = sbuf_set_n(&dec, b, p->body_len);
	if (r == 0) {
		r = to_utf8(out, cs != NULL ? cs->s : NULL,
		    cs != NULL ? cs->n : 0, dec.s != NULL ? dec.s : "",
		    dec.len);
		if (r == -2)	/* unknown charset: the bytes as they are */
			r = cat_fit(out, dec.s != NULL ? dec.s : "", dec.len);
		if (r == 1)
			r = 0;
	}
	sbuf_fini(&dec);
	return r;
}

/* ---- case-insensitive search ---- */

/* Next code point of s[*i..n); an invalid byte b gives 0xDC00 + b. */
static uint32_t
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	size_t k = *i, len, j;
	uint32_t c = s[k], min;

	if (c < 0x80) {
		*i = k + 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		len = 2;
		c &= 0x1f;
		min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3;
		c &= 0x0f;
		min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		goto bad;
	if (n - k < len)
		goto bad;
	for (j = 1; j < len; j++) {
		if ((s[k + j] & 0xc0) != 0x80)
			goto bad;
		c = (c << 6) | (s[k + j] & 0x3f);
	}
	if (c < min || c > 0x10ffff)
		goto bad;
	*i = k + len;
	return c;
bad:
	*i = k + 1;
	return 0xdc00 + s[k];
}

/* Simple case folding for ASCII, Latin-1, Latin Extended-A, Greek and
 * Cyrillic (Unicode CaseFolding.txt, status C and S). */
static uint32_t
fold(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	if (c < 0x100) {
		if (c >= 0xc0 && c <= 0xde && c != 0xd7)
			return c + 32;
		return c == 0xb5 ? 0x3bc : c;
	}
	if (c < 0x180) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xff;
		if (c == 0x17f)
			return 's';
		if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) ||
		    (c >= 0x14a && c <= 0x177))
			return c | 1;
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
			return (c & 1) ? c + 1 : c;
		return c;
	}
	if (c >= 0x370 && c < 0x400) {
		if ((c >= 0x391 && c <= 0x3a1) || (c >= 0x3a3 && c <= 0x3ab))
			return c + 32;
		if (c == 0x386)
			return 0x3ac;
		if (c >= 0x388 && c <= 0x38a)
			return c + 37;
		if (c == 0x38c)
			return 0x3cc;
		if (c == 0x38e || c == 0x38f)
			return c + 63;
		if (c == 0x3c2)
			return 0x3c3;
		return c;
	}
	if (c >= 0x400 && c < 0x530) {
		if (c <= 0x40f)
			return c + 80;
		if (c <= 0x42f)
			return c + 32;
		if ((c >= 0x460 && c <= 0x481) || (c >= 0x48a && c <= 0x4bf) ||
		    (c >= 0x4d0 && c <= 0x52f))
			return c | 1;
		if (c == 0x4c0)
			return 0x4cf;
		if (c >= 0x4c1 && c <= 0x4ce)
			return (c & 1) ? c + 1 : c;
		return c;
	}
	return c;
}

/* 1: needle matches at hay[pos]; 0: it does not; -1: hay ran out. */
static int
match_at(const unsigned char *h, size_t hlen, size_t pos,
    const unsigned char *nd, size_t nlen)
{
	size_t j = 0;

	while (j < nlen) {
		if (pos >= hlen)
			return -1;
		if (fold(utf8_next(h, hlen, &pos)) !=
		    fold(utf8_next(nd, nlen, &j)))
			return 0;
	}
	return 1;
}

int
mime_text_find(const char *hay, size_t hlen, const char *needle,
    size_t nlen)
{
	const unsigned char *h = (const unsigned char *)hay;
	const unsigned char *nd = (const unsigned char *)needle;
	size_t start = 0, next, j = 0;
	uint32_t first;
	int r;

	if (nlen == 0)
		return 1;
	first = fold(utf8_next(nd, nlen, &j));
	while (start < hlen) {
		next = start;
		if (fold(utf8_next(h, hlen, &next)) == first) {
			r = match_at(h, hlen, start, nd, nlen);
			if (r != 0)
				return r > 0;
		}
		start = next;
	}
	return 0;
}
