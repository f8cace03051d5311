/* Unit tests for lib/smtpc: reading replies, the DATA encoder. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/sbuf.h"
#include "lib/smtp_reply.h"
#include "lib/smtpc.h"
#include "t/tap.h"

struct mem {
	const char	*p;
	size_t		 n, off, step;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;
	size_t k = m->n - m->off;

	if (k > n)
		k = n;
	if (k > m->step)
		k = m->step;
	memcpy(buf, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static ssize_t
mem_write(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	return (ssize_t)n;
}

/* Read replies from s, step bytes at a time; the codes, space-separated. */
static int
replies(const char *s, size_t step, char *codes, size_t size, int *err_r)
{
	struct mem m = { s, strlen(s), 0, step };
	struct bio *b = bio_new(-1, -1);
	struct smtp_reply r;
	const char *why;
	size_t used = 0;
	int count = 0;

	codes[0] = '\0';
	*err_r = 0;
	bio_set_ops(b, &m, mem_read, mem_write, NULL);
	smtp_reply_init(&r);
	while (count < 10) {
		why = NULL;
		if (smtpc_read_reply(b, &r, &why) < 0) {
			*err_r = errno;
			if (why == NULL)
				*err_r = -1;
			break;
		}
		used += (size_t)snprintf(codes + used, size - used, "%s%d",
		    count ? " " : "", r.code);
		count++;
	}
	smtp_reply_fini(&r);
	bio_free(&b);
	return count;
}

static void
test_replies(void)
{
	char codes[128], *big;
	int err, n;
	size_t i;

	n = replies("220 hi\r\n250-a\r\n250-b\r\n250 c\r\n", 1, codes,
	    sizeof(codes), &err);
	is_int(n, 2, "two replies, a byte at a time");
	is_str(codes, "220 250", "their codes");
	is_int(err, ECONNRESET, "then end of file: ECONNRESET");
	n = replies("250-a\r\n251 b\r\n", 1000, codes, sizeof(codes), &err);
	is_int(n, 0, "code changes between lines: refused");
	is_int(err, EPROTO, "EPROTO");
	n = replies("25 short\r\n", 1000, codes, sizeof(codes), &err);
	is_int(err, EPROTO, "two-digit code refused");
	n = replies("2500 x\r\n", 1000, codes, sizeof(codes), &err);
	is_int(err, EPROTO, "four-digit code refused");
	n = replies("250-a\r\n250-b", 1000, codes, sizeof(codes), &err);
	is_int(err, ECONNRESET, "a reply cut by end of file");
	n = replies("250 a\nb\r\n", 1000, codes, sizeof(codes), &err);
	is_int(n, 1, "a bare LF ends a reply line");
	is_int(err, EPROTO, "and the next line is checked");
	n = replies("250 a\x01z\r\n", 1000, codes, sizeof(codes), &err);
	is_int(err, EPROTO, "a control byte is refused");

	/* 150 continuation lines: over SMTP_REPLY_LINES_MAX. */
	big = malloc(150 * 8 + 16);
	for (i = 0; i < 150; i++)
		memcpy(big + i * 8, "250-xx\r\n", 8);
	memcpy(big + 150 * 8, "250 end\r\n", 10);
	n = replies(big, 4096, codes, sizeof(codes), &err);
	is_int(err, E2BIG, "too many lines: E2BIG");
	free(big);

	/* A 10000-byte line is cut, not refused; the next reply is read. */
	big = malloc(10000 + 32);
	memcpy(big, "250 ", 4);
	memset(big + 4, 'x', 10000);
	memcpy(big + 10004, "\r\n221 bye\r\n", 12);
	n = replies(big, 700, codes, sizeof(codes), &err);
	is_int(n, 2, "a long line is cut and the stream stays in step");
	is_str(codes, "250 221", "codes after a long line");
	free(big);
}

static void
test_reply_text(void)
{
	struct mem m;
	struct bio *b = bio_new(-1, -1);
	struct smtp_reply r;
	const char *why = NULL;
	const char *s = "550-5.1.1 no such user\r\n550 5.1.1 really\r\n";

	m.p = s;
	m.n = strlen(s);
	m.off = 0;
	m.step = 3;
	bio_set_ops(b, &m, mem_read, mem_write, NULL);
	smtp_reply_init(&r);
	is_int(smtpc_read_reply(b, &r, &why), 0, "multi-line 550");
	is_int(r.code, 550, "code");
	ok(r.enh.present, "enhanced code present");
	is_str(r.enh.str, "5.1.1", "enhanced code");
	is_str(sbuf_str(&r.text), "5.1.1 no such user\n5.1.1 really",
	    "text kept");
	smtp_reply_fini(&r);
	bio_free(&b);
}

/* Encode in, split into pieces of step bytes; compare with want. */
static void
enc(const char *in, size_t step, const char *want, const char *name)
{
	struct smtpc_dot d;
	struct sbuf out;
	size_t n = strlen(in), i, k;

	sbuf_init(&out, 1 << 16);
	smtpc_dot_init(&d);
	for (i = 0; i < n; i += k) {
		k = n - i > step ? step : n - i;
		if (smtpc_dot_encode(&d, in + i, k, &out) < 0)
			break;
	}
	(void)smtpc_dot_finish(&d, &out);
	is_mem(out.s, out.len, want, strlen(want), name);
	sbuf_fini(&out);
}

static void
test_dot(void)
{
	size_t step;
	char name[64];

	for (step = 1; step <= 4; step++) {
		(void)snprintf(name, sizeof(name), "dot-stuffing, step %zu",
		    step);
		enc("a\r\n.b\r\n..\r\n.\r\n", step,
		    "a\r\n..b\r\n...\r\n..\r\n.\r\n", name);
	}
	enc(".first\r\n", 1, "..first\r\n.\r\n", "a dot on the first line");
	enc("no end", 1, "no end\r\n.\r\n", "CR LF added before the dot");
	enc("", 1, ".\r\n", "empty message");
	enc("a\nb\n.c\n", 2, "a\r\nb\r\n..c\r\n.\r\n", "bare LF to CR LF");
	enc("a\rb\r.c\r", 1, "a\r\nb\r\n..c\r\n.\r\n", "bare CR to CR LF");
	enc("x\r\r\n", 1, "x\r\n\r\n.\r\n", "CR CR LF");
	enc("\xc3\xa9t\xc3\xa9\r\n", 1, "\xc3\xa9t\xc3\xa9\r\n.\r\n",
	    "8-bit bytes pass");
}

static void
test_send(void)
{
	char path[] = "/tmp/tern-smtpc.XXXXXX";
	int fd = mkstemp(path), p[2];
	struct bio *b;
	struct smtpc_dot d;
	struct sbuf got;
	const char *msg = "Subject: x\r\n\r\n.dot\r\n\xff\r\n";
	const char *hdr = "DKIM-Signature: v=1\r\n";
	const char *want = "DKIM-Signature: v=1\r\nSubject: x\r\n\r\n"
	    "..dot\r\n\xff\r\n.\r\n";

	ok(fd >= 0 && pipe(p) == 0, "temp file and pipe");
	(void)unlink(path);
	ok(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg), "message written");
	(void)lseek(fd, 0, SEEK_SET);
	b = bio_new(-1, p[1]);
	smtpc_dot_init(&d);
	is_int(smtpc_send_data(b, fd, hdr, strlen(hdr), &d), 0,
	    "send with a prefix");
	ok(d.eightbit, "8-bit byte noticed");
	bio_free(&b);
	(void)close(p[1]);
	sbuf_init(&got, 4096);
	{
		char buf[512];
		ssize_t k;

		while ((k = read(p[0], buf, sizeof(buf))) > 0)
			(void)sbuf_cat_n(&got, buf, (size_t)k);
	}
	is_mem(got.s, got.len, want, strlen(want), "prefix + stuffed message");
	sbuf_fini(&got);
	(void)close(p[0]);
	(void)close(fd);
}

/* Encode in[0..n) in pieces of random size, with or without clean. */
static int
enc_pieces(const char *in, size_t n, int clean, unsigned *seed,
    struct sbuf *out, int *eightbit_r)
{
	struct smtpc_dot d;
	size_t i, k, c;

	smtpc_dot_init(&d);
	for (i = 0; i < n; i += k) {
		k = 1 + (size_t)rand_r(seed) % 40;
		if (k > n - i)
			k = n - i;
		c = clean ? smtpc_dot_clean(&d, in + i, k) : 0;
		if (c > k)
			return -1;
		if (sbuf_cat_n(out, in + i, c) < 0 ||
		    smtpc_dot_encode(&d, in + i + c, k - c, out) < 0)
			return -1;
	}
	if (d.in != n || smtpc_dot_finish(&d, out) < 0)
		return -1;
	*eightbit_r = d.eightbit;
	return 0;
}

/*
 * smtpc_dot_clean: what it passes is what the encoder would have sent,
 * on any input split anywhere (20,000 random inputs of CR, LF, dots,
 * letters and 8-bit bytes), and it passes a clean message whole.
 */
static void
test_clean(void)
{
	static const char alpha[] = "ab.\r\n\r\n\xc3";
	struct smtpc_dot d;
	struct sbuf a, b;
	char in[200];
	unsigned seed = 7;
	int i, bad = 0, e1, e2;
	size_t n, j, k;

	sbuf_init(&a, 1 << 12);
	sbuf_init(&b, 1 << 12);
	for (i = 0; i < 20000 && !bad; i++) {
		n = (size_t)rand_r(&seed) % sizeof(in);
		for (j = 0; j < n; j++)
			in[j] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		sbuf_reset(&a);
		sbuf_reset(&b);
		k = (size_t)seed;
		if (enc_pieces(in, n, 0, &seed, &a, &e1) < 0 ||
		    (seed = (unsigned)k, enc_pieces(in, n, 1, &seed, &b,
		    &e2) < 0) || a.len != b.len ||
		    memcmp(a.s, b.s, a.len) != 0 || e1 != e2)
			bad = 1;
	}
	ok(!bad, "clean + encode = encode, 20000 random inputs and splits");
	smtpc_dot_init(&d);
	is_int((int)smtpc_dot_clean(&d, "a\r\nb\r\n", 6), 6, "clean lines pass");
	ok(d.bol && !d.eightbit && d.in == 6, "state after them");
	is_int((int)smtpc_dot_clean(&d, ".x\r\n", 4), 0, "a leading dot stops");
	smtpc_dot_init(&d);
	is_int((int)smtpc_dot_clean(&d, "ab\r\ncd\r", 7), 6,
	    "stops before a CR whose LF is not seen");
	smtpc_dot_init(&d);
	is_int((int)smtpc_dot_clean(&d, "ab\r\ncd\nx", 8), 4,
	    "stops at the line with a bare LF");
	smtpc_dot_init(&d);
	is_int((int)smtpc_dot_clean(&d, "a\rb\r\n", 5), 0,
	    "stops at the line with a bare CR");
	smtpc_dot_init(&d);
	is_int((int)smtpc_dot_clean(&d, "ab\r\ncd", 6), 6,
	    "an unended last line passes");
	ok(!d.bol, "not at a line's start after it");
	smtpc_dot_init(&d);
	(void)smtpc_dot_clean(&d, "\xff\r\n", 3);
	ok(d.eightbit, "8-bit noticed");
	sbuf_fini(&a);
	sbuf_fini(&b);
}

/*
 * smtpc_send_data on a message of 300 KiB (several chunks, larger than
 * the bio's buffer) with a dot line, a bare LF and 8-bit bytes here and
 * there: the bytes out are the encoder's.
 */
static void
test_send_big(void)
{
	char path[] = "/tmp/tern-smtpc.XXXXXX", opath[] = "/tmp/tern-smtpc.XXXXXX";
	int fd = mkstemp(path), ofd = mkstemp(opath), e = 0;
	struct sbuf msg, want, got;
	struct smtpc_dot d;
	struct bio *b;
	unsigned seed = 3;
	size_t i;
	ssize_t k;
	char buf[4096];

	ok(fd >= 0 && ofd >= 0, "temp files");
	(void)unlink(path);
	(void)unlink(opath);
	sbuf_init(&msg, 1 << 20);
	sbuf_init(&want, 1 << 21);
	sbuf_init(&got, 1 << 21);
	(void)sbuf_cat_s(&msg, "Subject: big\r\n\r\n");
	for (i = 0; msg.len < 300 * 1024; i++) {
		const char *line = i % 997 == 5 ? ".dot line\r\n" :
		    i % 1499 == 7 ? "bare lf\n" : i % 211 == 3 ?
		    "\xc3\xa9t\xc3\xa9\r\n" :
		    "0123456789012345678901234567890123456789012345678901234567890123456789012345\r\n";

		(void)sbuf_cat_s(&msg, line);
	}
	ok(write(fd, msg.s, msg.len) == (ssize_t)msg.len, "message written");
	(void)lseek(fd, 0, SEEK_SET);
	ok(enc_pieces(msg.s, msg.len, 0, &seed, &want, &e) == 0,
	    "encoded byte by byte pieces");
	b = bio_new(-1, ofd);
	smtpc_dot_init(&d);
	is_int(smtpc_send_data(b, fd, NULL, 0, &d), 0, "sent");
	ok(d.eightbit && d.in == msg.len, "8-bit noticed, every byte taken");
	bio_free(&b);
	(void)lseek(ofd, 0, SEEK_SET);
	while ((k = read(ofd, buf, sizeof(buf))) > 0)
		(void)sbuf_cat_n(&got, buf, (size_t)k);
	ok(got.len == want.len && memcmp(got.s, want.s, got.len) == 0,
	    "the bytes sent are the encoder's (%zu)", got.len);
	sbuf_fini(&msg);
	sbuf_fini(&want);
	sbuf_fini(&got);
	(void)close(fd);
	(void)close(ofd);
}

/* A bio sink that keeps every write's bytes and counts the writes. */
struct wlog {
	struct sbuf	 all;
	size_t		 calls, last;
};

static ssize_t
wlog_write(void *ctx, const void *buf, size_t n)
{
	struct wlog *w = ctx;

	if (sbuf_cat_n(&w->all, buf, n) < 0)
		return -1;
	w->calls++;
	w->last = n;
	return (ssize_t)n;
}

static ssize_t
no_read(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

/* The message in fd sent through a wlog bio: 0, or -1. */
static int
send_logged(int fd, struct wlog *w, struct smtpc_dot *d)
{
	struct bio *b = bio_new(-1, -1);
	int r;

	if (b == NULL)
		return -1;
	bio_set_ops(b, w, no_read, wlog_write, NULL);
	smtpc_dot_init(d);
	r = smtpc_send_data(b, fd, NULL, 0, d);
	bio_free(&b);
	return r;
}

/*
 * The writes: a clean 300 KiB message goes in 64 KiB writes, its end of
 * data in the same write as its last bytes; a 4 KiB one in one write;
 * a message on a pipe (size unknown) comes out the same as from a file.
 */
static void
test_send_writes(void)
{
	char path[] = "/tmp/tern-smtpc.XXXXXX";
	int fd = mkstemp(path), p[2], e = 0;
	struct sbuf msg, want;
	struct wlog w;
	struct smtpc_dot d;
	unsigned seed = 5;
	size_t sizes[2] = { 300 * 1024, 4096 }, i, maxw[2] = { 6, 1 };

	ok(fd >= 0, "temp file");
	(void)unlink(path);
	sbuf_init(&msg, 1 << 20);
	sbuf_init(&want, 1 << 21);
	sbuf_init(&w.all, 1 << 21);
	for (i = 0; i < 2; i++) {
		sbuf_reset(&msg);
		sbuf_reset(&want);
		sbuf_reset(&w.all);
		w.calls = w.last = 0;
		(void)sbuf_cat_s(&msg, "Subject: w\r\n\r\n");
		while (msg.len < sizes[i])
			(void)sbuf_cat_s(&msg, "0123456789012345678901234567890123456789\r\n");
		ok(ftruncate(fd, 0) == 0 && lseek(fd, 0, SEEK_SET) == 0 &&
		    write(fd, msg.s, msg.len) == (ssize_t)msg.len &&
		    lseek(fd, 0, SEEK_SET) == 0, "message written (%zu)",
		    msg.len);
		(void)enc_pieces(msg.s, msg.len, 0, &seed, &want, &e);
		is_int(send_logged(fd, &w, &d), 0, "sent");
		ok(w.all.len == want.len &&
		    memcmp(w.all.s, want.s, want.len) == 0, "the encoder's bytes");
		ok(w.calls <= maxw[i], "in %zu writes (at most %zu)", w.calls,
		    maxw[i]);
		ok(w.last > 5 && w.all.len >= 5 && memcmp(w.all.s + w.all.len -
		    5, "\r\n.\r\n", 5) == 0, "the end of data with the last "
		    "bytes (%zu in the last write)", w.last);
	}
	/* The same 4 KiB message from a pipe: no size known. */
	ok(pipe(p) == 0 && write(p[1], msg.s, msg.len) == (ssize_t)msg.len &&
	    close(p[1]) == 0, "message on a pipe");
	sbuf_reset(&w.all);
	w.calls = 0;
	is_int(send_logged(p[0], &w, &d), 0, "sent from the pipe");
	ok(w.all.len == want.len && memcmp(w.all.s, want.s, want.len) == 0,
	    "the encoder's bytes");
	(void)close(p[0]);
	(void)close(fd);
	sbuf_fini(&msg);
	sbuf_fini(&want);
	sbuf_fini(&w.all);
}

int
main(void)
{
	test_replies();
	test_reply_text();
	test_dot();
	test_send();
	test_clean();
	test_send_big();
	test_send_writes();
	return done_testing();
}
