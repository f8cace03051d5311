/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit
 * hash, a pseudo-random function of its input for whoever does not hold
 * the 16-byte key.  Written here (no OpenSSL) so that the static programs
 * that must not link libcrypto (the login monitor, lib/userip) have one.
 *
 * Contract: siphash24(key, in, len) hashes len bytes (any, binary-safe)
 * under key and returns the 64-bit result as the reference does (its
 * 8 output bytes read little-endian).  It cannot fail, keeps no state and
 * allocates nothing.  t/unit/siphash.c checks the 64 published vectors.
 */
#ifndef TERN_SIPHASH_H
#define TERN_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

#define SIPHASH_KEY_LEN	16

uint64_t	siphash24(const unsigned char key[SIPHASH_KEY_LEN],
		    const void *in, size_t len);

#endif
