/*
 * mime.h - MIME structure of one message held in memory (RFC 2045-2047,
 * RFC 2231, RFC 5322) and the IMAP views of it (RFC 3501 / RFC 9051:
 * BODY, BODYSTRUCTURE, ENVELOPE, BODY[section]).
 *
 * Input.  The message is a pointer and a length (tern-imapd mmaps the
 * Maildir file).  Nothing here needs a NUL or reads past len.  Lines may
 * end in CRLF or in a bare LF, mixed.  The parser never fails on content:
 * every byte string gives a valid tree (a missing final boundary, a
 * boundary in a preamble, empty bodies, a header without a body or
 * without its blank line, 8-bit or NUL bytes in headers all do).
 *
 * Parsing (mime_parse) is one pass over the bytes, with no allocation per
 * byte: parts and decoded header values live in one arena owned by the
 * root and freed by mime_free(&root).  Limits (struct mime_limits, NULL
 * for the defaults): nesting depth MIME_DEPTH_DEFAULT and number of parts
 * MIME_PARTS_DEFAULT; a multipart or message/rfc822 part beyond either is
 * kept as a leaf (its bytes are its body), never an error.
 *
 * The tree.  The root is the message itself: its header is the message
 * header.  A multipart part has children (child, then next); a
 * message/rfc822 or message/global part has the embedded message's root
 * in msg.  Offsets are into the message given to mime_parse.  A part's
 * header range includes its blank line when there is one; the body range
 * excludes the line end that belongs to the next boundary line (RFC 2046
 * 5.1.1).  A boundary line is a line starting "--" + boundary (prefix
 * match, the longest enclosing boundary wins); it ends the parts of every
 * enclosing multipart up to its own.
 *
 * Content headers are taken from the first field of each name.  Defaults:
 * Content-Type text/plain (charset us-ascii is added to a text part's
 * parameters in BODYSTRUCTURE when absent), message/rfc822 for the
 * children of multipart/digest; Content-Transfer-Encoding 7bit.  The
 * rules below follow what Dovecot 2.3 prints (checked message by message
 * against doveadm fetch on generated mail, see t/unit/mime.c):
 *  - a message header (the root, an embedded message) with neither
 *    MIME-Version nor Content-Type: its other Content-* fields are ignored;
 *  - "Content-Type: text" is type "text", subtype ""; a value that is
 *    not token[/token] followed by ';' or the end gives "" "" with no
 *    parameters (not text);
 *  - a multipart without a (non-empty) boundary has no children (its
 *    body is all preamble); a multipart with no children is printed
 *    with one empty text/plain child;
 *  - a root text/plain part whose only content field is charset=us-ascii
 *    (any case) prints as "text" "plain" ("charset" "us-ascii") ... in
 *    lower case, as Dovecot's cache does;
 *  - parameters: plain ones in message order, then the RFC 2231 ones
 *    (continuations name*0, name*1*, ... joined into "name", or "name*"
 *    when the first section is extended, value still charset'lang'%XX)
 *    sorted by name; an empty name ("; =x") is kept;
 *  - a Content-Disposition with parameters but no token is "".
 * Values keep the case they have in the message; comparisons are
 * case-insensitive.  Parameter values are unquoted.  Values are unfolded
 * (CR and LF removed), leading blanks skipped, trailing ones kept.
 * Known differences from Dovecot: a header that runs into a boundary
 * line without its blank line ends there (Dovecot reads on to the next
 * blank line); a repeated Content-Type keeps all of the first field
 * (Dovecot takes the parameters of the last); trailing blanks of a value
 * in an LF-only file are kept (Dovecot drops them there, not with CRLF);
 * strings are quoted where Dovecot sometimes sends a literal.
 *
 * Sizes.  body_vsize and hdr_vsize count every bare LF as CRLF: the size
 * a client sees, as IMAP requires CRLF.  tern-imapd must therefore send
 * BODY[...] bytes with bare LFs turned into CRLF (mime_crlf_len gives the
 * converted size of any range).  body_lines counts LF bytes in the body.
 *
 * IMAP text (mime_bodystructure, mime_envelope) follows RFC 3501 7.4.2
 * and what Dovecot prints for the same message: type and subtype as in
 * the message ("text" "plain" when defaulted), parameter lists, NIL for
 * what is absent, the size, lines for text/ * parts, envelope + body +
 * lines for message/rfc822, and with extended=1 the extension data
 * (single part: md5, disposition, language, location; multipart:
 * parameters, disposition, language, location).  A multipart with no
 * children gets one empty text/plain child.  The whole value is
 * parenthesised: "(...)" as it follows "BODYSTRUCTURE ".
 *
 * Return convention: 0 (or a documented kind/count), -1 with errno
 * (ENOMEM, E2BIG from an sbuf at its maximum, EINVAL for a bad section
 * spec or date).  Output goes to caller-owned bounded sbufs (appended).
 */
#ifndef TERN_MIME_H
#define TERN_MIME_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;

#define MIME_DEPTH_DEFAULT	32	/* nesting of multipart/message parts */
#define MIME_PARTS_DEFAULT	1000	/* parts in one message */
#define MIME_DEPTH_HARD		256	/* mime_limits.depth is capped here */

struct mime_limits {
	unsigned	 depth;		/* 0: MIME_DEPTH_DEFAULT */
	unsigned	 parts;		/* 0: MIME_PARTS_DEFAULT */
};

/* A byte string owned by the tree's arena (or pointing into the message);
 * s == NULL means absent.  Arena strings are also NUL-terminated. */
struct mime_str {
	const char	*s;
	size_t		 n;
};

struct mime_param {
	struct mime_str	 name;
	struct mime_str	 value;
};

struct mime_part {
	struct mime_part *parent;	/* NULL for the root; for an embedded
					 * root, the message/rfc822 part */
	struct mime_part *child;	/* multipart: first child */
	struct mime_part *next;		/* next sibling */
	struct mime_part *msg;		/* message/rfc822: embedded root */
	unsigned	 nchildren;
	unsigned	 depth;		/* root 0 */

	size_t		 hdr_off, hdr_len;	/* header incl. blank line */
	size_t		 body_off, body_len;
	uint64_t	 hdr_vsize, body_vsize;	/* bare LF counted as CRLF */
	uint64_t	 body_lines;		/* LF bytes in the body */

	struct mime_str	 type, subtype;		/* never absent */
	struct mime_param *params;		/* Content-Type parameters */
	size_t		 nparams;
	struct mime_str	 id, description, encoding, md5, location;
	struct mime_str	 disposition;		/* the token */
	struct mime_param *disp_params;
	size_t		 ndisp_params;
	struct mime_str	*languages;		/* Content-Language list */
	size_t		 nlanguages;

	unsigned	 is_multipart:1;	/* has a child list */
	unsigned	 is_message:1;		/* has msg */
	unsigned	 is_text:1;		/* type is "text" */
	unsigned	 has_ctype:1;		/* a valid Content-Type was seen */
};

/* Parse msg[0..len).  *root_r is set on success (free with mime_free).
 * Fails only with ENOMEM. */
int	mime_parse(const char *msg, size_t len, const struct mime_limits *,
	    struct mime_part **root_r);
void	mime_free(struct mime_part **rootp);

/* Parameter value by name (case-insensitive), or NULL. */
const struct mime_str *mime_param_get(const struct mime_param *, size_t n,
	    const char *name);

/* Length of p[0..n) once every bare LF is turned into CRLF. */
uint64_t mime_crlf_len(const char *p, size_t n);

/* BODY (extended = 0) or BODYSTRUCTURE (extended = 1) of the tree. */
int	mime_bodystructure(struct sbuf *out, const char *msg,
	    const struct mime_part *root, int extended);
/* ENVELOPE of a message header hdr[0..hlen): "(date subject from sender
 * reply-to to cc bcc in-reply-to message-id)".  Strings are the raw
 * unfolded values of the last field of each name (RFC 2047 words left
 * encoded, as RFC 3501 says; TAB sent as a space, as Dovecot does);
 * repeated address fields are joined into one list; sender and reply-to
 * default to from when absent or empty; addresses are (name adl mailbox
 * host) with groups as (NIL NIL "name" NIL) ... (NIL NIL NIL NIL); as
 * Dovecot: a missing domain is "MISSING_DOMAIN", a missing mailbox
 * "MISSING_MAILBOX", an unclosed <...> has host "SYNTAX_ERROR", a route
 * without its ':' is adl "INVALID_ROUTE", a phrase with no address is a
 * name with both missing, an empty list element is an address with both
 * missing; a display name falls back to a comment; junk after an address
 * is skipped up to the next ','; an empty list is NIL. */
int	mime_envelope(struct sbuf *out, const char *hdr, size_t hlen);

/* BODY[section] ranges.  spec[0..speclen) is the section text between
 * the brackets, without any <partial>.  The part numbers are resolved
 * as RFC 3501 6.4.5 says: part 1 of a non-multipart is its body; after a
 * message/rfc822 part, numbers go into the embedded message; HEADER,
 * TEXT and HEADER.FIELDS[.NOT] after a part number need a message/rfc822
 * part (the embedded message's header / body); MIME gives a part's own
 * header.  For HEADER.FIELDS[.NOT] the header range is returned and the
 * caller filters it (mime_header_filter); the field list after it (" (...)")
 * is not looked at.  Returns the kind (>= 0) and sets *off_r, *len_r to a
 * range of msg; MIME_SEC_NONE (range 0, 0) when the part does not exist
 * (the answer is an empty string, as Dovecot gives); -1 EINVAL for a
 * spec that is not a section. */
enum mime_section_kind {
	MIME_SEC_NONE = 0,	/* no such part: send "" */
	MIME_SEC_FULL,		/* "": the whole message */
	MIME_SEC_PART,		/* "1.2": a part's body */
	MIME_SEC_HEADER,	/* "HEADER", "1.HEADER" */
	MIME_SEC_FIELDS,	/* "HEADER.FIELDS ...": filter the range */
	MIME_SEC_FIELDS_NOT,	/* "HEADER.FIELDS.NOT ..." */
	MIME_SEC_TEXT,		/* "TEXT", "1.TEXT" */
	MIME_SEC_MIME		/* "1.MIME" */
};
int	mime_section(const char *msg, const struct mime_part *root,
	    const char *spec, size_t speclen, size_t *off_r, size_t *len_r);

/* BINARY[section] (RFC 3516, RFC 9051 6.4.5; mime_binary.c).
 * mime_part_find: the part that the part numbers part[0..n) name,
 * resolved as mime_section resolves "1.2" (n == 0: the root); NULL when
 * there is no such part.  mime_cte_known: 1 when p's
 * Content-Transfer-Encoding is one we can undo (absent, 7bit, 8bit,
 * binary, base64, quoted-printable; any case), else 0.
 * mime_part_decode: p's body with its transfer encoding undone, appended
 * to out: base64 decoded leniently (bytes outside the alphabet skipped);
 * quoted-printable decoded after its line ends are made CRLF; the
 * identity encodings as they are with every bare LF sent as CRLF (IMAP's
 * line end, RFC 3516 6).  Returns 0, 1 for an unknown encoding (out
 * untouched: the server answers [UNKNOWN-CTE]), or -1 (ENOMEM, E2BIG from
 * out; size out for at least twice the body). */
const struct mime_part *mime_part_find(const struct mime_part *root,
	    const uint32_t *part, size_t n);
int	mime_cte_known(const struct mime_part *p);
int	mime_part_decode(struct sbuf *out, const char *msg,
	    const struct mime_part *p);
/* p[0..n) appended to out with every bare LF written as CRLF. */
int	mime_crlf_cat(struct sbuf *out, const char *p, size_t n);

/* Header fields.  A field is its name line plus continuation lines.  The
 * iterator walks hdr[0..hlen) (stopping at the blank line); each field's
 * name is before the colon (trimmed), value is everything after the colon
 * up to the field's final line end (folded, raw), and field/field_len
 * the whole field including its final line end.  A line with no colon is
 * a field with an empty value whose name is the line. */
struct mime_field {
	const char	*name;
	size_t		 name_len;
	const char	*value;
	size_t		 value_len;
	const char	*field;
	size_t		 field_len;
};
struct mime_hdr_iter {
	const char	*hdr;
	size_t		 len, pos;
};
void	mime_hdr_iter_init(struct mime_hdr_iter *, const char *hdr,
	    size_t hlen);
/* 1 and *f filled, or 0 at the end. */
int	mime_hdr_next(struct mime_hdr_iter *, struct mime_field *f);
/* First field called name (case-insensitive): its value unfolded (CR,
 * LF removed) and trimmed, appended to out.  1 found, 0 not found, -1
 * error from out. */
int	mime_header_get(struct sbuf *out, const char *hdr, size_t hlen,
	    const char *name);
/* HEADER.FIELDS (not_ = 0) or HEADER.FIELDS.NOT (not_ = 1): every field
 * whose name is (or is not) one of names[0..n) (C strings, compared
 * case-insensitively), as it is in the message with its continuation
 * lines, each line end written as CRLF, then a final CRLF. */
int	mime_header_filter(struct sbuf *out, const char *hdr, size_t hlen,
	    const char *const *names, size_t n, int not_);

/* SEARCH support.  mime_header_decode: RFC 2047 encoded words (B and Q,
 * any charset glibc iconv knows, whitespace between adjacent encoded
 * words dropped) decoded into UTF-8; unknown charsets and malformed
 * words are kept raw; CR and LF are dropped.  mime_part_text: the body
 * of a text/ * leaf decoded (base64, quoted-printable) and converted from
 * its charset to UTF-8 (invalid sequences skipped); other parts give
 * nothing.  It stops quietly when out reaches its maximum (returns 0 with
 * what fitted).  mime_text_find: 1 when needle occurs in hay, comparing
 * with simple case folding (ASCII, Latin-1, Latin Extended-A, Greek,
 * Cyrillic); an empty needle is found everywhere. */
int	mime_header_decode(struct sbuf *out_utf8, const char *v, size_t n);
int	mime_part_text(struct sbuf *out_utf8, const char *msg,
	    const struct mime_part *p);
int	mime_text_find(const char *hay, size_t hlen, const char *needle,
	    size_t nlen);

/* RFC 5322 date-time (and the obsolete forms: two- and three-digit
 * years, named zones UT GMT EST EDT CST CDT MST MDT PST PDT and military
 * letters (taken as +0000), no seconds, no day of week, comments and
 * extra blanks).  *t_r is UTC seconds since the epoch, *tz_min_r the zone
 * offset in minutes.  0, or -1 with EINVAL. */
int	mime_date_parse(const char *s, size_t n, int64_t *t_r,
	    int *tz_min_r);

#endif
