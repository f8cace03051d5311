/*
 * Unit tests for lib/forkserver: the replies the supervisor reads, and a
 * whole hand-over through a socketpair (message, descriptor, variables,
 * the child's report).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/forkserver.h"
#include "t/tap.h"

static int
parse_s(const char *s, struct forkserver_reply *r)
{
	return forkserver_reply_parse(s, strlen(s), r);
}

static void
test_replies(void)
{
	struct forkserver_reply r;

	is_int(parse_s("s 7 1234", &r), 0, "s parses");
	ok(r.kind == 's' && r.id == 7 && r.pid == 1234, "s: id and pid");
	is_int(parse_s("f 9", &r), 0, "f parses");
	ok(r.kind == 'f' && r.id == 9, "f: id");
	is_int(parse_s("x 1234 256", &r), 0, "x parses");
	ok(r.kind == 'x' && r.pid == 1234 && r.status == 256, "x: pid, status");
	is_int(parse_s("x 1234 0", &r), 0, "x with status 0");
	is_int(parse_s("s 7", &r), -1, "s without pid");
	is_int(parse_s("f 9 1", &r), -1, "f with a pid");
	is_int(parse_s("s 0 5", &r), -1, "id 0");
	is_int(parse_s("s 1 0", &r), -1, "pid 0");
	is_int(parse_s("x 99999999999 1", &r), -1, "pid out of range");
	is_int(parse_s("x -1 1", &r), -1, "negative pid");
	is_int(parse_s("q 1 1", &r), -1, "unknown kind");
	is_int(parse_s("s  1 2", &r), -1, "two spaces");
	is_int(parse_s("s 1 2 ", &r), -1, "trailing space");
	is_int(forkserver_reply_parse("s 1\0 2", 6, &r), -1, "NUL inside");
	is_int(parse_s("", &r), -1, "empty");
	is_int(parse_s("r", &r), 0, "r parses");
	ok(r.kind == 'r', "r: ready");
	is_int(parse_s("r 1", &r), -1, "r takes nothing");
}

/* Hand a pipe's write end over as "the connection"; the child writes its
 * variables into it and exits 3. */
static void
test_handover(void)
{
	static const char msg[] = "c 5\0TCPREMOTEIP=192.0.2.7\0"
	    "TCPREMOTEPORT=4242";
	char buf[256];
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} c;
	struct forkserver_reply r;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	int sp[2], p[2], st = 0;
	ssize_t n;
	pid_t srv;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || pipe(p) < 0) {
		skip(6, "socketpair/pipe");
		return;
	}
	srv = fork();
	if (srv == 0) {
		(void)close(sp[0]);
		(void)close(p[0]);
		(void)close(p[1]);
		if (forkserver_serve(sp[1], NULL, NULL, NULL) != 0)
			_exit(0);	/* EOF: the test is over */
		/* The connection's child. */
		n = snprintf(buf, sizeof buf, "%s %s %s\n",
		    getenv("TCPREMOTEIP"), getenv("TCPREMOTEPORT"),
		    getenv(FORKSERVER_ENV) ? "fs-set" : "fs-unset");
		if (n > 0 && write(1, buf, (size_t)n) == n)
			_exit(3);
		_exit(1);
	}
	(void)close(sp[1]);
	memset(&m, 0, sizeof m);
	memset(&c, 0, sizeof c);
	iov.iov_base = (void *)msg;
	iov.iov_len = sizeof msg;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.b;
	m.msg_controllen = sizeof c.b;
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &p[1], sizeof p[1]);
	ok(sendmsg(sp[0], &m, 0) == (ssize_t)sizeof msg, "message sent");
	(void)close(p[1]);
	n = recv(sp[0], buf, sizeof buf - 1, 0);
	ok(n > 0 && forkserver_reply_parse(buf, (size_t)n, &r) == 0 &&
	    r.kind == 'r', "the server says it is ready");
	n = recv(sp[0], buf, sizeof buf - 1, 0);
	ok(n > 0 && forkserver_reply_parse(buf, (size_t)n, &r) == 0 &&
	    r.kind == 's' && r.id == 5, "the server reports the fork of id 5");
	n = read(p[0], buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = '\0';
	is_str(buf, "192.0.2.7 4242 fs-unset\n",
	    "the child has the variables on fd 1, not TERN_FORKSERVER");
	n = recv(sp[0], buf, sizeof buf - 1, 0);
	ok(n > 0 && forkserver_reply_parse(buf, (size_t)n, &r) == 0 &&
	    r.kind == 'x' && WIFEXITED(r.status) &&
	    WEXITSTATUS(r.status) == 3, "the server reports the child's exit");
	/* A message with a variable that is not a UCSPI one: refused. */
	iov.iov_base = (void *)"c 6\0LD_PRELOAD=/x";
	iov.iov_len = sizeof "c 6\0LD_PRELOAD=/x";
	if (pipe(p) == 0) {
		memcpy(CMSG_DATA(h), &p[1], sizeof p[1]);
		(void)sendmsg(sp[0], &m, 0);
		(void)close(p[1]);
		n = recv(sp[0], buf, sizeof buf - 1, 0);
		ok(n > 0 && forkserver_reply_parse(buf, (size_t)n, &r) == 0 &&
		    r.kind == 'f' && r.id == 6, "a foreign variable: f 6");
		(void)close(p[0]);
	} else
		skip(1, "pipe");
	(void)close(sp[0]);
	ok(waitpid(srv, &st, 0) == srv && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "end of file ends the server");
}

/*
 * A split service (forkserver_serve_split): pre runs before the fork (its
 * state reaches the child), post starts "the monitor" (here a plain fork
 * that writes its pid and TCPREMOTEIP from env into the connection and
 * exits 4), whose pid the server reports; the child exits 3.  A post that
 * fails: "f ID" and the child is killed.
 */
static int split_pre_ran;

static int
split_pre(void *arg, int conn)
{
	(void)arg;
	split_pre_ran = conn >= 0;
	return 0;
}

static long
split_post(void *arg, long child, int conn, char **env)
{
	char buf[128];
	const char *ip = "?";
	size_t i;
	pid_t pid;
	int n;

	(void)arg;
	if (child < 0 || env == NULL)
		return -1;
	for (i = 0; env[i] != NULL; i++)
		if (strncmp(env[i], "TCPREMOTEIP=", 12) == 0)
			ip = env[i] + 12;
	if (strcmp(ip, "192.0.2.10") == 0)
		return -1;	/* "the monitor cannot start" */
	if ((pid = fork()) != 0)
		return pid;
	n = snprintf(buf, sizeof buf, "monitor %ld %s\n", (long)getpid(), ip);
	if (n > 0 && write(conn, buf, (size_t)n) == n)
		_exit(4);
	_exit(1);
}

static int
send_conn(int sock, const char *msg, size_t len, int fd)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(sizeof(int))];
	} c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;

	memset(&m, 0, sizeof m);
	memset(&c, 0, sizeof c);
	iov.iov_base = (void *)msg;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.b;
	m.msg_controllen = sizeof c.b;
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	return sendmsg(sock, &m, 0) == (ssize_t)len ? 0 : -1;
}

static int
reply_next(int sock, struct forkserver_reply *r)
{
	char buf[128];
	ssize_t n = recv(sock, buf, sizeof buf, 0);

	return n > 0 && forkserver_reply_parse(buf, (size_t)n, r) == 0 ? 0 : -1;
}

static long anon_kb(uintptr_t);

static void
test_split(void)
{
	static const char msg[] = "c 7\0TCPREMOTEIP=192.0.2.9";
	static const char msg2[] = "c 8\0TCPREMOTEIP=192.0.2.10";
	/* no_share_text: the children see the server's code unchanged. */
	struct forkserver_split sp = { split_pre, split_post, NULL, 1 };
	struct forkserver_reply r, x1, x2;
	char buf[256], want[64];
	int s[2], p[2], st = 0, i, mon_ok = 0, child_ok = 0;
	long mpid = 0;
	ssize_t n, got = 0;
	pid_t srv;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, s) < 0 || pipe(p) < 0) {
		skip(11, "socketpair/pipe");
		return;
	}
	srv = fork();
	if (srv == 0) {
		(void)close(s[0]);
		(void)close(p[0]);
		(void)close(p[1]);
		if (forkserver_serve_split(s[1], NULL, NULL, NULL, &sp) != 0)
			_exit(0);
		if (strcmp(getenv("TCPREMOTEIP"), "192.0.2.10") == 0)
			for (;;)
				(void)pause();	/* killed by the server */
		n = snprintf(buf, sizeof buf, "child pre=%d text=%ld\n",
		    split_pre_ran, anon_kb((uintptr_t)&test_split));
		if (n > 0 && write(1, buf, (size_t)n) == n)
			_exit(3);
		_exit(1);
	}
	(void)close(s[1]);
	ok(reply_next(s[0], &r) == 0 && r.kind == 'r', "split: ready");
	ok(send_conn(s[0], msg, sizeof msg, p[1]) == 0, "split: message sent");
	(void)close(p[1]);
	ok(reply_next(s[0], &r) == 0 && r.kind == 's' && r.id == 7,
	    "split: the server reports id 7");
	/* Both write into the pipe; read until both lines are there. */
	for (i = 0; i < 2 && got < (ssize_t)sizeof buf - 1; ) {
		n = read(p[0], buf + got, sizeof buf - 1 - (size_t)got);
		if (n <= 0)
			break;
		got += n;
		buf[got] = '\0';
		i = (strstr(buf, "child") != NULL) + (strstr(buf, "monitor") !=
		    NULL);
	}
	buf[got > 0 ? got : 0] = '\0';
	ok(strstr(buf, "child pre=1 ") != NULL,
	    "split: pre ran before the fork (the child sees its state)");
	ok(strstr(buf, " text=0\n") != NULL, "split: no_share_text: the "
	    "child's code mapping has no private page");
	(void)snprintf(want, sizeof want, "monitor %ld 192.0.2.9\n", r.pid);
	ok(strstr(buf, want) != NULL,
	    "split: the pid reported is post's (the monitor), env passed");
	mpid = r.pid;
	ok(reply_next(s[0], &x1) == 0 && reply_next(s[0], &x2) == 0 &&
	    x1.kind == 'x' && x2.kind == 'x', "split: two ends reported");
	for (i = 0; i < 2; i++) {
		const struct forkserver_reply *x = i == 0 ? &x1 : &x2;

		if (x->pid == mpid && WIFEXITED(x->status) &&
		    WEXITSTATUS(x->status) == 4)
			mon_ok = 1;
		else if (x->pid != mpid && WIFEXITED(x->status) &&
		    WEXITSTATUS(x->status) == 3)
			child_ok = 1;
	}
	ok(mon_ok && child_ok, "split: the monitor's end (4) and the "
	    "child's (3, a pid the supervisor does not know)");
	(void)close(p[0]);
	/* post fails: f, and the child is killed. */
	if (pipe(p) == 0) {
		(void)send_conn(s[0], msg2, sizeof msg2, p[1]);
		(void)close(p[1]);
		ok(reply_next(s[0], &r) == 0 && r.kind == 'f' && r.id == 8,
		    "split: post failed: f 8");
		ok(reply_next(s[0], &r) == 0 && r.kind == 'x' &&
		    WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGKILL,
		    "split: and the child was killed");
		(void)close(p[0]);
	} else
		skip(2, "pipe");
	(void)close(s[0]);
	ok(waitpid(srv, &st, 0) == srv && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "split: end of file ends the server");
}

/* Mappings of /proc/self/maps with these permissions and a file. */
static int
count_maps(const char *perm)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (strstr(line, perm) != NULL && strchr(line, '/') != NULL)
			n++;
	(void)fclose(f);
	return n;
}

/* "Anonymous:" of the mapping holding addr (kB), or -1. */
static long
anon_kb(uintptr_t addr)
{
	char line[512];
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long a, b;
	long kb = -1;
	int in = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL) {
		/* A mapping's first line ("START-END PERMS ..."); a field
		 * line ("Anonymous: N kB") never has the '-'. */
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = addr >= a && addr < b;
			continue;
		}
		if (in && sscanf(line, "Anonymous: %ld kB", &kb) == 1)
			break;
	}
	(void)fclose(f);
	return kb;
}

/*
 * forkserver_serve_text: with 0 the child's code mapping has no private
 * page (its page-table entries were not copied: tern-smtpd's ports 25
 * and 24), with 1 it has the one the server wrote (as forkserver_serve).
 */
static void
test_serve_text(int share)
{
	static const char msg[] = "c 9\0TCPREMOTEIP=192.0.2.11";
	struct forkserver_reply r;
	char buf[128];
	int sp[2], p[2], st = 0;
	ssize_t got;
	long kb = -2;
	pid_t srv;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0 || pipe(p) < 0) {
		skip(3, "socketpair/pipe");
		return;
	}
	srv = fork();
	if (srv == 0) {
		int n;

		(void)close(sp[0]);
		(void)close(p[0]);
		(void)close(p[1]);
		if (forkserver_serve_text(sp[1], NULL, NULL, NULL, share) != 0)
			_exit(0);	/* EOF: the test is over */
		n = snprintf(buf, sizeof buf, "text=%ld\n",
		    anon_kb((uintptr_t)&test_serve_text));
		if (n > 0 && write(1, buf, (size_t)n) == n)
			_exit(3);
		_exit(1);
	}
	(void)close(sp[1]);
	ok(reply_next(sp[0], &r) == 0 && r.kind == 'r' &&
	    send_conn(sp[0], msg, sizeof msg, p[1]) == 0 &&
	    reply_next(sp[0], &r) == 0 && r.kind == 's' && r.id == 9,
	    "serve_text %d: ready, id 9 forked", share);
	(void)close(p[1]);
	got = read(p[0], buf, sizeof buf - 1);
	buf[got > 0 ? got : 0] = '\0';
	(void)close(p[0]);
	if (sscanf(buf, "text=%ld", &kb) != 1)
		kb = -2;
	if (share && access("/sys/fs/selinux/enforce", F_OK) == 0)
		skip(1, "SELinux: the text is never shared");
	else if (share)
		ok(kb > 0, "serve_text 1: the child's code mapping has the "
		    "server's private page (%ld kB)", kb);
	else
		is_int(kb, 0, "serve_text 0: the child's code mapping has no "
		    "private page");
	(void)close(sp[0]);
	ok(waitpid(srv, &st, 0) == srv && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "serve_text %d: end of file ends the server",
	    share);
}

static void
test_share_text(void)
{
	int rx = count_maps(" r-xp "), st;
	pid_t pid;

	ok(rx > 0, "share text: file-backed code mappings (%d)", rx);
	is_int(anon_kb((uintptr_t)&test_share_text) > 0 ? 1 : 0, 0,
	    "share text: the program's code has no private page before");
	if (access("/sys/fs/selinux/enforce", F_OK) == 0) {
		is_int(forkserver_share_text(), 0,
		    "share text: skipped under SELinux");
		return;
	}
	ok(forkserver_share_text() >= 1, "share text: done");
	is_int(count_maps(" r-xp "), rx, "share text: as many code mappings "
	    "(none split)");
	is_int(count_maps(" rwxp "), 0, "share text: none left writable");
	ok(anon_kb((uintptr_t)&test_share_text) > 0,
	    "share text: the code mapping has its private page (anon_vma)");
	pid = fork();
	if (pid == 0)
		_exit(count_maps(" r-xp ") == rx ? 0 : 1);
	ok(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "share text: a forked child runs");
}

/* The server's children, from /proc (its one thread): up to max pids. */
static size_t
children_of(pid_t srv, long *pids, size_t max)
{
	char path[64], buf[512], *p, *e;
	size_t n = 0;
	ssize_t k;
	int fd;

	(void)snprintf(path, sizeof path, "/proc/%ld/task/%ld/children",
	    (long)srv, (long)srv);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	k = read(fd, buf, sizeof buf - 1);
	(void)close(fd);
	buf[k > 0 ? k : 0] = '\0';
	for (p = buf; n < max && *p != '\0'; p = e) {
		long v = strtol(p, &e, 10);

		if (e == p)
			break;
		pids[n++] = v;
	}
	return n;
}

/*
 * Whether pid is a process that has not begun to end: /proc/PID/stat's
 * state, after the last ')', is not Z (zombie) or X (dead).  A child that
 * has served its connection stays in its server's children list until
 * the server reaps it; it is no spare.
 */
static int
alive(long pid)
{
	char path[64], buf[512], *p;
	ssize_t k;
	int fd;

	(void)snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	if ((fd = open(path, O_RDONLY)) < 0)
		return 0;
	k = read(fd, buf, sizeof buf - 1);
	(void)close(fd);
	buf[k > 0 ? k : 0] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

/*
 * Wait (bounded: 20 s) for the server to have a live child that is none
 * of the nnot pids in not[]: those served a connection and may not have
 * ended yet, or may be zombies the server has not reaped.
 */
static long
spare_of(pid_t srv, const long *not, size_t nnot)
{
	long pids[8];
	size_t i, j, n;
	int tries;

	for (tries = 0; tries < 2000; tries++) {
		n = children_of(srv, pids, 8);
		for (i = 0; i < n; i++) {
			for (j = 0; j < nnot && pids[i] != not[j]; j++)
				continue;
			if (j == nnot && alive(pids[i]))
				return pids[i];
		}
		(void)usleep(10000);
	}
	return -1;
}

/* Read replies until one of kind (others, e.g. a spare's 'x', skipped). */
static int
reply_of(int sock, char kind, struct forkserver_reply *r)
{
	char buf[128];
	ssize_t n;
	int i;

	for (i = 0; i < 8; i++) {
		if ((n = recv(sock, buf, sizeof buf - 1, 0)) <= 0)
			return -1;
		if (forkserver_reply_parse(buf, (size_t)n, r) == 0 &&
		    r->kind == kind)
			return 0;
	}
	return -1;
}

/* The connection's process writes "pid ppid ip" and exits 3. */
static int
conn_line(int sock, unsigned id, const char *ip, char *out, size_t outlen,
    long *pid_r)
{
	char msg[96];
	struct forkserver_reply r;
	int p[2], n, len;
	ssize_t k;

	len = snprintf(msg, sizeof msg, "c %u%cTCPREMOTEIP=%s", id, '\0',
	    ip);
	if (len <= 0 || (size_t)len >= sizeof msg || pipe(p) < 0)
		return -1;
	n = send_conn(sock, msg, (size_t)len + 1, p[1]);
	(void)close(p[1]);
	if (n < 0 || reply_of(sock, 's', &r) < 0 || r.id != id) {
		(void)close(p[0]);
		return -1;
	}
	*pid_r = r.pid;
	k = read(p[0], out, outlen - 1);
	out[k > 0 ? k : 0] = '\0';
	(void)close(p[0]);
	return 0;
}

/*
 * forkserver_serve_text keeps a spare: the child that serves a connection was forked
 * before the connection came (it is the server's child already there);
 * the next spare replaces it; a dead spare costs only a fork.
 */
static void
test_spare(void)
{
	char buf[128], want[128];
	int sp[2], st = 0;
	long s1, s2, s3, pid, served[4];
	pid_t srv;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) < 0) {
		skip(11, "socketpair");
		return;
	}
	srv = fork();
	if (srv == 0) {
		int n;

		(void)close(sp[0]);
		if (forkserver_serve_text(sp[1], NULL, NULL, NULL, 0) != 0)
			_exit(0);
		n = snprintf(buf, sizeof buf, "%ld %ld %s\n", (long)getpid(),
		    (long)getppid(), getenv("TCPREMOTEIP"));
		if (n > 0 && write(1, buf, (size_t)n) == n)
			_exit(3);
		_exit(1);
	}
	(void)close(sp[1]);
	ok(recv(sp[0], buf, sizeof buf, 0) == 1 && buf[0] == 'r',
	    "spare: the server says it is ready");
	s1 = spare_of(srv, NULL, 0);
	if (s1 < 0) {
		skip(10, "no /proc/PID/task/TID/children");
		(void)close(sp[0]);
		(void)waitpid(srv, &st, 0);
		return;
	}
	ok(s1 > 0, "spare: a child waits before any connection");
	ok(conn_line(sp[0], 7, "192.0.2.7", buf, sizeof buf, &pid) == 0,
	    "spare: connection 7 served");
	is_int(pid, s1, "spare: s 7 names the child that was waiting");
	(void)snprintf(want, sizeof want, "%ld %ld 192.0.2.7\n", s1,
	    (long)srv);
	is_str(buf, want, "spare: it has the connection on fd 1 and its "
	    "variables");
	served[0] = s1;
	s2 = spare_of(srv, served, 1);
	ok(s2 > 0 && s2 != s1, "spare: the next one is forked");
	ok(conn_line(sp[0], 8, "192.0.2.8", buf, sizeof buf, &pid) == 0 &&
	    pid == s2, "spare: connection 8 goes to it");
	/* Kill the third spare: the next connection is forked as before. */
	served[1] = s2;
	s3 = spare_of(srv, served, 2);
	ok(s3 > 0 && kill((pid_t)s3, SIGKILL) == 0, "spare: a spare killed");
	/* Once the server has reaped it ('x', a pid the supervisor does not
	 * know); a connection forwarded while it was dying is lost, as with
	 * any process killed as it starts. */
	{
		struct forkserver_reply r;
		int i;

		for (i = 0; i < 4; i++)
			if (reply_of(sp[0], 'x', &r) < 0 || r.pid == s3)
				break;
	}
	ok(conn_line(sp[0], 9, "192.0.2.9", buf, sizeof buf, &pid) == 0 &&
	    pid != s3 && strstr(buf, " 192.0.2.9\n") != NULL,
	    "spare: after a dead spare, the connection is still served");
	served[2] = s3;
	served[3] = pid;
	s1 = spare_of(srv, served, 4);
	(void)close(sp[0]);
	ok(waitpid(srv, &st, 0) == srv && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "spare: end of file ends the server");
	{
		int tries;

		for (tries = 0; tries < 2000 && s1 > 0 &&
		    kill((pid_t)s1, 0) == 0; tries++)
			(void)usleep(10000);
		ok(s1 > 0 && kill((pid_t)s1, 0) < 0,
		    "spare: the unused spare ends with its server");
	}
}

int
main(void)
{
	test_replies();
	test_handover();
	test_split();
	test_serve_text(0);
	test_serve_text(1);
	test_share_text();
	test_spare();
	return done_testing();
}
