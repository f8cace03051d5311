/*
 * enqueue_svc.c - tern-enqueue -S: the enqueue service (tern-enqueue(8),
 * lib/enqsvc.h).
 *
 * The master, started once by tern-supervise as the queue user (the
 * configuration read, ids dropped, the socket bound), keeps ENQ_IDLE
 * workers forked and waiting in accept() on the service socket, at most
 * ENQ_MAX in all.  A worker takes one connection, checks the peer's uid,
 * receives the message and envelope descriptors, tells the master it is
 * busy (so another is forked if too few are idle), puts the descriptors on
 * fd 0 and 1 and returns to tern-enqueue's main, which commits the
 * message exactly as an exec'd tern-enqueue does; an exit code other than
 * 0 is sent back as "!CODE" (enqsvc.h).
 *
 * A worker serves many messages: after a commit, main calls
 * enqueue_next(), which closes the message's descriptors (/dev/null takes
 * fd 0 and 1 again, so the client reads end of file after the id), tells
 * the master the worker is idle, and waits for the next connection.  Every
 * failure still ends the worker (die(): the "!CODE" reply, and the master
 * forks a fresh one), so no state of a failed message reaches the next;
 * a worker also ends after ENQ_WORKER_MSGS messages or ENQ_WORKER_SECS
 * seconds, so no slow leak or stale state lives long.  What the service
 * saves per message is the fork, the execve, the dynamic linking and the
 * reading of tern.conf (bench/smtp).
 *
 * An idle worker dies with the master (PR_SET_PDEATHSIG) or a signal; a
 * busy one finishes its message, then notices a gone master and ends.
 * SIGTERM stops the master (the socket is removed, so tern-smtpd executes
 * tern-enqueue meanwhile); SIGHUP stops it when tern.conf changed, and
 * tern-supervise starts it again.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/enqsvc.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/prefork.h"
#include "lib/priv.h"
#include "lib/queue.h"
#include "lib/sbuf.h"

#include "queue/enqueue.h"

#define ENQ_IDLE	4	/* workers waiting for a message */
#define ENQ_MAX		64	/* workers in all: sessions in DATA at once
				 * beyond it wait in the socket's backlog */
#define ENQ_FORK_PAUSE	1000	/* ms after a failed fork */
#define ENQ_WORKER_MSGS	1000	/* messages a worker serves, then ends */
#define ENQ_WORKER_SECS	600	/* seconds a worker lives, then ends after
				 * its message */

static const struct prefork_limits enq_limits = {
	.idle = ENQ_IDLE,
	.max = ENQ_MAX,
	.requests = ENQ_WORKER_MSGS,
	.secs = ENQ_WORKER_SECS,
	.pause_ms = ENQ_FORK_PAUSE,
};

static struct {
	struct prefork	 pool;
	uid_t		 peer_ok;	/* tern-smtpd's uid ("user") */
	int		 has_peer_ok;
	const char	*path;
	struct conf	*cf;
} S;

static int worker_out = -1;	/* fd 1 of a worker's message: "!CODE" */
static int worker_null = -1;	/* /dev/null: fd 0 and 1 between messages */

/* Say why no message was committed (on_exit: the code of exit/die). */
static void
report(int code, void *arg)
{
	char line[8];
	int n;

	(void)arg;
	if (code == EXIT_OK || worker_out < 0)
		return;
	n = snprintf(line, sizeof line, "!%d\n", code & 0xff);
	if (n > 0 && (size_t)n < sizeof line)
		/* Best effort: a gone peer reads EOF, which says 111. */
		(void)send(worker_out, line, (size_t)n,
		    MSG_NOSIGNAL | MSG_DONTWAIT);
}

/* Only tern-smtpd's user, root, or our own uid (a non-root install). */
static int
peer_allowed(int conn, uid_t *uid_r)
{
	if (enqsvc_peer_uid(conn, uid_r) < 0) {
		log_warn_sys("service: SO_PEERCRED");
		return 0;
	}
	if (*uid_r == 0 || *uid_r == getuid() ||
	    (S.has_peer_ok && *uid_r == S.peer_ok))
		return 1;
	log_warn("service: connection from uid %lu refused",
	    (unsigned long)*uid_r);
	return 0;
}

/* Put a received descriptor on fd to (0 or 1), closing the original. */
static void
place(int from, int to)
{
	if (dup2(from, to) < 0 || close(from) < 0)
		die_sys(EXIT_TEMP, "service: descriptors");
}

/*
 * Wait for one message: 0 with it on fd 0 and 1, or -1 when the master is
 * gone (the worker must end).
 */
static int
worker_wait(uid_t *caller_r)
{
	int conn, fds[2];

	for (;;) {
		if ((conn = prefork_accept(&S.pool)) < 0) {
			if (errno == ESRCH)
				return -1;
			die_sys(EXIT_TEMP, "service: accept");
		}
		if (peer_allowed(conn, caller_r) &&
		    enqsvc_recv(conn, fds) == 0)
			break;
		if (errno == EPROTO)
			log_warn("service: malformed request refused");
		(void)close(conn);	/* refused: wait for the next */
	}
	(void)close(conn);	/* the descriptors came; nothing else does */
	/*
	 * Busy: finish this message even if the master goes, or the
	 * supervisor signals the service's process group (stop, reload).
	 */
	if (prefork_busy(&S.pool) < 0)
		log_warn_sys("service: cannot tell the master");
	/* fd 0 and 1 hold /dev/null, so fds[] are both above 1. */
	place(fds[0], 0);
	place(fds[1], 1);
	worker_out = 1;
	return 0;
}

/* A new worker: set up, then wait for its first message. */
static void
worker(uid_t *caller_r)
{
	(void)prctl(PR_SET_NAME, "tern-enqueue-w");	/* ps, crash.t */
	/* fd 0 and 1 are always open, so a received descriptor is above. */
	if ((worker_null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    (fcntl(0, F_GETFD) < 0 && dup2(worker_null, 0) < 0) ||
	    (fcntl(1, F_GETFD) < 0 && dup2(worker_null, 1) < 0))
		die_sys(EXIT_TEMP, "service: /dev/null");
	if (on_exit(report, NULL) != 0)
		die(EXIT_TEMP, "service: on_exit");
	if (worker_wait(caller_r) < 0)
		_exit(EXIT_TEMP);	/* the master is gone already */
}

int
enqueue_next(uid_t *caller_r)
{
	/* The id is sent: no "!CODE" may follow it, whatever happens. */
	worker_out = -1;
	/* The message's descriptors go: the client reads end of file. */
	if (dup2(worker_null, 0) < 0 || dup2(worker_null, 1) < 0)
		die_sys(EXIT_TEMP, "service: descriptors");
	/* Its bound of messages or time reached: the master forks anew. */
	if (!prefork_again(&S.pool) || worker_wait(caller_r) < 0)
		return 0;
	return 1;
}


/*
 * The socket's folder: tern-setup makes it (the queue user's, group of
 * tern-smtpd's user, 0710); a non-root run (make run) has none, so make
 * it here, ours alone.
 */
static void
sock_dir(const char *path)
{
	struct sbuf d;
	char *slash;

	sbuf_init(&d, 4096);
	if (sbuf_set_s(&d, path) < 0 || sbuf_str(&d) == NULL)
		die_sys(EXIT_TEMP, "enqueue_socket %s", log_esc_s(path));
	if ((slash = strrchr(d.s, '/')) != NULL && slash != d.s) {
		*slash = '\0';
		if (mkdir(d.s, 0700) < 0 && errno != EEXIST)
			die_sys(EXIT_TEMP, "mkdir %s", log_esc_s(d.s));
	}
	sbuf_fini(&d);
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
	(void)unlink(S.path);	/* best effort: smtpd falls back to exec */
	log_info("service: stopping");
	exit(EXIT_OK);
}

static void
setup(struct conf *cf)
{
	const char *user;
	gid_t gid;
	int lfd;

	S.cf = cf;
	if ((S.path = conf_path(cf, "enqueue_socket")) == NULL)
		die(EXIT_TEMP, "bad enqueue_socket");
	if ((user = conf_str(cf, "user")) != NULL &&
	    priv_lookup(user, &S.peer_ok, &gid) == 0)
		S.has_peer_ok = 1;
	sock_dir(S.path);
	if ((lfd = enqsvc_listen(S.path)) < 0)
		die_sys(EXIT_TEMP, "service: cannot listen on %s",
		    log_esc_s(S.path));
	if (prefork_init(&S.pool, &enq_limits, lfd, cf) < 0)
		die_sys(EXIT_TEMP, "service: pipe and signals");
	log_info("service: listening socket=%s workers=%d..%d",
	    log_esc_s(S.path), ENQ_IDLE, ENQ_MAX);
}

void
enqueue_serve(struct conf *cf, uid_t *caller_r)
{
	int r;

	setup(cf);
	while ((r = prefork_master(&S.pool)) == PREFORK_FORKFAIL)
		log_warn_sys("service: fork");
	if (r != PREFORK_WORKER)
		stop(r);
	worker(caller_r);	/* a worker with its message */
}
