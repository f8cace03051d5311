/* sv_lock.c - run_dir/supervise.lock (flock) and run_dir/supervise.pid. */
#include <sys/file.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"

#include "supervise/supervise.h"

static int
path(char *buf, size_t size, const char *dir, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Write the pid file: temp file, fsync, rename (readers never see half). */
static int
write_pid(const char *dir)
{
	char tmp[4096], dst[4096], line[32];
	int fd, n;

	if (path(tmp, sizeof tmp, dir, "supervise.pid.tmp") < 0 ||
	    path(dst, sizeof dst, dir, "supervise.pid") < 0)
		return -1;
	n = snprintf(line, sizeof line, "%ld\n", (long)getpid());
	if (n < 0)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
	    0644);
	if (fd < 0)
		return -1;
	if (fchmod(fd, 0644) < 0 || write(fd, line, (size_t)n) != n ||
	    fsync(fd) < 0) {
		(void)close(fd);	/* already failing */
		(void)unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, dst) < 0) {
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

/*
 * Take the lock on run_dir (created if missing).  Returns 0 with the lock
 * descriptor, -1 with errno EWOULDBLOCK when another supervisor holds it.
 */
int
sv_lock(const char *run_dir, int *fd_r)
{
	char p[4096];
	int fd;

	if (mkdir(run_dir, 0755) < 0 && errno != EEXIST)
		return -1;
	if (path(p, sizeof p, run_dir, "supervise.lock") < 0)
		return -1;
	fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;

		(void)close(fd);	/* never written */
		errno = e == EWOULDBLOCK ? EWOULDBLOCK : e;
		return -1;
	}
	if (write_pid(run_dir) < 0) {
		int e = errno;

		(void)close(fd);	/* never written */
		errno = e;
		return -1;
	}
	*fd_r = fd;
	return 0;
}

void
sv_unlock(const char *run_dir, int fd)
{
	char p[4096];

	if (path(p, sizeof p, run_dir, "supervise.pid") == 0 &&
	    unlink(p) < 0 && errno != ENOENT)
		log_warn_sys("unlink %s", p);
	if (fd >= 0 && close(fd) < 0)
		log_warn_sys("close lock");
}
