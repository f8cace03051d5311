/* Unit tests for lib/maildir: names, delivery, quota, flags, symlinks. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char	 root[256];

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

static int
count_entries(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
new_maildir(const char *name)
{
	char p[512];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, name);
	if (mkdir(p, 0700) == -1)
		return -1;
	if ((fd = maildir_open_path(p)) == -1)
		return -1;
	if (maildir_make(fd) == -1)
		return -1;
	return fd;
}

static void
test_names(void)
{
	struct sbuf a, b;
	char *seen[1000];
	int i, j, dup = 0;

	sbuf_init(&a, MAILDIR_NAME_MAX);
	sbuf_init(&b, 100);
	is_int(maildir_host_escape(&b, "a/b:c", 5), 0, "escape host");
	is_str(sbuf_str(&b), "a\\057b\\072c", "/ and : escaped");
	is_int(maildir_set_host("my:host"), 0, "set host");
	is_int(maildir_unique(&a), 0, "unique name");
	ok(strstr(sbuf_str(&a), ".M") && strstr(a.s, "P") && strstr(a.s, "Q")
	    && strstr(a.s, ".my\\072host") != NULL, "name has M P Q host: %s",
	    a.s);
	for (i = 0; i < 1000; i++) {
		sbuf_reset(&a);
		maildir_unique(&a);
		seen[i] = strdup(sbuf_str(&a));
	}
	for (i = 0; i < 1000 && !dup; i++)
		for (j = i + 1; j < 1000; j++)
			if (strcmp(seen[i], seen[j]) == 0) {
				dup = 1;
				break;
			}
	ok(!dup, "1000 names in a burst are unique");
	for (i = 0; i < 1000; i++)
		free(seen[i]);
	sbuf_fini(&a);
	sbuf_fini(&b);
}

static void
test_deliver(void)
{
	struct sbuf name, path, got;
	const char *warn;
	uint64_t sz;
	int md, fd, pfd[2];

	sbuf_init(&name, MAILDIR_NAME_MAX);
	sbuf_init(&path, 1024);
	sbuf_init(&got, 1 << 20);
	md = new_maildir("d1");
	ok(md >= 0, "maildir made");
	is_int(maildir_deliver_buf(md, "H: 1\n", 5, "body\n", 5, NULL, &name,
	    &warn), 0, "deliver a buffer");
	ok(strstr(sbuf_str(&name), ",S=10") != NULL, ",S=10 in the name");
	is_int(maildir_name_size(name.s, name.len, &sz), 0, "size from name");
	is_int((long long)sz, 10, "size 10");
	sbuf_printf(&path, "%s/d1/new/%s", root, name.s);
	is_int(io_read_file(sbuf_str(&path), &got, 1 << 20), 0, "file in new/");
	is_mem(got.s, got.len, "H: 1\nbody\n", 10, "prefix + body");
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d1/tmp", root);
	is_int(count_entries(sbuf_str(&path)), 0, "tmp/ empty afterwards");
	/* From a pipe. */
	if (pipe(pfd) == 0) {
		(void)!write(pfd[1], "piped\n", 6);
		close(pfd[1]);
		is_int(maildir_deliver_fd(md, NULL, 0, pfd[0], NULL, &name,
		    &warn), 0, "deliver from a descriptor");
		close(pfd[0]);
	}
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d1/new", root);
	is_int(count_entries(sbuf_str(&path)), 2, "two messages in new/");
	/* A symlinked new/ is refused. */
	fd = new_maildir("d2");
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d2/new", root);
	rmdir(sbuf_str(&path));
	(void)!symlink("../d1/new", path.s);
	errno = 0;
	is_int(maildir_deliver_buf(fd, NULL, 0, "x\n", 2, NULL, &name, &warn),
	    -1, "symlinked new/ refused");
	ok(errno == ELOOP || errno == ENOTDIR, "with ELOOP (%d)", errno);
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d1/new", root);
	is_int(count_entries(sbuf_str(&path)), 2, "nothing landed in the target");
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d2/tmp", root);
	is_int(count_entries(sbuf_str(&path)), 0, "tmp/ cleaned on failure");
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/d2/new/x", root);
	errno = 0;
	ok(maildir_open_path(sbuf_str(&path)) == -1, "open_path refuses a "
	    "symlinked component");
	close(fd);
	close(md);
	sbuf_fini(&name);
	sbuf_fini(&path);
	sbuf_fini(&got);
}

static void
test_quota(void)
{
	struct maildir_quota q = { 0, 0 }, pq;
	struct maildir_usage u;
	struct sbuf name, path, got;
	const char *warn;
	char big[100];
	int md, i, fd;

	sbuf_init(&name, MAILDIR_NAME_MAX);
	sbuf_init(&path, 1024);
	sbuf_init(&got, 1 << 20);
	is_int(maildir_quota_parse("1000S,10C", 9, &pq), 0, "parse S,C");
	ok(pq.bytes == 1000 && pq.count == 10, "values");
	is_int(maildir_quota_parse("10C", 3, &pq), 0, "parse C alone");
	is_int(maildir_quota_parse("10X", 3, &pq), -1, "bad unit");
	is_int(maildir_quota_parse("", 0, &pq), -1, "empty");
	is_int(maildir_quota_parse("1S,2S", 5, &pq), -1, "S twice");
	is_int(maildirsize_parse("100S\n 10 1\n-5 -1\n", 17, &pq, &u), 0,
	    "parse maildirsize");
	ok(u.bytes == 5 && u.count == 0, "sum with a negative line");
	is_int(maildirsize_parse("100S\n10 1", 9, &pq, &u), -1,
	    "partial last line");
	memset(big, 'x', sizeof(big));
	md = new_maildir("q1");
	q.bytes = 250;
	is_int(maildir_deliver_buf(md, NULL, 0, big, 100, &q, &name, &warn), 0,
	    "100 of 250 fits");
	ok(warn == NULL, "no warning");
	sbuf_printf(&path, "%s/q1/maildirsize", root);
	is_int(io_read_file(sbuf_str(&path), &got, 1 << 20), 0,
	    "maildirsize created");
	is_mem(got.s, got.len, "250S\n0 0\n100 1\n", 15,
	    "recalculated then appended");
	is_int(maildir_deliver_buf(md, NULL, 0, big, 100, &q, &name, &warn), 0,
	    "200 of 250 fits");
	errno = 0;
	is_int(maildir_deliver_buf(md, NULL, 0, big, 100, &q, &name, &warn), -1,
	    "300 of 250 refused");
	is_int(errno, EDQUOT, "EDQUOT");
	is_int(maildir_deliver_buf(md, NULL, 0, big, 50, &q, &name, &warn), 0,
	    "exactly 250 fits");
	/* A changed limit forces a recalculation. */
	q.bytes = 1000;
	q.count = 5;
	is_int(maildir_quota_check(md, &q, 1, &u), 0, "new limit: fits");
	ok(u.bytes == 250 && u.count == 3, "recalculated usage (%lld %lld)",
	    (long long)u.bytes, (long long)u.count);
	/* A file that grew past MAILDIR_SIZE_RECALC is recalculated. */
	fd = open(sbuf_str(&path), O_WRONLY | O_APPEND);
	for (i = 0; i < 1300; i++)
		(void)!write(fd, "1 0\n", 4);	/* 1300 bogus bytes */
	close(fd);
	is_int(maildir_quota_check(md, &q, 1, &u), 0, "big file: check");
	is_int((long long)u.bytes, 250, "bogus lines dropped by recalc");
	is_int(io_read_file(sbuf_str(&path), &got, 1 << 20), 0, "reread");
	is_mem(got.s, got.len, "1000S,5C\n250 3\n", 15, "rewritten file");
	q.count = 3;
	is_int(maildir_quota_check(md, &q, 1, &u), 1, "count limit reached");
	/* A folder counts, .Trash does not. */
	q.count = 0;
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/q1/.Sent", root);
	mkdir(sbuf_str(&path), 0700);
	fd = maildir_open_path(path.s);
	maildir_make(fd);
	maildir_deliver_buf(fd, NULL, 0, big, 30, NULL, &name, &warn);
	close(fd);
	sbuf_reset(&path);
	sbuf_printf(&path, "%s/q1/.Trash", root);
	mkdir(sbuf_str(&path), 0700);
	fd = maildir_open_path(path.s);
	maildir_make(fd);
	maildir_deliver_buf(fd, NULL, 0, big, 70, NULL, &name, &warn);
	close(fd);
	is_int(maildir_quota_recalc(md, &q, &u), 0, "recalc");
	ok(u.bytes == 280 && u.count == 4, "folder counted, Trash not "
	    "(%lld %lld)", (long long)u.bytes, (long long)u.count);
	close(md);
	sbuf_fini(&name);
	sbuf_fini(&path);
	sbuf_fini(&got);
}

static void
test_flags(void)
{
	struct sbuf b;
	uint64_t f;
	const char *n = "123.M1P2Q3.h,S=5:2,SRa";

	sbuf_init(&b, MAILDIR_NAME_MAX);
	is_int(maildir_flags_parse(n, strlen(n), &f), 0, "parse flags");
	ok(f == (MAILDIR_FLAG('S') | MAILDIR_FLAG('R') | MAILDIR_FLAG('a')),
	    "S R a");
	is_int(maildir_name_set_flags(&b, n, strlen(n), f | MAILDIR_FLAG('F')),
	    0, "set flags");
	is_str(sbuf_str(&b), "123.M1P2Q3.h,S=5:2,FRSa", "sorted flags");
	is_int(maildir_flags_parse("x", 1, &f), 0, "no info part");
	is_int((long long)f, 0, "no flags");
	is_int(maildir_flags_parse("x:1,S", 5, &f), -1, "experimental info");
	is_int(maildir_flags_parse("x:2,S!", 6, &f), -1, "bad flag char");
	is_int((long long)maildir_base_len(n, strlen(n)), 16, "base length");
	sbuf_fini(&b);
}

int
main(void)
{
	const char *t = getenv("TMPDIR");

	snprintf(root, sizeof(root), "%s/tern-maildir.XXXXXX", t ? t : "/tmp");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_names();
	test_deliver();
	test_quota();
	test_flags();
	if (done_testing() == 0) {
		nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
		return 0;
	}
	return 1;
}
