/*
 * Fuzz target: lib/cdbmap's two readers of a cdb file, pread()
 * (CDBMAP_READ) and tinycdb's mapped reader (CDBMAP_MAP), on the input as
 * a file.  Neither may crash or read outside the file; where both answer
 * (0 or 1) they give the same answer and the same value.  The keys looked
 * up: a few fixed ones and every short slice at the start of the input's
 * records area (where a mutated record's key is).  The mapped handle's
 * prefetch hints run before each of its lookups (they read hash slots).
 * Then cdbmap_walk over the same file: every record it hands out lies
 * inside the file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdbmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char path[64];

static int
write_input(const uint8_t *data, size_t len)
{
	size_t off = 0;
	ssize_t w;
	int fd, n;

	if (path[0] == '\0') {
		n = snprintf(path, sizeof path, "/tmp/tern-fuzz-cdbmap.%ld",
		    (long)getpid());
		if (n < 0 || (size_t)n >= sizeof path) {
			path[0] = '\0';
			return -1;
		}
	}
	(void)unlink(path);	/* a left-over of a crashed run, or none */
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	while (off < len) {
		if ((w = write(fd, data + off, len - off)) <= 0) {
			(void)close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

static void
compare(struct cdbmap *r, struct cdbmap *m, const void *key, size_t klen)
{
	const void *rv, *mv;
	size_t rn, mn;
	int a, b;

	a = cdbmap_lookup(r, key, klen, &rv, &rn);
	/* Keep the pread answer: the value lives in r's buffer. */
	/* The prefetch hints read the map's slots: inside the file only. */
	cdbmap_prefetch(m, key, klen);
	cdbmap_prefetch_record(m, key, klen);
	b = cdbmap_lookup(m, key, klen, &mv, &mn);
	if (a < -1 || a > 1 || b < -1 || b > 1)
		abort();
	if (a >= 0 && b >= 0 && (a != b ||
	    (a == 1 && (rn != mn || memcmp(rv, mv, rn) != 0))))
		abort();
}

/* cdbmap_walk's callback: read every byte, never stop the walk. */
static int
walk_one(const void *key, size_t klen, const void *val, size_t vlen,
    void *arg)
{
	const unsigned char *k = key, *v = val;
	volatile unsigned *sum = arg;
	size_t i;

	for (i = 0; i < klen; i++)
		*sum += k[i];
	for (i = 0; i < vlen; i++)
		*sum += v[i];
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const fixed[] = { "", "k", "alice@example.org",
	    "@example.org", "example.org" };
	struct cdbmap *r, *m;
	size_t i, k;

	if (len > 1024 * 1024 || write_input(data, len) < 0)
		return 0;
	r = cdbmap_open(path, CDBMAP_READ | CDBMAP_CHECK_EVERY);
	m = cdbmap_open(path, CDBMAP_MAP | CDBMAP_CHECK_EVERY);
	if (r != NULL && m != NULL) {
		for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
			compare(r, m, fixed[i], strlen(fixed[i]));
		/* Record keys start 8 bytes into a record, at 2048 first. */
		for (i = 2056; i < len && i < 2056 + 64; i++)
			for (k = 1; k <= 24 && i + k <= len; k++)
				compare(r, m, data + i, k);
	}
	cdbmap_close(&r);
	cdbmap_close(&m);
	/* The walk (tern-qmgr's first local domain): every byte of each
	 * record it gives is read, so ASan sees one past the file. */
	{
		volatile unsigned sum = 0;
		int w = cdbmap_walk(path, walk_one, (void *)&sum);

		if (w < -1 || w > 0)
			abort();
	}
	(void)unlink(path);
	return 0;
}
