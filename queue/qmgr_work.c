/*
 * qmgr_work.c - one delivery attempt for one queued message, run in a
 * worker process forked by tern-qmgr: read the envelope and the state
 * file, resolve new recipients (recording the expansion durably before
 * any delivery), deliver what is due, record the results, send the DSN
 * for what failed, and remove the message once every recipient is final.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "lib/cdbmap.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/queue.h"
#include "lib/resolve.h"
#include "lib/sbuf.h"

#include "queue/qmgr.h"

#define BAD	(-1)

/*
 * Crash tests (t/queue/qmgr-crash.t): with TERN_CRASH_AT naming a step,
 * the worker kills itself there with SIGKILL.  Honoured only when the
 * process is not set-id (tern-qmgr never is), like tern-enqueue's.
 */
static void
crash_at(const char *step)
{
	const char *want = getenv("TERN_CRASH_AT");

	if (want != NULL && strcmp(want, step) == 0 && getuid() == geteuid())
		(void)raise(SIGKILL);
}

/*
 * The item state x event table (STYLE 10): the status an item moves to,
 * or BAD where the event cannot happen in that state (a bug: panic).
 * Only pending items are attempted; only failed ones are bounced.
 */
static const int item_table[QS_NSTATUS][QE_NEVENT] = {
	/*		  SENT	       DEFER	   FAIL	       EXPIRE	   DSN_QUEUED  NO_DSN */
	[QS_PENDING] =	{ QS_DELIVERED, QS_PENDING, QS_FAILED,  QS_FAILED,  BAD,	BAD },
	[QS_DELIVERED] = { BAD,	       BAD,	   BAD,	       BAD,	   BAD,	       BAD },
	[QS_FAILED] =	{ BAD,	       BAD,	   BAD,	       BAD,	   QS_BOUNCED, QS_BOUNCED },
	[QS_BOUNCED] =	{ BAD,	       BAD,	   BAD,	       BAD,	   BAD,	       BAD },
	[QS_RELAYED] =	{ BAD,	       BAD,	   BAD,	       BAD,	   BAD,	       BAD },
	[QS_EXPANDED] =	{ BAD,	       BAD,	   BAD,	       BAD,	   BAD,	       BAD },
};

static const char *const event_word[QE_NEVENT] = {
	[QE_SENT] = "sent",
	[QE_DEFER] = "deferred",
	[QE_FAIL] = "bounced",
	[QE_EXPIRE] = "expired",
	[QE_DSN_QUEUED] = NULL,		/* logged once as "bounce=ID" */
	[QE_NO_DSN] = NULL,
};

void
qmgr_diag_set(char diag[QSTATE_DIAG_MAX + 1], const char *text)
{
	size_t i;

	for (i = 0; i < QSTATE_DIAG_MAX && text[i] != '\0'; i++)
		diag[i] = (unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] >= 0x7f ? '?' : text[i];
	diag[i] = '\0';
}

/* Seconds to wait after the n-th failed attempt (n >= 1). */
static uint64_t
retry_wait(const struct qmgr *q, uint32_t n)
{
	size_t i = n == 0 ? 0 : n - 1;

	if (i >= q->nsched)
		i = q->nsched - 1;
	return q->sched[i];
}

static double
delay_of(const struct qmgr_msg *m)
{
	struct timeval tv;

	if (gettimeofday(&tv, NULL) < 0)
		return (double)(m->now - (int64_t)m->env.arrival);
	return (double)tv.tv_sec + tv.tv_usec / 1e6 - (double)m->env.arrival;
}

void
qmgr_event(struct qmgr_msg *m, const struct qmgr_item *x, enum qmgr_event ev,
    const char *relay, const char *diag)
{
	struct qstate_item *it = x->it;
	const char *orig = m->env.rcpt[x->rcpt].addr;
	char code[16];
	int to;
	int64_t deadline;

	to = item_table[it->status][ev];
	if (to == BAD)
		panic("%s event %d in state %s", m->qid, (int)ev,
		    qstate_status_name(it->status));
	it->status = (enum qstate_status)to;
	m->dirty = 1;
	if (diag != NULL)
		qmgr_diag_set(it->diag, diag);
	switch (ev) {
	case QE_DEFER:
		it->attempts++;
		it->next = m->now + (int64_t)retry_wait(m->q, it->attempts);
		deadline = (int64_t)m->env.arrival + (int64_t)m->q->lifetime;
		if (it->next > deadline)
			it->next = deadline;
		break;
	case QE_SENT:
	case QE_FAIL:
		it->attempts++;
		break;
	case QE_EXPIRE:
	case QE_DSN_QUEUED:
	case QE_NO_DSN:
		break;
	}
	if (event_word[ev] == NULL)
		return;
	qmgr_dsn_code(it->diag, ev == QE_SENT ? "2.0.0" :
	    ev == QE_DEFER ? "4.0.0" : "5.0.0", code);
	log_info("%s to=<%s>%s%s%s relay=%s delay=%.1f status=%s dsn=%s (%s)",
	    m->qid, log_esc_s(x->addr),
	    strcasecmp(x->addr, orig) != 0 ? " orig_to=<" : "",
	    strcasecmp(x->addr, orig) != 0 ? log_esc_s(orig) : "",
	    strcasecmp(x->addr, orig) != 0 ? ">" : "",
	    relay, delay_of(m), ev == QE_EXPIRE ? "bounced" : event_word[ev],
	    code, log_esc_s(it->diag));
}

/* Reading the message. */

static enum qmgr_outcome
load(struct qmgr_msg *m)
{
	struct sbuf path;
	struct stat sb;
	const char *why;
	enum qmgr_outcome o = QW_BROKEN;

	sbuf_init(&path, QMGR_PATH_MAX);
	if (queue_read_envelope(m->q->queue_dir, m->qid, &m->env, &why) < 0) {
		if (errno == ENOENT)
			o = QW_GONE;
		else if (errno == EINVAL)
			log_err("%s bad envelope, left for the admin: %s",
			    m->qid, why);
		else
			log_err_sys("%s cannot read the envelope", m->qid);
		goto out;
	}
	if (qid_path(m->q->queue_dir, QID_MSG, m->qid, &path) < 0)
		goto out;
	if (stat(path.s, &sb) < 0) {
		/* A crash lost a one-file message's first name (doc/queue.md,
		 * "Crashes"): the file is there under env/XX/ID. */
		if (errno != ENOENT ||
		    queue_restore_message(m->q->queue_dir, m->qid) < 0) {
			log_err_sys("%s envelope without its message, left "
			    "for the admin", m->qid);
			goto out;
		}
		log_warn("%s message name restored from its envelope's "
		    "(one file)", m->qid);
	}
	if (qstate_load(m->q->queue_dir, m->qid, m->env.nrcpt, &m->st,
	    &why) < 0) {
		if (errno == EPROTO)
			log_err("%s bad state file, left for the admin: %s",
			    m->qid, why);
		else
			log_err_sys("%s cannot read its state", m->qid);
		goto out;
	}
	o = QW_DUE;
out:
	sbuf_fini(&path);
	return o;
}

static int
is_due(const struct qmgr_msg *m, const struct qstate_item *it)
{
	return it->status == QS_PENDING && (m->force || it->next <= m->now);
}

static int
save(struct qmgr_msg *m)
{
	if (!m->dirty)
		return 0;
	if (qstate_write_sync(m->q->queue_dir, &m->st) < 0) {
		log_err_sys("%s cannot write its state", m->qid);
		return -1;
	}
	m->dirty = 0;
	return 0;
}

/* Resolving. */

static int
is_local_host(const struct qmgr *q, const char *host)
{
	return strcmp(host, "local") == 0 || strcasecmp(host, q->hostname) == 0;
}

/*
 * Is a local target held here?  Its account lives here, or it is being
 * moved (tern-user move, doc/move.md) and this is a storage host: then
 * tern-lspawn defers it (4.2.1) until the move is over, and rehome()
 * relays it if the account ended up elsewhere.  Relaying it during the
 * move would follow host= while the two storage hosts' maps disagree (the
 * new host learns the move last and still names the old one), sending the
 * mail back, or bouncing it when the old name no longer resolves.
 */
static int
held_here(const struct qmgr *q, const char *host, int moving)
{
	return is_local_host(q, host) || (moving && q->storage);
}

static void
resolve_fail(struct qmgr_msg *m, size_t i, const char *diag)
{
	struct qmgr_item x = { &m->st.r[i].it, i, m->env.rcpt[i].addr,
	    QS_T_LOCAL, "", 0 };

	qmgr_event(m, &x, QE_FAIL, "none", diag);
}

static void
resolve_defer(struct qmgr_msg *m, size_t i, const char *diag)
{
	struct qmgr_item x = { &m->st.r[i].it, i, m->env.rcpt[i].addr,
	    QS_T_LOCAL, "", 0 };

	qmgr_event(m, &x, QE_DEFER, "none", diag);
}

static void
resolve_targets(struct qmgr_msg *m, size_t i, const struct resolve_result *rr,
    const char *addr)
{
	struct qstate_target *t;
	size_t j, n = rr->status == RESOLVE_FOREIGN ? 1 : rr->n;

	if ((t = calloc(n, sizeof(*t))) == NULL) {
		resolve_defer(m, i, "4.3.0 out of memory");
		return;
	}
	for (j = 0; j < n; j++) {
		t[j].it.attempts = m->st.r[i].it.attempts;
		if (rr->status == RESOLVE_FOREIGN) {
			t[j].kind = QS_T_REMOTE;
			(void)strlcpy(t[j].addr, addr, sizeof(t[j].addr));
			continue;
		}
		(void)strlcpy(t[j].addr, rr->t[j].addr, sizeof(t[j].addr));
		if (rr->t[j].kind == RESOLVE_T_LOCAL) {
			(void)strlcpy(t[j].host, rr->t[j].host,
			    sizeof(t[j].host));
			t[j].kind = held_here(m->q, rr->t[j].host,
			    rr->t[j].moving) ? QS_T_LOCAL : QS_T_REMOTE;
		} else {
			t[j].kind = QS_T_REMOTE;
		}
	}
	if (qstate_expand(&m->st, i, t, n) < 0) {
		if (errno == E2BIG)
			resolve_fail(m, i, "5.3.4 the message expands to "
			    "too many recipients");
		else
			resolve_defer(m, i, "4.3.0 out of memory");
	} else {
		m->dirty = 1;
		if (n > 1 || strcasecmp(t[0].addr, addr) != 0) {
			m->rewritten = 1;
			log_info("%s to=<%s> expanded=%zu", m->qid,
			    log_esc_s(addr), n);
		}
	}
	free(t);
}

static void
resolve_one(struct qmgr_msg *m, struct resolve_maps *maps, size_t i)
{
	struct resolve_result rr;
	const char *addr = m->env.rcpt[i].addr;
	char diag[QSTATE_DIAG_MAX + 1];

	if (strcasecmp(addr, "postmaster") == 0)
		addr = m->q->postmaster;
	memset(&rr, 0, sizeof(rr));
	if (resolve_address(maps, addr, strlen(addr), &rr) < 0) {
		(void)snprintf(diag, sizeof(diag), "4.3.0 address lookup "
		    "failed: %s", strerror(errno));
		resolve_defer(m, i, diag);
		resolve_result_fini(&rr);
		return;
	}
	switch (rr.status) {
	case RESOLVE_OK:
	case RESOLVE_FOREIGN:
		resolve_targets(m, i, &rr, addr);
		break;
	case RESOLVE_UNKNOWN:
		resolve_fail(m, i, "5.1.1 no such recipient here");
		break;
	case RESOLVE_DISABLED:
		resolve_fail(m, i, "5.2.1 the mailbox is disabled");
		break;
	case RESOLVE_LOOP:
		resolve_fail(m, i, "5.4.6 aliases nest too deep (loop?)");
		break;
	case RESOLVE_TOOMANY:
		resolve_fail(m, i, "5.3.4 an alias expands to too many "
		    "recipients");
		break;
	}
	resolve_result_fini(&rr);
}

/*
 * The maps, kept open by the worker from one message to the next: a
 * worker serves many attempts, and opening the three maps cost each of
 * them ~12 system calls and a 2 KiB read per map.  cdbmap notices a map
 * that tern-maps replaced (a stat at most once a second) and answers
 * every "not found" from the file as it is now (cdbmap.h), so a kept
 * handle resolves as a fresh one would.  A configuration with another
 * map_dir or delimiters (a reload) reopens them.
 */
static struct {
	struct resolve_maps	 maps;
	int			 open;
	char			*dir, *delims;
} kept_maps;

static void
kept_maps_close(void)
{
	if (kept_maps.open)
		resolve_maps_close(&kept_maps.maps);
	kept_maps.open = 0;
	free(kept_maps.dir);
	free(kept_maps.delims);
	kept_maps.dir = kept_maps.delims = NULL;
}

/* The maps of q, opened now or kept from an earlier attempt; or NULL. */
static struct resolve_maps *
kept_maps_get(const struct qmgr *q)
{
	if (kept_maps.open && strcmp(kept_maps.dir, q->map_dir) == 0 &&
	    strcmp(kept_maps.delims, q->delims) == 0)
		return &kept_maps.maps;
	kept_maps_close();
	if ((kept_maps.dir = strdup(q->map_dir)) == NULL ||
	    (kept_maps.delims = strdup(q->delims)) == NULL ||
	    resolve_maps_open(&kept_maps.maps, q->map_dir, q->delims) < 0) {
		kept_maps_close();
		return NULL;
	}
	kept_maps.open = 1;
	return &kept_maps.maps;
}

/* Resolve the due recipients without targets; record it before delivery. */
static int
resolve_all(struct qmgr_msg *m)
{
	struct resolve_maps *maps = NULL;
	size_t i;
	int opened = 0;

	for (i = 0; i < m->st.nr; i++) {
		if (m->st.r[i].n > 0 || !is_due(m, &m->st.r[i].it))
			continue;
		if (opened == 0) {
			maps = kept_maps_get(m->q);
			opened = maps == NULL ? -1 : 1;
			if (opened < 0)
				log_warn_sys("%s cannot open the maps in %s",
				    m->qid, log_esc_s(m->q->map_dir));
		}
		if (opened < 0)
			resolve_defer(m, i, "4.3.0 cannot open the maps");
		else
			resolve_one(m, maps, i);
	}
	/*
	 * An expansion into other addresses is recorded before any of them
	 * is delivered, so a restart uses it even if the maps changed.  A
	 * recipient that resolved to itself is not: the record written
	 * after the attempt (or the removal, all_done) carries it with the
	 * outcome, and a crash before that resolves it again and delivers
	 * again, as a crash after a recorded expansion would (doc/queue.md,
	 * transition 5).  That saves a file, two fsyncs and a rename for
	 * the common message.
	 */
	if (!m->rewritten)
		return 0;
	if (save(m) < 0)
		return -1;
	crash_at("after-expand");
	return 0;
}

/* Delivering. */

static void
gather(struct qmgr_msg *m, enum qstate_kind kind, struct qmgr_item *out,
    size_t *n_r)
{
	size_t i, j, n = 0;

	for (i = 0; i < m->st.nr; i++) {
		const struct qstate_rcpt *r = &m->st.r[i];

		for (j = 0; j < r->n; j++) {
			struct qstate_target *t = &m->st.t[r->first + j];

			if (t->kind != kind || !is_due(m, &t->it))
				continue;
			out[n].it = &t->it;
			out[n].rcpt = i;
			out[n].addr = t->addr;
			out[n].kind = t->kind;
			out[n].host = t->host;
			out[n].relayed = 0;
			n++;
		}
	}
	*n_r = n;
}

/*
 * NOTIFY=SUCCESS (RFC 3461 5.2.2): a "delivered" DSN for the local items
 * just delivered and a "relayed" one for the remote items handed to a
 * next hop that does not offer DSN (one that does reports on its own).
 * Sent after their state is recorded, best effort: a crash in between
 * loses this report (never mail), and a failure to enqueue it is logged.
 */
static void
report_success(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	char newqid[QID_LEN + 1];
	size_t i, k = 0;

	if (m->env.sender[0] == '\0')
		return;
	for (i = 0; i < n; i++)
		if (x[i].it->status == QS_DELIVERED &&
		    (x[i].kind == QS_T_LOCAL || x[i].relayed) &&
		    (m->env.rcpt[x[i].rcpt].notify & ENV_N_SUCCESS) != 0)
			x[k++] = x[i];
	if (k > 0 && qmgr_dsn_send(m, x, k, m->env.sender,
	    QMGR_DSN_DELIVERED, newqid) == 0)
		log_info("%s success-dsn=%s", m->qid, newqid);
}

/*
 * An account moved to another storage host (tern-user move, doc/move.md)
 * while a message for it waited here: a local target being retried whose
 * account's host= is no longer this host becomes a remote one (relayed by
 * the routes), so nothing lands in the Maildir left behind.  Only retries
 * pay for the lookup.
 */
static void
rehome(struct qmgr_msg *m)
{
	struct cdbmap *acc = NULL;
	struct maps_record rec;
	struct sbuf key, path;
	const char *why;
	const void *v;
	size_t i, vlen;
	int r;

	sbuf_init(&key, ENV_ADDR_MAX + 1);
	sbuf_init(&path, QMGR_PATH_MAX);
	for (i = 0; i < m->st.nt; i++) {
		struct qstate_target *t = &m->st.t[i];

		if (t->kind != QS_T_LOCAL || t->it.attempts == 0 ||
		    !is_due(m, &t->it))
			continue;
		if (acc == NULL && (sbuf_printf(&path, "%s/accounts.cdb",
		    m->q->map_dir) < 0 || (acc = cdbmap_open(sbuf_str(&path),
		    CDBMAP_MISSING_OK)) == NULL))
			break;		/* tern-lspawn will say what is wrong */
		sbuf_reset(&key);
		if (maps_key(&key, t->addr, strlen(t->addr)) < 0 ||
		    (r = cdbmap_lookup(acc, key.s, key.len, &v, &vlen)) != 1 ||
		    maps_account_decode(v, vlen, &rec, &why) < 0 ||
		    rec.host.n == 0 || rec.host.n > QSTATE_HOST_MAX)
			continue;
		memcpy(t->host, rec.host.p, rec.host.n);
		t->host[rec.host.n] = '\0';
		if (held_here(m->q, t->host, rec.status == MAPS_MOVING))
			continue;
		t->kind = QS_T_REMOTE;
		m->dirty = 1;
		log_info("%s to=<%s> moved to host=%s: relayed", m->qid,
		    log_esc_s(t->addr), log_esc_s(t->host));
	}
	cdbmap_close(&acc);
	sbuf_fini(&key);
	sbuf_fini(&path);
}

/*
 * Is every recipient (or each of its targets) final, with no success DSN
 * asked for?  Then this attempt's outcome is not written to the state
 * file: finish() removes the message right away, and the unlink of its
 * envelope (transition 7, one fsync) is the durable record that replaces
 * the state write (transition 5: a file, its fsync, a rename, an fsync).
 * A crash before that unlink delivers again, as a crash before the state
 * write would (a duplicate, never a loss); the window is no longer.
 */
static int
all_done(const struct qmgr_msg *m)
{
	size_t i, j;

	for (i = 0; i < m->st.nr; i++) {
		const struct qstate_rcpt *r = &m->st.r[i];

		if (r->n == 0 && !qstate_is_final(r->it.status))
			return 0;
		for (j = 0; j < r->n; j++)
			if (!qstate_is_final(m->st.t[r->first + j].it.status))
				return 0;
		if (m->env.sender[0] != '\0' &&
		    (m->env.rcpt[i].notify & ENV_N_SUCCESS) != 0)
			return 0;
	}
	return 1;
}

static int
deliver_all(struct qmgr_msg *m)
{
	struct qmgr_item *x;
	size_t n, nr;
	int r;

	if (m->st.nt == 0)
		return 0;
	/* Remote items, then local ones (disjoint): both for report_success. */
	if ((x = calloc(m->st.nt, sizeof(*x))) == NULL) {
		log_err_sys("%s deliver", m->qid);
		return -1;
	}
	rehome(m);
	gather(m, QS_T_REMOTE, x, &nr);
	if (nr > 0)
		qmgr_deliver_remote(m, x, nr);
	gather(m, QS_T_LOCAL, x + nr, &n);
	if (n > 0)
		qmgr_deliver_local(m, x + nr, n);
	n += nr;
	if (m->dirty)
		crash_at("after-deliver");	/* before the record */
	/* All done: finish() removes it at once, its record (all_done). */
	r = all_done(m) ? 0 : save(m);
	if (r == 0)
		report_success(m, x, n);
	free(x);
	return r;
}

/* Every item, in envelope order, for the passes below. */
static size_t
all_items(struct qmgr_msg *m, struct qmgr_item *x)
{
	size_t i, j, n = 0;

	for (i = 0; i < m->st.nr; i++) {
		struct qstate_rcpt *r = &m->st.r[i];

		if (r->n == 0) {
			x[n].it = &r->it;
			x[n].rcpt = i;
			x[n].addr = m->env.rcpt[i].addr;
			x[n].kind = QS_T_LOCAL;
			x[n].host = "";
			n++;
		}
		for (j = 0; j < r->n; j++) {
			struct qstate_target *t = &m->st.t[r->first + j];

			x[n].it = &t->it;
			x[n].rcpt = i;
			x[n].addr = t->addr;
			x[n].kind = t->kind;
			x[n].host = t->host;
			n++;
		}
	}
	return n;
}

/* Pending items past queue_lifetime fail with 4.4.7. */
static void
expire(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	char diag[QSTATE_DIAG_MAX + 1];
	size_t i;

	if (m->now < (int64_t)m->env.arrival + (int64_t)m->q->lifetime)
		return;
	for (i = 0; i < n; i++) {
		if (x[i].it->status != QS_PENDING)
			continue;
		(void)snprintf(diag, sizeof(diag), "4.4.7 delivery time "
		    "expired; last error: %.400s", x[i].it->diag[0] != '\0' ?
		    x[i].it->diag : "none");
		qmgr_event(m, &x[i], QE_EXPIRE, "none", diag);
	}
}

static int
wants_dsn(const struct envelope_rcpt *r)
{
	return r->notify == 0 || (r->notify & ENV_N_FAILURE) != 0;
}

/* Report the failed items: a DSN to the sender, or to postmaster. */
static int
bounce(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	struct qmgr_item *f;
	char newqid[QID_LEN + 1];
	size_t i, nf = 0;
	int is_double = m->env.sender[0] == '\0', r = 0;

	if ((f = calloc(n, sizeof(*f))) == NULL)
		return -1;
	for (i = 0; i < n; i++)
		if (x[i].it->status == QS_FAILED &&
		    (is_double || wants_dsn(&m->env.rcpt[x[i].rcpt])))
			f[nf++] = x[i];
	if (is_double && strcmp(m->env.envid, QMGR_DOUBLE_ENVID) == 0 &&
	    nf > 0) {
		log_warn("%s bounce dropped: a failed double bounce", m->qid);
		nf = 0;
	}
	if (nf > 0) {
		r = qmgr_dsn_send(m, f, nf, is_double ? m->q->postmaster :
		    m->env.sender, is_double ? QMGR_DSN_DOUBLE :
		    QMGR_DSN_FAILED, newqid);
		if (r == 0) {
			log_info("%s bounce=%s", m->qid, newqid);
			crash_at("after-bounce");	/* before the record */
		}
	}
	if (r < 0 && errno == EINVAL) {
		/* tern-enqueue refuses it for good: retrying cannot help. */
		log_err("%s bounce dropped: tern-enqueue refused the DSN",
		    m->qid);
		r = 0;
	}
	if (r == 0)
		for (i = 0; i < n; i++)
			if (x[i].it->status == QS_FAILED)
				qmgr_event(m, &x[i], QE_NO_DSN, NULL, NULL);
	free(f);
	if (save(m) < 0)
		return -1;
	return r;
}

static enum qmgr_outcome
finish(struct qmgr_msg *m, int64_t *due_r)
{
	struct qmgr_item *x;
	size_t i, n;
	int64_t due = INT64_MAX;
	int failed = 0, open = 0;

	if ((x = calloc(m->st.nr + m->st.nt, sizeof(*x))) == NULL)
		goto later;
	n = all_items(m, x);
	expire(m, x, n);
	for (i = 0; i < n; i++)
		failed |= x[i].it->status == QS_FAILED;
	if (failed && bounce(m, x, n) < 0) {
		free(x);
		*due_r = m->now + QMGR_DSN_RETRY;
		return QW_DUE;
	}
	for (i = 0; i < n; i++) {
		if (qstate_is_final(x[i].it->status))
			continue;
		open = 1;
		if (x[i].it->status == QS_PENDING && x[i].it->next < due)
			due = x[i].it->next;
	}
	free(x);
	/* Done: the removal below is the record (all_done), not a save. */
	if (open && save(m) < 0)
		goto later;
	if (open) {
		*due_r = due == INT64_MAX ? m->now + QMGR_DSN_RETRY : due;
		return QW_DUE;
	}
	if (qstate_remove(m->q->queue_dir, m->qid) < 0) {
		log_err_sys("%s cannot remove", m->qid);
		(void)save(m);	/* the outcome, for the next attempt */
		goto later;
	}
	log_info("%s removed", m->qid);
	return QW_REMOVED;
later:
	*due_r = m->now + (int64_t)retry_wait(m->q, 1);
	return QW_DUE;
}

enum qmgr_outcome
qmgr_work(const struct qmgr *q, const char *qid, int force, int64_t *due_r)
{
	struct qmgr_msg m;
	enum qmgr_outcome o;

	memset(&m, 0, sizeof(m));
	m.q = q;
	m.qid = qid;
	m.force = force;
	m.now = (int64_t)time(NULL);
	envelope_init(&m.env);
	qstate_init(&m.st);
	*due_r = m.now + QMGR_BROKEN_RETRY;
	o = load(&m);
	if (o == QW_DUE) {
		if (resolve_all(&m) < 0 || deliver_all(&m) < 0)
			*due_r = m.now + (int64_t)retry_wait(q, 1);
		else
			o = finish(&m, due_r);
	}
	qmgr_hold_stop(0);	/* held since the deliveries ended */
	qstate_fini(&m.st);
	envelope_fini(&m.env);
	return o;
}
