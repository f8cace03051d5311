/* Unit tests for lib/passwd. */
#include <crypt.h>
#include <errno.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"
#include "t/tap.h"

/* From the SHA-crypt specification (Drepper), "Hello world!". */
#define SPEC_SHA512 "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/" \
	"O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
#define SPEC_SHA512_ROUNDS "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6B" \
	"cXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/" \
	"y3RnOaw5v."

/* Make a crypt string with libcrypt directly, for prefix vectors. */
static int
make_hash(const char *prefix, const char *pw, struct sbuf *out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if (crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof salt) == NULL)
		return -1;
	if ((cd = mem_alloc(1, sizeof *cd)) == NULL)
		return -1;
	h = crypt_rn(pw, salt, cd, (int)sizeof *cd);
	if (h != NULL && sbuf_set_s(out, h) == 0)
		rc = 0;
	mem_free_secret(cd, sizeof *cd);
	return rc;
}

static void
test_roundtrip(enum passwd_scheme scheme, const char *prefix)
{
	struct sbuf h, h2;
	const char *why = NULL;
	const char *name = passwd_scheme_name(scheme);

	sbuf_init(&h, PASSWD_HASH_MAX);
	sbuf_init(&h2, PASSWD_HASH_MAX);
	is_int(passwd_hash("correct horse", scheme, &h), 0, name);
	ok(h.len > 3 && memcmp(h.s, prefix, 3) == 0, "%s: prefix %s", name,
	    prefix);
	is_int(passwd_verify("correct horse", sbuf_str(&h), 0), 1,
	    "right password matches");
	is_int(passwd_verify("correct horsE", sbuf_str(&h), 0), 0,
	    "wrong password does not");
	is_int(passwd_verify("", sbuf_str(&h), 0), 0, "empty password does not");
	is_int(passwd_import(sbuf_str(&h), 0, &h2, &why), 0,
	    "own hash imports");
	is_str(sbuf_str(&h2), sbuf_str(&h), "unchanged by import");
	is_int(passwd_hash("correct horse", scheme, &h2), 0, "hash again");
	ok(strcmp(sbuf_str(&h), sbuf_str(&h2)) != 0, "salt is random");
	sbuf_fini(&h);
	sbuf_fini(&h2);
}

static void
test_prefix(const char *dovecot, const char *cprefix, int want)
{
	struct sbuf h, line, out;
	const char *why = NULL;

	sbuf_init(&h, PASSWD_HASH_MAX);
	sbuf_init(&line, PASSWD_HASH_MAX + 64);
	sbuf_init(&out, PASSWD_HASH_MAX);
	if (make_hash(cprefix, "s3cret", &h) < 0 ||
	    sbuf_printf(&line, "%s%s", dovecot, sbuf_str(&h)) < 0) {
		skip(4, "libcrypt cannot make this hash");
		goto out;
	}
	is_int(passwd_verify("s3cret", sbuf_str(&line), 0), want,
	    sbuf_str(&line));
	is_int(passwd_verify("s3cre", sbuf_str(&line), 0), want == 1 ? 0 : -1,
	    "  and a wrong password");
	is_int(passwd_import(sbuf_str(&line), 0, &out, &why), want == 1 ? 0 : -1,
	    "  import");
	if (want == 1)
		is_str(sbuf_str(&out), sbuf_str(&h), "  prefix stripped");
	else
		ok(why != NULL, "  reason: %s", why ? why : "(none)");
out:
	sbuf_fini(&h);
	sbuf_fini(&line);
	sbuf_fini(&out);
}

static void
test_prefixes(void)
{
	test_prefix("", "$y$", 1);
	test_prefix("", "$6$", 1);
	test_prefix("", "$5$", 1);
	test_prefix("", "$2b$", 1);
	test_prefix("", "$2y$", 1);
	test_prefix("{SHA512-CRYPT}", "$6$", 1);
	test_prefix("{sha512-crypt}", "$6$", 1);
	test_prefix("{SHA256-CRYPT}", "$5$", 1);
	test_prefix("{BLF-CRYPT}", "$2y$", 1);
	test_prefix("{BLF-CRYPT}", "$2b$", 1);
	test_prefix("{CRYPT}", "$y$", 1);
	test_prefix("{CRYPT}", "$6$", 1);
	/* A prefix that names another scheme than the string. */
	test_prefix("{SHA512-CRYPT}", "$5$", -1);
	test_prefix("{BLF-CRYPT}", "$6$", -1);
	test_prefix("{SHA256-CRYPT}", "$y$", -1);
	/* Weak or unknown schemes. */
	test_prefix("", "$1$", -1);
	test_prefix("{CRYPT}", "$1$", -1);
	test_prefix("{MD5-CRYPT}", "$1$", -1);
	test_prefix("{SSHA512}", "$6$", -1);
	test_prefix("", "$2a$", -1);
}

static void
test_fixed(void)
{
	struct sbuf out;
	const char *why = NULL;

	is_int(passwd_verify("Hello world!", SPEC_SHA512, 0), 1,
	    "spec SHA-512 vector");
	is_int(passwd_verify("Hello world!", "{SHA512-CRYPT}" SPEC_SHA512, 0),
	    1, "spec SHA-512 vector with {SHA512-CRYPT}");
	is_int(passwd_verify("Hello world?", SPEC_SHA512, 0), 0,
	    "spec vector, wrong password");
	is_int(passwd_verify("Hello world!", SPEC_SHA512_ROUNDS, 0), 1,
	    "spec SHA-512 vector with rounds=10000");
	/* Cut or damaged hashes. */
	is_int(passwd_verify("Hello world!", "$6$saltstring", 0), -1,
	    "salt only is unusable");
	is_int(passwd_verify("Hello world!", "$6$saltstring$svn8", 0), -1,
	    "short hash is unusable");
	is_int(passwd_verify("Hello world!",
	    "$6$rounds=10$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
	    "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", 0), -1,
	    "rounds the library would clamp: unusable");
	is_int(passwd_verify("Hello world!",
	    "$6$saltstringsaltstringsalt$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/"
	    "O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", 0), -1,
	    "salt over 16 characters: unusable");
	sbuf_init(&out, PASSWD_HASH_MAX);
	is_int(passwd_import("{SHA512-CRYPT}" SPEC_SHA512, 0, &out, &why), 0,
	    "import spec vector");
	is_str(sbuf_str(&out), SPEC_SHA512, "normalised");
	sbuf_fini(&out);
}

static void
test_plain(void)
{
	struct sbuf out;
	const char *why = NULL;

	is_int(passwd_verify("secret", "{PLAIN}secret", 0), -1,
	    "{PLAIN} refused by default");
	is_int(passwd_verify("secret", "{PLAIN}secret", 1), 1,
	    "{PLAIN} allowed: match");
	is_int(passwd_verify("secret", "{plain}secret", 1), 1,
	    "{plain}: scheme names ignore case");
	is_int(passwd_verify("secrets", "{PLAIN}secret", 1), 0,
	    "{PLAIN} allowed: longer password");
	is_int(passwd_verify("secre", "{PLAIN}secret", 1), 0,
	    "{PLAIN} allowed: shorter password");
	is_int(passwd_verify("", "{PLAIN}", 1), -1, "empty {PLAIN} unusable");
	sbuf_init(&out, PASSWD_HASH_MAX);
	is_int(passwd_import("{PLAIN}secret", 0, &out, &why), -1,
	    "import {PLAIN} refused by default");
	ok(why != NULL, "with a reason: %s", why ? why : "(none)");
	is_int(passwd_import("{plain}secret", 1, &out, &why), 0,
	    "import {PLAIN} when allowed");
	is_str(sbuf_str(&out), "{PLAIN}secret", "prefix normalised");
	sbuf_fini_secret(&out);
}

static void
test_junk(void)
{
	static const char *junk[] = {
		"", "*", "!", "!$6$saltstring$x", "*LK*", "x", "abXyZ12345678",
		"$1$n2SwinMW$abcdefghijklmnopqrstuv", "{PLAIN-MD5}5ebe2294ecd0e0f08eab7690d2a6ee69",
		"{SHA512-CRYPT}", "{CRYPT}", "{SHA512-CRYPT", "{}", "{FOO}bar",
		"$6$", "$y$", "$2b$", "$2b$05$", "$2b$99$.XM2IbB9vVspRy8MagARPeV5cENPFF9GtW2tqXjdW3ZFLzwhU8Jl.",
		"$y$j9T$", "$y$j9T$salt$", "$7$abc",
		" " SPEC_SHA512, SPEC_SHA512 " ", SPEC_SHA512 ":",
		"{SHA512-CRYPT} " SPEC_SHA512, "$6$salt\nstring$x",
		"$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz\x01",
	};
	struct sbuf out;
	const char *why;
	size_t i;

	sbuf_init(&out, PASSWD_HASH_MAX);
	for (i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		why = NULL;
		is_int(passwd_verify("Hello world!", junk[i], 1), -1,
		    "verify: junk unusable");
		ok(passwd_import(junk[i], 1, &out, &why) == -1 && why != NULL,
		    "import: junk %zu refused (%s)", i, why ? why : "-");
	}
	why = NULL;
	is_int(passwd_import("{PLAIN}a b", 1, &out, &why), -1,
	    "{PLAIN} with a blank refused (text map)");
	is_int(passwd_import("{PLAIN}a:b", 1, &out, &why), -1,
	    "{PLAIN} with ':' refused (text map)");
	sbuf_fini(&out);
}

static void
test_passwords(void)
{
	struct sbuf h;
	char big[1001];
	const char *utf8 = "p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac \xf0\x9f\x94\x91";

	sbuf_init(&h, PASSWD_HASH_MAX);
	is_int(passwd_hash(utf8, PASSWD_YESCRYPT, &h), 0, "UTF-8 password");
	is_int(passwd_verify(utf8, sbuf_str(&h), 0), 1, "UTF-8 matches");
	is_int(passwd_verify("p\xc3\xa4ssw\xc3\xb6rd \xe2\x82\xac", sbuf_str(&h),
	    0), 0, "UTF-8 prefix does not");

	memset(big, 'x', sizeof big);
	big[PASSWD_PASSWORD_MAX] = '\0';
	is_int(passwd_hash(big, PASSWD_SHA512, &h), 0,
	    "password of PASSWD_PASSWORD_MAX bytes");
	is_int(passwd_verify(big, sbuf_str(&h), 0), 1, "  matches");
	big[PASSWD_PASSWORD_MAX - 1] = 'y';
	is_int(passwd_verify(big, sbuf_str(&h), 0), 0, "  last byte counts");

	memset(big, 'x', sizeof big);
	big[1000] = '\0';
	errno = 0;
	is_int(passwd_hash(big, PASSWD_YESCRYPT, &h), -1,
	    "1000-byte password refused by passwd_hash");
	is_int(errno, E2BIG, "  with E2BIG");
	is_int(passwd_verify(big, SPEC_SHA512, 0), 0,
	    "1000-byte password never matches a crypt hash");
	big[PASSWD_PASSWORD_MAX] = '\0';
	is_int(passwd_verify(big, sbuf_str(&h), 0), 1,
	    "  (the 511-byte one still does)");
	big[PASSWD_PASSWORD_MAX] = 'x';
	is_int(passwd_verify(big, "{PLAIN}x", 1), 0,
	    "1000-byte password against {PLAIN}: no match");
	sbuf_fini(&h);
}

static void
test_scheme(void)
{
	enum passwd_scheme s = PASSWD_SHA512;

	is_int(passwd_scheme_parse("yescrypt", &s), 0, "parse yescrypt");
	is_int(s, PASSWD_YESCRYPT, "  value");
	is_int(passwd_scheme_parse("sha512-crypt", &s), 0,
	    "parse sha512-crypt");
	is_int(s, PASSWD_SHA512, "  value");
	is_int(passwd_scheme_parse("md5-crypt", &s), -1, "md5-crypt refused");
	is_int(passwd_scheme_parse("", &s), -1, "empty refused");
	is_str(passwd_scheme_name(PASSWD_SHA512), "sha512-crypt", "name");
}

int
main(void)
{
	test_roundtrip(PASSWD_YESCRYPT, "$y$");
	test_roundtrip(PASSWD_SHA512, "$6$");
	test_prefixes();
	test_fixed();
	test_plain();
	test_junk();
	test_passwords();
	test_scheme();
	return done_testing();
}
