/* bio.c - buffered descriptor I/O with deadlines; see bio.h. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

struct bio {
	int		 rfd, wfd;
	int		 rsock, wsock;	/* -1 unknown, 0 no, 1 socket */
	void		*ctx;
	bio_readfn	 readfn;
	bio_writefn	 writefn;
	bio_pendingfn	 pendingfn;
	int64_t		 read_ms, write_ms;
	int64_t		 session_deadline;
	char		*ibuf;
	size_t		 ioff, ilen;	/* unread input: ibuf[ioff, ioff+ilen) */
	char		*obuf;
	size_t		 olen;
	size_t		 ihw, ohw;	/* bytes of ibuf/obuf ever written:
					 * what bio_free wipes */
	int		 werr;		/* sticky output errno, 0 if none */
};

/* Default ops: the descriptors.  Sockets use MSG_DONTWAIT (and
 * MSG_NOSIGNAL) so a blocking socket cannot outlive the deadline. */
static ssize_t
fd_read(void *ctx, void *buf, size_t n)
{
	struct bio *b = ctx;
	ssize_t r;

	for (;;) {
		if (b->rsock != 0) {
			r = recv(b->rfd, buf, n, MSG_DONTWAIT);
			if (r < 0 && errno == ENOTSOCK) {
				b->rsock = 0;
				continue;
			}
			b->rsock = 1;
		} else
			r = read(b->rfd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

/*
 * A pipe or other non-socket descriptor: write only when poll says it is
 * writable, and at most PIPE_BUF bytes, so even a blocking pipe does not
 * block (POSIX: a writable pipe takes PIPE_BUF bytes); otherwise report
 * EAGAIN and let bio wait within the deadline.
 */
static ssize_t
fd_write_plain(int fd, const void *buf, size_t n)
{
	struct pollfd pfd;
	int r;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	pfd.revents = 0;
	r = poll(&pfd, 1, 0);
	if (r < 0)
		return -1;
	if (r == 0) {
		errno = EAGAIN;
		return -1;
	}
	if (pfd.revents & POLLNVAL) {
		errno = EBADF;
		return -1;
	}
	return write(fd, buf, n > PIPE_BUF ? PIPE_BUF : n);
}

static ssize_t
fd_write(void *ctx, const void *buf, size_t n)
{
	struct bio *b = ctx;
	ssize_t r;

	for (;;) {
		if (b->wsock != 0) {
			r = send(b->wfd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r < 0 && errno == ENOTSOCK) {
				b->wsock = 0;
				continue;
			}
			b->wsock = 1;
		} else
			r = fd_write_plain(b->wfd, buf, n);
		if (r < 0 && errno == EINTR)
			continue;
		return r;
	}
}

struct bio *
bio_new(int rfd, int wfd)
{
	struct bio *b;

	if ((b = mem_alloc(1, sizeof *b)) == NULL)
		return NULL;
	/* Not zeroed: only what was written is ever read, and zeroing
	 * touched all 32 KiB, a page fault each (a copy-on-write one in a
	 * forked session process) for pages a short session never uses. */
	b->ibuf = mem_realloc(NULL, BIO_BUFSIZE, 1);
	b->obuf = mem_realloc(NULL, BIO_BUFSIZE, 1);
	if (b->ibuf == NULL || b->obuf == NULL) {
		free(b->ibuf);
		free(b->obuf);
		free(b);
		errno = ENOMEM;
		return NULL;
	}
	b->rfd = rfd;
	b->wfd = wfd;
	b->read_ms = BIO_TIMEOUT_DEFAULT;
	b->write_ms = BIO_TIMEOUT_DEFAULT;
	b->session_deadline = IO_NO_DEADLINE;
	bio_set_fd_ops(b);
	return b;
}

void
bio_free(struct bio **bp)
{
	struct bio *b = *bp;

	if (b == NULL)
		return;
	/* The input may hold session secrets (AUTH lines): wipe what was
	 * ever written (all of it: the rest was never touched). */
	explicit_bzero(b->ibuf, b->ihw);
	explicit_bzero(b->obuf, b->ohw);
	free(b->ibuf);
	free(b->obuf);
	free(b);
	*bp = NULL;
}

void
bio_set_ops(struct bio *b, void *ctx, bio_readfn rf, bio_writefn wf,
    bio_pendingfn pf)
{
	b->ctx = ctx;
	b->readfn = rf;
	b->writefn = wf;
	b->pendingfn = pf;
}

void
bio_get_ops(const struct bio *b, void **ctx_r, bio_readfn *rf_r,
    bio_writefn *wf_r, bio_pendingfn *pf_r)
{
	if (ctx_r != NULL)
		*ctx_r = b->ctx;
	if (rf_r != NULL)
		*rf_r = b->readfn;
	if (wf_r != NULL)
		*wf_r = b->writefn;
	if (pf_r != NULL)
		*pf_r = b->pendingfn;
}

void
bio_set_fd_ops(struct bio *b)
{
	b->rsock = b->wsock = -1;
	bio_set_ops(b, b, fd_read, fd_write, NULL);
}

int
bio_rfd(const struct bio *b)
{
	return b->rfd;
}

int
bio_wfd(const struct bio *b)
{
	return b->wfd;
}

void
bio_set_timeout(struct bio *b, int64_t read_ms, int64_t write_ms)
{
	b->read_ms = read_ms;
	b->write_ms = write_ms;
}

void
bio_set_session_timeout(struct bio *b, int64_t ms)
{
	b->session_deadline = ms > 0 ? io_deadline_ms(ms) : IO_NO_DEADLINE;
}

int
bio_session_expired(const struct bio *b)
{
	return b->session_deadline != IO_NO_DEADLINE &&
	    io_now_ms() >= b->session_deadline;
}

static int64_t
read_deadline(const struct bio *b)
{
	int64_t d = b->read_ms > 0 ? io_deadline_ms(b->read_ms) :
	    IO_NO_DEADLINE;

	return d < b->session_deadline ? d : b->session_deadline;
}

static int64_t
write_deadline(const struct bio *b)
{
	return b->write_ms > 0 ? io_deadline_ms(b->write_ms) : IO_NO_DEADLINE;
}

/* Wait for fd (none for a memory-backed bio with fd < 0). */
static int
bio_wait(int fd, short ev, int64_t deadline)
{
	if (fd < 0) {
		if (deadline != IO_NO_DEADLINE && io_now_ms() >= deadline) {
			errno = ETIMEDOUT;
			return -1;
		}
		return 0;
	}
	return io_wait(fd, ev, deadline) < 0 ? -1 : 0;
}

/* Refill the empty input buffer.  Returns bytes, 0 at EOF, -1. */
static ssize_t
bio_fill(struct bio *b, int64_t deadline)
{
	int need_poll, fd = b->rfd;
	short ev = POLLIN;
	ssize_t r;

	if (b->ilen > 0)
		return (ssize_t)b->ilen;
	b->ioff = 0;
	need_poll = b->pendingfn == NULL || b->pendingfn(b->ctx) == 0;
	for (;;) {
		if (need_poll && bio_wait(fd, ev, deadline) < 0)
			return -1;
		r = b->readfn(b->ctx, b->ibuf, BIO_BUFSIZE);
		if (r >= 0) {
			if ((size_t)r > BIO_BUFSIZE) {
				errno = EIO;
				return -1;
			}
			b->ilen = (size_t)r;
			if (b->ihw < (size_t)r)
				b->ihw = (size_t)r;
			return r;
		}
		need_poll = 1;
		if (r == BIO_WANT_READ ||
		    (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
			ev = POLLIN;
			fd = b->rfd;
		} else if (r == BIO_WANT_WRITE) {
			ev = POLLOUT;
			fd = b->wfd;
		} else if (r == -1 && errno == EINTR)
			need_poll = 0;
		else {
			if (r != -1)
				errno = EIO;
			return -1;
		}
	}
}

static void
bio_consume(struct bio *b, size_t n)
{
	b->ioff += n;
	b->ilen -= n;
	if (b->ilen == 0)
		b->ioff = 0;
}

/* Keep at most max bytes of the line; past that only note it. */
static int
line_add(struct sbuf *line, size_t max, const char *p, size_t k, int *toolong)
{
	size_t room;

	if (*toolong)
		return 0;
	room = max - line->len;
	if (k > room) {
		k = room;
		*toolong = 1;
	}
	return k > 0 ? sbuf_cat_n(line, p, k) : 0;
}

static int
line_done(int toolong)
{
	if (toolong) {
		errno = EMSGSIZE;
		return BIO_TOOLONG;
	}
	return BIO_OK;
}

int
bio_getline(struct bio *b, struct sbuf *line, size_t max, int *eol_r)
{
	int64_t deadline = read_deadline(b);
	int held_cr = 0, toolong = 0, got = 0, eol;
	const char *p, *nl;
	size_t n, seg, k;
	ssize_t r;

	sbuf_reset(line);
	*eol_r = BIO_EOL_NONE;
	if (max > line->max) {
		errno = E2BIG;
		return BIO_ERR;
	}
	for (;;) {
		if (b->ilen == 0) {
			if ((r = bio_fill(b, deadline)) < 0)
				return BIO_ERR;
			if (r == 0) {
				if (!got)
					return BIO_EOF;
				if (held_cr &&
				    line_add(line, max, "\r", 1, &toolong) < 0)
					return BIO_ERR;
				return line_done(toolong);
			}
		}
		got = 1;
		p = b->ibuf + b->ioff;
		n = b->ilen;
		nl = memchr(p, '\n', n);
		seg = nl != NULL ? (size_t)(nl - p) : n;
		if (held_cr) {
			held_cr = 0;
			if (nl != NULL && seg == 0) {
				bio_consume(b, 1);
				*eol_r = BIO_EOL_CRLF;
				return line_done(toolong);
			}
			if (line_add(line, max, "\r", 1, &toolong) < 0)
				return BIO_ERR;
		}
		if (nl != NULL) {
			k = seg;
			eol = BIO_EOL_LF;
			if (k > 0 && p[k - 1] == '\r') {
				k--;
				eol = BIO_EOL_CRLF;
			}
			if (line_add(line, max, p, k, &toolong) < 0)
				return BIO_ERR;
			bio_consume(b, seg + 1);
			*eol_r = eol;
			return line_done(toolong);
		}
		k = n;
		if (p[n - 1] == '\r') {
			k--;
			held_cr = 1;
		}
		if (line_add(line, max, p, k, &toolong) < 0)
			return BIO_ERR;
		bio_consume(b, n);
	}
}

static ssize_t
bio_read_dl(struct bio *b, void *buf, size_t n, int64_t deadline)
{
	ssize_t r;

	if (n == 0)
		return 0;
	if (b->ilen == 0 && (r = bio_fill(b, deadline)) <= 0)
		return r;
	if (n > b->ilen)
		n = b->ilen;
	memcpy(buf, b->ibuf + b->ioff, n);
	bio_consume(b, n);
	return (ssize_t)n;
}

ssize_t
bio_read(struct bio *b, void *buf, size_t n)
{
	if (n > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	return bio_read_dl(b, buf, n, read_deadline(b));
}

ssize_t
bio_read_full(struct bio *b, void *buf, size_t n)
{
	int64_t deadline = read_deadline(b);
	char *p = buf;
	size_t got = 0;
	ssize_t r;

	if (n > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (got < n) {
		r = bio_read_dl(b, p + got, n - got, deadline);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

size_t
bio_pending(const struct bio *b)
{
	size_t n = b->ilen;

	if (b->pendingfn != NULL)
		n += b->pendingfn(b->ctx);
	return n;
}

void
bio_discard_input(struct bio *b)
{
	b->ioff = b->ilen = 0;
}

/* Write all n bytes through the ops before the deadline. */
static int
bio_write_out(struct bio *b, const char *p, size_t n, int64_t deadline)
{
	short ev;
	int fd;
	ssize_t r;

	while (n > 0) {
		r = b->writefn(b->ctx, p, n);
		if (r > 0) {
			if ((size_t)r > n) {
				errno = EIO;
				return -1;
			}
			p += r;
			n -= (size_t)r;
			continue;
		}
		if (r == BIO_WANT_WRITE ||
		    (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))) {
			ev = POLLOUT;
			fd = b->wfd;
		} else if (r == BIO_WANT_READ) {
			ev = POLLIN;
			fd = b->rfd;
		} else if (r == -1 && errno == EINTR)
			continue;
		else {
			if (r != -1)
				errno = EIO;	/* 0 bytes written: no progress */
			return -1;
		}
		if (bio_wait(fd, ev, deadline) < 0)
			return -1;
	}
	return 0;
}

static int
bio_failed(const struct bio *b)
{
	if (b->werr != 0) {
		errno = b->werr;
		return 1;
	}
	return 0;
}

int
bio_flush(struct bio *b)
{
	if (bio_failed(b))
		return -1;
	if (b->olen == 0)
		return 0;
	if (bio_write_out(b, b->obuf, b->olen, write_deadline(b)) < 0) {
		b->werr = errno;
		return -1;
	}
	b->olen = 0;
	return 0;
}

int
bio_write(struct bio *b, const void *buf, size_t n)
{
	if (bio_failed(b))
		return -1;
	if (n <= BIO_BUFSIZE - b->olen) {
		memcpy(b->obuf + b->olen, buf, n);
		b->olen += n;
		if (b->ohw < b->olen)
			b->ohw = b->olen;
		return 0;
	}
	if (bio_flush(b) < 0)
		return -1;
	if (n <= BIO_BUFSIZE) {
		memcpy(b->obuf, buf, n);
		b->olen = n;
		if (b->ohw < b->olen)
			b->ohw = b->olen;
		return 0;
	}
	if (bio_write_out(b, buf, n, write_deadline(b)) < 0) {
		b->werr = errno;
		return -1;
	}
	return 0;
}

int
bio_puts(struct bio *b, const char *s)
{
	return bio_write(b, s, strlen(s));
}

static int bio_vprintf_big(struct bio *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static int
bio_vprintf_big(struct bio *b, const char *fmt, va_list ap)
{
	struct sbuf s;
	int r;

	sbuf_init(&s, BIO_PRINTF_MAX);
	r = sbuf_vprintf(&s, fmt, ap);
	if (r == 0)
		r = bio_write(b, s.s, s.len);
	sbuf_fini(&s);
	return r;
}

int
bio_printf(struct bio *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (bio_failed(b))
		return -1;
	room = BIO_BUFSIZE - b->olen;
	va_start(ap, fmt);
	n = vsnprintf(b->obuf + b->olen, room, fmt, ap);
	va_end(ap);
	/* vsnprintf may have written up to room bytes, the NUL too. */
	if (n < 0 || (size_t)n >= room)
		b->ohw = BIO_BUFSIZE;
	else if (b->ohw < b->olen + (size_t)n + 1)
		b->ohw = b->olen + (size_t)n + 1;
	if (n < 0) {
		errno = EINVAL;
		return -1;
	}
	if ((size_t)n < room) {
		b->olen += (size_t)n;
		return 0;
	}
	/* Did not fit: the bytes after olen are scratch, nothing committed. */
	if ((size_t)n < BIO_BUFSIZE) {
		if (bio_flush(b) < 0)
			return -1;
		va_start(ap, fmt);
		n = vsnprintf(b->obuf, BIO_BUFSIZE, fmt, ap);
		va_end(ap);
		b->ohw = BIO_BUFSIZE;	/* the first try may have filled it */
		if (n < 0 || (size_t)n >= BIO_BUFSIZE) {
			errno = EINVAL;
			return -1;
		}
		b->olen = (size_t)n;
		return 0;
	}
	va_start(ap, fmt);
	n = bio_vprintf_big(b, fmt, ap);
	va_end(ap);
	return n;
}

size_t
bio_out_pending(const struct bio *b)
{
	return b->olen;
}
