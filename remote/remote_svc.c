/*
 * remote_svc.c - tern-remote -S: the remote delivery service
 * (tern-remote(8), lib/remote.h SERVICE).
 *
 * tern-supervise starts the master once as "user" (never the queue
 * user): it reads tern.conf, makes the TLS client context, binds
 * remote_socket and keeps RSVC_IDLE workers forked and waiting in
 * accept() on it, at most RSVC_MAX in all.  A worker takes one
 * connection from tern-qmgr's worker, checks the peer's uid (the queue
 * user or root only), receives the message and slot lock descriptors and
 * the request, acknowledges, tells the master it is busy (so another is
 * forked) and returns to tern-remote's main, which delivers and then,
 * holding the slot, waits on the slot's abstract socket for
 * more messages to the same destination (its connection kept), as an
 * exec'd "tern-remote -s" does, until remote_idle_time passes.  So the
 * process that parses remote servers' replies never holds the queue
 * user's rights: only the read-only descriptor of one message.
 *
 * An idle worker dies with the master (PR_SET_PDEATHSIG); a busy one
 * finishes its message and then ends on SIGTERM instead of waiting for
 * more.  SIGTERM stops the master (the socket removed: tern-qmgr then
 * executes tern-remote meanwhile); SIGHUP stops it when tern.conf
 * changed, and tern-supervise starts it again.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "lib/conf.h"
#include "lib/enqsvc.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/prefork.h"
#include "lib/priv.h"
#include "lib/remote.h"
#include "lib/sbuf.h"

#include "remote/remote_int.h"

#define RSVC_IDLE	4	/* workers waiting for a first message */
#define RSVC_MAX	256	/* workers in all, kept ones included: beyond
				 * it tern-qmgr waits in the backlog */
#define RSVC_FORK_PAUSE	1000	/* ms after a failed fork */
#define RSVC_HELLO_MS	10000	/* tern-qmgr sends at once */

static const struct prefork_limits rsvc_limits = {
	.idle = RSVC_IDLE,
	.max = RSVC_MAX,
	.requests = 1,		/* then the worker is a kept process */
	.secs = 0,
	.pause_ms = RSVC_FORK_PAUSE,
};

static struct {
	struct prefork	 pool;
	uid_t		 peer_ok;	/* the queue user's uid */
	const char	*path;
	struct conf	*cf;
} S;

volatile sig_atomic_t rmt_stop;

static void
on_term(int sig)
{
	(void)sig;
	rmt_stop = 1;
}

int
rsvc_peer_ok(int conn)
{
	uid_t uid;

	if (enqsvc_peer_uid(conn, &uid) < 0) {
		log_warn_sys("service: SO_PEERCRED");
		return 0;
	}
	if (uid == 0 || uid == S.peer_ok)
		return 1;
	log_warn("service: connection from uid %lu refused",
	    (unsigned long)uid);
	return 0;
}

/* The folder of remote_socket, into out: 0, or -1. */
static int
sock_dir(char *out, size_t size)
{
	char *slash;

	if (strlcpy(out, S.path, size) >= size ||
	    (slash = strrchr(out, '/')) == NULL)
		return -1;
	if (slash == out)
		slash[1] = '\0';
	else
		*slash = '\0';
	return 0;
}

/* One connection: 0 with the job filled, or -1 (refused, closed). */
static int
take(int conn, struct remote_req *req, struct rsvc_job *job)
{
	char dir[sizeof(job->spath)];

	job->msgfd = job->lockfd = -1;
	job->spath[0] = '\0';
	if (!rsvc_peer_ok(conn))
		return -1;
	if (remote_svc_recv(conn, io_deadline_ms(RSVC_HELLO_MS), &job->slot,
	    &job->msgfd, &job->lockfd) < 0) {
		if (errno == EPROTO)
			log_warn("service: malformed hello refused");
		return -1;
	}
	if (rmt_read_request(conn, req) < 0 || remote_ack_send(conn) < 0) {
		(void)io_close(&job->msgfd);
		(void)io_close(&job->lockfd);
		return -1;
	}
	if (job->lockfd >= 0 && (sock_dir(dir, sizeof(dir)) < 0 ||
	    remote_slot_path(dir, req->hop, job->slot, job->spath,
	    sizeof(job->spath)) < 0)) {
		log_warn("service: no slot socket for %s",
		    log_esc_s(req->hop));
		job->spath[0] = '\0';
	}
	job->conn = conn;
	return 0;
}

/* A worker: wait for one request; return with it. */
static void
worker(struct remote_req *req, struct rsvc_job *job)
{
	struct sigaction sa;
	int conn;

	for (;;) {
		if ((conn = prefork_accept(&S.pool)) < 0) {
			if (errno == ESRCH)
				_exit(EXIT_TEMP);	/* the master is gone */
			die_sys(EXIT_TEMP, "service: accept");
		}
		if (take(conn, req, job) == 0)
			break;
		(void)close(conn);	/* refused: wait for the next */
	}
	/*
	 * Busy: finish this message even if the master goes; a stop
	 * (SIGTERM to the service's group) ends it after the message.
	 */
	if (prefork_busy(&S.pool) < 0)
		log_warn_sys("service: cannot tell the master");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
}


/*
 * The socket's folder: tern-setup makes it ("user"'s, group of the
 * queue user, 0710); where there is none (a test), make it ours alone.
 */
static void
make_dir(void)
{
	char dir[sizeof(((struct rsvc_job *)0)->spath)];

	if (sock_dir(dir, sizeof(dir)) < 0)
		die(EXIT_TEMP, "remote_socket %s: too long", log_esc_s(S.path));
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		die_sys(EXIT_TEMP, "mkdir %s", log_esc_s(dir));
}

/*
 * Stop (r: PREFORK_STOP, or -1 when poll failed): no new connection;
 * idle workers go with us (PDEATHSIG), busy ones finish.
 */
static void __attribute__((noreturn))
stop(int r)
{
	if (r < 0)
		die_sys(EXIT_TEMP, "service: poll");
	(void)unlink(S.path);	/* tern-qmgr executes tern-remote meanwhile */
	log_info("service: stopping");
	exit(EXIT_OK);
}

static void
setup(struct conf *cf)
{
	const char *qu;
	gid_t gid;
	int lfd;

	S.cf = cf;
	if ((S.path = conf_path(cf, "remote_socket")) == NULL)
		die(EXIT_TEMP, "bad remote_socket");
	/* The queue user's uid; a run without one: our own. */
	S.peer_ok = getuid();
	if ((qu = conf_str(cf, "queue_user")) != NULL &&
	    priv_lookup(qu, &S.peer_ok, &gid) < 0)
		S.peer_ok = getuid();
	make_dir();
	if ((lfd = enqsvc_listen(S.path)) < 0)
		die_sys(EXIT_TEMP, "service: cannot listen on %s",
		    log_esc_s(S.path));
	if (prefork_init(&S.pool, &rsvc_limits, lfd, cf) < 0)
		die_sys(EXIT_TEMP, "service: pipe and signals");
	log_info("service: listening socket=%s workers=%d..%d peer_uid=%lu",
	    log_esc_s(S.path), RSVC_IDLE, RSVC_MAX, (unsigned long)S.peer_ok);
}

void
rsvc_serve(struct conf *cf, struct remote_req *req, struct rsvc_job *job)
{
	int r;

	setup(cf);
	while ((r = prefork_master(&S.pool)) == PREFORK_FORKFAIL)
		log_warn_sys("service: fork");
	if (r != PREFORK_WORKER)
		stop(r);
	worker(req, job);	/* a worker with its request */
}
