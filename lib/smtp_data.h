/*
 * smtp_data.h - the SMTP DATA (and BDAT) reader: a byte-at-a-time state
 * machine that turns what the client sends into the message as stored.
 * Pure parsing: the caller reads (bio) and writes (tern-enqueue).
 *
 * DATA (RFC 5321 4.1.1.4, 4.5.2).  The message ends ONLY at CR LF "." CR LF,
 * where the first CR LF may be the one that ended the DATA command line
 * (so the reader starts at the beginning of a line).  A line that starts
 * with "." loses that first "." (dot-unstuffing: ".." -> ".").
 *
 * Anti-smuggling policy (SMTP smuggling, CVE-2023-51764/51765/51766).
 * A bare LF (not after CR) and a bare CR (not before LF) are never line
 * ends for the purpose of finding the end of data: "\n.\n", "\r.\r",
 * "\n.\r\n", "\r\n.\n", "\r\n.\r" and the like are ordinary message bytes,
 * and the reader keeps going until a real CR LF "." CR LF.  What happens
 * to the message then is the policy chosen at smtp_data_init():
 *   - SMTP_DATA_REJECT (the default, 0): the reader reads on to the real
 *     end and smtp_data_status() says SMTP_DATA_BARE; the server answers
 *     550 5.6.0 and stores nothing.  This is Postfix's
 *     smtpd_forbid_bare_newline = reject, extended to bare CR.
 *   - SMTP_DATA_NORMALIZE: a bare LF or bare CR is stored as CR LF (so the
 *     stored message has only CR LF line ends) but still does not start a
 *     line for dot-unstuffing or end-of-data: Postfix's "normalize".
 *     Header counting does treat it as a line end.
 * Either way the output holds only CR LF line ends.
 *
 * Size: every byte produced counts (after unstuffing, line ends as two
 * bytes).  Past the limit (0 = none) the reader stops producing output but
 * keeps reading to the end; smtp_data_status() then says SMTP_DATA_TOOBIG
 * (552 5.3.4), which takes precedence over SMTP_DATA_BARE.
 *
 * Headers: the header section is everything up to the first empty line
 * (or the whole message when there is none).  The reader counts header
 * fields named "Received" (any case, optional blanks before the colon) for
 * the hop limit (RFC 5321 6.3) in d->received, and sets d->headers_done and
 * d->header_end (the output offset just after the empty line).
 *
 * BDAT (RFC 3030): smtp_data_init(..., SMTP_DATA_BDAT) turns off
 * end-of-data detection and dot-unstuffing; the caller feeds exactly the
 * chunk bytes it counted and calls smtp_data_finish() after the LAST chunk.
 * The bare CR/LF policy applies unless SMTP_DATA_BINARY (BODY=BINARYMIME)
 * is also given, in which case every byte passes unchanged.
 *
 * Feeding: smtp_data_feed(d, p, n, out, &used) appends the message bytes to
 * out and returns SMTP_DATA_MORE (all n bytes used), SMTP_DATA_END (the end
 * was seen: *used is the number of bytes up to and including the final LF;
 * the rest belongs to the next command, e.g. a pipelined QUIT), or -1 with
 * errno (E2BIG, ENOMEM) when out cannot take 2n + 1 more bytes (reserved
 * up front, so nothing was consumed and nothing changed).  Callers usually
 * flush and reset out after each call.  Feeding after the end returns
 * SMTP_DATA_END with *used 0.  smtp_data_feed_line() takes a line from
 * bio_getline() without its terminator plus its BIO_EOL_* kind and feeds
 * the line and the terminator it had ("\r\n", "\n", nothing).  One byte at
 * a time or all at once gives the same output.
 *
 * Ownership: struct smtp_data is a plain value, no allocation inside.
 */
#ifndef TERN_SMTP_DATA_H
#define TERN_SMTP_DATA_H

#include <stddef.h>
#include <stdint.h>

struct sbuf;

/* smtp_data_init() flags. */
#define SMTP_DATA_REJECT	0x00	/* bare CR/LF: reject (default) */
#define SMTP_DATA_NORMALIZE	0x01	/* bare CR/LF: store as CR LF */
#define SMTP_DATA_BDAT		0x02	/* chunk bytes: no dots, no end */
#define SMTP_DATA_BINARY	0x04	/* with BDAT: bytes pass unchanged */

/* smtp_data_feed() results. */
#define SMTP_DATA_MORE		0
#define SMTP_DATA_END		1

/* smtp_data_status() results. */
#define SMTP_DATA_OK		0
#define SMTP_DATA_TOOBIG	1	/* 552 5.3.4 */
#define SMTP_DATA_BARE		2	/* 550 5.6.0 bare CR or LF */

#define SMTP_DATA_RECEIVED_MAX	1000	/* d->received saturates here */

struct smtp_data {
	unsigned	flags;
	int		state;		/* private */
	int		hstate;		/* private: header matcher */
	unsigned	hmatch;		/* private */
	uint64_t	limit;		/* 0: none */
	uint64_t	size;		/* bytes produced (counted past limit) */
	int		too_big;
	int		bare;		/* saw a bare CR or LF */
	int		done;		/* saw the end */
	unsigned	received;	/* Received: fields in the header */
	int		headers_done;
	uint64_t	header_end;	/* offset after the empty line */
};

void	smtp_data_init(struct smtp_data *, uint64_t limit, unsigned flags);
int	smtp_data_feed(struct smtp_data *, const char *p, size_t n,
	    struct sbuf *out, size_t *used_r);
int	smtp_data_feed_line(struct smtp_data *, const char *line, size_t n,
	    int eol, struct sbuf *out);
/* BDAT after LAST: settle a CR left pending by the last chunk. */
int	smtp_data_finish(struct smtp_data *, struct sbuf *out);
int	smtp_data_status(const struct smtp_data *);

#endif
