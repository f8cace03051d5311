/* Unit tests for lib/io. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
test_full(void)
{
	int sp[2];
	char buf[64];
	size_t big = 1 << 20, i;
	char *data = malloc(big), *got = malloc(big);
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0) {
		ok(0, "socketpair");
		return;
	}
	for (i = 0; i < big; i++)
		data[i] = (char)(i ^ (i >> 9));
	pid = fork();
	if (pid == 0) {
		(void)close(sp[0]);
		_exit(io_write_full(sp[1], data, big) < 0);
	}
	(void)close(sp[1]);
	is_int(io_read_full(sp[0], got, big), (long long)big,
	    "read_full gets 1 MB across short reads");
	is_mem(got, big, data, big, "same bytes");
	is_int(io_read_full(sp[0], buf, sizeof buf), 0, "then EOF");
	(void)close(sp[0]);
	(void)waitpid(pid, NULL, 0);
	free(data);
	free(got);
}

static void
test_file(void)
{
	char path[] = "/tmp/tern-io-XXXXXX";
	struct sbuf s;
	int fd = mkstemp(path);

	sbuf_init(&s, 100);
	is_int(io_write_full(fd, "0123456789", 10), 0, "write file");
	(void)close(fd);
	is_int(io_read_file(path, &s, 10), 0, "read file of exactly max");
	is_mem(s.s, s.len, "0123456789", 10, "content");
	errno = 0;
	is_int(io_read_file(path, &s, 9), -1, "file over max refused");
	is_int(errno, E2BIG, "E2BIG");
	is_int((long long)s.len, 0, "sbuf left empty");
	sbuf_fini(&s);
	sbuf_init(&s, 5);
	is_int(io_read_file(path, &s, 100), -1, "sbuf max is a limit too");
	sbuf_fini(&s);
	sbuf_init(&s, 100);
	errno = 0;
	is_int(io_read_file("/nonexistent/x", &s, 100), -1, "missing file");
	is_int(errno, ENOENT, "ENOENT");
	sbuf_fini(&s);
	(void)unlink(path);
}

static void
test_flags(void)
{
	int p[2], fd;

	if (pipe(p) < 0) {
		ok(0, "pipe");
		return;
	}
	is_int(io_set_nonblock(p[0], 1), 0, "set nonblock");
	ok(fcntl(p[0], F_GETFL) & O_NONBLOCK, "is nonblocking");
	errno = 0;
	is_int(io_read(p[0], &fd, 1), -1, "empty nonblocking read");
	is_int(errno, EAGAIN, "EAGAIN");
	is_int(io_set_nonblock(p[0], 0), 0, "clear nonblock");
	ok(!(fcntl(p[0], F_GETFL) & O_NONBLOCK), "is blocking");
	is_int(io_set_cloexec(p[1], 1), 0, "set cloexec");
	ok(fcntl(p[1], F_GETFD) & FD_CLOEXEC, "is cloexec");
	errno = 0;
	is_int(io_wait(p[0], POLLIN, io_deadline_ms(100)), -1, "wait times out");
	is_int(errno, ETIMEDOUT, "ETIMEDOUT");
	is_int(io_write_full(p[1], "x", 1), 0, "write a byte");
	is_int(io_wait(p[0], POLLIN, IO_NO_DEADLINE), 1, "then readable");
	fd = p[0];
	is_int(io_close(&fd), 0, "io_close");
	is_int(fd, -1, "NULLs the descriptor");
	is_int(io_close(&fd), 0, "io_close of -1 is a no-op");
	errno = 0;
	is_int(io_wait(p[0], POLLIN, IO_NO_DEADLINE), -1, "wait on closed fd");
	is_int(errno, EBADF, "EBADF");
	(void)close(p[1]);
	ok(io_deadline_ms(-1) == IO_NO_DEADLINE, "negative ms: no deadline");
	ok(io_deadline_ms(INT64_MAX) == IO_NO_DEADLINE, "huge ms saturates");
}

/* io_fd_arrange: a swap, and a source already on its target with O_CLOEXEC. */
static void
test_arrange(void)
{
	struct stat a, b, x, y;
	int fa, fb, src[2], dst[2], flags;

	fa = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fb = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fa < 0 || fb < 0 || fstat(fa, &a) < 0 || fstat(fb, &b) < 0) {
		ok(0, "arrange set-up");
		return;
	}
	src[0] = fb; src[1] = fa; dst[0] = fa; dst[1] = fb;
	is_int(io_fd_arrange(src, dst, 2), 0, "arrange a swap");
	ok(fstat(fa, &x) == 0 && fstat(fb, &y) == 0 && x.st_ino == b.st_ino &&
	    y.st_ino == a.st_ino, "the two descriptors swapped");
	flags = fcntl(fa, F_GETFD);
	ok(flags >= 0 && !(flags & FD_CLOEXEC), "targets lose close-on-exec");
	src[0] = fa; dst[0] = fa;
	(void)fcntl(fa, F_SETFD, FD_CLOEXEC);
	is_int(io_fd_arrange(src, dst, 1), 0, "arrange onto itself");
	flags = fcntl(fa, F_GETFD);
	ok(flags >= 0 && !(flags & FD_CLOEXEC), "even then close-on-exec is cleared");
	close(fa);
	close(fb);
}

int
main(void)
{
	test_full();
	test_file();
	test_flags();
	test_arrange();
	return done_testing();
}
