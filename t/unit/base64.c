/* Unit tests for lib/base64. */
#include <errno.h>
#include <string.h>

#include "lib/base64.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
enc(const char *in, size_t n, const char *want)
{
	struct sbuf b;

	sbuf_init(&b, 1024);
	is_int(base64_encode(in, n, &b), 0, "encode ok");
	is_mem(b.s, b.len, want, strlen(want), want);
	sbuf_fini(&b);
}

static void
dec_ok(const char *in, const char *want, size_t wantlen)
{
	struct sbuf b;
	const char *why = NULL;

	sbuf_init(&b, 1024);
	is_int(base64_decode(in, strlen(in), &b, &why), 0, in);
	is_mem(b.s, b.len, want, wantlen, "decoded bytes");
	is_int(base64_check(in, strlen(in), &why), 0, "check agrees");
	sbuf_fini(&b);
}

static void
dec_bad(const char *in, size_t n, const char *name)
{
	struct sbuf b;
	const char *why = NULL;

	sbuf_init(&b, 1024);
	errno = 0;
	is_int(base64_decode(in, n, &b, &why), -1, name);
	ok(errno == EINVAL && why != NULL, "EINVAL and a reason (%s)",
	    why ? why : "none");
	is_int(base64_check(in, n, &why), -1, "check refuses too");
	sbuf_fini(&b);
}

static void
roundtrip(void)
{
	unsigned char all[256];
	struct sbuf e, d;
	const char *why = NULL;
	size_t n;
	int good = 1;

	for (n = 0; n < sizeof all; n++)
		all[n] = (unsigned char)n;
	sbuf_init(&e, 4096);
	sbuf_init(&d, 4096);
	for (n = 0; n <= sizeof all; n++) {
		sbuf_reset(&e);
		if (base64_encode(all, n, &e) != 0 ||
		    e.len != BASE64_ENCODED_LEN(n) ||
		    base64_decode(e.s, e.len, &d, &why) != 0 || d.len != n ||
		    (n > 0 &&
		    memcmp(d.s, all, n) != 0))
			good = 0;
	}
	ok(good, "every length 0..256 round-trips");
	sbuf_fini(&e);
	sbuf_fini(&d);
}

int
main(void)
{
	struct sbuf b;
	const char *why = NULL;

	/* RFC 4648 section 10 vectors. */
	enc("", 0, "");
	enc("f", 1, "Zg==");
	enc("fo", 2, "Zm8=");
	enc("foo", 3, "Zm9v");
	enc("foob", 4, "Zm9vYg==");
	enc("fooba", 5, "Zm9vYmE=");
	enc("foobar", 6, "Zm9vYmFy");
	enc("\0user\0pass", 10, "AHVzZXIAcGFzcw==");
	dec_ok("", "", 0);
	dec_ok("Zg==", "f", 1);
	dec_ok("Zm8=", "fo", 2);
	dec_ok("Zm9vYmFy", "foobar", 6);
	dec_ok("AHVzZXIAcGFzcw==", "\0user\0pass", 10);
	dec_ok("+/+/", "\xfb\xff\xbf", 3);
	dec_bad("Zg", 2, "missing padding");
	dec_bad("Zg=", 3, "short padding");
	dec_bad("Zg===", 5, "extra padding");
	dec_bad("Z===", 4, "three pad characters");
	dec_bad("====", 4, "padding only");
	dec_bad("Zg==Zg==", 8, "padding in the middle");
	dec_bad("Zm=v", 4, "data after padding");
	dec_bad("Zh==", 4, "non-zero bits under padding (==)");
	dec_bad("Zm9=", 4, "non-zero bits under padding (=)");
	dec_bad("Zm9v\r\n", 6, "CRLF refused");
	dec_bad("Zm9 v", 5, "space refused");
	dec_bad("Zm9v Zm9v", 9, "space between groups refused");
	dec_bad("Zm-v", 4, "URL alphabet refused");
	dec_bad("Zm\0v", 4, "NUL refused");
	dec_bad("Zm9v\xc3\xa9==", 8, "non-ASCII refused");
	roundtrip();
	sbuf_init(&b, 2);
	errno = 0;
	is_int(base64_decode("Zm9v", 4, &b, &why), -1, "output over max");
	is_int(errno, E2BIG, "E2BIG");
	sbuf_reset(&b);
	is_int(base64_encode("foo", 3, &b), -1, "encode over max fails");
	sbuf_fini(&b);
	return done_testing();
}
