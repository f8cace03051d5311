/*
 * bio_deflate.h - a compression layer under a struct bio: raw deflate
 * (RFC 1951, no zlib header: windowBits -15) both ways, as IMAP
 * COMPRESS=DEFLATE (RFC 4978) needs.  It stacks on the bio's current ops
 * (bio_get_ops), so it works over plain descriptors and over TLS alike.
 *
 * bio_deflate_start(b, &z) flushes b, takes the bytes b has read but not
 * handed out (they are already compressed: a client may send right after
 * the command), and plugs the filter in: from then on the bio's reads
 * inflate and its writes deflate.  Each write call the bio makes (one per
 * bio_flush, or per full buffer) ends with Z_SYNC_FLUSH and returns only
 * once its compressed bytes are all written below, so what bio_flush
 * sent reaches the peer whole and nothing waits inside the filter.
 *
 * Bounds.  Memory is fixed at the start: zlib's state for each direction
 * (inflate: a 32 KiB window; deflate: BIO_DEFLATE_WBITS, memory level
 * BIO_DEFLATE_MEMLEVEL) and two buffers.  One read inflates at most what
 * the bio asks for (its buffer), so a deflate bomb grows no memory: it
 * only feeds the session's line and command limits, which refuse it.
 * The end of the peer's deflate stream (a final block) reads as end of
 * file; corrupt data fails the read with EPROTO.
 *
 * Return convention: 0 / -1 with errno (ENOMEM; EIO when zlib refuses to
 * start).  Ownership: z is the caller's; the bio keeps a pointer to it, so
 * free it (bio_deflate_free, which NULLs the pointer) only after the last
 * use of the bio, or after switching the bio's ops away.
 */
#ifndef TERN_BIO_DEFLATE_H
#define TERN_BIO_DEFLATE_H

#include <stdint.h>

struct bio;
struct bio_deflate;

#define BIO_DEFLATE_WBITS	15	/* our window (the peer's may be 15) */
#define BIO_DEFLATE_MEMLEVEL	8	/* zlib's default */
#define BIO_DEFLATE_CHUNK	16384	/* input bytes per deflate call */

int	bio_deflate_start(struct bio *, struct bio_deflate **z_r);
void	bio_deflate_free(struct bio_deflate **);
/* Bytes before and after compression, for the session's log line. */
void	bio_deflate_counts(const struct bio_deflate *, uint64_t *in_raw_r,
	    uint64_t *in_z_r, uint64_t *out_raw_r, uint64_t *out_z_r);

#endif
