/* Unit tests for lib/basesubj: RFC 5256 2.1 base subjects (the rules one
 * by one, each with a case that fails without it) and the case map. */
#include <string.h>

#include "lib/basesubj.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
base(const char *in, const char *want, int want_reply)
{
	struct sbuf o;
	int reply = -1;

	sbuf_init(&o, 1 << 20);
	if (basesubj_extract(&o, in, strlen(in), &reply) != 0)
		ok(0, "extract %s", in);
	else {
		is_str(sbuf_str(&o), want, in);
		is_int(reply, want_reply, "  reply or forward");
	}
	sbuf_fini(&o);
}

static void
casemap(const char *in, const char *want, const char *name)
{
	struct sbuf o;

	sbuf_init(&o, 1 << 20);
	is_int(basesubj_casemap(&o, in, strlen(in)), 0, name);
	is_str(sbuf_str(&o), want, name);
	sbuf_fini(&o);
}

static void
test_rules(void)
{
	/* (1) blanks, folding, encoded words. */
	base("", "", 0);
	base("  \t ", "", 0);
	base("hello   big\t world", "HELLO BIG WORLD", 0);
	base("long\r\n subject", "LONG SUBJECT", 0);
	base("=?UTF-8?B?UmU6IGjDqWxsbw==?=", "HE\xcc\x81LLO", 1);
	base("=?iso-8859-1?q?Caf=E9?= au lait", "CAFE\xcc\x81 AU LAIT", 0);
	/* (2) trailers. */
	base("hello (fwd)", "HELLO", 1);
	base("hello (FWD) (fwd)  ", "HELLO", 1);
	base("hello(fwd)", "HELLO", 1);
	base("(fwd) hello", "(FWD) HELLO", 0);
	/* (3) leaders. */
	base("Re: hello", "HELLO", 1);
	base("RE: Re: re: hello", "HELLO", 1);
	base("Fwd: hello", "HELLO", 1);
	base("Fw: hello", "HELLO", 1);
	base("fwd :hello", "HELLO", 1);
	base("Re[2]: hello", "HELLO", 1);
	base("Re [2]: hello", "HELLO", 1);
	base("[list] Re: hello", "HELLO", 1);
	base("[a][b] Re: hello", "HELLO", 1);
	base("Ref: hello", "REF: HELLO", 0);
	base("Re hello", "RE HELLO", 0);
	base("Re:", "", 1);
	base("re:re:", "", 1);
	base("Re[x: y", "RE[X: Y", 0);
	/* (4) blobs. */
	base("[list] hello", "HELLO", 0);
	base("[a][b] hello", "HELLO", 0);
	base("[list]", "[LIST]", 0);
	base("[a] [b]", "[B]", 0);
	base("[a[b] hello", "[A[B] HELLO", 0);
	base("[list] Re: [other] hello", "HELLO", 1);
	base("hello [not a leader]", "HELLO [NOT A LEADER]", 0);
	/* (6) [fwd: ...]. */
	base("[fwd: hello]", "HELLO", 1);
	base("[Fwd: Re: hello]", "HELLO", 1);
	base("Re: [fwd: hello (fwd)]", "HELLO", 1);
	base("[fwd: [fwd: x]]", "X", 1);
	base("[fwd: hello", "[FWD: HELLO", 0);
	base("[fwd:]", "", 1);
	/* RFC 5256 section 3 wording: a reply or forward. */
	base("Re: Re: [list] (fwd)", "[LIST]", 1);
	/* 8-bit in a blob (Dovecot allows it). */
	base("[\xc3\xa9t\xc3\xa9] x", "X", 0);
}

static void
test_casemap(void)
{
	casemap("abcXYZ_[]", "ABCXYZ_[]", "ASCII to upper case");
	casemap("\xc3\xa9\xc3\x89", "E\xcc\x81" "E\xcc\x81", "e-acute both cases");
	casemap("\xc3\xbf", "Y\xcc\x88", "y-diaeresis");
	casemap("\xc3\x9f\xc3\xa6", "\xc3\x9f\xc3\x86", "sharp s kept, ae up");
	casemap("\xce\xb1\xcf\x82", "\xce\x91\xce\xa3", "Greek alpha, final sigma");
	casemap("\xd0\xb4\xd1\x91", "\xd0\x94\xd0\x81", "Cyrillic de, io");
	casemap("\xc4\x81\xc5\x82", "\xc4\x80\xc5\x81", "Latin Extended-A");
	casemap("a\xffz", "A\xef\xbf\xbdZ", "invalid byte: U+FFFD");
	casemap("\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd", "truncated sequence");
	casemap("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd", "overlong form");
}

int
main(void)
{
	test_rules();
	test_casemap();
	return done_testing();
}
