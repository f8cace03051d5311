/*
 * prefork.c - a pool of pre-forked workers (prefork.h).
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/prefork.h"
#include "lib/selfpipe.h"

enum { W_FREE, W_IDLE, W_BUSY };

int
prefork_init(struct prefork *p, const struct prefork_limits *lim, int lfd,
    const struct conf *cf)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };

	memset(p, 0, sizeof(*p));
	if (lim->max < 1 || lim->max > PREFORK_MAX || lim->idle < 1 ||
	    lim->idle > lim->max || lfd < 0) {
		errno = EINVAL;
		return -1;
	}
	p->lim = *lim;
	p->lfd = lfd;
	p->cf = cf;
	/* Workers wait in ppoll, then accept without blocking. */
	if (io_set_nonblock(lfd, 1) < 0)
		return -1;
	p->busy[0] = p->busy[1] = -1;
	if (pipe2(p->busy, O_CLOEXEC) < 0)
		return -1;
	if (io_set_nonblock(p->busy[0], 1) < 0 ||
	    selfpipe_init(sigs, sizeof(sigs) / sizeof(sigs[0])) < 0) {
		(void)io_close(&p->busy[0]);
		(void)io_close(&p->busy[1]);
		return -1;
	}
	p->master = getpid();
	return 0;
}

static int
slot_of(const struct prefork *p, pid_t pid)
{
	unsigned i;

	for (i = 0; i < p->lim.max; i++)
		if (p->st[i] != W_FREE && p->pid[i] == pid)
			return (int)i;
	return -1;
}

/* In a new worker, right after the fork. */
static void
child(struct prefork *p)
{
	selfpipe_fini();
	(void)close(p->busy[0]);	/* the master's end */
	p->busy[0] = -1;
	p->served = 0;
	p->born = time(NULL);
}

/* Fork up to lim.idle idle: 1 in a new worker, else 0 (-1: fork failed). */
static int
spawn(struct prefork *p)
{
	unsigned i, idle = 0;
	pid_t pid;

	for (i = 0; i < p->lim.max; i++)
		if (p->st[i] == W_IDLE)
			idle++;
	for (i = 0; i < p->lim.max && idle < p->lim.idle; i++) {
		if (p->st[i] != W_FREE)
			continue;
		if ((pid = fork()) < 0)
			return -1;
		if (pid == 0) {
			child(p);
			return 1;
		}
		p->pid[i] = pid;
		p->st[i] = W_IDLE;
		idle++;
	}
	return 0;
}

static void
reap(struct prefork *p)
{
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		if ((i = slot_of(p, pid)) >= 0)
			p->st[i] = W_FREE;
}

static void
read_busy(struct prefork *p)
{
	pid_t pids[64];
	ssize_t n;
	size_t k;
	int i;

	while ((n = read(p->busy[0], pids, sizeof(pids))) > 0)
		for (k = 0; k < (size_t)n / sizeof(pid_t); k++) {
			if (pids[k] > 0 && (i = slot_of(p, pids[k])) >= 0)
				p->st[i] = W_BUSY;
			else if (pids[k] < 0 &&
			    (i = slot_of(p, -pids[k])) >= 0)
				p->st[i] = W_IDLE;
		}
}

int
prefork_master(struct prefork *p)
{
	struct pollfd pf[2];
	int r, wait_ms;

	for (;;) {
		if (!p->paused) {
			if ((r = spawn(p)) == 1)
				return PREFORK_WORKER;
			if (r < 0) {
				p->paused = 1;
				return PREFORK_FORKFAIL;
			}
		}
		wait_ms = p->paused ? p->lim.pause_ms : -1;
		p->paused = 0;
		pf[0].fd = selfpipe_fd();
		pf[0].events = POLLIN;
		pf[1].fd = p->busy[0];
		pf[1].events = POLLIN;
		if (poll(pf, 2, wait_ms) < 0 && errno != EINTR)
			return -1;
		selfpipe_drain();
		read_busy(p);
		if (selfpipe_caught(SIGCHLD))
			reap(p);
		if (selfpipe_caught(SIGTERM) || selfpipe_caught(SIGINT))
			return PREFORK_STOP;
		/* A new tern.conf: stop; the supervisor starts us anew. */
		if (selfpipe_caught(SIGHUP) && p->cf != NULL &&
		    conf_changed(p->cf))
			return PREFORK_STOP;
	}
}

/* Tell the master this worker's state: pid busy, -pid idle again. */
static int
tell(struct prefork *p, pid_t v)
{
	if (p->busy[1] < 0) {
		errno = EPIPE;
		return -1;
	}
	return io_write_full(p->busy[1], &v, sizeof(v));
}

/* The signals an idle worker dies of and a busy one ignores. */
static int
stop_set(sigset_t *set)
{
	if (sigemptyset(set) < 0 || sigaddset(set, SIGTERM) < 0 ||
	    sigaddset(set, SIGHUP) < 0 || sigaddset(set, SIGINT) < 0)
		return -1;
	return 0;
}

static int
accept_fail(const sigset_t *old)
{
	int e = errno;

	(void)sigprocmask(SIG_SETMASK, old, NULL);	/* failing already */
	errno = e;
	return -1;
}

int
prefork_accept(struct prefork *p)
{
	struct pollfd pf;
	sigset_t stop, old, waiting;
	int conn;

	/* Idle: die with the master and with the supervisor's signals. */
	(void)signal(SIGTERM, SIG_DFL);	/* cannot fail for these */
	(void)signal(SIGHUP, SIG_DFL);
	(void)signal(SIGINT, SIG_DFL);
	/*
	 * ... but only while waiting: they are blocked from the accept until
	 * prefork_busy ignores them, so a reload's SIGHUP (the supervisor
	 * signals the whole group) cannot kill a worker holding a client it
	 * has not answered yet (a 451 during 50 reloads).  They land in
	 * ppoll, where dying holds nothing.
	 */
	if (stop_set(&stop) < 0 || sigprocmask(SIG_BLOCK, &stop, &old) < 0)
		return -1;
	waiting = old;
	if (sigdelset(&waiting, SIGTERM) < 0 ||
	    sigdelset(&waiting, SIGHUP) < 0 || sigdelset(&waiting, SIGINT) < 0)
		return accept_fail(&old);
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0)
		return accept_fail(&old);
	if (getppid() != p->master) {
		errno = ESRCH;	/* gone before the death signal was set */
		return accept_fail(&old);
	}
	for (;;) {
		pf.fd = p->lfd;
		pf.events = POLLIN;
		pf.revents = 0;
		if (ppoll(&pf, 1, NULL, &waiting) < 0 && errno != EINTR)
			return accept_fail(&old);
		/* lfd is non-blocking: another worker may have taken it. */
		conn = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (conn >= 0)
			return conn;
		if (errno != EINTR && errno != ECONNABORTED &&
		    errno != EAGAIN && errno != EWOULDBLOCK)
			return accept_fail(&old);
	}
}

int
prefork_busy(struct prefork *p)
{
	sigset_t stop;
	int r;

	/* Finish this request even if the master goes or a stop comes. */
	(void)prctl(PR_SET_PDEATHSIG, 0);	/* cannot fail for 0 */
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGHUP, SIG_IGN);
	(void)signal(SIGINT, SIG_IGN);
	/* Blocked since the accept; one pending now is discarded. */
	if (stop_set(&stop) < 0 || sigprocmask(SIG_UNBLOCK, &stop, NULL) < 0)
		return -1;
	p->served++;
	r = tell(p, getpid());
	if (p->lim.requests != 0 && p->served >= p->lim.requests) {
		/* The last one: the pool's descriptors are of no more use. */
		(void)io_close(&p->lfd);
		(void)io_close(&p->busy[1]);
	}
	return r;
}

int
prefork_again(struct prefork *p)
{
	if (p->lim.requests != 0 && p->served >= p->lim.requests)
		return 0;
	if (p->lim.secs != 0 && time(NULL) - p->born >= (time_t)p->lim.secs)
		return 0;
	if (tell(p, -getpid()) < 0)
		return 0;	/* the master forks a fresh one */
	return 1;
}
