/*
 * Fuzz target: a hostile SMTP server's byte stream read reply after reply
 * through smtpc_read_reply (memory-backed bio, odd read sizes), and the
 * same bytes as a message through the DATA encoder.  Checks: each reply
 * is within the line and text bounds with a valid code; the encoded data
 * has only CR LF line ends, no line that is a lone ".", and ends in
 * CR LF "." CR LF exactly once; smtpc_dot_clean interleaved with the
 * encoder gives the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/sbuf.h"
#include "lib/smtp_reply.h"
#include "lib/smtpc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct fz {
	const uint8_t	*p;
	size_t		 n, off;
	unsigned	 calls;
};

static ssize_t
fz_read(void *ctx, void *buf, size_t n)
{
	struct fz *f = ctx;
	size_t k;

	f->calls++;
	if (f->off >= f->n)
		return 0;
	k = 1 + (f->calls * 37) % 611;
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

static void
read_replies(const uint8_t *data, size_t size)
{
	struct fz f = { data, size, 0, 0 };
	struct bio *b = bio_new(-1, -1);
	struct smtp_reply r;
	const char *why;
	int guard;

	if (b == NULL)
		abort();
	bio_set_ops(b, &f, fz_read, fz_write, NULL);
	smtp_reply_init(&r);
	for (guard = 0; guard < 100000; guard++) {
		why = NULL;
		if (smtpc_read_reply(b, &r, &why) < 0) {
			if (why == NULL)
				abort();
			break;
		}
		if (!r.done || r.code < 200 || r.code > 559 ||
		    r.nlines > SMTP_REPLY_LINES_MAX ||
		    r.text.len > SMTP_REPLY_TEXT_MAX)
			abort();
	}
	smtp_reply_fini(&r);
	bio_free(&b);
}

/*
 * The same input again, each piece first through smtpc_dot_clean (what it
 * passes copied as is), the rest encoded: want's bytes exactly.
 */
static void
clean_same(const uint8_t *data, size_t size, const struct sbuf *want,
    int eightbit)
{
	struct smtpc_dot d;
	struct sbuf out;
	size_t i, k, c;

	sbuf_init(&out, 4 * size + 64);
	smtpc_dot_init(&d);
	for (i = 0; i < size; i += k) {
		k = 1 + (i * 5 + size) % 17;
		if (k > size - i)
			k = size - i;
		c = smtpc_dot_clean(&d, data + i, k);
		if (c > k || sbuf_cat_n(&out, data + i, c) < 0 ||
		    smtpc_dot_encode(&d, data + i + c, k - c, &out) < 0)
			abort();
	}
	if (smtpc_dot_finish(&d, &out) < 0 || out.len != want->len ||
	    memcmp(out.s, want->s, out.len) != 0 || d.eightbit != eightbit ||
	    d.in != size)
		abort();
	sbuf_fini(&out);
}

static void
encode(const uint8_t *data, size_t size)
{
	struct smtpc_dot d;
	struct sbuf out;
	size_t i, k, bol = 0;

	sbuf_init(&out, 4 * size + 64);
	smtpc_dot_init(&d);
	for (i = 0; i < size; i += k) {
		k = 1 + (i * 7 + size) % 13;
		if (k > size - i)
			k = size - i;
		if (smtpc_dot_encode(&d, data + i, k, &out) < 0)
			abort();
	}
	if (smtpc_dot_finish(&d, &out) < 0 || out.len < 3 ||
	    memcmp(out.s + out.len - 3, ".\r\n", 3) != 0)
		abort();
	for (i = 0; i < out.len; i++) {
		if (out.s[i] == '\r' && (i + 1 >= out.len ||
		    out.s[i + 1] != '\n'))
			abort();
		if (out.s[i] == '\n' && (i == 0 || out.s[i - 1] != '\r'))
			abort();
		if (out.s[i] != '\n')
			continue;
		/* A line "." before the last one would end the data early. */
		if (i + 1 - bol == 3 && out.s[bol] == '.' &&
		    i + 1 != out.len)
			abort();
		bol = i + 1;
	}
	if (d.in != size)
		abort();
	clean_same(data, size, &out, d.eightbit);
	sbuf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_replies(data, size);
	encode(data, size);
	return 0;
}
