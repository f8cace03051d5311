/* records.c - lib/records: one message of type-length records. */
#include <sys/socket.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/records.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static int sp[2];

static int
feed(const void *p, size_t n)
{
	return io_write_full(sp[0], p, n);
}

static int
readit(struct sbuf *out, size_t max, int64_t ms)
{
	return records_read(sp[1], out, max, 'E', io_deadline_ms(ms));
}

static void
fresh(void)
{
	if (sp[0] >= 0) {
		(void)close(sp[0]);
		(void)close(sp[1]);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		sp[0] = sp[1] = -1;
}

int
main(void)
{
	static const unsigned char msg[] = {
		'R', 0, 0, 0, 3, 'a', 'b', 'c',
		'S', 0, 0, 0, 0,
		'E', 0, 0, 0, 0
	};
	static const unsigned char bad_end[] = { 'E', 0, 0, 0, 1, 'x' };
	struct sbuf out;
	size_t i;
	int r, e;

	plan(16);
	sp[0] = sp[1] = -1;
	sbuf_init(&out, 1 << 20);

	fresh();
	ok(feed(msg, sizeof msg) == 0 && readit(&out, 1024, 5000) == 0,
	    "one message in one write");
	is_mem(out.s, out.len, msg, sizeof msg, "all of it, END included");

	/* Byte by byte from a second thread is overkill: the socket holds
	 * it all, and records_read must stop exactly at END. */
	fresh();
	for (i = 0; i < sizeof msg; i++)
		(void)feed(msg + i, 1);
	ok(readit(&out, 1024, 5000) == 0 && out.len == sizeof msg,
	    "written a byte at a time");

	fresh();
	ok(feed(msg, sizeof msg) == 0 && feed(msg, 8) == 0, "bytes after END");
	r = readit(&out, 1024, 5000);
	e = errno;
	ok(r == -1 && e == EPROTO, "are a protocol error");

	fresh();
	ok(feed(bad_end, sizeof bad_end) == 0, "a non-empty END");
	r = readit(&out, 1024, 5000);
	e = errno;
	ok(r == -1 && e == EPROTO, "is a protocol error");

	fresh();
	(void)feed(msg, sizeof msg);
	r = readit(&out, 10, 5000);
	e = errno;
	ok(r == -1 && e == E2BIG, "more than max: E2BIG");
	ok(out.len <= 10, "and no more than max was kept");

	fresh();
	(void)close(sp[0]);
	sp[0] = -1;
	r = readit(&out, 1024, 5000);
	e = errno;
	ok(r == -1 && e == EPROTO && out.len == 0,
	    "the peer closed before a byte: EPROTO, nothing read");
	(void)close(sp[1]);
	sp[1] = -1;

	fresh();
	(void)feed(msg, 8);
	(void)close(sp[0]);
	sp[0] = -1;
	r = readit(&out, 1024, 5000);
	e = errno;
	ok(r == -1 && e == EPROTO && out.len == 8,
	    "the peer closed inside a message: EPROTO");
	(void)close(sp[1]);
	sp[1] = -1;

	fresh();
	(void)feed(msg, 8);
	r = readit(&out, 1024, 50);
	e = errno;
	ok(r == -1 && e == ETIMEDOUT, "an unfinished message times out");

	ok(records_end(msg, sizeof msg, 'E') == (ssize_t)sizeof msg,
	    "records_end: a complete message");
	ok(records_end(msg, 12, 'E') == 0, "records_end: incomplete");
	ok(records_end(bad_end, sizeof bad_end, 'E') == -1,
	    "records_end: a non-empty END");
	ok(records_end(msg, sizeof msg, 'Z') == 0,
	    "records_end: another END type is still incomplete");
	sbuf_fini(&out);
	return done_testing();
}
