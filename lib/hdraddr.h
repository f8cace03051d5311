/*
 * hdraddr.h - addresses in a message's header section (RFC 5322 2.2,
 * 3.4, 3.6): walk the header fields, and take the addr-specs out of an
 * address-list field (From, To, Cc, Bcc, Sender, Reply-To).  Used by
 * tern-smtpd (the From: of an authenticated submission must belong to
 * the account) and tern-sendmail (-t: recipients from To/Cc/Bcc).
 *
 * hdr_next(p, n, &off, &f) walks the header section in p[0..n): lines
 * end in CR LF or LF; the section ends at the first empty line or at n.
 * From *off it gives one field: its name (before the colon, without
 * trailing blanks) and its raw value (after the colon, continuation
 * lines included, the final line end excluded), and moves *off past it.
 * Returns 1 (a field), 0 (the end: *off is at the empty line, or n), or
 * HDR_EBAD when a line is neither a field nor a continuation (no colon,
 * or a name byte outside %d33-126); *off moves past that line, so the
 * caller may go on.  f->end is the offset just past the field's last
 * line end (what a caller removing the field cuts out).
 *
 * hdr_addr_list(v, n, bare_domain, flags, out, max, &count, &why) parses
 * an address-list value:
 *   - comments "( ... )" (nested, with quoted pairs) are dropped outside
 *     quoted strings, angle brackets and domain literals are respected;
 *     CR and LF (folding) count as blanks; any other control byte, and
 *     NUL, is refused;
 *   - items are separated by ',' at the top level; "name:" opens a group
 *     whose members are taken, ';' closes it (RFC 5322 3.4);
 *   - an item with a top-level "<...>" is a name-addr: the bracketed part
 *     (source route allowed) goes through addr_parse_path, and nothing
 *     but blanks may follow '>'; otherwise the trimmed item is an
 *     addr-spec for addr_parse;
 *   - an addr-spec without '@' is refused, unless bare_domain is not
 *     NULL: then "@bare_domain" is appended (sendmail's "To: root");
 *   - empty items are skipped (RFC 5322 4.4 obsolete syntax).
 * flags are addr_parse's (ADDR_UTF8 for RFC 6532 headers).  It fills
 * out[0..count) and returns 0; or -1 with errno EINVAL and a static
 * reason in *why_r (bad syntax), E2BIG (more than max addresses, or a
 * value longer than HDR_VALUE_MAX) or ENOMEM.
 *
 * Pointers and lengths throughout: no NUL is needed, nothing is read
 * past n.  Nothing here logs or exits.
 */
#ifndef TERN_HDRADDR_H
#define TERN_HDRADDR_H

#include <stddef.h>

#include "lib/addr.h"

#define HDR_VALUE_MAX	65536	/* one field's value (folded) */
#define HDR_NAME_MAX	76	/* RFC 5322 2.1.1: a line is 78 */
#define HDR_EBAD	(-1)

struct hdr_field {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
	size_t		 start;		/* offset of the field's first byte */
	size_t		 end;		/* offset past its last line end */
};

int	hdr_next(const char *p, size_t n, size_t *off, struct hdr_field *f);
/* Is the field's name this one (ASCII, any case)?  1 or 0. */
int	hdr_is(const struct hdr_field *, const char *name);
int	hdr_addr_list(const char *v, size_t n, const char *bare_domain,
	    unsigned flags, struct addr *out, size_t max, size_t *count_r,
	    const char **why_r);

#endif
