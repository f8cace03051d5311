/*
 * mutf7.c - modified UTF-7 (RFC 3501 section 5.1.3) <-> UTF-8.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base64.h"
#include "lib/mutf7.h"
#include "lib/sbuf.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* RFC 3501 5.1.3's base64: RFC 4648's table with ',' for '/'. */
static int
b64val(unsigned char c)
{
	if (c == ',')
		return 63;
	return c == '/' ? -1 : base64_value(c);
}

static int
put_utf8(struct sbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return out == NULL ? 0 : sbuf_cat_n(out, b, n);
}

/*
 * Decode one shift: in[*ip] is the first byte after '&', which is base64.
 * On success *ip is past the closing '-'.
 */
static int
decode_shift(const char *in, size_t n, size_t *ip, struct sbuf *out)
{
	size_t i = *ip;
	uint32_t bits = 0, hi = 0, u;
	int nbits = 0, v;

	for (; i < n && (v = b64val((unsigned char)in[i])) >= 0; i++) {
		bits = (bits << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits < 16)
			continue;
		nbits -= 16;
		u = (bits >> nbits) & 0xffff;
		bits &= (1U << nbits) - 1;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -1;
			if (put_utf8(out, 0x10000 + ((hi - 0xd800) << 10) +
			    (u - 0xdc00)) == -1)
				return -2;
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff)
			hi = u;
		else if (u >= 0xdc00 && u <= 0xdfff)
			return -1;
		else if (u == 0 || (u >= 0x20 && u <= 0x7e))
			return -1;	/* NUL, or printable: not canonical */
		else if (put_utf8(out, u) == -1)
			return -2;
	}
	if (i == n || in[i] != '-' || i == *ip)
		return -1;		/* unterminated, or "&" + junk */
	if (hi != 0 || nbits >= 6 || bits != 0)
		return -1;		/* lone surrogate, padding */
	*ip = i + 1;
	return 0;
}

/* out may be NULL (validation only). */
static int
decode(const char *in, size_t n, struct sbuf *out)
{
	size_t i = 0, shift_end = (size_t)-1;
	unsigned char c;
	int rc;

	while (i < n) {
		c = (unsigned char)in[i];
		if (c < 0x20 || c > 0x7e)
			return -1;
		if (c != '&') {
			if (out != NULL && sbuf_cat_c(out, c) == -1)
				return -2;
			i++;
			continue;
		}
		if (i + 1 < n && in[i + 1] == '-') {
			if (out != NULL && sbuf_cat_c(out, '&') == -1)
				return -2;
			i += 2;
			continue;
		}
		if (shift_end == i)
			return -1;	/* "&..-&..-": must be one shift */
		i++;
		if ((rc = decode_shift(in, n, &i, out)) != 0)
			return rc;
		shift_end = i;
	}
	return 0;
}

int
mutf7_valid(const char *in, size_t n)
{
	return decode(in, n, NULL) == 0;
}

int
mutf7_to_utf8(const char *in, size_t n, struct sbuf *out)
{
	size_t len0 = out->len;
	int rc = decode(in, n, out);

	if (rc == 0)
		return 0;
	sbuf_truncate(out, len0);
	if (rc == -1)
		errno = EINVAL;
	return -1;
}

/* Next code point of valid UTF-8, or -1. */
static int32_t
utf8_next(const unsigned char *p, size_t n, size_t *ip)
{
	size_t i = *ip, len, k;
	uint32_t cp;
	unsigned char c = p[i];

	if (c < 0x80) {
		*ip = i + 1;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return -1;
	if (n - i < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((p[i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i + k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*ip = i + len;
	return (int32_t)cp;
}

static int
flush_bits(struct sbuf *out, uint32_t *bits, int *nbits)
{
	while (*nbits >= 6) {
		*nbits -= 6;
		if (sbuf_cat_c(out, b64[(*bits >> *nbits) & 0x3f]) == -1)
			return -1;
	}
	*bits &= (1U << *nbits) - 1;
	return 0;
}

static int
encode(const unsigned char *p, size_t n, struct sbuf *out)
{
	size_t i = 0;
	uint32_t bits = 0;
	int32_t cp;
	int nbits = 0, shifted = 0;

	while (i < n) {
		if ((cp = utf8_next(p, n, &i)) <= 0)
			return -1;	/* invalid, or NUL */
		if (cp >= 0x20 && cp <= 0x7e) {
			if (shifted) {
				if (nbits > 0 && sbuf_cat_c(out,
				    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
					return -2;
				if (sbuf_cat_c(out, '-') == -1)
					return -2;
				shifted = 0;
				bits = 0;
				nbits = 0;
			}
			if (sbuf_cat_s(out, cp == '&' ? "&-" : (const char[])
			    { (char)cp, '\0' }) == -1)
				return -2;
			continue;
		}
		if (!shifted) {
			if (sbuf_cat_c(out, '&') == -1)
				return -2;
			shifted = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			bits = (bits << 16) | (0xd800 + ((uint32_t)cp >> 10));
			nbits += 16;
			if (flush_bits(out, &bits, &nbits) == -1)
				return -2;
			cp = 0xdc00 + (cp & 0x3ff);
		}
		bits = (bits << 16) | (uint32_t)cp;
		nbits += 16;
		if (flush_bits(out, &bits, &nbits) == -1)
			return -2;
	}
	if (shifted) {
		if (nbits > 0 && sbuf_cat_c(out,
		    b64[(bits << (6 - nbits)) & 0x3f]) == -1)
			return -2;
		if (sbuf_cat_c(out, '-') == -1)
			return -2;
	}
	return 0;
}

int
utf8_to_mutf7(const char *in, size_t n, struct sbuf *out)
{
	size_t len0 = out->len;
	int rc = encode((const unsigned char *)in, n, out);

	if (rc == 0)
		return 0;
	sbuf_truncate(out, len0);
	if (rc == -1)
		errno = EINVAL;
	return -1;
}
