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

static void
atomic_clear(struct durable_atomic *a)
{
	mem_free(&a->path);
	mem_free(&a->tmp);
	a->fd = -1;
}

int
durable_atomic_open(struct durable_atomic *a, const char *path, mode_t mode)
{
	struct sbuf tmp;
	int saved;

	a->fd = -1;
	a->path = a->tmp = NULL;
	sbuf_init(&tmp, DURABLE_PATH_MAX);
	if (sbuf_printf(&tmp, "%s%s%ld", path, DURABLE_TMP_SUFFIX,
	    (long)getpid()) < 0 || sbuf_nul(&tmp) < 0)
		goto fail;
	a->tmp = tmp.s;		/* the sbuf's bytes change owner */
	tmp.s = NULL;
	if ((a->path = mem_strdup(path)) == NULL)
		goto fail;
	/* A leftover of a crashed process that had our pid is ours. */
	if (unlink(a->tmp) < 0 && errno != ENOENT)
		goto fail;
	if ((a->fd = durable_open_excl(a->tmp, mode)) < 0)
		goto fail;
	return 0;
fail:
	saved = errno;
	sbuf_fini(&tmp);
	atomic_clear(a);
	errno = saved;
	return -1;
}

void
durable_atomic_abort(struct durable_atomic *a)
{
	int saved = errno;

	if (a->fd >= 0)
		(void)close(a->fd);	/* abandoning the data */
	if (a->tmp != NULL)
		(void)unlink(a->tmp);	/* best effort */
	atomic_clear(a);
	errno = saved;
}

int
durable_atomic_commit(struct durable_atomic *a)
{
	int fd = a->fd, saved;

	if (fd < 0 || a->tmp == NULL || a->path == NULL) {
		errno = EBADF;
		return -1;
	}
	a->fd = -1;
	if (durable_close_sync(fd) < 0 || rename(a->tmp, a->path) < 0) {
		saved = errno;
		durable_atomic_abort(a);
		errno = saved;
		return -1;
	}
	/* Renamed: the temp name is gone; only durability is left. */
	saved = durable_fsync_parent(a->path);
	atomic_clear(a);
	return saved;
}

int
durable_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode)
{
	struct durable_atomic a;
	int saved;

	if (durable_atomic_open(&a, path, mode) < 0)
		return -1;
	if (io_write_full(a.fd, data, len) < 0) {
		saved = errno;
		durable_atomic_abort(&a);
		errno = saved;
		return -1;
	}
	return durable_atomic_commit(&a);
}

/* chmod the folder we just made, never through a symlink swapped in. */
static int
chmod_nofollow(const char *path, mode_t mode)
{
	int fd, r, saved;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	r = fchmod(fd, mode);
	saved = errno;
	(void)close(fd);	/* read-only descriptor */
	errno = saved;
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
	} else if (chmod_nofollow(path, mode & 07777) < 0)
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
