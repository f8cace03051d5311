/* bio_deflate.c - raw deflate under a bio (IMAP COMPRESS); see
 * bio_deflate.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "lib/bio.h"
#include "lib/bio_deflate.h"
#include "lib/mem.h"

#define ZIN_SIZE	BIO_BUFSIZE	/* compressed input (holds all a bio
					   had buffered at the start) */

struct bio_deflate {
	void		*lctx;		/* the ops below */
	bio_readfn	 lread;
	bio_writefn	 lwrite;
	bio_pendingfn	 lpending;
	z_stream	 in, out;
	int		 in_ok, out_ok;	/* zlib streams initialised */
	unsigned char	*zin;		/* compressed input */
	unsigned char	*zout;		/* compressed output */
	size_t		 zout_cap, zout_off, zout_len;
	size_t		 owed;		/* input taken, output not yet sent */
	int		 in_more;	/* inflate may hold output */
	int		 in_end;	/* the peer's stream ended */
	uint64_t	 in_raw, in_z, out_raw, out_z;
};

/* Inflate into buf (at most n): bytes, 0 at end, -1 or BIO_WANT_*. */
static ssize_t
dz_read(void *ctx, void *buf, size_t n)
{
	struct bio_deflate *z = ctx;
	size_t got, before;
	ssize_t r;
	int rc;

	if (n > UINT_MAX)
		n = UINT_MAX;
	for (;;) {
		if (z->in_end)
			return 0;
		if (z->in.avail_in > 0 || z->in_more) {
			before = z->in.avail_in;
			z->in.next_out = buf;
			z->in.avail_out = (uInt)n;
			rc = inflate(&z->in, Z_SYNC_FLUSH);
			got = n - z->in.avail_out;
			z->in_more = z->in.avail_out == 0;
			z->in_raw += got;
			if (rc == Z_STREAM_END)
				z->in_end = 1;
			else if (rc != Z_OK && rc != Z_BUF_ERROR) {
				errno = EPROTO;
				return -1;
			}
			if (got > 0)
				return (ssize_t)got;
			if (z->in_end)
				return 0;
			if (z->in.avail_in > 0 && z->in.avail_in == before) {
				errno = EPROTO;	/* no progress: never loop */
				return -1;
			}
			z->in_more = 0;
			if (z->in.avail_in > 0)
				continue;
		}
		r = z->lread(z->lctx, z->zin, ZIN_SIZE);
		if (r <= 0)
			return r;
		if ((size_t)r > ZIN_SIZE) {
			errno = EIO;
			return -1;
		}
		z->in_z += (uint64_t)r;
		z->in.next_in = z->zin;
		z->in.avail_in = (uInt)r;
	}
}

static size_t
dz_pending(void *ctx)
{
	struct bio_deflate *z = ctx;
	size_t n;

	if (z->in_end)
		return 0;
	n = z->in.avail_in + (z->in_more ? 1 : 0);
	if (z->lpending != NULL)
		n += z->lpending(z->lctx);
	return n;
}

/* Write the compressed bytes held: 0 when all are out, else what the
 * ops below said (BIO_WANT_*, -1). */
static ssize_t
dz_drain(struct bio_deflate *z)
{
	ssize_t r;

	while (z->zout_len > 0) {
		r = z->lwrite(z->lctx, z->zout + z->zout_off, z->zout_len);
		if (r == 0) {
			errno = EIO;	/* no progress */
			return -1;
		}
		if (r < 0)
			return r;
		if ((size_t)r > z->zout_len) {
			errno = EIO;
			return -1;
		}
		z->zout_off += (size_t)r;
		z->zout_len -= (size_t)r;
		z->out_z += (uint64_t)r;
	}
	z->zout_off = 0;
	return 0;
}

/*
 * Deflate up to BIO_DEFLATE_CHUNK bytes with a sync flush and return their
 * count once the output is written below.  When the ops below must wait,
 * return what they said: bio polls and calls again with the same bytes,
 * and the held output is written before the count is given.
 */
static ssize_t
dz_write(void *ctx, const void *buf, size_t n)
{
	struct bio_deflate *z = ctx;
	size_t take, c;
	ssize_t r;
	int rc;

	if (z->owed == 0) {
		take = n < BIO_DEFLATE_CHUNK ? n : BIO_DEFLATE_CHUNK;
		z->out.next_in = (z_const Bytef *)buf;
		z->out.avail_in = (uInt)take;
		z->out.next_out = z->zout;
		z->out.avail_out = (uInt)z->zout_cap;
		rc = deflate(&z->out, Z_SYNC_FLUSH);
		/* zout_cap is above deflateBound(): one call does it all. */
		if (rc != Z_OK || z->out.avail_in != 0 ||
		    z->out.avail_out == 0) {
			errno = EIO;
			return -1;
		}
		z->zout_off = 0;
		z->zout_len = z->zout_cap - z->out.avail_out;
		z->owed = take;
		z->out_raw += take;
	}
	if ((r = dz_drain(z)) != 0)
		return r;
	c = z->owed;
	z->owed = 0;
	return (ssize_t)c;
}

void
bio_deflate_free(struct bio_deflate **zp)
{
	struct bio_deflate *z = *zp;

	if (z == NULL)
		return;
	if (z->in_ok)
		(void)inflateEnd(&z->in);
	if (z->out_ok)
		(void)deflateEnd(&z->out);
	mem_free(&z->zin);
	mem_free(&z->zout);
	free(z);
	*zp = NULL;
}

static int
dz_init(struct bio_deflate *z)
{
	if (inflateInit2(&z->in, -15) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	z->in_ok = 1;
	if (deflateInit2(&z->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
	    -BIO_DEFLATE_WBITS, BIO_DEFLATE_MEMLEVEL,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		errno = ENOMEM;
		return -1;
	}
	z->out_ok = 1;
	/* Room for one chunk: the bound plus a sync flush's empty block. */
	z->zout_cap = deflateBound(&z->out, BIO_DEFLATE_CHUNK) + 64;
	if ((z->zin = mem_alloc(ZIN_SIZE, 1)) == NULL ||
	    (z->zout = mem_alloc(z->zout_cap, 1)) == NULL)
		return -1;
	return 0;
}

int
bio_deflate_start(struct bio *b, struct bio_deflate **z_r)
{
	struct bio_deflate *z;
	size_t held;
	ssize_t r;
	int e;

	*z_r = NULL;
	if (bio_flush(b) == -1)
		return -1;
	if ((z = mem_alloc(1, sizeof(*z))) == NULL)
		return -1;
	if (dz_init(z) == -1)
		goto fail;
	bio_get_ops(b, &z->lctx, &z->lread, &z->lwrite, &z->lpending);
	/* What the bio holds beyond what its ops hold is compressed. */
	held = bio_pending(b) - (z->lpending != NULL ?
	    z->lpending(z->lctx) : 0);
	if (held > ZIN_SIZE) {
		errno = EIO;
		goto fail;
	}
	if (held > 0) {
		if ((r = bio_read(b, z->zin, held)) < 0 || (size_t)r != held) {
			errno = EIO;
			goto fail;
		}
		z->in.next_in = z->zin;
		z->in.avail_in = (uInt)held;
		z->in_z += held;
	}
	bio_set_ops(b, z, dz_read, dz_write, dz_pending);
	*z_r = z;
	return 0;
fail:
	e = errno;
	bio_deflate_free(&z);
	errno = e;
	return -1;
}

void
bio_deflate_counts(const struct bio_deflate *z, uint64_t *in_raw_r,
    uint64_t *in_z_r, uint64_t *out_raw_r, uint64_t *out_z_r)
{
	*in_raw_r = z->in_raw;
	*in_z_r = z->in_z;
	*out_raw_r = z->out_raw;
	*out_z_r = z->out_z;
}
