/*
 * mime_int.h - internals shared by the lib/mime_*.c files (not an API).
 *
 * The arena: blocks of at least MIME_ARENA_BLOCK bytes, bump-allocated,
 * all freed together with the tree.  Lexing helpers for RFC 2045 /
 * RFC 5322 structured values work on a pointer and a length.
 */
#ifndef TERN_MIME_INT_H
#define TERN_MIME_INT_H

#include <stddef.h>

#include "lib/mime.h"

#define MIME_ARENA_BLOCK	8192
#define MIME_PARAMS_MAX		64	/* parameters kept per header field */

struct mime_arena;

void	*mime_arena_alloc(struct mime_arena **, size_t n);
void	 mime_arena_free(struct mime_arena **);

/* Skip blanks, CR, LF and (nested) comments from *i; never past n. */
void	 mime_skip_cfws(const char *v, size_t n, size_t *i);
/* RFC 2045 token character (8-bit bytes accepted, leniently). */
int	 mime_is_tchar(unsigned char c);

static inline int
mime_is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}
/* Case-insensitive compare of s[0..n) with the C string lit. */
int	 mime_eq(const char *s, size_t n, const char *lit);

struct sbuf;
/* Transfer decoding (mime_text.c), appended to out: lenient base64
 * (other bytes skipped, stops at '='); quoted-printable (header_q: RFC
 * 2047 "Q", '_' a space, no soft line breaks).  0, or -1 from out. */
int	 mime_b64_decode(struct sbuf *out, const char *s, size_t n);
int	 mime_qp_decode(struct sbuf *out, const char *s, size_t n,
	    int header_q);

#endif
