/*
 * base64.h - RFC 4648 section 4 base64 (the SASL encoding of RFC 4954),
 * strict.
 *
 * base64_decode() accepts only the canonical form: the alphabet
 * A-Z a-z 0-9 + /, a length that is a multiple of 4, '=' padding only at
 * the end (at most two), and zero bits in the unused low bits of the last
 * character.  Whitespace, line breaks, a missing or extra '=' and every
 * other byte are refused.  The empty string decodes to nothing.
 * base64_check() runs the same checks without decoding.
 *
 * Return convention: 0 on success; -1 with errno: EINVAL (bad input, and
 * *why_r a static reason), E2BIG or ENOMEM from the sbuf.  base64_decode()
 * replaces the contents of out; base64_encode() appends to it.  Neither
 * needs a NUL or reads past n.  Decoded data may hold secrets: callers use
 * sbuf_fini_secret().
 */
#ifndef TERN_BASE64_H
#define TERN_BASE64_H

#include <stddef.h>

struct sbuf;

/* Encoded length of n bytes (no overflow for any n < SIZE_MAX / 2). */
#define BASE64_ENCODED_LEN(n)	((((n) + 2) / 3) * 4)

int	base64_check(const char *p, size_t n, const char **why_r);
int	base64_decode(const char *p, size_t n, struct sbuf *out,
	    const char **why_r);
int	base64_encode(const void *p, size_t n, struct sbuf *out);
/* The 6-bit value of one base64 character (RFC 4648 table), or -1. */
int	base64_value(unsigned char c);

#endif
