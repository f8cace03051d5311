/*
 * imapd_search.c - SEARCH and UID SEARCH (RFC 3501 6.4.4): the keys are
 * parsed and evaluated by lib/imapp; this file gives it each message's
 * flags, size and dates, and the callbacks that look into the message:
 * header fields decoded from RFC 2047 words, text bodies decoded from
 * their transfer encoding and charset (lib/mime), matched
 * case-insensitively.  ESEARCH (RFC 4731: SEARCH RETURN (MIN MAX ALL
 * COUNT)) and SEARCHRES (RFC 5182: RETURN (SAVE), "$") are here too;
 * imap_search_seqs serves SORT and THREAD (imapd_sort.c).
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
#include "lib/mem.h"
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

/* "$" in a search key: is the UID in the saved result? */
static int
cb_saved(void *ctx, uint32_t seq, uint32_t uid)
{
	struct sctx *c = ctx;

	(void)seq;
	return imap_saved_has(c->s, uid);
}

/* Does the search look at internal dates (then those not known yet are
 * learnt: a folder indexed for the first time did not stat its files)? */
static int
uses_date(const struct imapp_search *q)
{
	uint32_t i;

	for (i = 0; i < q->nnode; i++)
		switch (q->node[i].key) {
		case IMAPP_SK_BEFORE:
		case IMAPP_SK_ON:
		case IMAPP_SK_SINCE:
		case IMAPP_SK_OLDER:
		case IMAPP_SK_YOUNGER:
			return 1;
		default:
			break;
		}
	return 0;
}

/* Does the search look at sizes (then RFC822.SIZE is worked out)? */
static int
uses_size(const struct imapp_search *q)
{
	uint32_t i;

	for (i = 0; i < q->nnode; i++)
		if (q->node[i].key == IMAPP_SK_LARGER ||
		    q->node[i].key == IMAPP_SK_SMALLER)
			return 1;
	return 0;
}

int
imap_search_seqs(struct imap *s, const struct imapp_search *q,
    uint32_t **seqs_r, size_t *n_r)
{
	struct imapp_search_msg sm;
	struct sctx c;
	uint32_t count = mbox_count(s->mb), seq, *v = NULL, star_uid;
	uint64_t vsize;
	size_t n = 0;
	int64_t now = (int64_t)time(NULL);
	int r, sizes = uses_size(q), dates = uses_date(q);

	*seqs_r = NULL;
	*n_r = 0;
	if (count > 0 && (v = mem_alloc(count, sizeof *v)) == NULL)
		return -1;
	memset(&c, 0, sizeof c);
	c.s = s;
	star_uid = count > 0 ? mbox_msg(s->mb, count)->uid : 0;
	for (seq = 1; seq <= count; seq++) {
		c.m = mbox_msg(s->mb, seq);
		if (c.m->flags & MBOX_F_EXPUNGED)
			continue;
		memset(&sm, 0, sizeof sm);
		sm.seq = seq;
		sm.uid = c.m->uid;
		sm.star = count;
		sm.star_uid = star_uid;
		sm.flags = imapp_flags_of(c.m);
		sm.size = c.m->size;
		if (sizes && mbox_msg_vsize(s->mb, c.m->uid, &vsize) == 0)
			sm.size = vsize;
		sm.internal = c.m->date;
		if (dates && sm.internal == 0)	/* 0 when it fails */
			(void)mbox_msg_date(s->mb, c.m->uid, &sm.internal);
		sm.now = now;
		sm.modseq = c.m->modseq;
		sm.ctx = &c;
		sm.keyword = cb_keyword;
		sm.sent = cb_sent;
		sm.header = cb_header;
		sm.body = cb_body;
		sm.text = cb_text;
		sm.saved = cb_saved;
		r = imapp_search_eval(q, &sm);
		unload(&c);
		if (r == 1)
			v[n++] = seq;
	}
	*seqs_r = v;
	*n_r = n;
	return 0;
}

/* ---- SEARCHRES (RFC 5182): the saved result, as UIDs ascending. ---- */

void
imap_saved_clear(struct imap *s)
{
	free(s->saved);
	s->saved = NULL;
	s->nsaved = 0;
}

int
imap_saved_has(const struct imap *s, uint32_t uid)
{
	size_t lo = 0, hi = s->nsaved, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->saved[mid] == uid)
			return 1;
		if (s->saved[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Save the UIDs of seqs[0..n) (ascending), replacing the old result. */
static int
saved_set(struct imap *s, const uint32_t *seqs, size_t n)
{
	uint32_t *v = NULL;
	size_t i;

	if (n > 0 && (v = mem_alloc(n, sizeof *v)) == NULL) {
		imap_saved_clear(s);
		return -1;
	}
	for (i = 0; i < n; i++)
		v[i] = mbox_msg(s->mb, seqs[i])->uid;
	imap_saved_clear(s);
	s->saved = v;
	s->nsaved = n;
	return 0;
}

int
imap_saved_seqs(struct imap *s, uint32_t **seqs_r, size_t *n_r)
{
	uint32_t *v = NULL, seq;
	size_t i, n = 0;

	*seqs_r = NULL;
	*n_r = 0;
	if (s->nsaved > 0 && (v = mem_alloc(s->nsaved, sizeof *v)) == NULL)
		return -1;
	/* Expunged messages drop out: their UIDs are no longer in the view
	 * (RFC 5182 2.1). */
	for (i = 0; i < s->nsaved; i++)
		if ((seq = mbox_seq(s->mb, s->saved[i])) != 0)
			v[n++] = seq;
	*seqs_r = v;
	*n_r = n;
	return 0;
}

/* The numbers (seqs or their UIDs) of seqs[0..n) as a compact set. */
static int
set_of(struct imap *s, const uint32_t *seqs, size_t n, struct sbuf *out)
{
	uint32_t lo, hi, x;
	size_t i = 0;
	int r = 0, first = 1;

	while (i < n && r == 0) {
		lo = hi = s->pc.uid ? mbox_msg(s->mb, seqs[i])->uid : seqs[i];
		for (i++; i < n; i++) {
			x = s->pc.uid ? mbox_msg(s->mb, seqs[i])->uid : seqs[i];
			if (x != hi + 1)
				break;
			hi = x;
		}
		if (!first)
			r = sbuf_cat_c(out, ',');
		first = 0;
		if (r == 0 && lo == hi)
			r = sbuf_printf(out, "%u", lo);
		else if (r == 0)
			r = sbuf_printf(out, "%u:%u", lo, hi);
	}
	return r;
}

static uint32_t
num_of(struct imap *s, uint32_t seq)
{
	return s->pc.uid ? mbox_msg(s->mb, seq)->uid : seq;
}

/* RFC 4731 ESEARCH answer (and RFC 5182 SAVE). */
static int
esearch_out(struct imap *s, unsigned ret, const uint32_t *seqs, size_t n,
    uint64_t modseq)
{
	struct sbuf l;
	int r = 0;

	/* RFC 5182 2.4: SAVE with MIN and/or MAX alone saves just those. */
	if ((ret & IMAPP_RET_SAVE) && (ret & (IMAPP_RET_MIN |
	    IMAPP_RET_MAX)) && !(ret & (IMAPP_RET_ALL | IMAPP_RET_COUNT))) {
		uint32_t mm[2];
		size_t k = 0;

		if (n > 0 && (ret & IMAPP_RET_MIN))
			mm[k++] = seqs[0];
		if (n > 0 && (ret & IMAPP_RET_MAX) &&
		    (k == 0 || seqs[n - 1] != mm[0]))
			mm[k++] = seqs[n - 1];
		if (saved_set(s, mm, k) < 0)
			return -2;
	} else if ((ret & IMAPP_RET_SAVE) && saved_set(s, seqs, n) < 0)
		return -2;
	/* RFC 5182 2.1: SAVE alone gives no ESEARCH response. */
	if ((ret & ~IMAPP_RET_SAVE) == 0)
		return 0;
	sbuf_init(&l, IMAP_LINE_MAX + (size_t)n * 24);
	r |= sbuf_printf(&l, "* ESEARCH (TAG \"%s\")%s", s->tag,
	    s->pc.uid ? " UID" : "");
	if (n > 0 && (ret & IMAPP_RET_MIN))
		r |= sbuf_printf(&l, " MIN %u", num_of(s, seqs[0]));
	if (n > 0 && (ret & IMAPP_RET_MAX))
		r |= sbuf_printf(&l, " MAX %u", num_of(s, seqs[n - 1]));
	if (n > 0 && (ret & IMAPP_RET_ALL)) {
		r |= sbuf_cat_s(&l, " ALL ");
		r |= set_of(s, seqs, n, &l);
	}
	if (ret & IMAPP_RET_COUNT)
		r |= sbuf_printf(&l, " COUNT %zu", n);
	if (modseq > 0)		/* RFC 7162 3.1.5 */
		r |= sbuf_printf(&l, " MODSEQ %llu",
		    (unsigned long long)modseq);
	r |= sbuf_cat_s(&l, "\r\n");
	if (r == 0 && bio_write(s->b, l.s, l.len) < 0)
		r = -1;
	sbuf_fini(&l);
	return r < 0 ? -1 : 0;
}

static int
search_out(struct imap *s, const uint32_t *seqs, size_t n, uint64_t modseq)
{
	size_t i;

	if (bio_puts(s->b, "* SEARCH") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (bio_printf(s->b, " %u", num_of(s, seqs[i])) < 0)
			return -1;
	/* RFC 7162 3.1.5: the highest modseq of what matched. */
	if (modseq > 0 && bio_printf(s->b, " (MODSEQ %llu)",
	    (unsigned long long)modseq) < 0)
		return -1;
	return bio_puts(s->b, "\r\n");
}

/* SEARCH MODSEQ: the highest modseq of seqs (0: none, or no MODSEQ). */
static uint64_t
max_modseq(struct imap *s, const struct imapp_search *q,
    const uint32_t *seqs, size_t n)
{
	uint64_t m = 0;
	size_t i;

	for (i = 0; q->uses_modseq && i < n; i++)
		if (mbox_msg(s->mb, seqs[i])->modseq > m)
			m = mbox_msg(s->mb, seqs[i])->modseq;
	return m;
}

int
imap_cmd_search(struct imap *s)
{
	struct imapp_search q;
	const char *why = "";
	uint32_t *seqs = NULL;
	size_t n = 0;
	int r;

	imapp_search_init(&q);
	r = imapp_search_parse(&s->pc, imapp_arg(&s->pc, 0), 0, &q, &why);
	/* RFC 5182 2.1: a SEARCH with SAVE that fails empties "$". */
	if (r < 0 && (q.ret & IMAPP_RET_SAVE))
		imap_saved_clear(s);
	if (r == IMAPP_EBADCHARSET) {
		imapp_search_fini(&q);
		return imap_reply(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] "
		    "%s", why);
	}
	if (r < 0) {
		imapp_search_fini(&q);
		return imap_bad(s, why);
	}
	if (q.uses_modseq && imap_condstore_enable(s) < 0) {
		imapp_search_fini(&q);
		return -1;
	}
	/* RFC 6855 3 and RFC 9051 (no \Recent): BAD. */
	why = NULL;
	if ((s->enabled & IMAPP_EN_UTF8_ACCEPT) && imap_search_has_charset(s))
		why = "No CHARSET after ENABLE UTF8=ACCEPT";
	else if (IMAP_REV2(s) && imap_search_uses_recent(&q))
		why = "IMAP4rev2 has no RECENT, NEW or OLD";
	if (why != NULL) {
		if (q.ret & IMAPP_RET_SAVE)
			imap_saved_clear(s);
		imapp_search_fini(&q);
		return imap_bad(s, why);
	}
	if (imap_search_seqs(s, &q, &seqs, &n) < 0) {
		if (q.ret & IMAPP_RET_SAVE)
			imap_saved_clear(s);
		imapp_search_fini(&q);
		return imap_no_errno(s, "SEARCH");
	}
	if (q.has_return)
		r = esearch_out(s, q.ret, seqs, n, max_modseq(s, &q, seqs, n));
	else if (IMAP_REV2(s))	/* RFC 9051 6.4.4: ESEARCH, ALL assumed */
		r = esearch_out(s, IMAPP_RET_ALL, seqs, n,
		    max_modseq(s, &q, seqs, n));
	else
		r = search_out(s, seqs, n, max_modseq(s, &q, seqs, n));
	free(seqs);
	imapp_search_fini(&q);
	if (r == -2)
		return imap_no_errno(s, "SEARCH");
	if (r < 0)
		return -1;
	return imap_ok(s, s->pc.uid ? "UID SEARCH" : "SEARCH");
}
