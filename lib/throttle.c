/* throttle.c - failure tables and client networks; see throttle.h. */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/stdlib.h>

#include "lib/mem.h"
#include "lib/scan.h"
#include "lib/throttle.h"

/* FNV-1a over the key from a random basis, then a 64-bit finaliser. */
static uint64_t
throttle_hash(const struct throttle *t, const char *k, size_t n)
{
	uint64_t h = t->seed;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)k[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

int
throttle_init(struct throttle *t, size_t entries, uint32_t window)
{
	memset(t, 0, sizeof(*t));
	t->nsets = entries / THROTTLE_WAYS;
	if (t->nsets == 0)
		t->nsets = 1;
	t->e = mem_alloc(t->nsets * THROTTLE_WAYS, sizeof(*t->e));
	if (t->e == NULL)
		return -1;
	arc4random_buf(&t->seed, sizeof(t->seed));
	t->window = window;
	return 0;
}

void
throttle_fini(struct throttle *t)
{
	mem_free(&t->e);
}

/* Failures of e inside the window ending at now. */
static unsigned
live(const struct throttle *t, const struct throttle_entry *e, uint32_t now)
{
	unsigned i, c = 0;

	for (i = 0; i < e->n; i++)
		if (now - e->t[i] < t->window)
			c++;
	return c;
}

static struct throttle_entry *
find(struct throttle *t, uint64_t h, const char *k, size_t n)
{
	struct throttle_entry *set = t->e + (h % t->nsets) * THROTTLE_WAYS;
	size_t i;

	for (i = 0; i < THROTTLE_WAYS; i++)
		if (set[i].last != 0 && set[i].hash == h &&
		    set[i].klen == n && memcmp(set[i].key, k, n) == 0)
			return &set[i];
	return NULL;
}

unsigned
throttle_count(struct throttle *t, const char *k, size_t n, uint32_t now)
{
	struct throttle_entry *e;

	if (n > THROTTLE_KEY_MAX)
		n = THROTTLE_KEY_MAX;
	e = find(t, throttle_hash(t, k, n), k, n);
	return e == NULL ? 0 : live(t, e, now);
}

unsigned
throttle_fail(struct throttle *t, const char *k, size_t n, uint32_t now)
{
	struct throttle_entry *e, *set, *victim;
	uint64_t h;
	size_t i;

	if (n > THROTTLE_KEY_MAX)
		n = THROTTLE_KEY_MAX;
	h = throttle_hash(t, k, n);
	if ((e = find(t, h, k, n)) == NULL) {
		set = t->e + (h % t->nsets) * THROTTLE_WAYS;
		victim = &set[0];
		for (i = 0; i < THROTTLE_WAYS; i++) {
			if (set[i].last == 0 || live(t, &set[i], now) == 0) {
				victim = &set[i];
				break;
			}
			if (set[i].last < victim->last)
				victim = &set[i];
		}
		e = victim;
		memset(e, 0, sizeof(*e));
		e->hash = h;
		e->klen = (uint16_t)n;
		memcpy(e->key, k, n);
	}
	if (e->n < THROTTLE_RING)
		e->t[e->n++] = now;
	else {
		e->t[e->head] = now;	/* overwrite the oldest */
		e->head = (uint8_t)((e->head + 1) % THROTTLE_RING);
	}
	e->last = now;
	return live(t, e, now);
}

void
throttle_clear(struct throttle *t, const char *k, size_t n)
{
	struct throttle_entry *e;

	if (n > THROTTLE_KEY_MAX)
		n = THROTTLE_KEY_MAX;
	if ((e = find(t, throttle_hash(t, k, n), k, n)) != NULL)
		memset(e, 0, sizeof(*e));
}

/* ---- networks ---- */

static int
cidr_parse(const char *w, struct cidr *r)
{
	char s[64];
	const char *slash = strchr(w, '/');
	size_t n = slash != NULL ? (size_t)(slash - w) : strlen(w);
	uint64_t bits;

	if (n == 0 || n >= sizeof(s))
		return -1;
	memcpy(s, w, n);
	s[n] = '\0';
	memset(r, 0, sizeof(*r));
	if (inet_pton(AF_INET, s, r->a) == 1) {
		r->family = AF_INET;
		r->bits = 32;
	} else if (inet_pton(AF_INET6, s, r->a) == 1) {
		r->family = AF_INET6;
		r->bits = 128;
	} else
		return -1;
	if (slash != NULL) {
		if (scan_u64_max_s(slash + 1, r->bits, &bits) == -1)
			return -1;
		r->bits = (unsigned)bits;
	}
	return 0;
}

int
cidr_parse_list(char *const *words, size_t n, struct cidr **nets_r,
    size_t *n_r, const char **bad_r)
{
	struct cidr *v;
	size_t i;

	*nets_r = NULL;
	*n_r = 0;
	if (n == 0)
		return 0;
	if (n > CIDR_MAX) {
		*bad_r = "too many entries";
		return -1;
	}
	if ((v = mem_alloc(n, sizeof(*v))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (cidr_parse(words[i], &v[i]) == -1) {
			*bad_r = words[i];
			mem_free(&v);
			errno = EINVAL;
			return -1;
		}
	*nets_r = v;
	*n_r = n;
	return 0;
}

static int
prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;
	unsigned char m;

	if (memcmp(a, b, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	m = (unsigned char)(0xff << (8 - rest));
	return (a[full] & m) == (b[full] & m);
}

int
cidr_match(const struct cidr *v, size_t n, const char *ip)
{
	unsigned char a4[4], a6[16];
	int is4, is6;
	size_t i;

	is4 = inet_pton(AF_INET, ip, a4) == 1;
	is6 = !is4 && inet_pton(AF_INET6, ip, a6) == 1;
	for (i = 0; i < n; i++) {
		if (v[i].family == AF_INET && is4 &&
		    prefix_eq(v[i].a, a4, v[i].bits))
			return 1;
		if (v[i].family == AF_INET6 && is6 &&
		    prefix_eq(v[i].a, a6, v[i].bits))
			return 1;
	}
	return 0;
}
