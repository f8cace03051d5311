/*
 * login_split.c - a split service's fork-server hooks and start-up around
 * its login monitor; see login_split.h and doc/login.md.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <unistd.h>

#include "lib/forkserver.h"
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

/* The fork server, after: the monitor for the connection (vfork+exec). */
static long
split_post(void *arg, long child, int conn, char **env)
{
	struct login_splitter *ls = arg;
	const char *why = "";
	pid_t pid;

	if (child < 0 || env == NULL) {
		login_split_close(&ls->sp);
		return -1;
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
