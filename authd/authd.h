/*
 * authd.h - tern-authd's parts: the failure tables (throttle), client
 * networks (CIDR lists) and the hash-checking worker processes.
 *
 * Throttle: a fixed-size, set-associative table of keys (a client IP, or
 * a lowercased account name), each with the times of its last
 * THR_RING failures.  thr_count() says how many fall inside the window;
 * thr_fail() records one and returns the new count; thr_clear() forgets a
 * key.  A new key takes a free slot of its set or evicts the entry of the
 * set used longest ago, so memory is fixed however many keys arrive; the
 * set is picked by a hash keyed with a random seed.  Times are seconds.
 *
 * Networks: net_parse_list() parses "192.0.2.0/24 ::1 ..." (at most
 * NET_MAX entries); net_match() tells whether an IP text lies inside.
 *
 * Worker: worker_main(fd, ...) serves requests on a SOCK_SEQPACKET
 * descriptor: each message is an authc request, each answer an authc
 * reply carrying an internal reason; it never returns.
 *
 * Return convention: 0 / -1 (with a static *why_r where there is one).
 */
#ifndef TERN_AUTHD_H
#define TERN_AUTHD_H

#include <stddef.h>
#include <stdint.h>

#define THR_RING	64	/* failures kept per key: the most a limit may be */
#define THR_WAYS	8	/* entries per set (the eviction scope) */
#define THR_KEY_MAX	255	/* AUTHC_USER_MAX */
#define NET_MAX		256	/* entries in a network list */

struct thr_entry {
	uint64_t	 hash;
	uint32_t	 last;		/* seconds; 0: free */
	uint32_t	 t[THR_RING];
	uint8_t		 head, n;
	uint16_t	 klen;
	char		 key[THR_KEY_MAX];
};

struct thr {
	struct thr_entry *e;
	size_t		 nsets;
	uint64_t	 seed;
	uint32_t	 window;
};

int	thr_init(struct thr *, size_t entries, uint32_t window);
void	thr_fini(struct thr *);
unsigned thr_count(struct thr *, const char *, size_t, uint32_t now);
unsigned thr_fail(struct thr *, const char *, size_t, uint32_t now);
void	thr_clear(struct thr *, const char *, size_t);

struct net {
	int		 family;
	unsigned char	 a[16];
	unsigned	 bits;
};

int	net_parse_list(char *const *words, size_t n, struct net **nets_r,
	    size_t *n_r, const char **bad_r);
int	net_match(const struct net *, size_t n, const char *ip);

struct worker_cfg {
	const char	*accounts;	/* path of accounts.cdb */
	const char	*secrets;	/* path of secrets.cdb */
	int		 allow_plain;	/* {PLAIN} hashes */
};

void	worker_main(int fd, const struct worker_cfg *)
	    __attribute__((noreturn));

#endif
