/*
 * imapd_condstore.c - CONDSTORE and QRESYNC (RFC 7162) in the worker:
 * enabling (3.1: ENABLE, SELECT (CONDSTORE), FETCH MODSEQ/CHANGEDSINCE,
 * STORE UNCHANGEDSINCE, SEARCH MODSEQ, STATUS HIGHESTMODSEQ), MODSEQ in
 * the untagged FETCHes, the expunge announcements (EXPUNGE, or VANISHED
 * once QRESYNC is enabled, 3.2.10), SELECT (QRESYNC ...) (3.2.5) and
 * UID FETCH (CHANGEDSINCE n VANISHED) (3.2.6).  The modseqs and the
 * expunged UIDs come from lib/mstore (doc/mstore.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define VANISHED_LINE_RANGES	2000	/* ranges per VANISHED line */

int
imap_condstore_enable(struct imap *s)
{
	struct mbox_info info;
	int was = (s->enabled & IMAPP_EN_CONDSTORE) != 0;

	s->enabled |= IMAPP_EN_CONDSTORE;
	if (was || s->mb == NULL)
		return 0;
	/* The first enabling command with a mailbox selected: tell its
	 * HIGHESTMODSEQ (RFC 7162 3.1). */
	mbox_get_info(s->mb, &info);
	return imap_out(s, "* OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)info.highestmodseq);
}

int
imap_modseq_out(struct imap *s, struct sbuf *l, const struct mbox_msg *m)
{
	if (!(s->enabled & IMAPP_EN_CONDSTORE))
		return 0;
	if (sbuf_cat_s(l, " MODSEQ (") < 0 || imapfmt_u64(l, m->modseq) < 0)
		return -1;
	return sbuf_cat_c(l, ')');
}

/* "* VANISHED [(EARLIER) ]set" lines for ascending ranges. */
int
imap_vanished_out(struct imap *s, int earlier,
    const struct mbox_uidrange *r, size_t n)
{
	size_t i;
	int e = 0;

	for (i = 0; i < n && e == 0; i++) {
		if (i % VANISHED_LINE_RANGES == 0)
			e |= bio_puts(s->b, i == 0 ? "* VANISHED " :
			    "\r\n* VANISHED ");
		if (e == 0 && earlier && i % VANISHED_LINE_RANGES == 0)
			e |= bio_puts(s->b, "(EARLIER) ");
		if (e == 0 && i % VANISHED_LINE_RANGES != 0)
			e |= bio_puts(s->b, ",");
		if (e == 0 && r[i].lo == r[i].hi)
			e |= bio_printf(s->b, "%u", r[i].lo);
		else if (e == 0)
			e |= bio_printf(s->b, "%u:%u", r[i].lo, r[i].hi);
	}
	if (e == 0 && n > 0)
		e |= bio_puts(s->b, "\r\n");
	return e < 0 ? -1 : 0;
}

int
imap_expunged(void *arg, uint32_t seq, uint32_t uid)
{
	struct imap *s = arg;
	uint32_t *nv;
	size_t nc;

	if (s->exists > 0)
		s->exists--;
	if (!(s->enabled & IMAPP_EN_QRESYNC))
		return imap_out(s, "* %u EXPUNGE", seq) < 0 ? 1 : 0;
	if (s->nvan == s->capvan) {
		nc = s->capvan ? s->capvan * 2 : 64;
		if ((nv = mem_realloc(s->van, nc, sizeof(*nv))) == NULL)
			return 1;
		s->van = nv;
		s->capvan = nc;
	}
	s->van[s->nvan++] = uid;
	return 0;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
imap_expunged_flush(struct imap *s)
{
	struct mbox_uidrange *r;
	size_t i, n = 0;
	int rc;

	if (s->nvan == 0)
		return 0;
	qsort(s->van, s->nvan, sizeof(*s->van), u32_cmp);
	if ((r = mem_alloc(s->nvan, sizeof(*r))) == NULL) {
		s->nvan = 0;
		return -1;
	}
	for (i = 0; i < s->nvan; i++) {
		if (n > 0 && r[n - 1].hi + 1 == s->van[i])
			r[n - 1].hi = s->van[i];
		else {
			r[n].lo = r[n].hi = s->van[i];
			n++;
		}
	}
	s->nvan = 0;
	rc = imap_vanished_out(s, 0, r, n);
	mem_free(&r);
	return rc;
}

void
imap_condstore_fini(struct imap *s)
{
	mem_free(&s->van);
	s->nvan = s->capvan = 0;
}

/* r (ascending ranges) kept only where set (normalised) has them. */
static size_t
ranges_in_set(struct mbox_uidrange *r, size_t n,
    const struct imapp_seqset *set)
{
	struct mbox_uidrange *out;
	size_t i, j = 0, o = 0, cap = n + set->n;
	uint32_t lo, hi;

	if ((out = mem_alloc(cap + 1, sizeof(*out))) == NULL)
		return 0;
	for (i = 0; i < n; i++) {
		while (j < set->n && set->r[j].hi < r[i].lo)
			j++;
		for (; j < set->n && set->r[j].lo <= r[i].hi; j++) {
			lo = set->r[j].lo > r[i].lo ? set->r[j].lo : r[i].lo;
			hi = set->r[j].hi < r[i].hi ? set->r[j].hi : r[i].hi;
			if (o < cap) {
				out[o].lo = lo;
				out[o++].hi = hi;
			}
			if (set->r[j].hi > r[i].hi)
				break;
		}
	}
	memcpy(r, out, o * sizeof(*r));
	mem_free(&out);
	return o;
}

/*
 * "* VANISHED (EARLIER)" for what left since modseq since, limited to
 * set (NULL: every UID) and to UIDs above above (0: all).
 */
static int
vanished_earlier(struct imap *s, uint64_t since,
    const struct imapp_seqset *set, uint32_t above)
{
	struct mbox_uidrange *r = NULL;
	size_t n = 0, i, o;
	int exact, rc;

	if (mbox_vanished(s->mb, since, &r, &n, &exact) < 0)
		return -1;
	if (!exact && above > 0) {
		for (i = o = 0; i < n; i++) {
			if (r[i].hi <= above)
				continue;
			r[o] = r[i];
			if (r[o].lo <= above)
				r[o].lo = above + 1;
			o++;
		}
		n = o;
	}
	if (set != NULL && n > 0)
		n = ranges_in_set(r, n, set);
	rc = imap_vanished_out(s, 1, r, n);
	mem_free(&r);
	return rc;
}

/* A set token parsed and normalised with star; 0 or -1 (BAD). */
static int
set_parse(const struct imapp_tok *t, uint32_t star, struct imapp_seqset *set)
{
	const char *why = "";

	if (t == NULL || (t->type != IMAPP_T_ATOM &&
	    t->type != IMAPP_T_NUMBER) ||
	    imapp_seqset_parse(t->p, t->n, set, &why) < 0 || set->is_saved)
		return -1;
	imapp_seqset_normalize(set, star);
	return 0;
}

int
imap_fetch_vanished(struct imap *s, const struct imapp_tok *t,
    uint64_t since)
{
	struct imapp_seqset set;
	int rc = -1;

	imapp_seqset_init(&set);
	/* "*" here reaches the last UID the session may know, expunged or
	 * not (the highest one present could be lower). */
	if (set_parse(t, UINT32_MAX, &set) == 0)
		rc = vanished_earlier(s, since, &set, 0);
	imapp_seqset_fini(&set);
	return rc;
}

/*
 * seq-match-data (RFC 7162 3.2.5.2): the UID of the last pair, in order,
 * that still matches the view; 0 when the first does not (or none).
 * Expunges below it happened before the client's knowledge.
 */
static uint32_t
seq_match(struct imap *s, const struct imapp_select *sp, uint32_t star)
{
	struct imapp_seqset seqs, uids;
	const struct mbox_msg *m;
	uint32_t seq = 0, uid = 0, good = 0;

	imapp_seqset_init(&seqs);
	imapp_seqset_init(&uids);
	if (sp->seq_match_seqs == NULL ||
	    set_parse(sp->seq_match_seqs, mbox_count(s->mb), &seqs) < 0 ||
	    set_parse(sp->seq_match_uids, star, &uids) < 0 ||
	    imapp_seqset_count(&seqs) != imapp_seqset_count(&uids))
		goto out;
	for (;;) {
		seq = imapp_seqset_next(&seqs, seq);
		uid = imapp_seqset_next(&uids, uid);
		if (seq == 0 || uid == 0 || (m = mbox_msg(s->mb, seq)) ==
		    NULL || m->uid != uid)
			break;
		good = uid;
	}
out:
	imapp_seqset_fini(&seqs);
	imapp_seqset_fini(&uids);
	return good;
}

int
imap_qresync_select(struct imap *s, const struct imapp_select *sp)
{
	struct imapp_seqset known;
	const struct mbox_msg *m;
	struct mbox_info info;
	struct sbuf *l = &s->line;
	uint32_t seq, count = mbox_count(s->mb), star;
	int has_known = sp->known_uids != NULL, r = 0;

	mbox_get_info(s->mb, &info);
	if (sp->uidvalidity != info.uidvalidity)
		return 0;	/* the client must start again: a plain SELECT */
	star = info.uidnext > 1 ? info.uidnext - 1 : 1;
	imapp_seqset_init(&known);
	if (has_known && set_parse(sp->known_uids, star, &known) < 0) {
		imapp_seqset_fini(&known);
		return 0;	/* checked by the parser already */
	}
	if (vanished_earlier(s, sp->modseq, has_known ? &known : NULL,
	    seq_match(s, sp, star)) < 0)
		r = -1;
	for (seq = 1; r == 0 && seq <= count; seq++) {
		m = mbox_msg(s->mb, seq);
		if (m->modseq <= sp->modseq || (has_known &&
		    !imapp_seqset_contains(&known, m->uid, star)))
			continue;
		sbuf_reset(l);
		r |= sbuf_printf(l, "* %u FETCH (UID %u FLAGS ", seq, m->uid);
		r |= imap_flags_out(s, l, m);
		r |= sbuf_printf(l, " MODSEQ (%llu))\r\n",
		    (unsigned long long)m->modseq);
		if (r == 0 && bio_write(s->b, l->s, l->len) < 0)
			r = -1;
	}
	imapp_seqset_fini(&known);
	return r < 0 ? -1 : 0;
}
