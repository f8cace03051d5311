/*
 * imapd_read.c - reading one IMAP command (RFC 3501 2.2, 4.3; RFC 7888
 * LITERAL+) from the client, bounded: each line by r->line_max, each
 * literal by r->literal_max, the literals of a command by
 * IMAP_LITERALS_MAX and the whole by r->cmd_max plus one literal.  A
 * literal over the limit is refused before any byte of it is read.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define LITERAL_CHUNK	65536	/* one read of a literal */

size_t
imapd_tag_len(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && i < IMAP_TAG_MAX; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\+", c) != NULL)
			break;
	}
	if (i == 0 || i >= IMAP_TAG_MAX || (i < n && p[i] != ' '))
		return 0;
	return i;
}

static int
answer(struct imapd_reader *r, const char *tag, size_t tlen, const char *s)
{
	if (bio_write(r->b, tag, tlen) < 0 || bio_puts(r->b, s) < 0 ||
	    bio_flush(r->b) < 0)
		return -1;
	return 0;
}

static enum imapd_rd
bad(struct imapd_reader *r, const struct sbuf *first, const char *what)
{
	size_t t = imapd_tag_len(first->s, first->len);

	if (answer(r, t ? first->s : "*", t ? t : 1, what) < 0)
		return RD_ERR;
	return RD_BAD;
}

/* Read n literal bytes into cmd (room reserved by the caller). */
static enum imapd_rd
literal(struct imapd_reader *r, struct sbuf *cmd, uint64_t n)
{
	ssize_t got;
	size_t want;

	if (sbuf_reserve(cmd, (size_t)n + 2) < 0)
		return RD_ERR;
	if (sbuf_cat_n(cmd, "\r\n", 2) < 0)
		return RD_ERR;
	while (n > 0) {
		want = n > LITERAL_CHUNK ? LITERAL_CHUNK : (size_t)n;
		got = bio_read_full(r->b, cmd->s + cmd->len, want);
		if (got < 0)
			return RD_ERR;
		if ((size_t)got < want)
			return RD_EOF;
		cmd->len += (size_t)got;
		r->bytes_in += (uint64_t)got;
		n -= (uint64_t)got;
	}
	return RD_OK;
}

/*
 * Whether the command in cmd (its first line at least) is APPEND: only
 * APPEND's literals may reach literal_max (a message).  Any other
 * command, literals included, stays within cmd_max: a SEARCH or LOGIN
 * string needs no 64 MB, and one connection could otherwise pin that
 * much memory in its worker with "a SEARCH TEXT {60000000}".
 */
static int
is_append(const struct sbuf *cmd)
{
	const char *p = cmd->s, *e = cmd->s + cmd->len, *sp;

	if ((sp = memchr(p, ' ', (size_t)(e - p))) == NULL)
		return 0;
	p = sp + 1;
	return e - p > 6 && strncasecmp(p, "APPEND", 6) == 0 && p[6] == ' ';
}

/* After one line: is a literal announced, and may it come? */
static enum imapd_rd
announce(struct imapd_reader *r, struct sbuf *cmd, const struct sbuf *line,
    const struct sbuf *first, size_t *nlit, int *more)
{
	uint64_t n;
	int plus, bin, k, app;

	*more = 0;
	k = imapp_line_literal(line->s, line->len, 0, &n, &plus, &bin);
	if (k == 0)
		return RD_OK;
	if (k < 0 && line->len >= 2 && line->s[line->len - 2] == '+' &&
	    line->s[line->len - 1] == '}') {
		/* A {n+} we will not read: its bytes are on the way. */
		(void)answer(r, "*", 1, " BYE [TOOBIG] Literal too big\r\n");
		return RD_FATAL;
	}
	if (k < 0)
		return bad(r, first, " BAD Invalid literal\r\n");
	app = is_append(cmd);
	if (++*nlit > IMAP_LITERALS_MAX || n > r->literal_max ||
	    cmd->len + n > r->cmd_max + (app ? r->literal_max : 0)) {
		if (plus) {
			(void)answer(r, "*", 1, " BYE [TOOBIG] Literal too "
			    "big\r\n");
			return RD_FATAL;
		}
		return bad(r, first, " NO [TOOBIG] Literal too big\r\n");
	}
	if (!plus && (bio_puts(r->b, "+ Ready for literal data\r\n") < 0 ||
	    bio_flush(r->b) < 0))
		return RD_ERR;
	*more = 1;
	return literal(r, cmd, n);
}

enum imapd_rd
imapd_read_cmd(struct imapd_reader *r, struct sbuf *cmd)
{
	struct sbuf line, first;
	enum imapd_rd st = RD_OK;
	size_t nlit = 0;
	int eol, k, more = 1;

	sbuf_reset(cmd);
	sbuf_init(&line, r->line_max);
	sbuf_init(&first, IMAP_TAG_MAX + 1);
	while (more && st == RD_OK) {
		k = bio_getline(r->b, &line, r->line_max, &eol);
		if (k == BIO_EOF) {
			st = RD_EOF;
			break;
		}
		if (k == BIO_TOOLONG) {
			if (first.len == 0)
				(void)sbuf_set_n(&first, line.s, line.len >
				    IMAP_TAG_MAX ? IMAP_TAG_MAX : line.len);
			st = bad(r, &first, " BAD Line too long\r\n");
			break;
		}
		if (k != BIO_OK) {
			st = RD_ERR;
			break;
		}
		r->bytes_in += line.len + 2;
		if (first.len == 0 && sbuf_set_n(&first, line.s, line.len >
		    IMAP_TAG_MAX ? IMAP_TAG_MAX : line.len) < 0) {
			st = RD_ERR;
			break;
		}
		if (memchr(line.s, '\0', line.len) != NULL) {
			st = bad(r, &first, " BAD NUL byte in command\r\n");
			break;
		}
		if (cmd->len + line.len > r->cmd_max + r->literal_max) {
			st = bad(r, &first, " BAD Command too long\r\n");
			break;
		}
		if (sbuf_cat_n(cmd, line.s, line.len) < 0) {
			st = RD_ERR;
			break;
		}
		st = announce(r, cmd, &line, &first, &nlit, &more);
	}
	sbuf_fini(&line);
	sbuf_fini(&first);
	return st;
}
