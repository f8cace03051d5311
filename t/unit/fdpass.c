/* Unit tests for lib/fdpass: descriptors over Unix sockets, and refusals
 * that must close what came with them. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "t/tap.h"

/* Open descriptors of this process. */
static int
nopen(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	(void)closedir(d);
	return n - 1;	/* the DIR's own */
}

static int
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static void
test_basic(int type)
{
	int sp[2], p[2], fds[FDPASS_MAX], got[FDPASS_MAX], i, before;
	const char *what = type == SOCK_STREAM ? "stream" : "seqpacket";
	char buf[16];
	size_t n;
	ssize_t r;

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sp) < 0 ||
	    pipe(p) < 0) {
		ok(0, "%s: socketpair", what);
		return;
	}
	/* One descriptor, then the order of several. */
	before = nopen();
	r = fdpass_send(sp[0], "M", 1, &p[0], 1, 0);
	is_int(r, 1, "one byte sent with a descriptor");
	r = fdpass_recv(sp[1], buf, sizeof buf, got, 1, &n, 0);
	ok(r == 1 && n == 1 && buf[0] == 'M', "%s: received one", what);
	ok(n == 1 && same_file(got[0], p[0]), "%s: the same pipe", what);
	ok(n == 1 && (fcntl(got[0], F_GETFD) & FD_CLOEXEC),
	    "%s: close-on-exec", what);
	if (n == 1)
		(void)close(got[0]);
	for (i = 0; i < FDPASS_MAX; i++)
		fds[i] = i % 2 ? p[1] : p[0];
	r = fdpass_send(sp[0], "ab", 2, fds, FDPASS_MAX, 0);
	r = fdpass_recv(sp[1], buf, sizeof buf, got, FDPASS_MAX, &n, 0);
	ok(r == 2 && n == FDPASS_MAX, "%s: %d descriptors", what, FDPASS_MAX);
	for (i = 0; i < (int)n; i++)
		if (!same_file(got[i], fds[i]))
			break;
	is_int(i, FDPASS_MAX, "in the order sent");
	for (i = 0; i < (int)n; i++)
		(void)close(got[i]);
	is_int(nopen(), before, "nothing leaked after the good ones");

	/* More than asked for: refused, all closed. */
	r = fdpass_send(sp[0], "x", 1, p, 2, 0);
	errno = 0;
	r = fdpass_recv(sp[1], buf, sizeof buf, got, 1, &n, 0);
	ok(r == -1 && errno == EPROTO && n == 0,
	    "%s: two when one was asked for: EPROTO", what);
	is_int(nopen(), before, "and both closed");

	/* None sent: a plain message. */
	r = fdpass_send(sp[0], "z", 1, NULL, 0, 0);
	r = fdpass_recv(sp[1], buf, sizeof buf, got, 2, &n, 0);
	ok(r == 1 && n == 0 && buf[0] == 'z', "%s: no descriptors", what);

	/* Argument checks. */
	errno = 0;
	ok(fdpass_send(sp[0], "", 0, p, 1, 0) == -1 && errno == EINVAL,
	    "%s: an empty send is EINVAL", what);
	errno = 0;
	ok(fdpass_send(sp[0], "x", 1, fds, FDPASS_MAX + 1, 0) == -1 &&
	    errno == EINVAL, "%s: too many to send is EINVAL", what);

	if (type == SOCK_SEQPACKET) {
		/* A packet longer than the buffer: EMSGSIZE, closed. */
		r = fdpass_send(sp[0], "0123456789", 10, p, 1, 0);
		errno = 0;
		r = fdpass_recv(sp[1], buf, 4, got, 1, &n, 0);
		ok(r == -1 && errno == EMSGSIZE, "packet too long: EMSGSIZE");
		is_int(nopen(), before, "its descriptor closed");
	}

	/* Credentials are not descriptors: refused. */
	i = 1;
	if (setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &i, sizeof i) == 0) {
		r = fdpass_send(sp[0], "c", 1, p, 1, 0);
		errno = 0;
		r = fdpass_recv(sp[1], buf, sizeof buf, got, 2, &n, 0);
		ok(r == -1 && errno == EPROTO, "%s: credentials: EPROTO",
		    what);
		is_int(nopen(), before, "its descriptor closed");
		i = 0;
		(void)setsockopt(sp[1], SOL_SOCKET, SO_PASSCRED, &i, sizeof i);
	} else {
		skip(2, "no SO_PASSCRED");
	}

	/* End of file. */
	(void)close(sp[0]);
	r = fdpass_recv(sp[1], buf, sizeof buf, got, 1, &n, 0);
	ok(r == 0 && n == 0, "%s: end of file is 0", what);
	errno = 0;
	ok(fdpass_send(sp[1], "x", 1, p, 1, 0) == -1 && errno == EPIPE,
	    "%s: a closed peer is EPIPE, no signal", what);
	(void)close(sp[1]);
	(void)close(p[0]);
	(void)close(p[1]);
}

int
main(void)
{
	test_basic(SOCK_STREAM);
	test_basic(SOCK_SEQPACKET);
	return done_testing();
}
