/*
 * maildir_quota.c - Maildir++ quota: the maildirsize file, its
 * recalculation and the delivery check (see maildir.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"

#define SIZE_LINE_MAX	64	/* one "BYTES COUNT" line */

static int
digits(const char *p, size_t n, size_t *i, uint64_t *v_r)
{
	uint64_t v = 0;
	size_t start = *i;

	while (*i < n && p[*i] >= '0' && p[*i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(p[*i] - '0');
		(*i)++;
	}
	*v_r = v;
	return *i == start ? -1 : 0;
}

int
maildir_quota_parse(const char *p, size_t n, struct maildir_quota *q)
{
	size_t i = 0;
	uint64_t v;
	int seen_s = 0, seen_c = 0;

	q->bytes = q->count = 0;
	for (;;) {
		if (digits(p, n, &i, &v) == -1 || i >= n)
			goto bad;
		if (p[i] == 'S' && !seen_s) {
			q->bytes = v;
			seen_s = 1;
		} else if (p[i] == 'C' && !seen_c) {
			q->count = v;
			seen_c = 1;
		} else
			goto bad;
		i++;
		if (i == n)
			return 0;
		if (p[i] != ',')
			goto bad;
		i++;
	}
bad:
	errno = EINVAL;
	return -1;
}

int
maildir_quota_format(struct sbuf *out, const struct maildir_quota *q)
{
	if (q->bytes != 0 && q->count != 0)
		return sbuf_printf(out, "%lluS,%lluC",
		    (unsigned long long)q->bytes, (unsigned long long)q->count);
	if (q->count != 0)
		return sbuf_printf(out, "%lluC", (unsigned long long)q->count);
	return sbuf_printf(out, "%lluS", (unsigned long long)q->bytes);
}

static int
signed_num(const char *p, size_t n, size_t *i, int64_t *v_r)
{
	uint64_t v;
	int neg = 0;

	if (*i < n && p[*i] == '-') {
		neg = 1;
		(*i)++;
	}
	if (digits(p, n, i, &v) == -1 || v > INT64_MAX)
		return -1;
	*v_r = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

static int
add_line(const char *p, size_t n, struct maildir_usage *u)
{
	size_t i = 0;
	int64_t b, c;

	while (i < n && p[i] == ' ')
		i++;
	if (i == n)
		return 0;		/* blank line */
	if (signed_num(p, n, &i, &b) == -1)
		return -1;
	if (i >= n || p[i] != ' ')
		return -1;
	while (i < n && p[i] == ' ')
		i++;
	if (signed_num(p, n, &i, &c) == -1)
		return -1;
	while (i < n && p[i] == ' ')
		i++;
	if (i != n)
		return -1;
	if (__builtin_add_overflow(u->bytes, b, &u->bytes) ||
	    __builtin_add_overflow(u->count, c, &u->count))
		return -1;
	return 0;
}

int
maildirsize_parse(const char *p, size_t n, struct maildir_quota *q_r,
    struct maildir_usage *u_r)
{
	const char *nl, *end = p + n;

	u_r->bytes = u_r->count = 0;
	nl = memchr(p, '\n', n);
	if (nl == NULL || maildir_quota_parse(p, (size_t)(nl - p), q_r) == -1)
		goto bad;
	for (p = nl + 1; p < end; p = nl + 1) {
		/* A last line without '\n' is a write in progress: bad. */
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			goto bad;
		if (add_line(p, (size_t)(nl - p), u_r) == -1)
			goto bad;
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* Add the messages of one new/ or cur/ folder. */
static int
count_dir(int dirfd, const char *sub, struct maildir_usage *u)
{
	struct dirent *de;
	struct stat st;
	uint64_t size;
	DIR *d;
	int fd;

	if ((fd = maildir_open_sub(dirfd, sub)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)io_close(&fd);
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (maildir_name_size(de->d_name, strlen(de->d_name),
		    &size) == -1) {
			if (fstatat(fd, de->d_name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1)
				continue;	/* gone meanwhile */
			size = (uint64_t)st.st_size;
		}
		if (size > INT64_MAX - (uint64_t)u->bytes)
			size = 0;
		u->bytes += (int64_t)size;
		u->count++;
		errno = 0;
	}
	if (errno != 0) {
		(void)closedir(d);
		return -1;
	}
	return closedir(d);
}

static int
count_folder(int fd, struct maildir_usage *u)
{
	if (count_dir(fd, "new", u) == -1 || count_dir(fd, "cur", u) == -1)
		return -1;
	return 0;
}

static int
count_all(int mdfd, struct maildir_usage *u)
{
	struct dirent *de;
	DIR *d;
	int fd, sub, rc = 0;

	u->bytes = u->count = 0;
	if (count_folder(mdfd, u) == -1)
		return -1;
	if ((fd = maildir_open_sub(mdfd, ".")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)io_close(&fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, ".Trash") == 0)
			continue;
		if ((sub = maildir_open_sub(fd, de->d_name)) == -1)
			continue;	/* a file, a symlink, or gone */
		if (count_folder(sub, u) == -1)
			rc = -1;
		(void)io_close(&sub);
	}
	if (closedir(d) == -1)
		rc = -1;
	return rc;
}

int
maildir_quota_recalc(int mdfd, const struct maildir_quota *q,
    struct maildir_usage *u_r)
{
	struct sbuf name, body;
	int tmpfd = -1, fd = -1, rc = -1, e;

	sbuf_init(&name, MAILDIR_NAME_MAX);
	sbuf_init(&body, 256);
	if (count_all(mdfd, u_r) == -1)
		goto out;
	if (maildir_quota_format(&body, q) == -1 ||
	    sbuf_printf(&body, "\n%lld %lld\n", (long long)u_r->bytes,
	    (long long)u_r->count) == -1)
		goto out;
	if ((fd = maildir_tmp_open(mdfd, &name)) == -1)
		goto out;
	if (io_write_full(fd, body.s, body.len) == -1 || fsync(fd) == -1 ||
	    io_close(&fd) == -1)
		goto out_unlink;
	if ((tmpfd = maildir_open_sub(mdfd, "tmp")) == -1)
		goto out_unlink;
	if (renameat(tmpfd, name.s, mdfd, "maildirsize") == -1)
		goto out_unlink;
	if (fsync(mdfd) == -1)
		goto out;
	rc = 0;
	goto out;
out_unlink:
	e = errno;
	if (tmpfd != -1)
		(void)unlinkat(tmpfd, name.s, 0);	/* best effort */
	errno = e;
out:
	e = errno;
	(void)io_close(&fd);
	(void)io_close(&tmpfd);
	sbuf_fini(&name);
	sbuf_fini(&body);
	errno = e;
	return rc;
}

static int
is_over(const struct maildir_quota *q, const struct maildir_usage *u,
    uint64_t size)
{
	uint64_t used = u->bytes < 0 ? 0 : (uint64_t)u->bytes, sum;
	uint64_t cnt = u->count < 0 ? 0 : (uint64_t)u->count;

	if (q->bytes != 0 && (__builtin_add_overflow(used, size, &sum) ||
	    sum > q->bytes))
		return 1;
	if (q->count != 0 && cnt + 1 > q->count)
		return 1;
	return 0;
}

/* Read maildirsize: 0 (parsed, *mtime_r set), 1 (must recalculate). */
static int
read_size_file(int mdfd, struct maildir_quota *fq, struct maildir_usage *u,
    time_t *mtime_r)
{
	struct sbuf b;
	struct stat st;
	int fd, rc = 1;

	fd = openat(mdfd, "maildirsize", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 1;
	sbuf_init(&b, MAILDIR_SIZE_FILE_MAX);
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size < MAILDIR_SIZE_RECALC &&
	    io_read_fd(fd, &b, MAILDIR_SIZE_RECALC) == 0 &&
	    b.len < MAILDIR_SIZE_RECALC &&
	    maildirsize_parse(b.s, b.len, fq, u) == 0) {
		*mtime_r = st.st_mtime;
		rc = 0;
	}
	sbuf_fini(&b);
	(void)io_close(&fd);
	return rc;
}

int
maildir_quota_check(int mdfd, const struct maildir_quota *q, uint64_t size,
    struct maildir_usage *u_r)
{
	struct maildir_quota fq;
	time_t mtime = 0;

	if (read_size_file(mdfd, &fq, u_r, &mtime) == 1 ||
	    fq.bytes != q->bytes || fq.count != q->count) {
		if (maildir_quota_recalc(mdfd, q, u_r) == -1)
			return -1;
		return is_over(q, u_r, size);
	}
	if (!is_over(q, u_r, size))
		return 0;
	if (time(NULL) - mtime <= MAILDIR_RECALC_AGE)
		return 1;
	if (maildir_quota_recalc(mdfd, q, u_r) == -1)
		return -1;
	return is_over(q, u_r, size);
}

int
maildir_quota_add(int mdfd, int64_t bytes, int64_t count)
{
	char line[SIZE_LINE_MAX];
	int fd, n, e;

	fd = openat(mdfd, "maildirsize", O_WRONLY | O_APPEND | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 : -1;
	n = snprintf(line, sizeof(line), "%lld %lld\n", (long long)bytes,
	    (long long)count);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		(void)io_close(&fd);
		errno = EOVERFLOW;
		return -1;
	}
	/*
	 * One write: concurrent appenders never interleave inside a line.
	 * A failed one (ENOSPC) may have left part of the line, which the
	 * next appender's line would complete into a wrong number that
	 * parses: remove the file instead (Maildir++'s own remedy), so the
	 * next check recalculates it from the Maildir.
	 */
	if (io_write_full(fd, line, (size_t)n) == -1) {
		e = errno;
		(void)unlinkat(mdfd, "maildirsize", 0);	/* recalculated */
		(void)io_close(&fd);
		errno = e;
		return -1;
	}
	return io_close(&fd);
}
