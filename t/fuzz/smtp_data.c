/*
 * Fuzz target: the DATA reader.  Byte 0 picks the flags, byte 1 a size
 * limit (0: none, else byte * 16), byte 2 seeds the chunking; the rest is
 * what the client sends.  The input is fed whole, one byte at a time and
 * in pseudo-random chunks: every way must give the same output, end
 * offset, status and header counts.  Invariants: no bare CR or LF in the
 * output (except BINARYMIME), the output never exceeds the limit, and the
 * end is only ever found right after CR LF "." CR LF.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/smtp_data.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct res {
	int		rc;
	size_t		used;
	int		status;
	unsigned	received;
	uint64_t	header_end;
	uint64_t	size;
};

static void
feed(const char *p, size_t n, unsigned flags, uint64_t limit, unsigned seed,
    int mode, struct sbuf *out, struct res *r)
{
	struct smtp_data d;
	size_t off = 0, k, used;

	smtp_data_init(&d, limit, flags);
	sbuf_reset(out);
	r->rc = SMTP_DATA_MORE;
	r->used = 0;
	while (off < n) {
		if (mode == 0)
			k = n - off;
		else if (mode == 1)
			k = 1;
		else {
			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 17;
			if (k > n - off)
				k = n - off;
		}
		r->rc = smtp_data_feed(&d, p + off, k, out, &used);
		if (r->rc < 0)
			abort();
		if (used > k)
			abort();
		r->used += used;
		if (r->rc == SMTP_DATA_END)
			break;
		if (used != k)
			abort();
		off += k;
	}
	if (r->rc == SMTP_DATA_MORE && (flags & SMTP_DATA_BDAT) &&
	    smtp_data_finish(&d, out) < 0)
		abort();
	r->status = smtp_data_status(&d);
	r->received = d.received;
	r->header_end = d.header_end;
	r->size = d.size;
	if (r->rc == SMTP_DATA_END && (r->used < 3 ||
	    memcmp(p + r->used - 3, ".\r\n", 3) != 0 ||
	    (r->used > 3 && (r->used < 5 ||
	    memcmp(p + r->used - 5, "\r\n", 2) != 0))))
		abort();
	if (r->rc == SMTP_DATA_END && (flags & SMTP_DATA_BDAT))
		abort();
}

static void
check_output(const struct sbuf *out, unsigned flags, uint64_t limit)
{
	size_t i;

	if (limit != 0 && out->len > limit)
		abort();
	if (flags & SMTP_DATA_BINARY)
		return;
	for (i = 0; i < out->len; i++) {
		if (out->s[i] == '\r' &&
		    (i + 1 == out->len || out->s[i + 1] != '\n'))
			abort();
		if (out->s[i] == '\n' && (i == 0 || out->s[i - 1] != '\r'))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf o0, o1;
	struct res r0, r1;
	unsigned flags, seed;
	uint64_t limit;
	int mode;

	if (size < 3)
		return 0;
	flags = data[0] & (SMTP_DATA_NORMALIZE | SMTP_DATA_BDAT |
	    SMTP_DATA_BINARY);
	if (!(flags & SMTP_DATA_BDAT))
		flags &= ~(unsigned)SMTP_DATA_BINARY;
	limit = (uint64_t)data[1] * 16;
	seed = data[2];
	data += 3;
	size -= 3;
	sbuf_init(&o0, 2 * size + 16);
	sbuf_init(&o1, 2 * size + 16);
	feed((const char *)data, size, flags, limit, seed, 0, &o0, &r0);
	check_output(&o0, flags, limit);
	for (mode = 1; mode <= 2; mode++) {
		feed((const char *)data, size, flags, limit, seed, mode, &o1,
		    &r1);
		if (r1.rc != r0.rc || r1.used != r0.used ||
		    r1.status != r0.status || r1.received != r0.received ||
		    r1.header_end != r0.header_end || r1.size != r0.size ||
		    o1.len != o0.len ||
		    (o0.len > 0 && memcmp(o0.s, o1.s, o0.len) != 0))
			abort();
	}
	sbuf_fini(&o0);
	sbuf_fini(&o1);
	return 0;
}
