/*
 * sbuf.h - bounded, length-carrying byte strings.
 *
 * Every piece of untrusted or variable-length data in tern lives in a
 * struct sbuf: a pointer, a length, a capacity and a hard maximum chosen by
 * the caller from a named constant.  Appending past the maximum fails with
 * E2BIG and leaves the buffer unchanged; it never grows beyond it and never
 * truncates silently.  The data is binary-safe.  sbuf_nul() places a NUL
 * after the data that the length does not count, so the bytes can be handed
 * to a C-string API when the caller knows there is no NUL inside
 * (sbuf_has_nul() tells).
 *
 * Return convention: 0 on success, -1 with errno set (ENOMEM, E2BIG).
 * Ownership: the caller owns the struct; sbuf_fini() frees the data and
 * leaves an empty buffer that may be reused after sbuf_init().
 */
#ifndef TERN_SBUF_H
#define TERN_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char	*s;		/* data, NUL-terminated after sbuf_nul() */
	size_t	 len;		/* bytes in use */
	size_t	 cap;		/* bytes allocated */
	size_t	 max;		/* hard maximum for len */
};

void	sbuf_init(struct sbuf *, size_t max);
void	sbuf_fini(struct sbuf *);
/* Like sbuf_fini() but wipes the bytes first (passwords, keys). */
void	sbuf_fini_secret(struct sbuf *);
void	sbuf_reset(struct sbuf *);
int	sbuf_reserve(struct sbuf *, size_t more);
int	sbuf_cat_n(struct sbuf *, const void *, size_t);
int	sbuf_cat_s(struct sbuf *, const char *);
int	sbuf_cat_c(struct sbuf *, int c);
int	sbuf_cat_sbuf(struct sbuf *, const struct sbuf *);
int	sbuf_set_n(struct sbuf *, const void *, size_t);
int	sbuf_set_s(struct sbuf *, const char *);
int	sbuf_printf(struct sbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	sbuf_vprintf(struct sbuf *, const char *fmt, va_list)
	    __attribute__((format(printf, 2, 0)));
/* Append the bytes escaped for a log line: \xNN for control, non-ASCII
 * and backslash, cut to at most 'limit' input bytes (then "..."). */
int	sbuf_cat_escaped(struct sbuf *, const void *, size_t, size_t limit);
/* Ensure s[len] == '\0' (not counted in len). */
int	sbuf_nul(struct sbuf *);
int	sbuf_has_nul(const struct sbuf *);
/* Drop the first n bytes (n <= len). */
void	sbuf_consume(struct sbuf *, size_t n);
void	sbuf_truncate(struct sbuf *, size_t len);
/* The string, NUL-terminated; "" for an empty buffer that never allocated.
 * Returns NULL only when the NUL could not be added (ENOMEM/E2BIG). */
const char *sbuf_str(struct sbuf *);

#endif
