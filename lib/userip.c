/* userip.c - sessions per account and client address; see userip.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "lib/io.h"
#include "lib/sbuf.h"
#include "lib/siphash.h"
#include "lib/userip.h"

#define KEY_FILE	"key"

/* Read the key, or make it: written to a temp name, then linked as "key"
 * (atomic: a reader never sees half a key; the first link wins). */
static int
load_key(struct userip *u)
{
	char tmp[64];
	unsigned char k[USERIP_KEY_LEN];
	ssize_t n;
	int fd, rc = -1, e;

	for (;;) {
		fd = openat(u->dirfd, KEY_FILE, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd != -1) {
			n = read(fd, u->key, sizeof(u->key));
			e = errno;
			(void)close(fd);
			if (n == (ssize_t)sizeof(u->key))
				return 0;
			errno = n == -1 ? e : EINVAL;
			return -1;
		}
		if (errno != ENOENT)
			return -1;
		n = snprintf(tmp, sizeof(tmp), "key.%ld", (long)getpid());
		if (n < 0 || (size_t)n >= sizeof(tmp)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		(void)unlinkat(u->dirfd, tmp, 0);
		if ((fd = openat(u->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
			return -1;
		arc4random_buf(k, sizeof(k));
		rc = io_write_full(fd, k, sizeof(k));
		if (close(fd) == -1)
			rc = -1;
		if (rc == 0 && linkat(u->dirfd, tmp, u->dirfd, KEY_FILE, 0) ==
		    -1 && errno != EEXIST)
			rc = -1;
		e = errno;
		(void)unlinkat(u->dirfd, tmp, 0);
		explicit_bzero(k, sizeof(k));
		if (rc == -1) {
			errno = e;
			return -1;
		}
		/* Linked, or another process was first: read the winner. */
	}
}

int
userip_open(const char *dir, struct userip *u)
{
	struct stat st;
	int e;

	memset(u, 0, sizeof(*u));
	u->dirfd = -1;
	if (mkdir(dir, 0700) == -1 && errno != EEXIST)
		return -1;
	if ((u->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1)
		return -1;
	if (fstat(u->dirfd, &st) == -1)
		goto fail;
	if (st.st_uid != geteuid() || (st.st_mode & 0077) != 0) {
		errno = EPERM;	/* another's, or open to others */
		goto fail;
	}
	if (load_key(u) == -1)
		goto fail;
	return 0;
fail:
	e = errno;
	userip_close(u);
	errno = e;
	return -1;
}

void
userip_close(struct userip *u)
{
	if (u->dirfd != -1)
		(void)close(u->dirfd);
	u->dirfd = -1;
	explicit_bzero(u->key, sizeof(u->key));
}

/* The first slot's byte: 52 bits of the keyed hash, times USERIP_MAX
 * (below 2^62, so every slot's offset fits an off_t, and USERIP_MUTEX
 * lies past them all). */
static int
slot_base(const struct userip *u, const char *service, const char *user,
    const char *ip, off_t *base_r)
{
	struct sbuf in;
	uint64_t h;
	int rc = -1;

	sbuf_init(&in, 4096);
	if (sbuf_cat_s(&in, service) == 0 && sbuf_cat_c(&in, '\0') == 0 &&
	    sbuf_cat_s(&in, user) == 0 && sbuf_cat_c(&in, '\0') == 0 &&
	    sbuf_cat_s(&in, ip) == 0) {
		h = siphash24(u->key, in.s, in.len);
		*base_r = (off_t)(h >> 12) * USERIP_MAX;
		rc = 0;
	} else if (errno == 0)
		errno = EINVAL;
	sbuf_fini(&in);
	return rc;
}

/* An open-file-description lock (F_OFD_SETLK/SETLKW/GETLK) on one byte. */
static int
lock_byte(int fd, int cmd, short type, off_t at, short *held_r)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = at;
	fl.l_len = 1;
	while (fcntl(fd, cmd, &fl) == -1)
		if (errno != EINTR)
			return -1;
	if (held_r != NULL)
		*held_r = fl.l_type;
	return 0;
}

/*
 * With the mutex held: the first byte of the max slots that no one holds
 * (GETLK: is any lock there?), read-locked on fd.  0, 1 when all are
 * held, -1 on error.
 */
static int
take_free(int fd, off_t base, unsigned max)
{
	unsigned i;
	short held;

	for (i = 0; i < max; i++) {
		if (lock_byte(fd, F_OFD_GETLK, F_WRLCK, base + (off_t)i,
		    &held) == -1)
			return -1;
		if (held != F_UNLCK)
			continue;
		return lock_byte(fd, F_OFD_SETLK, F_RDLCK, base + (off_t)i,
		    NULL);
	}
	return 1;
}

static int
name_ok(const char *s, size_t max)
{
	size_t n = strnlen(s, max + 1);

	return n > 0 && n <= max && strchr(s, '/') == NULL && s[0] != '.';
}

int
userip_take(struct userip *u, const char *service, const char *user,
    const char *ip, unsigned max, int *fd_r)
{
	char name[USERIP_NAME_MAX + 8];
	off_t base;
	int fd, mx = -1, r, e;

	*fd_r = -1;
	if (max == 0)
		return 0;
	if (max > USERIP_MAX || !name_ok(service, USERIP_NAME_MAX) ||
	    strlen(user) > 1024 || strlen(ip) > 128) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	if (slot_base(u, service, user, ip, &base) == -1)
		return -1;
	if (snprintf(name, sizeof(name), "%s.slots", service) < 0)
		return -1;	/* fits: name_ok */
	/* Read-only and not O_CLOEXEC: the session's program inherits the
	 * slot and can neither write nor grow the file. */
	if ((fd = openat(u->dirfd, name, O_RDONLY | O_CREAT | O_NOFOLLOW,
	    0600)) == -1)
		return -1;
	/* The writable descriptor only for the mutex, closed before we
	 * return (a read lock is shared: "is it free?" and "take it" must
	 * be one step among takers). */
	if ((mx = openat(u->dirfd, name, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) ==
	    -1 || lock_byte(mx, F_OFD_SETLKW, F_WRLCK, USERIP_MUTEX, NULL) ==
	    -1)
		r = -1;
	else
		r = take_free(fd, base, max);
	e = errno;
	if (mx != -1)
		(void)close(mx);	/* frees the mutex */
	if (r != 0)
		(void)close(fd);
	else
		*fd_r = fd;
	errno = e;
	return r;
}
