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
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/enqsvc.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/queue.h"
#include "lib/sbuf.h"
#include "lib/selfpipe.h"

#include "queue/enqueue.h"

#define ENQ_IDLE	4	/* workers waiting for a message */
#define ENQ_MAX		64	/* workers in all: sessions in DATA at once
				 * beyond it wait in the socket's backlog */
#define ENQ_FORK_PAUSE	1000	/* ms after a failed fork */
#define ENQ_WORKER_MSGS	1000	/* messages a worker serves, then ends */
#define ENQ_WORKER_SECS	600	/* seconds a worker lives, then ends after
				 * its message */

enum wstate { W_FREE, W_IDLE, W_BUSY };

static struct {
	pid_t		 pid[ENQ_MAX];
	enum wstate	 st[ENQ_MAX];
	int		 lfd;		/* the service socket */
	int		 busy[2];	/* workers write their pid when busy,
					 * minus their pid when idle again */
	uid_t		 peer_ok;	/* tern-smtpd's uid ("user") */
	int		 has_peer_ok;
	const char	*path;
	struct conf	*cf;
	pid_t		 master;
} S;

static int worker_out = -1;	/* fd 1 of a worker's message: "!CODE" */
static int worker_null = -1;	/* /dev/null: fd 0 and 1 between messages */
static unsigned long worker_served;
static time_t worker_born;

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

/* Tell the master this worker's state: pid busy, -pid idle again. */
static void
tell_master(pid_t v)
{
	if (io_write_full(S.busy[1], &v, sizeof v) < 0)
		log_warn_sys("service: cannot tell the master");
}

/*
 * Idle: die with the master, and with the supervisor's signals.  0, or -1
 * when the master is gone already (the worker must end).
 */
static int
idle_signals(void)
{
	(void)signal(SIGTERM, SIG_DFL);
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != S.master)
		return -1;
	return 0;
}

/* Put a received descriptor on fd to (0 or 1), closing the original. */
static void
place(int from, int to)
{
	if (dup2(from, to) < 0 || close(from) < 0)
		die_sys(EXIT_TEMP, "service: descriptors");
}

/* Wait for one message; return with it on fd 0 and 1. */
static void
worker_wait(uid_t *caller_r)
{
	int conn, fds[2];

	for (;;) {
		conn = accept4(S.lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
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
	(void)prctl(PR_SET_PDEATHSIG, 0);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	tell_master(getpid());
	/* fd 0 and 1 hold /dev/null, so fds[] are both above 1. */
	place(fds[0], 0);
	place(fds[1], 1);
	worker_out = 1;
}

/* A new worker: set up, then wait for its first message. */
static void
worker(uid_t *caller_r)
{
	selfpipe_fini();
	if (idle_signals() < 0)
		_exit(EXIT_TEMP);	/* the master is gone already */
	(void)prctl(PR_SET_NAME, "tern-enqueue-w");	/* ps, crash.t */
	(void)close(S.busy[0]);
	worker_born = time(NULL);
	/* fd 0 and 1 are always open, so a received descriptor is above. */
	if ((worker_null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    (fcntl(0, F_GETFD) < 0 && dup2(worker_null, 0) < 0) ||
	    (fcntl(1, F_GETFD) < 0 && dup2(worker_null, 1) < 0))
		die_sys(EXIT_TEMP, "service: /dev/null");
	if (on_exit(report, NULL) != 0)
		die(EXIT_TEMP, "service: on_exit");
	worker_wait(caller_r);
}

int
enqueue_next(uid_t *caller_r)
{
	/* The id is sent: no "!CODE" may follow it, whatever happens. */
	worker_out = -1;
	/* The message's descriptors go: the client reads end of file. */
	if (dup2(worker_null, 0) < 0 || dup2(worker_null, 1) < 0)
		die_sys(EXIT_TEMP, "service: descriptors");
	worker_served++;
	if (worker_served >= ENQ_WORKER_MSGS ||
	    time(NULL) - worker_born >= ENQ_WORKER_SECS)
		return 0;	/* the master forks a fresh one */
	if (idle_signals() < 0)
		return 0;	/* the master went meanwhile */
	tell_master(-getpid());
	worker_wait(caller_r);
	return 1;
}

static int
slot_of(pid_t pid)
{
	int i;

	for (i = 0; i < ENQ_MAX; i++)
		if (S.st[i] != W_FREE && S.pid[i] == pid)
			return i;
	return -1;
}

/* Fork workers up to ENQ_IDLE idle: 1 in a new worker, else 0 (-1: fork). */
static int
spawn(uid_t *caller_r)
{
	int i, idle = 0, slot = -1;
	pid_t pid;

	for (i = 0; i < ENQ_MAX; i++) {
		if (S.st[i] == W_IDLE)
			idle++;
		else if (S.st[i] == W_FREE && slot < 0)
			slot = i;
	}
	while (idle < ENQ_IDLE && slot >= 0) {
		if ((pid = fork()) < 0) {
			log_warn_sys("service: fork");
			return -1;
		}
		if (pid == 0) {
			worker(caller_r);
			return 1;
		}
		S.pid[slot] = pid;
		S.st[slot] = W_IDLE;
		idle++;
		for (slot = -1, i = 0; i < ENQ_MAX && slot < 0; i++)
			if (S.st[i] == W_FREE)
				slot = i;
	}
	return 0;
}

static void
reap(void)
{
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if ((i = slot_of(pid)) >= 0)
			S.st[i] = W_FREE;
}

static void
read_busy(void)
{
	pid_t pids[64];
	ssize_t n;
	size_t k;
	int i;

	while ((n = read(S.busy[0], pids, sizeof pids)) > 0)
		for (k = 0; k < (size_t)n / sizeof(pid_t); k++) {
			if (pids[k] > 0 && (i = slot_of(pids[k])) >= 0)
				S.st[i] = W_BUSY;
			else if (pids[k] < 0 && (i = slot_of(-pids[k])) >= 0)
				S.st[i] = W_IDLE;
		}
}

/* Stop: no new connection; idle workers go with us (PDEATHSIG). */
static void __attribute__((noreturn))
stop(void)
{
	(void)unlink(S.path);	/* best effort: smtpd falls back to exec */
	log_info("service: stopping");
	exit(EXIT_OK);
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

static void
setup(struct conf *cf)
{
	const char *user;
	gid_t gid;
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

	S.cf = cf;
	if ((S.path = conf_path(cf, "enqueue_socket")) == NULL)
		die(EXIT_TEMP, "bad enqueue_socket");
	if ((user = conf_str(cf, "user")) != NULL &&
	    priv_lookup(user, &S.peer_ok, &gid) == 0)
		S.has_peer_ok = 1;
	sock_dir(S.path);
	if ((S.lfd = enqsvc_listen(S.path)) < 0)
		die_sys(EXIT_TEMP, "service: cannot listen on %s",
		    log_esc_s(S.path));
	if (pipe2(S.busy, O_CLOEXEC) < 0 || io_set_nonblock(S.busy[0], 1) < 0)
		die_sys(EXIT_TEMP, "service: pipe");
	if (selfpipe_init(sigs, sizeof sigs / sizeof sigs[0]) < 0)
		die_sys(EXIT_TEMP, "service: signals");
	S.master = getpid();
	log_info("service: listening socket=%s workers=%d..%d",
	    log_esc_s(S.path), ENQ_IDLE, ENQ_MAX);
}

void
enqueue_serve(struct conf *cf, uid_t *caller_r)
{
	struct pollfd p[2];
	int r, wait_ms;

	setup(cf);
	for (;;) {
		r = spawn(caller_r);
		if (r == 1)
			return;		/* a worker with its message */
		wait_ms = r < 0 ? ENQ_FORK_PAUSE : -1;
		p[0].fd = selfpipe_fd();
		p[0].events = POLLIN;
		p[1].fd = S.busy[0];
		p[1].events = POLLIN;
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "service: poll");
		selfpipe_drain();
		read_busy();
		if (selfpipe_caught(SIGCHLD))
			reap();
		if (selfpipe_caught(SIGTERM) || selfpipe_caught(SIGINT))
			stop();
		/* A new tern.conf: exit, and the supervisor starts us anew. */
		if (selfpipe_caught(SIGHUP) && conf_changed(S.cf))
			stop();
	}
}
