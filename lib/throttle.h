/*
 * throttle.h - failure counters per key with a sliding time window, in a
 * table of fixed size (tern-authd's per-IP and per-account throttle), and
 * lists of client networks (CIDR).
 *
 * A table holds at most 'entries' keys (rounded down to whole sets of
 * THROTTLE_WAYS), each with the times of its last THROTTLE_RING failures.
 * throttle_count() says how many fall inside the window ending at now;
 * throttle_fail() records one and returns the new count; throttle_clear()
 * forgets a key.  A new key takes a free or expired slot of its set, else
 * evicts the entry of the set used longest ago: memory is fixed however
 * many keys arrive (a flood only makes the table forget older keys).  The
 * set is chosen by a hash keyed with a random seed.  Keys longer than
 * THROTTLE_KEY_MAX are cut.  Times are seconds on a caller's clock that
 * must start at 1 or more and never go back.
 *
 * Networks: cidr_parse_list() parses words "192.0.2.0/24", "::1",
 * "2001:db8::/32" (at most CIDR_MAX) into one allocation (free() it);
 * cidr_match() tells whether an IP text lies inside any of them.
 *
 * Return convention: 0 / -1 with errno (and a bad word in *bad_r);
 * counts are unsigned.  Nothing here logs or exits.
 */
#ifndef TERN_THROTTLE_H
#define TERN_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define THROTTLE_RING	64	/* failures kept per key: the most a limit may be */
#define THROTTLE_WAYS	8	/* entries per set (the eviction scope) */
#define THROTTLE_KEY_MAX 255	/* an account name (AUTHC_USER_MAX) */
#define CIDR_MAX	256	/* entries in a network list */

struct throttle_entry {
	uint64_t	 hash;
	uint32_t	 last;		/* seconds; 0: free */
	uint32_t	 t[THROTTLE_RING];
	uint8_t		 head, n;
	uint16_t	 klen;
	char		 key[THROTTLE_KEY_MAX];
};

struct throttle {
	struct throttle_entry *e;
	size_t		 nsets;
	uint64_t	 seed;
	uint32_t	 window;
};

int	throttle_init(struct throttle *, size_t entries, uint32_t window);
void	throttle_fini(struct throttle *);
unsigned throttle_count(struct throttle *, const char *, size_t, uint32_t now);
unsigned throttle_fail(struct throttle *, const char *, size_t, uint32_t now);
void	throttle_clear(struct throttle *, const char *, size_t);

struct cidr {
	int		 family;
	unsigned char	 a[16];
	unsigned	 bits;
};

int	cidr_parse_list(char *const *words, size_t n, struct cidr **v_r,
	    size_t *n_r, const char **bad_r);
int	cidr_match(const struct cidr *, size_t n, const char *ip);

#endif
