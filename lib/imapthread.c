/*
 * imapthread.c - THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (RFC 5256;
 * see imapthread.h).  Nodes live in one array, linked by index (0 is the
 * root); message IDs and subjects are found through open-addressing
 * hash tables over the callers' strings.  Every walk uses an explicit
 * stack or the pre-order array.
 *
 * Speed (a 100,000-message folder is threaded on every THREAD command):
 * the work is memory bound, so the data is kept small and walked in
 * order where it can be.  Nodes are 20 bytes; each message's number and
 * sent date are gathered into arrays of their own; the ID table's slots
 * are 8 bytes (a hash and the node), the table sized by the IDs met (it
 * grows) rather than by the references, and bytes are compared only when
 * the hashes match.  Sorting every sibling
 * list by (sent date, mailbox order) is one pass: the messages are ranked
 * once (a stable radix sort of the dates), then each is appended, in rank
 * order, to its parent's new list; a dummy is appended to its own parent
 * when it gets its first child, which is where its first child sorts
 * (RFC 5256 step 4: a dummy sorts as its first child).  The answer is
 * written through a small buffer with the digits made by hand.
 * t/unit/imapthread.c checks, on random mailboxes, that the answers are
 * byte for byte those of the plain implementation this replaced.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/hash.h"
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
};

struct idslot {			/* ID table: node 0 is an empty slot */
	uint32_t	 h;		/* the ID's hash (low bits: the slot) */
	uint32_t	 node;
};

struct nodeid {			/* a node's ID, NULL: none */
	const char	*p;
	size_t		 len;
};

struct subjslot {		/* subject table: m NULL is an empty slot */
	const struct imapthread_msg *m;	/* the message that gave it */
	uint32_t	 h;		/* the subject's hash */
	uint32_t	 thread;	/* the thread that has it, 0: none */
};

struct thr {
	const struct imapthread_msg *v;
	size_t		 nv;
	struct node	*nd;
	uint32_t	 nn, cap;
	uint32_t	 ndummy;	/* dummies made in step 1 */
	struct idslot	*ids;
	size_t		 idcap;		/* a power of two */
	size_t		 nids;		/* slots in use */
	struct nodeid	*nid;		/* per node */
	uint32_t	*hv;		/* hashes of the IDs, in lookup order */
	size_t		 nhv, ihv;	/* how many, the next one */
	struct subjslot	*subj;
	size_t		 subjcap;	/* a power of two */
	uint32_t	*num;		/* per message: the number printed */
	uint32_t	*mnode;		/* per message: its node */
	uint32_t	*byrank;	/* messages in (sent, index) order */
	uint32_t	*tail;		/* per node: scratch */
	uint32_t	*order;		/* pre-order scratch */
	uint32_t	*stack;
};

static uint32_t
node_new(struct thr *t, uint32_t msg)
{
	struct node *d;

	if (t->nn >= t->cap)
		return 0;	/* cannot happen: cap counts every node */
	d = &t->nd[t->nn];
	d->parent = NONE;
	d->child = d->next = d->prev = 0;
	d->msg = msg;
	return t->nn++;
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

/* The ID table twice as large (it is kept at most half full). */
static int
ids_grow(struct thr *t)
{
	struct idslot *old = t->ids, *e;
	size_t oldcap = t->idcap, i, h, mask;

	if ((t->ids = mem_alloc(oldcap * 2, sizeof *t->ids)) == NULL) {
		t->ids = old;
		return -1;
	}
	t->idcap = oldcap * 2;
	mask = t->idcap - 1;
	for (i = 0; i < oldcap; i++) {
		if (old[i].node == 0)
			continue;
		for (h = old[i].h & mask; t->ids[h].node != 0;
		    h = (h + 1) & mask)
			;
		e = &t->ids[h];
		*e = old[i];
	}
	free(old);
	return 0;
}

/*
 * The hash of every ID that step 1 looks up, in the order it does
 * (each message's Message-ID, then its references), into t->hv: then
 * next_hash() can ask for the table slot of an ID some lookups ahead,
 * so that the slot is in the cache by the time its turn comes.
 */
static void
hash_ids(struct thr *t)
{
	const struct imapthread_msg *x;
	const char *p;
	size_t m, i, len, k = 0;

	for (m = 0; m < t->nv; m++) {
		x = &t->v[m];
		if (x->msgid_len > 0)
			t->hv[k++] = (uint32_t)hash_bytes(x->msgid, x->msgid_len);
		for (i = 0; next_ref(x->refs, x->refs_len, &i, &p, &len);)
			t->hv[k++] = (uint32_t)hash_bytes(p, len);
	}
	t->nhv = k;
}

#define PREFETCH_AHEAD	12	/* lookups */

static uint32_t
next_hash(struct thr *t)
{
	size_t a = t->ihv + PREFETCH_AHEAD;

	if (a < t->nhv)
		__builtin_prefetch(&t->ids[t->hv[a] & (t->idcap - 1)]);
	return t->hv[t->ihv++];
}

/* The node of an ID whose hash is hv (created as a dummy when absent). */
static uint32_t
id_node(struct thr *t, const char *id, size_t n, uint32_t hv, int *found_r)
{
	uint32_t k;
	size_t mask = t->idcap - 1, h = hv & mask;
	struct idslot *e;
	const struct nodeid *d;

	for (;; h = (h + 1) & mask) {
		e = &t->ids[h];
		if (e->node == 0)
			break;
		d = &t->nid[e->node];
		if (e->h == hv && d->len == n && memcmp(d->p, id, n) == 0) {
			*found_r = 1;
			return e->node;
		}
	}
	*found_r = 0;
	if ((t->nids + 1) * 2 > t->idcap) {
		if (ids_grow(t) < 0)
			return 0;
		mask = t->idcap - 1;
		for (h = hv & mask; t->ids[h].node != 0; h = (h + 1) & mask)
			;
		e = &t->ids[h];
	}
	if ((k = node_new(t, NONE)) != 0) {
		e->h = hv;
		e->node = k;
		t->nids++;
		t->nid[k].p = id;
		t->nid[k].len = n;
		t->ndummy++;	/* until a message takes it */
	}
	return k;
}

/* The node after x in a pre-order walk of a's subtree, NONE past its
 * end (no stack: the parent links lead back up). */
static uint32_t
subtree_next(const struct thr *t, uint32_t a, uint32_t x)
{
	if (t->nd[x].child != 0)
		return t->nd[x].child;
	for (; x != a; x = t->nd[x].parent)
		if (t->nd[x].next != 0)
			return t->nd[x].next;
	return NONE;
}

/*
 * Is a an ancestor of b (or b itself)?  One step up from b and one step
 * through a's subtree in turn, until either walk ends: the cost is the
 * smaller of b's depth and a's size.  Walking up alone made a long
 * reply chain in arrival order quadratic (each new message asked about
 * the chain's tip: 3.5 s for 50,000 messages), and so was a single
 * References header naming thousands of IDs.
 */
static int
is_ancestor(const struct thr *t, uint32_t a, uint32_t b)
{
	uint32_t up = b, down = a;

	for (;;) {
		if (up == a || down == b)
			return 1;
		if (up == NONE || up == 0 || down == NONE)
			return 0;
		up = t->nd[up].parent;
		down = subtree_next(t, a, down);
	}
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

/* Step 1 for message m. */
static int
link_message(struct thr *t, uint32_t m)
{
	const struct imapthread_msg *x = &t->v[m];
	const char *p;
	size_t i = 0, len;
	uint32_t self = 0, prev = 0, cur, hv;
	int found;

	if (x->msgid_len > 0) {
		self = id_node(t, x->msgid, x->msgid_len, next_hash(t),
		    &found);
		if (self == 0)
			return -1;
		if (found && t->nd[self].msg != NONE)
			self = 0;	/* a duplicate: a unique ID */
		else
			t->ndummy--;	/* a dummy no more */
	}
	if (self == 0 && (self = node_new(t, m)) == 0)
		return -1;
	t->nd[self].msg = m;
	t->mnode[m] = self;
	/* (1.A) link the references in order. */
	while (next_ref(x->refs, x->refs_len, &i, &p, &len)) {
		hv = next_hash(t);
		if (x->msgid_len == len && memcmp(p, x->msgid, len) == 0)
			continue;	/* its own ID */
		if ((cur = id_node(t, p, len, hv, &found)) == 0)
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
	uint32_t n, i, p, *pp, c, k, last, kids;

	if (t->ndummy == 0)
		return;		/* nothing to prune */
	n = preorder(t);
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

/*
 * t->byrank: the messages ordered by sent date, ties by mailbox order.
 * A stable LSD radix sort on the date (sign bit flipped), a byte at a
 * time, skipping the bytes every date shares.
 */
static int
rank_messages(struct thr *t)
{
	size_t n = t->nv, i, cnt[256], sum, c;
	uint64_t *key = NULL, all_and = ~(uint64_t)0, all_or = 0;
	uint32_t *tmp = NULL, *src, *dst, *sw;
	unsigned shift, b;

	if (n == 0)
		return 0;
	if ((key = mem_realloc(NULL, n, sizeof *key)) == NULL ||
	    (tmp = mem_realloc(NULL, n, sizeof *tmp)) == NULL) {
		free(key);
		return -1;
	}
	for (i = 0; i < n; i++) {
		key[i] = (uint64_t)t->v[i].sent ^ ((uint64_t)1 << 63);
		all_and &= key[i];
		all_or |= key[i];
		t->byrank[i] = (uint32_t)i;
	}
	src = t->byrank;
	dst = tmp;
	for (shift = 0; shift < 64; shift += 8) {
		if ((((all_and ^ all_or) >> shift) & 0xff) == 0)
			continue;	/* the same byte in every date */
		memset(cnt, 0, sizeof cnt);
		for (i = 0; i < n; i++)
			cnt[(key[src[i]] >> shift) & 0xff]++;
		for (b = 0, sum = 0; b < 256; b++) {
			c = cnt[b];
			cnt[b] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[(key[src[i]] >> shift) & 0xff]++] = src[i];
		sw = src;
		src = dst;
		dst = sw;
	}
	if (src != t->byrank)
		memcpy(t->byrank, src, n * sizeof *src);
	free(key);
	free(tmp);
	return 0;
}

/*
 * Sort every sibling list of the tree under the root (RFC 5256 steps 4
 * and 6): the messages by rank, a dummy as its first child.  Every list
 * is rebuilt by appending the messages in rank order to their parents;
 * a dummy joins its parent's list when its first child joins its own.
 * Nodes no longer in the tree (pruned or merged dummies) are no node's
 * parent, so they are not reached.
 */
static void
sort_all(struct thr *t)
{
	uint32_t r, x, p;
	int first;

	for (x = 0; x < t->nn; x++) {
		t->nd[x].child = 0;
		t->tail[x] = 0;
	}
	for (r = 0; r < t->nv; r++) {
		x = t->mnode[t->byrank[r]];
		for (;;) {
			p = t->nd[x].parent;
			if (p == NONE)
				break;
			first = t->nd[p].child == 0;
			t->nd[x].prev = t->tail[p];
			t->nd[x].next = 0;
			if (first)
				t->nd[p].child = x;
			else
				t->nd[t->tail[p]].next = x;
			t->tail[p] = x;
			if (!first || p == 0 || t->nd[p].msg != NONE)
				break;
			x = p;		/* a dummy sorts as its first child */
		}
	}
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
	uint32_t hv = (uint32_t)hash_bytes(m->subject, m->subject_len);
	size_t mask = t->subjcap - 1, h = hv & mask;
	struct subjslot *e;

	for (;; h = (h + 1) & mask) {
		e = &t->subj[h];
		if (e->m == NULL) {
			e->m = m;
			e->h = hv;
			return &e->thread;
		}
		if (e->m == m || (e->h == hv &&
		    e->m->subject_len == m->subject_len &&
		    memcmp(e->m->subject, m->subject, m->subject_len) == 0))
			return &e->thread;
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
	size_t roots = 0;

	/* Each root thread adds at most one subject in 5.B and one in
	 * 5.C: a table twice that is never more than half full. */
	for (c = t->nd[0].child; c != 0; c = t->nd[c].next)
		roots++;
	for (t->subjcap = 16; t->subjcap < roots * 4; t->subjcap *= 2)
		;
	if ((t->subj = mem_alloc(t->subjcap, sizeof *t->subj)) == NULL)
		return -1;
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
			if ((d = node_new(t, NONE)) == 0)
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

#define EMIT_BUF	8192

struct emitter {
	struct sbuf	*out;
	size_t		 n;
	int		 err;
	char		 b[EMIT_BUF];
};

static void
em_flush(struct emitter *w)
{
	if (w->err == 0 && w->n > 0 && sbuf_cat_n(w->out, w->b, w->n) < 0)
		w->err = -1;
	w->n = 0;
}

static void
em_c(struct emitter *w, char c)
{
	if (w->n == EMIT_BUF)
		em_flush(w);
	w->b[w->n++] = c;
}

static void
em_u(struct emitter *w, uint32_t x)
{
	char d[10];
	size_t k = sizeof d;

	do {
		d[--k] = (char)('0' + x % 10);
		x /= 10;
	} while (x != 0);
	if (w->n + (sizeof d - k) > EMIT_BUF)
		em_flush(w);
	memcpy(w->b + w->n, d + k, sizeof d - k);
	w->n += sizeof d - k;
}

static int
emit(struct thr *t, struct sbuf *out)
{
	struct emitter *w;
	uint32_t sp = 0, r, cur, k;
	int e;

	if ((w = malloc(sizeof *w)) == NULL)
		return -1;
	w->out = out;
	w->n = 0;
	w->err = 0;
	for (r = t->nd[0].child; r != 0 && w->err == 0; r = t->nd[r].next) {
		em_c(w, '(');
		cur = r;
		for (;;) {
			for (;;) {
				if (!is_dummy(t, cur))
					em_u(w, t->num[t->nd[cur].msg]);
				if ((k = t->nd[cur].child) == 0)
					break;
				if (!is_dummy(t, cur))
					em_c(w, ' ');
				if (t->nd[k].next == 0) {
					cur = k;
					continue;
				}
				em_c(w, '(');
				t->stack[sp++] = t->nd[k].next;
				cur = k;
			}
			cur = 0;
			while (sp > 0) {
				em_c(w, ')');
				if ((k = t->stack[--sp]) != 0) {
					em_c(w, '(');
					t->stack[sp++] = t->nd[k].next;
					cur = k;
					break;
				}
			}
			if (cur == 0)
				break;
		}
		em_c(w, ')');
	}
	em_flush(w);
	e = w->err;
	free(w);
	return e != 0 ? -1 : 0;
}

static void
thr_fini(struct thr *t)
{
	free(t->nd);
	free(t->ids);
	free(t->nid);
	free(t->hv);
	free(t->subj);
	free(t->num);
	free(t->mnode);
	free(t->byrank);
	free(t->tail);
	free(t->order);
	free(t->stack);
}

/* The arrays both algorithms need, for cap nodes. */
static int
thr_alloc(struct thr *t, const struct imapthread_msg *v, size_t n,
    size_t cap)
{
	size_t i;

	t->v = v;
	t->nv = n;
	t->cap = (uint32_t)cap;
	/* Not zeroed (cap is a bound, far above the nodes made): every
	 * element is written before it is read. */
	if ((t->nd = mem_realloc(NULL, cap, sizeof *t->nd)) == NULL ||
	    (t->num = mem_realloc(NULL, n + 1, sizeof *t->num)) == NULL ||
	    (t->mnode = mem_realloc(NULL, n + 1, sizeof *t->mnode)) == NULL ||
	    (t->byrank = mem_realloc(NULL, n + 1, sizeof *t->byrank)) ==
	    NULL ||
	    (t->tail = mem_realloc(NULL, cap, sizeof *t->tail)) == NULL ||
	    (t->stack = mem_realloc(NULL, cap, sizeof *t->stack)) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		t->num[i] = v[i].num;
	return rank_messages(t);
}

int
imapthread_references(const struct imapthread_msg *v, size_t n,
    struct sbuf *out)
{
	struct thr t;
	size_t nrefs = 0, i, j, cap;
	uint32_t c;
	int r = -1;

	memset(&t, 0, sizeof t);
	for (i = 0; i < n; i++) {
		if (v[i].msgid_len >= UINT32_MAX ||
		    v[i].refs_len >= UINT32_MAX) {
			errno = E2BIG;
			return -1;
		}
		for (j = 0; j < v[i].refs_len; j++)
			if (v[i].refs[j] == ' ')
				nrefs++;
	}
	/* Root, messages, dummies for references (one more than the
	 * spaces each), new dummies of step 5. */
	cap = 1 + n + nrefs + n + n + 1;
	if (cap >= UINT32_MAX / 2) {
		errno = E2BIG;
		return -1;
	}
	/* The ID table grows from room for one ID per message (most IDs
	 * in References are those of messages already seen). */
	for (t.idcap = 16; t.idcap < n * 2 + 2; t.idcap *= 2)
		;
	if (thr_alloc(&t, v, n, cap) < 0 ||
	    (t.ids = mem_alloc(t.idcap, sizeof *t.ids)) == NULL ||
	    (t.nid = mem_realloc(NULL, cap, sizeof *t.nid)) == NULL ||
	    (t.hv = mem_realloc(NULL, n + nrefs + n, sizeof *t.hv)) == NULL ||
	    (t.order = mem_realloc(NULL, cap, sizeof *t.order)) == NULL)
		goto out;
	(void)node_new(&t, NONE);	/* the root, 0 */
	hash_ids(&t);
	for (i = 0; i < n; i++)
		if (link_message(&t, (uint32_t)i) < 0)
			goto out;
	/* (2) the root set. */
	for (c = t.nn; c-- > 1;)
		if (t.nd[c].parent == NONE)
			link_node(&t, 0, c);
	prune(&t);
	sort_all(&t);			/* (4) */
	if (merge_subjects(&t) < 0)	/* (5) */
		goto out;
	sort_all(&t);			/* (6) */
	r = emit(&t, out);
out:
	thr_fini(&t);
	return r;
}

/* ---- ORDEREDSUBJECT ---- */

/* A message's sort key, gathered so that the sort reads one array: the
 * subject's first 8 bytes big-endian (zero-padded; equal prefixes are
 * compared in full), then the sent date and the mailbox order. */
struct oskey {
	uint64_t	 pre;
	const char	*s;
	size_t		 len;
	int64_t		 sent;
	uint32_t	 idx;
};

static int
os_cmp(const void *a, const void *b)
{
	const struct oskey *x = a, *y = b;
	size_t n;
	int r;

	if (x->pre != y->pre)
		return x->pre < y->pre ? -1 : 1;
	n = x->len < y->len ? x->len : y->len;
	r = n > 8 ? memcmp(x->s + 8, y->s + 8, n - 8) : 0;
	if (r != 0)
		return r;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	if (x->sent != y->sent)
		return x->sent < y->sent ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int
imapthread_orderedsubject(const struct imapthread_msg *v, size_t n,
    struct sbuf *out)
{
	struct thr t;
	struct oskey *k = NULL;
	uint32_t first = 0, x;
	size_t i, j;
	int r = -1;

	memset(&t, 0, sizeof t);
	if (n >= UINT32_MAX / 2) {
		errno = E2BIG;
		return -1;
	}
	if ((k = mem_realloc(NULL, n + 1, sizeof *k)) == NULL ||
	    thr_alloc(&t, v, n, n + 1) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		k[i].pre = 0;
		for (j = 0; j < 8; j++)
			k[i].pre = k[i].pre << 8 | (j < v[i].subject_len ?
			    (unsigned char)v[i].subject[j] : 0);
		k[i].s = v[i].subject;
		k[i].len = v[i].subject_len;
		k[i].sent = v[i].sent;
		k[i].idx = (uint32_t)i;
	}
	qsort(k, n, sizeof *k, os_cmp);
	(void)node_new(&t, NONE);
	for (i = 0; i < n; i++) {
		x = node_new(&t, (uint32_t)i);		/* node i+1 */
		t.mnode[i] = x;
	}
	for (i = 0; i < n; i++) {
		x = k[i].idx + 1;
		if (i > 0 && k[i].len == k[i - 1].len && k[i].pre ==
		    k[i - 1].pre && (k[i].len <= 8 || memcmp(k[i].s + 8,
		    k[i - 1].s + 8, k[i].len - 8) == 0)) {
			link_node(&t, first, x);
		} else {
			first = x;
			link_node(&t, 0, x);
		}
	}
	sort_all(&t);
	r = emit(&t, out);
out:
	free(k);
	thr_fini(&t);
	return r;
}
