/*
 * addr.h - RFC 5321 mailboxes and paths: parse, validate, format,
 * normalise for map lookups.
 *
 * addr_parse() takes a Mailbox (RFC 5321 4.1.2): Local-part "@" Domain.
 *   Local-part = Dot-string / Quoted-string (quoted pairs \ + 32..126,
 *                qtext 32..126 without '"' and '\').  Empty local parts
 *                ("") are refused.
 *   Domain     = sub-domains of letters, digits and '-' (no leading or
 *                trailing '-', labels 1..63 octets) separated by '.', or
 *                an address literal [a.b.c.d] / [IPv6:...] checked with
 *                inet_pton (other tagged literals are refused).
 * With ADDR_UTF8 (an SMTPUTF8 session, RFC 6531) valid UTF-8 is allowed
 * in the local part (atext and qtext) and in domain labels; IDN domains
 * are kept as given, never converted to punycode.  Overlong forms,
 * surrogates, code points above U+10FFFF and C1 controls are refused.
 * NUL, CR, LF and every other control byte are refused anywhere, quoted
 * or not.
 *
 * addr_parse_path() takes the angle-bracket form of MAIL FROM / RCPT TO:
 * "<" [ A-d-l ":" ] Mailbox ">".  A source route ("<@a,@b:u@d>") is
 * checked and discarded (RFC 5321 4.1.2, appendix C).  "<>" is accepted
 * only with ADDR_NULL_OK, "<Postmaster>" (any case, no domain, 4.1.1.3)
 * only with ADDR_POSTMASTER_OK.  It stops after the '>' and reports how
 * many bytes it used, so the caller parses ESMTP parameters after them.
 *
 * Limits (RFC 5321 4.5.3.1): local part 64 octets as written, domain 255,
 * a path 256 including "<", ">" and any source route, so a bare mailbox
 * at most 254.
 *
 * The parsers work over a pointer and a length, never need a NUL, never
 * read past the length, and return 0 on success or a negative ADDR_E*
 * code with a static reason in *why_r.  On failure *out is unspecified.
 *
 * Ownership: struct addr is a plain value (fixed arrays, bounded by the
 * limits above); copy it freely.  The format functions replace the
 * contents of the caller's sbuf and return 0, or -1 with errno (E2BIG,
 * ENOMEM).
 */
#ifndef TERN_ADDR_H
#define TERN_ADDR_H

#include <stddef.h>

#include "lib/sbuf.h"

#define ADDR_LOCAL_MAX		64	/* RFC 5321 4.5.3.1.1 */
#define ADDR_DOMAIN_MAX		255	/* RFC 5321 4.5.3.1.2 */
#define ADDR_LABEL_MAX		63	/* RFC 1035 2.3.4 */
#define ADDR_PATH_MAX		256	/* RFC 5321 4.5.3.1.3, with "<" ">" */
#define ADDR_MAILBOX_MAX	(ADDR_PATH_MAX - 2)
/* Room for any formatted mailbox (quoting can only shrink it). */
#define ADDR_FORMAT_MAX		ADDR_PATH_MAX

/* Flags for the parsers. */
#define ADDR_UTF8		0x01	/* SMTPUTF8: UTF-8 allowed */
#define ADDR_NULL_OK		0x02	/* addr_parse_path: "<>" allowed */
#define ADDR_POSTMASTER_OK	0x04	/* "Postmaster" without a domain */

/* Parser results. */
#define ADDR_OK			0
#define ADDR_ESYNTAX		(-1)	/* 501 5.1.3 / 5.5.2 */
#define ADDR_ETOOLONG		(-2)	/* 501 5.1.3 (path too long) */
#define ADDR_EUTF8		(-3)	/* non-ASCII without ADDR_UTF8:
					 * 553 5.6.7 */

struct addr {
	/* The local part unquoted; never holds NUL, NUL-terminated. */
	char	local[ADDR_LOCAL_MAX + 1];
	size_t	local_len;
	/* ASCII-lowercased local part, filled by addr_normalize(). */
	char	local_key[ADDR_LOCAL_MAX + 1];
	/* The domain as given ("[1.2.3.4]" for a literal); NUL-terminated.
	 * Empty for the null path and for a bare Postmaster. */
	char	domain[ADDR_DOMAIN_MAX + 1];
	size_t	domain_len;
	int	is_null;	/* "<>" */
	int	is_literal;	/* domain is an address literal */
	int	is_utf8;	/* holds non-ASCII: needs SMTPUTF8 */
};

int	addr_parse(const char *p, size_t n, unsigned flags, struct addr *out,
	    const char **why_r);
int	addr_parse_path(const char *p, size_t n, unsigned flags,
	    struct addr *out, size_t *used_r, const char **why_r);
/* A Domain alone (no literal), as in EHLO names and the domains map. */
int	addr_parse_domain(const char *p, size_t n, unsigned flags,
	    const char **why_r);

/* "local@domain", the local part quoted only when it must be; "" for the
 * null path, the local part alone for a bare Postmaster. */
int	addr_format(const struct addr *, struct sbuf *out);
/* The same between "<" and ">" ("<>" for the null path). */
int	addr_format_path(const struct addr *, struct sbuf *out);

/* Lowercase the domain (ASCII letters only) and fill local_key. */
void	addr_normalize(struct addr *);
/* The map key: the canonical form with the domain lowercased (ASCII) and,
 * when fold_local, the local part lowercased too.  Needs no prior
 * addr_normalize(). */
int	addr_key(const struct addr *, int fold_local, struct sbuf *out);

/*
 * Split an (unquoted) local part at the first byte that is one of
 * 'delims' (Postfix recipient_delimiter, e.g. "+" or "+-"): "user+tag"
 * gives base "user" and extension "tag".  A delimiter at position 0 does
 * not split (the base would be empty).  Returns 1 and sets *baselen_r,
 * *ext_r, *extlen_r when split; 0 (base = everything, ext NULL/0) when
 * not, or when delims is NULL or empty.
 */
int	addr_split_delim(const char *local, size_t n, const char *delims,
	    size_t *baselen_r, const char **ext_r, size_t *extlen_r);

#endif
