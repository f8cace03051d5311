/* userip.c - sessions per account and client address; see userip.h. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lib/io.h"
#include "lib/sbuf.h"
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
 * (below 2^62, so every slot's offset fits an off_t). */
static int
slot_base(const struct userip *u, const char *service, const char *user,
    const char *ip, off_t *base_r)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	struct sbuf in;
	uint64_t h = 0;
	int i, rc = -1;

	sbuf_init(&in, 4096);
	if (sbuf_cat_s(&in, service) == 0 && sbuf_cat_c(&in, '\0') == 0 &&
	    sbuf_cat_s(&in, user) == 0 && sbuf_cat_c(&in, '\0') == 0 &&
	    sbuf_cat_s(&in, ip) == 0 &&
	    HMAC(EVP_sha256(), u->key, (int)sizeof(u->key),
	    (const unsigned char *)in.s, in.len, md, &mdlen) != NULL &&
	    mdlen >= 8) {
		for (i = 0; i < 8; i++)
			h = h << 8 | md[i];
		*base_r = (off_t)(h >> 12) * USERIP_MAX;
		rc = 0;
	} else if (errno == 0)
		errno = EINVAL;
	sbuf_fini(&in);
	return rc;
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
	struct flock fl;
	off_t base;
	unsigned i;
	int fd, e;

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
	(void)snprintf(name, sizeof(name), "%s.slots", service);
	/* Not O_CLOEXEC: the session's program inherits the slot. */
	if ((fd = openat(u->dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW,
	    0600)) == -1)
		return -1;
	for (i = 0; i < max; i++) {
		memset(&fl, 0, sizeof(fl));
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		fl.l_start = base + (off_t)i;
		fl.l_len = 1;
		if (fcntl(fd, F_OFD_SETLK, &fl) == 0) {
			*fd_r = fd;
			return 0;
		}
		if (errno != EAGAIN && errno != EACCES) {
			e = errno;
			(void)close(fd);
			errno = e;
			return -1;
		}
	}
	(void)close(fd);
	return 1;
}
