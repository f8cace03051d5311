/*
 * qmgr_deliver.c - hand a message's due targets to their transport:
 * local accounts to tern-lspawn in one request per message (up to
 * LSPAWN_RCPT_MAX recipients each, so the launcher can write the message
 * once and link it into every Maildir), over one connection the worker
 * keeps for its next messages.  Remote addresses go to
 * tern-remote: qmgr_remote.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/lspawn.h"
#include "lib/qid.h"
#include "lib/sbuf.h"

#include "queue/qmgr.h"

/* The connection to tern-lspawn, kept by the worker between messages. */
static int lspawn_fd = -1;

/* The first earlier item of the batch with the same address, or n. */
static size_t
same_as(const struct qmgr_item *x, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(x[i].addr, x[n].addr) == 0)
			return i;
	return n;
}

static void
defer_all(struct qmgr_msg *m, struct qmgr_item *x, size_t n, const char *diag)
{
	size_t i;

	for (i = 0; i < n; i++)
		qmgr_event(m, &x[i], QE_DEFER, "local", diag);
}

static void
apply(struct qmgr_msg *m, struct qmgr_item *x, const struct lspawn_result *r)
{
	char diag[QSTATE_DIAG_MAX + 1];

	switch (r->status) {
	case LSPAWN_OK:
		(void)snprintf(diag, sizeof(diag), "2.0.0 delivered as %s",
		    r->text);
		qmgr_event(m, x, QE_SENT, "local", diag);
		break;
	case LSPAWN_DEFER:
		qmgr_event(m, x, QE_DEFER, "local", r->text);
		break;
	case LSPAWN_BOUNCE:
		qmgr_event(m, x, QE_FAIL, "local", r->text);
		break;
	}
}

/* One request of at most LSPAWN_RCPT_MAX distinct recipients. */
static void
batch(struct qmgr_msg *m, struct qmgr_item *x, size_t n, const char *path)
{
	struct lspawn_req req;
	struct lspawn_results res;
	size_t *slot, i, k = 0;
	char diag[QSTATE_DIAG_MAX + 1];
	int r;

	lspawn_req_init(&req);
	lspawn_results_init(&res);
	if ((slot = calloc(n, sizeof(*slot))) == NULL ||
	    lspawn_req_set(&req, m->qid, path, m->env.sender) < 0)
		goto nomem;
	for (i = 0; i < n; i++) {
		size_t s = same_as(x, i);

		if (s < i) {
			slot[i] = slot[s];	/* one delivery per account */
			continue;
		}
		slot[i] = k++;
		if (lspawn_req_add_rcpt(&req, x[i].addr,
		    m->env.rcpt[x[i].rcpt].addr) < 0)
			goto nomem;
	}
	r = lspawn_deliver_kept(&lspawn_fd, m->q->lspawn_socket, &req, &res);
	/*
	 * The deliveries are done: a stop (SIGTERM from tern-qmgr) waits
	 * until their outcome is recorded (qmgr_work lets it through), so a
	 * restart does not deliver them again.  A crash still may.
	 */
	qmgr_hold_stop(1);
	if (r < 0) {
		(void)snprintf(diag, sizeof(diag), "4.3.0 local delivery "
		    "unavailable: %s", strerror(errno));
		defer_all(m, x, n, diag);
	} else {
		for (i = 0; i < n; i++)
			apply(m, &x[i], &res.r[slot[i]]);
	}
	goto out;
nomem:
	defer_all(m, x, n, "4.3.0 out of memory");
out:
	free(slot);
	lspawn_req_fini(&req);
	lspawn_results_fini(&res);
}

void
qmgr_hold_stop(int hold)
{
	sigset_t set;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigprocmask(hold ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

void
qmgr_deliver_local(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	struct sbuf path;
	size_t i, k;

	sbuf_init(&path, QMGR_PATH_MAX);
	if (qid_path(m->q->queue_dir, QID_MSG, m->qid, &path) < 0) {
		defer_all(m, x, n, "4.3.0 queue path");
		sbuf_fini(&path);
		return;
	}
	for (i = 0; i < n; i += k) {
		k = n - i > LSPAWN_RCPT_MAX ? LSPAWN_RCPT_MAX : n - i;
		batch(m, x + i, k, path.s);
	}
	sbuf_fini(&path);
}
