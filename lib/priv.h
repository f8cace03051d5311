/*
 * priv.h - privilege drop, process start-up hygiene and built environments
 * (STYLE 10).
 *
 * priv_drop(uid, gid, jail, &why) runs, in this order and nothing else:
 *   setgroups(1, &gid); setresgid(gid, gid, gid); if jail != NULL,
 *   chroot(jail) and chdir("/"); setresuid(uid, uid, uid); then it VERIFIES
 *   that getresuid/getresgid give the target for real, effective and saved
 *   ids, that the group list is just gid, and that setuid(0) (and setgid(0)
 *   when gid != 0) fail.  A parent death signal set before the drop (the
 *   kernel clears it at the id change) is set again for the same parent.
 * It returns PRIV_DROPPED (0) on success, -1 with errno and a static
 * *why_r naming the failed step otherwise (the caller dies with 111: the
 * process may be half-dropped), and PRIV_SKIPPED (1) without changing
 * anything when the process is not root (geteuid() != 0: a development
 * run), so the caller logs one line.  Dropping to uid 0 is refused (EINVAL).
 * Resolve users (priv_lookup) and open everything that needs privilege
 * BEFORE the drop: /etc is out of reach in the jail.
 * priv_drop_user(name, jail, &why) is lookup + drop; not root, it skips
 * before the lookup (the user need not exist in development).
 *
 * proc_init(keep, nkeep, flags) at the top of main: umask(077), opens
 * /dev/null on any of descriptors 0, 1, 2 that is closed, closes every
 * descriptor >= 3 except the nkeep listed (at most PROC_KEEP_MAX) and
 * reconnects to syslog if log_init() came first (log_reopen), default
 * dispositions for every signal with SIGPIPE ignored and none blocked, and
 * with PROC_NOCORE, RLIMIT_CORE 0 (for processes holding secrets).
 *
 * proc_nofile() raises the soft RLIMIT_NOFILE to the hard one (best
 * effort) and returns the soft limit (SIZE_MAX: unlimited; 0: unknown),
 * for daemons that size their descriptor tables (poll() refuses more
 * entries than this limit with EINVAL).
 *
 * env_build(allow, extra) returns a fresh NULL-terminated envp for execve:
 * the variables of environ whose name is in allow (a NULL-terminated list
 * of names; "PREFIX*" matches names starting with PREFIX; the first of
 * duplicate names wins), then each "NAME=value" of extra (NULL-terminated,
 * may be NULL), replacing a kept variable of that name.  At most ENV_MAX
 * variables (E2BIG).  No shell is ever involved: pass the result to execve
 * with an absolute path.  env_free(&envp) frees it and NULLs the pointer.
 *
 * Return convention: 0 / -1 with errno (plus PRIV_SKIPPED above); env_build
 * returns NULL with errno (ENOMEM, E2BIG, EINVAL for an extra without '=').
 */
#ifndef TERN_PRIV_H
#define TERN_PRIV_H

#include <stddef.h>
#include <sys/types.h>

#define PRIV_DROPPED	0
#define PRIV_SKIPPED	1

#define PROC_NOCORE	0x01	/* proc_init: RLIMIT_CORE = 0 */
#define PROC_KEEP_MAX	16	/* descriptors proc_init may keep */
#define ENV_MAX		256	/* variables in a built environment */

int	priv_is_root(void);
/* -1 with ENOENT when there is no such user. */
int	priv_lookup(const char *user, uid_t *uid_r, gid_t *gid_r);
int	priv_drop(uid_t uid, gid_t gid, const char *jail, const char **why_r);
int	priv_drop_user(const char *user, const char *jail, const char **why_r);

int	proc_init(const int *keep, size_t nkeep, int flags);

size_t	 proc_nofile(void);
char	**env_build(const char *const *allow, const char *const *extra);
/* The same from an explicit source environment (tests, supervisors). */
char	**env_build_from(char *const *from, const char *const *allow,
	    const char *const *extra);
void	env_free(char ***envp);

/*
 * May a set-id program trust this file (a configuration the caller named)?
 * 1 when the file and every folder on its real path are owned by root and
 * writable by nobody else (a world-writable folder is accepted only with
 * its sticky bit, as /tmp); 0 with a static reason in *why_r otherwise;
 * -1 with errno when the path cannot be resolved.
 */
int	priv_trusted_path(const char *path, const char **why_r);

/*
 * In a sanitizer build (TERN_SAN) only: make the process dumpable again
 * after a uid change, so LeakSanitizer can stop its threads at exit (it
 * cannot trace a non-dumpable process and would fail every run).  A no-op
 * in a normal build, where a process that changed uid stays undumpable.
 */
void	priv_san_dumpable(void);

/*
 * Die with the parent: the kernel sends sig to this process when its
 * parent (pid parent, read before the fork) ends, so a daemon does not
 * outlive a supervisor killed -9 and run twice beside the one a new
 * supervisor starts.  Linux clears the setting at a change of ids (so
 * priv_drop sets it again) and at the exec of a set-id program.  Returns
 * 0, or -1 with ESRCH when the parent is already gone (the caller exits),
 * or prctl's errno.
 */
int	priv_die_with_parent(int sig, pid_t parent);

#endif
