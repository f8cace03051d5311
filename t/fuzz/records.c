/*
 * Fuzz target: lib/records, the type-length framing between tern-qmgr,
 * tern-remote, tern-lspawn and tern-local, over arbitrary bytes.  The
 * first byte is the END type, the second picks the size limit; the rest
 * is the stream.  records_end's answer is checked against a second walk
 * of the records, and records_read reads the same bytes from a pipe: it
 * must take exactly the chain records_end finds, or refuse.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/records.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Walk the records one by one: is p[0..at) a chain ending in END? */
static int
chain_ends_at(const uint8_t *p, size_t at, int end)
{
	size_t off = 0;
	uint32_t len;

	while (off + RECORDS_HDR <= at) {
		len = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 |
		    (uint32_t)p[off + 3] << 8 | p[off + 4];
		if (p[off] == (uint8_t)end)
			return len == 0 && off + RECORDS_HDR == at;
		if (len > at - off - RECORDS_HDR)
			return 0;
		off += RECORDS_HDR + len;
	}
	return 0;
}

static void
via_pipe(const uint8_t *p, size_t n, int end, size_t max, ssize_t e)
{
	struct sbuf out;
	int fd[2], r;

	/* A pipe holds 64 KiB: the fuzzer's inputs are well under. */
	if (n > 60000 || pipe(fd) == -1)
		return;
	if (n > 0 && write(fd[1], p, n) != (ssize_t)n)
		abort();
	close(fd[1]);
	sbuf_init(&out, max + 1);
	r = records_read(fd[0], &out, max, end, io_deadline_ms(5000));
	close(fd[0]);
	if (r == 0) {
		/*
		 * Taken: a whole chain within max, read from the start.
		 * Bytes the reader did not reach stay unread (the peer
		 * sends nothing after END before its answer).
		 */
		if (e <= 0 || out.len != (size_t)e || out.len > max ||
		    memcmp(out.s, p, out.len) != 0 ||
		    !chain_ends_at(p, out.len, end))
			abort();
	} else {
		if (errno == ETIMEDOUT)
			abort();	/* the writer closed: never a wait */
		if (e > 0 && (size_t)e == n && n < max)
			abort();	/* a good stream refused */
	}
	sbuf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p;
	size_t n, max;
	ssize_t e;
	int end;

	if (size < 2)
		return 0;
	end = data[0];
	max = 16 + (size_t)data[1] * 64;
	p = data + 2;
	n = size - 2;
	e = records_end(p, n, end);
	if (e > 0) {
		if ((size_t)e > n || !chain_ends_at(p, (size_t)e, end))
			abort();
	} else if (e == 0) {
		size_t k;

		/* Incomplete: no prefix is a whole chain either. */
		for (k = RECORDS_HDR; k <= n && k <= 4096; k++)
			if (chain_ends_at(p, k, end))
				abort();
	}
	via_pipe(p, n, end, max, e);
	return 0;
}
