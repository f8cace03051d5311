/*
 * basesubj.h - the "base subject" of RFC 5256 2.1 (SORT SUBJECT, THREAD)
 * and the case mapping tern's SORT and THREAD compare strings with.
 *
 * basesubj_casemap(out, s, n) appends s[0..n) (UTF-8) mapped as Dovecot's
 * i;unicode-casemap does for sorting: each character to its title case,
 * Latin-1 letters with diacritics decomposed (e-acute becomes "E" and
 * U+0301), so that byte order of the results is the collation order.
 * Covered: ASCII, Latin-1, Latin Extended-A (case only), Greek and
 * Cyrillic (case only); other characters are kept.  Invalid UTF-8 bytes
 * become U+FFFD.
 *
 * basesubj_extract(out, v, n, &is_reply) appends the base subject of a
 * raw Subject field value v[0..n) (folded, RFC 2047 words encoded):
 *   (1) encoded words decoded to UTF-8 (lib/mime), case mapped, tabs,
 *       CR and LF made spaces, runs of spaces made one;
 *   (2) trailing "(fwd)" and spaces removed, repeatedly;
 *   (3) a leading space, or *subj-blob then "re", "fw" or "fwd", an
 *       optional space, an optional subj-blob and ":" removed;
 *   (4) a leading subj-blob "[...]" (and the space after it) removed
 *       when something is left after it;
 *   (5) (3) and (4) repeated while they remove something;
 *   (6) "[fwd:" ... "]" around the whole removed, then again from (2).
 * *is_reply (may be NULL) is set to 1 when a subj-refwd, a "(fwd)"
 * trailer or a "[fwd:" "]" pair was removed (RFC 5256 section 3), else 0.
 * As in Dovecot, a blob may hold 8-bit characters.
 *
 * Pointers and lengths: no NUL needed, nothing read past n.  Returns 0,
 * or -1 with errno (E2BIG, ENOMEM) from out; lib/ style, nothing printed.
 */
#ifndef TERN_BASESUBJ_H
#define TERN_BASESUBJ_H

#include <stddef.h>

struct sbuf;

#define BASESUBJ_MAX	(64 * 1024)	/* a decoded subject is cut here */

int	basesubj_casemap(struct sbuf *out, const char *s, size_t n);
int	basesubj_extract(struct sbuf *out, const char *v, size_t n,
	    int *is_reply_r);

#endif
