/*
 * bio_deflate.c - unit tests for lib/bio_deflate: both directions through
 * memory-backed ops that hand out and take a few bytes at a time (with
 * BIO_WANT_* in between), compressed input pipelined before the start,
 * a sync flush at each bio_flush, a deflate bomb (each read bounded by
 * the bio's buffer), corrupt input (EPROTO) and the stream's end (EOF).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/bio.h"
#include "lib/bio_deflate.h"
#include "lib/sbuf.h"
#include "t/tap.h"

struct wire {
	const unsigned char *in;	/* what the peer sent */
	size_t		 in_n, in_off;
	struct sbuf	 out;		/* what we sent */
	unsigned	 calls;
	size_t		 chunk;		/* bytes per call */
};

static ssize_t
w_read(void *ctx, void *buf, size_t n)
{
	struct wire *w = ctx;
	size_t k = w->chunk;

	if (w->calls++ % 3 == 1)
		return BIO_WANT_READ;
	if (w->in_off >= w->in_n)
		return 0;
	if (k > n)
		k = n;
	if (k > w->in_n - w->in_off)
		k = w->in_n - w->in_off;
	memcpy(buf, w->in + w->in_off, k);
	w->in_off += k;
	return (ssize_t)k;
}

static ssize_t
w_write(void *ctx, const void *buf, size_t n)
{
	struct wire *w = ctx;
	size_t k = w->chunk < n ? w->chunk : n;

	if (w->calls++ % 3 == 1)
		return BIO_WANT_WRITE;
	if (sbuf_cat_n(&w->out, buf, k) < 0)
		return -1;
	return (ssize_t)k;
}

/* Raw deflate of p (the peer's side), flushed with how. */
static void
peer_deflate(z_stream *zs, const void *p, size_t n, int how, struct sbuf *to)
{
	unsigned char buf[4096];
	int rc;

	zs->next_in = (Bytef *)(uintptr_t)p;
	zs->avail_in = (uInt)n;
	do {
		zs->next_out = buf;
		zs->avail_out = sizeof buf;
		rc = deflate(zs, how);
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR)
			abort();
		if (sbuf_cat_n(to, buf, sizeof buf - zs->avail_out) < 0)
			abort();
	} while (zs->avail_out == 0 || zs->avail_in > 0);
}

/* Raw inflate of what we sent. */
static int
peer_inflate(const struct sbuf *z, struct sbuf *to)
{
	unsigned char buf[4096];
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof zs);
	if (inflateInit2(&zs, -15) != Z_OK)
		return -1;
	zs.next_in = (Bytef *)z->s;
	zs.avail_in = (uInt)z->len;
	do {
		zs.next_out = buf;
		zs.avail_out = sizeof buf;
		rc = inflate(&zs, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			break;
		if (sbuf_cat_n(to, buf, sizeof buf - zs.avail_out) < 0)
			break;
	} while (zs.avail_in > 0 || zs.avail_out == 0);
	(void)inflateEnd(&zs);
	return zs.avail_in == 0 ? 0 : -1;
}

static void
test_round_trip(void)
{
	static const char head[] = "a1 COMPRESS DEFLATE\r\n";
	struct sbuf in, line, back, big;
	struct bio_deflate *z = NULL;
	struct wire w;
	struct bio *b;
	z_stream zs;
	size_t i;
	int eol;

	sbuf_init(&in, 1 << 20);
	sbuf_init(&line, 1024);
	sbuf_init(&back, 1 << 22);
	sbuf_init(&big, 1 << 21);
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		abort();
	(void)sbuf_cat_s(&in, head);
	peer_deflate(&zs, "a2 NOOP\r\n", 9, Z_SYNC_FLUSH, &in);
	peer_deflate(&zs, "a3 IDLE\r\nDO", 11, Z_SYNC_FLUSH, &in);
	peer_deflate(&zs, "NE\r\n", 4, Z_FINISH, &in);
	(void)deflateEnd(&zs);

	memset(&w, 0, sizeof w);
	w.in = (const unsigned char *)in.s;
	w.in_n = in.len;
	w.chunk = 64;	/* the first read takes the command and more */
	sbuf_init(&w.out, 1 << 22);
	b = bio_new(-1, -1);
	bio_set_ops(b, &w, w_read, w_write, NULL);
	is_int(bio_getline(b, &line, 1024, &eol), BIO_OK, "plain command");
	is_str(sbuf_str(&line), "a1 COMPRESS DEFLATE", "... read plain");
	ok(bio_pending(b) > 0, "compressed bytes already buffered");
	(void)bio_puts(b, "a1 OK DEFLATE active\r\n");
	is_int(bio_deflate_start(b, &z), 0, "start");
	is_int((long long)w.out.len, 22, "the OK went out plain");
	w.chunk = 3;
	is_int(bio_getline(b, &line, 1024, &eol), BIO_OK, "inflated line");
	is_str(sbuf_str(&line), "a2 NOOP", "pipelined input inflated");
	is_int(bio_getline(b, &line, 1024, &eol), BIO_OK, "second line");
	is_str(sbuf_str(&line), "a3 IDLE", "... across sync flushes");
	is_int(bio_getline(b, &line, 1024, &eol), BIO_OK, "split line");
	is_str(sbuf_str(&line), "DONE", "... joined");
	is_int(bio_getline(b, &line, 1024, &eol), BIO_EOF,
	    "the peer's final block reads as EOF");

	/* Output: each flush is complete at the peer. */
	sbuf_reset(&w.out);
	(void)bio_puts(b, "* 1 EXISTS\r\n");
	is_int(bio_flush(b), 0, "flush");
	is_int(peer_inflate(&w.out, &back), 0, "peer inflates the flush");
	is_str(sbuf_str(&back), "* 1 EXISTS\r\n", "... whole, no wait");
	for (i = 0; i < 1500000; i++)
		(void)sbuf_cat_c(&big, (char)("abcdefghij\r\n"[i % 12] +
		    (i % 977 == 0)));
	sbuf_reset(&w.out);
	sbuf_reset(&back);
	(void)bio_puts(b, "x");
	is_int(bio_write(b, big.s, big.len), 0, "big write");
	is_int(bio_flush(b), 0, "... flushed");
	is_int(peer_inflate(&w.out, &back), 0, "peer inflates it");
	ok(back.len == big.len + 1 && back.s[0] == 'x' &&
	    memcmp(back.s + 1, big.s, big.len) == 0, "big write intact");
	ok(w.out.len < big.len / 4, "and compressed (%zu bytes)", w.out.len);
	bio_free(&b);
	bio_deflate_free(&z);
	ok(z == NULL, "free NULLs");
	sbuf_fini(&w.out);
	sbuf_fini(&in);
	sbuf_fini(&line);
	sbuf_fini(&back);
	sbuf_fini(&big);
}

static void
test_bomb(void)
{
	static char zeros[65536];
	struct bio_deflate *z = NULL;
	struct sbuf in, line;
	struct wire w;
	struct bio *b;
	z_stream zs;
	static char buf[65536];
	uint64_t total = 0;
	size_t maxread = 0, i;
	ssize_t r;
	int eol;

	sbuf_init(&in, 1 << 20);
	sbuf_init(&line, 1024);
	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		abort();
	for (i = 0; i < 512; i++)	/* 32 MiB of zeros */
		peer_deflate(&zs, zeros, sizeof zeros, Z_NO_FLUSH, &in);
	peer_deflate(&zs, "\r\n", 2, Z_FINISH, &in);
	(void)deflateEnd(&zs);
	ok(in.len < 64 * 1024, "bomb: %zu bytes compressed", in.len);

	memset(&w, 0, sizeof w);
	w.in = (const unsigned char *)in.s;
	w.in_n = in.len;
	w.chunk = 4096;
	sbuf_init(&w.out, 1024);
	b = bio_new(-1, -1);
	bio_set_ops(b, &w, w_read, w_write, NULL);
	is_int(bio_deflate_start(b, &z), 0, "bomb: start");
	while ((r = bio_read(b, buf, sizeof buf)) > 0) {
		total += (uint64_t)r;
		if ((size_t)r > maxread)
			maxread = (size_t)r;
	}
	is_int(r, 0, "bomb: read to the end");
	is_int((long long)total, 32 * 1024 * 1024 + 2, "bomb: all of it");
	ok(maxread <= BIO_BUFSIZE, "bomb: each read at most the buffer "
	    "(%zu)", maxread);
	bio_free(&b);
	bio_deflate_free(&z);

	/* The same bomb read as lines: refused as too long, bounded. */
	w.in_off = 0;
	w.calls = 0;
	b = bio_new(-1, -1);
	bio_set_ops(b, &w, w_read, w_write, NULL);
	is_int(bio_deflate_start(b, &z), 0, "bomb lines: start");
	is_int(bio_getline(b, &line, 1024, &eol), BIO_TOOLONG,
	    "bomb lines: too long");
	ok(line.len <= 1024, "bomb lines: kept at most max");
	bio_free(&b);
	bio_deflate_free(&z);
	sbuf_fini(&w.out);
	sbuf_fini(&in);
	sbuf_fini(&line);
}

static void
test_corrupt(void)
{
	static const unsigned char junk[] = { 0xff, 0xff, 0xff, 0xff, 0x00,
	    0x12, 0x34 };
	struct bio_deflate *z = NULL;
	struct sbuf line;
	struct wire w;
	struct bio *b;
	int eol;

	sbuf_init(&line, 1024);
	memset(&w, 0, sizeof w);
	w.in = junk;
	w.in_n = sizeof junk;
	w.chunk = 2;
	sbuf_init(&w.out, 1024);
	b = bio_new(-1, -1);
	bio_set_ops(b, &w, w_read, w_write, NULL);
	is_int(bio_deflate_start(b, &z), 0, "corrupt: start");
	errno = 0;
	is_int(bio_getline(b, &line, 1024, &eol), BIO_ERR, "corrupt: error");
	is_int(errno, EPROTO, "corrupt: EPROTO");
	bio_free(&b);
	bio_deflate_free(&z);
	bio_deflate_free(&z);	/* NULL: nothing */
	sbuf_fini(&w.out);
	sbuf_fini(&line);
}

int
main(void)
{
	plan(32);
	test_round_trip();
	test_bomb();
	test_corrupt();
	return done_testing();
}
