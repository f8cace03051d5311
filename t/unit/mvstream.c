/* Unit tests for lib/mvstream: a Maildir sent and received whole (files,
 * folders, modes, mtimes; tmp/ contents and symlinks left out), and bad
 * streams refused. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/mvstream.h"
#include "t/tap.h"

static char top[] = "/tmp/tern-mvstream.XXXXXX";
static char p[512];

static const char *
at(const char *rel)
{
	(void)snprintf(p, sizeof p, "%s/%s", top, rel);
	return p;
}

static void
put(const char *rel, const char *data, time_t mtime)
{
	struct timespec ts[2] = { { mtime, 5 }, { mtime, 5 } };
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data) ||
	    futimens(fd, ts) < 0 || close(fd) < 0)
		diag("cannot write %s", rel);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
dirfd_of(const char *rel)
{
	return open(at(rel), O_RDONLY | O_DIRECTORY);
}

/* Receive the bytes into a fresh folder "rel": the mvstream_recv result. */
static int
recv_bytes(const void *buf, size_t len, const char *rel, const char **why)
{
	int mfd = memfd_create("mv", 0), dfd, r;

	if (mfd < 0 || write(mfd, buf, len) != (ssize_t)len ||
	    lseek(mfd, 0, SEEK_SET) < 0 || mkdir(at(rel), 0700) < 0 ||
	    (dfd = dirfd_of(rel)) < 0)
		return -2;
	r = mvstream_recv(mfd, dfd, 0, 0, 0, NULL, why);
	close(dfd);
	close(mfd);
	return r;
}

static int
file_is(const char *rel, const char *want)
{
	char buf[256];
	ssize_t n;
	int fd = open(at(rel), O_RDONLY);

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

static void
bad_stream(const char *s, const char *name, const char *want_why)
{
	static int k;
	char rel[32];
	const char *why = NULL;
	int r;

	(void)snprintf(rel, sizeof rel, "bad%d", k++);
	r = recv_bytes(s, strlen(s), rel, &why);
	ok(r == -1 && errno == EPROTO && why != NULL &&
	    strcmp(why, want_why) == 0, "refused: %s (%s)", name,
	    why ? why : "no reason");
}

int
main(void)
{
	struct mvstream_stats st, rs;
	struct stat sb;
	const char *why = NULL;
	char *buf;
	size_t blen;
	FILE *mem;
	int sfd, dfd, r;

	plan(22);
	if (mkdtemp(top) == NULL)
		return 1;
	/* A Maildir: INBOX, a folder, index files, tmp/ in progress. */
	mkdir(at("src"), 0700);
	mkdir(at("src/cur"), 0700);
	mkdir(at("src/new"), 0700);
	mkdir(at("src/tmp"), 0700);
	mkdir(at("src/.Sent Items"), 0750);
	mkdir(at("src/.Sent Items/cur"), 0700);
	mkdir(at("src/.Sent Items/new"), 0700);
	mkdir(at("src/.Sent Items/tmp"), 0700);
	put("src/cur/1.M1P1.h,S=5:2,S", "hello", 1000000000);
	put("src/new/2.M2P2.h", "world!", 1000000100);
	put("src/tmp/3.M3P3.h", "in progress", 1000000200);
	put("src/tern-index", "IDX", 1000000300);
	put("src/dovecot-keywords", "0 $Junk\n", 1000000400);
	put("src/.Sent Items/cur/4.M4P4.h:2,", "sent", 1000000500);
	if (symlink("/etc/passwd", at("src/evil")) < 0)
		diag("symlink");
	{
		struct timespec ts[2] = { { 1100000000, 7 }, { 1100000000, 7 } };

		utimensat(AT_FDCWD, at("src/cur"), ts, 0);
	}

	mem = open_memstream(&buf, &blen);
	sfd = dirfd_of("src");
	{
		int pfd[2];
		char chunk[4096];
		ssize_t n;

		/* Through a pipe, read by this process after the send ends
		 * (the stream is small). */
		if (pipe(pfd) < 0)
			return 1;
		fcntl(pfd[1], F_SETPIPE_SZ, 1 << 20);
		r = mvstream_send(sfd, pfd[1], &st);
		close(pfd[1]);
		while ((n = read(pfd[0], chunk, sizeof chunk)) > 0)
			fwrite(chunk, 1, (size_t)n, mem);
		close(pfd[0]);
	}
	fclose(mem);
	close(sfd);
	is_int(r, 0, "send");
	is_int((long long)st.files, 5, "5 files (tmp/ contents and the symlink left out)");
	is_int((long long)st.dirs, 7, "7 folders");
	is_int((long long)st.bytes, 5 + 6 + 3 + 8 + 4, "bytes counted");

	r = recv_bytes(buf, blen, "dst", &why);
	is_int(r, 0, "receive");
	if (r != 0)
		diag("why: %s (%s)", why ? why : "-", strerror(errno));
	ok(file_is("dst/cur/1.M1P1.h,S=5:2,S", "hello"), "cur/ message");
	ok(file_is("dst/new/2.M2P2.h", "world!"), "new/ message");
	ok(file_is("dst/.Sent Items/cur/4.M4P4.h:2,", "sent"), "a folder with a blank in its name");
	ok(file_is("dst/tern-index", "IDX") && file_is("dst/dovecot-keywords", "0 $Junk\n"), "index and keywords files");
	ok(stat(at("dst/tmp"), &sb) == 0 && S_ISDIR(sb.st_mode), "tmp/ exists");
	ok(stat(at("dst/tmp/3.M3P3.h"), &sb) < 0 && errno == ENOENT, "but not what was in it");
	ok(lstat(at("dst/evil"), &sb) < 0 && errno == ENOENT, "no symlink");
	ok(stat(at("dst/cur/1.M1P1.h,S=5:2,S"), &sb) == 0 &&
	    sb.st_mtim.tv_sec == 1000000000 && sb.st_mtim.tv_nsec == 5, "a file's mtime kept");
	ok(stat(at("dst/cur"), &sb) == 0 && sb.st_mtim.tv_sec == 1100000000 &&
	    sb.st_mtim.tv_nsec == 7, "cur/'s mtime kept (set after its files)");
	ok(stat(at("dst/.Sent Items"), &sb) == 0 && (sb.st_mode & 0777) == 0750, "a folder's mode kept");
	(void)rs;

	/* The same stream into a folder that already has it: refused. */
	dfd = dirfd_of("dst");
	{
		int mfd = memfd_create("mv", 0);

		if (write(mfd, buf, blen) != (ssize_t)blen)
			diag("memfd write");
		lseek(mfd, 0, SEEK_SET);
		r = mvstream_recv(mfd, dfd, 0, 0, 0, NULL, &why);
		ok(r == -1 && errno == EPROTO, "a second copy over the first is refused");
		close(mfd);
	}
	close(dfd);
	free(buf);

	bad_stream("TERNMV1\nD 700 1 0 2\n..", "a '..' path", "bad path component");
	bad_stream("TERNMV1\nF 600 1 0 1 5\nx/../yz", "'..' inside a path", "bad path component");
	bad_stream("TERNMV1\nF 600 1 0 1 5\ncur/xz", "a file before its folder", "an entry before its directory");
	bad_stream("TERNMV1\nD 700 1 0 3\ncurE 1 0\n", "counts that disagree", "the end record's counts disagree");
	bad_stream("TERNMV1\nE 0 0\nX", "bytes after the end", "bytes after the end record");
	bad_stream("TERNMV1\nD 700 1 0 3\ncur", "no end record", "the stream ends inside a header");
	nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
