/*
 * bio_line.c - fuzz bio_getline through memory-backed ops.
 *
 * Input: byte 0 picks the line maximum (1..64), byte 1 the read chunk
 * pattern; the rest is the stream.  Checks: every line fits max, an OK
 * line holds no LF, and when no line was too long, the lines joined with
 * their terminators give back the stream exactly (nothing lost, added or
 * split).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/sbuf.h"

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
	k = 1 + ((f->pattern + f->calls * 7) % ((f->pattern & 0x3f) + 1));
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
	struct fz f;
	struct bio *b;
	struct sbuf line, back;
	size_t max, guard;
	int r, eol, toolong = 0;

	if (size < 2)
		return 0;
	max = 1 + data[0] % 64;
	f.p = data + 2;
	f.n = size - 2;
	f.off = 0;
	f.pattern = data[1];
	f.calls = 0;
	if ((b = bio_new(-1, -1)) == NULL)
		return 0;
	bio_set_ops(b, &f, fz_read, fz_write, NULL);
	sbuf_init(&line, max);
	sbuf_init(&back, f.n + 1);
	for (guard = 0; guard <= f.n + 1; guard++) {
		r = bio_getline(b, &line, max, &eol);
		if (r == BIO_EOF || r == BIO_ERR)
			break;
		if (line.len > max)
			abort();
		if (r == BIO_TOOLONG) {
			toolong = 1;
			continue;
		}
		if (r != BIO_OK ||
		    (line.len > 0 && memchr(line.s, '\n', line.len) != NULL))
			abort();
		if (sbuf_cat_sbuf(&back, &line) < 0)
			abort();
		if (eol == BIO_EOL_CRLF && sbuf_cat_s(&back, "\r\n") < 0)
			abort();
		if (eol == BIO_EOL_LF && sbuf_cat_s(&back, "\n") < 0)
			abort();
	}
	if (r != BIO_EOF || guard > f.n)
		abort();	/* memory ops never fail; EOF must come */
	if (!toolong &&
	    (back.len != f.n || (f.n > 0 && memcmp(back.s, f.p, f.n) != 0)))
		abort();
	/* Output side: formatting into the buffer must not misbehave. */
	if (bio_printf(b, "%.*s", (int)(f.n > 100 ? 100 : f.n), f.p) < 0 ||
	    bio_flush(b) < 0)
		abort();
	sbuf_fini(&line);
	sbuf_fini(&back);
	bio_free(&b);
	return 0;
}
