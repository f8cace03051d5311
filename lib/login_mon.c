/*
 * login_mon.c - the monitor's half of the login path: the request codec,
 * tern-authd, the checks and the worker's start (login.h, doc/login.md).
 * Apart from lib/login.c (the fork, the pre-auth child, the relay) so
 * that the monitor (the static worker program), draws in no OpenSSL: nothing here
 * names lib/tls.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/unistd.h>

#include "lib/authc.h"
#include "lib/io.h"
#include "lib/ipnet.h"
#include "lib/login.h"
#include "lib/login_int.h"
#include "lib/maildir.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/sock.h"
#include "lib/userip.h"

#ifndef P_PIDFD
#define P_PIDFD	3	/* Linux 5.4; glibc 2.36 does not name it */
#endif

int
login_fail(const char **why_r, const char *why, int err)
{
	if (why_r != NULL)
		*why_r = why;
	errno = err;
	return -1;
}

/* ---- the monitor's descriptors ---- */

int
login_monitor_attach(struct login *l, const char **why_r)
{
	static const int fds[LOGIN_MON_NFD] = { LOGIN_MON_FD_CLIENT,
	    LOGIN_MON_FD_CTL, LOGIN_MON_FD_RELAY, LOGIN_MON_FD_CHILD };
	int i, null;

	memset(l, 0, sizeof *l);
	for (i = 0; i < LOGIN_MON_NFD; i++)
		if (fcntl(fds[i], F_SETFD, FD_CLOEXEC) < 0)
			return login_fail(why_r, "a descriptor is missing", errno);
	l->client = LOGIN_MON_FD_CLIENT;
	l->ctl = LOGIN_MON_FD_CTL;
	l->relay = LOGIN_MON_FD_RELAY;
	l->pidfd = LOGIN_MON_FD_CHILD;
	/* The monitor never reads the client (login.h: handoff). */
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    dup2(null, 0) < 0 || dup2(null, 1) < 0) {
		i = errno;
		if (null >= 0)
			(void)close(null);
		return login_fail(why_r, "cannot open /dev/null", i);
	}
	if (null > 1)
		(void)close(null);
	return 0;
}

/* ---- the request codec ---- */

static int
put(unsigned char *buf, size_t size, size_t *off, int type, const void *v,
    size_t n)
{
	if (n > 0xffff || size - *off < 3 || size - *off - 3 < n) {
		errno = E2BIG;
		return -1;
	}
	buf[(*off)++] = (unsigned char)type;
	buf[(*off)++] = (unsigned char)(n >> 8);
	buf[(*off)++] = (unsigned char)(n & 0xff);
	if (n > 0)
		memcpy(buf + *off, v, n);
	*off += n;
	return 0;
}

static int
tag_ok(const char *p, size_t n)
{
	size_t i;

	if (n > LOGIN_TAG_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

int
login_req_encode(const struct login_req *q, unsigned char *buf, size_t size,
    size_t *len_r)
{
	unsigned char t = q->tls ? 1 : 0, h = q->handoff ? 1 : 0;
	size_t off = 0, tl = strlen(q->tag), ol = strlen(q->origin);

	if (q->user_len == 0 || q->user_len > LOGIN_USER_MAX ||
	    q->pass_len > LOGIN_PASS_MAX ||
	    memchr(q->user, '\0', q->user_len) != NULL ||
	    memchr(q->pass, '\0', q->pass_len) != NULL || !tag_ok(q->tag, tl) ||
	    q->authzid_len > LOGIN_USER_MAX ||
	    memchr(q->authzid, '\0', q->authzid_len) != NULL ||
	    ol > LOGIN_ORIGIN_MAX ||
	    (ol > 0 && !sock_ip_text_valid(q->origin, ol))) {
		errno = EINVAL;
		return -1;
	}
	if (put(buf, size, &off, 'U', q->user, q->user_len) < 0 ||
	    put(buf, size, &off, 'P', q->pass, q->pass_len) < 0 ||
	    put(buf, size, &off, 'T', &t, 1) < 0 ||
	    put(buf, size, &off, 'G', q->tag, tl) < 0 ||
	    put(buf, size, &off, 'H', &h, 1) < 0 ||
	    (q->authzid_len > 0 &&
	    put(buf, size, &off, 'Z', q->authzid, q->authzid_len) < 0) ||
	    (ol > 0 && put(buf, size, &off, 'X', q->origin, ol) < 0) ||
	    put(buf, size, &off, 'E', NULL, 0) < 0)
		return -1;
	*len_r = off;
	return 0;
}

struct cursor {
	const unsigned char *p;
	size_t		 len, off;
};

/* The next record, which must be of type 'want' and min..max bytes. */
static int
get(struct cursor *c, int want, size_t min, size_t max, const void **v_r,
    size_t *n_r)
{
	size_t n;

	if (c->len - c->off < 3 || c->p[c->off] != want)
		return -1;
	n = (size_t)c->p[c->off + 1] << 8 | c->p[c->off + 2];
	if (n < min || n > max || c->len - c->off - 3 < n)
		return -1;
	*v_r = c->p + c->off + 3;
	*n_r = n;
	c->off += 3 + n;
	return 0;
}

int
login_req_decode(const void *buf, size_t len, struct login_req *q,
    const char **why_r)
{
	struct cursor c = { buf, len, 0 };
	const void *v;
	size_t n;

	memset(q, 0, sizeof *q);
	if (get(&c, 'U', 1, LOGIN_USER_MAX, &v, &n) < 0 ||
	    memchr(v, '\0', n) != NULL)
		return login_fail(why_r, "bad user record", EPROTO);
	memcpy(q->user, v, n);
	q->user_len = n;
	if (get(&c, 'P', 0, LOGIN_PASS_MAX, &v, &n) < 0 ||
	    memchr(v, '\0', n) != NULL) {
		explicit_bzero(q, sizeof *q);
		return login_fail(why_r, "bad password record", EPROTO);
	}
	memcpy(q->pass, v, n);
	q->pass_len = n;
	if (get(&c, 'T', 1, 1, &v, &n) < 0 ||
	    *(const unsigned char *)v > 1) {
		explicit_bzero(q, sizeof *q);
		return login_fail(why_r, "bad tls record", EPROTO);
	}
	q->tls = *(const unsigned char *)v;
	if (get(&c, 'G', 0, LOGIN_TAG_MAX, &v, &n) < 0 || !tag_ok(v, n)) {
		explicit_bzero(q, sizeof *q);
		return login_fail(why_r, "bad tag record", EPROTO);
	}
	memcpy(q->tag, v, n);
	if (get(&c, 'H', 1, 1, &v, &n) < 0 ||
	    *(const unsigned char *)v > 1) {
		explicit_bzero(q, sizeof *q);
		return login_fail(why_r, "bad handoff record", EPROTO);
	}
	q->handoff = *(const unsigned char *)v;
	if (c.off < len && c.p[c.off] == 'Z') {
		if (get(&c, 'Z', 1, LOGIN_USER_MAX, &v, &n) < 0 ||
		    memchr(v, '\0', n) != NULL) {
			explicit_bzero(q, sizeof *q);
			return login_fail(why_r, "bad authzid record", EPROTO);
		}
		memcpy(q->authzid, v, n);
		q->authzid_len = n;
	}
	if (c.off < len && c.p[c.off] == 'X') {
		if (get(&c, 'X', 1, LOGIN_ORIGIN_MAX, &v, &n) < 0 ||
		    !sock_ip_text_valid(v, n)) {
			explicit_bzero(q, sizeof *q);
			return login_fail(why_r, "bad origin record", EPROTO);
		}
		memcpy(q->origin, v, n);
	}
	if (get(&c, 'E', 0, 0, &v, &n) < 0 || c.off != len) {
		explicit_bzero(q, sizeof *q);
		return login_fail(why_r, "bad end record or trailing bytes", EPROTO);
	}
	return 0;
}

/* ---- the monitor ---- */

static void
note(const struct login_monitor_conf *c, struct login_event *ev)
{
	if (c->note != NULL)
		c->note(c->arg, ev);
}

int
login_answer(struct login *l, int a)
{
	unsigned char m[5] = { 'A', (unsigned char)a, 'E', 0, 0 };

	return send(l->ctl, m, sizeof m, MSG_NOSIGNAL) == (ssize_t)sizeof m ?
	    0 : -1;
}

static const char *const spawn_steps[] = {
	"", "cannot drop privileges", "cannot enter the Maildir",
	"cannot stat the Maildir", "the Maildir has the wrong owner",
	"cannot set up descriptors", "cannot build the environment",
	"cannot run the worker"
};

/* The worker's environment: allow list, LOGIN_*, the caller's extras. */
static char **
worker_env(const struct login_monitor_conf *c, const struct authc_reply *rep,
    const struct login_req *q)
{
	const char *extra[ENV_MAX];
	struct sbuf u, t, g, qb;
	size_t n = 0, i;
	char **env;

	sbuf_init(&u, LOGIN_USER_MAX + 16);
	sbuf_init(&t, 16);
	sbuf_init(&g, LOGIN_TAG_MAX + 16);
	sbuf_init(&qb, 40);
	if (sbuf_printf(&u, "LOGIN_USER=%s", rep->addr) < 0 ||
	    sbuf_printf(&t, "LOGIN_TLS=%d", q->tls ? 1 : 0) < 0 ||
	    sbuf_printf(&g, "LOGIN_TAG=%s", q->tag) < 0 ||
	    sbuf_printf(&qb, "LOGIN_QUOTA=%llu",
	    (unsigned long long)rep->quota) < 0)
		return NULL;
	extra[n++] = u.s;
	extra[n++] = t.s;
	extra[n++] = qb.s;
	if (q->tag[0] != '\0')
		extra[n++] = g.s;
	for (i = 0; c->env_extra != NULL && c->env_extra[i] != NULL &&
	    n < ENV_MAX - 1; i++)
		extra[n++] = c->env_extra[i];
	extra[n] = NULL;
	env = env_build(c->env_allow, extra);
	sbuf_fini(&u);
	sbuf_fini(&t);
	sbuf_fini(&g);
	sbuf_fini(&qb);
	return env;
}

/* The pre-auth child told to die: by its pidfd when there is one (it
 * may be no child of ours: a fork server's, doc/login.md). */
static void
child_kill(struct login *l)
{
	if (l->pidfd >= 0)
		(void)syscall(SYS_pidfd_send_signal, l->pidfd, SIGKILL, NULL, 0);
	else if (l->child > 0)
		(void)kill(l->child, SIGKILL);
}

/*
 * Wait for the pre-auth child to end (block: wait until it does; else
 * only look).  Its exit code when it is our child and ended, 0 when it
 * ended as another process's child (a fork server's, which reaps it: we
 * cannot know its code), -1 when it has not ended (!block).
 */
static int
child_wait(struct login *l, int block)
{
	struct pollfd pf;
	siginfo_t si;
	int st;
	pid_t p;

	if (l->pidfd >= 0) {
		memset(&si, 0, sizeof si);
		while (waitid((idtype_t)P_PIDFD, (id_t)l->pidfd, &si,
		    WEXITED | (block ? 0 : WNOHANG)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno != ECHILD)
				return 0;
			/* Not ours: its pidfd turns readable when it ends. */
			pf.fd = l->pidfd;
			pf.events = POLLIN;
			while (poll(&pf, 1, block ? -1 : 0) < 0 &&
			    errno == EINTR)
				;
			return pf.revents != 0 ? 0 : -1;
		}
		if (si.si_pid == 0)
			return -1;	/* WNOHANG: still running */
		return si.si_code == CLD_EXITED ? si.si_status : 111;
	}
	if (l->child <= 0)
		return 0;
	while ((p = waitpid(l->child, &st, block ? 0 : WNOHANG)) < 0 &&
	    errno == EINTR)
		;
	if (p == 0)
		return -1;
	if (p < 0)
		return 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}

/*
 * After LOGIN_HANDOFF the child ends at once: wait for it (its end of ctl
 * closing says so; bounded), so the worker does not carry a zombie.
 */
static void
child_reap(struct login *l)
{
	int64_t deadline = io_deadline_ms(LOGIN_REAP_MS);
	int closed = 0;
	char c;

	while (!closed && io_wait(l->ctl, POLLIN, deadline) > 0)
		closed = recv(l->ctl, &c, 1, 0) <= 0;
	/* Closed: the child is exiting, wait.  Late: leave it be. */
	(void)child_wait(l, closed);
}

/*
 * A first login before the first delivery (a new account, or one written
 * into the accounts map by hand, or imported): its Maildir is made as
 * tern-lspawn makes it, so the client sees an empty INBOX rather than a
 * temporary error.  Only for an account that lives here: without host=
 * (maps.h: "local") or with host= this host's name (c->hostname, the
 * test tern-qmgr makes for a local delivery): on a storage tier every
 * account has host= (INSTALL 7.3), and a new one must be readable before
 * its first mail.  An account of another host (a move's old host
 * afterwards, doc/move.md) gets no empty Maildir here.
 */
static int
home_make(const struct login_monitor_conf *c, const struct authc_reply *rep)
{
	if (rep->host[0] != '\0' && strcmp(rep->host, "local") != 0 &&
	    (c->hostname == NULL || c->hostname[0] == '\0' ||
	    strcasecmp(rep->host, c->hostname) != 0)) {
		errno = ENOENT;
		return -1;
	}
	return maildir_make_home(rep->home, (uid_t)rep->uid, priv_is_root());
}

/*
 * The monitor becomes the worker (no fork: one process fewer per session,
 * and the supervisor's pid for the connection stays the session's).
 * As root first: the home must be a folder owned by the account, or the
 * login is refused while the monitor can still serve another attempt.
 * Then, past the point of no return: priv_drop, chdir as the account (the
 * kernel checks the path), the owner checked again on ".", the relay end
 * on descriptors 0 and 1, LOGIN_OK to the child, execve.  Returns only on
 * a failure: 0 when nothing was dropped yet (answer TEMPFAIL, go on),
 * -1 when the process is no longer root (answer TEMPFAIL, then end).
 */
static int
worker_become(struct login *l, const struct login_monitor_conf *c,
    const struct authc_reply *rep, const struct login_req *q, int slot,
    struct login_event *ev)
{
	struct stat st;
	char **env;
	const char *why;
	int src[2], dst[2] = { 0, 1 }, handoff;

	if (stat(rep->home, &st) < 0 && (errno != ENOENT ||
	    home_make(c, rep) < 0 || stat(rep->home, &st) < 0)) {
		ev->why = spawn_steps[3];
		ev->err = errno;
		return 0;
	}
	if (!S_ISDIR(st.st_mode) ||
	    (priv_is_root() && st.st_uid != (uid_t)rep->uid) ||
	    (!priv_is_root() && st.st_uid != getuid())) {
		ev->why = spawn_steps[4];
		ev->err = EPERM;
		return 0;
	}
	if ((env = worker_env(c, rep, q)) == NULL) {
		ev->why = spawn_steps[6];
		ev->err = errno;
		return 0;
	}
	if (priv_drop((uid_t)rep->uid, (gid_t)rep->uid, NULL, &why) < 0) {
		ev->why = spawn_steps[1];
		goto dropped;
	}
	if (chdir(rep->home) < 0) {
		ev->why = spawn_steps[2];
		goto dropped;
	}
	if (stat(".", &st) < 0) {
		ev->why = spawn_steps[3];
		goto dropped;
	}
	if (st.st_uid != getuid() || !S_ISDIR(st.st_mode)) {
		errno = EPERM;
		ev->why = spawn_steps[4];
		goto dropped;
	}
	handoff = q->handoff && l->client >= 0;
	src[0] = src[1] = handoff ? l->client : l->relay;
	/* In this image (run): plain dup2s, the sources being on 3..6
	 * (login_monitor_attach), so no temporary copy stays open. */
	if (c->run != NULL ? src[0] < 2 || dup2(src[0], 0) < 0 ||
	    dup2(src[0], 1) < 0 : io_fd_arrange(src, dst, 2) < 0) {
		ev->why = spawn_steps[5];
		goto dropped;
	}
	ev->pid = getpid();
	note(c, ev);
	/* The worker answers the client; the child relays from now on,
	 * or ends at once when the worker has the client itself. */
	if (login_answer(l, handoff ? LOGIN_HANDOFF : LOGIN_OK) < 0)
		_exit(111);
	if (handoff)
		child_reap(l);
	if (c->run != NULL) {
		/* The worker in this image: only the monitor's own
		 * descriptors go (a log socket stays open). */
		(void)io_close(&l->ctl);
		(void)io_close(&l->relay);
		(void)io_close(&l->client);
		(void)io_close(&l->pidfd);
		c->run(env);
		_exit(111);	/* it does not return */
	}
	/* The session slot (not close-on-exec) stays, on 3. */
	if (slot >= 0 && slot != 3 && dup2(slot, 3) < 0)
		_exit(111);
	closefrom(slot >= 0 ? 4 : 3);
	execve(c->program, c->argv, env);
	ev->why = spawn_steps[7];
	ev->err = errno;
	note(c, ev);
	_exit(111);
dropped:
	ev->err = errno;
	free(env);
	return -1;
}

/* Wait for one request: 1, 0 (the child closed), -1 (broken, timed out). */
static int
monitor_recv(struct login *l, struct login_req *q, int64_t deadline,
    const char **why_r)
{
	unsigned char buf[LOGIN_REQ_MAX + 1];
	ssize_t n;
	int r;

	if (io_wait(l->ctl, POLLIN, deadline) < 0)
		return login_fail(why_r, "no request in time", errno);
	n = recv(l->ctl, buf, sizeof buf, MSG_TRUNC);
	if (n < 0)
		return login_fail(why_r, "recv", errno);
	if (n == 0)
		return 0;
	if ((size_t)n > LOGIN_REQ_MAX) {
		explicit_bzero(buf, sizeof buf);
		return login_fail(why_r, "request too long", EPROTO);
	}
	r = login_req_decode(buf, (size_t)n, q, why_r);
	explicit_bzero(buf, sizeof buf);
	return r < 0 ? -1 : 1;
}

static int
status_answer(int st)
{
	switch (st) {
	case AUTHC_OK:
		return LOGIN_OK;
	case AUTHC_FAIL:
		return LOGIN_FAIL;
	case AUTHC_THROTTLED:
		return LOGIN_THROTTLED;
	case AUTHC_TEMPFAIL:
		return LOGIN_TEMPFAIL;
	}
	return LOGIN_TEMPFAIL;
}

/*
 * Did tern-authd take a master login (the account is the authzid, not
 * the user that logged in)?  It does so only from login_trusted_proxies
 * (doc/proxy.md), so then the origin is the real client's address.  A
 * child that sent Z and X on its own is not believed: tern-authd
 * ignored its Z and answered for its user.
 */
static int
master_login(const struct login_req *q, const struct authc_reply *rep)
{
	size_t n = strlen(rep->addr);

	return q->authzid_len > 0 && q->origin[0] != '\0' &&
	    n == q->authzid_len &&
	    strncasecmp(rep->addr, q->authzid, n) == 0 &&
	    (q->user_len != n || strncasecmp(q->user, q->authzid, n) != 0);
}

/*
 * The session's slot for (service, account, address) (login.h: userip).
 * 0 with *fd_r (-1: no limit, or a slot could not be taken: noted, let
 * in), or LOGIN_LIMIT when every slot is held (noted).
 */
static int
slot_take(const struct login_monitor_conf *c, const struct authc_reply *rep,
    const struct login_req *q, int *fd_r)
{
	struct login_event ev;
	struct userip u;
	int r;

	*fd_r = -1;
	memset(&ev, 0, sizeof ev);
	ev.kind = LOGIN_EV_LIMIT;
	ev.user = ev.addr = rep->addr;
	ev.user_len = strlen(rep->addr);
	ev.uid = rep->uid;
	ev.max = c->userip_max;
	ev.ip = master_login(q, rep) ? q->origin : c->remote_ip;
	if (c->userip_max == 0 || c->userip_dir == NULL ||
	    c->userip_service == NULL || ev.ip == NULL || ev.ip[0] == '\0')
		return 0;
	if (userip_open(c->userip_dir, &u) < 0) {
		ev.why = "cannot open the slots' folder";
		ev.err = errno;
		note(c, &ev);
		return 0;
	}
	r = userip_take(&u, c->userip_service, rep->addr, ev.ip,
	    c->userip_max, fd_r);
	ev.err = errno;
	userip_close(&u);
	if (r < 0)
		ev.why = "cannot take a slot";
	if (r != 0)
		note(c, &ev);
	return r > 0 ? LOGIN_LIMIT : 0;
}

/* One request: ask tern-authd, start the worker on success.  Returns the
 * answer sent, or -1 when the child is gone. */
static int
monitor_one(struct login *l, const struct login_monitor_conf *c,
    struct login_req *q)
{
	struct authc_req ar;
	struct authc_reply rep;
	struct login_event ev;
	int a, r, slot = -1;

	memset(&ar, 0, sizeof ar);
	ar.service = c->service;
	ar.remote_ip = c->remote_ip;
	ar.user = q->user;
	ar.user_len = q->user_len;
	ar.pass = q->pass;
	ar.pass_len = q->pass_len;
	ar.tls = q->tls;
	ar.authzid = q->authzid;
	ar.authzid_len = q->authzid_len;
	ar.origin_ip = q->origin;
	r = authc_verify(c->authd_socket, &ar, &rep, c->auth_timeout_ms);
	explicit_bzero(q->pass, sizeof q->pass);
	memset(&ev, 0, sizeof ev);
	ev.kind = LOGIN_EV_AUTH;
	ev.user = q->user;
	ev.user_len = q->user_len;
	ev.authzid = q->authzid;
	ev.origin = q->origin;
	ev.status = r < 0 ? -1 : (int)rep.status;
	ev.err = r < 0 ? errno : 0;
	a = r < 0 ? LOGIN_TEMPFAIL : status_answer(rep.status);
	if (a == LOGIN_OK) {
		ev.addr = rep.addr;
		ev.uid = rep.uid;
		if (priv_is_root() && (rep.uid == 0 || rep.uid < c->uid_min)) {
			ev.why = "account uid below account_uid_min";
			a = LOGIN_TEMPFAIL;
		} else if (rep.home[0] != '/') {
			ev.why = "account home is not absolute";
			a = LOGIN_TEMPFAIL;
		}
	}
	note(c, &ev);
	if (a == LOGIN_OK)
		a = slot_take(c, &rep, q, &slot);
	if (a == LOGIN_OK) {
		/* Returns only when the worker could not be started. */
		memset(&ev, 0, sizeof ev);
		ev.kind = LOGIN_EV_WORKER;
		ev.addr = rep.addr;
		ev.uid = rep.uid;
		if ((c->become != NULL ? c->become(c->arg, l, &rep, q, &ev) :
		    worker_become(l, c, &rep, q, slot, &ev)) < 0)
			l->dropped = 1;
		note(c, &ev);
		a = c->become != NULL && ev.code == LOGIN_LIMIT ?
		    LOGIN_LIMIT : LOGIN_TEMPFAIL;
		if (slot >= 0)
			(void)close(slot);	/* no session: free it */
	}
	explicit_bzero(&rep, sizeof rep);
	if (login_answer(l, a) < 0)
		return -1;
	return l->dropped ? -1 : a;
}

/* Wait for the child (the monitor only gets here when no worker runs). */
static int
monitor_wait(struct login *l)
{
	int code;

	(void)io_close(&l->ctl);
	(void)io_close(&l->relay);
	(void)io_close(&l->client);
	code = child_wait(l, 1);
	l->child = 0;
	(void)io_close(&l->pidfd);
	return code < 0 ? 0 : code;
}

int
login_monitor_run(struct login *l, const struct login_monitor_conf *c)
{
	struct login_req q;
	struct login_event ev;
	int64_t deadline = io_deadline_ms(c->preauth_ms);
	const char *why = NULL;
	int r, n = 0, code;

	for (;;) {
		r = monitor_recv(l, &q, deadline, &why);
		if (r <= 0) {
			if (r < 0) {
				memset(&ev, 0, sizeof ev);
				ev.kind = LOGIN_EV_PROTO;
				ev.why = why;
				ev.err = errno;
				note(c, &ev);
				child_kill(l);
			}
			break;
		}
		r = monitor_one(l, c, &q);
		explicit_bzero(&q, sizeof q);
		if (r < 0 || r == LOGIN_OK)
			break;
		if (++n >= LOGIN_ATTEMPTS_MAX) {
			child_kill(l);
			break;
		}
	}
	code = monitor_wait(l);
	memset(&ev, 0, sizeof ev);
	ev.kind = LOGIN_EV_END;
	ev.code = code;
	note(c, &ev);
	return code;
}

/* ---- networks ---- */

int
login_ip_in(const char *ip, char *const *nets, size_t n, const char **why_r)
{
	return ipnet_in(ip, nets, n, why_r);
}