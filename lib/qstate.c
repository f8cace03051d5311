/*
 * qstate.c - the per-recipient state file of a queued message (qstate.h,
 * doc/queue.md).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/mem.h"
#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/queue.h"
#include "lib/sbuf.h"

#define QSTATE_PATH_MAX	4096

void
qstate_init(struct qstate *st)
{
	memset(st, 0, sizeof(*st));
}

void
qstate_fini(struct qstate *st)
{
	free(st->r);
	free(st->t);
	qstate_init(st);
}

int
qstate_is_final(enum qstate_status s)
{
	switch (s) {
	case QS_DELIVERED:
	case QS_BOUNCED:
	case QS_RELAYED:
		return 1;
	case QS_PENDING:
	case QS_FAILED:
	case QS_EXPANDED:
		return 0;
	}
	return 0;
}

const char *
qstate_status_name(enum qstate_status s)
{
	switch (s) {
	case QS_PENDING:
		return "pending";
	case QS_DELIVERED:
		return "delivered";
	case QS_FAILED:
		return "failed";
	case QS_BOUNCED:
		return "bounced";
	case QS_RELAYED:
		return "relayed";
	case QS_EXPANDED:
		return "expanded";
	}
	return "?";
}

int
qstate_fresh(struct qstate *st, const char *qid, size_t nrcpt)
{
	qstate_fini(st);
	if (!qid_valid(qid, strlen(qid)) || nrcpt == 0 ||
	    nrcpt > ENV_RCPT_MAX) {
		errno = EINVAL;
		return -1;
	}
	memcpy(st->qid, qid, QID_LEN + 1);
	if ((st->r = mem_alloc(nrcpt, sizeof(*st->r))) == NULL)
		return -1;
	st->nr = nrcpt;
	return 0;
}

static int
text_ok(const char *s, size_t n, size_t max)
{
	size_t i;

	if (n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * An address: no control byte and no DEL, but UTF-8 (SMTPUTF8, RFC 6531)
 * as the envelope holds it; a non-ASCII target must be recorded too.
 */
static int
addr_ok(const char *s, size_t n)
{
	size_t i;

	if (n > ENV_ADDR_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
			return 0;
	return 1;
}

static int
targets_reserve(struct qstate *st, size_t more)
{
	struct qstate_target *t;
	size_t cap;

	if (more > QSTATE_TARGETS_MAX || st->nt > QSTATE_TARGETS_MAX - more) {
		errno = E2BIG;
		return -1;
	}
	if (st->nt + more <= st->tcap)
		return 0;
	cap = st->tcap == 0 ? 16 : st->tcap;
	while (cap < st->nt + more)
		cap *= 2;
	if (cap > QSTATE_TARGETS_MAX)
		cap = QSTATE_TARGETS_MAX;
	if ((t = mem_realloc(st->t, cap, sizeof(*t))) == NULL)
		return -1;
	st->t = t;
	st->tcap = cap;
	return 0;
}

int
qstate_expand(struct qstate *st, size_t i, const struct qstate_target *t,
    size_t n)
{
	size_t at, j;

	if (i >= st->nr || n == 0 || st->r[i].n != 0 ||
	    st->r[i].it.status != QS_PENDING) {
		errno = EINVAL;
		return -1;
	}
	if (targets_reserve(st, n) < 0)
		return -1;
	/* After the targets of every earlier recipient. */
	at = 0;
	for (j = 0; j < i; j++)
		if (st->r[j].n > 0)
			at = st->r[j].first + st->r[j].n;
	memmove(st->t + at + n, st->t + at, (st->nt - at) * sizeof(*st->t));
	memcpy(st->t + at, t, n * sizeof(*t));
	st->nt += n;
	for (j = i + 1; j < st->nr; j++)
		if (st->r[j].n > 0)
			st->r[j].first += n;
	st->r[i].first = at;
	st->r[i].n = n;
	st->r[i].it.status = QS_EXPANDED;
	return 0;
}

static int
put_u32(struct sbuf *out, int type, uint32_t v)
{
	unsigned char b[4];

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
	return envelope_rec_put(out, type, b, sizeof(b));
}

static int
put_i64(struct sbuf *out, int type, int64_t v)
{
	unsigned char b[8];
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--) {
		b[i] = (unsigned char)u;
		u >>= 8;
	}
	return envelope_rec_put(out, type, b, sizeof(b));
}

static int
put_item(struct sbuf *out, const struct qstate_item *it)
{
	unsigned char k = (unsigned char)it->status;

	if (!text_ok(it->diag, strlen(it->diag), QSTATE_DIAG_MAX) ||
	    it->next < 0) {
		errno = EINVAL;
		return -1;
	}
	if (envelope_rec_put(out, 'K', &k, 1) < 0 ||
	    put_u32(out, 'C', it->attempts) < 0 ||
	    put_i64(out, 'W', it->next) < 0 ||
	    envelope_rec_put(out, 'D', it->diag, strlen(it->diag)) < 0)
		return -1;
	return 0;
}

static int
put_target(struct sbuf *out, const struct qstate_target *t)
{
	struct sbuf tv;
	size_t alen = strlen(t->addr), hlen = strlen(t->host);
	unsigned char k = (unsigned char)t->kind;
	int r;

	if (alen == 0 || !addr_ok(t->addr, alen) ||
	    !text_ok(t->host, hlen, QSTATE_HOST_MAX) ||
	    (t->kind != QS_T_LOCAL && t->kind != QS_T_REMOTE) ||
	    t->it.status == QS_EXPANDED) {
		errno = EINVAL;
		return -1;
	}
	sbuf_init(&tv, 1 + ENV_ADDR_MAX);
	r = sbuf_cat_n(&tv, &k, 1) < 0 || sbuf_cat_n(&tv, t->addr, alen) < 0 ||
	    envelope_rec_put(out, 'T', tv.s, tv.len) < 0 ||
	    envelope_rec_put(out, 'H', t->host, hlen) < 0 ||
	    put_item(out, &t->it) < 0 ? -1 : 0;
	sbuf_fini(&tv);
	return r;
}

int
qstate_encode(const struct qstate *st, struct sbuf *out)
{
	unsigned char v = QSTATE_VERSION;
	size_t i, j;

	sbuf_reset(out);
	if (!qid_valid(st->qid, strlen(st->qid)) || st->nr == 0) {
		errno = EINVAL;
		return -1;
	}
	if (envelope_rec_put(out, 'V', &v, 1) < 0 ||
	    envelope_rec_put(out, 'Q', st->qid, QID_LEN) < 0)
		return -1;
	for (i = 0; i < st->nr; i++) {
		const struct qstate_rcpt *r = &st->r[i];

		if ((r->n > 0) != (r->it.status == QS_EXPANDED) ||
		    r->first + r->n > st->nt) {
			errno = EINVAL;
			return -1;
		}
		if (put_item(out, &r->it) < 0)
			return -1;
		for (j = 0; j < r->n; j++)
			if (put_target(out, &st->t[r->first + j]) < 0)
				return -1;
	}
	return envelope_rec_put(out, 'Z', NULL, 0);
}

/* Decoding. */

struct rd {
	struct envelope_cursor c;
	int		 type;
	const unsigned char *v;
	size_t		 len;
	const char	*why;
};

/* Take the next record, which must be of type want. */
static int
rd_want(struct rd *d, int want)
{
	if (envelope_rec_get(&d->c, &d->type, &d->v, &d->len) < 0) {
		d->why = "truncated record";
		return -1;
	}
	if (d->type != want) {
		d->why = "unexpected record type";
		return -1;
	}
	return 0;
}

/* The type of the next record without taking it, or -1 at the end. */
static int
rd_peek(const struct rd *d)
{
	return d->c.left > 0 ? d->c.p[0] : -1;
}

static int
rd_item(struct rd *d, struct qstate_item *it)
{
	uint64_t u;
	size_t i;

	if (rd_want(d, 'K') < 0)
		return -1;
	if (d->len != 1 || d->v[0] >= QS_NSTATUS) {
		d->why = "bad status";
		return -1;
	}
	it->status = (enum qstate_status)d->v[0];
	if (rd_want(d, 'C') < 0)
		return -1;
	if (d->len != 4) {
		d->why = "bad attempts";
		return -1;
	}
	it->attempts = ((uint32_t)d->v[0] << 24) | ((uint32_t)d->v[1] << 16) |
	    ((uint32_t)d->v[2] << 8) | d->v[3];
	if (rd_want(d, 'W') < 0)
		return -1;
	if (d->len != 8) {
		d->why = "bad next attempt";
		return -1;
	}
	for (u = 0, i = 0; i < 8; i++)
		u = (u << 8) | d->v[i];
	if (u > INT64_MAX) {
		d->why = "bad next attempt";
		return -1;
	}
	it->next = (int64_t)u;
	if (rd_want(d, 'D') < 0)
		return -1;
	if (!text_ok((const char *)d->v, d->len, QSTATE_DIAG_MAX)) {
		d->why = "bad diagnostic";
		return -1;
	}
	memcpy(it->diag, d->v, d->len);
	it->diag[d->len] = '\0';
	return 0;
}

static int
rd_target(struct rd *d, struct qstate *st)
{
	struct qstate_target *t;

	if (targets_reserve(st, 1) < 0) {
		d->why = errno == E2BIG ? "too many targets" : "out of memory";
		return -1;
	}
	t = &st->t[st->nt];
	memset(t, 0, sizeof(*t));
	if (rd_want(d, 'T') < 0)
		return -1;
	if (d->len < 2 || d->v[0] > QS_T_REMOTE ||
	    !addr_ok((const char *)d->v + 1, d->len - 1)) {
		d->why = "bad target";
		return -1;
	}
	t->kind = (enum qstate_kind)d->v[0];
	memcpy(t->addr, d->v + 1, d->len - 1);
	if (rd_want(d, 'H') < 0)
		return -1;
	if (!text_ok((const char *)d->v, d->len, QSTATE_HOST_MAX)) {
		d->why = "bad host";
		return -1;
	}
	memcpy(t->host, d->v, d->len);
	if (rd_item(d, &t->it) < 0)
		return -1;
	if (t->it.status == QS_EXPANDED) {
		d->why = "a target cannot be expanded";
		return -1;
	}
	st->nt++;
	return 0;
}

static int
rd_all(struct rd *d, const char *qid, size_t nrcpt, struct qstate *st)
{
	size_t i;

	if (rd_want(d, 'V') < 0)
		return -1;
	if (d->len != 1 || d->v[0] != QSTATE_VERSION) {
		d->why = "unknown version";
		return -1;
	}
	if (rd_want(d, 'Q') < 0)
		return -1;
	if (d->len != QID_LEN || memcmp(d->v, qid, QID_LEN) != 0) {
		d->why = "queue id differs";
		return -1;
	}
	for (i = 0; i < nrcpt; i++) {
		struct qstate_rcpt *r = &st->r[i];

		if (rd_item(d, &r->it) < 0)
			return -1;
		r->first = st->nt;
		while (rd_peek(d) == 'T') {
			if (rd_target(d, st) < 0)
				return -1;
			r->n++;
		}
		if ((r->n > 0) != (r->it.status == QS_EXPANDED)) {
			d->why = "targets and status disagree";
			return -1;
		}
	}
	if (rd_want(d, 'Z') < 0) {
		d->why = "recipient count differs or END missing";
		return -1;
	}
	if (d->len != 0 || d->c.left != 0) {
		d->why = "bytes after END";
		return -1;
	}
	return 0;
}

int
qstate_decode(const void *buf, size_t len, const char *qid, size_t nrcpt,
    struct qstate *st, const char **why_r)
{
	struct rd d;

	if (qstate_fresh(st, qid, nrcpt) < 0) {
		*why_r = errno == ENOMEM ? "out of memory" : "bad id or count";
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.c.p = buf;
	d.c.left = len;
	if (rd_all(&d, qid, nrcpt, st) < 0) {
		*why_r = d.why;
		qstate_fini(st);
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int
qstate_load(const char *queue_dir, const char *qid, size_t nrcpt,
    struct qstate *st, const char **why_r)
{
	struct sbuf path, b;
	int r;

	*why_r = "";
	sbuf_init(&path, QSTATE_PATH_MAX);
	sbuf_init(&b, QSTATE_FILE_MAX);
	if (qid_path(queue_dir, QID_STATE, qid, &path) < 0) {
		r = -1;
	} else if (io_read_file(path.s, &b, QSTATE_FILE_MAX) < 0) {
		r = errno == ENOENT ? qstate_fresh(st, qid, nrcpt) : -1;
	} else {
		r = qstate_decode(b.s, b.len, qid, nrcpt, st, why_r);
	}
	sbuf_fini(&path);
	sbuf_fini(&b);
	return r;
}

int
qstate_next_due(const char *queue_dir, const char *qid, int64_t *due_r)
{
	struct envelope_cursor c;
	struct sbuf path, b;
	const unsigned char *v;
	int64_t due = INT64_MAX;
	size_t len, i;
	int type, k = -1, r = -1, failed = 0;

	sbuf_init(&path, QSTATE_PATH_MAX);
	sbuf_init(&b, QSTATE_FILE_MAX);
	*due_r = 0;
	if (qid_path(queue_dir, QID_STATE, qid, &path) < 0)
		goto out;
	if (io_read_file(path.s, &b, QSTATE_FILE_MAX) < 0) {
		r = errno == ENOENT ? 0 : -1;
		goto out;
	}
	c.p = (const unsigned char *)b.s;
	c.left = b.len;
	while (envelope_rec_get(&c, &type, &v, &len) == 0) {
		if (type == 'K' && len == 1) {
			k = v[0];
			failed |= k == QS_FAILED;
		} else if (type == 'W' && len == 8 && k == QS_PENDING) {
			uint64_t u = 0;

			for (i = 0; i < 8; i++)
				u = (u << 8) | v[i];
			if (u < (uint64_t)due)
				due = (int64_t)u;
		}
	}
	*due_r = failed || due == INT64_MAX ? 0 : due;
	r = 0;
out:
	sbuf_fini(&path);
	sbuf_fini(&b);
	return r;
}

int
qstate_write_sync(const char *queue_dir, const struct qstate *st)
{
	struct sbuf enc, path, tmp, dir;
	int fd = -1, r = -1;

	sbuf_init(&enc, QSTATE_FILE_MAX);
	sbuf_init(&path, QSTATE_PATH_MAX);
	sbuf_init(&tmp, QSTATE_PATH_MAX);
	sbuf_init(&dir, QSTATE_PATH_MAX);
	if (qstate_encode(st, &enc) < 0 ||
	    qid_path(queue_dir, QID_STATE, st->qid, &path) < 0 ||
	    qid_path(queue_dir, QID_STATE_NEW, st->qid, &tmp) < 0 ||
	    qid_dir(queue_dir, QID_STATE, st->qid, &dir) < 0 ||
	    queue_bucket_dir(dir.s) < 0)
		goto out;
	/* A .new left by a crash is ours to replace: only qmgr writes. */
	if (unlink(tmp.s) < 0 && errno != ENOENT)
		goto out;
	if ((fd = durable_open_excl(tmp.s, 0600)) < 0)
		goto out;
	if (io_write_full(fd, enc.s, enc.len) < 0) {
		(void)close(fd);	/* failing already */
		(void)unlink(tmp.s);
		goto out;
	}
	if (durable_close_sync(fd) < 0) {
		(void)unlink(tmp.s);
		goto out;
	}
	if (durable_rename_sync(tmp.s, path.s) < 0)
		goto out;
	r = 0;
out:
	sbuf_fini(&enc);
	sbuf_fini(&path);
	sbuf_fini(&tmp);
	sbuf_fini(&dir);
	return r;
}

static int
unlink_sync(const char *queue_dir, enum qid_kind kind, const char *qid)
{
	struct sbuf p;
	int r;

	sbuf_init(&p, QSTATE_PATH_MAX);
	if (qid_path(queue_dir, kind, qid, &p) < 0)
		r = -1;
	else if ((r = durable_unlink_sync(p.s)) < 0 && errno == ENOENT)
		r = 0;
	sbuf_fini(&p);
	return r;
}

/* An unlink without an fsync; a file already gone is not an error. */
static int
unlink_lazy(const char *queue_dir, enum qid_kind kind, const char *qid)
{
	struct sbuf p;
	int r;

	sbuf_init(&p, QSTATE_PATH_MAX);
	if (qid_path(queue_dir, kind, qid, &p) < 0)
		r = -1;
	else if ((r = unlink(p.s)) < 0 && errno == ENOENT)
		r = 0;
	sbuf_fini(&p);
	return r;
}

int
qstate_remove(const char *queue_dir, const char *qid)
{
	/*
	 * Transition 7 (uncommit), durable, strictly before 8.  8 needs no
	 * fsync: should a crash undo its unlinks, what comes back is S6 (a
	 * message and maybe a state file without an envelope), which is
	 * never delivered and which the cleaner removes (doc/queue.md).
	 */
	if (unlink_sync(queue_dir, QID_ENV, qid) < 0 ||
	    unlink_lazy(queue_dir, QID_STATE, qid) < 0 ||
	    unlink_lazy(queue_dir, QID_MSG, qid) < 0)
		return -1;
	return 0;
}
