/*
 * smtp_reply.h - SMTP replies: reading them (the client side, tern-remote)
 * and writing them (the server side, tern-smtpd).  Pure parsing and
 * formatting: no I/O.
 *
 * Reading (RFC 5321 4.2).  The caller reads lines with bio_getline (at most
 * SMTP_REPLY_LINE_MAX bytes, the terminator removed) and feeds each one to
 * smtp_reply_feed_line() until it returns SMTP_REPLY_DONE.  A server is
 * not trusted (OpenSMTPD CVE-2020-8794 was a client reading a hostile
 * multi-line reply):
 *   - every line is Reply-code ["-" / SP text]: exactly three digits, the
 *     first 2..5, the second 0..5; the same code on every line, else
 *     SMTP_REPLY_EPROTO;
 *   - text is %d9 / %d32-126 or bytes >= 128 (SMTPUTF8 servers); NUL, CR,
 *     LF, other controls and DEL are SMTP_REPLY_EPROTO;
 *   - at most SMTP_REPLY_LINES_MAX lines and SMTP_REPLY_TEXT_MAX bytes of
 *     text in all, else SMTP_REPLY_ETOOBIG (the session must end: the rest
 *     of the reply is still on the wire);
 *   - a line after the last one needs smtp_reply_reset() first.
 * The text of the lines is kept in r->text, joined with LF (no "250-"
 * prefixes).  The enhanced status code (RFC 3463, RFC 2034) of the first
 * line is in r->enh when ENHANCEDSTATUSCODES text starts with one whose
 * class matches the reply code's first digit; then r->text_off says where
 * the first line's text proper starts.
 *
 * smtp_caps_parse() reads an EHLO/LHLO 250 reply into a capability set:
 * PIPELINING, SIZE [n], 8BITMIME, BINARYMIME, STARTTLS, SMTPUTF8, CHUNKING,
 * DSN, ENHANCEDSTATUSCODES, and AUTH with its mechanisms (also the old
 * "AUTH=" form).  Keywords match case-insensitively; unknown keywords and
 * unknown mechanisms are ignored; a SIZE value that is not a number is
 * ignored (size 0: no limit announced).
 *
 * Writing.  smtp_reply_fmt() APPENDS a whole reply to out (so replies to
 * pipelined commands can be batched): each LF in text starts a new line
 * ("250-..." for all lines but the last, "250 ..." for the last), each line
 * carries the enhanced code when one is given, and ends in CR LF.  A
 * trailing LF in text is ignored.  CR, NUL, every other control byte
 * except TAB, and DEL are written as "\xNN", so the output never holds a
 * CR or LF that is not a line end.  It refuses (EINVAL) a code outside
 * 200..599 or with a second digit above 5, or an enhanced code that is
 * malformed or of another class, and (E2BIG) a line longer than
 * SMTP_REPLY_OUT_LINE_MAX bytes with its CR LF (RFC 5321 4.5.3.1.5); out
 * is then left as it was.
 *
 * Return convention: as said per function; 0 / -1 with errno elsewhere.
 * Ownership: smtp_reply_init/fini for the caller's struct (text is an sbuf
 * inside it).
 */
#ifndef TERN_SMTP_REPLY_H
#define TERN_SMTP_REPLY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

#define SMTP_REPLY_LINE_MAX	2048	/* bio_getline max for replies:
					 * 4 x RFC 5321's 512, for sloppy
					 * servers */
#define SMTP_REPLY_LINES_MAX	100	/* EHLO has ~20 lines */
#define SMTP_REPLY_TEXT_MAX	16384	/* all lines' text together */
#define SMTP_REPLY_OUT_LINE_MAX	512	/* RFC 5321 4.5.3.1.5 */

/* smtp_reply_feed_line() results. */
#define SMTP_REPLY_MORE		0	/* a "250-" line: more to come */
#define SMTP_REPLY_DONE		1	/* the last line */
#define SMTP_REPLY_EPROTO	(-1)	/* not a valid reply line */
#define SMTP_REPLY_ETOOBIG	(-2)	/* too many lines or too much text */
#define SMTP_REPLY_ESYS		(-3)	/* out of memory (errno) */

/* Capabilities (struct smtp_caps flags). */
#define SMTP_CAP_PIPELINING	0x0001
#define SMTP_CAP_SIZE		0x0002
#define SMTP_CAP_8BITMIME	0x0004
#define SMTP_CAP_STARTTLS	0x0008
#define SMTP_CAP_SMTPUTF8	0x0010
#define SMTP_CAP_CHUNKING	0x0020
#define SMTP_CAP_DSN		0x0040
#define SMTP_CAP_AUTH		0x0080
#define SMTP_CAP_ENHANCED	0x0100	/* ENHANCEDSTATUSCODES */
#define SMTP_CAP_BINARYMIME	0x0200

/* SASL mechanisms (struct smtp_caps auth). */
#define SMTP_AUTH_PLAIN		0x01
#define SMTP_AUTH_LOGIN		0x02
#define SMTP_AUTH_CRAM_MD5	0x04
#define SMTP_AUTH_SCRAM_SHA_1	0x08
#define SMTP_AUTH_SCRAM_SHA_256	0x10
#define SMTP_AUTH_XOAUTH2	0x20
#define SMTP_AUTH_EXTERNAL	0x40

/* An enhanced status code class.subject.detail (RFC 3463). */
struct smtp_enh {
	int	present;
	int	cls;		/* 2, 4 or 5 */
	int	subject;	/* 0..999 */
	int	detail;		/* 0..999 */
	char	str[12];	/* "5.1.1", NUL-terminated */
};

struct smtp_reply {
	int		code;		/* 0 until the first line */
	unsigned	nlines;
	int		done;
	struct sbuf	text;		/* lines' text joined with LF */
	struct smtp_enh	enh;		/* of the first line */
	size_t		text_off;	/* first line's text after enh + SP */
};

struct smtp_caps {
	unsigned	flags;		/* SMTP_CAP_* */
	uint64_t	size;		/* SIZE value, 0 when none */
	unsigned	auth;		/* SMTP_AUTH_* */
};

void	smtp_reply_init(struct smtp_reply *);
void	smtp_reply_reset(struct smtp_reply *);
void	smtp_reply_fini(struct smtp_reply *);
int	smtp_reply_feed_line(struct smtp_reply *, const char *line, size_t n,
	    const char **why_r);

/* Parse "c.s.d" at p (followed by SP or the end); 0 and *used_r, or -1. */
int	smtp_enh_parse(const char *p, size_t n, struct smtp_enh *,
	    size_t *used_r);

/* 0, or -1 (EINVAL) when r is not a complete 250 reply. */
int	smtp_caps_parse(const struct smtp_reply *r, struct smtp_caps *);

int	smtp_reply_fmt(struct sbuf *out, int code, const char *enh,
	    const char *text);

#endif
