/*
 * lookup.c - benchmark helper (bench/maps builds it): N random lookups of
 * "user%07d@example.org" in an accounts.cdb through lib/cdbmap, each
 * record decoded with maps_account_decode().  Prints the cost per lookup
 * and the resident memory (VmRSS, RssAnon, RssFile) before, in the middle
 * and after, so a growing footprint would show.
 *   lookup MAP NACCOUNTS NLOOKUPS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/cdbmap.h"
#include "lib/maps.h"
#include "lib/scan.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
mem(const char *when)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return;
	printf("%-8s", when);
	while (fgets(line, sizeof line, f) != NULL)
		if (strncmp(line, "VmRSS:", 6) == 0 ||
		    strncmp(line, "RssAnon:", 8) == 0 ||
		    strncmp(line, "RssFile:", 8) == 0 ||
		    strncmp(line, "VmHWM:", 6) == 0) {
			line[strcspn(line, "\n")] = '\0';
			printf("  %s", line);
		}
	printf("\n");
	fclose(f);
}

/* xorshift: cheap, reproducible. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	struct cdbmap *m;
	struct maps_record r;
	uint64_t naccounts, nlookups, i, seed = 88172645463325252ULL;
	uint64_t found = 0, bad = 0;
	const void *v;
	size_t vlen;
	const char *why;
	char key[64];
	int n;
	double t0, t1, tk;

	if (argc != 4 || scan_u64_s(argv[2], &naccounts) < 0 ||
	    scan_u64_s(argv[3], &nlookups) < 0 || naccounts == 0) {
		fprintf(stderr, "usage: lookup MAP NACCOUNTS NLOOKUPS\n");
		return 100;
	}
	mem("start");
	if ((m = cdbmap_open(argv[1], 0)) == NULL) {
		perror(argv[1]);
		return 111;
	}
	mem("opened");
	/* The cost of making the keys alone, to subtract. */
	t0 = now();
	for (i = 0; i < nlookups; i++)
		n = snprintf(key, sizeof key, "user%07llu@example.org",
		    (unsigned long long)(rnd(&seed) % naccounts));
	tk = now() - t0;
	(void)n;
	seed = 88172645463325252ULL;
	t0 = now();
	for (i = 0; i < nlookups; i++) {
		n = snprintf(key, sizeof key, "user%07llu@example.org",
		    (unsigned long long)(rnd(&seed) % naccounts));
		if (cdbmap_lookup(m, key, (size_t)n, &v, &vlen) == 1 &&
		    maps_account_decode(v, vlen, &r, &why) == 0)
			found++;
		else
			bad++;
		if (i == nlookups / 2)
			mem("middle");
	}
	t1 = now();
	mem("end");
	printf("lookups=%llu found=%llu missing_or_bad=%llu\n",
	    (unsigned long long)nlookups, (unsigned long long)found,
	    (unsigned long long)bad);
	printf("per_lookup_us=%.3f (lookup+decode, key formatting %.3f us "
	    "subtracted)\n", ((t1 - t0) - tk) * 1e6 / (double)nlookups,
	    tk * 1e6 / (double)nlookups);
	cdbmap_close(&m);
	return bad == 0 ? 0 : 1;
}
