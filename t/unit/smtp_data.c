/*
 * Unit tests for lib/smtp_data: end of data, dot-unstuffing, every SMTP
 * smuggling variant, size limit, Received counting, BDAT; each input fed
 * whole, one byte at a time and in uneven chunks.
 */
#include <errno.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/sbuf.h"
#include "lib/smtp_data.h"
#include "t/tap.h"

struct result {
	int		 rc;
	size_t		 used;
	int		 status;
	unsigned	 received;
	int		 headers_done;
	unsigned long long header_end;
	unsigned long long size;
};

/* Feed in pieces of 'chunk' bytes (0: all at once). */
static void
run(const char *in, size_t n, size_t chunk, uint64_t limit, unsigned flags,
    struct sbuf *out, struct result *r)
{
	struct smtp_data d;
	size_t off = 0, used, k;

	smtp_data_init(&d, limit, flags);
	sbuf_reset(out);
	r->rc = SMTP_DATA_MORE;
	r->used = 0;
	while (off < n) {
		k = chunk == 0 || chunk > n - off ? n - off : chunk;
		r->rc = smtp_data_feed(&d, in + off, k, out, &used);
		r->used += used;
		if (r->rc != SMTP_DATA_MORE)
			break;
		off += k;
	}
	if (r->rc == SMTP_DATA_MORE && (flags & SMTP_DATA_BDAT))
		(void)smtp_data_finish(&d, out);
	r->status = smtp_data_status(&d);
	r->received = d.received;
	r->headers_done = d.headers_done;
	r->header_end = d.header_end;
	r->size = d.size;
}

/*
 * Check one input three ways.  want == NULL: the end must not be found.
 */
static void
check(const char *name, const char *in, size_t n, const char *want,
    size_t want_used, int want_status, unsigned flags)
{
	static const size_t chunks[] = { 0, 1, 2, 3, 7 };
	struct sbuf out, first;
	struct result r, r0;
	size_t i;
	int same = 1;

	sbuf_init(&out, 1 << 20);
	sbuf_init(&first, 1 << 20);
	run(in, n, 0, 0, flags, &first, &r0);
	if (want != NULL) {
		is_int(r0.rc, SMTP_DATA_END, name);
		is_mem(first.s, first.len, want, strlen(want), "  body");
		is_int((long long)r0.used, (long long)want_used, "  used");
	} else {
		is_int(r0.rc, SMTP_DATA_MORE, name);
		is_int((long long)r0.used, (long long)n, "  all used");
	}
	is_int(r0.status, want_status, "  status");
	for (i = 1; i < sizeof chunks / sizeof chunks[0]; i++) {
		run(in, n, chunks[i], 0, flags, &out, &r);
		if (r.rc != r0.rc || r.used != r0.used ||
		    r.status != r0.status || r.received != r0.received ||
		    r.header_end != r0.header_end ||
		    out.len != first.len ||
		    (out.len > 0 && memcmp(out.s, first.s, out.len) != 0)) {
			same = 0;
			diag("chunk size %zu differs", chunks[i]);
		}
	}
	ok(same, "  same result fed 1, 2, 3 and 7 bytes at a time");
	sbuf_fini(&out);
	sbuf_fini(&first);
}

#define C(name, in, want, used, st) \
	check(name, in, sizeof(in) - 1, want, used, st, 0)

static void
test_end(void)
{
	C("empty message", ".\r\n", "", 3, SMTP_DATA_OK);
	C("one line", "Hi\r\n.\r\n", "Hi\r\n", 7, SMTP_DATA_OK);
	C("headers and body", "Subject: x\r\n\r\nbody\r\n.\r\n",
	    "Subject: x\r\n\r\nbody\r\n", 23, SMTP_DATA_OK);
	C("pipelined command after the end", "a\r\n.\r\nQUIT\r\n", "a\r\n",
	    6, SMTP_DATA_OK);
	C("no end yet", "a\r\nb\r\n", NULL, 0, SMTP_DATA_OK);
	C("dot line not at the start of a line", "a.\r\n.\r\n", "a.\r\n", 7,
	    SMTP_DATA_OK);
	C("dot in the middle of a line", "a\r\nx.\r\ny\r\n.\r\n",
	    "a\r\nx.\r\ny\r\n", 13, SMTP_DATA_OK);
	C("dot-CR-LF inside a line does not end", "ab.\r\ncd\r\n.\r\n",
	    "ab.\r\ncd\r\n", 12, SMTP_DATA_OK);
	C("unfinished end", "a\r\n.\r", NULL, 0, SMTP_DATA_OK);
	C("space after dot", "a\r\n. \r\n.\r\n", "a\r\n \r\n", 10,
	    SMTP_DATA_OK);
}

static void
test_dots(void)
{
	C("dot-stuffing", "..\r\n.\r\n", ".\r\n", 7, SMTP_DATA_OK);
	C("stuffed line", "..hidden\r\n.\r\n", ".hidden\r\n", 13,
	    SMTP_DATA_OK);
	C("three dots", "...\r\n.\r\n", "..\r\n", 8, SMTP_DATA_OK);
	C("unstuffed leading dot dropped", ".abc\r\n.\r\n", "abc\r\n", 9,
	    SMTP_DATA_OK);
	C("stuffed dot line then end", "a\r\n..\r\n.\r\n", "a\r\n.\r\n", 10,
	    SMTP_DATA_OK);
	C("dots inside lines kept", "a..b\r\n.\r\n", "a..b\r\n", 9,
	    SMTP_DATA_OK);
}

static void
test_smuggling(void)
{
	/* None of these ends the data; all are rejected by default. */
	C("LF.LF", "a\n.\nMAIL FROM:<x@y>\r\n", NULL, 0, SMTP_DATA_BARE);
	C("CR.CR", "a\r.\rMAIL FROM:<x@y>\r\n", NULL, 0, SMTP_DATA_BARE);
	C("LF.CRLF", "a\n.\r\nMAIL FROM:<x@y>\r\n", NULL, 0,
	    SMTP_DATA_BARE);
	C("CRLF.LF", "a\r\n.\nMAIL FROM:<x@y>\r\n", NULL, 0,
	    SMTP_DATA_BARE);
	C("CRLF.CR", "a\r\n.\rMAIL FROM:<x@y>\r\n", NULL, 0,
	    SMTP_DATA_BARE);
	C("CR.LF", "a\r.\nMAIL FROM:<x@y>\r\n", NULL, 0, SMTP_DATA_BARE);
	C("CR.CRLF", "a\r.\r\nMAIL FROM:<x@y>\r\n", NULL, 0,
	    SMTP_DATA_BARE);
	C("CRLF.CRCRLF", "a\r\n.\r\r\nMAIL FROM:<x@y>\r\n", NULL, 0,
	    SMTP_DATA_BARE);
	C("LF at start", "\n.\r\n", NULL, 0, SMTP_DATA_BARE);
	/* ... and the data ends at the real end, still rejected. */
	C("LF.LF then the real end", "a\n.\nb\r\n.\r\n",
	    "a\r\n.\r\nb\r\n", 10, SMTP_DATA_BARE);
	C("CRLF.LF then the real end", "a\r\n.\nb\r\n.\r\n",
	    "a\r\n\r\nb\r\n", 11, SMTP_DATA_BARE);
	C("bare CR inside a line", "a\rb\r\n.\r\n", "a\r\nb\r\n", 8,
	    SMTP_DATA_BARE);
	C("bare LF inside a line", "a\nb\r\n.\r\n", "a\r\nb\r\n", 8,
	    SMTP_DATA_BARE);
	C("CR CR LF", "a\r\r\n.\r\n", "a\r\n\r\n", 7, SMTP_DATA_BARE);
	/* The normalize policy: same framing, status OK. */
	check("normalize: LF.LF", "a\n.\nb\r\n.\r\n", 10,
	    "a\r\n.\r\nb\r\n", 10, SMTP_DATA_OK, SMTP_DATA_NORMALIZE);
	check("normalize: bare CR", "a\rb\r\n.\r\n", 8, "a\r\nb\r\n", 8,
	    SMTP_DATA_OK, SMTP_DATA_NORMALIZE);
	check("normalize: LF.CRLF no end", "a\n.\r\n", 5, NULL, 0,
	    SMTP_DATA_OK, SMTP_DATA_NORMALIZE);
}

static void
test_size(void)
{
	struct sbuf out;
	struct result r;
	static const char msg[] = "0123456789\r\n0123456789\r\n.\r\nNEXT";

	sbuf_init(&out, 4096);
	run(msg, sizeof msg - 1, 0, 24, 0, &out, &r);
	is_int(r.rc, SMTP_DATA_END, "at the limit: end found");
	is_int(r.status, SMTP_DATA_OK, "24 bytes fit a limit of 24");
	is_int((long long)r.size, 24, "size 24");
	run(msg, sizeof msg - 1, 0, 23, 0, &out, &r);
	is_int(r.rc, SMTP_DATA_END, "over the limit: read to the end");
	is_int((long long)r.used, sizeof msg - 5, "used up to the end");
	is_int(r.status, SMTP_DATA_TOOBIG, "too big");
	ok(out.len <= 23, "output stops at the limit (%zu)", out.len);
	run(msg, sizeof msg - 1, 1, 5, 0, &out, &r);
	is_int(r.status, SMTP_DATA_TOOBIG, "too big, byte at a time");
	ok(out.len <= 5, "output stops at the limit (%zu)", out.len);
	run("a\nb\r\n.\r\n", 8, 0, 2, 0, &out, &r);
	is_int(r.status, SMTP_DATA_TOOBIG, "too big wins over bare LF");
	sbuf_fini(&out);
}

static void
test_headers(void)
{
	struct sbuf out;
	struct result r;
	static const char msg[] =
	    "Received: from a\r\n"
	    "\tby b\r\n"
	    "RECEIVED : from c\r\n"
	    "X-Received: no\r\n"
	    "Receivedx: no\r\n"
	    "Received\t:x\r\n"
	    "Subject: Received: no\r\n"
	    "\r\n"
	    "Received: in the body\r\n"
	    ".\r\n";
	size_t chunk;
	int good = 1;

	sbuf_init(&out, 4096);
	run(msg, sizeof msg - 1, 0, 0, 0, &out, &r);
	is_int(r.received, 3, "three Received fields in the header");
	ok(r.headers_done, "end of headers seen");
	is_int((long long)r.header_end, (long long)(strstr(msg, "\r\n\r\n") -
	    msg + 4), "header end offset");
	for (chunk = 1; chunk < 12; chunk++) {
		run(msg, sizeof msg - 1, chunk, 0, 0, &out, &r);
		if (r.received != 3 || !r.headers_done)
			good = 0;
	}
	ok(good, "same counts for chunk sizes 1..11");
	run("Subject: x\r\n.\r\n", 15, 0, 0, 0, &out, &r);
	ok(!r.headers_done, "no empty line: no end of headers");
	run("\r\n..Received: x\r\n.\r\n", 20, 0, 0, 0, &out, &r);
	is_int(r.received, 0, "body starts at once: nothing counted");
	ok(r.headers_done && r.header_end == 2, "header end 2");
	run("..Received: x\r\n.\r\n", 18, 0, 0, 0, &out, &r);
	is_int(r.received, 0, "\".Received\" is not Received");
	run("Received: a\r\nReceived: b\r\n.\r\n", 29, 0, 10, 0, &out, &r);
	is_int(r.received, 2, "counted past the size limit");
	sbuf_fini(&out);
}

static void
test_lines(void)
{
	struct smtp_data d;
	struct sbuf out;

	sbuf_init(&out, 4096);
	smtp_data_init(&d, 0, 0);
	is_int(smtp_data_feed_line(&d, "Subject: x", 10, BIO_EOL_CRLF, &out),
	    SMTP_DATA_MORE, "line 1");
	is_int(smtp_data_feed_line(&d, "..", 2, BIO_EOL_CRLF, &out),
	    SMTP_DATA_MORE, "stuffed line");
	is_int(smtp_data_feed_line(&d, ".", 1, BIO_EOL_LF, &out),
	    SMTP_DATA_MORE, "dot with bare LF does not end");
	is_int(smtp_data_feed_line(&d, ".", 1, BIO_EOL_CRLF, &out),
	    SMTP_DATA_MORE, "dot after a bare LF line... ");
	is_int(smtp_data_feed_line(&d, ".", 1, BIO_EOL_CRLF, &out),
	    SMTP_DATA_END, "dot CRLF after CRLF ends");
	is_int(smtp_data_status(&d), SMTP_DATA_BARE, "bare LF noted");
	is_int(smtp_data_feed_line(&d, "x", 1, BIO_EOL_CRLF, &out),
	    SMTP_DATA_END, "feeding after the end");
	smtp_data_init(&d, 0, 0);
	sbuf_reset(&out);
	is_int(smtp_data_feed_line(&d, "a\r", 2, BIO_EOL_NONE, &out),
	    SMTP_DATA_MORE, "EOF line");
	is_int(smtp_data_feed_line(&d, "", 0, BIO_EOL_CRLF, &out),
	    SMTP_DATA_MORE, "CR then CRLF");
	is_int(smtp_data_status(&d), SMTP_DATA_BARE, "CR CR LF: bare CR");
	sbuf_fini(&out);
	sbuf_init(&out, 8);
	smtp_data_init(&d, 0, 0);
	errno = 0;
	is_int(smtp_data_feed_line(&d, "0123456789", 10, BIO_EOL_CRLF, &out),
	    -1, "output buffer too small: refused up front");
	is_int(errno, E2BIG, "E2BIG");
	is_int((long long)d.size, 0, "nothing consumed");
	sbuf_fini(&out);
}

static void
test_bdat(void)
{
	struct smtp_data d;
	struct sbuf out;
	size_t used;

	check("BDAT: dots and end marker are data", "a\r\n.\r\n..\r\n", 10,
	    NULL, 0, SMTP_DATA_OK, SMTP_DATA_BDAT);
	check("BDAT: bare LF rejected", "a\nb\r\n", 5, NULL, 0,
	    SMTP_DATA_BARE, SMTP_DATA_BDAT);
	check("BDAT BINARYMIME: bytes unchanged", "a\nb\rc\r\n", 7, NULL, 0,
	    SMTP_DATA_OK, SMTP_DATA_BDAT | SMTP_DATA_BINARY);
	sbuf_init(&out, 4096);
	smtp_data_init(&d, 0, SMTP_DATA_BDAT);
	is_int(smtp_data_feed(&d, "a\r\n.\r\n..\r", 9, &out, &used),
	    SMTP_DATA_MORE, "chunk 1");
	is_int(smtp_data_feed(&d, "\nx\r", 3, &out, &used), SMTP_DATA_MORE,
	    "chunk 2: CR LF split across chunks");
	is_int(smtp_data_status(&d), SMTP_DATA_OK, "not bare");
	is_int(smtp_data_finish(&d, &out), 0, "finish");
	is_int(smtp_data_status(&d), SMTP_DATA_BARE, "trailing CR is bare");
	is_mem(out.s, out.len, "a\r\n.\r\n..\r\nx\r\n", 13, "BDAT bytes");
	smtp_data_init(&d, 0, SMTP_DATA_BDAT | SMTP_DATA_BINARY);
	sbuf_reset(&out);
	is_int(smtp_data_feed(&d, "\0\r\n\n\r", 5, &out, &used),
	    SMTP_DATA_MORE, "binary chunk");
	is_int(smtp_data_finish(&d, &out), 0, "finish");
	is_mem(out.s, out.len, "\0\r\n\n\r", 5, "binary bytes unchanged");
	is_int(smtp_data_status(&d), SMTP_DATA_OK, "binary OK");
	sbuf_fini(&out);
}

int
main(void)
{
	test_end();
	test_dots();
	test_smuggling();
	test_size();
	test_headers();
	test_lines();
	test_bdat();
	return done_testing();
}
