/* siphash.c - SipHash-2-4; see siphash.h. */
#include <stddef.h>
#include <stdint.h>

#include "lib/siphash.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t
le64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

struct sip {
	uint64_t	 v0, v1, v2, v3;
};

static void
round_(struct sip *s)
{
	s->v0 += s->v1;
	s->v1 = ROTL(s->v1, 13);
	s->v1 ^= s->v0;
	s->v0 = ROTL(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = ROTL(s->v3, 16);
	s->v3 ^= s->v2;
	s->v0 += s->v3;
	s->v3 = ROTL(s->v3, 21);
	s->v3 ^= s->v0;
	s->v2 += s->v1;
	s->v1 = ROTL(s->v1, 17);
	s->v1 ^= s->v2;
	s->v2 = ROTL(s->v2, 32);
}

/* One 8-byte word into the state: two compression rounds. */
static void
compress(struct sip *s, uint64_t m)
{
	s->v3 ^= m;
	round_(s);
	round_(s);
	s->v0 ^= m;
}

uint64_t
siphash24(const unsigned char key[SIPHASH_KEY_LEN], const void *in,
    size_t len)
{
	const unsigned char *p = in;
	uint64_t k0 = le64(key), k1 = le64(key + 8), last;
	struct sip s;
	size_t i, rest = len & 7;

	s.v0 = k0 ^ 0x736f6d6570736575ULL;	/* "somepseudorandomlygeneratedbytes" */
	s.v1 = k1 ^ 0x646f72616e646f6dULL;
	s.v2 = k0 ^ 0x6c7967656e657261ULL;
	s.v3 = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i + 8 <= len; i += 8)
		compress(&s, le64(p + i));
	/* The last word: the bytes left, and the length's low byte on top. */
	last = (uint64_t)(len & 0xff) << 56;
	while (rest > 0) {
		rest--;
		last |= (uint64_t)p[i + rest] << (8 * rest);
	}
	compress(&s, last);
	/* Finalisation: four rounds. */
	s.v2 ^= 0xff;
	round_(&s);
	round_(&s);
	round_(&s);
	round_(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
