/*
 * imapd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4): the keys are
 * parsed and evaluated by lib/imapp; this file gives it each message's
 * flags, size and dates, and the callbacks that look into the message:
 * header fields decoded from RFC 2047 words, text bodies decoded from
 * their transfer encoding and charset (lib/mime), matched
 * case-insensitively.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define DECODED_MAX	(16 * 1024 * 1024)	/* one decoded body part */
#define HDR_DECODED_MAX	(1024 * 1024)		/* one decoded field */

struct sctx {
	struct imap	*s;
	const struct mbox_msg *m;
	int		 tried, ok;
	char		*map;
	size_t		 len;
	struct mime_part *root;
};

static int
load(struct sctx *c)
{
	struct stat st;
	int fd;

	if (c->tried)
		return c->ok ? 0 : -1;
	c->tried = 1;
	if ((fd = mbox_msg_open(c->s->mb, c->m->uid)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		(void)close(fd);
		return -1;
	}
	c->len = (size_t)st.st_size;
	if (c->len > 0 && (c->map = mmap(NULL, c->len, PROT_READ,
	    MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		c->map = NULL;
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	if (mime_parse(c->map != NULL ? c->map : "", c->len, NULL,
	    &c->root) < 0)
		return -1;
	c->ok = 1;
	return 0;
}

static void
unload(struct sctx *c)
{
	if (c->root != NULL)
		mime_free(&c->root);
	if (c->map != NULL)
		(void)munmap(c->map, c->len);
	c->map = NULL;
	c->tried = c->ok = 0;
}

static int
cb_keyword(void *ctx, const char *kw, size_t n)
{
	struct sctx *c = ctx;
	char name[MBOX_KEYWORD_MAX + 1];
	unsigned idx;

	if (n > MBOX_KEYWORD_MAX)
		return 0;
	memcpy(name, kw, n);
	name[n] = '\0';
	if (mbox_keyword_index(c->s->mb, name, 0, &idx) < 0)
		return 0;
	return (c->m->keywords & (1U << idx)) != 0;
}

static int
cb_sent(void *ctx, int64_t *utc_r, int *zone_r)
{
	struct sctx *c = ctx;
	struct sbuf v;
	int r = 0;

	if (load(c) < 0)
		return 0;
	sbuf_init(&v, HDR_DECODED_MAX);
	if (mime_header_get(&v, c->map ? c->map + c->root->hdr_off : "",
	    c->root->hdr_len, "Date") == 1 &&
	    mime_date_parse(v.s, v.len, utc_r, zone_r) == 0)
		r = 1;
	sbuf_fini(&v);
	return r;
}

/* Does a field (hn > 0: of that name; 0: any) contain s? */
static int
hdr_find(struct sctx *c, const char *hdr, size_t hn, const char *s, size_t n)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	struct sbuf v;
	int r = 0;

	if (load(c) < 0)
		return 0;
	sbuf_init(&v, HDR_DECODED_MAX);
	mime_hdr_iter_init(&it, c->map ? c->map + c->root->hdr_off : "",
	    c->root->hdr_len);
	while (r == 0 && mime_hdr_next(&it, &f) == 1) {
		if (hn > 0 && (f.name_len != hn ||
		    strncasecmp(f.name, hdr, hn) != 0))
			continue;
		if (n == 0) {
			r = 1;
			break;
		}
		sbuf_reset(&v);
		if (mime_header_decode(&v, f.value, f.value_len) < 0)
			continue;
		r = mime_text_find(v.s ? v.s : "", v.len, s, n);
	}
	sbuf_fini(&v);
	return r;
}

static int
cb_header(void *ctx, const char *hdr, size_t hn, const char *s, size_t n)
{
	return hdr_find(ctx, hdr, hn, s, n);
}

/* Each text leaf of the tree, depth first (bounded by the parser's
 * limits), decoded and searched. */
static int
body_find(struct sctx *c, const char *s, size_t n)
{
	const struct mime_part *stack[MIME_DEPTH_HARD + 2], *p;
	struct sbuf t;
	size_t sp = 0;
	int r = 0;

	if (load(c) < 0)
		return 0;
	sbuf_init(&t, DECODED_MAX);
	stack[sp++] = c->root;
	while (sp > 0 && r == 0) {
		p = stack[--sp];
		if (p->next != NULL && p != c->root && sp < MIME_DEPTH_HARD)
			stack[sp++] = p->next;
		if (p->is_message && p->msg != NULL && sp < MIME_DEPTH_HARD) {
			stack[sp++] = p->msg;
			continue;
		}
		if (p->is_multipart && p->child != NULL &&
		    sp < MIME_DEPTH_HARD) {
			stack[sp++] = p->child;
			continue;
		}
		sbuf_reset(&t);
		if (mime_part_text(&t, c->map ? c->map : "", p) == 0)
			r = mime_text_find(t.s ? t.s : "", t.len, s, n);
	}
	sbuf_fini(&t);
	return r;
}

static int
cb_body(void *ctx, const char *s, size_t n)
{
	return body_find(ctx, s, n);
}

static int
cb_text(void *ctx, const char *s, size_t n)
{
	if (hdr_find(ctx, "", 0, s, n > 0 ? n : 0) == 1 && n > 0)
		return 1;
	return body_find(ctx, s, n);
}

static unsigned
imapp_flags_of(const struct mbox_msg *m)
{
	unsigned f = 0;

	if (m->flags & MBOX_F_SEEN)
		f |= IMAPP_F_SEEN;
	if (m->flags & MBOX_F_ANSWERED)
		f |= IMAPP_F_ANSWERED;
	if (m->flags & MBOX_F_FLAGGED)
		f |= IMAPP_F_FLAGGED;
	if (m->flags & MBOX_F_DELETED)
		f |= IMAPP_F_DELETED;
	if (m->flags & MBOX_F_DRAFT)
		f |= IMAPP_F_DRAFT;
	if (m->flags & MBOX_F_RECENT)
		f |= IMAPP_F_RECENT;
	return f;
}

static int
search_all(struct imap *s, const struct imapp_search *q)
{
	struct imapp_search_msg sm;
	struct sctx c;
	uint32_t count = mbox_count(s->mb), seq;
	uint64_t vsize;
	int r;

	if (bio_puts(s->b, "* SEARCH") < 0)
		return -1;
	memset(&c, 0, sizeof c);
	c.s = s;
	for (seq = 1; seq <= count; seq++) {
		c.m = mbox_msg(s->mb, seq);
		if (c.m->flags & MBOX_F_EXPUNGED)
			continue;
		memset(&sm, 0, sizeof sm);
		sm.seq = seq;
		sm.uid = c.m->uid;
		sm.star = count;
		sm.star_uid = mbox_msg(s->mb, count)->uid;
		sm.flags = imapp_flags_of(c.m);
		sm.size = c.m->size;
		if (mbox_msg_vsize(s->mb, c.m->uid, &vsize) == 0)
			sm.size = vsize;
		sm.internal = c.m->date;
		sm.now = (int64_t)time(NULL);
		sm.modseq = c.m->modseq;
		sm.ctx = &c;
		sm.keyword = cb_keyword;
		sm.sent = cb_sent;
		sm.header = cb_header;
		sm.body = cb_body;
		sm.text = cb_text;
		r = imapp_search_eval(q, &sm);
		unload(&c);
		if (r == 1 && bio_printf(s->b, " %u", s->pc.uid ? sm.uid :
		    seq) < 0)
			return -1;
	}
	return bio_puts(s->b, "\r\n");
}

int
imap_cmd_search(struct imap *s)
{
	struct imapp_search q;
	const char *why = "";
	int r;

	imapp_search_init(&q);
	r = imapp_search_parse(&s->pc, imapp_arg(&s->pc, 0), 0, &q, &why);
	if (r == IMAPP_EBADCHARSET) {
		imapp_search_fini(&q);
		return imap_reply(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
		    "%s", why);
	}
	if (r < 0 || q.has_return || q.uses_saved || q.uses_modseq) {
		imapp_search_fini(&q);
		return imap_bad(s, r < 0 ? why : "ESEARCH, SEARCHRES and "
		    "MODSEQ are not supported");
	}
	if ((s->enabled & IMAPP_EN_UTF8_ACCEPT) &&
	    imap_search_has_charset(s)) {
		imapp_search_fini(&q);
		return imap_bad(s, "No CHARSET after ENABLE UTF8=ACCEPT");
	}
	if (IMAP_REV2(s) && imap_search_uses_recent(&q)) {
		imapp_search_fini(&q);
		return imap_bad(s, "IMAP4rev2 has no RECENT, NEW or OLD");
	}
	r = search_all(s, &q);
	imapp_search_fini(&q);
	if (r < 0)
		return -1;
	return imap_ok(s, s->pc.uid ? "UID SEARCH" : "SEARCH");
}
