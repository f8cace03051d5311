/* Unit tests for lib/addr. */
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/sbuf.h"
#include "t/tap.h"

#define U	ADDR_UTF8
#define NUL_OK	ADDR_NULL_OK
#define PM	ADDR_POSTMASTER_OK
#define S	ADDR_ESYNTAX
#define L	ADDR_ETOOLONG
#define X	ADDR_EUTF8

/* A printable test name for raw input (CR, LF, NUL, UTF-8). */
static const char *
tname(const char *in, size_t len)
{
	static struct sbuf b;

	sbuf_fini(&b);
	sbuf_init(&b, 1024);
	if (sbuf_cat_escaped(&b, in, len, 300) < 0)
		return "(name too long)";
	return sbuf_str(&b);
}

struct mcase {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	unsigned	 flags;
	int		 rc;
	const char	*local;		/* expected unquoted form */
	const char	*domain;
	const char	*canon;		/* expected addr_format(), NULL: = in */
};

static const struct mcase mailboxes[] = {
	/* Dot-strings. */
	{ "user@example.com", 0, 0, 0, "user", "example.com", NULL },
	{ "first.last@example.com", 0, 0, 0, "first.last", "example.com", NULL },
	{ "a@b", 0, 0, 0, "a", "b", NULL },
	{ "!#$%&'*+-/=?^_`{|}~@x.org", 0, 0, 0, "!#$%&'*+-/=?^_`{|}~", "x.org",
	    NULL },
	{ "user+tag@example.com", 0, 0, 0, "user+tag", "example.com", NULL },
	{ ".user@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "user.@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "us..er@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "user", 0, 0, S, NULL, NULL, NULL },
	{ "user@", 0, 0, S, NULL, NULL, NULL },
	{ "us er@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "us(er)@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "user@@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "a@b@c", 0, 0, S, NULL, NULL, NULL },
	/* Quoted local parts. */
	{ "\"john doe\"@example.com", 0, 0, 0, "john doe", "example.com", NULL },
	{ "\"a\\\"b\"@example.com", 0, 0, 0, "a\"b", "example.com", NULL },
	{ "\"a\\\\b\"@example.com", 0, 0, 0, "a\\b", "example.com", NULL },
	{ "\"\\a\\b\"@example.com", 0, 0, 0, "ab", "example.com",
	    "ab@example.com" },
	{ "\"plain\"@example.com", 0, 0, 0, "plain", "example.com",
	    "plain@example.com" },
	{ "\"a.b\"@example.com", 0, 0, 0, "a.b", "example.com",
	    "a.b@example.com" },
	{ "\"a..b\"@example.com", 0, 0, 0, "a..b", "example.com", NULL },
	{ "\".a\"@example.com", 0, 0, 0, ".a", "example.com", NULL },
	{ "\"a@b\"@example.com", 0, 0, 0, "a@b", "example.com", NULL },
	{ "\"a>b\"@example.com", 0, 0, 0, "a>b", "example.com", NULL },
	{ "\"\\ \"@example.com", 0, 0, 0, " ", "example.com",
	    "\" \"@example.com" },
	{ "\"\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"abc@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"abc\\\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"a\"b@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "a\"b\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"a\tb\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"a\\\tb\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"a\x7f\"@example.com", 0, 0, S, NULL, NULL, NULL },
	/* NUL, CR, LF anywhere. */
	{ "us\0er@example.com", 18, 0, S, NULL, NULL, NULL },
	{ "user@exa\0mple.com", 17, 0, S, NULL, NULL, NULL },
	{ "user@example.com\0", 17, 0, S, NULL, NULL, NULL },
	{ "\"us\0er\"@example.com", 20, 0, S, NULL, NULL, NULL },
	{ "\"us\\\0er\"@example.com", 21, 0, S, NULL, NULL, NULL },
	{ "\"us\rer\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"us\ner\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "\"us\\\r\"@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "user\r@example.com", 0, 0, S, NULL, NULL, NULL },
	{ "user@example.com\r\n", 0, 0, S, NULL, NULL, NULL },
	{ "user@exa\nmple.com", 0, 0, S, NULL, NULL, NULL },
	/* Domains. */
	{ "u@Example.COM", 0, 0, 0, "u", "Example.COM", NULL },
	{ "u@a-b.c0", 0, 0, 0, "u", "a-b.c0", NULL },
	{ "u@1.2.3.4", 0, 0, 0, "u", "1.2.3.4", NULL },
	{ "u@xn--bcher-kva.example", 0, 0, 0, "u", "xn--bcher-kva.example",
	    NULL },
	{ "u@-a.com", 0, 0, S, NULL, NULL, NULL },
	{ "u@a-.com", 0, 0, S, NULL, NULL, NULL },
	{ "u@a.-com", 0, 0, S, NULL, NULL, NULL },
	{ "u@a..com", 0, 0, S, NULL, NULL, NULL },
	{ "u@.a.com", 0, 0, S, NULL, NULL, NULL },
	{ "u@a.com.", 0, 0, S, NULL, NULL, NULL },
	{ "u@a_b.com", 0, 0, S, NULL, NULL, NULL },
	{ "u@a b.com", 0, 0, S, NULL, NULL, NULL },
	{ "u@example.com ", 0, 0, S, NULL, NULL, NULL },
	{ "u@example.com>", 0, 0, S, NULL, NULL, NULL },
	/* Address literals. */
	{ "u@[192.0.2.1]", 0, 0, 0, "u", "[192.0.2.1]", NULL },
	{ "u@[IPv6:2001:db8::1]", 0, 0, 0, "u", "[IPv6:2001:db8::1]", NULL },
	{ "u@[ipv6:::1]", 0, 0, 0, "u", "[ipv6:::1]", NULL },
	{ "u@[IPv6:::ffff:192.0.2.1]", 0, 0, 0, "u",
	    "[IPv6:::ffff:192.0.2.1]", NULL },
	{ "u@[192.0.2.256]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[192.0.2]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[192.0.2.01]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[2001:db8::1]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[IPv6:2001:db8:::1]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[IPv6:1.2.3.4]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[x-tag:foo]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[192.0.2.1", 0, 0, S, NULL, NULL, NULL },
	{ "u@[192.0.2.1]x", 0, 0, S, NULL, NULL, NULL },
	{ "u@[192.0.2.1].com", 0, 0, S, NULL, NULL, NULL },
	{ "u@[ 192.0.2.1]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[]", 0, 0, S, NULL, NULL, NULL },
	{ "u@[[1.2.3.4]]", 0, 0, S, NULL, NULL, NULL },
	/* UTF-8, only with the flag. */
	{ "j\xc3\xb6rg@example.com", 0, 0, X, NULL, NULL, NULL },
	{ "j\xc3\xb6rg@example.com", 0, U, 0, "j\xc3\xb6rg", "example.com",
	    NULL },
	{ "u@b\xc3\xbc" "cher.example", 0, 0, X, NULL, NULL, NULL },
	{ "u@b\xc3\xbc" "cher.example", 0, U, 0, "u", "b\xc3\xbc" "cher.example",
	    NULL },
	{ "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x95\x86"
	    "\xe5\x8a\xa1", 0, U, 0, "\xe7\x94\xa8\xe6\x88\xb7",
	    "\xe4\xbe\x8b\xe5\xad\x90.\xe5\x95\x86\xe5\x8a\xa1", NULL },
	{ "\"j\xc3\xb6 rg\"@example.com", 0, U, 0, "j\xc3\xb6 rg",
	    "example.com", NULL },
	{ "\xf0\x9f\x98\x80@example.com", 0, U, 0, "\xf0\x9f\x98\x80",
	    "example.com", NULL },
	{ "j\xf6rg@example.com", 0, U, S, NULL, NULL, NULL },	/* Latin-1 */
	{ "j\xc3@example.com", 0, U, S, NULL, NULL, NULL },	/* cut */
	{ "j\xc0\xaf@example.com", 0, U, S, NULL, NULL, NULL },	/* overlong */
	{ "j\xe0\x80\xaf@example.com", 0, U, S, NULL, NULL, NULL },
	{ "j\xed\xa0\x80@example.com", 0, U, S, NULL, NULL, NULL }, /* surr. */
	{ "j\xf4\x90\x80\x80@example.com", 0, U, S, NULL, NULL, NULL },
	{ "j\xc2\x85@example.com", 0, U, S, NULL, NULL, NULL },	/* C1 NEL */
	{ "j\x80@example.com", 0, U, S, NULL, NULL, NULL },
	{ "u@b\xfc" "cher.example", 0, U, S, NULL, NULL, NULL },
	{ "\"j\xff\"@example.com", 0, U, S, NULL, NULL, NULL },
	{ "u@example.co\xc3", 0, U, S, NULL, NULL, NULL },
	/* Postmaster. */
	{ "Postmaster", 0, PM, 0, "Postmaster", "", NULL },
	{ "postmaster", 0, 0, S, NULL, NULL, NULL },
	{ "postmaster@example.com", 0, PM, 0, "postmaster", "example.com",
	    NULL },
};

static void
check_mailbox(const struct mcase *t)
{
	struct addr a;
	struct sbuf f;
	const char *why = NULL;
	size_t len = t->len ? t->len : strlen(t->in);
	char *copy = malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		abort();
	/* An exact-size copy, so ASan sees any read past the end. */
	memcpy(copy, t->in, len);
	rc = addr_parse(copy, len, t->flags, &a, &why);
	if (!is_int(rc, t->rc, tname(t->in, len)))
		diag("why: %s", why ? why : "(none)");
	if (t->rc != 0) {
		ok(why != NULL, "  reason: %s", why ? why : "(none)");
		free(copy);
		return;
	}
	is_str(a.local, t->local, "  local part");
	is_int((long long)a.local_len, (long long)strlen(t->local),
	    "  local length");
	is_str(a.domain, t->domain, "  domain");
	sbuf_init(&f, ADDR_FORMAT_MAX);
	is_int(addr_format(&a, &f), 0, "  format");
	is_str(sbuf_str(&f), t->canon ? t->canon : t->in, "  canonical form");
	sbuf_fini(&f);
	free(copy);
}

static void
make_str(char *buf, size_t n, int c)
{
	memset(buf, c, n);
	buf[n] = '\0';
}

/* n octets of domain: labels of 50 letters, the last one a bit longer. */
static void
make_domain(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = i % 51 == 50 ? '.' : 'a' + (char)(i / 51);
	if (n > 0 && buf[n - 1] == '.')
		buf[n - 1] = 'z';
	buf[n] = '\0';
}

static void
test_limits(void)
{
	char buf[600], dom[300];
	struct addr a;
	const char *why = NULL;
	size_t used;

	/* 64 / 65 octet local parts. */
	make_str(buf, 64, 'a');
	memcpy(buf + 64, "@example.com", 13);
	is_int(addr_parse(buf, strlen(buf), 0, &a, &why), 0, "64-octet local");
	make_str(buf, 65, 'a');
	memcpy(buf + 65, "@example.com", 13);
	is_int(addr_parse(buf, strlen(buf), 0, &a, &why), L, "65-octet local");
	/* Quoted: 64 octets as written, including the quotes. */
	buf[0] = '"';
	make_str(buf + 1, 62, 'b');
	memcpy(buf + 63, "\"@example.com", 14);
	is_int(addr_parse(buf, strlen(buf), 0, &a, &why), 0,
	    "64-octet quoted local");
	is_int((long long)a.local_len, 62, "  62 octets unquoted");
	make_str(buf + 1, 63, 'b');
	memcpy(buf + 64, "\"@example.com", 14);
	is_int(addr_parse(buf, strlen(buf), 0, &a, &why), L,
	    "65-octet quoted local");

	/* 63 / 64 octet labels. */
	make_str(buf, 63, 'l');
	is_int(addr_parse_domain(buf, 63, 0, &why), 0, "63-octet label");
	make_str(buf, 64, 'l');
	is_int(addr_parse_domain(buf, 64, 0, &why), L, "64-octet label");

	/* 255 / 256 octet domains. */
	make_domain(dom, 255);
	is_int(addr_parse_domain(dom, 255, 0, &why), 0, "255-octet domain");
	make_domain(dom, 256);
	is_int(addr_parse_domain(dom, 256, 0, &why), L, "256-octet domain");
	is_int(addr_parse_domain("a.-b", 4, 0, &why), S, "domain: bad label");
	is_int(addr_parse_domain("a.b.", 4, 0, &why), S,
	    "domain: trailing dot");
	is_int(addr_parse_domain("", 0, 0, &why), S, "domain: empty");
	is_int(addr_parse_domain("b\xc3\xbc" "cher.example", 13, U, &why), 0,
	    "domain: UTF-8 with the flag");
	is_int(addr_parse_domain("b\xc3\xbc" "cher.example", 13, 0, &why), X,
	    "domain: UTF-8 without it");
	make_domain(dom, 256);
	dom[255] = '\0';
	a.domain[0] = '\0';
	/* A literal's domain counts too, and local + domain <= 254. */
	make_str(buf, 64, 'u');
	buf[64] = '@';
	make_domain(buf + 65, 189);
	is_int(addr_parse(buf, 254, 0, &a, &why), 0, "254-octet mailbox");
	is_int((long long)a.domain_len, 189, "  domain of 189");
	make_domain(buf + 65, 190);
	is_int(addr_parse(buf, 255, 0, &a, &why), L, "255-octet mailbox");
	/* The same as a path: 256 with the brackets. */
	buf[0] = '<';
	make_str(buf + 1, 64, 'u');
	buf[65] = '@';
	make_domain(buf + 66, 189);
	buf[255] = '>';
	used = 0;
	is_int(addr_parse_path(buf, 256, 0, &a, &used, &why), 0,
	    "256-octet path");
	is_int((long long)used, 256, "  all used");
	make_domain(buf + 66, 190);
	buf[256] = '>';
	is_int(addr_parse_path(buf, 257, 0, &a, &used, &why), L,
	    "257-octet path");
	/* A long source route counts against the path. */
	memcpy(buf, "<@", 2);
	make_domain(buf + 2, 250);
	memcpy(buf + 252, ":u@x>", 5);
	is_int(addr_parse_path(buf, 257, 0, &a, &used, &why), L,
	    "source route makes the path too long");
}

struct pcase {
	const char	*in;
	unsigned	 flags;
	int		 rc;
	size_t		 used;
	const char	*canon;		/* addr_format_path */
};

static const struct pcase paths[] = {
	{ "<user@example.com>", 0, 0, 18, "<user@example.com>" },
	{ "<user@example.com> SIZE=100", 0, 0, 18, "<user@example.com>" },
	{ "<\"a>b\"@example.com> BODY=8BITMIME", 0, 0, 19,
	    "<\"a>b\"@example.com>" },
	{ "<>", NUL_OK, 0, 2, "<>" },
	{ "<> SIZE=10", NUL_OK, 0, 2, "<>" },
	{ "<>", 0, S, 0, NULL },
	{ "< >", NUL_OK, S, 0, NULL },
	{ "<@a.example,@b.example:user@d.example>", 0, 0, 38,
	    "<user@d.example>" },
	{ "<@a.example:user@d.example>", 0, 0, 27, "<user@d.example>" },
	{ "<@a.example,b.example:user@d.example>", 0, S, 0, NULL },
	{ "<@a.example,@b.example user@d.example>", 0, S, 0, NULL },
	{ "<@a.example,@:user@d.example>", 0, S, 0, NULL },
	{ "<@:user@d.example>", 0, S, 0, NULL },
	{ "<@[1.2.3.4]:user@d.example>", 0, S, 0, NULL },
	{ "<@a.example:>", 0, S, 0, NULL },
	{ "<@a.example>", 0, S, 0, NULL },
	{ "<user@example.com", 0, S, 0, NULL },
	{ "user@example.com", 0, S, 0, NULL },
	{ "user@example.com>", 0, S, 0, NULL },
	{ "<user@example.com >", 0, S, 0, NULL },
	{ "< user@example.com>", 0, S, 0, NULL },
	{ "<user@example.com\r\n>", 0, S, 0, NULL },
	{ "<<user@example.com>>", 0, S, 0, NULL },
	{ "<Postmaster>", PM, 0, 12, "<Postmaster>" },
	{ "<POSTMASTER>", PM, 0, 12, "<POSTMASTER>" },
	{ "<Postmaster>", 0, S, 0, NULL },
	{ "<Postmaster@example.com>", 0, 0, 24, "<Postmaster@example.com>" },
	{ "<\"x y\"@[IPv6:::1]>", 0, 0, 18, "<\"x y\"@[IPv6:::1]>" },
	{ "<j\xc3\xb6rg@example.com>", 0, X, 0, NULL },
	{ "<j\xc3\xb6rg@example.com>", U, 0, 19, "<j\xc3\xb6rg@example.com>" },
	{ "", 0, S, 0, NULL },
	{ "<", NUL_OK, S, 0, NULL },
};

static void
check_path(const struct pcase *t)
{
	struct addr a;
	struct sbuf f;
	const char *why = NULL;
	size_t len = strlen(t->in), used = 99;
	char *copy = malloc(len ? len : 1);
	int rc;

	if (copy == NULL)
		abort();
	memcpy(copy, t->in, len);
	rc = addr_parse_path(copy, len, t->flags, &a, &used, &why);
	if (!is_int(rc, t->rc, tname(t->in, len)))
		diag("why: %s", why ? why : "(none)");
	is_int((long long)used, (long long)t->used, "  bytes used");
	if (rc == 0 && t->rc == 0) {
		sbuf_init(&f, ADDR_FORMAT_MAX);
		is_int(addr_format_path(&a, &f), 0, "  format");
		is_str(sbuf_str(&f), t->canon, "  canonical path");
		sbuf_fini(&f);
	}
	free(copy);
}

/*
 * Feed every prefix of each valid path, each in an exact-size buffer: the
 * parser either refuses it or parses the same address and uses no more
 * than the prefix holds.
 */
static void
test_prefixes(void)
{
	static const struct {
		const char	*in;
		unsigned	 flags;
	} full[] = {
		{ "<user@example.com> SIZE=1", 0 },
		{ "<\"a\\\"b c\"@[IPv6:2001:db8::1]>", 0 },
		{ "<@a.example,@b.example:first.last@d.example>", 0 },
		{ "<j\xc3\xb6rg@b\xc3\xbc" "cher.example>", U },
		{ "<>", NUL_OK },
		{ "<Postmaster>", PM },
	};
	struct addr want, got;
	const char *why;
	size_t i, k, len, used, wused;
	int bad;

	for (i = 0; i < sizeof full / sizeof full[0]; i++) {
		len = strlen(full[i].in);
		if (addr_parse_path(full[i].in, len, full[i].flags, &want,
		    &wused, &why) != 0) {
			ok(0, "full path parses: %s", tname(full[i].in, len));
			continue;
		}
		bad = 0;
		for (k = 0; k <= len; k++) {
			char *copy = malloc(k ? k : 1);

			if (copy == NULL)
				abort();
			memcpy(copy, full[i].in, k);
			used = 0;
			if (addr_parse_path(copy, k, full[i].flags, &got, &used,
			    &why) == 0) {
				if (used > k || used != wused ||
				    memcmp(&got, &want, sizeof got) != 0)
					bad++;
			} else if (k >= wused)
				bad++;	/* the whole path was there */
			free(copy);
		}
		is_int(bad, 0, tname(full[i].in, len));
	}
}

static void
test_normalize(void)
{
	struct addr a;
	struct sbuf k;
	const char *why = NULL;

	sbuf_init(&k, ADDR_FORMAT_MAX);
	is_int(addr_parse("John.Doe@Example.COM", 20, 0, &a, &why), 0,
	    "parse mixed case");
	is_int(addr_key(&a, 0, &k), 0, "key");
	is_str(sbuf_str(&k), "John.Doe@example.com", "key: domain folded");
	is_int(addr_key(&a, 1, &k), 0, "key, local folded");
	is_str(sbuf_str(&k), "john.doe@example.com", "key: both folded");
	addr_normalize(&a);
	is_str(a.domain, "example.com", "normalize: domain lowercased");
	is_str(a.local, "John.Doe", "normalize: local part kept");
	is_str(a.local_key, "john.doe", "normalize: local key");
	is_int(addr_parse("\"A B\"@X.example", 15, 0, &a, &why), 0,
	    "parse quoted");
	is_int(addr_key(&a, 1, &k), 0, "key of quoted local");
	is_str(sbuf_str(&k), "\"a b\"@x.example", "  stays quoted");
	is_int(addr_parse("\xc3\x9cser@B\xc3\x9c" "CHER.example", 21, U, &a,
	    &why), 0, "parse UTF-8");
	addr_normalize(&a);
	is_str(a.domain, "b\xc3\x9c" "cher.example",
	    "normalize: only ASCII letters folded");
	is_str(a.local_key, "\xc3\x9cser", "  in the local key too");
	sbuf_fini(&k);
}

static void
split(const char *local, const char *delims, int want, const char *base,
    const char *ext)
{
	size_t baselen, extlen;
	const char *e;
	int r;

	r = addr_split_delim(local, strlen(local), delims, &baselen, &e,
	    &extlen);
	is_int(r, want, tname(local, strlen(local)));
	is_mem(local, baselen, base, strlen(base), "  base");
	if (ext == NULL)
		ok(e == NULL && extlen == 0, "  no extension");
	else
		is_mem(e, extlen, ext, strlen(ext), "  extension");
}

static void
test_split(void)
{
	split("user+tag", "+", 1, "user", "tag");
	split("user+tag+more", "+", 1, "user", "tag+more");
	split("user-tag+x", "+-", 1, "user", "tag+x");
	split("user+tag-x", "+-", 1, "user", "tag-x");
	split("user", "+", 0, "user", NULL);
	split("user+", "+", 1, "user", "");
	split("+user", "+", 0, "+user", NULL);
	split("user+tag", "", 0, "user+tag", NULL);
	split("user+tag", "-", 0, "user+tag", NULL);
}

int
main(void)
{
	size_t i;

	for (i = 0; i < sizeof mailboxes / sizeof mailboxes[0]; i++)
		check_mailbox(&mailboxes[i]);
	test_limits();
	for (i = 0; i < sizeof paths / sizeof paths[0]; i++)
		check_path(&paths[i]);
	test_prefixes();
	test_normalize();
	test_split();
	return done_testing();
}
