/*
 * records.h - reading one message of type-length records, up to its END
 * record, from a descriptor with a deadline.  tern-qmgr, tern-remote,
 * tern-lspawn and tern-local speak this framing to each other
 * (lib/remote.h, lib/lspawn.h): a record is a type byte, a 4-byte
 * big-endian length and that many bytes; the END record (the caller's
 * type byte) has length 0 and closes the message.
 *
 * Contract: records_read(fd, out, max, end, deadline) resets out, then
 * reads until the END record is in it (END included) and returns 0.  It
 * reads in chunks, not a record at a time, so the peer must send nothing
 * after END before it has the answer: bytes after END are a protocol
 * error, as is a non-empty END.  At most max bytes; every wait ends at
 * deadline (io_deadline_ms).  -1 with errno: ETIMEDOUT, E2BIG (more than
 * max), EPROTO (the peer closed first: out->len is 0 when it closed
 * before sending a byte, the normal end of a kept connection; or a
 * malformed stream), or a read or allocation error.  Never prints.
 */
#ifndef TERN_RECORDS_H
#define TERN_RECORDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sbuf.h"

#define RECORDS_HDR	5	/* type byte + 4-byte length */

int	records_read(int fd, struct sbuf *out, size_t max, int end,
	    int64_t deadline);
/* Where the records of p[0..n) end: the offset just past a complete END
 * record, 0 while incomplete, -1 when END is not empty. */
ssize_t	records_end(const unsigned char *p, size_t n, int end);

#endif
