/*
 * Unit tests for lib/shacrypt: the specification's vectors, then the same
 * answer as libcrypt (libxcrypt, the reference here) for every key length
 * up to the limit, random keys and salts, the rounds at and near their
 * bounds, and every setting libcrypt reads another way refused.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/passwd.h"
#include "lib/shacrypt.h"
#include "t/tap.h"

static const char b64[] =
    "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/* libcrypt's answer for key and setting, into out; 0, or -1 (NULL). */
static int
reference(const char *key, const char *setting, char *out, size_t size)
{
	struct crypt_data *cd;
	const char *h;
	int rc = -1;

	if ((cd = mem_alloc(1, sizeof *cd)) == NULL)
		return -1;
	h = crypt_rn(key, setting, cd, (int)sizeof *cd);
	if (h != NULL && h[0] == '$' && strlen(h) < size) {
		memcpy(out, h, strlen(h) + 1);
		rc = 0;
	}
	mem_free_secret(cd, sizeof *cd);
	return rc;
}

/* Ours and libcrypt's for key/setting agree (both refuse, or same). */
static int
agree(const char *key, const char *setting, int want_ours)
{
	char mine[SHACRYPT_OUT_MAX], ref[256];
	int n, r;

	n = shacrypt512(key, strlen(key), setting, strlen(setting), mine,
	    sizeof mine);
	r = reference(key, setting, ref, sizeof ref);
	if (want_ours && n < 0) {
		diag("refused: setting %s key length %zu", setting,
		    strlen(key));
		return 0;
	}
	if (n < 0)
		return 1;	/* not ours: libcrypt decides */
	if (r < 0 || strcmp(mine, ref) != 0 || (size_t)n != strlen(mine)) {
		diag("setting %s key length %zu:\n  ours %s\n  libcrypt %s",
		    setting, strlen(key), mine, r < 0 ? "(refused)" : ref);
		return 0;
	}
	return 1;
}

static void
test_spec(void)
{
	char out[SHACRYPT_OUT_MAX];
	const char *in = "$6$rounds=10000$saltstringsaltstring";

	ok(shacrypt512("Hello world!", 12, "$6$saltstring", 13, out,
	    sizeof out) > 0 && strcmp(out, "$6$saltstring$svn8UoSVapNtMuq1ukKS"
	    "4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1")
	    == 0, "spec: Hello world!");
	ok(shacrypt512("Hello world!", 12, in, strlen(in), out, sizeof out) >
	    0 && strcmp(out, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8"
	    "QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw"
	    "5v.") == 0, "spec: rounds=10000, the salt cut at 16");
	ok(shacrypt512("Hello world!", 12, "$6$saltstring", 13, out,
	    SHACRYPT_OUT_MAX - 1) == -1, "an output buffer too small: refused");
}

static void
random_key(char *k, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		k[i] = (char)(1 + random() % 255);	/* no NUL inside */
	k[n] = '\0';
}

static void
random_salt(char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = b64[random() % 64];
	s[n] = '\0';
}

/* Every key length, a random salt of 0-16 characters each, 1000 rounds
 * (libcrypt's least, to keep the test quick). */
static void
test_lengths(void)
{
	char key[SHACRYPT_KEY_MAX + 1], salt[SHACRYPT_SALT_MAX + 1];
	char setting[64];
	size_t len;
	int bad = 0;

	for (len = 0; len <= SHACRYPT_KEY_MAX; len++) {
		random_key(key, len);
		random_salt(salt, (size_t)(random() % (SHACRYPT_SALT_MAX + 1)));
		snprintf(setting, sizeof setting, "$6$rounds=1000$%s$", salt);
		if (!agree(key, setting, 1))
			bad++;
	}
	is_int(bad, 0, "every key length 0-511 agrees with libcrypt");
}

static void
test_settings(void)
{
	static const char *const ours[] = {
		"$6$rounds=1000$abc$", "$6$rounds=1001$abc$",
		"$6$rounds=5000$abc$", "$6$rounds=1007$$",
		"$6$abc", "$6$abc$", "$6$$", "$6$",
		"$6$abcdefghijklmnop$", "$6$abcdefghijklmnopqrstuvwxyz$",
		"$6$abc$ignored/hash/part", "$6$./09AZaz$", "$6$abc$def$ghi",
	};
	static const char *const not_ours[] = {
		"$6$rounds=999$abc$", "$6$rounds=0$abc$",
		"$6$rounds=01000$abc$", "$6$rounds=1000000000$abc$",
		"$6$rounds=99999999999$abc$", "$6$rounds=$abc$",
		"$6$rounds=1000", "$6$rounds=1x00$abc$",
		"$6$ab*c$", "$6$ab c$", "$6$$\x9e", "$6$abc$*", "$6$abc$:",
		"$5$abc$", "$y$j9T$abc$", "", "$6",
	};
	char out[SHACRYPT_OUT_MAX];
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof ours / sizeof ours[0]; i++)
		if (!agree("pass word", ours[i], 1))
			bad++;
	is_int(bad, 0, "settings libcrypt reads our way agree");
	bad = 0;
	for (i = 0; i < sizeof not_ours / sizeof not_ours[0]; i++)
		if (shacrypt512("pw", 2, not_ours[i], strlen(not_ours[i]), out,
		    sizeof out) != -1) {
			diag("taken: %s", not_ours[i]);
			bad++;
		}
	is_int(bad, 0, "other settings are left to libcrypt");
	/* The setting's length bounds it, not its NUL. */
	ok(shacrypt512("pw", 2, "$6$abcXYZ", 6, out, sizeof out) > 0 &&
	    strncmp(out, "$6$abc$", 7) == 0, "setlen bounds the salt");
}

/* Random keys, salts and rounds near the default. */
static void
test_random(void)
{
	char key[80], salt[SHACRYPT_SALT_MAX + 1], setting[64];
	int i, bad = 0;

	for (i = 0; i < 40; i++) {
		random_key(key, (size_t)(random() % 79));
		random_salt(salt, (size_t)(random() % (SHACRYPT_SALT_MAX + 1)));
		if (i % 2)
			snprintf(setting, sizeof setting, "$6$%s$", salt);
		else
			snprintf(setting, sizeof setting, "$6$rounds=%d$%s$",
			    1000 + (int)(random() % 4000), salt);
		if (!agree(key, setting, 1))
			bad++;
	}
	is_int(bad, 0, "40 random keys, salts and rounds agree");
}

/* passwd_verify takes the fast way for "$6$" and still says no. */
static void
test_verify(void)
{
	char stored[256], s[300];

	if (reference("correct horse", "$6$rounds=1000$Zq7.a/bc$", stored,
	    sizeof stored) < 0) {
		ok(0, "libcrypt made a hash");
		return;
	}
	is_int(passwd_verify("correct horse", stored, 0), 1, "right password");
	is_int(passwd_verify("correct horsE", stored, 0), 0, "one bit off");
	is_int(passwd_verify("correct hors", stored, 0), 0, "one byte short");
	is_int(passwd_verify("", stored, 0), 0, "empty password");
	snprintf(s, sizeof s, "{SHA512-CRYPT}%s", stored);
	is_int(passwd_verify("correct horse", s, 0), 1, "Dovecot's prefix");
	stored[strlen(stored) - 1] ^= 1;	/* another crypt character */
	is_int(passwd_verify("correct horse", stored, 0), 0,
	    "a changed stored hash");
}

int
main(void)
{
	srandom(20261130);
	test_spec();
	test_lengths();
	test_settings();
	test_random();
	test_verify();
	return done_testing();
}
