/*
 * cdbcost.c - benchmark helper (bench/million builds it): what one lookup
 * in an accounts.cdb costs through lib/cdbmap, as a process that opens
 * the map, makes a few lookups and ends (an SMTP session) sees it, and as
 * a long-running reader sees it.
 *
 *   cdbcost MAP NACCOUNTS HOW SESSIONS PER [hits]
 *
 * HOW: "default" (pread, mapped after enough lookups), "read" (pread
 * only: CDBMAP_READ), "map" (mapped at once: CDBMAP_MAP, as every map was
 * read before pread), "huge" (default, then cdbmap_hugepages() as the
 * tern-smtpd fork server calls it: the page cache in 2 MiB pages, and
 * the switch to the mapping after 32 + size / 1 MiB lookups; with
 * SESSIONS = 1 only).  SESSIONS times: open the map, PER lookups, close.
 * Keys "user%07d@example.org" (found) and "nouser..." (missing), half
 * each, or all found with "hits".  With SESSIONS = 1 the PER lookups are
 * made twice and the second pass is measured ("warm": every page the
 * keys need is already mapped, no page fault: what is left is the CPU and
 * the memory latency).  Prints the CPU (user + system) and the page
 * faults per lookup.
 */
#include <sys/resource.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cdbmap.h"
#include "lib/scan.h"

/* xorshift: cheap, reproducible. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double
cpu_s(struct rusage *ru)
{
	(void)getrusage(RUSAGE_SELF, ru);
	return (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec /
	    1e6 + (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec /
	    1e6;
}

/* PER lookups on m: the number found, or -1. */
static long
pass(struct cdbmap *m, uint64_t naccounts, uint64_t per, int hits,
    uint64_t *seed)
{
	const void *v;
	size_t vlen;
	uint64_t i, x;
	long found = 0;
	char key[64];
	int n, r;

	for (i = 0; i < per; i++) {
		x = rnd(seed);
		n = snprintf(key, sizeof key, hits || (x & 1) ?
		    "user%07llu@example.org" : "nouser%07llu@example.org",
		    (unsigned long long)((x >> 1) % naccounts));
		if (n < 0 || (size_t)n >= sizeof key)
			return -1;
		if ((r = cdbmap_lookup(m, key, (size_t)n, &v, &vlen)) < 0)
			return -1;
		found += r;
	}
	return found;
}

int
main(int argc, char **argv)
{
	struct cdbmap *m;
	struct rusage r0, r1;
	uint64_t naccounts, sessions, per, s, seed = 88172645463325252ULL;
	uint64_t warm_seed;
	long found = 0, f;
	double c0, c1, n;
	int flags, hits, huge, is_huge = 0;

	if (argc < 6 || argc > 7 || scan_u64_s(argv[2], &naccounts) < 0 ||
	    scan_u64_s(argv[4], &sessions) < 0 ||
	    scan_u64_s(argv[5], &per) < 0 || naccounts == 0 ||
	    sessions == 0 || per == 0) {
		fprintf(stderr, "usage: cdbcost MAP NACCOUNTS default|read|map "
		    "SESSIONS PER [hits]\n");
		return 100;
	}
	flags = strcmp(argv[3], "read") == 0 ? CDBMAP_READ :
	    strcmp(argv[3], "map") == 0 ? CDBMAP_MAP : 0;
	hits = argc == 7 && strcmp(argv[6], "hits") == 0;
	huge = strcmp(argv[3], "huge") == 0;
	m = NULL;
	if (sessions == 1) {
		/* Warm: the same keys once before the measured pass. */
		if ((m = cdbmap_open(argv[1], flags)) == NULL) {
			perror(argv[1]);
			return 111;
		}
		if (huge)
			is_huge = cdbmap_hugepages(m);
		warm_seed = seed;
		if (pass(m, naccounts, per, hits, &warm_seed) < 0) {
			perror("lookup");
			return 111;
		}
	}
	c0 = cpu_s(&r0);
	for (s = 0; s < sessions; s++) {
		if (m == NULL && (m = cdbmap_open(argv[1], flags)) == NULL) {
			perror(argv[1]);
			return 111;
		}
		if ((f = pass(m, naccounts, per, hits, &seed)) < 0) {
			perror("lookup");
			return 111;
		}
		found += f;
		if (sessions > 1)
			cdbmap_close(&m);
	}
	c1 = cpu_s(&r1);
	if (m != NULL && huge && !cdbmap_is_mapped(m))
		is_huge = -1;	/* never switched: not what was meant */
	cdbmap_close(&m);
	n = (double)sessions * (double)per;
	printf("how=%s sessions=%llu per=%llu found=%ld cpu_us_per_lookup=%.3f "
	    "faults_per_lookup=%.3f huge=%d\n", argv[3],
	    (unsigned long long)sessions,
	    (unsigned long long)per, found, (c1 - c0) * 1e6 / n,
	    (double)(r1.ru_minflt - r0.ru_minflt + r1.ru_majflt -
	    r0.ru_majflt) / n, is_huge);
	return 0;
}
