/*
 * imapfmt.h - IMAP (RFC 3501 / RFC 9051) output of strings.
 *
 * Every string tern-imapd sends goes through one of these, so the choice
 * between atom, quoted string and literal is made in one place:
 *
 *   imapfmt_string   a quoted string when every byte is printable ASCII
 *                    (0x20-0x7e) or TAB (a TEXT-CHAR) and n <
 *                    IMAPFMT_QUOTED_MAX ('"' and '\' are escaped with
 *                    '\'); otherwise a literal
 *                    "{n}\r\n" followed by the n bytes.  Any 8-bit byte,
 *                    CR, LF, NUL or other control byte forces a literal.
 *                    A literal never carries NUL (RFC 3501 CHAR8, RFC
 *                    9051 4.3): each NUL is sent as 0x80, which keeps
 *                    the length (Dovecot does the same).
 *   imapfmt_nstring  NIL when s is NULL, else imapfmt_string.
 *   imapfmt_astring  the bytes as they are when they form a valid
 *                    ASTRING-CHAR atom (non-empty, no atom-specials except
 *                    ']' which astring allows), else imapfmt_string.
 *                    The atom "NIL" is sent quoted (it is not an
 *                    astring's meaning of NIL).
 *   imapfmt_u64      a number in decimal (no printf: a FETCH of 10,000
 *                    messages' FLAGS formats 20,000 of them).
 *
 * Input is a pointer and a length: no NUL needed, none read past n.
 * Output is appended to a caller-owned bounded sbuf.
 * Return convention: 0, or -1 with errno (E2BIG, ENOMEM) from the sbuf;
 * on failure the sbuf may hold a partial string (callers discard it).
 */
#ifndef TERN_IMAPFMT_H
#define TERN_IMAPFMT_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;

#define IMAPFMT_QUOTED_MAX	1024	/* longer strings are sent as literals */

/* Turn each NUL of p[0..n) into 0x80: the bytes of a literal. */
void	imapfmt_nonul(char *p, size_t n);
int	imapfmt_string(struct sbuf *out, const char *s, size_t n);
int	imapfmt_nstring(struct sbuf *out, const char *s, size_t n);
int	imapfmt_astring(struct sbuf *out, const char *s, size_t n);
int	imapfmt_u64(struct sbuf *out, uint64_t v);
/* 1 when s[0..n) can be sent as an atom (ATOM-CHAR only, non-empty). */
int	imapfmt_is_atom(const char *s, size_t n);

#endif
