/* passwd.c - password hashes; see passwd.h. */
#include <crypt.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "lib/mem.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"
#include "lib/shacrypt.h"

/* What a stored hash turned out to be. */
enum pw_kind {
	PW_BAD = -1,
	PW_CRYPT = 1,
	PW_PLAIN = 2
};

/* Crypt methods we accept, and the Dovecot prefixes that name them. */
#define M_YESCRYPT	0x01
#define M_SHA512	0x02
#define M_SHA256	0x04
#define M_BCRYPT	0x08
#define M_ANY		(M_YESCRYPT | M_SHA512 | M_SHA256 | M_BCRYPT)

#define SCHEME_NAME_MAX	32	/* longest "{...}" we look at */

static const struct {
	const char	*name;
	unsigned	 methods;	/* 0: {PLAIN} */
} dovecot_schemes[] = {
	{ "SHA512-CRYPT",	M_SHA512 },
	{ "SHA256-CRYPT",	M_SHA256 },
	{ "BLF-CRYPT",		M_BCRYPT },
	{ "CRYPT",		M_ANY },
	{ "PLAIN",		0 },
};

static int
is_b64(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '/';
}

/* Count b64 characters from s (at most n). */
static size_t
b64_span(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && is_b64((unsigned char)s[i]); i++)
		;
	return i;
}

/* "$6$[rounds=N$]salt$hash" and "$5$..." with hashlen characters. */
static int
check_sha(const char *s, size_t n, size_t hashlen)
{
	size_t i = 3, k;
	int good = 1;

	if (n - i >= 7 && memcmp(s + i, "rounds=", 7) == 0) {
		i += 7;
		for (k = 0; i + k < n && s[i + k] >= '0' && s[i + k] <= '9';
		    k++)
			;
		if (k < 1 || k > 9 || s[i] == '0' || i + k >= n ||
		    s[i + k] != '$')
			good = 0;
		i += k + 1;
	}
	if (good) {
		k = b64_span(s + i, n - i);
		if (k < 1 || k > 16 || i + k >= n || s[i + k] != '$')
			good = 0;
		i += k + 1;
	}
	if (good && (i > n || n - i != hashlen || b64_span(s + i, n - i) !=
	    hashlen))
		good = 0;
	return good ? 0 : -1;
}

/* "$2b$NN$" then 22 salt and 31 hash characters. */
static int
check_bcrypt(const char *s, size_t n)
{
	int good = 1;

	if (n != 7 + 53 || s[4] < '0' || s[4] > '3' || s[5] < '0' ||
	    s[5] > '9' || s[6] != '$')
		good = 0;
	else if ((s[4] - '0') * 10 + (s[5] - '0') < 4 ||
	    (s[4] - '0') * 10 + (s[5] - '0') > 31)
		good = 0;
	else if (b64_span(s + 7, 53) != 53)
		good = 0;
	return good ? 0 : -1;
}

/* "$y$params$salt$hash", hash 43 characters. */
static int
check_yescrypt(const char *s, size_t n)
{
	size_t i = 3, k;
	int good = 1;

	k = b64_span(s + i, n - i);
	if (k < 1 || i + k >= n || s[i + k] != '$')
		good = 0;
	i += k + 1;
	if (good) {
		k = b64_span(s + i, n - i);
		if (k < 1 || i + k >= n || s[i + k] != '$')
			good = 0;
		i += k + 1;
	}
	if (good && (i > n || n - i != 43 || b64_span(s + i, n - i) != 43))
		good = 0;
	return good ? 0 : -1;
}

/* Check that s[0..n) is a complete crypt string of one of 'methods'. */
static int
check_crypt(const char *s, size_t n, unsigned methods, const char **why_r)
{
	const char *why = NULL;
	int rc = -1;

	if (n < 4 || s[0] != '$')
		why = "not a crypt string of a supported scheme";
	else if (memcmp(s, "$y$", 3) == 0) {
		if (!(methods & M_YESCRYPT))
			why = "crypt scheme does not match its prefix";
		else if ((rc = check_yescrypt(s, n)) < 0)
			why = "malformed yescrypt hash";
	} else if (memcmp(s, "$6$", 3) == 0) {
		if (!(methods & M_SHA512))
			why = "crypt scheme does not match its prefix";
		else if ((rc = check_sha(s, n, 86)) < 0)
			why = "malformed SHA512-CRYPT hash";
	} else if (memcmp(s, "$5$", 3) == 0) {
		if (!(methods & M_SHA256))
			why = "crypt scheme does not match its prefix";
		else if ((rc = check_sha(s, n, 43)) < 0)
			why = "malformed SHA256-CRYPT hash";
	} else if (memcmp(s, "$2b$", 4) == 0 || memcmp(s, "$2y$", 4) == 0) {
		if (!(methods & M_BCRYPT))
			why = "crypt scheme does not match its prefix";
		else if ((rc = check_bcrypt(s, n)) < 0)
			why = "malformed bcrypt hash";
	} else if (memcmp(s, "$1$", 3) == 0)
		why = "MD5 crypt is too weak";
	else
		why = "unsupported crypt scheme";
	if (why != NULL) {
		*why_r = why;
		return -1;
	}
	return rc;
}

/* Every byte printable, no blank, no ':' (hashes go into text maps). */
static int
check_bytes(const char *s, size_t n)
{
	size_t i;
	int good = 1;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == ':')
			good = 0;
	}
	return good ? 0 : -1;
}

/*
 * Sort out a stored hash: *body_r and *bodylen_r point at the crypt string or
 * the plain text, without any Dovecot prefix.
 */
static enum pw_kind
classify(const char *in, int allow_plain, const char **body_r,
    size_t *bodylen_r, const char **why_r)
{
	size_t n, i, k;
	unsigned methods = M_ANY;
	const char *close_b;
	int found = -1;

	n = strnlen(in, PASSWD_HASH_MAX + 1);
	if (n == 0) {
		*why_r = "empty hash";
		return PW_BAD;
	}
	if (n > PASSWD_HASH_MAX) {
		*why_r = "hash too long";
		return PW_BAD;
	}
	if (check_bytes(in, n) < 0) {
		*why_r = "hash holds blanks, ':' or control bytes";
		return PW_BAD;
	}
	if (in[0] == '*' || in[0] == '!') {
		*why_r = "account is locked";
		return PW_BAD;
	}
	*body_r = in;
	*bodylen_r = n;
	if (in[0] == '{') {
		close_b = memchr(in, '}', n < SCHEME_NAME_MAX ? n :
		    SCHEME_NAME_MAX);
		if (close_b == NULL) {
			*why_r = "unterminated {SCHEME} prefix";
			return PW_BAD;
		}
		k = (size_t)(close_b - in) - 1;
		for (i = 0; i < sizeof dovecot_schemes /
		    sizeof dovecot_schemes[0]; i++)
			if (strlen(dovecot_schemes[i].name) == k &&
			    strncasecmp(in + 1, dovecot_schemes[i].name, k) == 0)
				found = (int)i;
		if (found < 0) {
			*why_r = "unsupported {SCHEME}";
			return PW_BAD;
		}
		*body_r = close_b + 1;
		*bodylen_r = n - k - 2;
		methods = dovecot_schemes[found].methods;
		if (methods == 0) {
			if (!allow_plain) {
				*why_r = "{PLAIN} passwords are not allowed";
				return PW_BAD;
			}
			if (*bodylen_r == 0) {
				*why_r = "empty {PLAIN} password";
				return PW_BAD;
			}
			return PW_PLAIN;
		}
	}
	if (check_crypt(*body_r, *bodylen_r, methods, why_r) < 0)
		return PW_BAD;
	return PW_CRYPT;
}

int
passwd_scheme_parse(const char *name, enum passwd_scheme *r)
{
	if (strcmp(name, "yescrypt") == 0)
		*r = PASSWD_YESCRYPT;
	else if (strcmp(name, "sha512-crypt") == 0)
		*r = PASSWD_SHA512;
	else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *
passwd_scheme_name(enum passwd_scheme scheme)
{
	switch (scheme) {
	case PASSWD_YESCRYPT:
		return "yescrypt";
	case PASSWD_SHA512:
		return "sha512-crypt";
	}
	return "unknown";
}

int
passwd_hash(const char *password, enum passwd_scheme scheme,
    struct sbuf *out)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	const char *prefix = NULL, *h;
	int rc = -1, saved;

	switch (scheme) {
	case PASSWD_YESCRYPT:
		prefix = "$y$";
		break;
	case PASSWD_SHA512:
		prefix = "$6$";
		break;
	}
	if (prefix == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (strnlen(password, PASSWD_PASSWORD_MAX + 1) > PASSWD_PASSWORD_MAX) {
		errno = E2BIG;
		return -1;
	}
	/* NULL rbytes: libxcrypt draws the salt from getrandom/getentropy. */
	if (crypt_gensalt_rn(prefix, 0, NULL, 0, salt, sizeof salt) == NULL) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	if ((cd = mem_alloc(1, sizeof *cd)) == NULL)
		return -1;
	errno = 0;
	h = crypt_rn(password, salt, cd, (int)sizeof *cd);
	if (h == NULL) {
		if (errno == 0)
			errno = EINVAL;
	} else if (sbuf_set_s(out, h) == 0)
		rc = 0;
	saved = errno;
	mem_free_secret(cd, sizeof *cd);
	explicit_bzero(salt, sizeof salt);
	errno = saved;
	return rc;
}

/* Constant-time equality of two byte strings of any lengths. */
static int
plain_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int la = 0, lb = 0;
	int eq = 0;

	/* Digests first, so the time does not depend on where they differ
	 * nor on the stored length. */
	if (EVP_Digest(a, alen, da, &la, EVP_sha256(), NULL) == 1 &&
	    EVP_Digest(b, blen, db, &lb, EVP_sha256(), NULL) == 1 &&
	    la == lb && la > 0)
		eq = CRYPTO_memcmp(da, db, la) == 0 && alen == blen;
	explicit_bzero(da, sizeof da);
	explicit_bzero(db, sizeof db);
	return eq;
}

/* "$6$" with OpenSSL's SHA-512 (lib/shacrypt.h): 1 or 0; -1 for a
 * setting it leaves to libcrypt. */
static int
verify_sha512(const char *password, const char *body, size_t bodylen)
{
	char h[SHACRYPT_OUT_MAX];
	int n, rc;

	n = shacrypt512(password, strlen(password), body, bodylen, h,
	    sizeof h);
	if (n < 0)
		return -1;
	rc = (size_t)n == bodylen && CRYPTO_memcmp(h, body, bodylen) == 0;
	explicit_bzero(h, sizeof h);
	return rc;
}

static int
verify_crypt(const char *password, const char *body, size_t bodylen)
{
	struct crypt_data *cd;
	char *setting;
	const char *h;
	int rc = -1;

	if (bodylen > 3 && memcmp(body, "$6$", 3) == 0 &&
	    (rc = verify_sha512(password, body, bodylen)) >= 0)
		return rc;
	if ((setting = mem_strndup(body, bodylen)) == NULL)
		return -1;
	if ((cd = mem_alloc(1, sizeof *cd)) == NULL) {
		mem_free(&setting);
		return -1;
	}
	h = crypt_rn(password, setting, cd, (int)sizeof *cd);
	/* A result of another length means the library read the stored
	 * string differently from us (clamped rounds, cut salt): unusable. */
	if (h != NULL && strlen(h) == bodylen)
		rc = CRYPTO_memcmp(h, body, bodylen) == 0 ? 1 : 0;
	mem_free_secret(cd, sizeof *cd);
	mem_free(&setting);
	return rc;
}

int
passwd_verify(const char *password, const char *stored, int allow_plain)
{
	const char *body = NULL, *why = NULL;
	size_t bodylen = 0, pwlen;
	enum pw_kind kind;

	kind = classify(stored, allow_plain, &body, &bodylen, &why);
	pwlen = strnlen(password, PASSWD_PASSWORD_MAX + 1);
	switch (kind) {
	case PW_BAD:
		return -1;
	case PW_PLAIN:
		return plain_equal(password, strlen(password), body, bodylen);
	case PW_CRYPT:
		/* No stored crypt string can come from a longer password. */
		if (pwlen > PASSWD_PASSWORD_MAX)
			return 0;
		return verify_crypt(password, body, bodylen);
	}
	return -1;
}

int
passwd_import(const char *in, int allow_plain, struct sbuf *out,
    const char **why_r)
{
	const char *body = NULL, *why = "bad hash";
	size_t bodylen = 0;
	enum pw_kind kind;

	kind = classify(in, allow_plain, &body, &bodylen, &why);
	switch (kind) {
	case PW_BAD:
		*why_r = why;
		errno = EINVAL;
		return -1;
	case PW_PLAIN:
	case PW_CRYPT:
		break;
	}
	sbuf_reset(out);
	if ((kind == PW_PLAIN && sbuf_cat_s(out, "{PLAIN}") < 0) ||
	    sbuf_cat_n(out, body, bodylen) < 0) {
		*why_r = "hash does not fit";
		return -1;
	}
	return 0;
}
