/*
 * qmgr_remote.c - hand a message's due remote targets to tern-remote:
 * group them by destination (next hop from routes / relay_host / MX, and
 * TLS policy), take a per-destination slot (remote_concurrency, flock'd
 * files under run_dir/remote), run tern-remote once per group (the
 * interface is lib/remote.h) and turn each result into a qmgr_event.
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

/*
 * A lock on one of remote_concurrency slot files of the destination: the
 * descriptor (close it to release), -2 when none came free in time, or
 * -1 when slots cannot be used (logged; delivery goes on without limit).
 */
static int
slot_take(const struct qmgr *q, const char *hop)
{
	char dir[QMGR_PATH_MAX], path[QMGR_PATH_MAX + 32];
	int64_t deadline = io_deadline_ms(SLOT_WAIT_MS);
	uint64_t i;
	uint32_t h = fnv1a(hop);
	int fd;

	if (q->remote_concurrency == 0)
		return -1;
	if (snprintf(dir, sizeof(dir), "%s/remote", q->run_dir) >=
	    (int)sizeof(dir))
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		log_warn_sys("cannot make %s: no per-destination limit",
		    log_esc_s(dir));
		return -1;
	}
	for (;;) {
		for (i = 0; i < q->remote_concurrency; i++) {
			if (snprintf(path, sizeof(path), "%s/%08x.%llu", dir,
			    (unsigned)h, (unsigned long long)i) >=
			    (int)sizeof(path))
				return -1;
			fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC |
			    O_NOFOLLOW, 0600);
			if (fd < 0) {
				log_warn_sys("cannot open %s: no "
				    "per-destination limit", log_esc_s(path));
				return -1;
			}
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				return fd;
			(void)close(fd);
		}
		if (io_now_ms() >= deadline)
			return -2;
		(void)poll(NULL, 0, SLOT_POLL_MS);
	}
}

/* Running tern-remote. */

static pid_t
spawn(const struct qmgr *q, int msgfd, int sock)
{
	static const char *const allow[] = { "TERN_LOG", "TERN_DEBUG",
	    "LANG", NULL };
	const char *extra[2];
	char path[QMGR_PATH_MAX], home[QMGR_PATH_MAX + 16];
	char *argv[] = { "tern-remote", NULL };
	char **envp;
	int src[3], dst[3] = { 0, 1, 3 }, null;
	pid_t pid;

	if (snprintf(path, sizeof(path), "%s/tern-remote", q->program_dir) >=
	    (int)sizeof(path) || snprintf(home, sizeof(home), "TERN_HOME=%s",
	    q->conf_dir) >= (int)sizeof(home)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	extra[0] = home;
	extra[1] = NULL;
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
	if (io_fd_arrange(src, dst, 3) < 0)
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

/* Run tern-remote for req: 0 with res filled, or -1 (diag in why_r). */
static int
run(const struct qmgr_msg *m, const struct remote_req *req,
    struct remote_result *res, const char **why_r)
{
	struct sbuf path;
	int sp[2] = { -1, -1 }, msgfd = -1, status, r = -1;
	pid_t pid = -1;

	sbuf_init(&path, QMGR_PATH_MAX);
	*why_r = "cannot start tern-remote";
	if (qid_path(m->q->queue_dir, QID_MSG, m->qid, &path) < 0 ||
	    (msgfd = open(path.s, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0 ||
	    (pid = spawn(m->q, msgfd, sp[1])) < 0) {
		log_err_sys("%s cannot start tern-remote", m->qid);
		goto out;
	}
	(void)io_close(&sp[1]);
	(void)io_close(&msgfd);
	r = converse(sp[0], req, res, why_r);
	if (r < 0)
		(void)kill(pid, SIGKILL);
	(void)io_close(&sp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		continue;
	if (r == 0 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		*why_r = "tern-remote failed";
		r = -1;
	}
	if (r < 0)
		log_warn("%s tern-remote: %s", m->qid, *why_r);
out:
	(void)io_close(&sp[0]);
	(void)io_close(&sp[1]);
	(void)io_close(&msgfd);
	sbuf_fini(&path);
	return r;
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
	int lock;

	remote_req_init(&req);
	(void)strlcpy(req.qid, m->qid, sizeof(req.qid));
	(void)strlcpy(req.hop, g->hop, sizeof(req.hop));
	(void)strlcpy(req.sender, m->env.sender, sizeof(req.sender));
	req.tls = g->tls;
	req.body = m->env.body;
	req.flags = m->env.flags;
	if ((slot = calloc(n, sizeof(*slot))) == NULL)
		goto fail;
	for (i = 0; i < n; i++) {
		size_t s = same_as(x, idx, i);

		if (s < i) {
			slot[i] = slot[s];	/* one RCPT per address */
			continue;
		}
		slot[i] = k++;
		if (remote_req_add_rcpt(&req, x[idx[i]].addr) < 0)
			goto fail;
	}
	if ((res = calloc(req.nrcpt, sizeof(*res))) == NULL)
		goto fail;
	if ((lock = slot_take(m->q, g->hop)) == -2) {
		(void)snprintf(diag, sizeof(diag), "4.4.5 more than %llu "
		    "deliveries to %s at once", (unsigned long long)
		    m->q->remote_concurrency, g->hop);
		defer_items(m, x, idx, n, "none", diag);
		goto out;
	}
	if (run(m, &req, res, &why) < 0) {
		(void)snprintf(diag, sizeof(diag), "4.3.0 remote delivery "
		    "unavailable: %s", why);
		defer_items(m, x, idx, n, "none", diag);
	} else {
		for (i = 0; i < n; i++)
			apply(m, &x[idx[i]], &res[slot[i]]);
	}
	if (lock >= 0)
		(void)close(lock);
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
