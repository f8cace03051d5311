/*
 * passwd.h - password hashes: make them (tern-user), check them
 * (tern-authd), and vet the ones an admin imports (tern-maps, tern-user).
 *
 * Hashes are made with libxcrypt (crypt_gensalt_rn, crypt_rn: no static
 * buffers, thread-safe) with a random salt from the kernel and the
 * library's default cost.  Schemes made: yescrypt ("$y$", the default) and
 * SHA-512 crypt ("$6$").
 *
 * Stored forms accepted by passwd_verify() and passwd_import():
 *   crypt strings  "$y$..." (yescrypt), "$6$..." (SHA-512), "$5$..."
 *                  (SHA-256), "$2b$..." / "$2y$..." (bcrypt);
 *   Dovecot passwd-file prefixes (case-insensitive) in front of one:
 *                  "{SHA512-CRYPT}$6$", "{SHA256-CRYPT}$5$",
 *                  "{BLF-CRYPT}$2b$|$2y$", "{CRYPT}" + any of the above;
 *   "{PLAIN}secret" only when the caller passes allow_plain = 1.
 * Everything else is unusable: DES and MD5 ("$1$") crypt, {PLAIN-MD5} and
 * other schemes, an empty hash, locked accounts ("*", "!..."), a crypt
 * string that is only a salt or whose salt the library would change,
 * and any hash holding whitespace, ':' or control bytes (hashes live in
 * text map files).
 *
 * Limits: a password is at most PASSWD_PASSWORD_MAX bytes (libxcrypt
 * refuses longer ones); a stored hash at most PASSWD_HASH_MAX bytes.
 *
 * Secrets: nothing here logs.  Every buffer that held a password or a
 * crypt result is wiped (explicit_bzero) before it is freed.  The output
 * sbuf of passwd_hash() holds no secret (a hash), but callers that keep
 * {PLAIN} results of passwd_import() should sbuf_fini_secret() them.
 *
 * Return conventions: see each function.  Nothing here exits.
 */
#ifndef TERN_PASSWD_H
#define TERN_PASSWD_H

#include "lib/sbuf.h"

#define PASSWD_PASSWORD_MAX	511	/* CRYPT_MAX_PASSPHRASE_SIZE - 1 */
#define PASSWD_HASH_MAX		383	/* CRYPT_OUTPUT_SIZE - 1 */

enum passwd_scheme {
	PASSWD_YESCRYPT = 0,	/* "$y$", the default */
	PASSWD_SHA512		/* "$6$", for readers without yescrypt */
};

/*
 * Hash 'password' (NUL-terminated, <= PASSWD_PASSWORD_MAX bytes) with a
 * fresh random salt; the crypt string replaces the contents of 'out'.
 * 0, or -1 with errno: E2BIG (password too long, or 'out' too small),
 * EINVAL (unknown scheme), ENOMEM, or what libcrypt set.
 */
int	passwd_hash(const char *password, enum passwd_scheme, struct sbuf *out);

/*
 * 1 if 'password' matches 'stored', 0 if it does not, -1 if 'stored' is
 * unusable (see above; {PLAIN} counts as unusable unless allow_plain).
 * The comparison of the crypt output (or the plain text) is constant-time.
 */
int	passwd_verify(const char *password, const char *stored, int allow_plain);

/*
 * Check and normalise a hash given by an admin: a Dovecot scheme prefix in
 * front of a crypt string is dropped ("{SHA512-CRYPT}$6$..." -> "$6$..."),
 * "{PLAIN}secret" is kept as it is when allowed.  The result replaces the
 * contents of 'out'.  0, or -1 with a static reason in *why_r (errno
 * EINVAL; ENOMEM/E2BIG from 'out').
 */
int	passwd_import(const char *in, int allow_plain, struct sbuf *out,
	    const char **why_r);

/* "yescrypt" or "sha512-crypt" -> 0 and *r; else -1, errno EINVAL. */
int	passwd_scheme_parse(const char *name, enum passwd_scheme *r);
/* The name passwd_scheme_parse() takes for a scheme. */
const char *passwd_scheme_name(enum passwd_scheme);

#endif
