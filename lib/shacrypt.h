/*
 * shacrypt.h - SHA-512-crypt ("$6$", Drepper's SHA-crypt specification),
 * computed with OpenSSL's SHA-512 block function.
 *
 * Why not libcrypt's: a login's CPU is mostly this hash (5,000 rounds of
 * SHA-512 by default), and libxcrypt's SHA-512 is portable C while
 * OpenSSL's uses the CPU's vector instructions.  Each round's input is
 * padded here and fed to the block function directly, without the
 * init/update/final calls per round, P and S laid out once in the 8 round
 * layouts: 1.4-1.5 ms against 2.4-2.5 ms per hash on
 * the bench machine (bench/RESULTS.md, branch lead, 2026-11-30).  The
 * answer is the same string libcrypt gives: t/unit/shacrypt.c compares
 * the two over every password length up to 511 and random salts, and
 * t/fuzz/shacrypt.c does so on any input.
 */
#ifndef TERN_SHACRYPT_H
#define TERN_SHACRYPT_H

#include <stddef.h>

#define SHACRYPT_ROUNDS_MIN	1000UL
#define SHACRYPT_ROUNDS_MAX	999999999UL
#define SHACRYPT_ROUNDS_DEFAULT	5000UL
#define SHACRYPT_SALT_MAX	16
#define SHACRYPT_KEY_MAX	511	/* libxcrypt's passphrase limit */
/* "$6$rounds=999999999$" + salt + "$" + 86 characters + NUL */
#define SHACRYPT_OUT_MAX	(3 + 17 + SHACRYPT_SALT_MAX + 1 + 86 + 1)

/*
 * The crypt string of key (keylen bytes, at most SHACRYPT_KEY_MAX) for
 * the setting "$6$[rounds=N$]salt[$...]" (setlen bytes: anything after
 * the salt's '$' is ignored, as crypt(3) does), into out (outsize bytes,
 * at least SHACRYPT_OUT_MAX).  Only the settings libxcrypt accepts the
 * same way are taken: rounds of 1-9 digits without a leading zero, from
 * SHACRYPT_ROUNDS_MIN to SHACRYPT_ROUNDS_MAX; a salt of 0-16 characters
 * of the crypt alphabet ./0-9A-Za-z ending at '$' or the end.  Returns
 * the string's length, or -1 for any other setting (the caller may ask
 * libcrypt, which decides).  Clears its secrets before it returns.
 */
int	shacrypt512(const char *key, size_t keylen, const char *setting,
	    size_t setlen, char *out, size_t outsize);

#endif
