/* Unit tests for lib/maps: every parser (valid lines, each error), the
 * accounts record, the hashed Maildir path. */
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/maps.h"
#include "lib/sbuf.h"
#include "t/tap.h"

#define S(x)	x, strlen(x)

static int
acct(const char *line, struct maps_account *a, const char **why)
{
	*why = "";
	return maps_parse_account(S(line), a, why);
}

static int
slice_eq(struct maps_slice s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void
test_addr(void)
{
	ok(maps_addr_valid(S("alice@example.org")), "plain address");
	ok(maps_addr_valid(S("a.b+tag@sub.example.org")), "dots, plus");
	ok(!maps_addr_valid(S("alice")), "no @");
	ok(!maps_addr_valid(S("@example.org")), "empty local part");
	ok(!maps_addr_valid(S("alice@")), "empty domain");
	ok(!maps_addr_valid(S(".a@example.org")), "leading dot");
	ok(!maps_addr_valid(S("a..b@example.org")), "double dot");
	ok(!maps_addr_valid(S("a/b@example.org")), "slash refused");
	ok(!maps_addr_valid(S("a@-x.org")), "label starts with -");
	ok(!maps_addr_valid(S("a@x..org")), "empty label");
	ok(!maps_addr_valid(S("a b@x.org")), "blank");
	ok(!maps_addr_valid("a@x.org\0", 8), "NUL");
	ok(maps_addr_valid(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org")),
	    "64-byte local part");
	ok(!maps_addr_valid(S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa@x.org")),
	    "65-byte local part refused");
}

static void
test_account(void)
{
	struct maps_account a;
	const char *why;

	is_int(acct("", &a, &why), 0, "blank line");
	is_int(acct("   # comment", &a, &why), 0, "comment");
	is_int(acct("alice@example.org uid=1001", &a, &why), 1, "minimal");
	ok(slice_eq(a.addr, "alice@example.org"), "address");
	is_int(a.uid, 1001, "uid");
	ok(slice_eq(a.host, "local"), "host defaults to local");
	is_int(a.home.n, 0, "no home");
	is_int(a.status, MAPS_ACTIVE, "active by default");
	is_int(acct("\tBob@X.org\tuid=7 home=/m/b quota=2k host=s1.x.org "
	    "pass=$y$j9T$abc status=disabled\r", &a, &why), 1, "every key, CRLF");
	ok(slice_eq(a.home, "/m/b"), "home");
	is_int((long long)a.quota, 2048, "quota 2k");
	ok(slice_eq(a.host, "s1.x.org"), "host");
	ok(slice_eq(a.pass, "$y$j9T$abc"), "pass kept raw");
	is_int(a.status, MAPS_DISABLED, "disabled");
	is_int(acct("bad uid=1", &a, &why), -1, "bad address");
	is_str(why, "not a valid address (local@domain)", "why");
	is_int(acct("a@x.org", &a, &why), -1, "uid missing");
	is_str(why, "uid= is required", "why");
	is_int(acct("a@x.org uid=x", &a, &why), -1, "uid not a number");
	is_int(acct("a@x.org uid=-1", &a, &why), -1, "uid negative");
	is_int(acct("a@x.org uid=4294967295", &a, &why), -1, "uid too big");
	is_int(acct("a@x.org uid=1 uid=2", &a, &why), -1, "key twice");
	is_str(why, "key given twice", "why");
	is_int(acct("a@x.org uid=1 colour=red", &a, &why), -1, "unknown key");
	is_int(acct("a@x.org uid=1 junk", &a, &why), -1, "not key=value");
	is_int(acct("a@x.org uid=1 home=", &a, &why), -1, "empty value");
	is_int(acct("a@x.org uid=1 home=rel/path", &a, &why), -1,
	    "relative home");
	is_int(acct("a@x.org uid=1 home=/a/../b", &a, &why), -1, "home with ..");
	is_int(acct("a@x.org uid=1 home=/a/./b", &a, &why), -1, "home with .");
	is_int(acct("a@x.org uid=1 home=/a/..b", &a, &why), 1,
	    "..b is a name");
	is_int(acct("a@x.org uid=1 quota=5X", &a, &why), -1, "bad quota");
	is_int(acct("a@x.org uid=1 host=-bad", &a, &why), -1, "bad host");
	is_int(acct("a@x.org uid=1 status=gone", &a, &why), -1, "bad status");
	is_int(maps_parse_account("a@x.org uid=1\0", 14, &a, &why), -1,
	    "NUL byte");
	is_int(acct("a@x.org uid=1\x01", &a, &why), -1, "control byte");
	{
		char big[MAPS_LINE_MAX + 100];

		memset(big, 'a', sizeof big);
		memcpy(big, "a@x.org uid=1 home=/", 20);
		is_int(maps_parse_account(big, sizeof big, &a, &why), -1,
		    "line too long");
	}
	/* Byte at a time: every prefix parses without reading past it. */
	{
		const char *line = "alice@example.org uid=1001 quota=1M";
		size_t i, n = strlen(line);
		int bad = 0;

		for (i = 0; i <= n; i++) {
			char *copy = strndup(line, i);

			if (maps_parse_account(copy, i, &a, &why) > 1)
				bad++;
			free(copy);
		}
		is_int(bad, 0, "every prefix handled");
	}
}

static void
test_alias(void)
{
	struct maps_slice k;
	struct sbuf t;
	const char *why = "";

	sbuf_init(&t, MAPS_LINE_MAX);
	is_int(maps_parse_alias(S("# c"), &k, &t, &why), 0, "comment");
	is_int(maps_parse_alias(S("pm@x.org: a@x.org, b@y.org"), &k, &t, &why),
	    1, "two targets");
	ok(slice_eq(k, "pm@x.org"), "key");
	is_str(sbuf_str(&t), "a@x.org,b@y.org", "targets joined");
	is_int(maps_parse_alias(S("@x.org: a@x.org"), &k, &t, &why), 1,
	    "catch-all");
	ok(slice_eq(k, "@x.org"), "catch-all key");
	is_int(maps_parse_alias(S("pm@x.org:a@x.org,b@x.org"), &k, &t, &why),
	    1, "no blanks");
	is_int(maps_parse_alias(S("pm@x.org a@x.org"), &k, &t, &why), -1,
	    "missing colon");
	is_int(maps_parse_alias(S("pm@x.org:"), &k, &t, &why), -1, "no target");
	is_int(maps_parse_alias(S("pm@x.org: a@x.org,"), &k, &t, &why), -1,
	    "trailing comma");
	is_int(maps_parse_alias(S("pm@x.org: a@x.org,,b@x.org"), &k, &t, &why),
	    -1, "empty target");
	is_int(maps_parse_alias(S("pm@x.org: a@x.org b@x.org"), &k, &t, &why),
	    -1, "targets without comma");
	is_int(maps_parse_alias(S("pm@x.org: nobody"), &k, &t, &why), -1,
	    "bad target");
	is_int(maps_parse_alias(S("pm: a@x.org"), &k, &t, &why), -1, "bad key");
	is_int(maps_parse_alias(S("@: a@x.org"), &k, &t, &why), -1,
	    "bad catch-all");
	sbuf_fini(&t);
}

static void
test_domain_route(void)
{
	struct maps_slice d, k, text;
	enum maps_domain_kind kind;
	struct maps_nexthop h;
	const char *why = "";

	is_int(maps_parse_domain(S("x.org local"), &d, &kind, &why), 1, "local");
	is_int(kind, MAPS_DOMAIN_LOCAL, "kind local");
	is_int(maps_parse_domain(S("x.org virtual"), &d, &kind, &why), 1,
	    "virtual");
	is_int(maps_parse_domain(S("x.org  relay"), &d, &kind, &why), 1,
	    "relay");
	is_int(kind, MAPS_DOMAIN_RELAY, "kind relay");
	is_int(maps_parse_domain(S("x.org"), &d, &kind, &why), -1, "no kind");
	is_int(maps_parse_domain(S("x.org remote"), &d, &kind, &why), -1,
	    "bad kind");
	is_int(maps_parse_domain(S("x.org local extra"), &d, &kind, &why), -1,
	    "extra field");
	is_int(maps_parse_domain(S("x_y.org local"), &d, &kind, &why), -1,
	    "bad domain");

	is_int(maps_parse_route(S("x.org local"), &k, &h, &text, &why), 1,
	    "route local");
	is_int(h.kind, MAPS_HOP_LOCAL, "local hop");
	is_int(maps_parse_route(S("a@x.org smtp:[10.0.0.1]:2525"), &k, &h,
	    &text, &why), 1, "address route, literal host, port");
	ok(h.is_literal && slice_eq(h.host, "10.0.0.1") && h.port == 2525,
	    "fields");
	ok(slice_eq(text, "smtp:[10.0.0.1]:2525"), "text kept");
	is_int(maps_parse_route(S("x.org smtp:mx.x.org"), &k, &h, &text, &why),
	    1, "smtp host");
	ok(!h.is_literal && h.port == 0, "MX lookup, default port");
	is_int(maps_parse_route(S("x.org smtp:[::1]:25"), &k, &h, &text, &why),
	    1, "IPv6 literal");
	is_int(maps_parse_route(S("x.org lmtp:store1:24"), &k, &h, &text, &why),
	    1, "lmtp");
	is_int(h.kind, MAPS_HOP_LMTP, "lmtp hop");
	is_int(maps_parse_route(S("x.org lmtp:store1"), &k, &h, &text, &why),
	    -1, "lmtp without port");
	is_int(maps_parse_route(S("x.org smtp:h:0"), &k, &h, &text, &why), -1,
	    "port 0");
	is_int(maps_parse_route(S("x.org smtp:h:65536"), &k, &h, &text, &why),
	    -1, "port too big");
	is_int(maps_parse_route(S("x.org smtp:h:"), &k, &h, &text, &why), -1,
	    "empty port");
	is_int(maps_parse_route(S("x.org smtp:[h"), &k, &h, &text, &why), -1,
	    "missing ]");
	is_int(maps_parse_route(S("x.org smtp:[h]x"), &k, &h, &text, &why), -1,
	    "junk after ]");
	is_int(maps_parse_route(S("x.org smtp:"), &k, &h, &text, &why), -1,
	    "no host");
	is_int(maps_parse_route(S("x.org ftp:h"), &k, &h, &text, &why), -1,
	    "unknown transport");
	is_int(maps_parse_route(S("x.org"), &k, &h, &text, &why), -1,
	    "missing next hop");
	is_int(maps_parse_route(S("x.org local x"), &k, &h, &text, &why), -1,
	    "extra field");
	is_int(maps_parse_route(S("bad@ local"), &k, &h, &text, &why), -1,
	    "bad key");
}

static void
test_record(void)
{
	struct maps_record r;
	struct sbuf v;
	const char *why = "";

	sbuf_init(&v, MAPS_RECORD_MAX);
	is_int(maps_account_encode(&v, 1001, 1024, MAPS_DISABLED, S("local"),
	    S("/var/mail/ab/cd/a@x.org/")), 0, "encode");
	is_str(sbuf_str(&v), "uid=1001 quota=1024 status=disabled host=local "
	    "home=/var/mail/ab/cd/a@x.org/", "record text");
	is_int(maps_account_decode(v.s, v.len, &r, &why), 0, "decode");
	ok(r.uid == 1001 && r.quota == 1024 && r.status == MAPS_DISABLED &&
	    slice_eq(r.host, "local") &&
	    slice_eq(r.home, "/var/mail/ab/cd/a@x.org/"), "round trip");
	is_int(maps_account_decode(S("uid=1 quota=0 status=active host=h"),
	    &r, &why), -1, "missing home");
	is_int(maps_account_decode(S("quota=0 uid=1 status=active host=h "
	    "home=/h"), &r, &why), -1, "wrong order");
	is_int(maps_account_decode(S("uid=1  quota=0 status=active host=h "
	    "home=/h"), &r, &why), -1, "two spaces");
	is_int(maps_account_decode(S("uid=1 quota=0 status=on host=h home=/h"),
	    &r, &why), -1, "bad status");
	is_int(maps_account_decode(S("uid=x quota=0 status=active host=h "
	    "home=/h"), &r, &why), -1, "bad uid");
	is_int(maps_account_decode(S("uid=1 quota=0 status=active host=h "
	    "home=/h"), &r, &why), 0, "minimal record");
	sbuf_fini(&v);
}

static void
test_path(void)
{
	struct sbuf p;

	sbuf_init(&p, MAPS_PATH_MAX);
	/* sha256("alice@example.org") begins 7a64... (checked with
	 * printf %s alice@example.org | sha256sum). */
	is_int(maps_maildir_path(&p, "/var/mail/tern", S("Alice@Example.ORG")),
	    0, "path");
	is_str(sbuf_str(&p), "/var/mail/tern/7a/64/alice@example.org/",
	    "hashed, lowercased");
	sbuf_reset(&p);
	is_int(maps_maildir_path(&p, "/m/", S("alice@example.org")), 0,
	    "trailing slash");
	is_str(sbuf_str(&p), "/m/7a/64/alice@example.org/", "not doubled");
	sbuf_reset(&p);
	is_int(maps_maildir_path(&p, "/m", S("../x@y.org")), -1,
	    "bad address refused");
	sbuf_fini(&p);
}

/* The map key equals addr_key(fold_local) for every map address. */
static void
test_key_matches_addr(void)
{
	static const char *const v[] = { "Alice.B+x@Example.ORG",
	    "o'neil@X-Y.example", "UPPER{}@CASE.TEST" };
	struct addr a;
	struct sbuf k1, k2;
	const char *why;
	size_t i;
	int same = 0;

	sbuf_init(&k1, MAPS_ADDR_MAX + 1);
	sbuf_init(&k2, MAPS_ADDR_MAX + 1);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		sbuf_reset(&k1);
		if (maps_addr_valid(S(v[i])) &&
		    addr_parse(S(v[i]), 0, &a, &why) == 0 &&
		    addr_key(&a, 1, &k2) == 0 && maps_key(&k1, S(v[i])) == 0 &&
		    k1.len == k2.len && memcmp(k1.s, k2.s, k1.len) == 0)
			same++;
	}
	is_int(same, 3, "maps_key == addr_key(fold_local) for map addresses");
	sbuf_fini(&k1);
	sbuf_fini(&k2);
}

int
main(void)
{
	enum maps_tier t;

	test_addr();
	test_account();
	test_alias();
	test_domain_route();
	test_record();
	test_path();
	test_key_matches_addr();
	is_int(maps_tier_parse("mx", &t), 0, "tier mx");
	is_int(t, MAPS_TIER_MX, "is mx");
	is_int(maps_tier_parse("MX", &t), -1, "tier names are exact");
	return done_testing();
}
