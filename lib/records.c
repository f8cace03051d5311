/* records.c - one message of type-length records; see records.h. */
#include <errno.h>
#include <poll.h>

#include "lib/io.h"
#include "lib/records.h"
#include "lib/sbuf.h"

#define RECORDS_CHUNK	4096	/* bytes read at a time, at least */

ssize_t
records_end(const unsigned char *p, size_t n, int end)
{
	size_t off = 0;
	uint32_t len;

	while (n - off >= RECORDS_HDR) {
		len = (uint32_t)p[off + 1] << 24 | (uint32_t)p[off + 2] << 16 |
		    (uint32_t)p[off + 3] << 8 | p[off + 4];
		if (p[off] == (unsigned char)end)
			return len == 0 ? (ssize_t)(off + RECORDS_HDR) : -1;
		if (len > n - off - RECORDS_HDR)
			return 0;
		off += RECORDS_HDR + len;
	}
	return 0;
}

int
records_read(int fd, struct sbuf *out, size_t max, int end, int64_t deadline)
{
	ssize_t k, e;
	size_t room;

	sbuf_reset(out);
	for (;;) {
		if (out->len >= max) {
			errno = E2BIG;
			return -1;
		}
		room = max - out->len < RECORDS_CHUNK ? max - out->len :
		    RECORDS_CHUNK;
		/* sbuf keeps a byte for its NUL: room + 1 at least. */
		if (out->cap - out->len <= room && sbuf_reserve(out, room) < 0)
			return -1;
		room = out->cap - out->len - 1 < max - out->len ?
		    out->cap - out->len - 1 : max - out->len;
		if (io_wait(fd, POLLIN, deadline) < 0)
			return -1;
		if ((k = io_read(fd, out->s + out->len, room)) < 0) {
			if (errno == EAGAIN)
				continue;
			return -1;
		}
		if (k == 0) {
			errno = EPROTO;
			return -1;
		}
		out->len += (size_t)k;
		e = records_end((const unsigned char *)out->s, out->len, end);
		if (e < 0 || (e > 0 && (size_t)e != out->len)) {
			errno = EPROTO;
			return -1;
		}
		if (e > 0)
			return 0;
	}
}
