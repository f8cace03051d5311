/*
 * mutf7.h - IMAP's modified UTF-7 (RFC 3501 section 5.1.3) <-> UTF-8,
 * strict in both directions.
 *
 * Modified UTF-7: the bytes 0x20-0x7e other than '&' stand for
 * themselves; '&' is written "&-"; every other character is written as
 * UTF-16 (big-endian, surrogate pairs for U+10000 and up) in "modified
 * base64" (RFC 2045 base64 with ',' for '/' and no '=' padding) between
 * '&' and '-'.
 *
 * Only the canonical form is accepted: a byte outside 0x20-0x7e, an '&'
 * followed by neither '-' nor base64, a shift that is not closed by '-',
 * leftover bits that are 6 or more or are not zero, an encoded printable
 * ASCII character (including '&'), two shifts with nothing between them
 * (they must be one), a lone or reversed UTF-16 surrogate, and an encoded
 * U+0000 are all refused.  utf8_to_mutf7() refuses invalid UTF-8
 * (overlong forms, surrogates, code points above U+10FFFF, truncated
 * sequences) and NUL.  Control characters (U+0001-U+001F, U+007F, C1) are
 * valid modified UTF-7; callers that name things refuse them after
 * decoding.
 *
 * Return convention: the converters append to out and return 0, or -1
 * with errno EINVAL (bad input; out is then truncated back to its length
 * on entry), E2BIG or ENOMEM (from the sbuf).  mutf7_valid() returns 1
 * for a valid canonical string, 0 otherwise.  Nothing needs a NUL or is
 * read past n.
 */
#ifndef TERN_MUTF7_H
#define TERN_MUTF7_H

#include <stddef.h>

struct sbuf;

int	mutf7_to_utf8(const char *in, size_t n, struct sbuf *out);
int	utf8_to_mutf7(const char *in, size_t n, struct sbuf *out);
int	mutf7_valid(const char *in, size_t n);

#endif
