/*
 * login_split.c - a split service's fork-server hooks and start-up around
 * its login monitor; see login_split.h and doc/login.md.
 */
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "lib/forkserver.h"
#include "lib/io.h"
#include "lib/login.h"
#include "lib/login_int.h"
#include "lib/login_split.h"
#include "lib/priv.h"

extern char **environ;

void
login_splitter_init(struct login_splitter *ls, const char *program,
    char *const *argv, const char *login_user, const char *jail,
    void (*fail)(const char *why))
{
	ls->program = program;
	ls->argv = argv;
	ls->login_user = login_user;
	ls->jail = jail;
	ls->fail = fail;
	ls->jail_made = 0;
	ls->share_text = 1;
	ls->zsock = ls->zpidfd = -1;
	ls->zretry = 0;
	ls->sp.ctl[0] = ls->sp.ctl[1] = ls->sp.rel[0] = ls->sp.rel[1] = -1;
}

/* The fork server, before it forks a pre-auth child: the pairs. */
static int
split_pre(void *arg, int conn)
{
	struct login_splitter *ls = arg;
	const char *why = "";

	if (login_split_open(&ls->sp, conn, &why) < 0) {
		ls->fail(why);
		return -1;
	}
	return 0;
}

#define ZYGOTE_WAIT_MS		5000	/* its answer to one connection */
#define ZYGOTE_RETRY_MS		1000	/* after it failed */
#define ZYGOTE_ARGS_MAX		64

/* The zygote dropped (killed through its pidfd: it is our child, reaped
 * and reported by the server's loop); the next start in a second. */
static void
zygote_stop(struct login_splitter *ls, const char *why)
{
	int e = errno;

	if (ls->zpidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, ls->zpidfd, SIGKILL,
		    NULL, 0);
	(void)io_close(&ls->zpidfd);
	(void)io_close(&ls->zsock);
	ls->zretry = io_now_ms() + ZYGOTE_RETRY_MS;
	errno = e;
	if (why != NULL)
		ls->fail(why);
}

/* The program started with -Z and its socket on 3 (login_main.c). */
static void
zygote_start(struct login_splitter *ls)
{
	char *av[ZYGOTE_ARGS_MAX + 2];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	size_t i;
	pid_t pid = -1;
	int z[2], r;

	ls->zretry = io_now_ms() + ZYGOTE_RETRY_MS;
	av[0] = ls->argv[0];
	av[1] = (char *)"-Z";
	for (i = 1; ls->argv[i] != NULL; i++) {
		if (i > ZYGOTE_ARGS_MAX)
			return;
		av[i + 1] = ls->argv[i];
	}
	av[i + 1] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, z) < 0) {
		ls->fail("monitor zygote: socketpair");
		return;
	}
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		(void)close(z[0]);
		(void)close(z[1]);
		errno = r;
		ls->fail("monitor zygote: posix_spawn_file_actions_init");
		return;
	}
	if ((r = posix_spawnattr_init(&at)) == 0) {
		if ((r = posix_spawn_file_actions_adddup2(&fa, z[1], 3)) == 0 &&
		    (r = sigemptyset(&none) < 0 ? errno : 0) == 0 &&
		    (r = posix_spawnattr_setsigmask(&at, &none)) == 0 &&
		    (r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
		    POSIX_SPAWN_SETSIGMASK)) == 0)
			r = posix_spawn(&pid, ls->program, &fa, &at, av,
			    environ);
		(void)posix_spawnattr_destroy(&at);
	}
	(void)posix_spawn_file_actions_destroy(&fa);
	(void)close(z[1]);
	if (r != 0) {
		(void)close(z[0]);
		errno = r;
		ls->fail("monitor zygote: cannot run it");
		return;
	}
	ls->zsock = z[0];
	ls->zpidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (ls->zpidfd < 0) {
		(void)kill(pid, SIGKILL);	/* ours, not reaped yet */
		zygote_stop(ls, "monitor zygote: pidfd_open");
	}
}

/*
 * The connection's monitor from the zygote: its pid, or -1 with *retry_r
 * 1 when nothing reached the zygote (spawn it the old way), 0 when the
 * connection is lost (the descriptors may be a monitor's by now).
 */
static long
zygote_post(struct login_splitter *ls, long child, int conn, char **env,
    int *retry_r)
{
	static char buf[LOGIN_ZYGOTE_MSG];
	size_t off = 0, k, i;
	int fds[LOGIN_MON_NFD];
	long pid = -1;
	ssize_t n;

	*retry_r = 1;
	for (i = 0; env[i] != NULL; i++) {
		k = strlen(env[i]) + 1;
		if (k > sizeof buf - off || i >= LOGIN_ZYGOTE_VARS)
			return -1;	/* too big for one message */
		memcpy(buf + off, env[i], k);
		off += k;
	}
	if (off == 0)
		return -1;
	fds[0] = conn;
	fds[1] = ls->sp.ctl[0];
	fds[2] = ls->sp.rel[0];
	if ((fds[3] = (int)syscall(SYS_pidfd_open, (pid_t)child, 0)) < 0)
		return -1;
	n = fdpass_send(ls->zsock, buf, off, fds, LOGIN_MON_NFD, 0);
	(void)close(fds[3]);
	if (n != (ssize_t)off) {
		zygote_stop(ls, "monitor zygote: gone");
		return -1;
	}
	/* From here the message may have made a monitor (the zygote may
	 * die after its copy, before its answer), so no second one: a
	 * connection that meets a dying zygote is lost. */
	*retry_r = 0;
	n = -1;
	if (io_wait(ls->zsock, POLLIN, io_deadline_ms(ZYGOTE_WAIT_MS)) < 0 ||
	    (n = recv(ls->zsock, &pid, sizeof pid, 0)) != (ssize_t)sizeof pid ||
	    pid <= 0) {
		if (n == 0)
			errno = ECONNRESET;	/* it died */
		else if (n > 0)
			errno = EPROTO;		/* short, or it could not copy */
		zygote_stop(ls, "monitor zygote: no monitor");
		return -1;
	}
	login_split_close(&ls->sp);
	return pid;
}

/* The fork server, after: the monitor for the connection (a copy of the
 * zygote, or vfork+exec). */
static long
split_post(void *arg, long child, int conn, char **env)
{
	struct login_splitter *ls = arg;
	const char *why = "";
	pid_t pid;
	int retry;

	if (child < 0 || env == NULL) {
		login_split_close(&ls->sp);
		return -1;
	}
	if (ls->zsock < 0 && io_now_ms() >= ls->zretry)
		zygote_start(ls);
	if (ls->zsock >= 0) {
		pid = zygote_post(ls, child, conn, env, &retry);
		if (pid > 0 || !retry) {
			if (pid < 0)
				login_split_close(&ls->sp);
			return pid;
		}
	}
	pid = login_split_monitor(&ls->sp, (pid_t)child, conn, ls->program,
	    ls->argv, env, 0, &why);
	if (pid < 0)
		ls->fail(why);
	return pid;
}

int
login_splitter_serve(struct login_splitter *ls, struct conf *cf,
    char **argv, const char **why_r)
{
	struct forkserver_split fsplit;
	int role;

	/* Once here, not in every child: the jail made and checked,
	 * login_user looked up. */
	if (priv_is_root() && login_jail_make(ls->jail, why_r) < 0)
		return -1;
	if (login_prepare(ls->login_user) < 0)
		return login_fail(why_r, "cannot look login_user up", errno);
	ls->jail_made = 1;
	zygote_start(ls);
	fsplit.pre = split_pre;
	fsplit.post = split_post;
	fsplit.arg = ls;
	fsplit.no_share_text = !ls->share_text;
	role = forkserver_serve_split(forkserver_fd(), forkserver_conf_stale,
	    cf, argv, &fsplit);
	if (role < 0)
		return login_fail(why_r, "forkserver", errno);
	return role;
}

/*
 * Not a fork server's child: split here.  The pre-auth child returns 0;
 * this process becomes the monitor (execve in place: the connection's
 * pid is the monitor's, the child its own) and returns only on failure.
 */
static int
split_self(struct login_splitter *ls, const char **why_r)
{
	pid_t pid;
	int e;

	if (login_split_open(&ls->sp, 0, why_r) < 0)
		return -1;
	if ((pid = fork()) < 0) {
		e = errno;
		login_split_close(&ls->sp);
		return login_fail(why_r, "fork", e);
	}
	if (pid == 0)
		return 0;
	(void)login_split_monitor(&ls->sp, pid, 0, ls->program, ls->argv,
	    environ, 1, why_r);
	e = errno;
	(void)kill(pid, SIGKILL);
	errno = e;
	return -1;
}

int
login_splitter_child(struct login_splitter *ls, struct login *l,
    int *dropped_r, const char **why_r)
{
	if (!ls->jail_made && priv_is_root() &&
	    login_jail_make(ls->jail, why_r) < 0)
		return -1;
	/* A fork server started the monitor for this connection already
	 * (split_post); otherwise this process forks the child and
	 * becomes the monitor itself. */
	if (ls->sp.ctl[1] < 0 && split_self(ls, why_r) < 0)
		return -1;
	if (login_split_child(l, &ls->sp, ls->login_user, ls->jail,
	    dropped_r, why_r) < 0)
		return -1;
	if (getuid() == 0 || geteuid() == 0)
		return login_fail(why_r,
		    "refusing to run the pre-auth part as root", EPERM);
	return 0;
}
