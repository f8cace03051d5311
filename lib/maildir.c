/*
 * maildir.c - Maildir++ names, durable delivery, folders by descriptor.
 * Quota lives in maildir_quota.c, flags in maildir_flags.c.
 */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"

#define DIRFLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static char	 host_esc[MAILDIR_HOST_MAX * 4 + 1];
static unsigned long counter;

int
maildir_open_sub(int dirfd, const char *name)
{
	int fd;

	do
		fd = openat(dirfd, name, DIRFLAGS);
	while (fd == -1 && errno == EINTR);
	return fd;
}

int
maildir_open_path(const char *path)
{
	const char *p = path, *slash;
	char comp[MAILDIR_NAME_MAX + 1];
	size_t n;
	int fd, nfd;

	if (*p == '\0') {
		errno = ENOENT;
		return -1;
	}
	if ((fd = open(*p == '/' ? "/" : ".", DIRFLAGS)) == -1)
		return -1;
	while (*p != '\0') {
		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n > MAILDIR_NAME_MAX) {
			(void)io_close(&fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		nfd = maildir_open_sub(fd, comp);
		(void)io_close(&fd);
		if (nfd == -1)
			return -1;
		fd = nfd;
		p += n;
	}
	return fd;
}

int
maildir_make(int mdfd)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	int made = 0, fd;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (mkdirat(mdfd, sub[i], 0700) == 0)
			made = 1;
		else if (errno != EEXIST)
			return -1;
		/* A symlink or a file in its place is refused here. */
		if ((fd = maildir_open_sub(mdfd, sub[i])) == -1)
			return -1;
		(void)io_close(&fd);
	}
	if (made && fsync(mdfd) == -1)
		return -1;
	return 0;
}

int
maildir_make_owned(int mdfd, uid_t uid, int do_chown)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	int made = 0, fd;
	size_t i;

	for (i = 0; i < 3; i++) {
		if (mkdirat(mdfd, sub[i], 0700) == -1) {
			if (errno == EEXIST)
				continue;
			return -1;
		}
		made = 1;
		if ((fd = maildir_open_sub(mdfd, sub[i])) == -1)
			return -1;
		if (do_chown && fchown(fd, uid, uid) == -1) {
			(void)io_close(&fd);
			return -1;
		}
		(void)io_close(&fd);
	}
	return made ? fsync(mdfd) : 0;
}

int
maildir_make_home(const char *home, uid_t uid, int do_chown)
{
	char p[PATH_MAX];
	char *s;
	size_t n = strlen(home);
	int fd, rc;

	while (n > 1 && home[n - 1] == '/')
		n--;
	if (n >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, home, n);
	p[n] = '\0';
	if ((s = strrchr(p, '/')) == NULL || s == p) {
		errno = EINVAL;
		return -1;
	}
	*s = '\0';
	rc = durable_mkdirs_sync(p, 0711);
	*s = '/';
	if (rc == -1 || (mkdir(p, 0700) == -1 && errno != EEXIST))
		return -1;
	if ((fd = maildir_open_path(p)) == -1)
		return -1;
	if ((do_chown && fchown(fd, uid, uid) == -1) ||
	    maildir_make_owned(fd, uid, do_chown) == -1) {
		(void)io_close(&fd);
		return -1;
	}
	(void)io_close(&fd);
	return durable_fsync_parent(p);
}

int
maildir_host_escape(struct sbuf *out, const char *host, size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		if (host[i] == '/')
			rc = sbuf_cat_s(out, "\\057");
		else if (host[i] == ':')
			rc = sbuf_cat_s(out, "\\072");
		else if ((unsigned char)host[i] <= 0x20 ||
		    (unsigned char)host[i] >= 0x7f || host[i] == '\\')
			rc = sbuf_printf(out, "\\%03o", (unsigned char)host[i]);
		else
			rc = sbuf_cat_c(out, host[i]);
	}
	return rc;
}

int
maildir_set_host(const char *host)
{
	struct sbuf b;
	size_t n = strlen(host);

	if (n == 0 || n > MAILDIR_HOST_MAX) {
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&b, sizeof(host_esc) - 1);
	if (maildir_host_escape(&b, host, n) == -1 || sbuf_nul(&b) == -1) {
		sbuf_fini(&b);
		return -1;
	}
	memcpy(host_esc, b.s, b.len + 1);
	sbuf_fini(&b);
	return 0;
}

int
maildir_unique(struct sbuf *out)
{
	char h[MAILDIR_HOST_MAX + 1];
	struct timeval tv;

	if (host_esc[0] == '\0') {
		if (gethostname(h, sizeof(h)) == -1 || h[0] == '\0')
			memcpy(h, "localhost", sizeof("localhost"));
		h[sizeof(h) - 1] = '\0';
		if (maildir_set_host(h) == -1)
			return -1;
	}
	if (gettimeofday(&tv, NULL) == -1)
		return -1;
	counter++;
	return sbuf_printf(out, "%lld.M%06ldP%ldQ%lu.%s", (long long)tv.tv_sec,
	    (long)tv.tv_usec, (long)getpid(), counter, host_esc);
}

/* A new file in the open tmp/ folder tmpfd (O_EXCL, 0600). */
static int
tmp_open_in(int tmpfd, struct sbuf *name_r)
{
	int fd = -1, i;

	for (i = 0; i < MAILDIR_TMP_TRIES; i++) {
		sbuf_reset(name_r);
		if (maildir_unique(name_r) == -1 || sbuf_nul(name_r) == -1)
			break;
		do
			fd = openat(tmpfd, name_r->s, O_WRONLY | O_CREAT |
			    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		while (fd == -1 && errno == EINTR);
		if (fd != -1 || errno != EEXIST)
			break;
	}
	return fd;
}

int
maildir_tmp_open(int mdfd, struct sbuf *name_r)
{
	int tmpfd, fd, e;

	if ((tmpfd = maildir_open_sub(mdfd, "tmp")) == -1)
		return -1;
	fd = tmp_open_in(tmpfd, name_r);
	e = errno;
	(void)io_close(&tmpfd);
	errno = e;
	return fd;
}

int
maildir_name_size(const char *p, size_t n, uint64_t *size_r)
{
	size_t i, base = maildir_base_len(p, n);
	uint64_t v;

	for (i = 0; i + 3 <= base; i++) {
		if (p[i] != ',' || p[i + 1] != 'S' || p[i + 2] != '=')
			continue;
		i += 3;
		if (i >= base || p[i] < '0' || p[i] > '9')
			return -1;
		for (v = 0; i < base && p[i] >= '0' && p[i] <= '9'; i++) {
			if (v > (UINT64_MAX - 9) / 10)
				return -1;
			v = v * 10 + (uint64_t)(p[i] - '0');
		}
		*size_r = v;
		return 0;
	}
	return -1;
}

static int
quota_on(const struct maildir_quota *q)
{
	return q != NULL && (q->bytes != 0 || q->count != 0);
}

/* maildir_commit() with tmp/ open already (tmpfd). */
static int
commit_in(int mdfd, int tmpfd, const char *tmpname, uint64_t size,
    const struct maildir_quota *q, struct sbuf *newname_r,
    const char **warn_r)
{
	struct maildir_usage u;
	uint64_t dummy;
	int newfd = -1, rc = -1, e, r;

	*warn_r = NULL;
	sbuf_reset(newname_r);
	if (sbuf_cat_s(newname_r, tmpname) == -1)
		return -1;
	if (maildir_name_size(tmpname, strlen(tmpname), &dummy) == -1 &&
	    sbuf_printf(newname_r, ",S=%llu", (unsigned long long)size) == -1)
		return -1;
	if (sbuf_nul(newname_r) == -1)
		return -1;
	if (quota_on(q)) {
		if ((r = maildir_quota_check(mdfd, q, size, &u)) == -1)
			return -1;
		if (r == 1) {
			errno = EDQUOT;
			return -1;
		}
	}
	if ((newfd = maildir_open_sub(mdfd, "new")) == -1)
		goto out;
	if (renameat(tmpfd, tmpname, newfd, newname_r->s) == -1)
		goto out;
	if (fsync(newfd) == -1)
		goto out;
	/* The old entry's removal from tmp/ need not be durable: a crash
	 * leaves at worst a stale tmp/ name, which cleaners remove. */
	rc = 0;
	if (quota_on(q) &&
	    maildir_quota_add(mdfd, (int64_t)size, 1) == -1)
		*warn_r = "maildirsize not updated";
out:
	e = errno;
	(void)io_close(&newfd);
	errno = e;
	return rc;
}

int
maildir_commit(int mdfd, const char *tmpname, uint64_t size,
    const struct maildir_quota *q, struct sbuf *newname_r,
    const char **warn_r)
{
	int tmpfd, rc, e;

	*warn_r = NULL;
	if ((tmpfd = maildir_open_sub(mdfd, "tmp")) == -1)
		return -1;
	rc = commit_in(mdfd, tmpfd, tmpname, size, q, newname_r, warn_r);
	e = errno;
	(void)io_close(&tmpfd);
	errno = e;
	return rc;
}

static void
unlink_tmp(int tmpfd, const char *name)
{
	int e = errno;

	(void)unlinkat(tmpfd, name, 0);	/* best effort cleanup */
	errno = e;
}

/* Write prefix + message (from buf, or from msgfd when buf is NULL). */
static int
write_all(int fd, const void *prefix, size_t plen, const void *buf,
    size_t blen, int msgfd, uint64_t *size_r)
{
	char chunk[65536];
	ssize_t r;

	*size_r = 0;
	if (plen > 0 && io_write_full(fd, prefix, plen) == -1)
		return -1;
	*size_r += plen;
	if (buf != NULL) {
		if (blen > 0 && io_write_full(fd, buf, blen) == -1)
			return -1;
		*size_r += blen;
		return 0;
	}
	for (;;) {
		if ((r = io_read(msgfd, chunk, sizeof(chunk))) == -1)
			return -1;
		if (r == 0)
			return 0;
		if (io_write_full(fd, chunk, (size_t)r) == -1)
			return -1;
		*size_r += (uint64_t)r;
	}
}

/* One delivery; tmp/ is opened once for the file and its move. */
static int
deliver(int mdfd, const void *prefix, size_t plen, const void *buf,
    size_t blen, int msgfd, const struct maildir_quota *q,
    struct sbuf *name_r, const char **warn_r)
{
	struct sbuf tmpname;
	uint64_t size;
	int tmpfd, fd, rc = -1, e;

	*warn_r = NULL;
	if ((tmpfd = maildir_open_sub(mdfd, "tmp")) == -1)
		return -1;
	sbuf_init(&tmpname, MAILDIR_NAME_MAX);
	if ((fd = tmp_open_in(tmpfd, &tmpname)) == -1)
		goto out;
	if (write_all(fd, prefix, plen, buf, blen, msgfd, &size) == -1) {
		(void)io_close(&fd);
		unlink_tmp(tmpfd, tmpname.s);
		goto out;
	}
	if (fsync(fd) == -1 || io_close(&fd) == -1) {
		(void)io_close(&fd);
		unlink_tmp(tmpfd, tmpname.s);
		goto out;
	}
	if (commit_in(mdfd, tmpfd, tmpname.s, size, q, name_r,
	    warn_r) == -1) {
		unlink_tmp(tmpfd, tmpname.s);
		goto out;
	}
	rc = 0;
out:
	e = errno;
	sbuf_fini(&tmpname);
	(void)io_close(&tmpfd);
	errno = e;
	return rc;
}

int
maildir_deliver_buf(int mdfd, const void *prefix, size_t plen,
    const void *msg, size_t mlen, const struct maildir_quota *q,
    struct sbuf *name_r, const char **warn_r)
{
	return deliver(mdfd, prefix, plen, msg == NULL ? "" : msg, mlen, -1, q,
	    name_r, warn_r);
}

int
maildir_deliver_fd(int mdfd, const void *prefix, size_t plen, int msgfd,
    const struct maildir_quota *q, struct sbuf *name_r, const char **warn_r)
{
	return deliver(mdfd, prefix, plen, NULL, 0, msgfd, q, name_r, warn_r);
}
