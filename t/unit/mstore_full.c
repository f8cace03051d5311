/*
 * lib/mstore on a full file system: a regression test (2026-12).
 * mbox_append of a message shorter than its write buffer wrote it only
 * at the end, and that write's ENOSPC was lost: APPEND answered OK
 * with no message stored.  Needs a file system it can fill: as root
 * it mounts a small tmpfs in a mount namespace of its own (gone with
 * the process); otherwise it skips.  Also maildir_quota_add on a full
 * disk: a line it wrote in part was completed by the next one into a
 * wrong number that parsed.
 */
#include <sys/mount.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mstore.h"
#include "t/tap.h"

static char	 top[256];

/* Entries of root/sub other than . and .. */
static int
count(const char *root, const char *sub)
{
	char p[512];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((dp = opendir(p)) == NULL)
		return -1;
	while ((d = readdir(dp)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
			n++;
	(void)closedir(dp);
	return n;
}

/* Fill the file system with path; 0 once a write said ENOSPC. */
static int
fill(const char *path)
{
	static char blk[4096];
	int fd, i, rc = -1;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	for (i = 0; i < 1 << 20; i++)
		if (write(fd, blk, sizeof(blk)) == -1) {
			rc = errno == ENOSPC ? 0 : -1;
			break;
		}
	(void)close(fd);
	return rc;
}

static void
test_append_full(void)
{
	char root[300], filler[300], *big;
	struct mstore *ms = NULL;
	struct mbox *mb;
	struct mbox_append ap;
	uint32_t uv = 0, uid = 0;
	size_t bign = 200 * 1024, i;
	int fd = -1, r;

	memset(&ap, 0, sizeof(ap));
	snprintf(root, sizeof(root), "%s/m", top);
	snprintf(filler, sizeof(filler), "%s/filler", top);
	if (!ok(mkdir(root, 0700) == 0 &&
	    (fd = maildir_open_path(root)) != -1 &&
	    maildir_make(fd) == 0 && mstore_new(fd, '/', &ms) == 0,
	    "a Maildir on the small file system"))
		return;
	is_int(mbox_open(ms, "INBOX", 0, &mb), 0, "open INBOX");
	is_int(mbox_append(mb, "S: a\n\nx\n", 8, &ap, &uv, &uid), 0,
	    "APPEND with room");
	is_int(fill(filler), 0, "file system filled");
	errno = 0;
	uid = 0;
	r = mbox_append(mb, "S: b\n\nx\n", 8, &ap, &uv, &uid);
	ok(r == -1 && errno == ENOSPC, "small APPEND on a full disk: -1 "
	    "ENOSPC (r=%d errno=%d)", r, errno);
	if ((big = malloc(bign)) == NULL)
		return;
	for (i = 0; i < bign; i++)
		big[i] = i % 77 == 76 ? '\n' : 'y';
	errno = 0;
	r = mbox_append(mb, big, bign, &ap, &uv, &uid);
	ok(r == -1 && errno == ENOSPC, "large APPEND on a full disk: -1 "
	    "ENOSPC");
	is_int(count(root, "tmp"), 0, "nothing left in tmp/");
	is_int(count(root, "cur"), 1, "only the first message in cur/");
	ok(unlink(filler) == 0, "room again");
	uid = 0;
	is_int(mbox_append(mb, big, bign, &ap, &uv, &uid), 0,
	    "APPEND works again");
	is_int((long long)uid, 2, "with the next uid");
	free(big);
	mbox_close(&mb);
	mstore_free(&ms);
}

/* maildirsize after: absent, or parsed with one of the sums in ok. */
static int
size_file_sane(int fd, long long a, long long b)
{
	struct maildir_quota q;
	struct maildir_usage u;
	char buf[16384];
	ssize_t n;
	int f;

	if ((f = openat(fd, "maildirsize", O_RDONLY)) == -1)
		return errno == ENOENT;
	n = read(f, buf, sizeof(buf));
	(void)close(f);
	if (n < 0 || maildirsize_parse(buf, (size_t)n, &q, &u) == -1)
		return 1;	/* refused: recalculated at the next check */
	diag("maildirsize sums to %lld", (long long)u.bytes);
	return u.bytes == a || u.bytes == b;
}

static void
test_quota_full(void)
{
	char root[300], filler[300];
	int fd = -1, f, i, r;

	snprintf(root, sizeof(root), "%s/q", top);
	snprintf(filler, sizeof(filler), "%s/filler2", top);
	if (!ok(mkdir(root, 0700) == 0 && (fd = maildir_open_path(root)) != -1,
	    "quota: a Maildir"))
		return;
	/* A maildirsize ending 4 bytes before a page boundary. */
	f = openat(fd, "maildirsize", O_WRONLY | O_CREAT | O_EXCL, 0600);
	r = f == -1 || write(f, "100000000S\n", 11) != 11;
	for (i = 11; !r && i + 4 <= 4092 - 5; i += 4)
		r = write(f, "0 0\n", 4) != 4;
	for (; !r && i < 4092; i++)
		r = write(f, "\n", 1) != 1;
	ok(!r && close(f) == 0, "quota: maildirsize of 4092 bytes");
	is_int(fill(filler), 0, "quota: file system filled");
	r = maildir_quota_add(fd, 123456789, 1);
	ok(r == -1, "quota: the add on a full disk fails");
	ok(unlink(filler) == 0, "quota: room again");
	(void)maildir_quota_add(fd, 5, 1);
	ok(size_file_sane(fd, 5, 123456794), "quota: no torn line that "
	    "parses into a wrong sum");
	(void)close(fd);
}

int
main(void)
{
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root to mount a small tmpfs\n");
		return 0;
	}
	if (unshare(CLONE_NEWNS) == -1 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1) {
		printf("1..0 # SKIP no mount namespace: %s\n", strerror(errno));
		return 0;
	}
	snprintf(top, sizeof(top), "%s/mstore_full.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;
	if (mount("tmpfs", top, "tmpfs", 0, "size=512k,mode=0700") == -1) {
		printf("1..0 # SKIP cannot mount a tmpfs: %s\n",
		    strerror(errno));
		(void)rmdir(top);
		return 0;
	}
	umask(077);
	test_append_full();
	test_quota_full();
	(void)umount2(top, MNT_DETACH);
	(void)rmdir(top);
	return done_testing();
}
