/*
 * shacrypt.c - SHA-512-crypt with OpenSSL's SHA-512; see shacrypt.h.
 *
 * OpenSSL 3 marks SHA512_Init/Update/Final/Transform deprecated in favour
 * of EVP.  EVP costs a method lookup and several indirect calls per
 * digest, and this hash takes 5,000 digests or more per login, which is
 * the whole reason for this file; so the low-level calls are used here,
 * and only here.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <stdint.h>
#include <string.h>

#include <openssl/sha.h>

#include "lib/shacrypt.h"

#define DIGEST	64
#define BLOCK	128
/* The longest round input: the key twice, the salt and a digest. */
#define ROUND_MAX	(2 * SHACRYPT_KEY_MAX + SHACRYPT_SALT_MAX + DIGEST)
/* ...padded: a 0x80 byte and the 16-byte length, whole blocks. */
#define ROUND_BUF	((ROUND_MAX + 17 + BLOCK - 1) / BLOCK * BLOCK)

static const char alphabet[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int
is_crypt64(int c)
{
	return c != '\0' && memchr(alphabet, c, sizeof(alphabet) - 1) != NULL;
}

/* The setting's rounds and salt, as libxcrypt reads them; -1: not ours. */
static int
parse_setting(const char *s, size_t n, unsigned long *rounds_r,
    int *custom_r, const char **salt_r, size_t *saltlen_r)
{
	static const char pre[] = "rounds=";
	size_t i = 3, k;
	unsigned long r = 0;

	if (n < 3 || memcmp(s, "$6$", 3) != 0)
		return -1;
	/* libxcrypt refuses a setting with a character outside its own
	 * alphabet anywhere, even after the salt; so only these are ours. */
	for (k = 0; k < n; k++)
		if (!is_crypt64((unsigned char)s[k]) && s[k] != '$' &&
		    s[k] != '=')
			return -1;
	*rounds_r = SHACRYPT_ROUNDS_DEFAULT;
	*custom_r = 0;
	if (n - i >= sizeof(pre) - 1 && memcmp(s + i, pre, sizeof(pre) - 1)
	    == 0) {
		i += sizeof(pre) - 1;
		if (i >= n || s[i] < '1' || s[i] > '9')
			return -1;
		for (k = 0; i + k < n && s[i + k] >= '0' && s[i + k] <= '9';
		    k++) {
			if (k == 9)
				return -1;	/* over SHACRYPT_ROUNDS_MAX */
			r = r * 10 + (unsigned long)(s[i + k] - '0');
		}
		if (i + k >= n || s[i + k] != '$' || r < SHACRYPT_ROUNDS_MIN ||
		    r > SHACRYPT_ROUNDS_MAX)
			return -1;
		i += k + 1;
		*rounds_r = r;
		*custom_r = 1;
	}
	/* The salt ends at '$' or the end; libxcrypt cuts it at 16. */
	for (k = 0; i + k < n && s[i + k] != '$' && k < SHACRYPT_SALT_MAX;
	    k++)
		if (!is_crypt64((unsigned char)s[i + k]))
			return -1;
	*salt_r = s + i;
	*saltlen_r = k;
	return 0;
}

/* seq: n bytes, digest d repeated (the P and S strings of the spec). */
static void
repeat_digest(unsigned char *seq, size_t n, const unsigned char d[DIGEST])
{
	size_t i;

	for (i = 0; i + DIGEST <= n; i += DIGEST)
		memcpy(seq + i, d, DIGEST);
	memcpy(seq + i, d, n - i);
}

/*
 * A round hashes the previous digest with P and S in one of 8 layouts:
 * (round odd) x (round % 3 != 0) x (round % 7 != 0).  P and S do not
 * change, so each layout is built once, padded, with a hole for the
 * digest; a round writes the digest into its layout's hole and runs the
 * block function over the layout's blocks.
 */
struct layout {
	unsigned char	buf[ROUND_BUF];
	size_t		hole;		/* where the previous digest goes */
	size_t		blocks;		/* of BLOCK bytes */
};

static void
layout_build(struct layout *l, int odd, int s3, int s7,
    const unsigned char *p, size_t kl, const unsigned char *salt, size_t sl)
{
	size_t n = 0, total;
	uint64_t bits;
	int k;

	if (odd) {
		memcpy(l->buf, p, kl);
		n = kl;
	} else {
		l->hole = 0;
		n = DIGEST;
	}
	if (s3) {
		memcpy(l->buf + n, salt, sl);
		n += sl;
	}
	if (s7) {
		memcpy(l->buf + n, p, kl);
		n += kl;
	}
	if (odd) {
		l->hole = n;
		n += DIGEST;
	} else {
		memcpy(l->buf + n, p, kl);
		n += kl;
	}
	total = (n + 17 + BLOCK - 1) / BLOCK * BLOCK;
	l->buf[n] = 0x80;
	memset(l->buf + n + 1, 0, total - n - 1);
	bits = (uint64_t)n * 8;
	for (k = 0; k < 8; k++)
		l->buf[total - 1 - (size_t)k] = (unsigned char)(bits >> (8 * k));
	l->blocks = total / BLOCK;
}

/* One round: the digest a (in and out) through layout l. */
static void
round_run(struct layout *l, SHA512_CTX *c, const uint64_t iv[8],
    unsigned char a[DIGEST])
{
	size_t b;
	int k;

	memcpy(l->buf + l->hole, a, DIGEST);
	memcpy(c->h, iv, sizeof c->h);	/* SHA512_Init's state, no more */
	for (b = 0; b < l->blocks; b++)
		SHA512_Transform(c, l->buf + b * BLOCK);
	for (k = 0; k < 8; k++) {
		uint64_t h = c->h[k];
		int j;

		/* big-endian, whatever the host's order (one bswap on x86) */
		for (j = 0; j < 8; j++)
			a[8 * k + j] = (unsigned char)(h >> (56 - 8 * j));
	}
}

/* Four characters of the crypt alphabet from three bytes (or fewer). */
static char *
put64(char *o, unsigned b2, unsigned b1, unsigned b0, int n)
{
	unsigned w = (b2 << 16) | (b1 << 8) | b0;

	while (n-- > 0) {
		*o++ = alphabet[w & 0x3f];
		w >>= 6;
	}
	return o;
}

/* The specification's byte order of the final digest, three at a time. */
static const unsigned char order[21][3] = {
	{ 0, 21, 42 }, { 22, 43, 1 }, { 44, 2, 23 }, { 3, 24, 45 },
	{ 25, 46, 4 }, { 47, 5, 26 }, { 6, 27, 48 }, { 28, 49, 7 },
	{ 50, 8, 29 }, { 9, 30, 51 }, { 31, 52, 10 }, { 53, 11, 32 },
	{ 12, 33, 54 }, { 34, 55, 13 }, { 56, 14, 35 }, { 15, 36, 57 },
	{ 37, 58, 16 }, { 59, 17, 38 }, { 18, 39, 60 }, { 40, 61, 19 },
	{ 62, 20, 41 },
};

/* The secrets, in one place so that one explicit_bzero clears them. */
struct work {
	SHA512_CTX	c;
	unsigned char	b[DIGEST], a[DIGEST], dp[DIGEST], ds[DIGEST];
	unsigned char	p[SHACRYPT_KEY_MAX], s[SHACRYPT_SALT_MAX];
	struct layout	l[8];
	uint64_t	iv[8];
};

static void
hash(struct work *w, const char *key, size_t kl, const char *salt,
    size_t sl, unsigned long rounds)
{
	unsigned long r;
	size_t i;

	/* B = H(key salt key) */
	SHA512_Init(&w->c);
	SHA512_Update(&w->c, key, kl);
	SHA512_Update(&w->c, salt, sl);
	SHA512_Update(&w->c, key, kl);
	SHA512_Final(w->b, &w->c);
	/* A = H(key salt B-for-each-byte-of-key, then by the length's bits
	 * from the lowest: B for a one, the key for a zero) */
	SHA512_Init(&w->c);
	SHA512_Update(&w->c, key, kl);
	SHA512_Update(&w->c, salt, sl);
	for (i = kl; i > DIGEST; i -= DIGEST)
		SHA512_Update(&w->c, w->b, DIGEST);
	SHA512_Update(&w->c, w->b, i);
	for (i = kl; i > 0; i >>= 1) {
		if (i & 1)
			SHA512_Update(&w->c, w->b, DIGEST);
		else
			SHA512_Update(&w->c, key, kl);
	}
	SHA512_Final(w->a, &w->c);
	/* P: H(key, kl times), as long as the key */
	SHA512_Init(&w->c);
	for (i = 0; i < kl; i++)
		SHA512_Update(&w->c, key, kl);
	SHA512_Final(w->dp, &w->c);
	repeat_digest(w->p, kl, w->dp);
	/* S: H(salt, 16 + A[0] times), as long as the salt */
	SHA512_Init(&w->c);
	for (i = 0; i < 16u + w->a[0]; i++)
		SHA512_Update(&w->c, salt, sl);
	SHA512_Final(w->ds, &w->c);
	repeat_digest(w->s, sl, w->ds);
	for (i = 0; i < 8; i++)
		layout_build(&w->l[i], (i & 4) != 0, (i & 2) != 0, (i & 1) != 0,
		    w->p, kl, w->s, sl);
	SHA512_Init(&w->c);
	memcpy(w->iv, w->c.h, sizeof w->iv);
	for (r = 0; r < rounds; r++)
		round_run(&w->l[((r & 1) << 2) | ((r % 3 != 0) << 1) |
		    (r % 7 != 0)], &w->c, w->iv, w->a);
}

int
shacrypt512(const char *key, size_t keylen, const char *setting,
    size_t setlen, char *out, size_t outsize)
{
	struct work w;
	unsigned long rounds;
	const char *salt;
	size_t sl, i;
	int custom, n;
	char *o;

	if (keylen > SHACRYPT_KEY_MAX || outsize < SHACRYPT_OUT_MAX ||
	    parse_setting(setting, setlen, &rounds, &custom, &salt, &sl) == -1)
		return -1;
	hash(&w, key, keylen, salt, sl, rounds);
	o = out;
	memcpy(o, "$6$", 3);
	o += 3;
	if (custom) {
		/* 1-9 digits, no leading zero: as the setting had them */
		char digits[10];

		n = 0;
		for (i = rounds; i > 0; i /= 10)
			digits[n++] = (char)('0' + i % 10);
		memcpy(o, "rounds=", 7);
		o += 7;
		while (n > 0)
			*o++ = digits[--n];
		*o++ = '$';
	}
	memcpy(o, salt, sl);
	o += sl;
	*o++ = '$';
	for (i = 0; i < 21; i++)
		o = put64(o, w.a[order[i][0]], w.a[order[i][1]],
		    w.a[order[i][2]], 4);
	o = put64(o, 0, 0, w.a[63], 2);
	*o = '\0';
	explicit_bzero(&w, sizeof w);
	return (int)(o - out);
}
