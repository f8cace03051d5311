/* smtp_data.c - the DATA/BDAT reader state machine (see smtp_data.h). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/sbuf.h"
#include "lib/smtp_data.h"

/* Reader states. */
enum {
	S_BOL,		/* at the start of a line (after CR LF) */
	S_MID,		/* inside a line */
	S_CR,		/* a CR, not yet known to end the line */
	S_DOT,		/* a "." at the start of a line (dropped) */
	S_DOTCR,	/* "." CR at the start of a line */
	S_DONE		/* CR LF "." CR LF seen */
};

/* Header matcher states. */
enum {
	H_LINESTART,	/* at the start of a header line */
	H_EMPTYCR,	/* a CR at the start of a line */
	H_NAME,		/* matching "received" */
	H_WSP,		/* "received" matched, blanks before ':' */
	H_OTHER		/* rest of the line */
};

static const char received[] = "received";

void
smtp_data_init(struct smtp_data *d, uint64_t limit, unsigned flags)
{
	memset(d, 0, sizeof *d);
	if (!(flags & SMTP_DATA_BDAT))
		flags &= ~(unsigned)SMTP_DATA_BINARY;	/* BDAT only */
	d->flags = flags;
	d->limit = limit;
	d->state = (flags & SMTP_DATA_BDAT) ? S_MID : S_BOL;
	d->hstate = H_LINESTART;
}

/* Track the header section over one output byte. */
static void
hdr_byte(struct smtp_data *d, unsigned char c)
{
	int lc = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;

	if (d->headers_done)
		return;
	switch (d->hstate) {
	case H_LINESTART:
		if (c == '\r') {
			d->hstate = H_EMPTYCR;
			return;
		}
		if (c == '\n')
			break;	/* an empty line ended by a lone LF */
		if (lc == received[0]) {
			d->hstate = H_NAME;
			d->hmatch = 1;
			return;
		}
		d->hstate = H_OTHER;
		return;
	case H_EMPTYCR:
		if (c == '\n')
			break;
		d->hstate = H_OTHER;
		return;
	case H_NAME:
		if (lc == received[d->hmatch]) {
			if (++d->hmatch == sizeof received - 1)
				d->hstate = H_WSP;
			return;
		}
		d->hstate = c == '\n' ? H_LINESTART : H_OTHER;
		return;
	case H_WSP:
		if (c == ' ' || c == '\t')
			return;
		if (c == ':' && d->received < SMTP_DATA_RECEIVED_MAX)
			d->received++;
		d->hstate = c == '\n' ? H_LINESTART : H_OTHER;
		return;
	case H_OTHER:
		if (c == '\n')
			d->hstate = H_LINESTART;
		return;
	}
	/* An empty line: the header section ends after this byte. */
	d->headers_done = 1;
	d->header_end = d->size;
}

/* Count n output bytes; false once past the limit. */
static int
count(struct smtp_data *d, size_t n)
{
	if (__builtin_add_overflow(d->size, (uint64_t)n, &d->size))
		d->size = UINT64_MAX;
	if (d->limit != 0 && d->size > d->limit)
		d->too_big = 1;
	return !d->too_big;
}

static int
emit(struct smtp_data *d, struct sbuf *out, unsigned char c)
{
	int rc = 0;

	if (count(d, 1))
		rc = sbuf_cat_c(out, c);
	hdr_byte(d, c);
	return rc;
}

/* CR LF as one unit, so output cut at the limit never ends in a CR. */
static int
emit_crlf(struct smtp_data *d, struct sbuf *out)
{
	int rc = 0;

	if (count(d, 2))
		rc = sbuf_cat_n(out, "\r\n", 2);
	hdr_byte(d, '\r');
	hdr_byte(d, '\n');
	return rc;
}

/* A byte inside a line. */
static int
mid(struct smtp_data *d, struct sbuf *out, unsigned char c)
{
	d->state = S_MID;
	if (d->flags & SMTP_DATA_BINARY)
		return emit(d, out, c);
	if (c == '\r') {
		d->state = S_CR;
		return 0;
	}
	if (c == '\n') {
		/* A bare LF: never a line start for dots or the end. */
		d->bare = 1;
		return emit_crlf(d, out);
	}
	return emit(d, out, c);
}

/* The byte after a pending CR. */
static int
after_cr(struct smtp_data *d, struct sbuf *out, unsigned char c)
{
	if (c == '\n') {
		if (emit_crlf(d, out) < 0)
			return -1;
		d->state = (d->flags & SMTP_DATA_BDAT) ? S_MID : S_BOL;
		return 0;
	}
	/* A bare CR. */
	d->bare = 1;
	if (emit_crlf(d, out) < 0)
		return -1;
	return mid(d, out, c);
}

/* A run of bytes without CR or LF inside a line, when nothing tracks it. */
static size_t
fast_run(struct smtp_data *d, const char *p, size_t n, struct sbuf *out)
{
	size_t k, take;

	if (d->state != S_MID || (!d->headers_done && d->hstate != H_OTHER))
		return 0;
	for (k = 0; k < n && p[k] != '\r' && p[k] != '\n'; k++)
		continue;
	if (k == 0)
		return 0;
	take = k;
	if (d->too_big)
		take = 0;
	else if (d->limit != 0 && d->limit - d->size < k)
		take = (size_t)(d->limit - d->size);	/* as byte by byte */
	if (take > 0)
		(void)sbuf_cat_n(out, p, take);	/* room reserved */
	(void)count(d, k);
	return k;
}

static int
step(struct smtp_data *d, struct sbuf *out, unsigned char c)
{
	int rc = 0;

	switch (d->state) {
	case S_BOL:
		if (c == '.')
			d->state = S_DOT;
		else
			rc = mid(d, out, c);
		break;
	case S_MID:
		rc = mid(d, out, c);
		break;
	case S_CR:
		rc = after_cr(d, out, c);
		break;
	case S_DOT:
		if (c == '\r')
			d->state = S_DOTCR;
		else
			rc = mid(d, out, c);
		break;
	case S_DOTCR:
		if (c == '\n') {
			d->state = S_DONE;
			d->done = 1;
		} else
			rc = after_cr(d, out, c);
		break;
	case S_DONE:
		break;
	}
	return rc;
}

/* Make sure out can take what n input bytes may produce. */
static int
reserve(const struct smtp_data *d, struct sbuf *out, size_t n)
{
	if (d->too_big)
		return 0;
	if (n > (SIZE_MAX - 1) / 2) {
		errno = E2BIG;
		return -1;
	}
	return sbuf_reserve(out, 2 * n + 1);
}

int
smtp_data_feed(struct smtp_data *d, const char *p, size_t n,
    struct sbuf *out, size_t *used_r)
{
	size_t i = 0;

	*used_r = 0;
	if (d->done)
		return SMTP_DATA_END;
	if (reserve(d, out, n) < 0)
		return -1;
	while (i < n) {
		size_t k = fast_run(d, p + i, n - i, out);

		if (k > 0) {
			i += k;
			continue;
		}
		if (step(d, out, (unsigned char)p[i++]) < 0)
			return -1;
		if (d->done) {
			*used_r = i;
			return SMTP_DATA_END;
		}
	}
	*used_r = n;
	return SMTP_DATA_MORE;
}

int
smtp_data_feed_line(struct smtp_data *d, const char *line, size_t n, int eol,
    struct sbuf *out)
{
	const char *term = eol == BIO_EOL_CRLF ? "\r\n" :
	    eol == BIO_EOL_LF ? "\n" : "";
	size_t used, tl = strlen(term);
	int rc;

	if (d->done)
		return SMTP_DATA_END;
	if (n > SIZE_MAX - 2 || reserve(d, out, n + 2) < 0) {
		errno = E2BIG;
		return -1;
	}
	rc = smtp_data_feed(d, line, n, out, &used);
	if (rc == SMTP_DATA_MORE && tl > 0)
		rc = smtp_data_feed(d, term, tl, out, &used);
	return rc;
}

int
smtp_data_finish(struct smtp_data *d, struct sbuf *out)
{
	if (d->state == S_CR || d->state == S_DOTCR) {
		d->bare = 1;
		if (reserve(d, out, 1) < 0 || emit_crlf(d, out) < 0)
			return -1;
		d->state = S_MID;
	}
	return 0;
}

int
smtp_data_status(const struct smtp_data *d)
{
	if (d->too_big)
		return SMTP_DATA_TOOBIG;
	if (d->bare && !(d->flags & SMTP_DATA_NORMALIZE))
		return SMTP_DATA_BARE;
	return SMTP_DATA_OK;
}
