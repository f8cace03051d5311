/*
 * smtpc.h - the SMTP/LMTP client's side of a session (tern-remote): read
 * one reply from a hostile server, and turn a stored message into the
 * DATA stream (dot-stuffing, CR LF line ends).
 *
 * Replies.  smtpc_read_reply(b, r, &why) resets r and reads lines with
 * bio_getline until smtp_reply_feed_line (lib/smtp_reply.h: strict
 * 3-digit codes, the same code on every line, no control bytes, at most
 * SMTP_REPLY_LINES_MAX lines and SMTP_REPLY_TEXT_MAX bytes of text) says
 * the reply is complete.  A line longer than SMTPC_LINE_MAX (RFC 5321
 * 4.5.3.1.5 allows 512; sloppy servers send more) is cut to SMTPC_LINE_MAX
 * bytes, the rest of it read and dropped: replies are logged and reported,
 * never interpreted beyond their code, so cutting cannot change a verdict.
 * A bare LF ends a reply line too (servers are sloppy; nothing is smuggled
 * through a reply).  Returns 0 with r->done set, or -1 with errno
 * (EPROTO: not a valid reply, E2BIG: too big, ECONNRESET: the server
 * closed, ETIMEDOUT, ...) and a static reason in *why_r.  After -1 the
 * session must end: the rest of the reply may still be on the wire.
 *
 * DATA.  struct smtpc_dot is a byte-at-a-time encoder: smtpc_dot_encode()
 * APPENDS to out the bytes to send for n message bytes: a "." that starts
 * a line is doubled (RFC 5321 4.5.2), a bare LF becomes CR LF and a bare
 * CR becomes CR LF (no bare CR or LF ever leaves: SMTP smuggling), so out
 * holds only CR LF line ends.  It reserves 2n + 2 bytes first and fails
 * (-1, E2BIG/ENOMEM) before changing anything.  Any split of the input
 * gives the same output.  smtpc_dot_finish() appends what ends the data:
 * a CR LF when the message did not end with one, then ".\r\n".
 * d->eightbit says whether a byte >= 0x80 was seen; d->in counts input
 * bytes.  smtpc_dot_clean() returns how many of the n bytes at p, from
 * the start, the encoder would send unchanged (CR LF line ends, no line
 * starting with a dot, no bare CR or LF: a stored message that came in
 * over SMTP is nearly all such), and takes them into d as
 * smtpc_dot_encode would; the caller sends those bytes as they are and
 * encodes the rest.  It stops before a CR that ends the input (its LF is
 * not seen yet).  Interleaving the two on any split of any input gives
 * exactly smtpc_dot_encode's output.
 *
 * smtpc_send_data(b, fd, prefix, n, &d) writes prefix (n bytes, may be 0:
 * e.g. a DKIM-Signature header the caller computed; encoded like the
 * message), then the message read from fd (from its current offset to end
 * of file, SMTPC_CHUNK bytes at a time, never whole in memory), then the
 * end of data, through bio_write, and flushes.  What smtpc_dot_clean
 * passes goes to bio_write straight from the read buffer (a chunk larger
 * than the bio's buffer is written by the kernel call itself: no copy);
 * only the rest is encoded.  The last chunk of a regular file (by its
 * size; a read confirms the end) is held and goes out in one write with
 * the end of data.  0 or -1 with errno.
 *
 * Return convention: 0 / -1 with errno.  Nothing here prints or exits.
 */
#ifndef TERN_SMTPC_H
#define TERN_SMTPC_H

#include <stddef.h>
#include <stdint.h>

struct bio;
struct sbuf;
struct smtp_reply;

#define SMTPC_LINE_MAX	4096	/* a reply line is cut here (RFC: 512) */
#define SMTPC_CHUNK	65536	/* message bytes read at a time */

struct smtpc_dot {
	int		bol;		/* at the beginning of a line */
	int		cr;		/* the last byte was a CR */
	int		eightbit;	/* a byte >= 0x80 was seen */
	uint64_t	in;		/* message bytes taken */
};

int	smtpc_read_reply(struct bio *, struct smtp_reply *, const char **why_r);

void	smtpc_dot_init(struct smtpc_dot *);
int	smtpc_dot_encode(struct smtpc_dot *, const void *, size_t,
	    struct sbuf *out);
int	smtpc_dot_finish(struct smtpc_dot *, struct sbuf *out);
size_t	smtpc_dot_clean(struct smtpc_dot *, const void *, size_t);

int	smtpc_send_data(struct bio *, int fd, const void *prefix, size_t n,
	    struct smtpc_dot *);

#endif
