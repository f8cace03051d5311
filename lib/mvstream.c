/* mvstream.c - a Maildir as one byte stream; see mvstream.h. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/mem.h"
#include "lib/mvstream.h"
#include "lib/scan.h"

#define COPY_BUF	65536

/* ---- sending ---------------------------------------------------------- */

struct sender {
	int			 out;
	dev_t			 dev;
	struct mvstream_stats	*st;
	char			 path[MVSTREAM_PATH_MAX + 1];
	char			 buf[COPY_BUF];
};

static int
put_header(struct sender *s, const char *hdr, int n)
{
	if (n < 0 || n >= MVSTREAM_HEADER_MAX)
		return (errno = EOVERFLOW, -1);
	if (io_write_full(s->out, hdr, (size_t)n) < 0 ||
	    io_write_full(s->out, s->path, strlen(s->path)) < 0)
		return -1;
	return 0;
}

static int
send_file(struct sender *s, int dirfd, const char *name)
{
	char hdr[MVSTREAM_HEADER_MAX];
	struct stat st;
	uint64_t left;
	ssize_t n;
	int fd, saved;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;	/* expunged meanwhile */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size > MVSTREAM_FILE_MAX) {
		saved = S_ISREG(st.st_mode) ? EFBIG : 0;
		(void)close(fd);	/* read-only */
		if (saved == 0)
			return 0;	/* not a regular file: left out */
		return (errno = saved, -1);
	}
	if (put_header(s, hdr, snprintf(hdr, sizeof hdr,
	    "F %o %lld %ld %llu %zu\n", (unsigned)(st.st_mode & 07777),
	    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec,
	    (unsigned long long)st.st_size, strlen(s->path))) < 0)
		goto fail;
	for (left = (uint64_t)st.st_size; left > 0; left -= (uint64_t)n) {
		n = io_read(fd, s->buf, left < sizeof s->buf ? (size_t)left :
		    sizeof s->buf);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;	/* shrank under us */
			goto fail;
		}
		if (io_write_full(s->out, s->buf, (size_t)n) < 0)
			goto fail;
	}
	(void)close(fd);	/* read-only */
	s->st->files++;
	s->st->bytes += (uint64_t)st.st_size;
	return 0;
fail:
	saved = errno;
	(void)close(fd);
	errno = saved;
	return -1;
}

static int send_dir(struct sender *, int, unsigned, int);

/* One entry of a directory whose path is s->path (len bytes). */
static int
send_entry(struct sender *s, int dirfd, const char *name, size_t len,
    unsigned depth, int is_tmp)
{
	struct stat st;
	size_t nl = strlen(name);
	int fd, r;

	if (len + (len > 0) + nl > MVSTREAM_PATH_MAX)
		return (errno = ENAMETOOLONG, -1);
	if (len > 0)
		s->path[len] = '/';
	memcpy(s->path + len + (len > 0), name, nl + 1);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		r = errno == ENOENT ? 0 : -1;
	else if (S_ISDIR(st.st_mode) && st.st_dev == s->dev) {
		if ((fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			r = -1;
		else {
			r = send_dir(s, fd, depth + 1, strcmp(name, "tmp") == 0);
			(void)close(fd);	/* read-only */
		}
	} else if (S_ISREG(st.st_mode) && !is_tmp)
		r = send_file(s, dirfd, name);
	else
		r = 0;		/* tmp/ contents, links, devices: left out */
	s->path[len] = '\0';
	return r;
}

static int
send_dir(struct sender *s, int fd, unsigned depth, int is_tmp)
{
	char hdr[MVSTREAM_HEADER_MAX];
	struct dirent *de;
	struct stat st;
	size_t len = strlen(s->path);
	DIR *d;
	int dfd, r = 0, saved;

	if (depth > MVSTREAM_DEPTH_MAX)
		return (errno = ELOOP, -1);
	if (fstat(fd, &st) < 0)
		return -1;
	if (len > 0 && put_header(s, hdr, snprintf(hdr, sizeof hdr,
	    "D %o %lld %ld %zu\n", (unsigned)(st.st_mode & 07777),
	    (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec, len)) < 0)
		return -1;
	if (len > 0)
		s->st->dirs++;
	if ((dfd = dup(fd)) < 0)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		saved = errno;
		(void)close(dfd);
		return (errno = saved, -1);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0)
				r = -1;
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((r = send_entry(s, fd, de->d_name, len, depth, is_tmp)) < 0)
			break;
	}
	saved = errno;
	(void)closedir(d);	/* read-only */
	errno = saved;
	return r;
}

int
mvstream_send(int dirfd, int outfd, struct mvstream_stats *stats)
{
	struct mvstream_stats local;
	struct sender *s;
	struct stat st;
	char end[MVSTREAM_HEADER_MAX];
	int n, r = -1;

	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if (fstat(dirfd, &st) < 0)
		return -1;
	if ((s = mem_alloc(1, sizeof *s)) == NULL)
		return -1;
	s->out = outfd;
	s->dev = st.st_dev;
	s->st = stats;
	if (io_write_full(outfd, "TERNMV1\n", 8) == 0 &&
	    send_dir(s, dirfd, 0, 0) == 0) {
		n = snprintf(end, sizeof end, "E %llu %llu\n",
		    (unsigned long long)stats->files,
		    (unsigned long long)stats->bytes);
		if (n > 0 && n < (int)sizeof end &&
		    io_write_full(outfd, end, (size_t)n) == 0)
			r = 0;
	}
	free(s);
	return r;
}

/* ---- receiving -------------------------------------------------------- */

struct rdir {
	char		*path;
	struct timespec	 mtime;
};

struct receiver {
	int			 in, root;
	int			 do_chown;
	uid_t			 uid;
	gid_t			 gid;
	struct mvstream_stats	*st;
	const char		*why;
	struct rdir		*dirs;		/* in stream order */
	size_t			 ndirs, capdirs;
	char			 path[MVSTREAM_PATH_MAX + 1];
	char			 buf[COPY_BUF];
};

static int
bad(struct receiver *r, const char *why)
{
	r->why = why;
	errno = EPROTO;
	return -1;
}

/* One header line (without '\n') into line; 0, or -1. */
static int
get_line(struct receiver *r, char *line, size_t size)
{
	size_t n = 0;
	ssize_t k;

	for (;;) {
		if ((k = io_read(r->in, line + n, 1)) < 0)
			return -1;
		if (k == 0)
			return bad(r, "the stream ends inside a header");
		if (line[n] == '\n')
			break;
		if ((unsigned char)line[n] < ' ' || ++n >= size - 1)
			return bad(r, "bad header line");
	}
	line[n] = '\0';
	return 0;
}

/* Split a header into at most max words (in place). */
static size_t
split(char *line, char **w, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p != '\0' && n < max) {
		w[n++] = p;
		p += strcspn(p, " ");
		if (*p == ' ')
			*p++ = '\0';
	}
	return *p == '\0' ? n : max + 1;
}

static int
num(const char *s, uint64_t max, uint64_t *v)
{
	return scan_u64_max_s(s, max, v);
}

static int
octal(const char *s, mode_t *m)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 4)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '7')
			return -1;
		v = v * 8 + (unsigned long)(*s - '0');
	}
	*m = (mode_t)(v & 0777);	/* no set-id or sticky bits arrive */
	return 0;
}

/* Read PATHLEN bytes into r->path and check it. */
static int
get_path(struct receiver *r, uint64_t len)
{
	const char *p, *e;

	if (len == 0 || len > MVSTREAM_PATH_MAX)
		return bad(r, "bad path length");
	if (io_read_full(r->in, r->path, (size_t)len) != (ssize_t)len)
		return r->why = "the stream ends inside a path",
		    errno = errno ? errno : EPROTO, -1;
	r->path[len] = '\0';
	if (memchr(r->path, '\0', (size_t)len) != NULL)
		return bad(r, "NUL in a path");
	for (p = r->path; ; p = e + 1) {
		e = p + strcspn(p, "/");
		if (e == p || (e - p == 1 && p[0] == '.') ||
		    (e - p == 2 && p[0] == '.' && p[1] == '.'))
			return bad(r, "bad path component");
		if (*e == '\0')
			break;
	}
	return 0;
}

/* The parent directory of r->path, opened; the last component in *base. */
static int
open_parent(struct receiver *r, const char **base)
{
	char *slash = strrchr(r->path, '/');
	int fd;

	if (slash == NULL) {
		*base = r->path;
		return dup(r->root);
	}
	*slash = '\0';
	fd = openat(r->root, r->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	*slash = '/';
	*base = slash + 1;
	if (fd < 0 && errno == ENOENT)
		return bad(r, "an entry before its directory");
	return fd;
}

static int
give(struct receiver *r, int fd)
{
	if (r->do_chown && fchown(fd, r->uid, r->gid) < 0)
		return -1;
	return 0;
}

static int
recv_dir(struct receiver *r, char **w)
{
	uint64_t sec, nsec, len;
	struct rdir *nd;
	const char *base;
	mode_t mode;
	size_t depth = 0;
	int pfd, fd, saved;
	char *p;

	if (octal(w[1], &mode) < 0 || num(w[2], INT64_MAX, &sec) < 0 ||
	    num(w[3], 999999999, &nsec) < 0 || num(w[4], UINT32_MAX, &len) < 0)
		return bad(r, "bad directory header");
	if (get_path(r, len) < 0)
		return -1;
	for (p = r->path; *p != '\0'; p++)
		depth += *p == '/';
	if (depth >= MVSTREAM_DEPTH_MAX)
		return bad(r, "folders nested too deep");
	if ((pfd = open_parent(r, &base)) < 0)
		return -1;
	if (mkdirat(pfd, base, mode | 0700) < 0 ||
	    (fd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		saved = errno;
		(void)close(pfd);
		if (saved == EEXIST)
			return bad(r, "a directory sent twice");
		return (errno = saved, -1);
	}
	(void)close(pfd);
	saved = give(r, fd) < 0 || fchmod(fd, mode) < 0 ? errno : 0;
	(void)close(fd);	/* fsynced with its contents, at the end */
	if (saved)
		return (errno = saved, -1);
	if (r->ndirs == r->capdirs) {
		size_t nc = r->capdirs ? r->capdirs * 2 : 64;

		if ((nd = mem_realloc(r->dirs, nc, sizeof *nd)) == NULL)
			return -1;
		r->dirs = nd;
		r->capdirs = nc;
	}
	if ((r->dirs[r->ndirs].path = mem_strdup(r->path)) == NULL)
		return -1;
	r->dirs[r->ndirs].mtime.tv_sec = (time_t)sec;
	r->dirs[r->ndirs].mtime.tv_nsec = (long)nsec;
	r->ndirs++;
	r->st->dirs++;
	return 0;
}

static int
copy_data(struct receiver *r, int fd, uint64_t size)
{
	ssize_t n;

	while (size > 0) {
		n = io_read(r->in, r->buf, size < sizeof r->buf ?
		    (size_t)size : sizeof r->buf);
		if (n < 0)
			return -1;
		if (n == 0)
			return bad(r, "the stream ends inside a file");
		if (io_write_full(fd, r->buf, (size_t)n) < 0)
			return -1;
		size -= (uint64_t)n;
	}
	return 0;
}

static int
recv_file(struct receiver *r, char **w)
{
	uint64_t sec, nsec, size, len;
	struct timespec ts[2];
	const char *base;
	mode_t mode;
	int pfd, fd, rc, saved;

	if (octal(w[1], &mode) < 0 || num(w[2], INT64_MAX, &sec) < 0 ||
	    num(w[3], 999999999, &nsec) < 0 ||
	    num(w[4], MVSTREAM_FILE_MAX, &size) < 0 ||
	    num(w[5], UINT32_MAX, &len) < 0)
		return bad(r, "bad file header");
	if (get_path(r, len) < 0)
		return -1;
	if ((pfd = open_parent(r, &base)) < 0)
		return -1;
	fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	saved = errno;
	(void)close(pfd);
	if (fd < 0) {
		if (saved == EEXIST)
			return bad(r, "a file sent twice");
		return (errno = saved, -1);
	}
	ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
	ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
	rc = copy_data(r, fd, size);
	if (rc == 0 && (give(r, fd) < 0 || fchmod(fd, mode) < 0 ||
	    fsync(fd) < 0 || futimens(fd, ts) < 0))
		rc = -1;
	saved = errno;
	if (close(fd) < 0 && rc == 0) {
		saved = errno;
		rc = -1;
	}
	errno = saved;
	if (rc == 0) {
		r->st->files++;
		r->st->bytes += size;
	}
	return rc;
}

/* fsync every directory, deepest first, and set its mtime. */
static int
finish_dirs(struct receiver *r)
{
	struct timespec ts[2];
	size_t i;
	int fd, rc;

	for (i = r->ndirs; i-- > 0; ) {
		fd = openat(r->root, r->dirs[i].path, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		ts[0] = ts[1] = r->dirs[i].mtime;
		rc = fsync(fd) < 0 || futimens(fd, ts) < 0 ? -1 : 0;
		(void)close(fd);	/* fsynced */
		if (rc < 0)
			return -1;
	}
	return fsync(r->root);
}

static int
recv_end(struct receiver *r, char **w)
{
	uint64_t files, bytes;
	char extra;
	ssize_t k;

	if (num(w[1], UINT64_MAX, &files) < 0 ||
	    num(w[2], UINT64_MAX, &bytes) < 0)
		return bad(r, "bad end record");
	if (files != r->st->files || bytes != r->st->bytes)
		return bad(r, "the end record's counts disagree");
	if ((k = io_read(r->in, &extra, 1)) < 0)
		return -1;
	if (k != 0)
		return bad(r, "bytes after the end record");
	return finish_dirs(r);
}

static int
recv_loop(struct receiver *r)
{
	char line[MVSTREAM_HEADER_MAX], *w[7];
	size_t n;

	if (get_line(r, line, sizeof line) < 0)
		return -1;
	if (strcmp(line, "TERNMV1") != 0)
		return bad(r, "not a tern move stream");
	for (;;) {
		if (get_line(r, line, sizeof line) < 0)
			return -1;
		n = split(line, w, 6);
		if (n == 5 && strcmp(w[0], "D") == 0) {
			if (recv_dir(r, w) < 0)
				return -1;
		} else if (n == 6 && strcmp(w[0], "F") == 0) {
			if (recv_file(r, w) < 0)
				return -1;
		} else if (n == 3 && strcmp(w[0], "E") == 0)
			return recv_end(r, w);
		else
			return bad(r, "unknown record");
	}
}

int
mvstream_recv(int infd, int dirfd, int do_chown, uid_t uid, gid_t gid,
    struct mvstream_stats *stats, const char **why_r)
{
	struct mvstream_stats local;
	struct receiver *r;
	size_t i;
	int rc, saved;

	*why_r = NULL;
	if (stats == NULL)
		stats = &local;
	memset(stats, 0, sizeof *stats);
	if ((r = mem_alloc(1, sizeof *r)) == NULL)
		return -1;
	r->in = infd;
	r->root = dirfd;
	r->do_chown = do_chown;
	r->uid = uid;
	r->gid = gid;
	r->st = stats;
	rc = recv_loop(r);
	saved = errno;
	*why_r = r->why;
	for (i = 0; i < r->ndirs; i++)
		free(r->dirs[i].path);
	free(r->dirs);
	free(r);
	errno = saved;
	return rc;
}
