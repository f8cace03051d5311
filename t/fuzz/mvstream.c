/*
 * Fuzz target: mvstream_recv() (tern-user receive) over arbitrary bytes,
 * into a fresh temporary folder.  Whatever it accepts or refuses, nothing
 * may appear outside that folder, and no symlink inside it.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/mvstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
check_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)path;
	(void)f;
	if (flag == FTW_SL || S_ISLNK(st->st_mode))
		abort();
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char top[] = "/tmp/tern-fuzz-mv.XXXXXX", in[64];
	struct stat st;
	const char *why;
	int mfd, dfd;

	if (mkdtemp(top) == NULL)
		return 0;
	(void)snprintf(in, sizeof in, "%s/in", top);
	if (mkdir(in, 0700) < 0 || (mfd = memfd_create("mv", 0)) < 0)
		goto out;
	if (write(mfd, data, size) != (ssize_t)size ||
	    lseek(mfd, 0, SEEK_SET) < 0 ||
	    (dfd = open(in, O_RDONLY | O_DIRECTORY)) < 0) {
		close(mfd);
		goto out;
	}
	(void)mvstream_recv(mfd, dfd, 0, 0, 0, NULL, &why);
	close(dfd);
	close(mfd);
	/* top is still a folder; nothing inside "in" is a symlink. */
	if (lstat(top, &st) < 0 || !S_ISDIR(st.st_mode))
		abort();
	if (nftw(in, check_one, 16, FTW_PHYS) < 0 && errno != ENOENT)
		abort();
out:
	(void)nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
