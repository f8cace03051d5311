/*
 * lspawn_sis.c - tern-lspawn's single-instance store (lspawn_int.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"
#include "deliver/lspawn_int.h"

#define CHUNK	65536

static int
hash_message(const char *hdr, size_t hlen, int msgfd,
    char name[SIS_NAME_LEN + 1], uint64_t *size_r)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE], buf[CHUNK];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *c;
	ssize_t n;
	off_t off = 0;
	int rc = -1;

	if ((c = EVP_MD_CTX_new()) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(c, hdr, hlen) != 1)
		goto out;
	*size_r = hlen;
	for (;;) {
		if ((n = pread(msgfd, buf, sizeof(buf), off)) == -1) {
			if (errno == EINTR)
				continue;
			goto out_errno;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(c, buf, (size_t)n) != 1)
			goto out;
		off += n;
		*size_r += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (i = 0; i < 32; i++) {
		name[2 * i] = hex[md[i] >> 4];
		name[2 * i + 1] = hex[md[i] & 15];
	}
	name[SIS_NAME_LEN] = '\0';
	rc = 0;
	goto out_errno;
out:
	errno = EIO;
out_errno:
	EVP_MD_CTX_free(c);
	return rc;
}

/* mkdir (0700) and open one component; fsync the parent when made. */
static int
mkdir_open(int parent, const char *name)
{
	int made = 0;

	if (mkdirat(parent, name, 0700) == 0)
		made = 1;
	else if (errno != EEXIST)
		return -1;
	if (made && fsync(parent) == -1)
		return -1;
	return maildir_open_sub(parent, name);
}

static int
is_ours(int dirfd, const char *name, uint64_t size)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return 0;
	return S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
	    (uint64_t)st.st_size == size && (st.st_mode & 0222) == 0;
}

static int
write_copy(int dirfd, const char *tmp, const char *hdr, size_t hlen,
    int msgfd)
{
	char buf[CHUNK];
	ssize_t n;
	off_t off = 0;
	int fd;

	(void)unlinkat(dirfd, tmp, 0);	/* a crashed run's leftover */
	if ((fd = durable_openat_excl(dirfd, tmp, 0444)) == -1)
		return -1;
	if (io_write_full(fd, hdr, hlen) == -1)
		goto fail;
	for (;;) {
		if ((n = pread(msgfd, buf, sizeof(buf), off)) == -1) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		if (io_write_full(fd, buf, (size_t)n) == -1)
			goto fail;
		off += n;
	}
	if (fchmod(fd, 0444) == -1)
		goto fail;
	return durable_close_sync(fd);
fail:
	(void)io_close(&fd);
	(void)unlinkat(dirfd, tmp, 0);
	return -1;
}

int
sis_store(const char *sis_dir, const char *sender, int msgfd, int *dirfd_r,
    char name[SIS_NAME_LEN + 1], uint64_t *size_r)
{
	char sub[3], tmp[64];
	struct sbuf hdr;
	int top = -1, dir = -1, e, rc = -1;

	*dirfd_r = -1;
	sbuf_init(&hdr, 512);
	if (sbuf_printf(&hdr, "Return-Path: <%s>\n", sender) == -1)
		goto out;
	if (hash_message(hdr.s, hdr.len, msgfd, name, size_r) == -1)
		goto out;
	if (durable_mkdirs_sync(sis_dir, 0700) == -1 ||
	    (top = maildir_open_path(sis_dir)) == -1)
		goto out;
	sub[0] = name[0];
	sub[1] = name[1];
	sub[2] = '\0';
	if ((dir = mkdir_open(top, sub)) == -1)
		goto out;
	if (!is_ours(dir, name, *size_r)) {
		if (snprintf(tmp, sizeof(tmp), "tmp.%ld", (long)getpid()) < 0)
			goto out;
		if (write_copy(dir, tmp, hdr.s, hdr.len, msgfd) == -1)
			goto out;
		/* rename: a bad file of that name (wrong size, writable) is
		 * replaced; a good one written meanwhile is equivalent. */
		if (renameat(dir, tmp, dir, name) == -1) {
			e = errno;
			(void)unlinkat(dir, tmp, 0);
			errno = e;
			goto out;
		}
		if (fsync(dir) == -1)
			goto out;
	}
	*dirfd_r = dir;
	dir = -1;
	rc = 0;
out:
	e = errno;
	(void)io_close(&dir);
	(void)io_close(&top);
	sbuf_fini(&hdr);
	errno = e;
	return rc;
}

int
sis_link(int sisfd, const char *name, int mdfd, uid_t uid,
    struct sbuf *tmpname)
{
	struct stat st;
	int tmp, e, rc = -1;

	if ((tmp = maildir_open_sub(mdfd, "tmp")) == -1)
		return -1;
	if (fstat(tmp, &st) == -1)
		goto out;
	if (st.st_uid != uid) {
		errno = EPERM;
		goto out;
	}
	sbuf_reset(tmpname);
	if (maildir_unique(tmpname) == -1 || sbuf_nul(tmpname) == -1)
		goto out;
	if (linkat(sisfd, name, tmp, tmpname->s, 0) == -1)
		goto out;
	rc = 0;
out:
	e = errno;
	(void)io_close(&tmp);
	errno = e;
	return rc;
}
