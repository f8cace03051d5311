/*
 * Unit tests for lib/prefork: a master in a child of the test keeps its
 * workers on an abstract socket; each connection asks a worker for its
 * pid ('p'), or for its pid and then to stay busy until the test sends
 * one more byte ('h').  The test is the subreaper, so workers orphaned by
 * a stop come back to it and "no child left" can be checked.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/prefork.h"
#include "lib/sock.h"
#include "t/tap.h"

#define WAIT_MS		10000	/* a bound for every wait, never a timing */

static char name[64];

/* A worker's loop: serve connections until prefork says to end. */
static void __attribute__((noreturn))
worker(struct prefork *p)
{
	pid_t me = getpid();
	char c, more;
	int conn;

	while ((conn = prefork_accept(p)) >= 0) {
		if (prefork_busy(p) < 0)
			_exit(3);
		if (read(conn, &c, 1) == 1 &&
		    write(conn, &me, sizeof me) == (ssize_t)sizeof me &&
		    c == 'h' && read(conn, &more, 1) < 0)
			_exit(7);	/* held until the test says */
		(void)close(conn);
		if (!prefork_again(p))
			_exit(0);
	}
	_exit(errno == ESRCH ? 0 : 4);
}

/* Fork a master with lim on a fresh abstract socket: its pid, or -1. */
static pid_t
start(const struct prefork_limits *lim)
{
	static struct prefork p;
	static unsigned n;
	pid_t pid;
	int lfd, r;

	(void)snprintf(name, sizeof name, "tern-prefork-t.%ld.%u",
	    (long)getpid(), n++);
	if ((lfd = sock_unix_listen(name, SOCK_UNIX_ABSTRACT, 16)) < 0)
		return -1;
	if ((pid = fork()) != 0) {
		(void)close(lfd);
		return pid;
	}
	if (prefork_init(&p, lim, lfd, NULL) < 0)
		_exit(5);
	while ((r = prefork_master(&p)) == PREFORK_FORKFAIL)
		;
	if (r == PREFORK_WORKER)
		worker(&p);
	_exit(r == PREFORK_STOP ? 0 : 6);
}

/* Connect and send c: the connection, or -1. */
static int
ask(char c)
{
	struct sockaddr_un sun;
	socklen_t len = sock_unix_addr(&sun, name, SOCK_UNIX_ABSTRACT);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, len) < 0 ||
	    write(fd, &c, 1) != 1) {
		if (fd >= 0)
			(void)close(fd);
		return -1;
	}
	return fd;
}

/* The answering worker's pid on fd, or -1 (none within WAIT_MS). */
static pid_t
answer(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	pid_t pid;

	if (fd < 0 || poll(&pf, 1, WAIT_MS) != 1 ||
	    read(fd, &pid, sizeof pid) != (ssize_t)sizeof pid)
		return -1;
	return pid;
}

/* One request: the pid of the worker that served it, or -1. */
static pid_t
one(void)
{
	int fd = ask('p');
	pid_t pid = answer(fd);

	if (fd >= 0)
		(void)close(fd);
	return pid;
}

static void
nap(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	(void)nanosleep(&ts, NULL);
}

/* Is pid gone (within WAIT_MS)?  Our own children are reaped here. */
static int
gone(pid_t pid)
{
	int i, st;

	for (i = 0; i < WAIT_MS / 20; i++) {
		(void)waitpid(pid, &st, WNOHANG);
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 1;
		nap();
	}
	return 0;
}

/* Reap every child within WAIT_MS: 1 when none is left (ECHILD). */
static int
no_child_left(void)
{
	int i, st;
	pid_t r;

	for (i = 0; i < WAIT_MS / 20; i++) {
		while ((r = waitpid(-1, &st, WNOHANG)) > 0)
			;
		if (r < 0 && errno == ECHILD)
			return 1;
		nap();
	}
	return 0;
}

/* Stop the master: 1 when it exited 0. */
static int
stop(pid_t master)
{
	int st;

	return kill(master, SIGTERM) == 0 && waitpid(master, &st, 0) ==
	    master && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static void
test_init(void)
{
	struct prefork_limits lim = { 2, 1, 0, 0, 100 };
	struct prefork p;

	ok(prefork_init(&p, &lim, 0, NULL) < 0 && errno == EINVAL,
	    "init: more idle than max refused");
	lim.idle = 0;
	ok(prefork_init(&p, &lim, 0, NULL) < 0 && errno == EINVAL,
	    "init: no idle worker refused");
	lim.idle = 1;
	lim.max = PREFORK_MAX + 1;
	ok(prefork_init(&p, &lim, 0, NULL) < 0 && errno == EINVAL,
	    "init: more than PREFORK_MAX refused");
}

/* One request a worker: each ends after it and a fresh one takes over. */
static void
test_replaced(void)
{
	struct prefork_limits lim = { 1, 4, 1, 0, 100 };
	pid_t master = start(&lim), seen[5];
	int i, distinct = 1, ended = 1;

	ok(master > 0, "replace: master started");
	for (i = 0; i < 5; i++)
		seen[i] = one();
	for (i = 0; i < 5; i++)
		ok(seen[i] > 0, "replace: request %d answered", i + 1);
	for (i = 1; i < 5; i++)
		if (seen[i] == seen[i - 1] || seen[i] <= 0)
			distinct = 0;
	ok(distinct, "replace: each request by a new worker");
	for (i = 0; i < 5; i++)
		if (seen[i] > 0 && !gone(seen[i]))
			ended = 0;
	ok(ended, "replace: each worker ended after its request");
	ok(stop(master), "replace: the master stops, exit 0");
	ok(no_child_left(), "replace: no child left");
}

/* A worker killed while idle is reaped and replaced. */
static void
test_killed(void)
{
	struct prefork_limits lim = { 1, 1, 0, 0, 100 };	/* one worker */
	pid_t master = start(&lim), a, b;

	ok(master > 0, "killed: master started");
	a = one();
	ok(a > 0 && kill(a, SIGKILL) == 0 && gone(a),
	    "killed: the idle worker killed");
	b = one();
	ok(b > 0 && b != a, "killed: a new worker serves");
	ok(stop(master), "killed: the master stops, exit 0");
	ok(no_child_left(), "killed: no child left");
}

/*
 * The busy pipe: with one idle worker held busy, the master forks another,
 * which takes the next request; the held one is served again afterwards
 * (it told the master it is idle).  SIGHUP without a configuration changes
 * nothing.  A stop leaves the busy worker to finish, then nothing.
 */
static void
test_busy(void)
{
	struct prefork_limits lim = { 1, 4, 0, 0, 100 };
	pid_t master = start(&lim), held, other, again;
	int h, h2, i;

	ok(master > 0, "busy: master started");
	h = ask('h');
	held = answer(h);
	ok(held > 0, "busy: a worker holds the first request");
	other = one();
	ok(other > 0 && other != held,
	    "busy: another worker was forked for the next one");
	ok(write(h, "x", 1) == 1, "busy: the held request released");
	(void)close(h);
	/* Until the held worker comes round again (bounded): a pause
	 * between requests lets each server go back to accept(), whose
	 * waiters are woken in turn; without it, on a loaded machine, the
	 * other worker could take every one of them.  Bounded by WAIT_MS
	 * of pauses (a busy machine may leave the held worker unscheduled
	 * for a while), not by a count that a slow machine runs through. */
	for (again = -1, i = 0; i < WAIT_MS / 20 && again != held; i++) {
		again = one();
		if (again != held)
			(void)usleep(20000);
	}
	ok(again == held, "busy: the released worker serves again");
	ok(kill(master, SIGHUP) == 0 && one() > 0,
	    "busy: SIGHUP without a configuration: still serving");
	h2 = ask('h');
	held = answer(h2);
	ok(held > 0, "busy: a worker held again");
	ok(stop(master), "busy: the master stops, exit 0");
	ok(kill(held, 0) == 0, "busy: the busy worker outlives the master");
	ok(write(h2, "x", 1) == 1, "busy: its request released");
	(void)close(h2);
	ok(gone(held), "busy: then it ends");
	ok(no_child_left(), "busy: no child left after the stop");
	ok(one() < 0, "busy: nobody answers any more");
}

int
main(void)
{
	(void)signal(SIGPIPE, SIG_IGN);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		diag("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
		return 1;
	}
	test_init();
	test_replaced();
	test_killed();
	test_busy();
	return done_testing();
}
