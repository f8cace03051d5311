/*
 * qmgr_remote.c - hand a message's due remote targets to tern-remote:
 * group them by destination (next hop from routes / relay_host / MX, and
 * TLS policy); per group, give the request to an idle tern-remote of that
 * destination (it waits on its slot's abstract socket DIR/HASH.N.s with
 * its connection open, remote_idle_time), else take a per-destination slot
 * (remote_concurrency, flock'd files run_dir/remote/HASH.N) and give the
 * request with the slot's lock to a new one, which keeps that slot while
 * it lives; turn each result into a qmgr_event (the interface is
 * lib/remote.h).  Where remote_socket exists, the new one is a worker of
 * the remote delivery service (tern-remote -S, running as "user", never
 * as the queue user) and DIR is the folder of remote_socket; else
 * (no service: a non-root make run) tern-remote is executed here, as the
 * queue user, and DIR is run_dir/remote.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "lib/cdbmap.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/smtpp.h"

#include "queue/qmgr.h"

#define RUN_TIMEOUT_MS	(2 * 3600 * 1000)	/* one tern-remote run */
#define SLOT_WAIT_MS	60000	/* wait for a destination slot, then defer */
#define SLOT_POLL_MS	200

struct group {
	char		 hop[REMOTE_HOP_MAX + 1];
	enum remote_tls	 tls;
};

/* What a delivery attempt of one group came to. */
enum run_outcome {
	RUN_OK = 0,		/* results in res */
	RUN_FAIL,		/* taken, no results: defer (why) */
	RUN_BUSY,		/* every slot busy for SLOT_WAIT_MS: defer */
	RUN_NONE		/* not taken by an idle process: go on */
};

static void
defer_items(struct qmgr_msg *m, struct qmgr_item *x, const size_t *idx,
    size_t n, const char *relay, const char *diag)
{
	size_t i;

	for (i = 0; i < n; i++)
		qmgr_event(m, &x[idx[i]], QE_DEFER, relay, diag);
}

/* Destination slots. */

/* run_dir/remote/HASH.N (sock: HASH.N.s): 0, or -1 too long. */
static int
slot_path(const struct qmgr *q, const char *hop, uint64_t i, int sock,
    char *out, size_t size)
{
	char dir[QMGR_PATH_MAX];
	size_t n;

	if (snprintf(dir, sizeof(dir), "%s/remote", q->run_dir) >=
	    (int)sizeof(dir) || i >= REMOTE_SVC_NOSLOT ||
	    remote_slot_path(dir, hop, (unsigned)i, out, size) < 0)
		return -1;
	if (!sock) {
		n = strlen(out);
		out[n - 2] = '\0';	/* the lock file: no ".s" */
	}
	return 0;
}

/*
 * A lock on a free slot file of the destination: the descriptor (give
 * it to tern-remote, then close it) and its number in *slot_r, -2 when none is free now, or -1 when
 * slots cannot be used (logged; delivery goes on without limit).
 */
static int
slot_lock(const struct qmgr *q, const char *hop, uint64_t *slot_r)
{
	char path[QMGR_PATH_MAX + 32];
	uint64_t i;
	int fd;

	if (q->remote_concurrency == 0)
		return -1;
	(void)snprintf(path, sizeof(path), "%s/remote", q->run_dir);
	if (mkdir(path, 0700) < 0 && errno != EEXIST) {
		log_warn_sys("cannot make %s: no per-destination limit",
		    log_esc_s(path));
		return -1;
	}
	for (i = 0; i < q->remote_concurrency; i++) {
		if (slot_path(q, hop, i, 0, path, sizeof(path)) < 0)
			return -1;
		/* Read-only: the service's worker, not ours, holds it. */
		fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		    0600);
		if (fd < 0) {
			log_warn_sys("cannot open %s: no per-destination "
			    "limit", log_esc_s(path));
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
			*slot_r = i;
			return fd;
		}
		(void)close(fd);
	}
	return -2;
}

/* Running tern-remote. */

static pid_t
spawn(const struct qmgr *q, int msgfd, int sock, int lock, const char *spath)
{
	static const char *const allow[] = { "TERN_LOG", "TERN_DEBUG",
	    "LANG", NULL };
	const char *extra[2];
	char path[QMGR_PATH_MAX], home[QMGR_PATH_MAX + 16];
	char *argv[] = { "tern-remote", NULL, NULL, NULL };
	char **envp;
	int src[4], dst[4] = { 0, 1, 3, 4 }, null;
	pid_t pid;

	if (snprintf(path, sizeof(path), "%s/tern-remote", q->program_dir) >=
	    (int)sizeof(path) || snprintf(home, sizeof(home), "TERN_HOME=%s",
	    q->conf_dir) >= (int)sizeof(home)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	extra[0] = home;
	extra[1] = NULL;
	if (lock >= 0 && spath != NULL) {
		argv[1] = "-s";
		argv[2] = (char *)(uintptr_t)spath;
	}
	if ((envp = env_build(allow, extra)) == NULL)
		return -1;
	if ((pid = fork()) != 0) {
		env_free(&envp);
		return pid;
	}
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
		_exit(EXIT_TEMP);
	src[0] = msgfd;
	src[1] = null;
	src[2] = sock;
	src[3] = lock;
	if (io_fd_arrange(src, dst, argv[1] != NULL ? 4 : 3) < 0)
		_exit(EXIT_TEMP);
	(void)execve(path, argv, envp);
	_exit(EXIT_TEMP);
}

/* Write the request, read the results: 0, or -1 with *why_r. */
static int
converse(int fd, const struct remote_req *req, struct remote_result *res,
    const char **why_r)
{
	struct sbuf buf;
	int r = -1;

	sbuf_init(&buf, REMOTE_MSG_MAX);
	if (remote_req_encode(req, &buf) < 0) {
		*why_r = "cannot encode the request";
		goto out;
	}
	if (io_write_full(fd, buf.s, buf.len) < 0) {
		*why_r = "cannot write the request";
		goto out;
	}
	if (remote_read_records(fd, &buf, REMOTE_MSG_MAX,
	    io_deadline_ms(RUN_TIMEOUT_MS)) < 0) {
		*why_r = errno == ETIMEDOUT ? "timed out" : "no answer";
		goto out;
	}
	if (remote_res_decode(buf.s, buf.len, res, req->nrcpt, why_r) < 0)
		goto out;
	r = 0;
out:
	sbuf_fini(&buf);
	return r;
}

/*
 * Start tern-remote for req with the slot lock (lock >= 0: it keeps the
 * slot and then waits on spath for more) and converse: RUN_OK or
 * RUN_FAIL (why_r).  A process that keeps its slot is not waited for;
 * it ends by itself (remote_idle_time) and whoever reaps orphans
 * (tern-supervise, init) reaps it.
 */
static enum run_outcome
run(const struct qmgr_msg *m, int msgfd, int lock, const char *spath,
    const struct remote_req *req, struct remote_result *res,
    const char **why_r)
{
	int sp[2] = { -1, -1 }, status, r;
	pid_t pid, w;

	*why_r = "cannot start tern-remote";
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    (pid = spawn(m->q, msgfd, sp[1], lock, spath)) < 0) {
		log_err_sys("%s cannot start tern-remote", m->qid);
		(void)io_close(&sp[0]);
		(void)io_close(&sp[1]);
		return RUN_FAIL;
	}
	(void)io_close(&sp[1]);
	r = converse(sp[0], req, res, why_r);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	(void)io_close(&sp[0]);
	if (r == 0 && lock >= 0 && spath != NULL) {
		while ((w = waitpid(pid, &status, WNOHANG)) < 0 &&
		    errno == EINTR)
			continue;
		if (w == 0)
			return RUN_OK;	/* it stays: idle for the next */
	} else {
		while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
			continue;
	}
	if (r == 0 && w == pid && (!WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)) {
		*why_r = "tern-remote failed";
		r = -1;
	}
	if (r < 0) {
		log_warn("%s tern-remote: %s", m->qid, *why_r);
		return RUN_FAIL;
	}
	return RUN_OK;
}

/* After the acknowledgement: the results, RUN_OK, or RUN_FAIL. */
static enum run_outcome
results(const struct qmgr_msg *m, int fd, const struct remote_req *req,
    struct remote_result *res, const char **why_r)
{
	struct sbuf buf;
	enum run_outcome o = RUN_FAIL;

	sbuf_init(&buf, REMOTE_MSG_MAX);
	if (remote_read_records(fd, &buf, REMOTE_MSG_MAX,
	    io_deadline_ms(RUN_TIMEOUT_MS)) < 0)
		*why_r = errno == ETIMEDOUT ? "timed out" : "no answer";
	else if (remote_res_decode(buf.s, buf.len, res, req->nrcpt,
	    why_r) == 0)
		o = RUN_OK;
	if (o != RUN_OK)
		log_warn("%s tern-remote: %s", m->qid, *why_r);
	sbuf_fini(&buf);
	return o;
}

/*
 * Give req to the idle tern-remote of the destination's slot i, if there
 * is one (running as uid): RUN_NONE when none took it (not listening,
 * another uid, reset before its acknowledgement: nothing was sent),
 * else RUN_OK or RUN_FAIL.  *fdp: the socket to try with (-1: make one),
 * kept for the next slot while no connection was made.
 */
static enum run_outcome
use_idle(const struct qmgr_msg *m, const char *dir, uint64_t i, uid_t uid,
    int *fdp, int msgfd, const struct remote_req *req,
    struct remote_result *res, const char **why_r)
{
	char name[QMGR_PATH_MAX + 32];
	enum run_outcome o = RUN_NONE;

	if (i >= REMOTE_SVC_NOSLOT || remote_slot_path(dir, req->hop,
	    (unsigned)i, name, sizeof(name)) < 0 ||
	    remote_slot_connect(fdp, name, uid) < 0)
		return RUN_NONE;
	if (remote_kept_send(*fdp, msgfd, req) == 0 &&
	    remote_ack_recv(*fdp, io_deadline_ms(RUN_TIMEOUT_MS)) == 0)
		/* Taken: from here a failure defers, as a crash. */
		o = results(m, *fdp, req, res, why_r);
	(void)io_close(fdp);
	return o;
}

/*
 * Give req, the message and the slot's lock (lock < 0: none; slot i) to
 * a worker of the remote delivery service: RUN_OK or RUN_FAIL (why_r).
 */
static enum run_outcome
use_service(const struct qmgr_msg *m, int msgfd, int lock, uint64_t i,
    const struct remote_req *req, struct remote_result *res,
    const char **why_r)
{
	enum run_outcome o = RUN_FAIL;
	int fd;

	*why_r = "the remote delivery service does not answer";
	if ((fd = remote_svc_connect(m->q->remote_socket, SLOT_WAIT_MS)) < 0) {
		log_warn_sys("%s cannot reach the remote delivery service %s",
		    m->qid, log_esc_s(m->q->remote_socket));
		return RUN_FAIL;
	}
	if (remote_svc_send(fd, lock >= 0 ? (unsigned)i : REMOTE_SVC_NOSLOT,
	    msgfd, lock, req) == 0 &&
	    remote_ack_recv(fd, io_deadline_ms(SLOT_WAIT_MS)) == 0)
		o = results(m, fd, req, res, why_r);
	else
		log_warn("%s tern-remote: %s", m->qid, *why_r);
	(void)close(fd);
	return o;
}

/*
 * Is the remote delivery service there (its socket exists)?  *uid_r:
 * the uid its processes run as (the socket's owner: only it can make
 * one in that folder), else ours (the tern-remote we execute).
 */
static int
service_up(const struct qmgr *q, uid_t *uid_r)
{
	struct stat st;

	*uid_r = geteuid();
	if (q->remote_socket[0] == '\0' || lstat(q->remote_socket, &st) < 0 ||
	    !S_ISSOCK(st.st_mode))
		return 0;
	*uid_r = st.st_uid;
	return 1;
}

/* DIR of the slot sockets' names: remote_socket's, or run_dir/remote. */
static int
sock_dir(const struct qmgr *q, int svc, char *out, size_t size)
{
	const char *slash;
	int n;

	if (svc) {
		if ((slash = strrchr(q->remote_socket, '/')) == NULL)
			return -1;
		n = snprintf(out, size, "%.*s", (int)(slash -
		    q->remote_socket), q->remote_socket);
	} else
		n = snprintf(out, size, "%s/remote", q->run_dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * Deliver req: to an idle tern-remote of the destination, else through
 * a new one on a free slot, waiting up to SLOT_WAIT_MS for either.
 */
static enum run_outcome
attempt(const struct qmgr_msg *m, const struct remote_req *req,
    struct remote_result *res, const char **why_r)
{
	const struct qmgr *q = m->q;
	char spath[QMGR_PATH_MAX + 32], dir[QMGR_PATH_MAX];
	struct sbuf path;
	int64_t deadline = io_deadline_ms(SLOT_WAIT_MS);
	uint64_t i = 0;
	enum run_outcome o = RUN_FAIL;
	static struct {
		char	 hop[REMOTE_HOP_MAX + 1];
		uint64_t slot;
	} last;
	uint64_t start, k;
	uid_t uid;
	int msgfd = -1, lock, svc = service_up(q, &uid), socks, cfd = -1;

	sbuf_init(&path, QMGR_PATH_MAX);
	*why_r = "cannot open the message";
	if (qid_path(q->queue_dir, QID_MSG, m->qid, &path) < 0 ||
	    (msgfd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		log_err_sys("%s cannot open the message", m->qid);
		goto out;
	}
	socks = sock_dir(q, svc, dir, sizeof(dir)) == 0;
	/* This worker's last slot of the destination first: likely idle. */
	start = strcmp(last.hop, req->hop) == 0 ? last.slot : 0;
	for (;;) {
		for (k = 0; socks && k < q->remote_concurrency; k++) {
			i = (start + k) % q->remote_concurrency;
			if ((o = use_idle(m, dir, i, uid, &cfd, msgfd, req, res,
			    why_r)) != RUN_NONE)
				goto out;
			/* A connection was made (and closed): rewind. */
			if (cfd < 0 && lseek(msgfd, 0, SEEK_SET) < 0) {
				o = RUN_FAIL;
				goto out;
			}
		}
		if ((lock = slot_lock(q, req->hop, &i)) != -2)
			break;
		if (io_now_ms() >= deadline) {
			o = RUN_BUSY;
			goto out;
		}
		(void)poll(NULL, 0, SLOT_POLL_MS);
	}
	if (svc)
		o = use_service(m, msgfd, lock, i, req, res, why_r);
	else {
		/* The slot's socket, when its path fits in a sockaddr_un. */
		if (lock < 0 || !socks || remote_slot_path(dir, req->hop,
		    (unsigned)i, spath, sizeof(spath)) < 0)
			spath[0] = '\0';
		o = run(m, msgfd, lock, spath[0] != '\0' ? spath : NULL, req,
		    res, why_r);
	}
	if (lock >= 0)
		(void)close(lock);
out:
	if (o == RUN_OK) {
		(void)strlcpy(last.hop, req->hop, sizeof(last.hop));
		last.slot = i;
	}
	(void)io_close(&cfd);
	(void)io_close(&msgfd);
	sbuf_fini(&path);
	return o;
}

/* The first earlier item of the group with the same address, or k. */
static size_t
same_as(const struct qmgr_item *x, const size_t *idx, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (strcasecmp(x[idx[i]].addr, x[idx[k]].addr) == 0)
			return i;
	return k;
}

static void
apply(struct qmgr_msg *m, struct qmgr_item *x,
    const struct remote_result *r)
{
	const char *relay = r->relay[0] != '\0' ? r->relay : "none";

	switch (r->status) {
	case REMOTE_SENT:
		x->relayed = !r->dsn_passed;
		qmgr_event(m, x, QE_SENT, relay, r->diag);
		break;
	case REMOTE_DEFER:
		qmgr_event(m, x, QE_DEFER, relay, r->diag);
		break;
	case REMOTE_BOUNCE:
		qmgr_event(m, x, QE_FAIL, relay, r->diag);
		break;
	}
}

/*
 * A recipient with its DSN parameters: NOTIFY as received, ORCPT as
 * received, else (as Postfix does) the envelope's recipient, the address
 * before alias expansion, so that the final report names what the sender
 * wrote.  0, or -1.
 */
static int
add_rcpt(const struct qmgr_msg *m, struct remote_req *req,
    const struct qmgr_item *x)
{
	const struct envelope_rcpt *r = &m->env.rcpt[x->rcpt];
	struct sbuf o;
	int rc;

	if (r->orcpt[0] != '\0')
		return remote_req_add_rcpt_dsn(req, x->addr, r->notify,
		    r->orcpt);
	sbuf_init(&o, ENV_ORCPT_MAX + 1);
	if (sbuf_cat_s(&o, "rfc822;") < 0 ||
	    smtpp_xtext_encode(r->addr, strlen(r->addr), &o) < 0 ||
	    sbuf_str(&o) == NULL)
		sbuf_reset(&o);		/* too long: none */
	rc = remote_req_add_rcpt_dsn(req, x->addr, r->notify,
	    o.len > 0 ? o.s : NULL);
	sbuf_fini(&o);
	return rc;
}

/* One destination: at most REMOTE_RCPT_MAX items (indexes into x). */
static void
deliver_group(struct qmgr_msg *m, struct qmgr_item *x, const size_t *idx,
    size_t n, const struct group *g)
{
	struct remote_req req;
	struct remote_result *res = NULL;
	size_t *slot = NULL, i, k = 0;
	const char *why = "out of memory";
	char diag[QSTATE_DIAG_MAX + 1];

	remote_req_init(&req);
	(void)strlcpy(req.qid, m->qid, sizeof(req.qid));
	(void)strlcpy(req.hop, g->hop, sizeof(req.hop));
	(void)strlcpy(req.sender, m->env.sender, sizeof(req.sender));
	req.tls = g->tls;
	req.body = m->env.body;
	req.flags = m->env.flags;
	req.ret = m->env.ret;
	(void)strlcpy(req.envid, m->env.envid, sizeof(req.envid));
	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		size_t s = same_as(x, idx, i);

		if (s < i) {
			slot[i] = slot[s];	/* one RCPT per address */
			continue;
		}
		slot[i] = k++;
		if (add_rcpt(m, &req, &x[idx[i]]) < 0)
			goto fail;
	}
	if ((res = calloc(req.nrcpt, sizeof(*res))) == NULL)
		goto fail;
	switch (attempt(m, &req, res, &why)) {
	case RUN_OK:
		for (i = 0; i < n; i++)
			apply(m, &x[idx[i]], &res[slot[i]]);
		break;
	case RUN_BUSY:
		(void)snprintf(diag, sizeof(diag), "4.4.5 more than %llu "
		    "deliveries to %s at once", (unsigned long long)
		    m->q->remote_concurrency, g->hop);
		defer_items(m, x, idx, n, "none", diag);
		break;
	case RUN_FAIL:
	case RUN_NONE:
		(void)snprintf(diag, sizeof(diag), "4.3.0 remote delivery "
		    "unavailable: %s", why);
		defer_items(m, x, idx, n, "none", diag);
		break;
	}
	goto out;
fail:
	defer_items(m, x, idx, n, "none", "4.3.0 out of memory");
out:
	free(res);
	free(slot);
	remote_req_fini(&req);
}

static void
destination(const struct qmgr *q, struct cdbmap *routes,
    const struct qmgr_item *x, struct group *g, int *ok_r)
{
	const char *at = strrchr(x->addr, '@');

	*ok_r = remote_dest(routes, q->relay_host, x->addr, x->host,
	    g->hop) == 0;
	g->tls = remote_tls_policy(q->tls_words, q->ntls, at != NULL ?
	    at + 1 : x->addr, (enum remote_tls)q->tls_default);
}

/*
 * The routes map, opened once per process (a qmgr worker lives for many
 * messages; lib/cdbmap notices a recompiled file by itself): NULL when
 * it cannot be opened (logged).
 */
static struct cdbmap *
routes_map(const struct qmgr_msg *m)
{
	static struct cdbmap *routes;
	static pid_t owner;
	struct sbuf path;

	if (routes != NULL && owner == getpid())
		return routes;
	routes = NULL;		/* a parent's copy is left to the parent */
	sbuf_init(&path, QMGR_PATH_MAX);
	if (sbuf_printf(&path, "%s/routes.cdb", m->q->map_dir) < 0 ||
	    (routes = cdbmap_open(path.s, CDBMAP_MISSING_OK)) == NULL)
		log_warn_sys("%s cannot open the routes map", m->qid);
	else
		owner = getpid();
	sbuf_fini(&path);
	return routes;
}

void
qmgr_deliver_remote(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	struct group *g = NULL;
	struct cdbmap *routes;
	size_t *idx = NULL, i, j, k;
	int *done = NULL, ok;

	if ((routes = routes_map(m)) == NULL) {
		for (i = 0; i < n; i++)
			qmgr_event(m, &x[i], QE_DEFER, "none",
			    "4.3.0 cannot open the routes map");
		return;
	}
	if ((g = calloc(n, sizeof(*g))) == NULL ||
	    (idx = calloc(n, sizeof(*idx))) == NULL ||
	    (done = calloc(n, sizeof(*done))) == NULL) {
		for (i = 0; i < n; i++)
			qmgr_event(m, &x[i], QE_DEFER, "none",
			    "4.3.0 out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		destination(m->q, routes, &x[i], &g[i], &ok);
		if (!ok) {
			qmgr_event(m, &x[i], QE_DEFER, "none",
			    "4.3.5 cannot find the next hop (routes map)");
			done[i] = 1;
		}
	}
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		for (j = i, k = 0; j < n && k < REMOTE_RCPT_MAX; j++) {
			if (done[j] || g[j].tls != g[i].tls ||
			    strcasecmp(g[j].hop, g[i].hop) != 0)
				continue;
			idx[k++] = j;
			done[j] = 1;
		}
		deliver_group(m, x, idx, k, &g[i]);
	}
out:
	free(done);
	free(idx);
	free(g);
}
