/*
 * replay.c - main() for a fuzz target built without libFuzzer: feeds each
 * file named on the command line (or every file in each named folder) to
 * LLVMFuzzerTestOneInput once.  make check runs this over t/fuzz/corpus/
 * so the corpus stays a regression suite under every compiler and SAN=1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define REPLAY_MAX	(4 * 1024 * 1024)	/* largest corpus file */

static int
replay_file(const char *path)
{
	static uint8_t buf[REPLAY_MAX];
	size_t len = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (len < sizeof buf &&
	    (n = read(fd, buf + len, sizeof buf - len)) > 0)
		len += (size_t)n;
	close(fd);
	/* Copy into an exact-size allocation so ASan sees overreads. */
	uint8_t *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return -1;
	memcpy(copy, buf, len);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	return 0;
}

static int
replay_path(const char *path, int *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	char sub[4096];

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >=
		    (int)sizeof sub)
			continue;
		if (replay_path(sub, count) < 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

int
main(int argc, char **argv)
{
	int i, count = 0;

	for (i = 1; i < argc; i++)
		if (replay_path(argv[i], &count) < 0)
			return 1;
	printf("replayed %d inputs\n", count);
	return 0;
}
