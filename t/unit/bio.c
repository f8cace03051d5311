/* Unit tests for lib/bio: lines, limits, deadlines, raw reads, output. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/sbuf.h"
#include "t/tap.h"

#define LINE_MAX_T	1000

static int sp[2];		/* sp[0]: the bio's end, sp[1]: the peer */

static struct bio *
pair(void)
{
	struct bio *b;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		return NULL;
	b = bio_new(sp[0], sp[0]);
	if (b != NULL)
		bio_set_timeout(b, 10000, 10000);	/* a hang fails */
	return b;
}

static void
unpair(struct bio **b)
{
	bio_free(b);
	(void)close(sp[0]);
	if (sp[1] >= 0)
		(void)close(sp[1]);
}

static void
peer_send(const void *p, size_t n)
{
	if (io_write_full(sp[1], p, n) < 0)
		diag("peer write failed: %s", strerror(errno));
}

static void
peer_close(void)
{
	(void)close(sp[1]);
	sp[1] = -1;
}

/* A child writes p[0..n) to the peer, one byte per write when slow. */
static pid_t
peer_child(const void *p, size_t n, int slow)
{
	const char *c = p;
	pid_t pid = fork();
	size_t i;

	if (pid != 0)
		return pid;
	(void)close(sp[0]);
	if (!slow)
		_exit(io_write_full(sp[1], p, n) < 0);
	for (i = 0; i < n; i++) {
		if (io_write_full(sp[1], c + i, 1) < 0)
			_exit(1);
		if (i % 7 == 0)
			usleep(200);
	}
	_exit(0);
}

static int
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void
expect_line(struct bio *b, struct sbuf *l, size_t max, int want_r,
    const char *want, size_t wantlen, int want_eol, const char *name)
{
	int eol = -9, r;

	r = bio_getline(b, l, max, &eol);
	if (!is_int(r, want_r, name))
		diag("errno %s", strerror(errno));
	if (want != NULL)
		is_mem(l->s, l->len, want, wantlen, name);
	is_int(eol, want_eol, name);
}

#define EXPECT(b, l, max, r, s, eol, name) \
	expect_line(b, l, max, r, s, sizeof(s) - 1, eol, name)

static void
test_lines(void)
{
	struct bio *b = pair();
	struct sbuf l;

	sbuf_init(&l, LINE_MAX_T);
	peer_send("HELO a\r\nx\ny\r\na\rb\r\n\r\n\n", 21);
	peer_send("a\0b\r\ntail", 9);
	peer_close();
	EXPECT(b, &l, 100, BIO_OK, "HELO a", BIO_EOL_CRLF, "CRLF line");
	EXPECT(b, &l, 100, BIO_OK, "x", BIO_EOL_LF, "bare LF line");
	EXPECT(b, &l, 100, BIO_OK, "y", BIO_EOL_CRLF, "CRLF after bare LF");
	EXPECT(b, &l, 100, BIO_OK, "a\rb", BIO_EOL_CRLF, "bare CR kept");
	EXPECT(b, &l, 100, BIO_OK, "", BIO_EOL_CRLF, "empty CRLF line");
	EXPECT(b, &l, 100, BIO_OK, "", BIO_EOL_LF, "empty LF line");
	EXPECT(b, &l, 100, BIO_OK, "a\0b", BIO_EOL_CRLF, "NUL preserved");
	EXPECT(b, &l, 100, BIO_OK, "tail", BIO_EOL_NONE, "EOF, no terminator");
	EXPECT(b, &l, 100, BIO_EOF, "", BIO_EOL_NONE, "then EOF");
	EXPECT(b, &l, 100, BIO_EOF, "", BIO_EOL_NONE, "EOF again");
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_trailing_cr(void)
{
	struct bio *b = pair();
	struct sbuf l;

	sbuf_init(&l, LINE_MAX_T);
	peer_send("abc\r", 4);
	peer_close();
	EXPECT(b, &l, 100, BIO_OK, "abc\r", BIO_EOL_NONE, "CR then EOF kept");
	EXPECT(b, &l, 100, BIO_EOF, "", BIO_EOL_NONE, "then EOF");
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_limits(void)
{
	struct bio *b = pair();
	struct sbuf l, small;
	int eol;

	sbuf_init(&l, LINE_MAX_T);
	peer_send("0123456789\r\n0123456789A\r\nnext\r\n", 31);
	peer_send("0123456789\r\r\nafter\n0123456789\n", 30);
	peer_send("0123456789xyz", 13);
	peer_close();
	EXPECT(b, &l, 10, BIO_OK, "0123456789", BIO_EOL_CRLF, "exactly max");
	EXPECT(b, &l, 10, BIO_TOOLONG, "0123456789", BIO_EOL_CRLF,
	    "max + 1 is too long, prefix kept");
	is_int(errno, EMSGSIZE, "too long sets EMSGSIZE");
	EXPECT(b, &l, 10, BIO_OK, "next", BIO_EOL_CRLF, "next line intact");
	EXPECT(b, &l, 10, BIO_TOOLONG, "0123456789", BIO_EOL_CRLF,
	    "max + stray CR is too long");
	EXPECT(b, &l, 10, BIO_OK, "after", BIO_EOL_LF, "and the next is read");
	EXPECT(b, &l, 10, BIO_OK, "0123456789", BIO_EOL_LF, "max with bare LF");
	EXPECT(b, &l, 10, BIO_TOOLONG, "0123456789", BIO_EOL_NONE,
	    "too long at EOF");
	EXPECT(b, &l, 10, BIO_EOF, "", BIO_EOL_NONE, "then EOF");
	sbuf_init(&small, 5);
	errno = 0;
	is_int(bio_getline(b, &small, 10, &eol), BIO_ERR,
	    "line buffer smaller than max refused");
	is_int(errno, E2BIG, "with E2BIG");
	sbuf_fini(&small);
	sbuf_fini(&l);
	unpair(&b);
}

/* A long line crossing many buffer refills is discarded, never stored. */
static void
test_long_discard(void)
{
	struct bio *b = pair();
	struct sbuf l;
	size_t n = 5 * BIO_BUFSIZE + 3;
	char *data = malloc(n + 16);
	pid_t pid;

	sbuf_init(&l, LINE_MAX_T);
	memset(data, 'x', n);
	memcpy(data + n - 3, "\r\r\n", 3);
	memcpy(data + n, "QUIT\r\n", 6);
	pid = peer_child(data, n + 6, 0);
	peer_close();
	EXPECT(b, &l, LINE_MAX_T, BIO_TOOLONG, NULL, BIO_EOL_CRLF,
	    "80 KB line is too long");
	is_int((long long)l.len, LINE_MAX_T, "only max bytes kept");
	EXPECT(b, &l, LINE_MAX_T, BIO_OK, "QUIT", BIO_EOL_CRLF,
	    "line after the long one");
	EXPECT(b, &l, LINE_MAX_T, BIO_EOF, "", BIO_EOL_NONE, "then EOF");
	is_int(reap(pid), 0, "writer done");
	free(data);
	sbuf_fini(&l);
	unpair(&b);
}

/* A line longer than the input buffer but within max arrives whole. */
static void
test_long_ok(void)
{
	struct bio *b = pair();
	struct sbuf l;
	size_t n = 3 * BIO_BUFSIZE + 1, i;
	char *data = malloc(n + 8);
	pid_t pid;
	int eol;

	sbuf_init(&l, 4 * BIO_BUFSIZE);
	for (i = 0; i < n; i++)
		data[i] = (char)('A' + i % 23);
	data[BIO_BUFSIZE - 1] = '\r';	/* a CR just before a refill */
	memcpy(data + n, "\r\nB\n", 5);
	pid = peer_child(data, n + 5, 0);
	peer_close();
	is_int(bio_getline(b, &l, 4 * BIO_BUFSIZE, &eol), BIO_OK,
	    "48 KB line within max");
	is_mem(l.s, l.len, data, n, "arrives whole, inner CR kept");
	is_int(eol, BIO_EOL_CRLF, "CRLF");
	EXPECT(b, &l, 10, BIO_OK, "B", BIO_EOL_LF, "next line");
	is_int(reap(pid), 0, "writer done");
	free(data);
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_byte_at_a_time_fd(void)
{
	static const char in[] = "EHLO x\r\nbare\nc\rr\r\n\r\nend";
	struct bio *b = pair();
	struct sbuf l;
	pid_t pid;

	sbuf_init(&l, LINE_MAX_T);
	pid = peer_child(in, sizeof in - 1, 1);
	peer_close();
	EXPECT(b, &l, 100, BIO_OK, "EHLO x", BIO_EOL_CRLF, "slow: CRLF");
	EXPECT(b, &l, 100, BIO_OK, "bare", BIO_EOL_LF, "slow: bare LF");
	EXPECT(b, &l, 100, BIO_OK, "c\rr", BIO_EOL_CRLF, "slow: bare CR");
	EXPECT(b, &l, 100, BIO_OK, "", BIO_EOL_CRLF, "slow: empty");
	EXPECT(b, &l, 100, BIO_OK, "end", BIO_EOL_NONE, "slow: tail");
	EXPECT(b, &l, 100, BIO_EOF, "", BIO_EOL_NONE, "slow: EOF");
	is_int(reap(pid), 0, "slow writer done");
	sbuf_fini(&l);
	unpair(&b);
}

/* Memory-backed ops returning one byte per call (and EAGAIN between). */
struct mem {
	const char	*p;
	size_t		 n, off;
	int		 tick;
};

static ssize_t
mem_read1(void *ctx, void *buf, size_t n)
{
	struct mem *m = ctx;

	if (n == 0)
		return 0;
	if (m->tick++ % 2 == 0)
		return BIO_WANT_READ;
	if (m->off >= m->n)
		return 0;
	*(char *)buf = m->p[m->off++];
	return 1;
}

static ssize_t
mem_write_fail(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	errno = EIO;
	return -1;
}

static size_t
mem_pending(void *ctx)
{
	struct mem *m = ctx;

	return m->n - m->off;
}

static void
test_byte_at_a_time_ops(void)
{
	static const char in[] = "A\r\nB\nC\r\rD\r\n0123456789\r\nZ";
	struct mem m = { in, sizeof in - 1, 0, 0 };
	struct bio *b = bio_new(-1, -1);
	struct sbuf l;

	sbuf_init(&l, LINE_MAX_T);
	bio_set_ops(b, &m, mem_read1, mem_write_fail, mem_pending);
	EXPECT(b, &l, 9, BIO_OK, "A", BIO_EOL_CRLF, "ops: CRLF");
	EXPECT(b, &l, 9, BIO_OK, "B", BIO_EOL_LF, "ops: LF");
	EXPECT(b, &l, 9, BIO_OK, "C\r\rD", BIO_EOL_CRLF, "ops: CR CR");
	EXPECT(b, &l, 9, BIO_TOOLONG, "012345678", BIO_EOL_CRLF,
	    "ops: too long");
	is_int((long long)bio_pending(b), 1, "pending counts the ops' bytes");
	EXPECT(b, &l, 9, BIO_OK, "Z", BIO_EOL_NONE, "ops: tail");
	EXPECT(b, &l, 9, BIO_EOF, "", BIO_EOL_NONE, "ops: EOF");
	is_int(bio_puts(b, "x"), 0, "buffered write ok");
	is_int(bio_flush(b), -1, "flush fails through the ops");
	is_int(errno, EIO, "with the ops' errno");
	errno = 0;
	is_int(bio_puts(b, "y"), -1, "write error is sticky");
	is_int(errno, EIO, "sticky errno");
	sbuf_fini(&l);
	bio_free(&b);
	ok(b == NULL, "bio_free NULLs the pointer");
}

static void
test_timeout(void)
{
	struct bio *b = pair();
	struct sbuf l;
	char c;
	int eol;

	sbuf_init(&l, LINE_MAX_T);
	bio_set_timeout(b, 200, 200);
	errno = 0;
	is_int(bio_getline(b, &l, 100, &eol), BIO_ERR, "no data: error");
	is_int(errno, ETIMEDOUT, "ETIMEDOUT");
	peer_send("par", 3);
	errno = 0;
	is_int(bio_getline(b, &l, 100, &eol), BIO_ERR, "partial line: error");
	is_int(errno, ETIMEDOUT, "partial line: ETIMEDOUT");
	errno = 0;
	is_int(bio_read(b, &c, 1), -1, "raw read times out");
	is_int(errno, ETIMEDOUT, "raw read: ETIMEDOUT");
	/* The session deadline bounds reads even when data is waiting. */
	bio_set_timeout(b, 0, 0);
	bio_set_session_timeout(b, 1);
	usleep(20000);
	ok(bio_session_expired(b), "session deadline passed");
	peer_send("QUIT\r\n", 6);
	errno = 0;
	is_int(bio_getline(b, &l, 100, &eol), BIO_ERR, "session: error");
	is_int(errno, ETIMEDOUT, "session: ETIMEDOUT");
	is_int(bio_puts(b, "421 timeout\r\n") | bio_flush(b), 0,
	    "writes still work after the session deadline");
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_binary_read(void)
{
	struct bio *b = pair();
	struct sbuf l;
	size_t n = 300000, hdr;
	char *data = malloc(n + 64), *got = malloc(n);
	char tail[8];
	size_t i;
	pid_t pid;

	sbuf_init(&l, LINE_MAX_T);
	hdr = 13;
	memcpy(data, "BDAT 300000\r\n", hdr);
	for (i = 0; i < n; i++)
		data[hdr + i] = (char)(i * 7 + (i >> 8));
	memcpy(data + hdr + n, "RSET\r\n", 6);
	pid = peer_child(data, hdr + n + 6, 0);
	peer_close();
	EXPECT(b, &l, 100, BIO_OK, "BDAT 300000", BIO_EOL_CRLF, "BDAT line");
	is_int(bio_read_full(b, got, n), (long long)n, "300000 raw bytes");
	is_mem(got, n, data + hdr, n, "binary data intact");
	EXPECT(b, &l, 100, BIO_OK, "RSET", BIO_EOL_CRLF, "line after data");
	is_int(bio_read(b, tail, sizeof tail), 0, "raw read at EOF is 0");
	is_int(reap(pid), 0, "writer done");
	free(data);
	free(got);
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_pending(void)
{
	struct bio *b = pair();
	struct sbuf l;

	sbuf_init(&l, LINE_MAX_T);
	peer_send("STARTTLS\r\nMAIL FROM:<x>\r\n", 25);
	EXPECT(b, &l, 100, BIO_OK, "STARTTLS", BIO_EOL_CRLF, "STARTTLS line");
	is_int((long long)bio_pending(b), 15, "pipelined bytes are pending");
	bio_discard_input(b);
	is_int((long long)bio_pending(b), 0, "discarded");
	peer_send("NOOP\r\n", 6);
	EXPECT(b, &l, 100, BIO_OK, "NOOP", BIO_EOL_CRLF, "next read is fresh");
	sbuf_fini(&l);
	unpair(&b);
}

static void
test_output(void)
{
	struct bio *b = pair();
	size_t big = 3 * BIO_BUFSIZE + 11, want_len, i;
	char *blob = malloc(big), *want, *got;
	struct sbuf exp;
	pid_t pid;
	ssize_t r;
	int st;

	for (i = 0; i < big; i++)
		blob[i] = (char)('a' + i % 26);
	sbuf_init(&exp, 10 * BIO_BUFSIZE);
	(void)sbuf_printf(&exp, "220 %s ESMTP\r\n", "tern.example");
	(void)sbuf_cat_n(&exp, blob, big);
	for (i = 0; i < 2000; i++)
		(void)sbuf_printf(&exp, "250-%zu\r\n", i);
	(void)sbuf_cat_s(&exp, "250 ok\r\n");
	want = exp.s;
	want_len = exp.len;
	/* A child drains the peer so large writes cannot fill the socket. */
	got = malloc(want_len + 1);
	pid = fork();
	if (pid == 0) {
		(void)close(sp[0]);
		r = io_read_full(sp[1], got, want_len + 1);
		_exit(r == (ssize_t)want_len && memcmp(got, want, want_len) == 0
		    ? 0 : 1);
	}
	peer_close();
	is_int(bio_printf(b, "220 %s ESMTP\r\n", "tern.example"), 0, "printf");
	is_int((long long)bio_out_pending(b), 24, "buffered, not sent");
	is_int(bio_write(b, blob, big), 0, "write larger than the buffer");
	st = 0;
	for (i = 0; i < 2000; i++)
		st |= bio_printf(b, "250-%zu\r\n", i);
	is_int(st, 0, "many printfs fill and flush the buffer");
	is_int(bio_puts(b, "250 ok\r\n"), 0, "puts");
	is_int(bio_flush(b), 0, "flush");
	is_int((long long)bio_out_pending(b), 0, "nothing left buffered");
	(void)shutdown(sp[0], SHUT_WR);
	is_int(reap(pid), 0, "peer received every byte in order");
	free(blob);
	free(got);
	sbuf_fini(&exp);
	unpair(&b);
}

static void
test_write_error(void)
{
	struct bio *b = pair();

	peer_close();
	is_int(bio_puts(b, "hello\r\n"), 0, "buffered write to a dead peer");
	errno = 0;
	is_int(bio_flush(b), -1, "flush to a dead peer fails");
	is_int(errno, EPIPE, "EPIPE, no SIGPIPE");
	errno = 0;
	is_int(bio_printf(b, "%d", 1), -1, "printf after error fails");
	is_int(errno, EPIPE, "sticky EPIPE");
	unpair(&b);
}

static void
test_printf_big(void)
{
	struct bio *b = pair();
	size_t n = BIO_BUFSIZE + 5000;
	char *s = malloc(n + 1), *got = malloc(n + 16);
	pid_t pid;

	memset(s, 'q', n);
	s[n] = '\0';
	pid = fork();
	if (pid == 0) {
		(void)close(sp[0]);
		_exit(io_read_full(sp[1], got, n + 16) == (ssize_t)n + 4 &&
		    memcmp(got, "<", 1) == 0 && memcmp(got + n + 1, ">\r\n", 3)
		    == 0 ? 0 : 1);
	}
	peer_close();
	is_int(bio_puts(b, "<"), 0, "small piece");
	is_int(bio_printf(b, "%s>\r\n", s), 0, "printf longer than the buffer");
	is_int(bio_flush(b), 0, "flush");
	(void)shutdown(sp[0], SHUT_WR);
	is_int(reap(pid), 0, "peer got the long printf");
	errno = 0;
	is_int(bio_printf(b, "%s%s%s%s", s, s, s, s), -1,
	    "printf over BIO_PRINTF_MAX fails");
	is_int(errno, E2BIG, "E2BIG");
	free(s);
	free(got);
	unpair(&b);
}

/* A blocking pipe nobody reads: the write deadline still holds. */
static void
test_pipe_write_timeout(void)
{
	int p[2];
	struct bio *b;
	char *blob = calloc(1, 1 << 20);

	if (pipe(p) < 0) {
		ok(0, "pipe");
		return;
	}
	b = bio_new(-1, p[1]);
	bio_set_timeout(b, 0, 200);
	errno = 0;
	is_int(bio_write(b, blob, 1 << 20), -1, "1 MB into a full pipe fails");
	is_int(errno, ETIMEDOUT, "ETIMEDOUT, not blocked");
	bio_free(&b);
	(void)close(p[0]);
	(void)close(p[1]);
	free(blob);
}

static void
test_pipes(void)
{
	int in[2], out[2];
	struct bio *b;
	struct sbuf l;
	char buf[16];

	if (pipe(in) < 0 || pipe(out) < 0) {
		ok(0, "pipes");
		return;
	}
	b = bio_new(in[0], out[1]);
	sbuf_init(&l, LINE_MAX_T);
	(void)io_write_full(in[1], "USER x\r\n", 8);
	(void)close(in[1]);
	EXPECT(b, &l, 100, BIO_OK, "USER x", BIO_EOL_CRLF, "pipe: line");
	EXPECT(b, &l, 100, BIO_EOF, "", BIO_EOL_NONE, "pipe: EOF");
	is_int(bio_puts(b, "+OK\r\n") | bio_flush(b), 0, "pipe: write");
	is_int(io_read(out[0], buf, sizeof buf), 5, "pipe: 5 bytes out");
	is_mem(buf, 5, "+OK\r\n", 5, "pipe: reply");
	sbuf_fini(&l);
	bio_free(&b);
	(void)close(in[0]);
	(void)close(out[0]);
	(void)close(out[1]);
}

int
main(void)
{
	/* A write to a dead pipe must give EPIPE, not kill the test. */
	(void)signal(SIGPIPE, SIG_IGN);
	test_lines();
	test_trailing_cr();
	test_limits();
	test_long_discard();
	test_long_ok();
	test_byte_at_a_time_fd();
	test_byte_at_a_time_ops();
	test_timeout();
	test_binary_read();
	test_pending();
	test_output();
	test_write_error();
	test_printf_big();
	test_pipe_write_timeout();
	test_pipes();
	return done_testing();
}
