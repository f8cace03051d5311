/* base64.c - strict RFC 4648 base64 (see base64.h). */
#include <errno.h>
#include <stddef.h>

#include "lib/base64.h"
#include "lib/sbuf.h"

static const char b64_alpha[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Check one group of four; store up to three bytes in b and their count
 * in *nb.  'last' says whether padding is allowed here.
 */
static int
b64_group(const unsigned char *q, int last, unsigned char b[3], size_t *nb,
    const char **why_r)
{
	int v[4], i, pad = 0;

	for (i = 0; i < 4; i++) {
		if (q[i] == '=') {
			if (!last || i < 2) {
				*why_r = "misplaced padding";
				return -1;
			}
			pad++;
			v[i] = 0;
			continue;
		}
		if (pad > 0) {
			*why_r = "data after padding";
			return -1;
		}
		if ((v[i] = base64_value(q[i])) < 0) {
			*why_r = "invalid base64 character";
			return -1;
		}
	}
	if ((pad == 1 && (v[2] & 0x03) != 0) ||
	    (pad == 2 && (v[1] & 0x0f) != 0)) {
		*why_r = "non-canonical base64 padding bits";
		return -1;
	}
	b[0] = (unsigned char)((v[0] << 2) | (v[1] >> 4));
	b[1] = (unsigned char)(((v[1] & 0x0f) << 4) | (v[2] >> 2));
	b[2] = (unsigned char)(((v[2] & 0x03) << 6) | v[3]);
	*nb = 3 - (size_t)pad;
	return 0;
}

/* Walk the input; append to out when out is not NULL. */
static int
b64_walk(const char *p, size_t n, struct sbuf *out, const char **why_r)
{
	const unsigned char *q = (const unsigned char *)p;
	unsigned char b[3];
	size_t i, nb;

	if (n % 4 != 0) {
		*why_r = "base64 length not a multiple of 4";
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i += 4) {
		if (b64_group(q + i, i + 4 == n, b, &nb, why_r) < 0) {
			errno = EINVAL;
			return -1;
		}
		if (out != NULL && sbuf_cat_n(out, b, nb) < 0) {
			*why_r = "decoded data too long";
			return -1;
		}
	}
	return 0;
}

int
base64_check(const char *p, size_t n, const char **why_r)
{
	return b64_walk(p, n, NULL, why_r);
}

int
base64_decode(const char *p, size_t n, struct sbuf *out, const char **why_r)
{
	sbuf_reset(out);
	return b64_walk(p, n, out, why_r);
}

int
base64_encode(const void *p, size_t n, struct sbuf *out)
{
	const unsigned char *q = p;
	char g[4];
	size_t i;
	unsigned v;

	if (n > (((size_t)-1) / 2)) {
		errno = E2BIG;
		return -1;
	}
	if (sbuf_reserve(out, BASE64_ENCODED_LEN(n)) < 0)
		return -1;
	for (i = 0; i < n; i += 3) {
		v = (unsigned)q[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)q[i + 1] << 8;
		if (i + 2 < n)
			v |= q[i + 2];
		g[0] = b64_alpha[(v >> 18) & 0x3f];
		g[1] = b64_alpha[(v >> 12) & 0x3f];
		g[2] = i + 1 < n ? b64_alpha[(v >> 6) & 0x3f] : '=';
		g[3] = i + 2 < n ? b64_alpha[v & 0x3f] : '=';
		if (sbuf_cat_n(out, g, 4) < 0)
			return -1;
	}
	return 0;
}
