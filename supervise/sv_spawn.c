/*
 * sv_spawn.c - children: environment, privilege drop, fork/exec, the
 * table of children, reaping and killing.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/unistd.h>

#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/selfpipe.h"
#include "lib/sock.h"

#include "supervise/supervise.h"

#define SV_PATH		"PATH=/usr/local/bin:/usr/bin:/bin"

/* Variables passed through from the supervisor's own environment. */
static const char *const env_allow[] = {
	"TZ", "LANG", "LC_ALL", "LC_CTYPE", "TERN_HOME", "TERN_DEBUG", NULL,
};

/*
 * The base environment of every child: the allow-list, a fixed PATH,
 * TERN_CONF and, when the supervisor logs to stderr, TERN_LOG=stderr.
 */
int
sv_env_init(struct sv *sv, const char *conf_path)
{
	const char *extra[4];
	struct sbuf conf;
	size_t n = 0;

	sbuf_init(&conf, PATH_MAX + 16);
	if (sbuf_printf(&conf, "TERN_CONF=%s", conf_path) < 0 ||
	    sbuf_str(&conf) == NULL) {
		sbuf_fini(&conf);
		return -1;
	}
	extra[n++] = SV_PATH;
	extra[n++] = sbuf_str(&conf);
	if (sv->log_stderr)
		extra[n++] = "TERN_LOG=stderr";
	extra[n] = NULL;
	env_free(&sv->env);
	sv->env = env_build(env_allow, extra);
	sbuf_fini(&conf);
	if (sv->env == NULL)
		return -1;
	for (sv->nenv = 0; sv->env[sv->nenv] != NULL; sv->nenv++)
		continue;
	if (sv->nenv > SV_ENV_MAX) {
		env_free(&sv->env);
		errno = E2BIG;
		return -1;
	}
	return 0;
}

/*
 * As root: the service's user must exist, and root only when named
 * explicitly (never by default or through another name for uid 0).
 * Not root: every service runs as us.
 */
int
sv_check_user(struct sv *sv, struct service *s)
{
	const char *u = s->spec.user;

	if (!sv->is_root || s->have_ids)
		return 0;
	if (u == NULL) {
		log_err("service=%s not started: %s.user is not set and "
		    "tern-supervise runs as root (set %s.user, or root "
		    "explicitly)", s->spec.name, s->spec.name, s->spec.name);
		return -1;
	}
	if (priv_lookup(u, &s->uid, &s->gid) < 0) {
		if (errno == ENOENT || errno == ESRCH)
			log_err("service=%s not started: no user %s",
			    s->spec.name, log_esc_s(u));
		else
			log_err_sys("service=%s not started: user %s",
			    s->spec.name, log_esc_s(u));
		return -1;
	}
	if (s->uid == 0 && strcmp(u, "root") != 0) {
		log_err("service=%s not started: user %s has uid 0; write "
		    "%s.user = root to mean it", s->spec.name, log_esc_s(u),
		    s->spec.name);
		return -1;
	}
	s->have_ids = 1;
	return 0;
}

/* In the child: lib/priv's drop (explicit root keeps root, as asked). */
static void
drop(const struct sv *sv, const struct service *s)
{
	const char *why = "";

	if (!sv->is_root || s->uid == 0)
		return;
	if (priv_drop(s->uid, s->gid, NULL, &why) != PRIV_DROPPED)
		die_sys(EXIT_TEMP, "service=%s privilege drop: %s",
		    s->spec.name, why);
}

static void
child(const struct sv *sv, const struct service *s, int conn, char **envp,
    pid_t parent)
{
	sigset_t none;

	selfpipe_fini();
	(void)signal(SIGPIPE, SIG_DFL);	/* cannot fail */
	if (sigemptyset(&none) < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0)
		die_sys(EXIT_TEMP, "sigprocmask");
	if (setsid() < 0)
		die_sys(EXIT_TEMP, "setsid");
	if (conn >= 0) {
		int src[2] = { conn, conn }, dst[2] = { 0, 1 };

		if (io_fd_arrange(src, dst, 2) < 0)
			die_sys(EXIT_TEMP, "dup2");
	} else {
		int null = open("/dev/null", O_RDWR);

		if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
			die_sys(EXIT_TEMP, "/dev/null");
	}
	closefrom(3);
	drop(sv, s);
	/*
	 * A daemon ends with this supervisor: a supervisor killed -9 and
	 * started again must not find the old qmgr still at work beside the
	 * new one.  Sessions (conn >= 0) finish on their own deadlines.
	 */
	if (conn < 0 && priv_die_with_parent(SIGTERM, parent) < 0)
		die_sys(EXIT_TEMP, "service=%s parent death signal",
		    s->spec.name);
	execve(s->spec.program, s->spec.argv, envp);
	die_sys(EXIT_TEMP, "service=%s exec %s", s->spec.name,
	    log_esc_s(s->spec.program));
}

/*
 * Fork one child of the service: a connection (conn >= 0, peer set) or
 * the daemon (conn < 0).  Returns the pid, recorded in the table.
 */
pid_t
sv_spawn(struct sv *sv, struct service *s, int conn,
    const struct sock_addr *peer)
{
	char *envp[SV_ENV_MAX + SOCK_UCSPI_N + 2];
	char svc[SV_NAME_MAX + 16];
	struct sock_ucspi u;
	struct sock_addr local;
	size_t n = 0, i;
	pid_t pid, self = getpid();

	for (i = 0; i < sv->nenv; i++)
		envp[n++] = sv->env[i];
	if (snprintf(svc, sizeof svc, "TERN_SERVICE=%s", s->spec.name) < 0)
		return -1;
	envp[n++] = svc;
	if (conn >= 0) {
		if (sock_local(conn, &local) < 0 ||
		    sock_ucspi(&local, peer, &u) < 0) {
			log_warn_sys("service=%s local address", s->spec.name);
			return -1;
		}
		for (i = 0; i < SOCK_UCSPI_N; i++)
			envp[n++] = u.env[i];
	}
	envp[n] = NULL;
	if (access(s->spec.program, X_OK) < 0) {
		log_err_sys("service=%s program %s", s->spec.name,
		    log_esc_s(s->spec.program));
		return -1;
	}
	if (sv_kid_add(sv, 0, s, conn >= 0, peer) < 0) {
		log_err_sys("service=%s child table", s->spec.name);
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		sv->nkids--;
		log_err_sys("service=%s fork", s->spec.name);
		return -1;
	}
	if (pid == 0)
		child(sv, s, conn, envp, self);
	sv->kids[sv->nkids - 1].pid = pid;
	if (conn >= 0)
		s->nconn++;
	return pid;
}

int
sv_kid_add(struct sv *sv, pid_t pid, struct service *s, int is_conn,
    const struct sock_addr *peer)
{
	struct child *k;

	if (sv->nkids == sv->capkids) {
		size_t cap = sv->capkids ? sv->capkids * 2 : 64;

		k = mem_realloc(sv->kids, cap, sizeof *k);
		if (k == NULL)
			return -1;
		sv->kids = k;
		sv->capkids = cap;
	}
	k = &sv->kids[sv->nkids++];
	memset(k, 0, sizeof *k);
	k->pid = pid;
	k->svc = s;
	k->is_conn = is_conn;
	if (peer != NULL)
		k->peer = *peer;
	return 0;
}

const char *
sv_status(int status)
{
	static char buf[32];
	int n;

	if (WIFEXITED(status))
		n = snprintf(buf, sizeof buf, "%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		n = snprintf(buf, sizeof buf, "signal:%d", WTERMSIG(status));
	else
		n = snprintf(buf, sizeof buf, "?%d", status);
	return n < 0 ? "?" : buf;
}

void
sv_kid_gone(struct sv *sv, size_t i, int status)
{
	struct child k = sv->kids[i];

	sv->kids[i] = sv->kids[--sv->nkids];
	if (k.is_fs) {
		log_info("exit service=%s forkserver pid=%ld status=%s",
		    k.svc->spec.name, (long)k.pid, sv_status(status));
		sv_fs_exited(sv, k.svc);
		return;
	}
	if (k.is_conn) {
		k.svc->nconn--;
		if (k.pid == 0)	/* handed to a fork server, never reported */
			log_info("forget service=%s fs=%llu", k.svc->spec.name,
			    (unsigned long long)k.fsid);
		else
			log_info("exit service=%s pid=%ld status=%s",
			    k.svc->spec.name, (long)k.pid, sv_status(status));
		return;
	}
	k.svc->last_status = status;
	log_info("exit service=%s pid=%ld status=%s", k.svc->spec.name,
	    (long)k.pid, sv_status(status));
	sv_killpg(k.pid, SIGTERM);	/* leftovers of the daemon's group */
	k.svc->pid = 0;
	sv_dispatch(sv, k.svc, EV_EXIT);
}

/* Reap every child that has exited, known or reparented to us. */
void
sv_reap(struct sv *sv)
{
	size_t i;
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			if (pid < 0 && errno == EINTR)
				continue;
			return;
		}
		for (i = 0; i < sv->nkids; i++)
			if (sv->kids[i].pid == pid)
				break;
		if (i < sv->nkids)
			sv_kid_gone(sv, i, status);
		else
			log_debug("reaped orphan pid=%ld status=%s", (long)pid,
			    sv_status(status));
	}
}

void
sv_killpg(pid_t pid, int sig)
{
	if (pid <= 1 || pid == getpgrp())
		return;
	if (kill(-pid, sig) < 0 && errno != ESRCH)
		log_warn_sys("kill pgid=%ld sig=%d", (long)pid, sig);
}

/* Our children that the table does not know: reparented grandchildren. */
static void
kill_orphans(int sig)
{
	char path[64], buf[512], *p;
	DIR *d = opendir("/proc");
	struct dirent *e;
	uint64_t pid, ppid;
	ssize_t n;
	int fd;

	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (scan_u64_s(e->d_name, &pid) < 0)
			continue;
		if (snprintf(path, sizeof path, "/proc/%s/stat", e->d_name) < 0)
			continue;
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		n = read(fd, buf, sizeof buf - 1);
		(void)close(fd);	/* read-only */
		if (n <= 0)
			continue;
		buf[n] = '\0';
		/* "pid (comm) state ppid ...": comm may hold spaces. */
		if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ' ||
		    p[2] == '\0' || p[3] != ' ')
			continue;
		p += 4;
		n = (ssize_t)strspn(p, "0123456789");
		if (scan_u64_n(p, (size_t)n, &ppid) < 0 ||
		    ppid != (uint64_t)getpid())
			continue;
		sv_killpg(getpgid((pid_t)pid), sig);
		if (kill((pid_t)pid, sig) < 0 && errno != ESRCH)
			log_warn_sys("kill pid=%llu", (unsigned long long)pid);
	}
	(void)closedir(d);	/* read-only */
}

void
sv_kill_all(struct sv *sv, int sig)
{
	size_t i;

	for (i = 0; i < sv->nkids; i++)
		sv_killpg(sv->kids[i].pid, sig);
	kill_orphans(sig);
}
