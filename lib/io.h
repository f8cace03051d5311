/*
 * io.h - plain descriptor I/O: full reads and writes, small files, fd flags,
 * a monotonic clock and deadline-bounded waits.
 *
 * EINTR is handled here, once: every function retries an interrupted
 * system call itself (a wait recomputes its remaining time), so callers
 * never see EINTR.
 *
 * Deadlines are absolute times in milliseconds on the monotonic clock
 * (io_now_ms()); IO_NO_DEADLINE means "wait for ever".
 *
 * Return convention: counts or 0 on success, -1 with errno set.
 * io_read_full() returns fewer than n bytes only at end of file.
 * io_read_file() refuses a file larger than max with E2BIG (nothing is
 * truncated) and leaves the sbuf empty on any failure.
 * Ownership: the caller owns every descriptor and buffer passed in;
 * io_read_file() opens and closes its own descriptor.
 */
#ifndef TERN_IO_H
#define TERN_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sbuf;

#define IO_NO_DEADLINE	INT64_MAX

/* One read()/write(), retried on EINTR. */
ssize_t	io_read(int fd, void *buf, size_t n);
ssize_t	io_write(int fd, const void *buf, size_t n);
/* Loop until n bytes (or EOF for reads).  Returns bytes read / 0 written. */
ssize_t	io_read_full(int fd, void *buf, size_t n);
int	io_write_full(int fd, const void *buf, size_t n);
/* Read the whole file (or descriptor) into out (reset first), at most max
 * bytes (and never more than out->max): E2BIG if it is larger. */
int	io_read_file(const char *path, struct sbuf *out, size_t max);
int	io_read_fd(int fd, struct sbuf *out, size_t max);
/* Descriptor flags; on != 0 sets, 0 clears. */
int	io_set_nonblock(int fd, int on);
int	io_set_cloexec(int fd, int on);
/* close() that keeps errno and NULLs the descriptor (*fdp = -1); a no-op
 * for -1.  Returns close()'s result: check it after writing. */
int	io_close(int *fdp);
/* Monotonic milliseconds, and now + ms (saturating; ms < 0 means none). */
int64_t	io_now_ms(void);
int64_t	io_deadline_ms(int64_t ms);
/* poll() one descriptor for events (POLLIN/POLLOUT) until the deadline.
 * Returns 1 when ready (including POLLHUP/POLLERR: the next read or write
 * reports it), -1 with ETIMEDOUT when the deadline passes, -1 otherwise
 * (EBADF for an invalid descriptor). */
int	io_wait(int fd, short events, int64_t deadline);

/*
 * Put src[i] on descriptor dst[i] for each i (in a child before execve),
 * whatever the numbers: every source is first copied above every target,
 * so no dup2 overwrites a source still needed, and the copies onto the
 * targets have no close-on-exec flag (dup2 onto the same number would
 * keep it).  The temporary copies are close-on-exec.  0, or -1 with errno.
 */
int	io_fd_arrange(const int *src, const int *dst, size_t n);

#endif
