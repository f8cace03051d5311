/*
 * sv_fork.c - fork servers: a tcp service with NAME.forkserver = yes has
 * its program started once (as the service's user, TERN_FORKSERVER=3)
 * and hands it each accepted connection over a SOCK_SEQPACKET socket;
 * the program forks a child per connection (lib/forkserver.h).  The
 * supervisor keeps counting every connection: a handed-over connection
 * is a child entry with its id until the server reports the child's pid,
 * and the server reports each child's end.  When the server is missing
 * (starting, crashed, restarting after a reload) connections are served
 * the usual way, a fork and exec each, so nothing waits for it.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bsd/unistd.h>

#include "lib/fdpass.h"
#include "lib/forkserver.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/selfpipe.h"
#include "lib/sock.h"

#include "supervise/supervise.h"

#define FS_FD	3	/* the socket's number in the server */

static int
wanted(const struct sv *sv, const struct service *s)
{
	return s->spec.forkserver && s->spec.type == SV_TCP &&
	    s->state == ST_RUN && !s->removed && !sv->stopping;
}

static void
fs_child(const struct sv *sv, const struct service *s, int sock, char **envp)
{
	sigset_t none;
	const char *why = "";
	int null;

	selfpipe_fini();
	(void)signal(SIGPIPE, SIG_DFL);	/* cannot fail */
	if (sigemptyset(&none) < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0 || setsid() < 0)
		die_sys(EXIT_TEMP, "forkserver set-up");
	null = open("/dev/null", O_RDWR);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(sock, FS_FD) < 0)
		die_sys(EXIT_TEMP, "forkserver descriptors");
	closefrom(FS_FD + 1);
	if (sv->is_root && s->uid != 0 &&
	    priv_drop(s->uid, s->gid, NULL, &why) != PRIV_DROPPED)
		die_sys(EXIT_TEMP, "service=%s privilege drop: %s",
		    s->spec.name, why);
	execve(s->spec.program, s->spec.argv, envp);
	die_sys(EXIT_TEMP, "service=%s exec %s", s->spec.name,
	    log_esc_s(s->spec.program));
}

static void
fs_start(struct sv *sv, struct service *s, int64_t now)
{
	char *envp[SV_ENV_MAX + 3];
	char svc[SV_NAME_MAX + 16], fsv[32];
	size_t n = 0, i;
	int sp[2];
	pid_t pid;

	s->fs_retry_ms = now + SV_FS_RETRY_MS;	/* unless it works */
	for (i = 0; i < sv->nenv; i++)
		envp[n++] = sv->env[i];
	if (snprintf(svc, sizeof svc, "TERN_SERVICE=%s", s->spec.name) < 0 ||
	    snprintf(fsv, sizeof fsv, FORKSERVER_ENV "=%d", FS_FD) < 0)
		return;
	envp[n++] = svc;
	envp[n++] = fsv;
	envp[n] = NULL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err_sys("service=%s forkserver socketpair", s->spec.name);
		return;
	}
	if (sv_kid_add(sv, 0, s, 0, NULL) < 0) {
		log_err_sys("service=%s child table", s->spec.name);
		goto fail;
	}
	sv->kids[sv->nkids - 1].is_fs = 1;
	pid = fork();
	if (pid < 0) {
		sv->nkids--;
		log_err_sys("service=%s forkserver fork", s->spec.name);
		goto fail;
	}
	if (pid == 0)
		fs_child(sv, s, sp[1], envp);
	(void)close(sp[1]);	/* the server's end */
	if (fcntl(sp[0], F_SETFL, O_NONBLOCK) < 0)
		log_warn_sys("service=%s forkserver O_NONBLOCK", s->spec.name);
	sv->kids[sv->nkids - 1].pid = pid;
	s->fs_pid = pid;
	s->fs_fd = sp[0];
	s->fs_ready = 0;
	s->fs_stopped = 0;
	s->fs_started_ms = now;
	s->fs_retry_ms = 0;
	log_info("start service=%s forkserver pid=%ld", s->spec.name,
	    (long)pid);
	return;
fail:
	(void)close(sp[0]);
	(void)close(sp[1]);
}

/* Start the servers that should run, stop those that should not. */
void
sv_fs_tick(struct sv *sv, int64_t now)
{
	struct service *s;

	for (s = sv->svcs; s != NULL; s = s->next) {
		if (!wanted(sv, s)) {
			if (s->fs_fd >= 0)
				sv_fs_stop(sv, s);
			continue;
		}
		if (s->fs_pid == 0 && !s->fs_off && s->fs_retry_ms <= now &&
		    access(s->spec.program, X_OK) == 0)
			fs_start(sv, s, now);
	}
}

/*
 * Close our end: the server serves what is queued, sees the end of file
 * and exits; its children live on.  SIGTERM too, in case it is stuck.
 */
void
sv_fs_stop(struct sv *sv, struct service *s)
{
	(void)sv;
	if (s->fs_fd >= 0) {
		(void)close(s->fs_fd);	/* a socket: nothing to lose */
		s->fs_fd = -1;
	}
	if (s->fs_pid > 0)
		s->fs_stopped = 1;
	if (s->fs_pid > 0 && kill(s->fs_pid, SIGTERM) < 0 && errno != ESRCH)
		log_warn_sys("kill forkserver pid=%ld", (long)s->fs_pid);
}

/* After a reload: tern.conf may have changed under the servers. */
void
sv_fs_restart_all(struct sv *sv)
{
	struct service *s;

	for (s = sv->svcs; s != NULL; s = s->next) {
		if (s->fs_fd >= 0)
			sv_fs_stop(sv, s);
		s->fs_retry_ms = 0;
		s->fs_off = 0;
	}
}

/*
 * Hand one accepted connection over; 0 with its id, or -1 when the
 * caller should serve it the usual way (no server, or its queue full).
 */
int
sv_fs_hand(struct sv *sv, struct service *s, int conn,
    const struct sock_addr *peer, uint64_t *id_r)
{
	char buf[FORKSERVER_MSG_MAX];
	struct sock_addr local;
	struct sock_ucspi u;
	size_t len, i, l;
	int n;

	if (s->fs_fd < 0 || !s->fs_ready)
		return -1;
	if (sock_local(conn, &local) < 0 || sock_ucspi(&local, peer, &u) < 0)
		return -1;
	n = snprintf(buf, sizeof buf, "c %llu",
	    (unsigned long long)(s->fs_seq + 1));
	if (n < 0 || (size_t)n >= sizeof buf)
		return -1;
	len = (size_t)n + 1;
	for (i = 0; i < SOCK_UCSPI_N && u.env[i] != NULL; i++) {
		l = strlen(u.env[i]) + 1;
		if (len + l > sizeof buf)
			return -1;
		memcpy(buf + len, u.env[i], l);
		len += l;
	}
	if (sv_kid_add(sv, 0, s, 1, peer) < 0)
		return -1;
	if (fdpass_send(s->fs_fd, buf, len, &conn, 1, MSG_DONTWAIT) < 0) {
		sv->nkids--;
		if (errno == EPIPE || errno == ECONNRESET) {
			/* It is ending; its exit is reaped in sv_reap. */
			(void)close(s->fs_fd);
			s->fs_fd = -1;
		} else if (errno != EAGAIN)
			log_warn_sys("service=%s forkserver send", s->spec.name);
		return -1;
	}
	sv->kids[sv->nkids - 1].fsid = ++s->fs_seq;
	s->nconn++;
	*id_r = s->fs_seq;
	return 0;
}

static size_t
find_id(const struct sv *sv, const struct service *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < sv->nkids; i++)
		if (sv->kids[i].svc == s && sv->kids[i].fsid == id &&
		    sv->kids[i].pid == 0)
			return i;
	return SIZE_MAX;
}

static void
reply(struct sv *sv, struct service *s, const struct forkserver_reply *r)
{
	size_t i;

	switch (r->kind) {
	case 'r':
		s->fs_ready = 1;
		log_debug("service=%s forkserver ready", s->spec.name);
		return;
	case 's':
		if ((i = find_id(sv, s, r->id)) != SIZE_MAX)
			sv->kids[i].pid = (pid_t)r->pid;
		log_debug("service=%s fs=%llu pid=%ld", s->spec.name, r->id,
		    r->pid);
		return;
	case 'f':
		if ((i = find_id(sv, s, r->id)) == SIZE_MAX)
			return;
		log_warn("service=%s fs=%llu not served by the forkserver",
		    s->spec.name, r->id);
		sv_kid_gone(sv, i, EXIT_TEMP << 8);
		return;
	default:
		for (i = 0; i < sv->nkids; i++)
			if (sv->kids[i].svc == s && sv->kids[i].is_conn &&
			    sv->kids[i].fsid != 0 &&
			    sv->kids[i].pid == (pid_t)r->pid) {
				sv_kid_gone(sv, i, r->status);
				return;
			}
	}
}

/* What the server says: bounded by what is queued now. */
void
sv_fs_read(struct sv *sv, struct service *s)
{
	struct forkserver_reply r;
	char buf[128];
	ssize_t n;
	int k;

	for (k = 0; k < 4 * SV_ACCEPT_BURST && s->fs_fd >= 0; k++) {
		n = recv(s->fs_fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			/* Gone: its exit is reaped in sv_reap. */
			(void)close(s->fs_fd);
			s->fs_fd = -1;
			return;
		}
		if ((size_t)n > sizeof buf ||
		    forkserver_reply_parse(buf, (size_t)n, &r) < 0) {
			log_warn("service=%s forkserver: bad reply",
			    s->spec.name);
			continue;
		}
		reply(sv, s, &r);
	}
}

/*
 * The server ended.  Connections it was handed whose child it never
 * reported are forgotten (their processes, if any, are reaped as
 * orphans); reported children are ours now (we are their subreaper).
 */
void
sv_fs_exited(struct sv *sv, struct service *s)
{
	int64_t now = sv_now_ms();
	size_t i;

	if (s->fs_fd >= 0) {
		(void)close(s->fs_fd);
		s->fs_fd = -1;
	}
	s->fs_pid = 0;
	if (!s->fs_ready && !s->fs_stopped && !sv->stopping &&
	    s->state == ST_RUN) {
		/*
		 * Never ready: the program does not speak the protocol.  Not
		 * so when a reload stopped it before it was ready (two
		 * SIGHUPs close together left imap serving by fork and exec
		 * until the next reload).
		 */
		log_warn("service=%s forkserver: %s did not start as a fork "
		    "server; serving by fork and exec until a reload",
		    s->spec.name, log_esc_s(s->spec.program));
		s->fs_off = 1;
	}
	s->fs_ready = 0;
	s->fs_stopped = 0;
	for (i = sv->nkids; i-- > 0; )
		if (sv->kids[i].svc == s && sv->kids[i].fsid != 0 &&
		    sv->kids[i].pid == 0)
			sv_kid_gone(sv, i, EXIT_TEMP << 8);
	if (s->fs_retry_ms == 0 && now - s->fs_started_ms < SV_FS_RETRY_MS)
		s->fs_retry_ms = now + SV_FS_RETRY_MS;
}
