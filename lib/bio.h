/*
 * bio.h - buffered descriptor I/O for protocol sessions: bounded lines,
 * raw reads, buffered writes, and a deadline on every wait.
 *
 * A struct bio (opaque, bio_new/bio_free) has an input buffer and an output
 * buffer of BIO_BUFSIZE bytes each.  The bytes move through three functions
 * (bio_set_ops): by default read()/write() on the descriptors given to
 * bio_new (recv/send with MSG_DONTWAIT on sockets, poll-checked writes of at
 * most PIPE_BUF bytes on pipes, so a blocking descriptor never blocks past
 * a deadline; SIGPIPE is never raised on sockets); lib/tls plugs OpenSSL in the same way.
 *
 * Deadlines.  Each input call (bio_getline, bio_read, bio_read_full) must
 * finish within the read timeout counted from the call's start (RFC 5321
 * 4.5.3.2: 5 minutes per command; BIO_TIMEOUT_DEFAULT) and before the
 * optional session deadline; each bio_flush (and so each write that fills
 * the buffer) within the write timeout.  The session deadline bounds reads
 * only, so a "421 timeout" reply can still be written.  A timeout returns
 * -1 with errno ETIMEDOUT.  A timeout of 0 means none.
 *
 * Lines.  bio_getline(b, line, max, &eol) resets line and stores one line
 * WITHOUT its terminator.  *eol says how it ended: BIO_EOL_CRLF, BIO_EOL_LF
 * (a bare LF: protocols refuse it to stop SMTP smuggling) or BIO_EOL_NONE
 * (end of file after some data).  A CR not followed by LF stays in the data;
 * so do NUL bytes.  Returns:
 *   BIO_OK       one line (max bytes at most, line->max must be >= max);
 *   BIO_EOF      end of file before any byte (*eol = BIO_EOL_NONE);
 *   BIO_TOOLONG  the line was longer than max: the rest of it, up to and
 *                including its LF, was read and thrown away (bounded by the
 *                deadline, never stored), line holds only its first max
 *                bytes (for an IMAP tag; never act on it) and *eol how the
 *                discarded line ended.  The session can answer "500 line
 *                too long" and go on; errno is EMSGSIZE;
 *   -1           an error, errno set (ETIMEDOUT, ECONNRESET, EIO, ENOMEM,
 *                E2BIG when line->max < max, ...).
 * After -1 the bytes of a partly read line are lost: end the session.
 * A line is never split or truncated silently.  BIO_TOOLONG is negative so
 * a caller that only tests "< 0" fails closed.
 *
 * Raw input.  bio_read() returns buffered bytes first, else reads once (up
 * to n, > 0), 0 at end of file, -1 on error.  bio_read_full() loops until n
 * bytes or end of file (returns the count).  bio_pending() is the number of
 * bytes already received but not consumed (input buffer plus what the ops'
 * pending function reports); after STARTTLS a non-zero value means the
 * client pipelined plaintext, which bio_discard_input() drops.
 *
 * Output.  bio_write/bio_puts/bio_printf append to the output buffer and
 * flush when it is full; bio_flush() writes everything.  A write error is
 * sticky: every later output call fails with the same errno.  Return 0 / -1.
 *
 * Ops.  readfn/writefn return a byte count (> 0; readfn 0 at end of file),
 * BIO_WANT_READ or BIO_WANT_WRITE when the descriptor must become readable
 * or writable first (bio polls it, within the deadline, and calls again),
 * or -1 with errno (EAGAIN counts as BIO_WANT_READ for reads and
 * BIO_WANT_WRITE for writes).  pendingfn (may be NULL) returns how many
 * bytes the ops hold already decoded; bio calls readfn without polling
 * when it is > 0.  Plugged ops should use non-blocking descriptors.
 *
 * Switching ops (STARTTLS): bio_flush() first, and refuse or drop what
 * bio_pending() reports, before bio_set_ops(); the buffers carry over.
 * A memory-backed bio (rfd/wfd < 0) never polls.
 *
 * Ownership: bio_new does not take the descriptors; bio_free neither
 * flushes nor closes them (call bio_flush first), frees the bio and NULLs
 * the pointer.  The ctx of bio_set_ops stays the caller's.
 */
#ifndef TERN_BIO_H
#define TERN_BIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sbuf;
struct bio;

#define BIO_BUFSIZE		16384	/* input and output buffer each */
#define BIO_TIMEOUT_DEFAULT	300000	/* ms; RFC 5321 4.5.3.2.7 */
#define BIO_PRINTF_MAX		65536	/* longest bio_printf() result */

/* bio_getline() results. */
#define BIO_OK		1
#define BIO_EOF		0
#define BIO_ERR		(-1)
#define BIO_TOOLONG	(-2)

/* How a line ended (*eol_r). */
#define BIO_EOL_NONE	0
#define BIO_EOL_LF	1
#define BIO_EOL_CRLF	2

/* What ops return to ask for a poll. */
#define BIO_WANT_READ	(-2)
#define BIO_WANT_WRITE	(-3)

typedef ssize_t	(*bio_readfn)(void *ctx, void *buf, size_t n);
typedef ssize_t	(*bio_writefn)(void *ctx, const void *buf, size_t n);
typedef size_t	(*bio_pendingfn)(void *ctx);

/* rfd and wfd may be equal (a socket) or differ (fd 0 and 1, pipes). */
struct bio *bio_new(int rfd, int wfd);
void	bio_free(struct bio **);
void	bio_set_ops(struct bio *, void *ctx, bio_readfn, bio_writefn,
	    bio_pendingfn);
/* The ops in force (to stack a filter on them, as lib/bio_deflate does);
 * any pointer may be NULL. */
void	bio_get_ops(const struct bio *, void **ctx_r, bio_readfn *rf_r,
	    bio_writefn *wf_r, bio_pendingfn *pf_r);
/* Back to plain read()/write() on the descriptors. */
void	bio_set_fd_ops(struct bio *);
int	bio_rfd(const struct bio *);
int	bio_wfd(const struct bio *);

/* Milliseconds; 0 means no timeout. */
void	bio_set_timeout(struct bio *, int64_t read_ms, int64_t write_ms);
/* Session deadline: ms from now (0 removes it).  Bounds reads only. */
void	bio_set_session_timeout(struct bio *, int64_t ms);
/* True once the session deadline has passed. */
int	bio_session_expired(const struct bio *);

int	bio_getline(struct bio *, struct sbuf *line, size_t max, int *eol_r);
ssize_t	bio_read(struct bio *, void *buf, size_t n);
ssize_t	bio_read_full(struct bio *, void *buf, size_t n);
size_t	bio_pending(const struct bio *);
void	bio_discard_input(struct bio *);

int	bio_write(struct bio *, const void *buf, size_t n);
int	bio_puts(struct bio *, const char *s);
int	bio_printf(struct bio *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	bio_flush(struct bio *);
/* Bytes waiting in the output buffer. */
size_t	bio_out_pending(const struct bio *);

#endif
