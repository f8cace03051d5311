/*
 * imapthread_ref.h - the first lib/imapthread (RFC 5256 THREAD), kept
 * as the reference the fast one must agree with byte for byte
 * (t/unit/imapthread.c compares them on random mailboxes).  It is the
 * RFC's steps written plainly: every sibling list sorted with qsort
 * after a pre-order walk, one hash table for IDs and subjects.
 * Included by that test only; ref_references and ref_orderedsubject
 * take and give what imapthread_references/_orderedsubject do.
 */
#ifndef TERN_T_IMAPTHREAD_REF_H
#define TERN_T_IMAPTHREAD_REF_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapthread.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

#define NONE	UINT32_MAX

struct node {
	uint32_t	 parent;	/* NONE: none */
	uint32_t	 child;		/* first child, 0: none */
	uint32_t	 next;		/* next sibling, 0: none */
	uint32_t	 prev;		/* previous sibling, 0: none */
	uint32_t	 msg;		/* index into v, NONE: a dummy */
	const char	*id;		/* NULL: no ID */
	size_t		 id_len;
};

struct thr {
	const struct imapthread_msg *v;
	size_t		 nv;
	struct node	*nd;
	uint32_t	 nn, cap;
	uint32_t	*tab;		/* hash slots: node index, 0 empty */
	const struct imapthread_msg **tabm;	/* subject table keys */
	size_t		 tabcap;	/* a power of two */
	uint32_t	*order;		/* pre-order scratch */
	uint32_t	*stack;
};

static uint64_t
hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint32_t
node_new(struct thr *t, uint32_t msg, const char *id, size_t id_len)
{
	struct node *d;

	if (t->nn >= t->cap)
		return 0;	/* cannot happen: cap counts every node */
	d = &t->nd[t->nn];
	d->parent = NONE;
	d->child = d->next = d->prev = 0;
	d->msg = msg;
	d->id = id;
	d->id_len = id_len;
	return t->nn++;
}

/* The node of an ID (created as a dummy when absent): its slot in *slot. */
static uint32_t
id_node(struct thr *t, const char *id, size_t n, int *found_r)
{
	size_t h = (size_t)hash(id, n) & (t->tabcap - 1);
	uint32_t k;

	for (;; h = (h + 1) & (t->tabcap - 1)) {
		k = t->tab[h];
		if (k == 0)
			break;
		if (t->nd[k].id_len == n && memcmp(t->nd[k].id, id, n) == 0) {
			*found_r = 1;
			return k;
		}
	}
	*found_r = 0;
	if ((k = node_new(t, NONE, id, n)) != 0)
		t->tab[h] = k;
	return k;
}

/* Is a an ancestor of b (or b itself)? */
static int
is_ancestor(const struct thr *t, uint32_t a, uint32_t b)
{
	uint32_t x;

	for (x = b; x != NONE && x != 0; x = t->nd[x].parent)
		if (x == a)
			return 1;
	return 0;
}

static void
unlink_node(struct thr *t, uint32_t c)
{
	struct node *x = &t->nd[c];

	if (x->parent == NONE)
		return;
	if (x->prev != 0)
		t->nd[x->prev].next = x->next;
	else
		t->nd[x->parent].child = x->next;
	if (x->next != 0)
		t->nd[x->next].prev = x->prev;
	x->next = x->prev = 0;
	x->parent = NONE;
}

/* c becomes p's first child (the order is sorted out later). */
static void
link_node(struct thr *t, uint32_t p, uint32_t c)
{
	t->nd[c].parent = p;
	t->nd[c].prev = 0;
	t->nd[c].next = t->nd[p].child;
	if (t->nd[p].child != 0)
		t->nd[t->nd[p].child].prev = c;
	t->nd[p].child = c;
}

/* The prev links again after lists were rebuilt by next alone. */
static void
fix_prev(struct thr *t)
{
	uint32_t x, c, pv;

	for (x = 0; x < t->nn; x++)
		for (pv = 0, c = t->nd[x].child; c != 0; c = t->nd[c].next) {
			t->nd[c].prev = pv;
			pv = c;
		}
}

/* The next ID of refs from *i (IDs are separated by one space). */
static int
next_ref(const char *r, size_t n, size_t *i, const char **p, size_t *len)
{
	size_t b;

	while (*i < n && r[*i] == ' ')
		(*i)++;
	if (*i >= n)
		return 0;
	b = *i;
	while (*i < n && r[*i] != ' ')
		(*i)++;
	*p = r + b;
	*len = *i - b;
	return 1;
}

/* Step 1 for message m. */
static int
link_message(struct thr *t, uint32_t m)
{
	const struct imapthread_msg *x = &t->v[m];
	const char *p;
	size_t i = 0, len;
	uint32_t self = 0, prev = 0, cur;
	int found;

	if (x->msgid_len > 0) {
		self = id_node(t, x->msgid, x->msgid_len, &found);
		if (self == 0)
			return -1;
		if (found && t->nd[self].msg != NONE)
			self = 0;	/* a duplicate: a unique ID */
	}
	if (self == 0 && (self = node_new(t, m, NULL, 0)) == 0)
		return -1;
	t->nd[self].msg = m;
	/* (1.A) link the references in order. */
	while (next_ref(x->refs, x->refs_len, &i, &p, &len)) {
		if (x->msgid_len == len && memcmp(p, x->msgid, len) == 0)
			continue;	/* its own ID */
		if ((cur = id_node(t, p, len, &found)) == 0)
			return -1;
		if (cur == self)
			continue;
		if (prev != 0 && prev != cur && t->nd[cur].parent == NONE &&
		    !is_ancestor(t, cur, prev))
			link_node(t, prev, cur);
		prev = cur;
	}
	/* (1.B) the last reference is the parent. */
	if (t->nd[self].parent != NONE && t->nd[self].parent != prev)
		unlink_node(t, self);
	if (prev != 0 && t->nd[self].parent == NONE &&
	    !is_ancestor(t, self, prev))
		link_node(t, prev, self);
	return 0;
}

/* Pre-order of the tree under the root into t->order; the count. */
static uint32_t
preorder(struct thr *t)
{
	uint32_t sp = 0, n = 0, x, c;

	t->stack[sp++] = 0;
	while (sp > 0) {
		x = t->stack[--sp];
		t->order[n++] = x;
		for (c = t->nd[x].child; c != 0; c = t->nd[c].next)
			t->stack[sp++] = c;
	}
	return n;
}

/* (3) prune dummies: children before parents (reverse pre-order). */
static void
prune(struct thr *t)
{
	uint32_t n = preorder(t), i, p, *pp, c, k, last, kids;

	for (i = n; i-- > 0;) {
		p = t->order[i];
		pp = &t->nd[p].child;
		while ((c = *pp) != 0) {
			if (t->nd[c].msg != NONE) {
				pp = &t->nd[c].next;
				continue;
			}
			kids = 0;
			last = 0;
			for (k = t->nd[c].child; k != 0; k = t->nd[k].next) {
				kids++;
				last = k;
			}
			if (kids == 0) {
				*pp = t->nd[c].next;
				continue;
			}
			if (p == 0 && kids > 1) {
				pp = &t->nd[c].next;
				continue;
			}
			/* Promote the children in c's place. */
			for (k = t->nd[c].child; k != 0; k = t->nd[k].next)
				t->nd[k].parent = p;
			t->nd[last].next = t->nd[c].next;
			*pp = t->nd[c].child;
			t->nd[c].child = 0;
			/* Go on with the first promoted child (a message:
			 * c's own dummies were pruned before it). */
		}
	}
	fix_prev(t);
}

/* ---- sorting siblings by date ---- */

struct key {
	int64_t		 date;
	uint32_t	 idx;
	uint32_t	 node;
};

static struct key
key_of(const struct thr *t, uint32_t x)
{
	struct key k;

	/* A dummy sorts as its first child (already sorted). */
	while (t->nd[x].msg == NONE && t->nd[x].child != 0)
		x = t->nd[x].child;
	k.date = t->nd[x].msg != NONE ? t->v[t->nd[x].msg].sent : 0;
	k.idx = t->nd[x].msg != NONE ? t->nd[x].msg : 0;
	k.node = x;
	return k;
}

static int
key_cmp(const void *a, const void *b)
{
	const struct key *x = a, *y = b;

	if (x->date != y->date)
		return x->date < y->date ? -1 : 1;
	if (x->idx != y->idx)
		return x->idx < y->idx ? -1 : 1;
	return 0;
}

/* Sort every sibling list, children first; keys is scratch (cap). */
static void
sort_all(struct thr *t, struct key *keys)
{
	uint32_t n = preorder(t), i, p, c, k, m;

	for (i = n; i-- > 0;) {
		p = t->order[i];
		m = 0;
		for (c = t->nd[p].child; c != 0; c = t->nd[c].next) {
			keys[m] = key_of(t, c);
			keys[m++].node = c;
		}
		if (m < 2)
			continue;
		qsort(keys, m, sizeof *keys, key_cmp);
		t->nd[p].child = keys[0].node;
		for (k = 0; k + 1 < m; k++)
			t->nd[keys[k].node].next = keys[k + 1].node;
		t->nd[keys[m - 1].node].next = 0;
	}
	fix_prev(t);
}

/* ---- (5) merging by subject ---- */

static const struct imapthread_msg *
thread_msg(const struct thr *t, uint32_t x)
{
	if (t->nd[x].msg == NONE)
		x = t->nd[x].child;
	if (x == 0 || t->nd[x].msg == NONE)
		return NULL;
	return &t->v[t->nd[x].msg];
}

/* The subject table slot of a thread's subject (keyed by the message
 * that first gave it, so later changes to the trees do not matter). */
static uint32_t *
subj_slot(struct thr *t, const struct imapthread_msg *m)
{
	size_t h = (size_t)hash(m->subject, m->subject_len) &
	    (t->tabcap - 1);
	const struct imapthread_msg *o;

	for (;; h = (h + 1) & (t->tabcap - 1)) {
		if (t->tab[h] == 0) {
			t->tabm[h] = m;
			return &t->tab[h];
		}
		o = t->tabm[h];
		if (o->subject_len == m->subject_len &&
		    memcmp(o->subject, m->subject, m->subject_len) == 0)
			return &t->tab[h];
	}
}

static int
is_dummy(const struct thr *t, uint32_t x)
{
	return t->nd[x].msg == NONE;
}

static int
is_reply(const struct thr *t, uint32_t x)
{
	return !is_dummy(t, x) && t->v[t->nd[x].msg].is_reply;
}

static int
merge_subjects(struct thr *t)
{
	const struct imapthread_msg *m;
	uint32_t c, next, *slot, tb, k, kn, d;

	memset(t->tab, 0, t->tabcap * sizeof *t->tab);
	/* (5.B) one thread per subject. */
	for (c = t->nd[0].child; c != 0; c = t->nd[c].next) {
		if ((m = thread_msg(t, c)) == NULL || m->subject_len == 0)
			continue;
		slot = subj_slot(t, m);
		if (*slot == 0)
			*slot = c;
		else if (!is_dummy(t, *slot) && (is_dummy(t, c) ||
		    (is_reply(t, *slot) && !is_reply(t, c))))
			*slot = c;
	}
	/* (5.C) merge. */
	for (c = t->nd[0].child; c != 0; c = next) {
		next = t->nd[c].next;
		if ((m = thread_msg(t, c)) == NULL || m->subject_len == 0)
			continue;
		slot = subj_slot(t, m);
		tb = *slot;
		if (tb == 0 || tb == c)
			continue;
		if (is_dummy(t, tb) && is_dummy(t, c)) {
			for (k = t->nd[c].child; k != 0; k = kn) {
				kn = t->nd[k].next;
				link_node(t, tb, k);
			}
			t->nd[c].child = 0;
			unlink_node(t, c);
		} else if (is_dummy(t, tb) ||
		    (is_reply(t, c) && !is_reply(t, tb))) {
			unlink_node(t, c);
			link_node(t, tb, c);
		} else {
			if ((d = node_new(t, NONE, NULL, 0)) == 0)
				return -1;
			if (next == tb)
				next = t->nd[tb].next;
			unlink_node(t, c);
			unlink_node(t, tb);
			link_node(t, 0, d);
			link_node(t, d, tb);
			link_node(t, d, c);
			*slot = d;
		}
	}
	return 0;
}

/* ---- output ---- */

static int
emit(struct thr *t, struct sbuf *out)
{
	uint32_t sp = 0, r, cur, k;
	int e = 0;

	for (r = t->nd[0].child; r != 0 && e == 0; r = t->nd[r].next) {
		e |= sbuf_cat_c(out, '(');
		cur = r;
		for (;;) {
			for (;;) {
				if (!is_dummy(t, cur))
					e |= sbuf_printf(out, "%u",
					    t->v[t->nd[cur].msg].num);
				if ((k = t->nd[cur].child) == 0)
					break;
				if (!is_dummy(t, cur))
					e |= sbuf_cat_c(out, ' ');
				if (t->nd[k].next == 0) {
					cur = k;
					continue;
				}
				e |= sbuf_cat_c(out, '(');
				t->stack[sp++] = t->nd[k].next;
				cur = k;
			}
			cur = 0;
			while (sp > 0) {
				e |= sbuf_cat_c(out, ')');
				if ((k = t->stack[--sp]) != 0) {
					e |= sbuf_cat_c(out, '(');
					t->stack[sp++] = t->nd[k].next;
					cur = k;
					break;
				}
			}
			if (cur == 0)
				break;
		}
		e |= sbuf_cat_c(out, ')');
	}
	return e != 0 ? -1 : 0;
}

static void
thr_fini(struct thr *t)
{
	free(t->nd);
	free(t->tab);
	free(t->tabm);
	free(t->order);
	free(t->stack);
}

static int
ref_references(const struct imapthread_msg *v, size_t n,
    struct sbuf *out)
{
	struct thr t;
	struct key *keys = NULL;
	size_t nrefs = 0, i, j, cap;
	uint32_t c;
	int r = -1;

	memset(&t, 0, sizeof t);
	t.v = v;
	t.nv = n;
	for (i = 0; i < n; i++)
		for (j = 0; j < v[i].refs_len; j++)
			if (v[i].refs[j] == ' ')
				nrefs++;
	/* Root, messages, dummies for references (one more than the
	 * spaces each), new dummies of step 5. */
	cap = 1 + n + nrefs + n + n + 1;
	if (cap >= UINT32_MAX / 2) {
		errno = E2BIG;
		return -1;
	}
	for (t.tabcap = 16; t.tabcap < cap * 2; t.tabcap *= 2)
		;
	t.cap = (uint32_t)cap;
	if ((t.nd = mem_alloc(cap, sizeof *t.nd)) == NULL ||
	    (t.tab = mem_alloc(t.tabcap, sizeof *t.tab)) == NULL ||
	    (t.tabm = mem_alloc(t.tabcap, sizeof *t.tabm)) == NULL ||
	    (t.order = mem_alloc(cap, sizeof *t.order)) == NULL ||
	    (t.stack = mem_alloc(cap, sizeof *t.stack)) == NULL ||
	    (keys = mem_alloc(cap, sizeof *keys)) == NULL)
		goto out;
	(void)node_new(&t, NONE, NULL, 0);	/* the root, 0 */
	t.nd[0].parent = NONE;
	for (i = 0; i < n; i++)
		if (link_message(&t, (uint32_t)i) < 0)
			goto out;
	/* (2) the root set. */
	for (c = t.nn; c-- > 1;)
		if (t.nd[c].parent == NONE)
			link_node(&t, 0, c);
	prune(&t);
	sort_all(&t, keys);		/* (4) */
	if (merge_subjects(&t) < 0)	/* (5) */
		goto out;
	sort_all(&t, keys);		/* (6) */
	r = emit(&t, out);
out:
	free(keys);
	thr_fini(&t);
	return r;
}

/* ---- ORDEREDSUBJECT ---- */

static const struct imapthread_msg *os_v;

static int
os_cmp(const void *a, const void *b)
{
	const struct imapthread_msg *x = &os_v[*(const uint32_t *)a];
	const struct imapthread_msg *y = &os_v[*(const uint32_t *)b];
	size_t n = x->subject_len < y->subject_len ? x->subject_len :
	    y->subject_len;
	int r = n > 0 ? memcmp(x->subject, y->subject, n) : 0;

	if (r != 0)
		return r;
	if (x->subject_len != y->subject_len)
		return x->subject_len < y->subject_len ? -1 : 1;
	if (x->sent != y->sent)
		return x->sent < y->sent ? -1 : 1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int
ref_orderedsubject(const struct imapthread_msg *v, size_t n,
    struct sbuf *out)
{
	struct thr t;
	struct key *keys = NULL;
	uint32_t *ix = NULL, first = 0, prev = 0, x;
	size_t i;
	int r = -1;

	memset(&t, 0, sizeof t);
	t.v = v;
	t.nv = n;
	t.cap = (uint32_t)(n + 1);
	if (n >= UINT32_MAX / 2) {
		errno = E2BIG;
		return -1;
	}
	if ((ix = mem_alloc(n + 1, sizeof *ix)) == NULL ||
	    (t.nd = mem_alloc(n + 1, sizeof *t.nd)) == NULL ||
	    (t.order = mem_alloc(n + 1, sizeof *t.order)) == NULL ||
	    (t.stack = mem_alloc(n + 1, sizeof *t.stack)) == NULL ||
	    (keys = mem_alloc(n + 1, sizeof *keys)) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		ix[i] = (uint32_t)i;
	os_v = v;
	qsort(ix, n, sizeof *ix, os_cmp);
	os_v = NULL;
	(void)node_new(&t, NONE, NULL, 0);
	for (i = 0; i < n; i++)
		(void)node_new(&t, (uint32_t)i, NULL, 0);	/* node i+1 */
	for (i = 0; i < n; i++) {
		x = ix[i] + 1;
		if (i > 0 && v[ix[i]].subject_len == v[prev].subject_len &&
		    (v[prev].subject_len == 0 || memcmp(v[ix[i]].subject,
		    v[prev].subject, v[prev].subject_len) == 0)) {
			link_node(&t, first, x);
		} else {
			first = x;
			link_node(&t, 0, x);
		}
		prev = ix[i];
	}
	sort_all(&t, keys);
	r = emit(&t, out);
out:
	free(ix);
	free(keys);
	thr_fini(&t);
	return r;
}

#endif
