/*
 * Unit tests for lib/cdbmap: lookups, reopen on a new inode, bad files;
 * each run in the three ways a file is read (pread, then mapped after
 * enough lookups; always pread; always mapped), and the switch itself,
 * long records, many keys, stale misses and their confirmation; huge
 * pages (cdbmap_hugepages) with a forked child, a reload and bad files.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "t/tap.h"

static char dir[] = "/tmp/tern-cdbmap.XXXXXX";
static char path[256], tmp[256];
static int mode;		/* CDBMAP_READ, CDBMAP_MAP or 0 (the default) */
static const char *mode_name = "";

/* cdbmap_open in this run's mode. */
static struct cdbmap *
open_m(const char *p, int flags)
{
	return cdbmap_open(p, flags | mode);
}

/* Build path from "k=v" pairs via a temp file and a rename (new inode). */
static int
build(const char *const *kv)
{
	struct cdbmap_make *w;
	const char *eq;

	if ((w = cdbmap_make_start(tmp, 0644)) == NULL)
		return -1;
	for (; *kv != NULL; kv++) {
		eq = strchr(*kv, '=');
		if (cdbmap_make_add(w, *kv, (size_t)(eq - *kv), eq + 1,
		    strlen(eq + 1)) < 0) {
			cdbmap_make_abort(&w);
			return -1;
		}
	}
	if (cdbmap_make_finish(&w) < 0)
		return -1;
	return rename(tmp, path);
}

static int
lookup_is(struct cdbmap *m, const char *key, const char *want)
{
	const void *v;
	size_t vlen;
	int r;

	r = cdbmap_lookup(m, key, strlen(key), &v, &vlen);
	if (want == NULL)
		return r == 0;
	return r == 1 && vlen == strlen(want) && memcmp(v, want, vlen) == 0;
}

static void
test_basic(void)
{
	static const char *const v1[] = { "alice@example.org=1001",
	    "bob@example.org=1002", "=empty-key", NULL };
	static const char *const v2[] = { "alice@example.org=2001",
	    "carol@example.org=2003", NULL };
	struct cdbmap *m, *m2;

	is_int(build(v1), 0, "build a map");
	ok((m = open_m(path, 0)) != NULL, "open");
	ok(lookup_is(m, "alice@example.org", "1001"), "found alice");
	ok(lookup_is(m, "bob@example.org", "1002"), "found bob");
	ok(lookup_is(m, "", "empty-key"), "empty key");
	ok(lookup_is(m, "nobody@example.org", NULL), "not found");
	ok(lookup_is(m, "ALICE@example.org", NULL), "keys are exact bytes");
	/* Recompile: new inode renamed into place. */
	ok((m2 = open_m(path, CDBMAP_CHECK_EVERY)) != NULL,
	    "second reader checks every lookup");
	is_int(build(v2), 0, "rebuild");
	ok(lookup_is(m2, "alice@example.org", "2001"),
	    "reader sees the recompiled map at once");
	ok(lookup_is(m2, "bob@example.org", NULL), "old key gone");
	is_int(cdbmap_refresh(m), 0, "refresh");
	ok(lookup_is(m, "carol@example.org", "2003"), "after refresh: new map");
	is_int((long long)cdbmap_generation(m), 2, "mapped twice");
	/* The check interval passes: the reader notices by itself. */
	is_int(build(v1), 0, "rebuild again");
	sleep(1);
	usleep(100000);
	ok(lookup_is(m, "bob@example.org", "1002"),
	    "after a second the reader notices by itself");
	/* A miss is never answered from an older file: a key added a
	 * moment ago is found at once, without waiting for the check. */
	is_int(build(v2), 0, "rebuild with carol");
	ok(lookup_is(m, "carol@example.org", "2003"),
	    "a key just added is found at once (a miss re-checks the file)");
	ok(lookup_is(m, "alice@example.org", "2001"),
	    "... and the rest of the reader's map is the new one");
	/* Removed file: error for a plain map. */
	is_int(unlink(path), 0, "remove the map");
	errno = 0;
	{
		const void *v;
		size_t vlen;

		is_int(cdbmap_lookup(m2, "a", 1, &v, &vlen), -1,
		    "missing file is an error");
		is_int(errno, ENOENT, "ENOENT");
	}
	cdbmap_close(&m);
	cdbmap_close(&m2);
	ok(m == NULL && m2 == NULL, "close NULLs the handle");
	cdbmap_close(&m);	/* a second close is harmless */
}

/* cdbmap_walk's callback: append "key=val;" to the sbuf-less buffer. */
static int
walk_cat(const void *k, size_t klen, const void *v, size_t vlen, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	if (n + klen + vlen + 3 > 256)
		return 2;
	memcpy(out + n, k, klen);
	out[n + klen] = '=';
	memcpy(out + n + klen + 1, v, vlen);
	memcpy(out + n + klen + 1 + vlen, ";", 2);
	return strncmp(k, "stop", klen) == 0 ? 1 : 0;
}

static void
test_walk(void)
{
	static const char *const v[] = { "b.example=relay",
	    "a.example=local", "stop=x", "c.example=local", NULL };
	char got[256] = "";

	is_int(build(v), 0, "build a map to walk");
	is_int(cdbmap_walk(path, walk_cat, got), 1, "walk: fn's value");
	is_str(got, "b.example=relay;a.example=local;stop=x;",
	    "walk: the records in the order written, up to the stop");
	is_int(cdbmap_walk(tmp, walk_cat, got), -1, "walk: missing file");
	{
		FILE *f = fopen(tmp, "w");

		if (f != NULL) {
			fputs("not a cdb", f);
			fclose(f);
		}
	}
	ok(cdbmap_walk(tmp, walk_cat, got) == -1 && errno == EPROTO,
	    "walk: a file too short is EPROTO");
	(void)unlink(tmp);
}

static void
test_missing(void)
{
	static const char *const v1[] = { "k=v", NULL };
	struct cdbmap *m;

	(void)unlink(path);
	errno = 0;
	ok(open_m(path, 0) == NULL && errno == ENOENT,
	    "missing file: ENOENT");
	ok((m = open_m(path, CDBMAP_MISSING_OK | CDBMAP_CHECK_EVERY)) !=
	    NULL, "missing file as empty map");
	ok(lookup_is(m, "k", NULL), "empty map finds nothing");
	is_int(build(v1), 0, "file appears");
	ok(lookup_is(m, "k", "v"), "and is seen");
	is_int(unlink(path), 0, "file goes");
	ok(lookup_is(m, "k", NULL), "empty again");
	cdbmap_close(&m);
}

static int
write_file(const char *p, const void *data, size_t len)
{
	int fd;

	(void)unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return -1;
	if (write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void
put32(unsigned char *p, unsigned v)
{
	p[0] = v & 0xff;
	p[1] = (v >> 8) & 0xff;
	p[2] = (v >> 16) & 0xff;
	p[3] = (v >> 24) & 0xff;
}

/* Every lookup of a corrupt map gives 0 or -1, never a crash. */
static int
probe(struct cdbmap *m)
{
	char key[16];
	const void *v;
	size_t vlen;
	int i, r, bad = 0;

	for (i = 0; i < 2000; i++) {
		snprintf(key, sizeof key, "k%d", i);
		r = cdbmap_lookup(m, key, strlen(key), &v, &vlen);
		if (r < -1 || r > 1)
			bad++;
	}
	return bad;
}

static void
test_corrupt(void)
{
	static unsigned char buf[8192];
	const char *const many[] = { "k1=v1", "k2=v2", "k3=v3", "k10=v10",
	    "k100=vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv", NULL };
	struct cdbmap *m;
	struct stat st;
	unsigned i;
	int fd;

	is_int(write_file(path, "short", 5), 0, "short file");
	errno = 0;
	ok(open_m(path, 0) == NULL && errno == EPROTO,
	    "a file shorter than the table of contents is refused (EPROTO)");
	is_int(write_file(path, "", 0), 0, "empty file");
	ok(open_m(path, 0) == NULL, "an empty file is refused");
	/* Garbage: pseudo-random bytes. */
	srand(7);
	for (i = 0; i < sizeof buf; i++)
		buf[i] = (unsigned char)rand();
	is_int(write_file(path, buf, sizeof buf), 0, "garbage file");
	m = open_m(path, 0);
	ok(m == NULL || probe(m) == 0, "garbage: lookups fail cleanly");
	cdbmap_close(&m);
	/* Every table points past the end of the file. */
	memset(buf, 0, sizeof buf);
	for (i = 0; i < 256; i++) {
		put32(buf + i * 8, 0x7ffffff0U);
		put32(buf + i * 8 + 4, 16);
	}
	is_int(write_file(path, buf, 4096), 0, "tables beyond the end");
	ok((m = open_m(path, 0)) != NULL, "opens (header is plausible)");
	{
		const void *v;
		size_t vlen;

		errno = 0;
		is_int(m ? cdbmap_lookup(m, "k1", 2, &v, &vlen) : -1, -1,
		    "lookup refuses an out-of-file table");
		is_int(errno, EPROTO, "EPROTO");
	}
	cdbmap_close(&m);
	/* A valid map cut short. */
	is_int(build(many), 0, "valid map");
	is_int(stat(path, &st), 0, "stat");
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && ftruncate(fd, st.st_size - 40) == 0, "truncate it");
	if (fd >= 0)
		close(fd);
	m = open_m(path, 0);
	ok(m == NULL || probe(m) == 0, "truncated: lookups fail cleanly");
	cdbmap_close(&m);
	fd = open(path, O_WRONLY);
	ok(fd >= 0 && ftruncate(fd, 2100) == 0, "cut into the data");
	if (fd >= 0)
		close(fd);
	m = open_m(path, 0);
	ok(m == NULL || probe(m) == 0, "cut data: lookups fail cleanly");
	cdbmap_close(&m);
	is_int(unlink(path), 0, "remove");
	is_int(mkdir(path, 0700), 0, "a folder in its place");
	ok(open_m(path, 0) == NULL, "a folder is refused");
	(void)rmdir(path);
}

/* A map of n keys "k<i>" with values "v<i>" plus pad bytes. */
static int
build_n(int n, size_t pad)
{
	struct cdbmap_make *w;
	char key[32], *val;
	size_t vlen;
	int i, r = 0;

	if ((w = cdbmap_make_start(tmp, 0644)) == NULL)
		return -1;
	if ((val = malloc(pad + 32)) == NULL) {
		cdbmap_make_abort(&w);
		return -1;
	}
	for (i = 0; i < n && r == 0; i++) {
		snprintf(key, sizeof key, "k%d", i);
		vlen = (size_t)snprintf(val, 32, "v%d", i);
		memset(val + vlen, 'x', pad);
		r = cdbmap_make_add(w, key, strlen(key), val, vlen + pad);
	}
	free(val);
	if (r < 0) {
		cdbmap_make_abort(&w);
		return -1;
	}
	if (cdbmap_make_finish(&w) < 0)
		return -1;
	return rename(tmp, path);
}

/* Look up "k0".."k<n-1>" (found, right value) and "m<i>" (not found). */
static int
all_found(struct cdbmap *m, int n, size_t pad)
{
	char key[32], want[32];
	const void *v;
	size_t vlen, wlen;
	int i, bad = 0;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof key, "k%d", i);
		wlen = (size_t)snprintf(want, sizeof want, "v%d", i);
		if (cdbmap_lookup(m, key, strlen(key), &v, &vlen) != 1 ||
		    vlen != wlen + pad || memcmp(v, want, wlen) != 0 ||
		    (pad > 0 && ((const char *)v)[vlen - 1] != 'x'))
			bad++;
		snprintf(key, sizeof key, "m%d", i);
		if (cdbmap_lookup(m, key, strlen(key), &v, &vlen) != 0)
			bad++;
	}
	return bad;
}

static void
test_many(void)
{
	struct cdbmap *m;

	ok(build_n(5000, 0) == 0, "%s: a map of 5000 keys", mode_name);
	ok((m = open_m(path, 0)) != NULL, "open it");
	is_int(m ? all_found(m, 5000, 0) : -1, 0,
	    "every key found with its value, every other key missed");
	cdbmap_close(&m);
	/* Values longer than the first read of a record (512 bytes). */
	is_int(build_n(50, 3000), 0, "a map of long values");
	ok((m = open_m(path, 0)) != NULL, "open it");
	is_int(m ? all_found(m, 50, 3000) : -1, 0, "long values whole");
	cdbmap_close(&m);
}

static void
test_switch(void)
{
	struct cdbmap *m;
	int before;

	is_int(build_n(100, 0), 0, "a map of 100 keys");
	ok((m = cdbmap_open(path, 0)) != NULL, "open it (default)");
	if (m == NULL)
		return;
	before = cdbmap_is_mapped(m);
	is_int(all_found(m, 100, 0), 0, "200 lookups right");
	ok(!before && cdbmap_is_mapped(m),
	    "read by pread first, mapped after enough lookups");
	is_int(all_found(m, 100, 0), 0, "... and right when mapped");
	is_int((long long)cdbmap_generation(m), 1, "the same file: no reload");
	cdbmap_close(&m);
	ok((m = cdbmap_open(path, CDBMAP_READ)) != NULL, "open CDBMAP_READ");
	is_int(m ? all_found(m, 100, 0) : -1, 0, "200 lookups right");
	ok(m != NULL && !cdbmap_is_mapped(m), "still read by pread");
	cdbmap_close(&m);
	ok((m = cdbmap_open(path, CDBMAP_MAP)) != NULL && cdbmap_is_mapped(m),
	    "CDBMAP_MAP: mapped at once");
	cdbmap_close(&m);
}

static void
test_stale(void)
{
	static const char *const v1[] = { "alice=1", NULL };
	static const char *const v2[] = { "alice=1", "bob=2", NULL };
	static const char *const v3[] = { "alice=1", "bob=2", "carol=3", NULL };
	struct cdbmap *m;
	const void *v;
	size_t vlen;

	ok(build(v1) == 0, "%s: a map without bob", mode_name);
	ok((m = open_m(path, 0)) != NULL, "open it");
	if (m == NULL)
		return;
	is_int(cdbmap_confirm(m), 0, "nothing to confirm yet");
	is_int(cdbmap_lookup_stale(m, "bob", 3, &v, &vlen), 0, "bob: a miss");
	is_int(build(v2), 0, "bob is added");
	is_int(cdbmap_confirm(m), 1, "confirming the miss finds a new file");
	is_int(cdbmap_lookup_stale(m, "bob", 3, &v, &vlen), 1, "bob found");
	ok(vlen == 1 && memcmp(v, "2", 1) == 0, "with his value");
	is_int(cdbmap_confirm(m), 0, "a hit needs no confirmation");
	is_int(build(v3), 0, "carol is added");
	is_int(cdbmap_confirm(m), 0,
	    "no stale miss since the last check: nothing checked");
	is_int((long long)cdbmap_generation(m), 2, "(the old file kept)");
	is_int(cdbmap_lookup(m, "carol", 5, &v, &vlen), 1,
	    "a plain lookup's miss is never stale: carol found");
	cdbmap_close(&m);
}

/*
 * A forked child that moves a descriptor onto the number of a map's
 * (dup2) and then closes the map keeps its descriptor: tern-lspawn's
 * delivery child lost its result socket that way.
 */
static void
test_moved_fd(void)
{
	static const char *const v1[] = { "k=v", NULL };
	struct cdbmap *m;
	int low, other;

	is_int(build(v1), 0, "a map");
	/* The lowest free number is the one the map's descriptor gets. */
	if ((low = open("/dev/null", O_RDONLY)) < 0 || close(low) < 0) {
		ok(0, "a free descriptor number");
		return;
	}
	ok((m = cdbmap_open(path, CDBMAP_READ)) != NULL, "opened (pread)");
	other = open("/dev/null", O_RDONLY);
	ok(other >= 0 && dup2(other, low) == low,
	    "another file moved onto its descriptor's number");
	cdbmap_close(&m);
	ok(fcntl(low, F_GETFD) != -1, "closing the map leaves that one open");
	(void)close(low);
	(void)close(other);
}


/* A map of 9 MiB: over the 8 MiB cdbmap_hugepages() makes huge. */
#define HUGE_N		2200
#define HUGE_PAD	4300

/* Replace path by its first len bytes (a new inode): 0 or -1. */
static int
cut_copy(size_t len)
{
	unsigned char *b;
	ssize_t got;
	int fd, r;

	if ((b = malloc(len)) == NULL || (fd = open(path, O_RDONLY)) < 0) {
		free(b);
		return -1;
	}
	got = read(fd, b, len);
	(void)close(fd);
	r = got == (ssize_t)len && write_file(tmp, b, len) == 0 &&
	    rename(tmp, path) == 0 ? 0 : -1;
	free(b);
	return r;
}

/*
 * A session forked from the process that made the map huge, after the
 * map was replaced: it sees the new file (a key only there is found, the
 * rest right) and loads it without making it huge itself.  The exit
 * status says what went wrong (0: nothing).
 */
static int
child_sees_new(struct cdbmap *m)
{
	char key[32];

	snprintf(key, sizeof key, "k%d", HUGE_N + 5);
	if (!lookup_is(m, key, NULL) &&
	    cdbmap_generation(m) == 2 && !cdbmap_is_huge(m) &&
	    all_found(m, HUGE_N + 10, HUGE_PAD) == 0)
		return 0;
	return 1;
}

/* Lookups in a map cut short: 0 or -1 only (and no read outside it). */
static int
probe_cut(struct cdbmap *m)
{
	const void *v;
	size_t vlen;
	char key[32];
	int i, r, bad = 0;

	for (i = 0; i < 200; i++) {
		snprintf(key, sizeof key, "k%d", i);
		cdbmap_prefetch(m, key, strlen(key));
		r = cdbmap_lookup(m, key, strlen(key), &v, &vlen);
		if (r != 0 && r != -1)
			bad++;
	}
	return bad;
}

static void
test_huge(void)
{
	const void *v;
	size_t vlen;
	struct cdbmap *m;
	char key[32];
	struct cdbmap *mm;
	int huge, i, st = -1;
	pid_t pid;

	is_int(build_n(HUGE_N, HUGE_PAD), 0, "huge: a map of 9 MiB");
	ok((m = cdbmap_open(path, CDBMAP_MAP)) != NULL && cdbmap_is_mapped(m),
	    "CDBMAP_MAP maps it (at a 2 MiB boundary)");
	is_int(m ? all_found(m, HUGE_N, HUGE_PAD) : -1, 0, "every key right");
	cdbmap_close(&m);
	ok((m = cdbmap_open(path, 0)) != NULL, "open it (default)");
	if (m == NULL)
		return;
	huge = cdbmap_hugepages(m);
	ok(huge == 0 || huge == 1, "cdbmap_hugepages: %s", huge == 1 ?
	    "the page cache holds it in 2 MiB pages" :
	    "this kernel gave no 2 MiB pages");
	is_int(cdbmap_is_huge(m), huge, "cdbmap_is_huge agrees");
	ok(!cdbmap_is_mapped(m), "still read by pread");
	for (i = 0; i < 200 && !cdbmap_is_mapped(m); i++) {
		snprintf(key, sizeof key, "k%d", i);
		(void)cdbmap_lookup(m, key, strlen(key), &v, &vlen);
	}
	if (huge)
		ok(cdbmap_is_mapped(m) && i == 32 + 9 + 1,
		    "mapped after 32 + size / 1 MiB lookups (%d)", i);
	else
		skip(1, "no 2 MiB pages: the switch comes as before");
	is_int(all_found(m, HUGE_N, HUGE_PAD), 0, "every key right");
	cdbmap_prefetch(m, "k7", 2);
	cdbmap_prefetch(m, "", 0);
	ok(cdbmap_lookup(m, "k7", 2, &v, &vlen) == 1 && vlen == 2 + HUGE_PAD &&
	    memcmp(v, "v7", 2) == 0, "a prefetch changes no answer");
	/* A replacement, seen by a child of this process, then here. */
	is_int(build_n(HUGE_N + 10, HUGE_PAD), 0, "the map is replaced");
	is_int(cdbmap_check(m), 0, "cdbmap_check within the second: no stat");
	is_int((long long)cdbmap_generation(m), 1, "... the old file kept");
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(child_sees_new(m));
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0,
	    "a forked session sees the new map, loaded without a re-read");
	is_int(cdbmap_refresh(m), 0, "reload here");
	is_int((long long)cdbmap_generation(m), 2, "the new file");
	is_int(cdbmap_is_huge(m), huge, "made huge again, as the first");
	is_int(all_found(m, HUGE_N + 10, HUGE_PAD), 0,
	    "lookups after the reload right");
	/* Damaged replacements are refused as before. */
	is_int(cut_copy(5U * 1024 * 1024), 0, "a copy cut at 5 MiB");
	is_int(cdbmap_refresh(m), 0, "loads (its header is plausible)");
	errno = 0;
	is_int(cdbmap_lookup(m, "k1", 2, &v, &vlen), -1,
	    "a lookup whose table is past the end fails");
	is_int(errno, EPROTO, "EPROTO");
	ok(probe_cut(m) == 0, "every lookup and prefetch fails cleanly");
	mm = cdbmap_open(path, CDBMAP_MAP);
	ok(mm != NULL && probe_cut(mm) == 0, "... mapped at once too");
	cdbmap_close(&mm);
	is_int(write_file(path, "short", 5), 0, "a file of 5 bytes");
	errno = 0;
	ok(cdbmap_refresh(m) == -1 && errno == EPROTO,
	    "refused (EPROTO)");
	is_int(cdbmap_lookup(m, "k1", 2, &v, &vlen), -1,
	    "lookups fail until a good file comes");
	cdbmap_close(&m);
	/* A small map: nothing to make huge. */
	is_int(build_n(10, 0), 0, "a small map");
	ok((m = cdbmap_open(path, 0)) != NULL && cdbmap_hugepages(m) == 0 &&
	    all_found(m, 10, 0) == 0, "cdbmap_hugepages: 0, lookups right");
	cdbmap_close(&m);
}

int
main(void)
{
	static const int modes[] = { 0, CDBMAP_READ, CDBMAP_MAP };
	static const char *const names[] = { "default", "pread", "mmap" };
	size_t i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/map.cdb", dir);
	snprintf(tmp, sizeof tmp, "%s/map.cdb.tmp", dir);
	for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
		mode = modes[i];
		mode_name = names[i];
		diag("mode: %s", mode_name);
		test_basic();
		test_missing();
		test_corrupt();
		test_many();
		test_stale();
	}
	mode = 0;
	test_walk();
	test_switch();
	test_moved_fd();
	test_huge();
	(void)unlink(path);
	(void)unlink(tmp);
	(void)rmdir(dir);
	return done_testing();
}
