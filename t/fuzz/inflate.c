/*
 * inflate.c - fuzz lib/bio_deflate's decompression (IMAP COMPRESS input).
 *
 * Input: byte 0 picks the read chunk size and whether the ops say
 * BIO_WANT_READ between reads; the rest is the peer's raw deflate stream.
 * Read it back as lines (bounded) and as raw reads.  Checks: no read
 * returns more than the bio's buffer, a line never exceeds its maximum,
 * and the session ends (EOF or an error) within a bounded number of
 * calls; write a reply through the deflate side too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/bio_deflate.h"
#include "lib/sbuf.h"

#define FZ_OUT_MAX	(8 * 1024 * 1024)	/* stop a bomb here */

struct fz {
	const uint8_t	*p;
	size_t		 n, off;
	unsigned	 pattern, calls;
};

static ssize_t
fz_read(void *ctx, void *buf, size_t n)
{
	struct fz *f = ctx;
	size_t k;

	f->calls++;
	if ((f->pattern & 0x80) && f->calls % 3 == 0)
		return BIO_WANT_READ;
	if (f->off >= f->n)
		return 0;
	k = 1 + (f->pattern & 0x7f) * 37;
	if (k > n)
		k = n;
	if (k > f->n - f->off)
		k = f->n - f->off;
	memcpy(buf, f->p + f->off, k);
	f->off += k;
	return (ssize_t)k;
}

static ssize_t
fz_write(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	return (ssize_t)n;
}

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[BIO_BUFSIZE * 2];
	struct bio_deflate *z = NULL;
	struct fz f;
	struct bio *b;
	struct sbuf line;
	uint64_t total = 0;
	size_t guard;
	ssize_t r;
	int k, eol, lines = data != NULL && size > 0 && (data[0] & 0x40);

	if (size < 1)
		return 0;
	f.p = data + 1;
	f.n = size - 1;
	f.off = 0;
	f.pattern = data[0];
	f.calls = 0;
	if ((b = bio_new(-1, -1)) == NULL)
		return 0;
	bio_set_ops(b, &f, fz_read, fz_write, NULL);
	if (bio_deflate_start(b, &z) < 0) {
		bio_free(&b);
		return 0;
	}
	sbuf_init(&line, 256);
	for (guard = 0; guard < FZ_OUT_MAX && total < FZ_OUT_MAX; guard++) {
		if (lines) {
			k = bio_getline(b, &line, 256, &eol);
			if (line.len > 256)
				abort();
			if (k == BIO_EOF || k == BIO_ERR)
				break;
			total += line.len + 1;
			continue;
		}
		r = bio_read(b, buf, sizeof buf);
		if (r > BIO_BUFSIZE)
			abort();
		if (r <= 0)
			break;
		total += (uint64_t)r;
	}
	if (guard >= FZ_OUT_MAX)
		abort();
	if (bio_puts(b, "* OK fuzz\r\n") < 0 || bio_flush(b) < 0)
		abort();
	sbuf_fini(&line);
	bio_free(&b);
	bio_deflate_free(&z);
	return 0;
}
