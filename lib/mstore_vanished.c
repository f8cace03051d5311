/*
 * mstore_vanished.c - the expunged UIDs of a folder with the modseq of
 * their expunge, for QRESYNC (RFC 7162 3.2.5, 3.2.6): kept in the index
 * as a bounded list of ranges (format in lib/mstore_int.h), and the
 * answer to "what vanished since modseq n" (lib/mstore.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"

int
mstore_set_vanished_max(struct mstore *ms, size_t max)
{
	if (max > MIDX_VAN_FILE_MAX) {
		errno = EINVAL;
		return -1;
	}
	ms->van_max = max;
	return 0;
}

/* Drop the oldest ranges down to keep, raising the floor. */
static void
van_forget(struct midx *ix, size_t keep)
{
	size_t drop;

	if (ix->nvan <= keep)
		return;
	drop = ix->nvan - keep;
	if (ix->van[drop - 1].modseq > ix->van_floor)
		ix->van_floor = ix->van[drop - 1].modseq;
	memmove(ix->van, ix->van + drop, keep * sizeof(*ix->van));
	ix->nvan = keep;
}

void
midx_van_add(struct midx *ix, uint32_t lo, uint32_t hi, uint64_t modseq)
{
	struct midx_van *last, *nv;
	size_t max = ix->van_max != 0 ? ix->van_max : MBOX_VANISHED_DEFAULT;
	size_t nc;

	if (lo == 0 || hi < lo || modseq <= ix->van_floor)
		return;
	last = ix->nvan > 0 ? &ix->van[ix->nvan - 1] : NULL;
	if (last != NULL && last->modseq == modseq &&
	    (uint64_t)lo <= (uint64_t)last->hi + 1 &&
	    (uint64_t)hi + 1 >= last->lo) {
		if (lo < last->lo)
			last->lo = lo;
		if (hi > last->hi)
			last->hi = hi;
		return;
	}
	if (ix->nvan >= max)	/* keep 3/4: the memmove is amortised */
		van_forget(ix, max - max / 4 - 1);
	if (ix->nvan == ix->capvan) {
		nc = ix->capvan ? ix->capvan * 2 : 16;
		if ((nv = mem_realloc(ix->van, nc, sizeof(*nv))) == NULL) {
			/* Forget rather than fail: the answer stays right,
			 * only less precise. */
			ix->nvan = 0;
			ix->van_floor = modseq;
			return;
		}
		ix->van = nv;
		ix->capvan = nc;
	}
	ix->van[ix->nvan].lo = lo;
	ix->van[ix->nvan].hi = hi;
	ix->van[ix->nvan].modseq = modseq;
	ix->nvan++;
}

size_t
midx_remove(struct midx *ix, const unsigned char *gone, uint64_t modseq)
{
	size_t i, o, n = 0;
	uint32_t lo = 0, hi = 0;

	for (i = o = 0; i < ix->n; i++) {
		if (!gone[i]) {
			if (lo != 0)
				midx_van_add(ix, lo, hi, modseq);
			lo = 0;
			ix->recs[o++] = ix->recs[i];
			continue;
		}
		/* A run of removed records (UIDs between them are gone
		 * already) makes one range. */
		if (lo == 0)
			lo = ix->recs[i].uid;
		hi = ix->recs[i].uid;
		midx_name_free(ix, &ix->recs[i].name);
		n++;
	}
	if (lo != 0)
		midx_van_add(ix, lo, hi, modseq);
	ix->n = o;
	return n;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct mbox_uidrange *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge r[0..n) in place; the new count. */
static size_t
ranges_normalise(struct mbox_uidrange *r, size_t n)
{
	size_t i, o;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), range_cmp);
	for (i = 1, o = 0; i < n; i++) {
		if (r[i].lo <= r[o].hi || r[i].lo - 1 == r[o].hi) {
			if (r[i].hi > r[o].hi)
				r[o].hi = r[i].hi;
		} else
			r[++o] = r[i];
	}
	return o + 1;
}

/* First view index whose uid is >= uid. */
static size_t
view_lower(const struct mbox *mb, uint32_t uid)
{
	size_t lo = 0, hi = mb->nview, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mb->view[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct out {
	struct mbox_uidrange *r;
	size_t		 n, cap;
};

static int
out_add(struct out *o, uint32_t lo, uint32_t hi)
{
	struct mbox_uidrange *nr;
	size_t nc;

	if (o->n == o->cap) {
		nc = o->cap ? o->cap * 2 : 16;
		if ((nr = mem_realloc(o->r, nc, sizeof(*nr))) == NULL)
			return -1;
		o->r = nr;
		o->cap = nc;
	}
	o->r[o->n].lo = lo;
	o->r[o->n].hi = hi;
	o->n++;
	return 0;
}

/* lo..hi less the UIDs of the view, appended to o. */
static int
out_minus_view(struct out *o, const struct mbox *mb, uint32_t lo,
    uint32_t hi)
{
	size_t i = view_lower(mb, lo);
	uint32_t u;

	for (; i < mb->nview && mb->view[i].uid <= hi; i++) {
		u = mb->view[i].uid;
		if (u > lo && out_add(o, lo, u - 1) == -1)
			return -1;
		if (u == UINT32_MAX)
			return 0;
		lo = u + 1;
	}
	if (lo <= hi && out_add(o, lo, hi) == -1)
		return -1;
	return 0;
}

int
mbox_vanished(struct mbox *mb, uint64_t since, struct mbox_uidrange **r_r,
    size_t *n_r, int *exact_r)
{
	const struct midx *ix = &mb->ix;
	struct mbox_uidrange *tmp = NULL;
	struct out o = { NULL, 0, 0 };
	uint32_t top;
	size_t i, k, nt = 0;

	*r_r = NULL;
	*n_r = 0;
	*exact_r = 1;
	if (mbox_view_load(mb) == -1)
		return -1;
	if (!mb->synced || mb->view_uidnext <= 1)
		return 0;
	top = mb->view_uidnext - 1;	/* UIDs the session may know */
	if (since < ix->van_floor) {
		*exact_r = 0;
		if (out_minus_view(&o, mb, 1, top) == -1)
			goto fail;
		*r_r = o.r;
		*n_r = o.n;
		return 0;
	}
	for (k = ix->nvan; k > 0 && ix->van[k - 1].modseq > since; k--)
		continue;
	if (ix->nvan - k > 0 &&
	    (tmp = mem_alloc(ix->nvan - k, sizeof(*tmp))) == NULL)
		goto fail;
	for (i = k; i < ix->nvan; i++) {
		if (ix->van[i].lo > top)
			continue;
		tmp[nt].lo = ix->van[i].lo;
		tmp[nt++].hi = ix->van[i].hi < top ? ix->van[i].hi : top;
	}
	nt = ranges_normalise(tmp, nt);
	for (i = 0; i < nt; i++)
		if (out_minus_view(&o, mb, tmp[i].lo, tmp[i].hi) == -1)
			goto fail;
	mem_free(&tmp);
	*r_r = o.r;
	*n_r = o.n;
	return 0;
fail:
	mem_free(&tmp);
	mem_free(&o.r);
	errno = ENOMEM;
	return -1;
}
