/*
 * qmgr_remote.c - hand a message's due remote targets to tern-remote:
 * group them by destination (next hop from routes / relay_host / MX, and
 * TLS policy); per group, give the request to an idle tern-remote of that
 * destination (it waits on run_dir/remote/HASH.N.s with its connection
 * open, remote_idle_time), else take a per-destination slot
 * (remote_concurrency, flock'd files run_dir/remote/HASH.N) and start
 * one, which keeps that slot while it lives (the interface is
 * lib/remote.h); turn each result into a qmgr_event.
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
#include "lib/lspawn.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/remote.h"
#include "lib/sbuf.h"

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

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

/* run_dir/remote/HASH.N (sock: HASH.N.s): 0, or -1 too long. */
static int
slot_path(const struct qmgr *q, uint32_t h, uint64_t i, int sock,
    char *out, size_t size)
{
	int n = snprintf(out, size, "%s/remote/%08x.%llu%s", q->run_dir,
	    (unsigned)h, (unsigned long long)i, sock ? ".s" : "");

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/*
 * A lock on a free slot file of the destination: the descriptor (give
 * it to tern-remote, then close it) and its number in *slot_r, -2 when none is free now, or -1 when
 * slots cannot be used (logged; delivery goes on without limit).
 */
static int
slot_lock(const struct qmgr *q, uint32_t h, uint64_t *slot_r)
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
		if (slot_path(q, h, i, 0, path, sizeof(path)) < 0)
			return -1;
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
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
	if (lspawn_read_records(fd, &buf, REMOTE_MSG_MAX,
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

/* sendmsg of the byte 'M' with msgfd: 0, or -1. */
static int
send_msgfd(int fd, int msgfd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct msghdr mh;
	struct iovec iov;
	struct cmsghdr *h;
	char x = 'M';

	memset(&mh, 0, sizeof(mh));
	memset(&cb, 0, sizeof(cb));
	iov.iov_base = &x;
	iov.iov_len = 1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cb.b;
	mh.msg_controllen = sizeof(cb.b);
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &msgfd, sizeof(int));
	return sendmsg(fd, &mh, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/*
 * Give req to the idle tern-remote waiting on spath, if there is one:
 * RUN_NONE when none took it (no socket, refused, reset before its
 * acknowledgement: nothing was sent), else RUN_OK or RUN_FAIL.
 */
static enum run_outcome
use_idle(const struct qmgr_msg *m, const char *spath, int msgfd,
    const struct remote_req *req, struct remote_result *res,
    const char **why_r)
{
	struct sockaddr_un sa;
	struct sbuf buf;
	unsigned char ack[5];
	enum run_outcome o = RUN_NONE;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlcpy(sa.sun_path, spath, sizeof(sa.sun_path)) >=
	    sizeof(sa.sun_path))
		return RUN_NONE;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return RUN_NONE;
	if (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) < 0) {
		(void)close(fd);
		return RUN_NONE;
	}
	sbuf_init(&buf, REMOTE_MSG_MAX);
	if (send_msgfd(fd, msgfd) < 0 || remote_req_encode(req, &buf) < 0 ||
	    io_write_full(fd, buf.s, buf.len) < 0 ||
	    io_wait(fd, POLLIN, io_deadline_ms(RUN_TIMEOUT_MS)) < 0 ||
	    io_read_full(fd, ack, sizeof(ack)) != (ssize_t)sizeof(ack) ||
	    memcmp(ack, "A\0\0\0\0", sizeof(ack)) != 0)
		goto out;
	/* Taken: from here a failure defers, as a crashed tern-remote. */
	o = RUN_FAIL;
	if (lspawn_read_records(fd, &buf, REMOTE_MSG_MAX,
	    io_deadline_ms(RUN_TIMEOUT_MS)) < 0) {
		*why_r = errno == ETIMEDOUT ? "timed out" : "no answer";
		log_warn("%s tern-remote: %s", m->qid, *why_r);
		goto out;
	}
	if (remote_res_decode(buf.s, buf.len, res, req->nrcpt, why_r) < 0) {
		log_warn("%s tern-remote: %s", m->qid, *why_r);
		goto out;
	}
	o = RUN_OK;
out:
	sbuf_fini(&buf);
	(void)close(fd);
	return o;
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
	char spath[QMGR_PATH_MAX + 32];
	struct sbuf path;
	int64_t deadline = io_deadline_ms(SLOT_WAIT_MS);
	uint32_t h = fnv1a(req->hop);
	uint64_t i;
	enum run_outcome o = RUN_FAIL;
	int msgfd = -1, lock;

	sbuf_init(&path, QMGR_PATH_MAX);
	*why_r = "cannot open the message";
	if (qid_path(q->queue_dir, QID_MSG, m->qid, &path) < 0 ||
	    (msgfd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		log_err_sys("%s cannot open the message", m->qid);
		goto out;
	}
	for (;;) {
		for (i = 0; i < q->remote_concurrency; i++) {
			if (slot_path(q, h, i, 1, spath, sizeof(spath)) < 0)
				break;
			if ((o = use_idle(m, spath, msgfd, req, res, why_r)) !=
			    RUN_NONE)
				goto out;
			if (lseek(msgfd, 0, SEEK_SET) < 0) {
				o = RUN_FAIL;
				goto out;
			}
		}
		if ((lock = slot_lock(q, h, &i)) != -2)
			break;
		if (io_now_ms() >= deadline) {
			o = RUN_BUSY;
			goto out;
		}
		(void)poll(NULL, 0, SLOT_POLL_MS);
	}
	/* The slot's socket, when its path fits in a sockaddr_un. */
	if (lock < 0 || slot_path(q, h, i, 1, spath, sizeof(spath)) < 0 ||
	    strlen(spath) >= sizeof(((struct sockaddr_un *)0)->sun_path))
		spath[0] = '\0';
	o = run(m, msgfd, lock, spath[0] != '\0' ? spath : NULL, req, res,
	    why_r);
	if (lock >= 0)
		(void)close(lock);
out:
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
		if (remote_req_add_rcpt_dsn(&req, x[idx[i]].addr,
		    m->env.rcpt[x[idx[i]].rcpt].notify,
		    m->env.rcpt[x[idx[i]].rcpt].orcpt) < 0)
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

void
qmgr_deliver_remote(struct qmgr_msg *m, struct qmgr_item *x, size_t n)
{
	struct group *g = NULL;
	struct cdbmap *routes;
	struct sbuf path;
	size_t *idx = NULL, i, j, k;
	int *done = NULL, ok;

	sbuf_init(&path, QMGR_PATH_MAX);
	if (sbuf_printf(&path, "%s/routes.cdb", m->q->map_dir) < 0 ||
	    (routes = cdbmap_open(path.s, CDBMAP_MISSING_OK)) == NULL) {
		log_warn_sys("%s cannot open the routes map", m->qid);
		for (i = 0; i < n; i++)
			qmgr_event(m, &x[i], QE_DEFER, "none",
			    "4.3.0 cannot open the routes map");
		sbuf_fini(&path);
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
	cdbmap_close(&routes);
	sbuf_fini(&path);
}
