/* Unit tests for lib/mutf7: RFC 3501 examples, round trips, and every
 * non-canonical form refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/mutf7.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
dec(const char *in, const char *want)
{
	struct sbuf b;
	int rc;

	sbuf_init(&b, 4096);
	rc = mutf7_to_utf8(in, strlen(in), &b);
	if (want == NULL) {
		ok(rc == -1 && errno == EINVAL && b.len == 0 &&
		    !mutf7_valid(in, strlen(in)), "refused: \"%s\"", in);
	} else {
		is_int(rc, 0, in);
		is_str(sbuf_str(&b), want, "decoded");
		ok(mutf7_valid(in, strlen(in)), "valid: \"%s\"", in);
	}
	sbuf_fini(&b);
}

static void
enc(const char *in, const char *want)
{
	struct sbuf b, back;

	sbuf_init(&b, 4096);
	sbuf_init(&back, 4096);
	if (want == NULL) {
		ok(utf8_to_mutf7(in, strlen(in), &b) == -1 && errno == EINVAL,
		    "bad UTF-8 refused");
	} else {
		is_int(utf8_to_mutf7(in, strlen(in), &b), 0, "encode");
		is_str(sbuf_str(&b), want, "encoded form");
		ok(mutf7_to_utf8(b.s, b.len, &back) == 0 &&
		    strcmp(sbuf_str(&back), in) == 0, "round trip %s", want);
	}
	sbuf_fini(&b);
	sbuf_fini(&back);
}

int
main(void)
{
	struct sbuf b;
	size_t i;

	/* RFC 3501 5.1.3 and common names. */
	dec("~peter/mail/&U,BTFw-/&ZeVnLIqe-",
	    "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
	dec("&-", "&");
	dec("A&-B", "A&B");
	dec("Entw&APw-rfe", "Entw\xc3\xbc" "rfe");
	dec("", "");
	dec("&2D3eAA-", "\xf0\x9f\x98\x80");	/* U+1F600, a pair */
	dec("&AAE-", "\x01");
	/* Refused. */
	dec("&", NULL);
	dec("&AGE", NULL);		/* unterminated */
	dec("&AGE-", NULL);		/* 'a' encoded */
	dec("&ACY-", NULL);		/* '&' encoded */
	dec("&AC8-", NULL);		/* '/' encoded */
	dec("&AC4-", NULL);		/* '.' encoded */
	dec("&AAA-", NULL);		/* NUL */
	dec("&APx-", NULL);		/* padding bits not zero */
	dec("&APwA-", NULL);		/* a needless character */
	dec("&2D0-", NULL);		/* lone high surrogate */
	dec("&3gA-", NULL);		/* lone low surrogate */
	dec("&3gDYPQ-", NULL);		/* reversed pair */
	dec("&APw-&APw-", NULL);	/* two shifts: one is canonical */
	dec("&APw/-", NULL);		/* '/' is not modified base64 */
	dec("&=-", NULL);
	dec("a\tb", NULL);
	dec("\xc3\xbc", NULL);		/* raw 8-bit */
	dec("&-&", NULL);
	ok(mutf7_valid("&APw-&-&APw-", 12), "shifts around &- are fine");
	enc("Entw\xc3\xbc" "rfe", "Entw&APw-rfe");
	enc("a&b", "a&-b");
	enc("\xe5\x8f\xb0\xe5\x8c\x97", "&U,BTFw-");
	enc("\xf0\x9f\x98\x80x", "&2D3eAA-x");
	enc("\xc3\xbc\xc3\xbc\xc3\xbc", "&APwA,AD8-");
	enc("\xc0\xaf", NULL);		/* overlong */
	enc("\xed\xa0\x80", NULL);	/* surrogate */
	enc("\xf4\x90\x80\x80", NULL);	/* above U+10FFFF */
	enc("\xe5\x8f", NULL);		/* truncated */
	enc("\xff", NULL);
	/* Every BMP code point round-trips and its form is canonical. */
	sbuf_init(&b, 64);
	for (i = 0x80; i < 0x10000; i++) {
		struct sbuf m, u;
		char cu[4];
		size_t n;

		if (i >= 0xd800 && i <= 0xdfff)
			continue;
		n = i < 0x800 ? 2 : 3;
		if (n == 2) {
			cu[0] = (char)(0xc0 | (i >> 6));
			cu[1] = (char)(0x80 | (i & 0x3f));
		} else {
			cu[0] = (char)(0xe0 | (i >> 12));
			cu[1] = (char)(0x80 | ((i >> 6) & 0x3f));
			cu[2] = (char)(0x80 | (i & 0x3f));
		}
		sbuf_init(&m, 64);
		sbuf_init(&u, 64);
		if (utf8_to_mutf7(cu, n, &m) != 0 ||
		    !mutf7_valid(m.s, m.len) ||
		    mutf7_to_utf8(m.s, m.len, &u) != 0 || u.len != n ||
		    memcmp(u.s, cu, n) != 0) {
			sbuf_fini(&m);
			sbuf_fini(&u);
			break;
		}
		sbuf_fini(&m);
		sbuf_fini(&u);
	}
	is_int((long long)i, 0x10000, "all of the BMP round-trips");
	sbuf_fini(&b);
	return done_testing();
}
