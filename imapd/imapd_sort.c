/*
 * imapd_sort.c - SORT and UID SORT (RFC 5256, RFC 5957 DISPLAYFROM and
 * DISPLAYTO), THREAD and UID THREAD (RFC 5256 ORDEREDSUBJECT and
 * REFERENCES).  The search keys go through imap_search_seqs; each
 * matching message's sort keys come from the folder's cache
 * (MBOX_CACHE_SORT, lib/imapsort's record) or, the first time, from its
 * header, and are cached then; ARRIVAL and SIZE need no header at all.
 * lib/imapsort sorts, lib/imapthread threads.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/imapsort.h"
#include "lib/imapthread.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define KEYS_ARENA_MAX	((size_t)1 << 31)	/* every record of a SORT */
#define THREAD_OUT_MAX	((size_t)256 << 20)	/* one THREAD answer */

struct keyset {
	struct sbuf	 arena;		/* records read from files */
	const char	**p;		/* record i: p[i], len[i] bytes */
	size_t		*len;
	size_t		*off;		/* in arena, or KEY_CACHED */
};

#define KEY_CACHED	SIZE_MAX	/* p[i] points into the cache */

/* The record of one message, from its header. */
static int
rec_from_file(struct imap *s, uint32_t uid, struct sbuf *rec)
{
	struct stat st;
	char *map = NULL;
	size_t len;
	int fd, r;

	if ((fd = mbox_msg_open(s->mb, uid)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		(void)close(fd);
		return -1;
	}
	len = (size_t)st.st_size;
	if (len > 0 && (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd,
	    0)) == MAP_FAILED) {
		(void)close(fd);
		return -1;
	}
	(void)close(fd);
	r = imapsort_rec_make(rec, map != NULL ? map : "", len);
	if (map != NULL)
		(void)munmap(map, len);
	return r;
}

/* Cache the records of the messages read from their files (miss[0..nm)
 * index seqs[] and the keyset), in one append. */
static void
keys_cache(struct imap *s, const uint32_t *seqs, const struct keyset *k,
    const size_t *miss, size_t nm)
{
	struct mbox_cache_rec *r;
	size_t i;

	if (nm == 0 || (r = mem_alloc(nm, sizeof *r)) == NULL)
		return;
	for (i = 0; i < nm; i++) {
		r[i].uid = mbox_msg(s->mb, seqs[miss[i]])->uid;
		r[i].data = k->p[miss[i]];
		r[i].len = k->len[miss[i]];
	}
	if (mbox_cache_put_v(s->mb, MBOX_CACHE_SORT, r, nm) < 0)
		log_warn_sys("account=%s cache put", log_esc_s(s->user));
	free(r);
}

/*
 * The records of seqs[0..n): each from the folder's cache, read in
 * place, or else from the message (then cached).  When some had to be
 * read, the cached ones are copied next to them first, since adding to
 * the cache may move it.
 */
static int
keys_load(struct imap *s, const uint32_t *seqs, size_t n, struct keyset *k)
{
	struct imapsort_keys dummy;
	struct sbuf rec;
	const char *cp;
	uint32_t uid;
	size_t i, nm = 0, *miss = NULL, cl;
	int r = -1, c, fresh;

	sbuf_init(&rec, IMAPSORT_REC_MAX);
	if (n > 0 && ((k->p = mem_alloc(n, sizeof *k->p)) == NULL ||
	    (k->len = mem_alloc(n, sizeof *k->len)) == NULL ||
	    (k->off = mem_alloc(n, sizeof *k->off)) == NULL ||
	    (miss = mem_alloc(n, sizeof *miss)) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		uid = mbox_msg(s->mb, seqs[i])->uid;
		c = mbox_cache_peek(s->mb, uid, MBOX_CACHE_SORT, &cp, &cl);
		if (c == 1 && imapsort_rec_parse(cp, cl, &dummy) == 0) {
			k->p[i] = cp;
			k->len[i] = cl;
			k->off[i] = KEY_CACHED;
			continue;
		}
		fresh = 1;
		if (rec_from_file(s, uid, &rec) < 0) {
			/* Gone (expunged by another session) or
			 * unreadable: sorts as empty, not cached. */
			fresh = 0;
			if (imapsort_rec_make(&rec, "", 0) < 0)
				goto out;
		}
		k->off[i] = k->arena.len;
		k->len[i] = rec.len;
		if (sbuf_cat_n(&k->arena, rec.s, rec.len) < 0)
			goto out;
		if (fresh)
			miss[nm++] = i;
	}
	if (k->arena.len > 0) {
		for (i = 0; i < n; i++) {
			if (k->off[i] != KEY_CACHED)
				continue;
			k->off[i] = k->arena.len;
			if (sbuf_cat_n(&k->arena, k->p[i], k->len[i]) < 0)
				goto out;
		}
		for (i = 0; i < n; i++)
			k->p[i] = k->arena.s + k->off[i];
	}
	keys_cache(s, seqs, k, miss, nm);
	r = 0;
out:
	free(miss);
	sbuf_fini(&rec);
	return r;
}

static void
keys_fini(struct keyset *k)
{
	sbuf_fini(&k->arena);
	free(k->p);
	free(k->len);
	free(k->off);
}

/* " n" for each number, into one buffer, then written. */
static int
numbers_out(struct imap *s, const char *word, struct imapsort_msg **v,
    size_t n)
{
	struct sbuf l;
	char d[12];
	uint32_t x;
	size_t i, k;
	int r;

	sbuf_init(&l, 32 + n * 11);
	r = sbuf_cat_s(&l, "* ");
	r |= sbuf_cat_s(&l, word);
	for (i = 0; i < n && r == 0; i++) {
		x = s->pc.uid ? mbox_msg(s->mb, v[i]->seq)->uid : v[i]->seq;
		k = sizeof d;
		do {
			d[--k] = (char)('0' + x % 10);
			x /= 10;
		} while (x != 0);
		d[--k] = ' ';
		r |= sbuf_cat_n(&l, d + k, sizeof d - k);
	}
	r |= sbuf_cat_s(&l, "\r\n");
	if (r == 0 && bio_write(s->b, l.s, l.len) < 0)
		r = -1;
	sbuf_fini(&l);
	return r < 0 ? -1 : 0;
}

/* Parse errors: NO [BADCHARSET] or BAD; 1 when answered. */
static int
parse_failed(struct imap *s, int r, const struct imapp_search *q,
    const char *why)
{
	if (r == IMAPP_EBADCHARSET) {
		(void)imap_reply(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] %s",
		    why);
		return 1;
	}
	if (r < 0) {
		(void)imap_bad(s, why);
		return 1;
	}
	if (q->uses_modseq) {
		(void)imap_bad(s, "MODSEQ is not supported here");
		return 1;
	}
	return 0;
}

int
imap_cmd_sort(struct imap *s)
{
	struct imapp_sort crit;
	struct imapp_search q;
	struct imapsort_keys kk;
	struct imapsort_msg *m = NULL, **v = NULL;
	struct keyset ks;
	const struct mbox_msg *mm;
	const char *why = "";
	uint32_t *seqs = NULL;
	uint64_t vsize;
	size_t n = 0, i;
	int64_t date;
	int r, keys, sizes = 0, dates = 0;

	memset(&ks, 0, sizeof ks);
	sbuf_init(&ks.arena, KEYS_ARENA_MAX);
	imapp_search_init(&q);
	r = imapp_sort_parse(&s->pc, imapp_arg(&s->pc, 0), &crit, &q, &why);
	if (parse_failed(s, r, &q, why)) {
		r = 0;
		goto out;
	}
	r = -2;
	if (imap_search_seqs(s, &q, &seqs, &n) < 0)
		goto out;
	keys = imapsort_needs_keys(&crit);
	for (i = 0; i < crit.n; i++) {
		if (crit.key[i] == IMAPP_SORT_SIZE)
			sizes = 1;
		if (crit.key[i] == IMAPP_SORT_ARRIVAL ||
		    crit.key[i] == IMAPP_SORT_DATE)
			dates = 1;
	}
	if (keys && keys_load(s, seqs, n, &ks) < 0)
		goto out;
	if (n > 0 && ((m = mem_alloc(n, sizeof *m)) == NULL ||
	    (v = mem_alloc(n, sizeof *v)) == NULL))
		goto out;
	for (i = 0; i < n; i++) {
		mm = mbox_msg(s->mb, seqs[i]);
		m[i].seq = seqs[i];
		/* A date not known yet is learnt (0 if that fails). */
		if ((date = mm->date) == 0 && dates)
			(void)mbox_msg_date(s->mb, mm->uid, &date);
		m[i].arrival = date;
		m[i].sent = date;
		m[i].size = mm->size;
		if (sizes && mbox_msg_vsize(s->mb, mm->uid, &vsize) == 0)
			m[i].size = vsize;
		if (keys && imapsort_rec_parse(ks.p[i], ks.len[i],
		    &kk) == 0) {
			memcpy(m[i].f, kk.f, sizeof m[i].f);
			if (kk.has_date)
				m[i].sent = kk.date;
		}
		v[i] = &m[i];
	}
	if (imapsort_sort(v, n, &crit) < 0)
		goto out;
	r = numbers_out(s, "SORT", v, n) < 0 ? -1 : 0;
out:
	if (r == -2)
		r = imap_no_errno(s, s->pc.uid ? "UID SORT" : "SORT");
	else if (r == 0 && s->resp.len == 0)
		r = imap_ok(s, s->pc.uid ? "UID SORT" : "SORT");
	free(m);
	free(v);
	free(seqs);
	keys_fini(&ks);
	imapp_search_fini(&q);
	return r;
}

int
imap_cmd_thread(struct imap *s)
{
	enum imapp_thread_alg alg;
	struct imapp_search q;
	struct imapsort_keys kk;
	struct imapthread_msg *t = NULL;
	struct keyset ks;
	struct sbuf out;
	const struct mbox_msg *mm;
	const char *why = "";
	uint32_t *seqs = NULL;
	size_t n = 0, i;
	int r, pr;

	memset(&ks, 0, sizeof ks);
	sbuf_init(&ks.arena, KEYS_ARENA_MAX);
	sbuf_init(&out, THREAD_OUT_MAX);
	imapp_search_init(&q);
	r = imapp_thread_parse(&s->pc, imapp_arg(&s->pc, 0), &alg, &q, &why);
	if (parse_failed(s, r, &q, why)) {
		r = 0;
		goto out;
	}
	r = -2;
	if (imap_search_seqs(s, &q, &seqs, &n) < 0 ||
	    keys_load(s, seqs, n, &ks) < 0)
		goto out;
	if (n > 0 && (t = mem_alloc(n, sizeof *t)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		mm = mbox_msg(s->mb, seqs[i]);
		t[i].num = s->pc.uid ? mm->uid : seqs[i];
		/* No Date header: the internal date, learnt if not known
		 * yet (0 if that fails). */
		pr = imapsort_rec_parse(ks.p[i], ks.len[i], &kk);
		if (pr == 0 && kk.has_date)
			t[i].sent = kk.date;
		else if ((t[i].sent = mm->date) == 0)
			(void)mbox_msg_date(s->mb, mm->uid, &t[i].sent);
		if (pr < 0)
			continue;
		t[i].subject = kk.f[IMAPSORT_SUBJECT].p;
		t[i].subject_len = kk.f[IMAPSORT_SUBJECT].n;
		t[i].is_reply = kk.is_reply;
		t[i].msgid = kk.f[IMAPSORT_MSGID].p;
		t[i].msgid_len = kk.f[IMAPSORT_MSGID].n;
		t[i].refs = kk.f[IMAPSORT_REFS].p;
		t[i].refs_len = kk.f[IMAPSORT_REFS].n;
	}
	if ((alg == IMAPP_THREAD_REFERENCES ?
	    imapthread_references(t, n, &out) :
	    imapthread_orderedsubject(t, n, &out)) < 0)
		goto out;
	r = 0;
	if (bio_puts(s->b, n > 0 ? "* THREAD " : "* THREAD") < 0 ||
	    (out.len > 0 && bio_write(s->b, out.s, out.len) < 0) ||
	    bio_puts(s->b, "\r\n") < 0)
		r = -1;
out:
	if (r == -2)
		r = imap_no_errno(s, s->pc.uid ? "UID THREAD" : "THREAD");
	else if (r == 0 && s->resp.len == 0)
		r = imap_ok(s, s->pc.uid ? "UID THREAD" : "THREAD");
	free(t);
	free(seqs);
	keys_fini(&ks);
	sbuf_fini(&out);
	imapp_search_fini(&q);
	return r;
}
