/* Unit tests for lib/imapfmt: atoms, quoted strings, literals, NIL. */
#include <string.h>

#include "lib/imapfmt.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
check_n(int (*fn)(struct sbuf *, const char *, size_t), const char *in,
    size_t n, const char *want, size_t wantlen, const char *name)
{
	struct sbuf b;

	sbuf_init(&b, 8192);
	is_int(fn(&b, in, n), 0, name);
	is_mem(b.s, b.len, want, wantlen, name);
	sbuf_fini(&b);
}

static void
check(int (*fn)(struct sbuf *, const char *, size_t), const char *in,
    size_t n, const char *want, const char *name)
{
	check_n(fn, in, n, want, strlen(want), name);
}

static void
test_string(void)
{
	char big[IMAPFMT_QUOTED_MAX + 20];
	struct sbuf b;

	check(imapfmt_string, "abc", 3, "\"abc\"", "plain quoted");
	check(imapfmt_string, "", 0, "\"\"", "empty quoted");
	check(imapfmt_string, "a\"b\\c", 5, "\"a\\\"b\\\\c\"", "escapes");
	check(imapfmt_string, "a\tb", 3, "\"a\tb\"", "TAB is a TEXT-CHAR");
	check(imapfmt_string, "a\r\nb", 4, "{4}\r\na\r\nb", "CRLF literal");
	/* Regression: a literal may not carry NUL (RFC 3501 CHAR8). */
	check_n(imapfmt_string, "a\0b", 3, "{3}\r\na\x80" "b", 8,
	    "NUL literal: NUL sent as 0x80");
	check_n(imapfmt_string, "\0\r\0", 3, "{3}\r\n\x80\r\x80", 8,
	    "NUL literal: every NUL, first and last");
	check(imapfmt_string, "caf\xc3\xa9", 5, "{5}\r\ncaf\xc3\xa9",
	    "8-bit literal");
	check(imapfmt_nstring, NULL, 0, "NIL", "NULL is NIL");
	check(imapfmt_nstring, "NIL", 3, "\"NIL\"", "the text NIL quoted");
	memset(big, 'x', sizeof(big));
	sbuf_init(&b, 4096);
	is_int(imapfmt_string(&b, big, IMAPFMT_QUOTED_MAX), 0, "long");
	ok(b.len > 6 && memcmp(b.s, "{1024}\r\n", 8) == 0,
	    "long string is a literal");
	sbuf_fini(&b);
	sbuf_init(&b, 4);
	is_int(imapfmt_string(&b, "abcdef", 6), -1, "bounded output fails");
	sbuf_fini(&b);
}

static void
test_astring(void)
{
	check(imapfmt_astring, "INBOX", 5, "INBOX", "atom");
	check(imapfmt_astring, "a]b", 3, "a]b", "']' allowed in astring");
	check(imapfmt_astring, "a b", 3, "\"a b\"", "space quoted");
	check(imapfmt_astring, "a*", 2, "\"a*\"", "wildcard quoted");
	check(imapfmt_astring, "{x", 2, "\"{x\"", "brace quoted");
	check(imapfmt_astring, "", 0, "\"\"", "empty quoted");
	check(imapfmt_astring, "nil", 3, "\"nil\"", "nil quoted");
	check(imapfmt_astring, "\xc3\xa9", 2, "{2}\r\n\xc3\xa9", "8-bit literal");
	ok(imapfmt_is_atom("FLAGS", 5), "atom FLAGS");
	ok(!imapfmt_is_atom("a]", 2), "']' is not an ATOM-CHAR");
	ok(!imapfmt_is_atom("", 0), "empty is not an atom");
	ok(!imapfmt_is_atom("a\x7f", 2), "DEL is not an atom char");
}

static void
test_u64(void)
{
	static const uint64_t v[] = { 0, 7, 10, 4294967295ULL,
	    18446744073709551615ULL };
	static const char *const want[] = { "0", "7", "10", "4294967295",
	    "18446744073709551615" };
	struct sbuf b;
	size_t i;

	sbuf_init(&b, 64);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sbuf_reset(&b);
		(void)sbuf_cat_s(&b, "x");
		ok(imapfmt_u64(&b, v[i]) == 0 && b.len == 1 + strlen(want[i]) &&
		    memcmp(b.s + 1, want[i], b.len - 1) == 0, "u64 %s", want[i]);
	}
	sbuf_fini(&b);
	sbuf_init(&b, 3);
	ok(imapfmt_u64(&b, 12345) == -1, "u64 over the sbuf's bound fails");
	sbuf_fini(&b);
}

int
main(void)
{
	test_string();
	test_astring();
	test_u64();
	return done_testing();
}
