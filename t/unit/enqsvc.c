/* Unit tests for lib/enqsvc: reply lines, and descriptors through the socket. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/enqsvc.h"
#include "lib/qid.h"
#include "t/tap.h"

static char dir[64], path[128];

static void
test_reply(void)
{
	char id[QID_LEN + 1];
	const char *good = "0TPAQR50JE8006QN\n";
	size_t i;

	is_int(enqsvc_reply_parse(good, strlen(good), id), 0, "an id line");
	is_str(id, "0TPAQR50JE8006QN", "the id");
	is_int(enqsvc_reply_parse("!111\n", 5, id), 111, "!111");
	is_str(id, "", "no id with a code");
	is_int(enqsvc_reply_parse("!100\n", 5, id), 100, "!100");
	is_int(enqsvc_reply_parse("!0\n", 3, id), -1, "!0 is not a code");
	is_int(enqsvc_reply_parse("!256\n", 5, id), -1, "!256 is not a code");
	is_int(enqsvc_reply_parse("!1x\n", 4, id), -1, "junk in a code");
	is_int(enqsvc_reply_parse("", 0, id), -1, "nothing: -1");
	is_int(enqsvc_reply_parse(good, strlen(good) - 1, id), -1,
	    "an id without its newline");
	is_int(enqsvc_reply_parse("0TPAQR50JE8006Qn\n", 17, id), -1,
	    "a lowercase id");
	/* Every prefix of a valid line is refused (a worker cut short). */
	for (i = 1; i < strlen(good); i++)
		if (enqsvc_reply_parse(good, i, id) != -1)
			break;
	is_int((long long)i, (long long)strlen(good), "every prefix refused");
}

/* Accept one connection on lfd (blocking). */
static int
take(int lfd)
{
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void
test_roundtrip(void)
{
	int lfd, conn, p[2], sp[2], fds[2];
	struct stat st;
	char buf[8];
	uid_t uid;

	lfd = enqsvc_listen(path);
	ok(lfd >= 0, "listen");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 0777) == 0666, "a socket, mode 0666");
	ok(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0,
	    "pipe and socketpair");
	is_int(enqsvc_connect(path, p[0], sp[1]), 0, "connect hands them over");
	conn = take(lfd);
	ok(conn >= 0, "accepted");
	is_int(enqsvc_peer_uid(conn, &uid), 0, "SO_PEERCRED");
	is_int((long long)uid, (long long)getuid(), "the peer is us");
	is_int(enqsvc_recv(conn, fds), 0, "received two descriptors");
	ok(write(p[1], "msg", 3) == 3 && read(fds[0], buf, 3) == 3 &&
	    memcmp(buf, "msg", 3) == 0, "the first is the message pipe");
	ok(write(fds[1], "ID\n", 3) == 3 && read(sp[0], buf, 3) == 3 &&
	    memcmp(buf, "ID\n", 3) == 0, "the second the envelope socket");
	ok(fcntl(fds[0], F_GETFD) & FD_CLOEXEC, "received close-on-exec");
	close(fds[0]);
	close(fds[1]);
	close(conn);

	/* A pipe where the socket should be: refused, nothing kept. */
	is_int(enqsvc_connect(path, p[0], p[1]), 0, "connect with two pipes");
	conn = take(lfd);
	errno = 0;
	is_int(enqsvc_recv(conn, fds), -1, "a pipe as the envelope: refused");
	is_int(errno, EPROTO, "EPROTO");
	is_int(fds[0], -1, "no descriptor handed out");
	close(conn);

	/* No descriptors at all. */
	conn = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof sun);
		sun.sun_family = AF_UNIX;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		ok(connect(conn, (struct sockaddr *)&sun, sizeof sun) == 0 &&
		    write(conn, "E", 1) == 1, "a bare hello");
	}
	fds[0] = take(lfd);
	is_int(enqsvc_recv(fds[0], fds), -1, "without descriptors: refused");
	close(conn);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	close(lfd);

	/* No service: the caller falls back. */
	ok(unlink(path) == 0, "socket removed");
	ok(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0,
	    "pipe and socketpair again");
	errno = 0;
	is_int(enqsvc_connect(path, p[0], sp[1]), -1, "no socket: -1");
	is_int(errno, ENOENT, "ENOENT");
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int n;

	plan(33);
	test_reply();
	n = snprintf(dir, sizeof dir, "%s/enqsvc.XXXXXX",
	    tmp != NULL && strlen(tmp) < 40 ? tmp : "/tmp");
	if (n < 0 || (size_t)n >= sizeof dir || mkdtemp(dir) == NULL)
		return 1;
	n = snprintf(path, sizeof path, "%s/socket", dir);
	if (n < 0 || (size_t)n >= sizeof path)
		return 1;
	test_roundtrip();
	(void)rmdir(dir);
	return done_testing();
}
