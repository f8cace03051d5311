/* smtpc.c - SMTP client: reply reading and the DATA stream (smtpc.h). */
#include <sys/stat.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/io.h"
#include "lib/sbuf.h"
#include "lib/smtp_reply.h"
#include "lib/smtpc.h"

int
smtpc_read_reply(struct bio *b, struct smtp_reply *r, const char **why_r)
{
	struct sbuf line;
	int eol, rc, fr;

	smtp_reply_reset(r);
	sbuf_init(&line, SMTPC_LINE_MAX);
	for (;;) {
		rc = bio_getline(b, &line, SMTPC_LINE_MAX, &eol);
		if (rc == BIO_EOF || (rc == BIO_OK && eol == BIO_EOL_NONE)) {
			*why_r = "connection closed by the server";
			errno = ECONNRESET;
			break;
		}
		if (rc == BIO_ERR) {
			*why_r = errno == ETIMEDOUT ? "timeout reading a reply" :
			    "error reading a reply";
			break;
		}
		/* BIO_OK, or BIO_TOOLONG: the first SMTPC_LINE_MAX bytes. */
		fr = smtp_reply_feed_line(r, line.s, line.len, why_r);
		if (fr == SMTP_REPLY_DONE) {
			sbuf_fini(&line);
			return 0;
		}
		if (fr == SMTP_REPLY_MORE)
			continue;
		errno = fr == SMTP_REPLY_EPROTO ? EPROTO :
		    fr == SMTP_REPLY_ETOOBIG ? E2BIG : errno;
		break;
	}
	sbuf_fini(&line);
	return -1;
}

void
smtpc_dot_init(struct smtpc_dot *d)
{
	memset(d, 0, sizeof(*d));
	d->bol = 1;
}

int
smtpc_dot_encode(struct smtpc_dot *d, const void *in, size_t n,
    struct sbuf *out)
{
	const unsigned char *p = in;
	size_t i, need;

	if (__builtin_mul_overflow(n, 2, &need) ||
	    __builtin_add_overflow(need, 2, &need)) {
		errno = E2BIG;
		return -1;
	}
	if (sbuf_reserve(out, need) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = p[i];

		if (!d->cr && c != '\r' && c != '\n' && (!d->bol || c != '.')) {
			/* The rest of the line up to CR or LF, copied as is. */
			size_t j = i + 1;
			unsigned hi = c;

			while (j < n && p[j] != '\r' && p[j] != '\n')
				hi |= p[j++];
			memcpy(out->s + out->len, p + i, j - i);
			out->len += j - i;
			d->eightbit |= hi >= 0x80;
			d->bol = 0;
			i = j - 1;
			continue;
		}
		if (d->cr) {
			/* The CR before was bare unless this is its LF. */
			d->cr = 0;
			out->s[out->len++] = '\n';
			d->bol = 1;
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			out->s[out->len++] = '\r';
			d->cr = 1;
			continue;
		}
		if (c == '\n') {
			out->s[out->len++] = '\r';
			out->s[out->len++] = '\n';
			d->bol = 1;
			continue;
		}
		if (d->bol && c == '.')
			out->s[out->len++] = '.';
		d->bol = 0;
		d->eightbit |= c >= 0x80;
		out->s[out->len++] = (char)c;
	}
	d->in += n;
	return 0;
}

int
smtpc_dot_finish(struct smtpc_dot *d, struct sbuf *out)
{
	size_t old = out->len;

	if (d->cr) {
		if (sbuf_cat_c(out, '\n') < 0)
			return -1;
		d->cr = 0;
		d->bol = 1;
	}
	if (!d->bol && sbuf_cat_n(out, "\r\n", 2) < 0) {
		sbuf_truncate(out, old);
		return -1;
	}
	if (sbuf_cat_n(out, ".\r\n", 3) < 0) {
		sbuf_truncate(out, old);
		return -1;
	}
	d->bol = 1;
	return 0;
}

/* Does p[0..n) hold a byte >= 0x80?  Eight bytes at a time. */
static int
has_high(const unsigned char *p, size_t n)
{
	uint64_t acc = 0, w;
	size_t i = 0;
	unsigned char tail = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, p + i, 8);
		acc |= w;
	}
	for (; i < n; i++)
		tail |= p[i];
	return (acc & UINT64_C(0x8080808080808080)) != 0 || tail >= 0x80;
}

size_t
smtpc_dot_clean(struct smtpc_dot *d, const void *in, size_t n)
{
	const unsigned char *p = in, *lf, *cr;
	size_t i = 0, end;
	int bol = d->bol;

	if (d->cr)
		return 0;	/* the encoder decides what its CR was */
	while (i < n) {
		if (bol && p[i] == '.')
			break;	/* to be doubled */
		lf = memchr(p + i, '\n', n - i);
		end = lf != NULL ? (size_t)(lf - p) : n;
		/* A CR in the line is clean only as the one before its LF. */
		cr = memchr(p + i, '\r', end - i);
		if (lf == NULL) {
			if (cr != NULL)
				end = (size_t)(cr - p);	/* bare, or LF unseen */
			if (end > i)
				bol = 0;
			i = end;
			break;
		}
		if (end == i || cr != lf - 1)
			break;	/* a bare LF, or a bare CR before the LF */
		i = end + 1;
		bol = 1;
	}
	d->bol = bol;
	d->eightbit |= has_high(p, i);
	d->in += i;
	return i;
}

static int
put(struct bio *b, struct sbuf *enc)
{
	int r = bio_write(b, enc->s, enc->len);

	sbuf_reset(enc);
	return r;
}

/*
 * n message bytes at p: what passes unchanged straight to the bio, the
 * rest encoded through enc.  0, or -1.
 */
static int
send_chunk(struct bio *b, struct smtpc_dot *d, const char *p, size_t n,
    struct sbuf *enc)
{
	size_t k = smtpc_dot_clean(d, p, n);

	if (k > 0 && bio_write(b, p, k) < 0)
		return -1;
	if (k == n)
		return 0;
	if (smtpc_dot_encode(d, p + k, n - k, enc) < 0)
		return -1;
	return put(b, enc);
}

/* n message bytes at p into enc (clean ones copied, the rest encoded). */
static int
hold_chunk(struct smtpc_dot *d, const char *p, size_t n, struct sbuf *enc)
{
	size_t k = smtpc_dot_clean(d, p, n);

	if (sbuf_cat_n(enc, p, k) < 0)
		return -1;
	return k == n ? 0 : smtpc_dot_encode(d, p + k, n - k, enc);
}

/* Bytes of fd from its offset to its end: -1 when unknown. */
static off_t
bytes_left(int fd)
{
	struct stat st;
	off_t pos;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (pos = lseek(fd, 0, SEEK_CUR)) < 0 || pos > st.st_size)
		return -1;
	return st.st_size - pos;
}

int
smtpc_send_data(struct bio *b, int fd, const void *prefix, size_t n,
    struct smtpc_dot *d)
{
	struct sbuf enc, buf;
	ssize_t k;
	off_t left = bytes_left(fd);
	int r = -1;

	/* Heap, not stack: the chunk holds message bytes (STYLE 5). */
	sbuf_init(&enc, 2 * SMTPC_CHUNK + 16);
	sbuf_init(&buf, SMTPC_CHUNK);
	if (sbuf_reserve(&buf, SMTPC_CHUNK) < 0)
		goto out;
	if (n > 0) {
		const char *p = prefix;
		size_t off, len;

		for (off = 0; off < n; off += len) {
			len = n - off > SMTPC_CHUNK ? SMTPC_CHUNK : n - off;
			if (send_chunk(b, d, p + off, len, &enc) < 0)
				goto out;
		}
	}
	for (;;) {
		if ((k = io_read(fd, buf.s, SMTPC_CHUNK)) < 0)
			goto out;
		if (k == 0)
			break;
		if (left < 0 || k < left) {
			if (left > 0)
				left -= k;
			if (send_chunk(b, d, buf.s, (size_t)k, &enc) < 0)
				goto out;
			continue;
		}
		/*
		 * The file's last chunk, by its size: held in enc, so that
		 * the end of data goes in the same write (no lone ".\r\n"
		 * segment), once a read has confirmed the end.
		 */
		left = -1;
		if (hold_chunk(d, buf.s, (size_t)k, &enc) < 0)
			goto out;
		if ((k = io_read(fd, buf.s, SMTPC_CHUNK)) < 0)
			goto out;
		if (k == 0)
			break;
		if (put(b, &enc) < 0 ||		/* it grew: go on */
		    send_chunk(b, d, buf.s, (size_t)k, &enc) < 0)
			goto out;
	}
	if (smtpc_dot_finish(d, &enc) < 0 || put(b, &enc) < 0 ||
	    bio_flush(b) < 0)
		goto out;
	r = 0;
out:
	sbuf_fini(&enc);
	sbuf_fini(&buf);
	return r;
}
