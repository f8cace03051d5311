/*
 * login.c - the privilege-split login path.  See login.h and doc/login.md.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/sock.h"
#include "lib/tls.h"

/* ---- the jail ---- */

static int
fail(const char **why_r, const char *why, int err)
{
	if (why_r != NULL)
		*why_r = why;
	errno = err;
	return -1;
}

int
login_jail_make(const char *path, const char **why_r)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int n = 0;

	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		return fail(why_r, "cannot make the jail", errno);
	if (lstat(path, &st) < 0)
		return fail(why_r, "cannot stat the jail", errno);
	if (!S_ISDIR(st.st_mode))
		return fail(why_r, "the jail is not a folder", ENOTDIR);
	if (st.st_uid != geteuid())
		return fail(why_r, "the jail has the wrong owner", EPERM);
	if ((st.st_mode & 07777) != 0755 && chmod(path, 0755) < 0)
		return fail(why_r, "cannot chmod the jail", errno);
	if ((d = opendir(path)) == NULL)
		return fail(why_r, "cannot read the jail", errno);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			n++;
	(void)closedir(d);
	if (n != 0)
		return fail(why_r, "the jail is not empty", ENOTEMPTY);
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

int
login_fork(struct login *l, const char *login_user, const char *jail,
    struct tls_ctx **tls, int *dropped_r, const char **why_r)
{
	int ctl[2], rel[2], r;
	pid_t pid;

	memset(l, 0, sizeof *l);
	l->ctl = l->relay = l->client = -1;
	client_nodelay(0);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ctl) < 0)
		return fail(why_r, "socketpair", errno);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, rel) < 0) {
		r = errno;
		(void)close(ctl[0]);
		(void)close(ctl[1]);
		return fail(why_r, "socketpair", r);
	}
	if ((pid = fork()) < 0) {
		r = errno;
		(void)close(ctl[0]);
		(void)close(ctl[1]);
		(void)close(rel[0]);
		(void)close(rel[1]);
		return fail(why_r, "fork", r);
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
			return fail(why_r, "cannot close the client in the "
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
	*dropped_r = r;
	return LOGIN_ROLE_CHILD;
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
		return fail(why_r, "bad user record", EPROTO);
	memcpy(q->user, v, n);
	q->user_len = n;
	if (get(&c, 'P', 0, LOGIN_PASS_MAX, &v, &n) < 0 ||
	    memchr(v, '\0', n) != NULL) {
		explicit_bzero(q, sizeof *q);
		return fail(why_r, "bad password record", EPROTO);
	}
	memcpy(q->pass, v, n);
	q->pass_len = n;
	if (get(&c, 'T', 1, 1, &v, &n) < 0 ||
	    *(const unsigned char *)v > 1) {
		explicit_bzero(q, sizeof *q);
		return fail(why_r, "bad tls record", EPROTO);
	}
	q->tls = *(const unsigned char *)v;
	if (get(&c, 'G', 0, LOGIN_TAG_MAX, &v, &n) < 0 || !tag_ok(v, n)) {
		explicit_bzero(q, sizeof *q);
		return fail(why_r, "bad tag record", EPROTO);
	}
	memcpy(q->tag, v, n);
	if (get(&c, 'H', 1, 1, &v, &n) < 0 ||
	    *(const unsigned char *)v > 1) {
		explicit_bzero(q, sizeof *q);
		return fail(why_r, "bad handoff record", EPROTO);
	}
	q->handoff = *(const unsigned char *)v;
	if (c.off < len && c.p[c.off] == 'Z') {
		if (get(&c, 'Z', 1, LOGIN_USER_MAX, &v, &n) < 0 ||
		    memchr(v, '\0', n) != NULL) {
			explicit_bzero(q, sizeof *q);
			return fail(why_r, "bad authzid record", EPROTO);
		}
		memcpy(q->authzid, v, n);
		q->authzid_len = n;
	}
	if (c.off < len && c.p[c.off] == 'X') {
		if (get(&c, 'X', 1, LOGIN_ORIGIN_MAX, &v, &n) < 0 ||
		    !sock_ip_text_valid(v, n)) {
			explicit_bzero(q, sizeof *q);
			return fail(why_r, "bad origin record", EPROTO);
		}
		memcpy(q->origin, v, n);
	}
	if (get(&c, 'E', 0, 0, &v, &n) < 0 || c.off != len) {
		explicit_bzero(q, sizeof *q);
		return fail(why_r, "bad end record or trailing bytes", EPROTO);
	}
	return 0;
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
	n = send(l->ctl, buf, len, MSG_NOSIGNAL);
	explicit_bzero(buf, sizeof buf);
	if (n != (ssize_t)len)
		return -1;
	if (io_wait(l->ctl, POLLIN, deadline) < 0)
		return -1;
	n = recv(l->ctl, ans, sizeof ans, MSG_TRUNC);
	if (n != 5 || ans[0] != 'A' || ans[1] > LOGIN_HANDOFF ||
	    ans[2] != 'E' || ans[3] != 0 || ans[4] != 0) {
		errno = EPROTO;
		return -1;
	}
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
		return fail(why_r, "write to the client", errno);
	for (;;) {
		if (client_open && bio_pending(client) > 0) {
			if ((r = relay_in(l, client, buf, idle_ms)) < 0)
				return fail(why_r, "client to worker", errno);
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
			return fail(why_r, "poll", errno);
		if (r == 0)
			return fail(why_r, "idle timeout", ETIMEDOUT);
		if (pf[0].revents != 0) {
			if ((r = relay_out(l, client, buf)) < 0)
				return fail(why_r, "worker to client", errno);
			if (r == 0)
				return 0;
		}
		if (nfd > 1 && pf[1].revents != 0) {
			if ((r = relay_in(l, client, buf, idle_ms)) < 0)
				return fail(why_r, "client to worker", errno);
			client_open = r;
		}
	}
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
	while (waitpid(l->child, NULL, closed ? 0 : WNOHANG) < 0 &&
	    errno == EINTR)
		;
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
    const struct authc_reply *rep, const struct login_req *q,
    struct login_event *ev)
{
	struct stat st;
	char **env;
	const char *why;
	int src[2], dst[2] = { 0, 1 }, handoff;

	if (stat(rep->home, &st) < 0) {
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
	if (io_fd_arrange(src, dst, 2) < 0) {
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
	closefrom(3);
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
		return fail(why_r, "no request in time", errno);
	n = recv(l->ctl, buf, sizeof buf, MSG_TRUNC);
	if (n < 0)
		return fail(why_r, "recv", errno);
	if (n == 0)
		return 0;
	if ((size_t)n > LOGIN_REQ_MAX) {
		explicit_bzero(buf, sizeof buf);
		return fail(why_r, "request too long", EPROTO);
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

/* One request: ask tern-authd, start the worker on success.  Returns the
 * answer sent, or -1 when the child is gone. */
static int
monitor_one(struct login *l, const struct login_monitor_conf *c,
    struct login_req *q)
{
	struct authc_req ar;
	struct authc_reply rep;
	struct login_event ev;
	int a, r;

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
	if (a == LOGIN_OK) {
		/* Returns only when the worker could not be started. */
		memset(&ev, 0, sizeof ev);
		ev.kind = LOGIN_EV_WORKER;
		ev.addr = rep.addr;
		ev.uid = rep.uid;
		if ((c->become != NULL ? c->become(c->arg, l, &rep, q, &ev) :
		    worker_become(l, c, &rep, q, &ev)) < 0)
			l->dropped = 1;
		note(c, &ev);
		a = LOGIN_TEMPFAIL;
	}
	explicit_bzero(&rep, sizeof rep);
	if (login_answer(l, a) < 0)
		return -1;
	return l->dropped ? -1 : a;
}

static int
exit_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 111;
}

/* Wait for the child (the monitor only gets here when no worker runs). */
static int
monitor_wait(struct login *l)
{
	int st, code = 0;
	pid_t p;

	(void)io_close(&l->ctl);
	(void)io_close(&l->relay);
	(void)io_close(&l->client);
	while (l->child > 0) {
		p = waitpid(l->child, &st, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		l->child = 0;
		code = exit_code(st);
	}
	return code;
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
				(void)kill(l->child, SIGKILL);
			}
			break;
		}
		r = monitor_one(l, c, &q);
		explicit_bzero(&q, sizeof q);
		if (r < 0 || r == LOGIN_OK)
			break;
		if (++n >= LOGIN_ATTEMPTS_MAX) {
			(void)kill(l->child, SIGKILL);
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
