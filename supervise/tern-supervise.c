/*
 * tern-supervise - the root process of a tern host: starts, watches and
 * restarts the services of tern.conf, owns their listening sockets and
 * forks one process per connection.  See tern-supervise.8.
 */
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/selfpipe.h"

#include "supervise/supervise.h"

#define SV_POLL_MAX	512	/* listeners polled at once */
#define SV_KILL_WAIT_MS	2000	/* after SIGKILL, before giving up */

static void
usage(void)
{
	die(EXIT_PERM, "usage: tern-supervise [-c tern.conf] [-d]");
}

/* fds 0, 1 and 2 must be open, or a socket could land there. */
static void
std_fds(void)
{
	int fd;

	for (;;) {
		fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			die_sys(EXIT_TEMP, "/dev/null");
		if (fd > 2) {
			(void)close(fd);	/* /dev/null, nothing to lose */
			return;
		}
	}
}

static void
load(struct sv *sv, const char *path, struct sv_config *c)
{
	struct sbuf err;

	sbuf_init(&err, SV_ERR_MAX);
	if (svconf_load(path, c, &err) < 0)
		die(EXIT_PERM, "%s", sbuf_str(&err) ? sbuf_str(&err) : path);
	sbuf_fini(&err);
	(void)sv;
}

static void
reload(struct sv *sv)
{
	struct sv_config c;
	struct sbuf err;
	char *keep;

	sbuf_init(&err, SV_ERR_MAX);
	if (svconf_load(sv->cfg.path, &c, &err) < 0) {
		log_err("reload failed, keeping the running configuration: %s",
		    sbuf_str(&err) ? sbuf_str(&err) : "?");
		sbuf_fini(&err);
		return;
	}
	sbuf_fini(&err);
	if (strcmp(c.run_dir, sv->cfg.run_dir) != 0) {
		log_warn("run_dir changed: takes effect at the next start");
		keep = c.run_dir;
		c.run_dir = sv->cfg.run_dir;
		sv->cfg.run_dir = keep;
	}
	log_info("reload config=%s services=%zu", sv->cfg.path, c.nspecs);
	sv_apply_config(sv, &c);
	sv_fs_restart_all(sv);
}

static void
begin_stop(struct sv *sv, const char *why)
{
	struct service *s;

	if (sv->stopping)
		return;
	log_info("shutdown signal=%s", why);
	sv->stopping = 1;
	sv->stop_deadline_ms = sv_now_ms() + SV_STOP_WAIT_MS;
	/* Exits the fork servers reported and we have not read yet: their
	 * pids are free and may be another process's by now, which the
	 * process-group kills below must not reach. */
	for (s = sv->svcs; s != NULL; s = s->next)
		if (s->fs_fd >= 0)
			sv_fs_read(sv, s);
	for (s = sv->svcs; s != NULL; s = s->next)
		sv_dispatch(sv, s, EV_STOP);
	sv_kill_all(sv, SIGTERM);
}

static int
no_children(void)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	return waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 &&
	    errno == ECHILD;
}

/* While stopping: done when no descendant is left (we are a subreaper). */
static void
check_stop(struct sv *sv, int lockfd)
{
	int64_t now = sv_now_ms();

	if (no_children()) {
		sv_unlock(sv->cfg.run_dir, lockfd);
		log_info("stopped");
		exit(EXIT_OK);
	}
	if (now < sv->stop_deadline_ms)
		return;
	if (!sv->killed) {
		log_warn("stop grace over: SIGKILL to what is left");
		sv_kill_all(sv, SIGKILL);
		sv->killed = 1;
		sv->stop_deadline_ms = now + SV_KILL_WAIT_MS;
		return;
	}
	log_err("children survive SIGKILL; exiting anyway");
	sv_unlock(sv->cfg.run_dir, lockfd);
	exit(EXIT_OK);
}

static void
on_signals(struct sv *sv)
{
	selfpipe_drain();
	if (selfpipe_caught(SIGCHLD))
		sv_reap(sv);
	if (selfpipe_caught(SIGTERM))
		begin_stop(sv, "TERM");
	if (selfpipe_caught(SIGINT))
		begin_stop(sv, "INT");
	if (selfpipe_caught(SIGHUP) && !sv->stopping)
		reload(sv);
}

static void
loop(struct sv *sv, int lockfd)
{
	struct pollfd p[SV_POLL_MAX + 1];
	struct service *ps[SV_POLL_MAX + 1], *s;
	size_t pl[SV_POLL_MAX + 1], n, i;
	int r, paused;

	for (;;) {
		sv_fs_tick(sv, sv_now_ms());
		n = 0;
		p[n].fd = selfpipe_fd();
		p[n++].events = POLLIN;
		if (sv->accept_pause_ms != 0 &&
		    sv->accept_pause_ms <= sv_now_ms())
			sv->accept_pause_ms = 0;
		paused = sv->accept_pause_ms != 0;
		for (s = sv->svcs; s != NULL && !sv->stopping && !paused;
		    s = s->next)
			for (i = 0; i < s->nls && n <= SV_POLL_MAX; i++) {
				if (s->state != ST_RUN || s->ls[i].fd < 0)
					continue;
				p[n].fd = s->ls[i].fd;
				p[n].events = POLLIN;
				ps[n] = s;
				pl[n++] = i;
			}
		for (s = sv->svcs; s != NULL && n <= SV_POLL_MAX; s = s->next)
			if (s->fs_fd >= 0) {
				p[n].fd = s->fs_fd;
				p[n].events = POLLIN;
				ps[n] = s;
				pl[n++] = SIZE_MAX;	/* a fork server */
			}
		r = poll(p, n, sv_next_timeout(sv, sv_now_ms()));
		if (r < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "poll");
		/*
		 * The fork servers' reports first, then new connections, so
		 * these are not counted against limits still holding
		 * sessions that ended (a connection over a limit also takes
		 * in what is waiting: sv_tcp.c).  The signals (a reload may
		 * change the listeners) after.
		 */
		for (i = 1; r > 0 && i < n; i++)
			if (pl[i] == SIZE_MAX &&
			    (p[i].revents & (POLLIN | POLLERR | POLLHUP)))
				sv_fs_read(sv, ps[i]);
		for (i = 1; r > 0 && i < n; i++)
			if (pl[i] != SIZE_MAX &&
			    (p[i].revents & (POLLIN | POLLERR | POLLHUP)))
				sv_tcp_accept(sv, ps[i], &ps[i]->ls[pl[i]]);
		on_signals(sv);
		sv_timers(sv, sv_now_ms());
		sv_reap_gone(sv);
		if (sv->stopping)
			check_stop(sv, lockfd);
	}
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct sv sv;
	struct sv_config c;
	char abs[PATH_MAX];
	const char *opt_c = NULL, *e;
	int ch, dflag = 0, lockfd = -1;

	/* First: it closes every descriptor >= 3, syslog's included. */
	if (proc_init(NULL, 0, 0) < 0)
		die_sys(EXIT_TEMP, "proc_init");
	/* Until tern.conf says where logs go, on stderr: a refused file is
	 * seen by the admin who typed the command (and by the journal). */
	log_init_env("tern-supervise", LOG_STDERR);
	while ((ch = getopt(argc, argv, "c:d")) != -1)
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'd':
			dflag = 1;
			break;
		default:
			usage();
		}
	if (optind != argc)
		usage();
	std_fds();
	if (realpath(conf_locate(opt_c), abs) == NULL)
		die_sys(EXIT_PERM, "%s", log_esc_s(conf_locate(opt_c)));
	if (dflag)	/* so that a refused tern.conf is seen with -d */
		log_init("tern-supervise", LOG_STDERR);
	load(&sv, abs, &c);
	memset(&sv, 0, sizeof sv);
	e = getenv("TERN_LOG");
	sv.log_stderr = dflag || (e != NULL && strcmp(e, "stderr") == 0) ||
	    c.log_stderr;
	log_init("tern-supervise", sv.log_stderr ? LOG_STDERR : 0);
	sv.is_root = priv_is_root();
	if (!sv.is_root)
		log_info("privilege steps skipped: not running as root "
		    "(uid=%ld); every service runs as this user",
		    (long)geteuid());
	if (sv_lock(c.run_dir, &lockfd) < 0) {
		if (errno == EWOULDBLOCK)
			die(EXIT_TEMP, "another tern-supervise holds %s/"
			    "supervise.lock", c.run_dir);
		die_sys(EXIT_TEMP, "lock %s/supervise.lock", c.run_dir);
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		log_warn_sys("PR_SET_CHILD_SUBREAPER");
	if (selfpipe_init(sigs, sizeof sigs / sizeof sigs[0]) < 0)
		die_sys(EXIT_TEMP, "self-pipe");
	if (sv_env_init(&sv, abs) < 0)
		die_sys(EXIT_TEMP, "environment");
	log_info("started config=%s services=%zu pid=%ld", abs, c.nspecs,
	    (long)getpid());
	sv_apply_config(&sv, &c);
	loop(&sv, lockfd);
	return EXIT_OK;
}
