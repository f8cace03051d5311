/*
 * login.c - the privilege-split login path.  See login.h and doc/login.md.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/unistd.h>

#include "lib/authc.h"
#include "lib/bio.h"
#include "lib/io.h"
#include "lib/ipnet.h"
#include "lib/login.h"
#include "lib/login_int.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/sock.h"
#include "lib/tls.h"

/* ---- the jail ---- */

int
login_jail_make(const char *path, const char **why_r)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return login_fail(why_r, "cannot make the jail", errno);
	if (lstat(path, &st) < 0)
		return login_fail(why_r, "cannot stat the jail", errno);
	if (!S_ISDIR(st.st_mode))
		return login_fail(why_r, "the jail is not a folder", ENOTDIR);
	if (st.st_uid != geteuid())
		return login_fail(why_r, "the jail has the wrong owner", EPERM);
	if ((st.st_mode & 07777) != 0755 && chmod(path, 0755) < 0)
		return login_fail(why_r, "cannot chmod the jail", errno);
	if ((d = opendir(path)) == NULL)
		return login_fail(why_r, "cannot read the jail", errno);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	if (n != 0)
		return login_fail(why_r, "the jail is not empty", ENOTEMPTY);
	return 0;
}

/* ---- fork ---- */

/* login_user resolved once (login_prepare), so a fork server's children
 * do not each read nsswitch.conf and /etc/passwd. */
static struct {
	char	name[LOGIN_USER_MAX + 1];
	uid_t	uid;
	gid_t	gid;
	int	ok;
} login_user_cache;

int
login_prepare(const char *login_user)
{
	size_t n = strlen(login_user);

	login_user_cache.ok = 0;
	if (!priv_is_root())
		return 0;
	if (n >= sizeof login_user_cache.name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (priv_lookup(login_user, &login_user_cache.uid,
	    &login_user_cache.gid) < 0)
		return -1;
	memcpy(login_user_cache.name, login_user, n + 1);
	login_user_cache.ok = 1;
	return 0;
}

/* In the child: drop to login_user (the cached ids when they are its). */
static int
child_drop(const char *login_user, const char *jail, const char **why_r)
{
	*why_r = NULL;
	if (priv_is_root() && login_user_cache.ok &&
	    strcmp(login_user_cache.name, login_user) == 0)
		return priv_drop(login_user_cache.uid, login_user_cache.gid,
		    jail, why_r);
	return priv_drop_user(login_user, jail, why_r);
}

/*
 * The client socket (descriptor 0) without Nagle's algorithm: every
 * answer here leaves whole (a bio flush, a relayed block, a RETR of up
 * to 64 KiB in one send), so holding a short segment back only waits.
 * And it did: on loopback every message under the 64 KiB MSS is a
 * "short" segment, so the next answer sat in the send queue until the
 * client's delayed ACK (up to 40 ms) when the client had nothing more to
 * send, e.g. the last RETRs of a pipelined batch (bench/pop3).  The
 * option belongs to the socket, so the worker that takes it over (a
 * handoff) has it too.  Not a TCP socket (a test's socket pair, a pipe):
 * nothing to do, the error is ignored.
 */
static void
client_nodelay(int fd)
{
	int one = 1;

	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/*
 * The child dies with its monitor: the kernel signals the owner of a
 * socket with O_ASYNC set when its peer closes (and when data comes in),
 * and F_SETSIG makes that signal SIGKILL.  Armed while the child reads
 * the client (no data is due from the monitor then), disarmed while it
 * waits for an answer (login_ask).  Its monitor may be no parent of its
 * (a fork server's child, doc/login.md), so the parent's death signal
 * would not do.  After arming, a monitor already gone is seen by poll:
 * 0 armed, -1 (errno EPIPE) the monitor is gone, or a fcntl error.
 */
static int
death_watch(int ctl, int on)
{
	struct pollfd pf;
	int fl;

	if ((fl = fcntl(ctl, F_GETFL)) < 0)
		return -1;
	if (!on)
		return fcntl(ctl, F_SETFL, fl & ~O_ASYNC);
	if (fcntl(ctl, F_SETOWN, getpid()) < 0 ||
	    fcntl(ctl, F_SETSIG, SIGKILL) < 0 ||
	    fcntl(ctl, F_SETFL, fl | O_ASYNC) < 0)
		return -1;
	pf.fd = ctl;
	pf.events = POLLIN;
	pf.revents = 0;
	if (poll(&pf, 1, 0) > 0 && (pf.revents & (POLLHUP | POLLERR))) {
		errno = EPIPE;
		return -1;
	}
	return 0;
}

int
login_fork(struct login *l, const char *login_user, const char *jail,
    struct tls_ctx **tls, int *dropped_r, const char **why_r)
{
	int ctl[2], rel[2], r;
	pid_t pid;

	memset(l, 0, sizeof *l);
	l->ctl = l->relay = l->client = l->pidfd = -1;
	client_nodelay(0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return login_fail(why_r, "socketpair", errno);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rel) < 0) {
		r = errno;
		(void)close(ctl[0]);
		(void)close(ctl[1]);
		return login_fail(why_r, "socketpair", r);
	}
	if ((pid = fork()) < 0) {
		r = errno;
		(void)close(ctl[0]);
		(void)close(ctl[1]);
		(void)close(rel[0]);
		(void)close(rel[1]);
		return login_fail(why_r, "fork", r);
	}
	if (pid > 0) {
		(void)close(ctl[1]);
		(void)close(rel[1]);
		l->child = pid;
		l->ctl = ctl[0];
		l->relay = rel[0];
		if (tls != NULL)
			tls_ctx_free(tls);	/* the key stays in the child */
		/* The monitor never reads the client: the child speaks
		 * to it.  It keeps a copy only to hand it to the worker
		 * (login.h: handoff); descriptors 0 and 1 become
		 * /dev/null. */
		l->client = fcntl(0, F_DUPFD_CLOEXEC, 3);
		if ((r = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
		    dup2(r, 0) < 0 || dup2(r, 1) < 0) {
			if (r >= 0)
				(void)close(r);
			return login_fail(why_r, "cannot close the client in the "
			    "monitor", errno);
		}
		if (r > 1)
			(void)close(r);
		return LOGIN_ROLE_MONITOR;
	}
	(void)close(ctl[0]);
	(void)close(rel[0]);
	l->ctl = ctl[1];
	l->relay = rel[1];
	r = child_drop(login_user, jail, why_r);
	if (r < 0)
		return -1;
	if (death_watch(l->ctl, 1) < 0)
		return login_fail(why_r, "the monitor is gone", errno);
	*dropped_r = r;
	return LOGIN_ROLE_CHILD;
}

/* ---- the split model: the worker program, started as the monitor ---- */

void
login_split_close(struct login_split *sp)
{
	(void)io_close(&sp->ctl[0]);
	(void)io_close(&sp->ctl[1]);
	(void)io_close(&sp->rel[0]);
	(void)io_close(&sp->rel[1]);
}

int
login_split_open(struct login_split *sp, int client, const char **why_r)
{
	int r;

	sp->ctl[0] = sp->ctl[1] = sp->rel[0] = sp->rel[1] = -1;
	client_nodelay(client);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp->ctl) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp->rel) < 0) {
		r = errno;
		login_split_close(sp);
		return login_fail(why_r, "socketpair", r);
	}
	return 0;
}

int
login_split_child(struct login *l, struct login_split *sp,
    const char *login_user, const char *jail, int *dropped_r,
    const char **why_r)
{
	int r;

	memset(l, 0, sizeof *l);
	l->client = l->pidfd = -1;
	(void)io_close(&sp->ctl[0]);	/* the monitor's */
	(void)io_close(&sp->rel[0]);
	l->ctl = sp->ctl[1];
	l->relay = sp->rel[1];
	sp->ctl[1] = sp->rel[1] = -1;
	if ((r = child_drop(login_user, jail, why_r)) < 0)
		return -1;
	if (death_watch(l->ctl, 1) < 0)
		return login_fail(why_r, "the monitor is gone", errno);
	*dropped_r = r;
	return 0;
}

pid_t
login_split_monitor(struct login_split *sp, pid_t child, int client,
    const char *program, char *const *argv, char *const *envp, int in_place,
    const char **why_r)
{
	static const int dst[LOGIN_MON_NFD] = { LOGIN_MON_FD_CLIENT,
	    LOGIN_MON_FD_CTL, LOGIN_MON_FD_RELAY, LOGIN_MON_FD_CHILD };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none;
	int src[LOGIN_MON_NFD], tmp[LOGIN_MON_NFD], i, r, e, pidfd;
	pid_t pid = -1;
	const char *why = "pidfd_open";

	/* The kernel's handle on the child: the monitor signals and waits
	 * through it even when the child is not its own (a fork server's):
	 * no pid that could be reused by then. */
	pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0) {
		e = errno;
		login_split_close(sp);
		return login_fail(why_r, why, e);
	}
	src[0] = client;
	src[1] = sp->ctl[0];
	src[2] = sp->rel[0];
	src[3] = pidfd;
	(void)io_close(&sp->ctl[1]);	/* the child's */
	(void)io_close(&sp->rel[1]);
	if (in_place) {
		/* This process becomes the monitor (its pid stays the
		 * connection's; the child is its own). */
		if (io_fd_arrange(src, dst, LOGIN_MON_NFD) < 0) {
			e = errno;
			why = "cannot set up descriptors";
		} else {
			execve(program, argv, envp);
			e = errno;
			why = "cannot run the monitor";
		}
		goto out;
	}
	/*
	 * vfork and exec (posix_spawn: clone(CLONE_VM|CLONE_VFORK)): no copy
	 * of this (big, OpenSSL-linked) server's page tables, no teardown
	 * of them at the exec.  A source on a target number is moved away
	 * first, so no dup2 overwrites one still to be copied.
	 */
	for (i = 0; i < LOGIN_MON_NFD; i++) {
		tmp[i] = -1;
		if (src[i] >= LOGIN_MON_FD_CLIENT &&
		    src[i] < LOGIN_MON_FD_CLIENT + LOGIN_MON_NFD) {
			if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC,
			    LOGIN_MON_FD_CLIENT + LOGIN_MON_NFD)) < 0) {
				e = errno;
				why = "cannot set up descriptors";
				goto undo;
			}
			src[i] = tmp[i];
		}
	}
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		e = r;
		why = "posix_spawn_file_actions_init";
		goto undo;
	}
	if ((r = posix_spawnattr_init(&at)) != 0) {
		(void)posix_spawn_file_actions_destroy(&fa);
		e = r;
		why = "posix_spawnattr_init";
		goto undo;
	}
	r = 0;
	for (i = 0; i < LOGIN_MON_NFD && r == 0; i++)
		r = posix_spawn_file_actions_adddup2(&fa, src[i], dst[i]);
	if (r == 0)
		r = sigemptyset(&none) < 0 ? errno : 0;
	if (r == 0)
		r = posix_spawnattr_setsigmask(&at, &none);
	if (r == 0)
		r = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSID |
		    POSIX_SPAWN_SETSIGMASK);
	if (r == 0)
		r = posix_spawn(&pid, program, &fa, &at, argv, envp);
	(void)posix_spawn_file_actions_destroy(&fa);
	(void)posix_spawnattr_destroy(&at);
	e = r;
	why = "cannot run the monitor";
	if (r != 0)
		pid = -1;
undo:
	for (i = 0; i < LOGIN_MON_NFD; i++)
		if (tmp[i] >= 0)
			(void)close(tmp[i]);
out:
	(void)close(pidfd);
	(void)io_close(&sp->ctl[0]);
	(void)io_close(&sp->rel[0]);
	if (pid < 0)
		return login_fail(why_r, why, e);
	return pid;
}

/* ---- the child's side ---- */

int
login_ask(struct login *l, struct login_req *req, int64_t timeout_ms)
{
	unsigned char buf[LOGIN_REQ_MAX], ans[8];
	int64_t deadline = io_deadline_ms(timeout_ms);
	size_t len;
	ssize_t n;
	int r;

	r = login_req_encode(req, buf, sizeof buf, &len);
	explicit_bzero(req->pass, sizeof req->pass);
	req->pass_len = 0;
	if (r < 0) {
		explicit_bzero(buf, sizeof buf);
		return LOGIN_FAIL;	/* a request we cannot carry */
	}
	/* The answer is data from the monitor: no death watch for it. */
	if (death_watch(l->ctl, 0) < 0) {
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	n = send(l->ctl, buf, len, MSG_NOSIGNAL);
	explicit_bzero(buf, sizeof buf);
	if (n != (ssize_t)len)
		return -1;
	if (io_wait(l->ctl, POLLIN, deadline) < 0)
		return -1;
	n = recv(l->ctl, ans, sizeof ans, MSG_TRUNC);
	if (n != 5 || ans[0] != 'A' || ans[1] > LOGIN_LIMIT ||
	    ans[2] != 'E' || ans[3] != 0 || ans[4] != 0) {
		errno = EPROTO;
		return -1;
	}
	/* Refused: back to reading the client, watching the monitor
	 * again.  Not after LOGIN_TEMPFAIL: a monitor that could not start
	 * the worker ends right after that answer, and the child must
	 * still be able to tell the client (it finds the monitor gone at
	 * its next request, or its login_timeout ends it).  Not after
	 * LOGIN_OK or LOGIN_HANDOFF: the monitor is now the worker and has
	 * closed its end. */
	if ((ans[1] == LOGIN_FAIL || ans[1] == LOGIN_THROTTLED ||
	    ans[1] == LOGIN_LIMIT) &&
	    death_watch(l->ctl, 1) < 0)
		return -1;
	return ans[1];
}

/* Write all of buf to a non-blocking descriptor before the deadline. */
static int
write_all(int fd, const char *p, size_t n, int64_t deadline)
{
	ssize_t w;

	while (n > 0) {
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			if (io_wait(fd, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Client -> worker: one read.  1 more, 0 client EOF, -1 error. */
static int
relay_in(struct login *l, struct bio *client, char *buf, int64_t idle_ms)
{
	ssize_t n = bio_read(client, buf, LOGIN_RELAY_BUF);

	if (n < 0)
		return -1;
	if (n == 0) {
		(void)shutdown(l->relay, SHUT_WR);
		return 0;
	}
	if (write_all(l->relay, buf, (size_t)n, io_deadline_ms(idle_ms)) < 0)
		return -1;
	return 1;
}

/* Worker -> client: one read.  1 more, 0 worker done, -1 error. */
static int
relay_out(struct login *l, struct bio *client, char *buf)
{
	ssize_t n = recv(l->relay, buf, LOGIN_RELAY_BUF, MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 1 : -1;
	if (n == 0)
		return 0;
	if (bio_write(client, buf, (size_t)n) < 0 || bio_flush(client) < 0)
		return -1;
	return 1;
}

int
login_relay(struct login *l, struct bio *client, int64_t idle_ms,
    const char **why_r)
{
	static char buf[LOGIN_RELAY_BUF];
	struct pollfd pf[2];
	int client_open = 1, r, nfd;

	if (bio_flush(client) < 0)
		return login_fail(why_r, "write to the client", errno);
	for (;;) {
		if (client_open && bio_pending(client) > 0) {
			if ((r = relay_in(l, client, buf, idle_ms)) < 0)
				return login_fail(why_r, "client to worker", errno);
			client_open = r;
			continue;
		}
		nfd = 0;
		pf[nfd].fd = l->relay;
		pf[nfd++].events = POLLIN;
		if (client_open) {
			pf[nfd].fd = bio_rfd(client);
			pf[nfd++].events = POLLIN;
		}
		r = poll(pf, (nfds_t)nfd, idle_ms > INT32_MAX ? INT32_MAX :
		    (int)idle_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return login_fail(why_r, "poll", errno);
		if (r == 0)
			return login_fail(why_r, "idle timeout", ETIMEDOUT);
		if (pf[0].revents != 0) {
			if ((r = relay_out(l, client, buf)) < 0)
				return login_fail(why_r, "worker to client", errno);
			if (r == 0)
				return 0;
		}
		if (nfd > 1 && pf[1].revents != 0) {
			if ((r = relay_in(l, client, buf, idle_ms)) < 0)
				return login_fail(why_r, "client to worker", errno);
			client_open = r;
		}
	}
}

