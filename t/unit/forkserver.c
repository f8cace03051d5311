/*
 * Unit tests for lib/forkserver: the replies the supervisor reads, and a
 * whole hand-over through a socketpair (message, descriptor, variables,
 * the child's report).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
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

int
main(void)
{
	test_replies();
	test_handover();
	return done_testing();
}
