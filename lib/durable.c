/* durable.c - fsync-ordered file and folder operations; see durable.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

#define DURABLE_PATH_MAX	4096	/* PATH_MAX on Linux */

static int
fchmod_or_unlink(int fd, int dirfd, const char *name, mode_t mode)
{
	int saved;

	if (fchmod(fd, mode) == 0)
		return fd;
	saved = errno;
	(void)close(fd);		/* nothing written yet */
	(void)unlinkat(dirfd, name, 0);	/* best effort: we made it */
	errno = saved;
	return -1;
}

int
durable_openat_excl(int dirfd, const char *name, mode_t mode)
{
	int fd;

	fd = openat(dirfd, name,
	    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
	    mode & 07777);
	if (fd < 0)
		return -1;
	return fchmod_or_unlink(fd, dirfd, name, mode & 07777);
}

int
durable_open_excl(const char *path, mode_t mode)
{
	return durable_openat_excl(AT_FDCWD, path, mode);
}

int
durable_fsync_dir(const char *path)
{
	int fd, r, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fsync(fd);
	saved = errno;
	(void)close(fd);	/* read-only descriptor */
	errno = saved;
	return r;
}

/* The folder part of path into dir: "." for "name", "/" for "/name". */
static int
parent_of(const char *path, struct sbuf *dir)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')	/* "a/b/" is in "a" too */
		n--;
	while (n > 0 && path[n - 1] != '/')
		n--;
	while (n > 1 && path[n - 1] == '/')
		n--;
	sbuf_reset(dir);
	if (n == 0)
		return sbuf_cat_s(dir, ".");
	return sbuf_cat_n(dir, path, n);
}

int
durable_fsync_parent(const char *path)
{
	struct sbuf dir;
	int r = -1;

	sbuf_init(&dir, DURABLE_PATH_MAX);
	if (parent_of(path, &dir) == 0)
		r = durable_fsync_dir(sbuf_str(&dir));
	sbuf_fini(&dir);
	return r;
}

int
durable_close_sync(int fd)
{
	int saved;

	if (fsync(fd) < 0) {
		saved = errno;
		(void)close(fd);	/* already failing; keep fsync's errno */
		errno = saved;
		return -1;
	}
	return close(fd);
}

/* Was the rename done between two files of the same folder? */
static int
same_parent(const char *a, const char *b, int *same_r)
{
	struct sbuf da, db;
	int r = -1;

	sbuf_init(&da, DURABLE_PATH_MAX);
	sbuf_init(&db, DURABLE_PATH_MAX);
	if (parent_of(a, &da) == 0 && parent_of(b, &db) == 0) {
		*same_r = da.len == db.len && memcmp(da.s, db.s, da.len) == 0;
		r = 0;
	}
	sbuf_fini(&da);
	sbuf_fini(&db);
	return r;
}

int
durable_rename_sync(const char *from, const char *to)
{
	int same;

	if (rename(from, to) < 0)
		return -1;
	if (durable_fsync_parent(to) < 0)
		return -1;
	if (same_parent(from, to, &same) < 0)
		return -1;
	if (!same && durable_fsync_parent(from) < 0)
		return -1;
	return 0;
}

int
durable_link_sync(const char *from, const char *to)
{
	if (link(from, to) < 0)
		return -1;
	return durable_fsync_parent(to);
}

int
durable_unlink_sync(const char *path)
{
	if (unlink(path) < 0)
		return -1;
	return durable_fsync_parent(path);
}

static int
write_tmp(const char *tmp, const void *data, size_t len, mode_t mode)
{
	int fd;

	if ((fd = durable_open_excl(tmp, mode)) < 0)
		return -1;
	if (io_write_full(fd, data, len) < 0) {
		int saved = errno;

		(void)close(fd);	/* failing anyway */
		errno = saved;
		return -1;
	}
	return durable_close_sync(fd);
}

int
durable_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	struct sbuf tmp;
	const char *t;
	int r = -1, saved;

	sbuf_init(&tmp, DURABLE_PATH_MAX);
	if (sbuf_printf(&tmp, "%s%s%ld", path, DURABLE_TMP_SUFFIX,
	    (long)getpid()) < 0 || (t = sbuf_str(&tmp)) == NULL)
		goto out;
	/* A leftover of a crashed process that had our pid is ours. */
	if (unlink(t) < 0 && errno != ENOENT)
		goto out;
	if (write_tmp(t, data, len, mode) < 0 ||
	    durable_rename_sync(t, path) < 0) {
		saved = errno;
		(void)unlink(t);	/* gone already if the rename worked */
		errno = saved;
		goto out;
	}
	r = 0;
out:
	sbuf_fini(&tmp);
	return r;
}

int
durable_mkdir_sync(const char *path, mode_t mode)
{
	struct stat st;

	if (mkdir(path, mode & 07777) < 0) {
		if (errno != EEXIST)
			return -1;
		if (stat(path, &st) < 0)
			return -1;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
	} else if (chmod(path, mode & 07777) < 0)
		return -1;
	return durable_fsync_parent(path);
}

int
durable_mkdirs_sync(const char *path, mode_t mode)
{
	struct sbuf p;
	struct stat st;
	size_t i, n = strlen(path);
	int r = -1;

	if (n == 0) {
		errno = ENOENT;
		return -1;
	}
	sbuf_init(&p, DURABLE_PATH_MAX);
	if (sbuf_cat_n(&p, path, n) < 0 || sbuf_nul(&p) < 0)
		goto out;
	/* Walk each prefix ending before a '/', then the whole path. */
	for (i = 1; i <= n; i++) {
		if (i < n && (p.s[i] != '/' || p.s[i - 1] == '/'))
			continue;
		if (i == n && n > 1 && p.s[n - 1] == '/')
			break;	/* trailing slash: already done */
		p.s[i] = '\0';
		if (stat(p.s, &st) == 0 && S_ISDIR(st.st_mode))
			r = 0;
		else
			r = durable_mkdir_sync(p.s, mode);
		if (i < n)
			p.s[i] = '/';
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	sbuf_fini(&p);
	return r;
}
