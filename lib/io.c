/* io.c - descriptor I/O with EINTR handled once; see io.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/sbuf.h"

#define IO_CHUNK	65536	/* read size used by io_read_fd */

ssize_t
io_read(int fd, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
io_write(int fd, const void *buf, size_t n)
{
	ssize_t r;

	do
		r = write(fd, buf, n);
	while (r < 0 && errno == EINTR);
	return r;
}

ssize_t
io_read_full(int fd, void *buf, size_t n)
{
	char *p = buf;
	size_t got = 0;
	ssize_t r;

	if (n > SSIZE_MAX) {
		errno = EINVAL;
		return -1;
	}
	while (got < n) {
		r = io_read(fd, p + got, n - got);
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

int
io_write_full(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = io_write(fd, p, n);
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

int
io_read_fd(int fd, struct sbuf *out, size_t max)
{
	size_t want;
	ssize_t r;
	int saved;

	sbuf_reset(out);
	if (max > out->max)
		max = out->max;
	for (;;) {
		want = max - out->len;
		if (want == 0) {
			/* Full: one more byte means the file is too large. */
			char probe;

			r = io_read(fd, &probe, 1);
			if (r < 0)
				goto fail;
			if (r > 0) {
				errno = E2BIG;
				goto fail;
			}
			break;
		}
		if (want > IO_CHUNK)
			want = IO_CHUNK;
		if (sbuf_reserve(out, want) < 0)
			goto fail;
		r = io_read(fd, out->s + out->len, want);
		if (r < 0)
			goto fail;
		if (r == 0)
			break;
		out->len += (size_t)r;
		out->s[out->len] = '\0';
	}
	return 0;
fail:
	saved = errno;
	sbuf_reset(out);
	errno = saved;
	return -1;
}

int
io_read_file(const char *path, struct sbuf *out, size_t max)
{
	int fd, r, saved;

	sbuf_reset(out);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	r = io_read_fd(fd, out, max);
	saved = errno;
	(void)close(fd);	/* read-only: nothing to lose */
	errno = saved;
	return r;
}

static int
io_set_flag(int fd, int get, int set, int flag, int on)
{
	int fl = fcntl(fd, get);

	if (fl < 0)
		return -1;
	if (on)
		fl |= flag;
	else
		fl &= ~flag;
	return fcntl(fd, set, fl) < 0 ? -1 : 0;
}

int
io_set_nonblock(int fd, int on)
{
	return io_set_flag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on);
}

int
io_set_cloexec(int fd, int on)
{
	return io_set_flag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on);
}

int
io_close(int *fdp)
{
	int r;

	if (*fdp < 0)
		return 0;
	/* Linux releases the descriptor even when close() fails: no retry. */
	r = close(*fdp);
	*fdp = -1;
	return r;
}

int64_t
io_now_ms(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail with a valid pointer on Linux. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
io_deadline_ms(int64_t ms)
{
	int64_t now = io_now_ms();

	if (ms < 0 || ms >= IO_NO_DEADLINE - now)
		return IO_NO_DEADLINE;
	return now + ms;
}

int
io_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd;
	int64_t left;
	int timeout, r;

	for (;;) {
		if (deadline == IO_NO_DEADLINE)
			timeout = -1;
		else {
			left = deadline - io_now_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return -1;
			}
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			continue;	/* the top of the loop decides */
		if (pfd.revents & POLLNVAL) {
			errno = EBADF;
			return -1;
		}
		return 1;
	}
}

#define IO_ARRANGE_MAX	8

int
io_fd_arrange(const int *src, const int *dst, size_t n)
{
	int tmp[IO_ARRANGE_MAX], floor = 0;
	size_t i;

	if (n > IO_ARRANGE_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++)
		if (dst[i] >= floor)
			floor = dst[i] + 1;
	for (i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, floor)) < 0)
			return -1;
	for (i = 0; i < n; i++)
		if (dup2(tmp[i], dst[i]) < 0)
			return -1;
	return 0;
}
