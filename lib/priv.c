/* priv.c - privilege drop, start-up hygiene, environments; see priv.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "lib/priv.h"

extern char **environ;

int
priv_is_root(void)
{
	return geteuid() == 0;
}

int
priv_lookup(const char *user, uid_t *uid_r, gid_t *gid_r)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	*uid_r = pw->pw_uid;
	*gid_r = pw->pw_gid;
	return 0;
}

static int
priv_fail(const char **why_r, const char *why, int err)
{
	*why_r = why;
	errno = err;
	return -1;
}

/* Step 6: the ids are the target everywhere and root cannot come back. */
static int
priv_verify(uid_t uid, gid_t gid, const char **why_r)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];
	int n;

	if (getresuid(&ru, &eu, &su) < 0)
		return priv_fail(why_r, "getresuid", errno);
	if (ru != uid || eu != uid || su != uid)
		return priv_fail(why_r, "uid not dropped", EPERM);
	if (getresgid(&rg, &eg, &sg) < 0)
		return priv_fail(why_r, "getresgid", errno);
	if (rg != gid || eg != gid || sg != gid)
		return priv_fail(why_r, "gid not dropped", EPERM);
	n = getgroups(2, groups);
	if (n < 0 || n > 1 || (n == 1 && groups[0] != gid))
		return priv_fail(why_r, "supplementary groups not dropped",
		    EPERM);
	if (setuid(0) != -1)
		return priv_fail(why_r, "setuid(0) succeeded after drop",
		    EPERM);
	if (gid != 0 && setgid(0) != -1)
		return priv_fail(why_r, "setgid(0) succeeded after drop",
		    EPERM);
	priv_san_dumpable();
	return PRIV_DROPPED;
}

int
priv_drop(uid_t uid, gid_t gid, const char *jail, const char **why_r)
{
	pid_t parent = getppid();
	int pds = 0;

	*why_r = NULL;
	if (!priv_is_root())
		return PRIV_SKIPPED;
	if (prctl(PR_GET_PDEATHSIG, &pds, 0, 0, 0) < 0)
		return priv_fail(why_r, "PR_GET_PDEATHSIG", errno);
	if (uid == 0)
		return priv_fail(why_r, "refusing to drop to uid 0", EINVAL);
	if (setgroups(1, &gid) < 0)
		return priv_fail(why_r, "setgroups", errno);
	if (setresgid(gid, gid, gid) < 0)
		return priv_fail(why_r, "setresgid", errno);
	if (jail != NULL) {
		if (chroot(jail) < 0)
			return priv_fail(why_r, "chroot", errno);
		if (chdir("/") < 0)
			return priv_fail(why_r, "chdir to the jail", errno);
	}
	if (setresuid(uid, uid, uid) < 0)
		return priv_fail(why_r, "setresuid", errno);
	if (priv_verify(uid, gid, why_r) < 0)
		return -1;
	/* The id change cleared a parent death signal: set it again. */
	if (pds != 0 && priv_die_with_parent(pds, parent) < 0)
		return priv_fail(why_r, "parent death signal", errno);
	return PRIV_DROPPED;
}

int
priv_drop_user(const char *user, const char *jail, const char **why_r)
{
	uid_t uid;
	gid_t gid;

	*why_r = NULL;
	if (!priv_is_root())
		return PRIV_SKIPPED;
	if (priv_lookup(user, &uid, &gid) < 0)
		return priv_fail(why_r, "unknown user", errno);
	return priv_drop(uid, gid, jail, why_r);
}

/* Close [lo, hi] (close_range, or one by one where it is missing). */
static int
close_span(int lo, int hi)
{
	int fd;

	if (lo > hi)
		return 0;
	if (close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		return 0;
	if (errno != ENOSYS)
		return -1;
	for (fd = lo; fd <= hi; fd++)
		(void)close(fd);	/* EBADF for unused slots is expected */
	return 0;
}

static int
close_all_but(const int *keep, size_t nkeep)
{
	int sorted[PROC_KEEP_MAX], lo = 3, t;
	size_t i, j, n = 0;

	if (nkeep > PROC_KEEP_MAX) {
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i < nkeep; i++)
		if (keep[i] >= 3)
			sorted[n++] = keep[i];
	for (i = 1; i < n; i++)		/* insertion sort: n <= 16 */
		for (j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
			t = sorted[j];
			sorted[j] = sorted[j - 1];
			sorted[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		if (sorted[i] < lo)
			continue;	/* duplicate */
		if (close_span(lo, sorted[i] - 1) < 0)
			return -1;
		lo = sorted[i] + 1;
	}
	closefrom(lo);
	return 0;
}

static int
signals_default(void)
{
	struct sigaction sa;
	sigset_t all;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	if (sigemptyset(&sa.sa_mask) < 0)
		return -1;
	for (sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* EINVAL for the signals the C library reserves: fine. */
		(void)sigaction(sig, &sa, NULL);
	}
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		return -1;
	if (sigemptyset(&all) < 0)
		return -1;
	return sigprocmask(SIG_SETMASK, &all, NULL);
}

/* A closed 0, 1 or 2 would be reused by the next open(): a queue file
 * would then receive log lines.  Put /dev/null there instead. */
static int
stdio_open(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDWR | O_NOCTTY);
		if (nfd < 0)
			return -1;
		if (nfd != fd) {	/* a lower slot was free: cannot be */
			(void)close(nfd);
			errno = EBADF;
			return -1;
		}
	}
	return 0;
}

int
proc_init(const int *keep, size_t nkeep, int flags)
{
	struct rlimit rl;

	(void)umask(077);	/* cannot fail */
	if (stdio_open() < 0)
		return -1;
	if (close_all_but(keep, nkeep) < 0)
		return -1;
	log_reopen();	/* a log_init() before us had its socket closed */
	if (signals_default() < 0)
		return -1;
	if (flags & PROC_NOCORE) {
		rl.rlim_cur = rl.rlim_max = 0;
		if (setrlimit(RLIMIT_CORE, &rl) < 0)
			return -1;
	}
	return 0;
}

size_t
proc_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);	/* best effort */
		if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
			return 0;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)SIZE_MAX)
		return SIZE_MAX;
	return (size_t)rl.rlim_cur;
}

/* Length of the name of "NAME=value" (or of the whole string). */
static size_t
env_namelen(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL ? (size_t)(eq - s) : strlen(s);
}

static int
env_allowed(const char *var, size_t nlen, const char *const *allow)
{
	size_t alen;

	for (; allow != NULL && *allow != NULL; allow++) {
		alen = strlen(*allow);
		if (alen > 0 && (*allow)[alen - 1] == '*') {
			if (nlen >= alen - 1 &&
			    memcmp(var, *allow, alen - 1) == 0)
				return 1;
		} else if (alen == nlen && memcmp(var, *allow, nlen) == 0)
			return 1;
	}
	return 0;
}

/* Index of the variable named like var in env[0..n), or -1. */
static long
env_find(char **env, size_t n, const char *var, size_t nlen)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (env_namelen(env[i]) == nlen &&
		    memcmp(env[i], var, nlen) == 0)
			return (long)i;
	return -1;
}

/* Put a copy of var at env[at] (replacing) or append it. */
static int
env_put(char **env, size_t *n, const char *var, long at)
{
	char *copy;

	if (at < 0 && *n >= ENV_MAX) {
		errno = E2BIG;
		return -1;
	}
	if ((copy = mem_strdup(var)) == NULL)
		return -1;
	if (at >= 0) {
		free(env[at]);
		env[at] = copy;
	} else
		env[(*n)++] = copy;
	return 0;
}

char **
env_build_from(char *const *from, const char *const *allow,
    const char *const *extra)
{
	char **env;
	size_t n = 0, nlen;
	int saved;

	if ((env = mem_alloc(ENV_MAX + 1, sizeof *env)) == NULL)
		return NULL;
	for (; from != NULL && *from != NULL; from++) {
		if (strchr(*from, '=') == NULL)
			continue;	/* not a variable */
		nlen = env_namelen(*from);
		if (nlen == 0 || !env_allowed(*from, nlen, allow) ||
		    env_find(env, n, *from, nlen) >= 0)
			continue;
		if (env_put(env, &n, *from, -1) < 0)
			goto fail;
	}
	for (; extra != NULL && *extra != NULL; extra++) {
		nlen = env_namelen(*extra);
		if (nlen == 0 || (*extra)[nlen] != '=') {
			errno = EINVAL;
			goto fail;
		}
		if (env_put(env, &n, *extra, env_find(env, n, *extra, nlen)) < 0)
			goto fail;
	}
	env[n] = NULL;
	return env;
fail:
	saved = errno;
	env[n] = NULL;
	env_free(&env);
	errno = saved;
	return NULL;
}

char **
env_build(const char *const *allow, const char *const *extra)
{
	return env_build_from(environ, allow, extra);
}

void
env_free(char ***envp)
{
	char **e = *envp;
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; e[i] != NULL; i++)
		free(e[i]);
	free(e);
	*envp = NULL;
}

/* One component: owned by root, not writable by group or others. */
static int
trusted_node(const struct stat *st, int is_dir, const char **why_r)
{
	if (st->st_uid != 0) {
		*why_r = "not owned by root";
		return 0;
	}
	if (is_dir && (st->st_mode & S_ISVTX) && (st->st_mode & S_IWOTH))
		return 1;	/* sticky: nobody else can rename our entries */
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		*why_r = "writable by group or others";
		return 0;
	}
	return 1;
}

int
priv_trusted_path(const char *path, const char **why_r)
{
	char *real, *slash;
	struct stat st;
	int r = 1;

	if ((real = realpath(path, NULL)) == NULL)
		return -1;
	if (stat(real, &st) < 0) {
		free(real);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		*why_r = "not a regular file";
		r = 0;
	} else
		r = trusted_node(&st, 0, why_r);
	/* Walk up: /a/b/file -> /a/b -> /a -> /. */
	while (r == 1 && (slash = strrchr(real, '/')) != NULL) {
		if (slash == real)
			slash[1] = '\0';
		else
			slash[0] = '\0';
		if (stat(real, &st) < 0) {
			free(real);
			return -1;
		}
		r = trusted_node(&st, 1, why_r);
		if (strcmp(real, "/") == 0)
			break;
	}
	free(real);
	return r;
}

void
priv_san_dumpable(void)
{
#ifdef TERN_SAN
	(void)prctl(PR_SET_DUMPABLE, 1);	/* test builds only; see priv.h */
#endif
}

int
priv_die_with_parent(int sig, pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) < 0)
		return -1;
	/* Gone before the setting took: no signal will ever come. */
	if (getppid() != parent) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}
