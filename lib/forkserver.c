/*
 * forkserver.c - fork one child per connection handed over by
 * tern-supervise (forkserver.h has the protocol and the why).
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/fdpass.h"
#include "lib/forkserver.h"
#include "lib/scan.h"
#include "lib/selfpipe.h"

extern char **environ;

/* The variables a message may set: sock_ucspi()'s, nothing else. */
static const char *const vars[] = {
	"PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP",
	"TCPREMOTEPORT", NULL
};
#define VARS_MAX	8

int
forkserver_fd(void)
{
	const char *v = getenv(FORKSERVER_ENV);
	uint64_t fd;

	if (v == NULL || scan_u64_s(v, &fd) < 0 || fd < 3 || fd > 1024)
		return -1;
	return (int)fd;
}

/* Replies are small; a full socket buffer blocks us, which is right:
 * the supervisor reads them in its loop.  kind 'f': id only. */
static void
reply(int fd, char kind, unsigned long long a, long b)
{
	char buf[96];
	int n = kind == 'f' ? snprintf(buf, sizeof buf, "f %llu", a) :
	    snprintf(buf, sizeof buf, "%c %llu %ld", kind, a, b);

	if (n <= 0 || (size_t)n >= sizeof buf)
		return;
	while (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0 && errno == EINTR)
		continue;
}

static int
var_ok(const char *kv, size_t n)
{
	const char *eq = memchr(kv, '=', n);
	size_t i, k;

	if (eq == NULL)
		return 0;
	k = (size_t)(eq - kv);
	for (i = 0; vars[i] != NULL; i++)
		if (strlen(vars[i]) == k && memcmp(vars[i], kv, k) == 0)
			break;
	if (vars[i] == NULL)
		return 0;
	for (i = k + 1; i < n; i++)
		if ((unsigned char)kv[i] <= ' ' || (unsigned char)kv[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * One message: "c ID" NUL then NAME=VALUE strings, each NUL-terminated.
 * The strings are checked here; vars_r points into buf.
 */
static int
parse(char *buf, size_t n, unsigned long long *id_r, char **vars_r,
    size_t *nvars_r)
{
	size_t i = 0, len, nv = 0;
	uint64_t id;

	if (n < 4 || buf[n - 1] != '\0' || buf[0] != 'c' || buf[1] != ' ')
		return -1;
	len = strlen(buf);
	if (scan_u64_n(buf + 2, len - 2, &id) < 0)
		return -1;
	*id_r = id;
	for (i = len + 1; i < n; i += len + 1) {
		len = strlen(buf + i);
		if (nv == VARS_MAX || !var_ok(buf + i, len))
			return -1;
		vars_r[nv++] = buf + i;
	}
	*nvars_r = nv;
	return 0;
}

struct fs {
	int		 fd;
	int		(*stale)(void *);
	void		*arg;
	char		**argv;
	const struct forkserver_split *split;
	int		 spare_on;	/* forkserver_serve_text() */
	int		 spare_fd;	/* the server's end to the spare, or -1 */
	pid_t		 spare_pid;
};

/* Length of a NAME=VALUE's name and '='. */
static size_t
env_name_len(const char *kv)
{
	const char *eq = strchr(kv, '=');

	return eq != NULL ? (size_t)(eq - kv) + 1 : strlen(kv);
}

/*
 * The environment of a connection's process: the server's, less
 * FORKSERVER_ENV and the names the message sets, plus v[].  One array,
 * not a putenv per variable: each putenv reallocated the array, and every
 * heap page that touched was a copy-on-write fault in the child (~15 per
 * connection).  NULL when out of memory.
 */
static char **
env_merge(char **v, size_t nv)
{
	static const char fsenv[] = FORKSERVER_ENV "=";
	char **e, **ne;
	size_t n = 0, i, k;

	for (e = environ; e != NULL && *e != NULL; e++)
		n++;
	if ((ne = calloc(n + nv + 1, sizeof *ne)) == NULL)
		return NULL;
	k = 0;
	for (e = environ; e != NULL && *e != NULL; e++) {
		size_t l = env_name_len(*e);

		if (strncmp(*e, fsenv, sizeof fsenv - 1) == 0)
			continue;
		for (i = 0; i < nv; i++)
			if (env_name_len(v[i]) == l &&
			    strncmp(v[i], *e, l) == 0)
				break;
		if (i == nv)
			ne[k++] = *e;
	}
	for (i = 0; i < nv; i++)
		ne[k++] = v[i];
	ne[k] = NULL;
	return ne;
}

/* In the child: environ = env_merge(). */
static int
child_env(char **v, size_t nv)
{
	char **ne = env_merge(v, nv);

	if (ne == NULL)
		return -1;
	environ = ne;
	return 0;
}

/* In the child: become the connection's process; 0, or exits. */
static int
child(const struct fs *f, int conn, char **v, size_t nv, int stale)
{
	sigset_t none;

	selfpipe_fini();
	if (f->fd >= 0)
		(void)close(f->fd);	/* the supervisor's socket is not ours */
	if (f->spare_fd >= 0)
		(void)close(f->spare_fd);	/* nor the spare's */
	if (sigemptyset(&none) < 0 ||
	    sigprocmask(SIG_SETMASK, &none, NULL) < 0 || setsid() < 0)
		_exit(111);
	if (child_env(v, nv) < 0 || dup2(conn, 0) < 0 || dup2(conn, 1) < 0)
		_exit(111);
	if (conn > 1)
		(void)close(conn);	/* dup'd to 0 and 1 */
	/* The configuration changed since the server read it: this one
	 * connection is served by a fresh image, which reads it anew. */
	if (stale && f->argv != NULL)
		(void)execve("/proc/self/exe", f->argv, environ);
	return 0;	/* no /proc: the old settings, this once */
}

/* Lower-case hex digits (the kernel's), 1..16 of them. */
static int
hex_n(const char *p, size_t n, uint64_t *r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			v = v << 4 | (uint64_t)(p[i] - '0');
		else if (p[i] >= 'a' && p[i] <= 'f')
			v = v << 4 | (uint64_t)(p[i] - 'a' + 10);
		else
			return -1;
	}
	*r = v;
	return 0;
}

/*
 * One r-xp line of /proc/self/maps backed by a file: its range.  The
 * line is "START-END PERMS OFFSET DEV INODE PATH".
 */
static int
text_line(const char *l, size_t n, uintptr_t *a_r, uintptr_t *b_r)
{
	const char *dash, *sp, *end = l + n;
	uint64_t a, b;

	if ((dash = memchr(l, '-', n)) == NULL ||
	    (sp = memchr(dash, ' ', (size_t)(end - dash))) == NULL ||
	    end - sp < 6 || memcmp(sp + 1, "r-xp ", 5) != 0 ||
	    memchr(sp, '/', (size_t)(end - sp)) == NULL ||
	    hex_n(l, (size_t)(dash - l), &a) < 0 ||
	    hex_n(dash + 1, (size_t)(sp - dash - 1), &b) < 0 ||
	    a >= b || b > UINTPTR_MAX)
		return -1;
	*a_r = (uintptr_t)a;
	*b_r = (uintptr_t)b;
	return 0;
}

int
forkserver_share_text(void)
{
	static char buf[32768];
	size_t len = 0;
	ssize_t n;
	char *l, *nl;
	uintptr_t a, b;
	int fd, done = 0;

	/* Not where W+X or the re-protection of a changed code page can be
	 * refused (SELinux execmem/execmod): there the text stays as it is. */
	if (access("/sys/fs/selinux/enforce", F_OK) == 0)
		return 0;
	if ((fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	while (len < sizeof buf - 1 &&
	    (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			(void)close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	(void)close(fd);
	for (l = buf; l < buf + len; l = nl + 1) {
		if ((nl = memchr(l, '\n', (size_t)(buf + len - l))) == NULL)
			break;	/* a last line cut by the buffer */
		if (text_line(l, (size_t)(nl - l), &a, &b) < 0)
			continue;
		/* Writable for a moment (still executable: this code, libc's
		 * mprotect, may be in it), one byte written as it is, then
		 * read-only again.  The write gives the mapping an anon_vma,
		 * and only the whole range changing keeps it one mapping. */
		if (mprotect((void *)a, b - a, PROT_READ | PROT_WRITE |
		    PROT_EXEC) < 0)
			continue;
		*(volatile unsigned char *)a = *(volatile unsigned char *)a;
		if (mprotect((void *)a, b - a, PROT_READ | PROT_EXEC) < 0)
			return -1;
		done++;
	}
	return done;
}

/*
 * The spare (a service that is not split): a child forked before its
 * connection is there, waiting on a socket pair for the message and the
 * descriptor the supervisor sent the server.  The server forwards the
 * next connection to it and forks the next spare after it has answered,
 * so the fork (0.7 ms of CPU on a VM, bench/RESULTS.md) is no longer
 * between a client's connect and its greeting: the spare is made while
 * the last session runs on the other core.  Still one process per
 * connection; the spare is the same copy of the server a fork at the
 * connection would have made.
 */
static void
spare_drop(struct fs *f)
{
	if (f->spare_fd >= 0)
		(void)close(f->spare_fd);	/* EOF: the spare ends */
	f->spare_fd = -1;
	f->spare_pid = -1;
}

/* In the spare: wait for the connection, then become its process.  Ends
 * (exit 0) when the server closes its end first. */
static void
spare_wait(struct fs *f, int sock)
{
	static char buf[FORKSERVER_MSG_MAX];
	char *v[VARS_MAX];
	unsigned long long id;
	size_t nv = 0, nfd = 0;
	ssize_t n;
	int conn = -1;

	/* The supervisor's socket and the self-pipe are the server's;
	 * whatever arrives on them is not for this process. */
	selfpipe_fini();
	(void)close(f->fd);
	f->fd = -1;
	while ((n = fdpass_recv(sock, buf, sizeof buf, &conn, 1, &nfd,
	    0)) < 0 && errno == EINTR)
		continue;
	if (n <= 0 || nfd != 1 || parse(buf, (size_t)n, &id, v, &nv) < 0)
		_exit(0);	/* the server checked it: it is gone */
	(void)close(sock);
	f->spare_fd = -1;
	(void)child(f, conn, v, nv, 0);
}

/* Fork a spare; 1 in the spare once it has its connection, 0 in the
 * server (with or without a spare: a failed fork only costs the next
 * connection the fork the spare would have saved). */
static int
spare_make(struct fs *f)
{
	int sv[2];
	pid_t pid;

	if (!f->spare_on || f->split != NULL || f->spare_fd >= 0)
		return 0;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 0;
	if ((pid = fork()) == 0) {
		(void)close(sv[0]);
		spare_wait(f, sv[1]);
		return 1;
	}
	(void)close(sv[1]);
	if (pid < 0) {
		(void)close(sv[0]);
		return 0;
	}
	f->spare_fd = sv[0];
	f->spare_pid = pid;
	return 0;
}

/* Hand the connection to the spare: its pid, or -1 (it died: the caller
 * forks as before; its end is reported as any unknown pid's). */
static pid_t
spare_take(struct fs *f, const char *buf, size_t n, int conn)
{
	pid_t pid = f->spare_pid;

	if (f->spare_fd < 0)
		return -1;
	if (fdpass_send(f->spare_fd, buf, n, &conn, 1, 0) != (ssize_t)n)
		pid = -1;
	spare_drop(f);
	return pid;
}

/* Receive one message and its descriptor; 1 for EOF, 0 otherwise. */
static int
one(struct fs *f, int *child_r)
{
	static char buf[FORKSERVER_MSG_MAX];
	char *v[VARS_MAX];
	unsigned long long id = 0;
	size_t nv = 0, nfd = 0;
	ssize_t n;
	int conn = -1, stale, fd = f->fd;
	const struct forkserver_split *split;
	pid_t pid;

	/* poll said readable: a message that brings anything but one
	 * descriptor is refused by fdpass (its descriptors closed). */
	n = fdpass_recv(fd, buf, sizeof buf, &conn, 1, &nfd, MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		return 0;
	/* The supervisor gone (stop or reload) is an end, not an error:
	 * EOF, or a reset when it closed with our 'x' reports unread. */
	if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE ||
	    errno == ENOTCONN)))
		return 1;
	if (n < 0 && errno != EPROTO && errno != EMSGSIZE)
		return -1;
	if (n < 0 || nfd != 1 || parse(buf, (size_t)n, &id, v, &nv) < 0) {
		if (nfd == 1)
			(void)close(conn);	/* not served */
		if (id != 0)
			reply(fd, 'f', id, 0);
		return 0;
	}
	stale = f->stale != NULL && f->stale(f->arg);
	/* A split service (forkserver_serve_split): not for a stale
	 * connection, whose fresh image makes its own monitor. */
	split = stale ? NULL : f->split;
	if (split != NULL && split->pre(split->arg, conn) < 0) {
		(void)close(conn);
		reply(fd, 'f', id, 0);
		return 0;
	}
	if (split == NULL && !stale &&
	    (pid = spare_take(f, buf, (size_t)n, conn)) > 0) {
		(void)close(conn);	/* the spare has it */
		reply(fd, 's', id, (long)pid);
		*child_r = spare_make(f);	/* the next one */
		return 0;
	}
	pid = fork();
	if (pid == 0) {
		*child_r = 1;
		return child(f, conn, v, nv, stale);
	}
	if (split != NULL) {
		char **env = pid > 0 ? env_merge(v, nv) : NULL;
		long mon = split->post(split->arg, (long)pid, conn, env);

		free(env);
		if (mon < 0 && pid > 0)
			(void)kill(pid, SIGKILL);	/* ours, not reaped */
		pid = (pid_t)mon;
	}
	(void)close(conn);	/* the child has it */
	if (pid < 0)
		reply(fd, 'f', id, 0);
	else
		reply(fd, 's', id, (long)pid);
	if (stale)
		return 1;	/* end, to be started afresh */
	*child_r = spare_make(f);	/* none was there: try again */
	return 0;
}

static void
reap(int fd)
{
	pid_t pid;
	int status;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid <= 0)
			return;
		reply(fd, 'x', (unsigned long long)pid, (long)status);
	}
}

static int
serve(int fd, int (*stale)(void *), void *arg, char **argv,
    const struct forkserver_split *split, int share_text, int spare_on)
{
	static const int sigs[] = { SIGCHLD };
	struct pollfd p[2];
	struct fs f = { fd, stale, arg, argv, split, spare_on, -1, -1 };
	int r, in_child = 0;

	if (selfpipe_init(sigs, 1) < 0 ||
	    (share_text && forkserver_share_text() < 0))
		return -1;
	if (spare_make(&f) == 1)
		return 0;	/* the first spare, with its connection */
	/* Ready: until it hears this the supervisor hands us nothing (a
	 * program that does not speak this protocol never says it). */
	while (send(fd, "r", 1, MSG_NOSIGNAL) < 0)
		if (errno != EINTR)
			return -1;
	for (;;) {
		p[0].fd = fd;
		p[0].events = POLLIN;
		p[1].fd = selfpipe_fd();
		p[1].events = POLLIN;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[1].revents) {
			selfpipe_drain();
			if (selfpipe_caught(SIGCHLD))
				reap(fd);
		}
		if (p[0].revents == 0)
			continue;
		r = one(&f, &in_child);
		if (in_child)
			return 0;
		if (r != 0) {
			spare_drop(&f);
			reap(fd);
			return r;
		}
	}
}

int
forkserver_serve_split(int fd, int (*stale)(void *), void *arg, char **argv,
    const struct forkserver_split *split)
{
	return serve(fd, stale, arg, argv, split,
	    split == NULL || !split->no_share_text, 0);
}

int
forkserver_serve(int fd, int (*stale)(void *), void *arg, char **argv)
{
	return serve(fd, stale, arg, argv, NULL, 1, 0);
}

int
forkserver_serve_text(int fd, int (*stale)(void *), void *arg, char **argv,
    int share_text)
{
	return serve(fd, stale, arg, argv, NULL, share_text != 0, 1);
}

int
forkserver_conf_stale(void *conf)
{
	return conf_changed(conf);
}

int
forkserver_reply_parse(const char *p, size_t n, struct forkserver_reply *r)
{
	const char *a, *b, *end = p + n;
	uint64_t x, y = 0;
	size_t la, lb = 0;

	memset(r, 0, sizeof *r);
	if (n == 1 && p[0] == 'r') {
		r->kind = 'r';
		return 0;
	}
	if (n < 3 || p[1] != ' ' || memchr(p, '\0', n) != NULL ||
	    (p[0] != 's' && p[0] != 'f' && p[0] != 'x'))
		return -1;
	a = p + 2;
	b = memchr(a, ' ', (size_t)(end - a));
	la = (size_t)((b != NULL ? b : end) - a);
	if (b != NULL) {
		b++;
		lb = (size_t)(end - b);
	}
	if (scan_u64_n(a, la, &x) < 0 || (p[0] == 'f') != (b == NULL) ||
	    (b != NULL && scan_u64_n(b, lb, &y) < 0))
		return -1;
	r->kind = p[0];
	switch (p[0]) {
	case 's':
		if (y == 0 || y > INT32_MAX || x == 0)
			return -1;
		r->id = x;
		r->pid = (long)y;
		break;
	case 'f':
		if (x == 0)
			return -1;
		r->id = x;
		break;
	default:	/* 'x' */
		if (x == 0 || x > INT32_MAX || y > INT32_MAX)
			return -1;
		r->pid = (long)x;
		r->status = (int)y;
	}
	return 0;
}
