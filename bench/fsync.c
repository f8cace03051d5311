/*
 * fsync.c - the ceiling of any durable queue on this disk: how many files
 * per second survive the pattern a queue writer must follow before it may
 * answer 250 (create a temporary file with O_EXCL, write it, fsync it,
 * close it, rename it into place, fsync the folder).  Built and run by
 * bench/fsync; not part of the Makefile.
 *
 *   fsync DIR WORKERS SECONDS MAXFILES SIZE
 *
 * WORKERS processes each loop in DIR/wN/ until SECONDS have passed or
 * MAXFILES files (in total, split between the workers) are written, then
 * remove what they wrote.  Prints one line:
 *   workers=N files=F seconds=S files_per_s=R
 * Exit 0 on success, 111 on any system error (with a message on stderr).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long
number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "fsync: bad number: %s\n", s);
		exit(100);
	}
	return v;
}

static void
fail(const char *what, const char *path)
{
	fprintf(stderr, "fsync: %s %s: %s\n", what, path, strerror(errno));
	_exit(111);
}

/* Write one file durably: tmp/NAME, fsync, close, rename to new/NAME, fsync new/. */
static void
one_file(const char *dir, int newfd, long n, const char *data, size_t size)
{
	char tmp[PATH_MAX], dst[PATH_MAX];
	size_t off;
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%ld", dir, n) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/new/%ld", dir, n) >= (int)sizeof(dst)) {
		errno = ENAMETOOLONG;
		fail("path", dir);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		fail("open", tmp);
	for (off = 0; off < size; off += (size_t)w)
		if ((w = write(fd, data + off, size - off)) < 0) {
			if (errno == EINTR) {
				w = 0;
				continue;
			}
			fail("write", tmp);
		}
	if (fsync(fd) < 0)
		fail("fsync", tmp);
	if (close(fd) < 0)
		fail("close", tmp);
	if (rename(tmp, dst) < 0)
		fail("rename", tmp);
	if (fsync(newfd) < 0)
		fail("fsync", dir);
}

static void
sub(char *buf, size_t len, const char *a, const char *b)
{
	if (snprintf(buf, len, "%s/%s", a, b) >= (int)len) {
		errno = ENAMETOOLONG;
		fail("path", a);
	}
}

/* One worker: returns the number of files written through its exit status pipe. */
static long
worker(const char *top, int id, double deadline, long max, size_t size)
{
	char dir[PATH_MAX], p[PATH_MAX], name[32];
	char *data;
	long n;
	int newfd;

	snprintf(name, sizeof(name), "w%d", id);
	sub(dir, sizeof(dir), top, name);
	if (mkdir(dir, 0700) < 0)
		fail("mkdir", dir);
	sub(p, sizeof(p), dir, "tmp");
	if (mkdir(p, 0700) < 0)
		fail("mkdir", p);
	sub(p, sizeof(p), dir, "new");
	if (mkdir(p, 0700) < 0)
		fail("mkdir", p);
	if ((newfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		fail("open", p);
	if ((data = malloc(size)) == NULL)
		fail("malloc", dir);
	memset(data, 'x', size);
	for (n = 0; n < max && now() < deadline; n++)
		one_file(dir, newfd, n, data, size);
	free(data);
	close(newfd);
	return n;
}

static void
cleanup(const char *top, int id, long n)
{
	char p[PATH_MAX];
	long i;

	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/w%d/new/%ld", top, id, i);
		unlink(p);
	}
	snprintf(p, sizeof(p), "%s/w%d/new", top, id);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/w%d/tmp", top, id);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/w%d", top, id);
	rmdir(p);
}

int
main(int argc, char **argv)
{
	long workers, seconds, max, size, total = 0, n;
	int pfd[2], i, st, bad = 0;
	double t0, t1, deadline;
	pid_t pid;

	if (argc != 6) {
		fprintf(stderr, "usage: fsync DIR WORKERS SECONDS MAXFILES SIZE\n");
		return 100;
	}
	workers = number(argv[2], 1, 256);
	seconds = number(argv[3], 1, 600);
	max = number(argv[4], 1, 10000000);
	size = number(argv[5], 0, 64L << 20);
	if (pipe(pfd) < 0)
		fail("pipe", "");
	t0 = now();
	deadline = t0 + (double)seconds;
	for (i = 0; i < workers; i++) {
		if ((pid = fork()) < 0)
			fail("fork", "");
		if (pid == 0) {
			close(pfd[0]);
			n = worker(argv[1], i, deadline,
			    (max + workers - 1) / workers, (size_t)size);
			/* Report first: the clean-up is not timed. */
			if (write(pfd[1], &n, sizeof(n)) != (ssize_t)sizeof(n))
				_exit(111);
			cleanup(argv[1], i, n);
			_exit(0);
		}
	}
	close(pfd[1]);
	/* A worker that fails exits without reporting: read ends at EOF. */
	for (i = 0; i < workers; i++) {
		if (read(pfd[0], &n, sizeof(n)) != (ssize_t)sizeof(n)) {
			bad = 1;
			break;
		}
		total += n;
	}
	t1 = now();
	for (i = 0; i < workers; i++) {
		if (wait(&st) < 0)
			fail("wait", "");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	}
	if (bad) {
		fprintf(stderr, "fsync: a worker failed\n");
		return 111;
	}
	printf("workers=%ld files=%ld seconds=%.3f files_per_s=%.1f\n",
	    workers, total, t1 - t0, (double)total / (t1 - t0));
	return 0;
}
