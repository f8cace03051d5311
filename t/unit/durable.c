/* Unit tests for lib/durable, in a mkdtemp folder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char dir[] = "/tmp/tern-durable-XXXXXX";

static const char *
P(const char *name)
{
	static char buf[4][512];
	static int slot;
	char *b = buf[slot++ % 4];

	if (snprintf(b, 512, "%s/%s", dir, name) >= 512)
		abort();
	return b;
}

static int
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

static int
count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static int
content_is(const char *path, const char *want)
{
	struct sbuf s;
	int r;

	sbuf_init(&s, 1 << 20);
	r = io_read_file(path, &s, 1 << 20) == 0 && s.len == strlen(want) &&
	    memcmp(s.s, want, s.len) == 0;
	sbuf_fini(&s);
	return r;
}

static void
test_excl(void)
{
	int fd;

	(void)umask(022);
	fd = durable_open_excl(P("msg"), 0600);
	ok(fd >= 0, "open_excl creates");
	is_int(io_write_full(fd, "hello\n", 6), 0, "write");
	is_int(durable_close_sync(fd), 0, "close_sync");
	ok(content_is(P("msg"), "hello\n"), "content");
	is_int(mode_of(P("msg")), 0600, "mode 0600");
	errno = 0;
	is_int(durable_open_excl(P("msg"), 0600), -1, "existing name refused");
	is_int(errno, EEXIST, "EEXIST");
	is_int(symlink("/nonexistent-target", P("link")), 0, "make a symlink");
	errno = 0;
	is_int(durable_open_excl(P("link"), 0600), -1,
	    "dangling symlink not followed");
	is_int(errno, EEXIST, "EEXIST for the symlink");
	ok(access("/nonexistent-target", F_OK) < 0, "target not created");
	fd = durable_open_excl(P("wide"), 0644);
	ok(fd >= 0, "open_excl 0644");
	(void)umask(077);
	is_int(mode_of(P("wide")), 0644, "exact mode despite umask");
	is_int(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "close-on-exec");
	is_int(durable_close_sync(fd), 0, "close_sync empty file");
	errno = 0;
	is_int(durable_close_sync(-1), -1, "close_sync of a bad fd fails");
	is_int(errno, EBADF, "EBADF");
	(void)unlink(P("link"));
	(void)unlink(P("wide"));
	(void)unlink(P("msg"));
}

static void
test_atomic(void)
{
	is_int(durable_write_file_atomic(P("map.cdb"), "one", 3, 0644), 0,
	    "atomic write creates");
	ok(content_is(P("map.cdb"), "one"), "content one");
	is_int(mode_of(P("map.cdb")), 0644, "mode 0644 (umask 077)");
	is_int(durable_write_file_atomic(P("map.cdb"), "second", 6, 0640), 0,
	    "atomic write replaces");
	ok(content_is(P("map.cdb"), "second"), "content replaced");
	is_int(mode_of(P("map.cdb")), 0640, "new mode");
	is_int(count_entries(dir), 1, "no temp file left behind");
	is_int(durable_write_file_atomic(P("empty"), "", 0, 0600), 0,
	    "empty file");
	ok(content_is(P("empty"), ""), "empty content");
	errno = 0;
	is_int(durable_write_file_atomic(P("nodir/x"), "a", 1, 0600), -1,
	    "missing folder fails");
	is_int(errno, ENOENT, "ENOENT");
	is_int(count_entries(dir), 2, "nothing left by the failure");
	(void)unlink(P("map.cdb"));
	(void)unlink(P("empty"));
}

static void
test_atomic_stream(void)
{
	struct durable_atomic a;
	char stale[600];

	is_int(durable_atomic_open(&a, P("accounts.cdb"), 0640), 0,
	    "atomic_open");
	ok(a.fd >= 0 && a.tmp != NULL, "temp file open");
	ok(access(P("accounts.cdb"), F_OK) < 0, "final name not there yet");
	is_int(io_write_full(a.fd, "part1,", 6) | io_write_full(a.fd, "part2",
	    5), 0, "write in pieces");
	is_int(durable_atomic_commit(&a), 0, "commit");
	ok(a.fd == -1 && a.tmp == NULL && a.path == NULL, "struct cleared");
	ok(content_is(P("accounts.cdb"), "part1,part2"), "committed content");
	is_int(mode_of(P("accounts.cdb")), 0640, "committed mode");
	durable_atomic_abort(&a);
	ok(content_is(P("accounts.cdb"), "part1,part2"),
	    "abort after commit changes nothing");
	is_int(durable_atomic_open(&a, P("accounts.cdb"), 0640), 0,
	    "atomic_open again");
	is_int(io_write_full(a.fd, "junk", 4), 0, "write junk");
	durable_atomic_abort(&a);
	ok(content_is(P("accounts.cdb"), "part1,part2"), "abort keeps the old");
	is_int(count_entries(dir), 1, "abort removed the temp file");
	/* A stale temp file of our pid (a crashed run) is replaced. */
	if (snprintf(stale, sizeof stale, "%s%s%ld", P("accounts.cdb"),
	    DURABLE_TMP_SUFFIX, (long)getpid()) >= (int)sizeof stale)
		abort();
	(void)close(open(stale, O_WRONLY | O_CREAT, 0600));
	is_int(durable_write_file_atomic(P("accounts.cdb"), "v3", 2, 0640), 0,
	    "atomic write over a stale temp file");
	ok(content_is(P("accounts.cdb"), "v3"), "content v3");
	is_int(count_entries(dir), 1, "stale temp file gone");
	errno = 0;
	is_int(durable_atomic_commit(&a), -1, "commit of a cleared struct");
	is_int(errno, EBADF, "EBADF");
	(void)unlink(P("accounts.cdb"));
}

static void
test_rename_link(void)
{
	int fd;

	is_int(durable_mkdir_sync(P("tmp"), 0700), 0, "mkdir tmp");
	is_int(durable_mkdir_sync(P("new"), 0700), 0, "mkdir new");
	fd = durable_open_excl(P("tmp/m1"), 0600);
	is_int(io_write_full(fd, "body", 4) | durable_close_sync(fd), 0,
	    "write tmp/m1");
	is_int(durable_rename_sync(P("tmp/m1"), P("new/m1")), 0,
	    "rename_sync across folders");
	ok(content_is(P("new/m1"), "body"), "moved");
	ok(access(P("tmp/m1"), F_OK) < 0, "gone from tmp");
	is_int(durable_link_sync(P("new/m1"), P("tmp/l1")), 0, "link_sync");
	ok(content_is(P("tmp/l1"), "body"), "linked");
	is_int(durable_rename_sync(P("tmp/l1"), P("tmp/l2")), 0,
	    "rename_sync in one folder");
	errno = 0;
	is_int(durable_rename_sync(P("tmp/none"), P("tmp/x")), -1,
	    "rename of a missing file fails");
	is_int(errno, ENOENT, "ENOENT");
	is_int(durable_unlink_sync(P("tmp/l2")), 0, "unlink_sync");
	is_int(durable_unlink_sync(P("new/m1")), 0, "unlink_sync 2");
	is_int(durable_fsync_dir(dir), 0, "fsync_dir");
	errno = 0;
	is_int(durable_fsync_dir(P("nope")), -1, "fsync_dir missing");
	is_int(errno, ENOENT, "ENOENT");
	is_int(durable_fsync_parent("relative-name"), 0, "parent of a bare name");
	is_int(durable_fsync_parent("/etc"), 0, "parent of /etc");
}

static void
test_mkdir(void)
{
	int fd;

	is_int(mode_of(P("tmp")), 0700, "mkdir mode 0700");
	is_int(durable_mkdir_sync(P("tmp"), 0700), 0, "EEXIST folder is success");
	fd = durable_open_excl(P("file"), 0600);
	(void)close(fd);
	errno = 0;
	is_int(durable_mkdir_sync(P("file"), 0700), -1, "EEXIST file fails");
	is_int(errno, ENOTDIR, "ENOTDIR");
	errno = 0;
	is_int(durable_mkdir_sync(P("a/b"), 0700), -1, "no parent fails");
	is_int(errno, ENOENT, "ENOENT");
	is_int(durable_mkdirs_sync(P("a/b//c/"), 0750), 0, "mkdirs");
	is_int(mode_of(P("a")), 0750, "mkdirs: a");
	is_int(mode_of(P("a/b/c")), 0750, "mkdirs: a/b/c");
	is_int(durable_mkdirs_sync(P("a/b/c"), 0750), 0, "mkdirs again");
	errno = 0;
	is_int(durable_mkdirs_sync(P("file/x"), 0700), -1,
	    "mkdirs through a file fails");
	is_int(durable_mkdirs_sync("", 0700), -1, "mkdirs of empty fails");
	is_int(durable_mkdirs_sync("/", 0700), 0, "mkdirs of / is a no-op");
	(void)unlink(P("file"));
	(void)rmdir(P("a/b/c"));
	(void)rmdir(P("a/b"));
	(void)rmdir(P("a"));
	(void)rmdir(P("tmp"));
	(void)rmdir(P("new"));
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		diag("mkdtemp: %s", strerror(errno));
		return 1;
	}
	test_excl();
	test_atomic();
	test_atomic_stream();
	test_rename_link();
	test_mkdir();
	is_int(count_entries(dir), 0, "folder empty at the end");
	is_int(rmdir(dir), 0, "remove the test folder");
	return done_testing();
}
