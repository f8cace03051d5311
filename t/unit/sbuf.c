/* Unit tests for lib/sbuf and lib/scan. */
#include <errno.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/scan.h"
#include "t/tap.h"

static void
test_bounds(void)
{
	struct sbuf b;

	sbuf_init(&b, 8);
	is_int(sbuf_cat_s(&b, "abcd"), 0, "append within max");
	is_int(sbuf_cat_s(&b, "efgh"), 0, "append up to max");
	errno = 0;
	is_int(sbuf_cat_c(&b, 'x'), -1, "append past max fails");
	is_int(errno, E2BIG, "with E2BIG");
	is_mem(b.s, b.len, "abcdefgh", 8, "buffer unchanged on failure");
	is_str(sbuf_str(&b), "abcdefgh", "NUL-terminated");
	sbuf_consume(&b, 3);
	is_mem(b.s, b.len, "defgh", 5, "consume drops a prefix");
	is_int(sbuf_printf(&b, "%d", 123), 0, "printf within max");
	is_int(sbuf_printf(&b, "%d", 4), -1, "printf past max fails");
	is_str(sbuf_str(&b), "defgh123", "printf result");
	sbuf_fini(&b);
	is_int(b.len, 0, "fini empties");
}

static void
test_binary(void)
{
	struct sbuf b;

	sbuf_init(&b, 100);
	is_int(sbuf_cat_n(&b, "a\0b", 3), 0, "binary append");
	ok(sbuf_has_nul(&b), "NUL inside is detected");
	sbuf_reset(&b);
	is_int(sbuf_cat_escaped(&b, "a\r\n\\\xff", 5, 256), 0, "escape");
	is_str(sbuf_str(&b), "a\\x0d\\x0a\\x5c\\xff", "escaped form");
	sbuf_reset(&b);
	is_int(sbuf_cat_escaped(&b, "abcdef", 6, 3), 0, "escape with limit");
	is_str(sbuf_str(&b), "abc...", "cut and marked");
	sbuf_fini(&b);
}

static void
test_scan(void)
{
	uint64_t v = 7;
	int bv = -1;

	is_int(scan_u64_s("0", &v), 0, "scan 0");
	is_int((long long)v, 0, "value 0");
	is_int(scan_u64_s("18446744073709551615", &v), 0, "scan UINT64_MAX");
	is_int(scan_u64_s("18446744073709551616", &v), -1, "overflow rejected");
	is_int(scan_u64_s("", &v), -1, "empty rejected");
	is_int(scan_u64_s("-1", &v), -1, "sign rejected");
	is_int(scan_u64_s(" 1", &v), -1, "blank rejected");
	is_int(scan_u64_s("12a", &v), -1, "junk rejected");
	is_int(scan_duration_s("5m", &v), 0, "duration 5m");
	is_int((long long)v, 300, "is 300 s");
	is_int(scan_duration_s("5x", &v), -1, "bad unit rejected");
	is_int(scan_duration_s("m", &v), -1, "unit alone rejected");
	is_int(scan_size_s("10M", &v), 0, "size 10M");
	is_int((long long)v, 10485760, "is 10 MiB");
	is_int(scan_size_s("99999999999999T", &v), -1, "size overflow rejected");
	is_int(scan_bool_s("yes", &bv), 0, "bool yes");
	is_int(bv, 1, "is true");
	is_int(scan_bool_s("maybe", &bv), -1, "bool junk rejected");
}

int
main(void)
{
	test_bounds();
	test_binary();
	test_scan();
	return done_testing();
}
