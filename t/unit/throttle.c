/*
 * Unit tests for lib/throttle: counts in a sliding window, clear, the
 * ring cap, a flood of distinct keys in a small table (bounded, the
 * oldest evicted, the newest kept), and CIDR lists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/throttle.h"
#include "t/tap.h"

static void
test_window(void)
{
	struct throttle t;
	unsigned i, c = 0;

	ok(throttle_init(&t, 64, 10) == 0, "init");
	is_int(throttle_count(&t, "a", 1, 1), 0, "unknown key: 0");
	is_int(throttle_fail(&t, "a", 1, 1), 1, "first failure");
	is_int(throttle_fail(&t, "a", 1, 5), 2, "second");
	is_int(throttle_fail(&t, "a", 1, 10), 3, "third");
	is_int(throttle_count(&t, "a", 1, 10), 3, "count 3");
	is_int(throttle_count(&t, "b", 1, 10), 0, "another key: 0");
	is_int(throttle_count(&t, "a", 1, 12), 2, "sliding: the first aged out");
	is_int(throttle_count(&t, "a", 1, 20), 0, "all aged out");
	is_int(throttle_fail(&t, "a", 1, 21), 1, "counting again from 1");
	throttle_clear(&t, "a", 1);
	is_int(throttle_count(&t, "a", 1, 21), 0, "cleared");
	for (i = 0; i < 100; i++)
		c = throttle_fail(&t, "r", 1, 30);
	is_int(c, THROTTLE_RING, "capped at THROTTLE_RING");
	is_int(throttle_fail(&t, "r", 1, 35), THROTTLE_RING,
	    "ring keeps the newest");
	throttle_fini(&t);
}

static void
test_flood(void)
{
	struct throttle t;
	char k[32];
	int n, i;

	ok(throttle_init(&t, 64, 1000000) == 0, "small table");
	is_int((long long)(t.nsets * THROTTLE_WAYS), 64, "64 entries, fixed");
	(void)throttle_fail(&t, "victim", 6, 1);
	for (i = 0; i < 10000; i++) {
		n = snprintf(k, sizeof(k), "198.51.%d.%d", i / 256, i % 256);
		(void)throttle_fail(&t, k, (size_t)n, (uint32_t)(i + 2));
	}
	is_int(throttle_count(&t, "victim", 6, 20000), 0,
	    "after 10000 distinct keys the oldest was evicted");
	n = snprintf(k, sizeof(k), "198.51.%d.%d", 9999 / 256, 9999 % 256);
	is_int(throttle_count(&t, k, (size_t)n, 20000), 1, "the newest kept");
	throttle_fini(&t);
}

static void
test_cidr(void)
{
	char *good[] = { "192.0.2.0/24", "::1", "2001:db8::/32", "10.0.0.1",
	    NULL };
	char *all[] = { "0.0.0.0/0", NULL };
	char *bad[][1] = { { "1.2.3.4/33" }, { "foo" }, { "1.2.3.4/" },
	    { "/8" }, { "::1/129" }, { "1.2.3.4/+8" }, { "1.2.3.4/8x" } };
	struct cidr *v;
	const char *why;
	size_t n, i;
	int nbad = 0;

	ok(cidr_parse_list(good, 4, &v, &n, &why) == 0 && n == 4, "parse");
	ok(cidr_match(v, n, "192.0.2.77"), "in /24");
	ok(!cidr_match(v, n, "192.0.3.1"), "outside /24");
	ok(cidr_match(v, n, "::1"), "::1");
	ok(!cidr_match(v, n, "::2"), "not ::2");
	ok(cidr_match(v, n, "2001:db8:ffff::1"), "in /32 (v6)");
	ok(!cidr_match(v, n, "2001:db9::1"), "outside /32 (v6)");
	ok(cidr_match(v, n, "10.0.0.1") && !cidr_match(v, n, "10.0.0.2"),
	    "a single address");
	ok(!cidr_match(v, n, "junk") && !cidr_match(v, n, ""), "junk: no");
	free(v);
	ok(cidr_parse_list(all, 1, &v, &n, &why) == 0 &&
	    cidr_match(v, n, "203.0.113.9") && !cidr_match(v, n, "::1"),
	    "0.0.0.0/0: every IPv4, no IPv6");
	free(v);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cidr_parse_list(bad[i], 1, &v, &n, &why) != -1)
			nbad++;
	is_int(nbad, 0, "bad networks refused");
	ok(cidr_parse_list(good, 0, &v, &n, &why) == 0 && v == NULL && n == 0,
	    "empty list");
}

int
main(void)
{
	test_window();
	test_flood();
	test_cidr();
	return done_testing();
}
