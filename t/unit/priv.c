/* Unit tests for lib/priv: environments, start-up hygiene, privilege drop. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/priv.h"
#include "t/tap.h"

#define NOBODY	65534	/* nobody / nogroup on Debian */

static int
env_has(char **env, const char *var)
{
	for (; *env != NULL; env++)
		if (strcmp(*env, var) == 0)
			return 1;
	return 0;
}

static int
env_count(char **env)
{
	int n = 0;

	while (env[n] != NULL)
		n++;
	return n;
}

static void
test_env(void)
{
	char *from[] = { "PATH=/bin", "LD_PRELOAD=/evil.so", "TZ=UTC",
	    "TCPREMOTEIP=192.0.2.1", "TCPLOCALPORT=25", "TZ=Evil/Second",
	    "noequals", "=anon", "TCP", "IFS= ", NULL };
	const char *allow[] = { "PATH", "TZ", "TCP*", NULL };
	const char *extra[] = { "HOME=/", "PATH=/usr/bin:/bin", NULL };
	const char *bad[] = { "NOEQUALS", NULL };
	const char *none[] = { NULL };
	char **env;

	env = env_build_from(from, allow, extra);
	ok(env != NULL, "env_build_from");
	if (env == NULL)
		return;
	ok(env_has(env, "PATH=/usr/bin:/bin"), "extra replaces PATH");
	ok(env_has(env, "TZ=UTC"), "allowed TZ kept");
	ok(!env_has(env, "TZ=Evil/Second"), "duplicate TZ dropped");
	ok(env_has(env, "TCPREMOTEIP=192.0.2.1"), "prefix match kept");
	ok(env_has(env, "TCPLOCALPORT=25"), "prefix match 2 kept");
	ok(env_has(env, "HOME=/"), "extra added");
	ok(!env_has(env, "LD_PRELOAD=/evil.so"), "LD_PRELOAD dropped");
	ok(!env_has(env, "IFS= "), "IFS dropped");
	is_int(env_count(env), 5, "exactly five variables");
	env_free(&env);
	ok(env == NULL, "env_free NULLs");
	errno = 0;
	ok(env_build_from(from, allow, bad) == NULL, "extra without = refused");
	is_int(errno, EINVAL, "EINVAL");
	env = env_build_from(from, none, NULL);
	ok(env != NULL && env_count(env) == 0, "empty allow list: empty env");
	env_free(&env);
	if (setenv("TERN_T_KEEP", "1", 1) < 0 ||
	    setenv("TERN_T_DROP", "1", 1) < 0)
		diag("setenv failed");
	{
		const char *a2[] = { "TERN_T_KEEP", NULL };

		env = env_build(a2, NULL);
		ok(env != NULL && env_count(env) == 1 &&
		    env_has(env, "TERN_T_KEEP=1"), "env_build reads environ");
		env_free(&env);
	}
}

/* Child: bit per failed check in the exit code (0 = all good). */
static int
proc_init_child(void)
{
	int p1[2], p2[2], keep, rc = 0;
	struct sigaction sa;
	struct rlimit rl;
	mode_t old;

	if (pipe(p1) < 0 || pipe(p2) < 0)
		return 64;
	(void)close(0);		/* must come back as /dev/null */
	keep = p2[0];
	(void)signal(SIGPIPE, SIG_DFL);
	(void)signal(SIGUSR1, SIG_IGN);
	(void)umask(022);
	if (proc_init(&keep, 1, PROC_NOCORE) < 0)
		return 65;
	if (fcntl(p1[0], F_GETFD) != -1 || fcntl(p1[1], F_GETFD) != -1 ||
	    fcntl(p2[1], F_GETFD) != -1)
		rc |= 1;		/* not kept: must be closed */
	if (fcntl(keep, F_GETFD) < 0)
		rc |= 2;		/* kept */
	if (fcntl(2, F_GETFD) < 0)
		rc |= 2;		/* stdio untouched */
	if (fcntl(0, F_GETFD) < 0 || fcntl(0, F_GETFL) < 0 ||
	    read(0, &sa, 1) != 0)
		rc |= 64;		/* closed 0 reopened on /dev/null */
	old = umask(0);
	if (old != 077)
		rc |= 4;
	if (sigaction(SIGPIPE, NULL, &sa) < 0 || sa.sa_handler != SIG_IGN)
		rc |= 8;
	if (sigaction(SIGUSR1, NULL, &sa) < 0 || sa.sa_handler != SIG_DFL)
		rc |= 16;
	if (getrlimit(RLIMIT_CORE, &rl) < 0 || rl.rlim_cur != 0)
		rc |= 32;
	return rc;
}

static int
run_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(fn());
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void
test_proc_init(void)
{
	int keep[PROC_KEEP_MAX + 1];

	memset(keep, 0, sizeof keep);
	is_int(run_child(proc_init_child), 0,
	    "proc_init: fds closed but kept ones, stdio reopened, umask, signals, core");
	errno = 0;
	is_int(proc_init(keep, PROC_KEEP_MAX + 1, 0), -1, "too many keeps");
	is_int(errno, E2BIG, "E2BIG");
}

static char jail[] = "/tmp/tern-jail-XXXXXX";

static int
drop_child(void)
{
	const char *why = NULL;
	uid_t r, e, s;
	gid_t rg, eg, sg;
	DIR *d;
	struct dirent *de;
	int rc = 0, n = 0;

	if (priv_drop(NOBODY, NOBODY, jail, &why) != PRIV_DROPPED)
		return 1;
	if (getresuid(&r, &e, &s) < 0 || r != NOBODY || e != NOBODY ||
	    s != NOBODY)
		rc |= 2;
	if (getresgid(&rg, &eg, &sg) < 0 || rg != NOBODY || eg != NOBODY ||
	    sg != NOBODY)
		rc |= 4;
	if (setuid(0) != -1 || seteuid(0) != -1)
		rc |= 8;
	if ((d = opendir("/")) == NULL)
		rc |= 16;
	else {
		while ((de = readdir(d)) != NULL)
			n++;
		closedir(d);
		if (n != 2)		/* only . and .. in the jail */
			rc |= 16;
	}
	if (access("/etc/passwd", F_OK) == 0)
		rc |= 32;
	if (priv_drop(NOBODY, NOBODY, NULL, &why) != PRIV_SKIPPED)
		rc |= 64;		/* no longer root: skipped */
	return rc;
}

static int
drop_user_child(void)
{
	const char *why = NULL;
	uid_t uid;
	gid_t gid;

	if (priv_lookup("nobody", &uid, &gid) < 0)
		return 1;
	if (priv_drop_user("nobody", NULL, &why) != PRIV_DROPPED)
		return 2;
	if (getuid() != uid || geteuid() != uid || getegid() != gid)
		return 3;
	return 0;
}

static int
bad_jail_child(void)
{
	const char *why = NULL;

	if (priv_drop(NOBODY, NOBODY, "/nonexistent-jail", &why) != -1)
		return 1;
	if (errno != ENOENT || why == NULL || strcmp(why, "chroot") != 0)
		return 2;
	return 0;
}

static int
uid0_child(void)
{
	const char *why = NULL;

	if (priv_drop(0, 0, NULL, &why) != -1 || errno != EINVAL)
		return 1;
	return 0;
}

/* Regression: tern-authd (root, drops itself) outlived a supervisor -9. */
static int
pdeath_child(void)
{
	const char *why = NULL;
	int sig = 0;

	if (priv_die_with_parent(SIGTERM, getppid()) < 0)
		return 1;
	if (priv_drop(NOBODY, NOBODY, NULL, &why) != PRIV_DROPPED)
		return 2;
	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0 || sig != SIGTERM)
		return 3;
	return 0;
}

static int
pdeath_gone_child(void)
{
	/* A parent that is not ours any more: ESRCH, the caller exits. */
	if (priv_die_with_parent(SIGTERM, getppid() + 1) != -1 ||
	    errno != ESRCH)
		return 1;
	return 0;
}

static void
test_drop(void)
{
	const char *why = NULL;
	uid_t uid;
	gid_t gid;

	errno = 0;
	is_int(priv_lookup("no-such-user-tern", &uid, &gid), -1,
	    "lookup of an unknown user fails");
	is_int(errno, ENOENT, "ENOENT");
	is_int(priv_lookup("root", &uid, &gid), 0, "lookup root");
	is_int(uid, 0, "root is uid 0");
	is_int(run_child(pdeath_gone_child), 0,
	    "die_with_parent: parent already gone gives ESRCH");
	if (!priv_is_root()) {
		is_int(priv_drop(NOBODY, NOBODY, NULL, &why), PRIV_SKIPPED,
		    "not root: drop skipped");
		is_int(priv_drop_user("no-such-user-tern", NULL, &why),
		    PRIV_SKIPPED, "not root: drop_user skipped before lookup");
		skip(5, "not root: privilege drop tests need root");
		return;
	}
	if (mkdtemp(jail) == NULL || chmod(jail, 0755) < 0) {
		ok(0, "mkdtemp jail");
		return;
	}
	is_int(run_child(drop_child), 0,
	    "drop to 65534 in a chroot: ids, setuid(0) fails, jail empty");
	is_int(run_child(drop_user_child), 0, "priv_drop_user nobody");
	is_int(run_child(bad_jail_child), 0, "missing jail: -1, why=chroot");
	is_int(run_child(uid0_child), 0, "drop to uid 0 refused");
	is_int(run_child(pdeath_child), 0,
	    "the parent death signal survives priv_drop");
	is_int(rmdir(jail), 0, "jail removed");
	ok(priv_is_root(), "parent still root");
}

int
main(void)
{
	test_env();
	test_proc_init();
	test_drop();
	return done_testing();
}
