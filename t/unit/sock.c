/* Unit tests for lib/sock and lib/selfpipe. */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>

#include "lib/io.h"
#include "lib/selfpipe.h"
#include "lib/sock.h"
#include "t/tap.h"

static void
parse_ok(const char *in, const char *want)
{
	struct sock_addr a;
	const char *why = "";
	char out[SOCK_ADDR_MAX];

	if (!is_int(sock_parse_s(in, &a, &why), 0, in)) {
		diag("why: %s", why);
		return;
	}
	is_int(sock_fmt(&a, out, sizeof out), 0, "format");
	is_str(out, want, "round trip");
}

static void
parse_bad(const char *in)
{
	struct sock_addr a;
	const char *why = NULL;

	is_int(sock_parse_s(in, &a, &why), -1, in);
	ok(why != NULL, "reason given for '%s'", in);
}

static void
test_parse(void)
{
	static const char *bad[] = {
		"", ":", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:+25", "127.0.0.1:2 5",
		"1.2.3:25", "localhost:25", "::1:25", "[::1]", "[::1]25",
		"[::1:25", "[]:25", "[fe80::1%eth0]:25", "[127.0.0.1]:25",
		"127.0.0.1:99999999999999999999", "1.2.3.4:25x",
	};
	size_t i;

	parse_ok("127.0.0.1:25", "127.0.0.1:25");
	parse_ok("0.0.0.0:65535", "0.0.0.0:65535");
	parse_ok("[::1]:587", "[::1]:587");
	parse_ok("[2001:DB8::1]:1", "[2001:db8::1]:1");
	parse_ok("[::]:143", "[::]:143");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		parse_bad(bad[i]);
}

/* Byte at a time: every prefix of a good address either parses or fails
 * cleanly, and a buffer without a NUL is never overread (ASan checks). */
static void
test_prefixes(void)
{
	static const char full[] = "[2001:db8::25]:2525";
	struct sock_addr a;
	const char *why;
	size_t n;
	int good = 0;
	char *p;

	for (n = 0; n <= sizeof full - 1; n++) {
		p = malloc(n + 1);
		if (p == NULL)
			break;
		memcpy(p, full, n);
		why = NULL;
		if (sock_parse(p, n, &a, &why) == 0)
			good++;
		free(p);
		if (why == NULL && good == 0)
			break;
	}
	is_int(good, 4, "only full-length and long-port prefixes parse");
}

static void
test_compare(void)
{
	struct sock_addr a, b, c, d;

	sock_parse_s("10.0.0.1:25", &a, NULL);
	sock_parse_s("10.0.0.1:26", &b, NULL);
	sock_parse_s("10.0.0.2:25", &c, NULL);
	sock_parse_s("[::ffff:10.0.0.1]:25", &d, NULL);
	ok(sock_same_ip(&a, &b), "same ip, other port");
	ok(!sock_equal(&a, &b), "but not equal");
	ok(sock_equal(&a, &a), "equal to itself");
	ok(!sock_same_ip(&a, &c), "other ip");
	ok(!sock_same_ip(&a, &d), "v4 and mapped v6 differ");
}

static void
test_ucspi(void)
{
	struct sock_addr l, r;
	struct sock_ucspi u;

	sock_parse_s("127.0.0.1:2525", &l, NULL);
	sock_parse_s("[::1]:40000", &r, NULL);
	is_int(sock_ucspi(&l, &r, &u), 0, "ucspi");
	is_str(u.env[0], "PROTO=TCP", "PROTO");
	is_str(u.env[1], "TCPREMOTEIP=::1", "TCPREMOTEIP");
	is_str(u.env[2], "TCPREMOTEPORT=40000", "TCPREMOTEPORT");
	is_str(u.env[3], "TCPLOCALIP=127.0.0.1", "TCPLOCALIP");
	is_str(u.env[4], "TCPLOCALPORT=2525", "TCPLOCALPORT");
	ok(u.env[5] == NULL, "NULL-terminated");
}

static void
test_listen(void)
{
	struct sock_addr a, got, peer;
	char out[SOCK_ADDR_MAX];
	int lfd, lfd2, cfd, afd;

	sock_parse_s("127.0.0.1:1", &a, NULL);
	((struct sockaddr_in *)&a.ss)->sin_port = 0;	/* any free port */
	lfd = sock_listen(&a, 8);
	ok(lfd >= 0, "listen on 127.0.0.1");
	is_int(sock_local(lfd, &got), 0, "local address");
	ok(fcntl(lfd, F_GETFD) & FD_CLOEXEC, "listener is close-on-exec");
	ok(fcntl(lfd, F_GETFL) & O_NONBLOCK, "listener is non-blocking");
	errno = 0;
	is_int(sock_accept(lfd, &peer), -1, "accept with nothing pending");
	is_int(errno, EAGAIN, "gives EAGAIN");
	lfd2 = sock_listen(&got, 8);
	ok(lfd2 < 0 && errno == EADDRINUSE, "second bind on the port fails");
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	ok(connect(cfd, (struct sockaddr *)&got.ss, got.len) == 0, "connect");
	afd = sock_accept(lfd, &peer);
	ok(afd >= 0, "accept");
	ok(!(fcntl(afd, F_GETFL) & O_NONBLOCK), "connection is blocking");
	ok(fcntl(afd, F_GETFD) & FD_CLOEXEC, "connection is close-on-exec");
	is_int(sock_fmt(&peer, out, sizeof out), 0, "peer formats");
	ok(strncmp(out, "127.0.0.1:", 10) == 0, "peer is 127.0.0.1");
	close(afd);
	close(cfd);
	close(lfd);
}

static void
test_selfpipe(void)
{
	int sigs[] = { SIGUSR1, SIGUSR2 };
	struct pollfd p;

	is_int(selfpipe_init(sigs, 2), 0, "selfpipe_init");
	ok(!selfpipe_caught(SIGUSR1), "nothing caught yet");
	raise(SIGUSR1);
	raise(SIGUSR1);
	p.fd = selfpipe_fd();
	p.events = POLLIN;
	is_int(poll(&p, 1, 1000), 1, "pipe readable after a signal");
	selfpipe_drain();
	is_int(poll(&p, 1, 0), 0, "drained");
	ok(selfpipe_caught(SIGUSR1), "SIGUSR1 caught");
	ok(!selfpipe_caught(SIGUSR1), "and cleared");
	ok(!selfpipe_caught(SIGUSR2), "SIGUSR2 not caught");
	selfpipe_fini();
	is_int(selfpipe_fd(), -1, "fini closes the pipe");
}

/* Unix sockets: a file (mode 0666, an old one replaced) and an abstract name. */
static void
test_unix(void)
{
	char dir[] = "/tmp/tern-sock.XXXXXX", path[128], big[200], name[64];
	struct sockaddr_un sun;
	struct stat st;
	int lfd, lfd2, c;

	if (mkdtemp(dir) == NULL) {
		skip(9, "mkdtemp");
		return;
	}
	(void)snprintf(path, sizeof path, "%s/s", dir);
	lfd = sock_unix_listen(path, 0, 4);
	ok(lfd >= 0, "unix: listen on a file");
	ok(stat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    (st.st_mode & 0777) == 0666, "unix: a socket, mode 0666");
	lfd2 = sock_unix_listen(path, 0, 4);
	ok(lfd2 >= 0, "unix: an old socket there is replaced");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(c >= 0 && connect(c, (struct sockaddr *)&sun,
	    sock_unix_addr(&sun, path, 0)) == 0, "unix: connect to the file");
	(void)close(c);
	(void)close(lfd);
	(void)close(lfd2);
	(void)unlink(path);
	(void)rmdir(dir);
	(void)snprintf(name, sizeof name, "tern-sock-test.%ld", (long)getpid());
	lfd = sock_unix_listen(name, SOCK_UNIX_ABSTRACT, 4);
	ok(lfd >= 0 && access(name, F_OK) < 0, "unix: abstract, no file");
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	ok(c >= 0 && connect(c, (struct sockaddr *)&sun,
	    sock_unix_addr(&sun, name, SOCK_UNIX_ABSTRACT)) == 0,
	    "unix: connect to the abstract name");
	(void)close(c);
	ok(sock_unix_listen(name, SOCK_UNIX_ABSTRACT, 4) < 0 &&
	    errno == EADDRINUSE, "unix: an abstract name is taken once");
	(void)close(lfd);
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	ok(sock_unix_addr(&sun, big, 0) == 0 && errno == ENAMETOOLONG,
	    "unix: too long refused");
	ok(sock_unix_listen("", 0, 4) < 0 && errno == ENAMETOOLONG,
	    "unix: empty refused");
}

/*
 * Regression: 500 IMAP logins at once, and about 1 in 5 got "NO
 * [UNAVAILABLE]": the authd client's non-blocking connect met a full
 * backlog, which Linux answers EAGAIN at once.  sock_unix_connect waits.
 */
static void
test_unix_backlog(void)
{
	struct sockaddr_un sun;
	char name[64];
	socklen_t len;
	int lfd, fill[64], nfill = 0, fd, i, st;
	pid_t pid;

	(void)snprintf(name, sizeof name, "tern-test-backlog-%ld",
	    (long)getpid());
	lfd = sock_unix_listen(name, SOCK_UNIX_ABSTRACT, 0);
	len = sock_unix_addr(&sun, name, SOCK_UNIX_ABSTRACT);
	ok(lfd >= 0 && len > 0, "backlog: listening, backlog 0");
	/* Fill the backlog with raw non-blocking connects until EAGAIN. */
	while (nfill < 64) {
		fill[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (connect(fill[nfill], (struct sockaddr *)&sun, len) < 0) {
			close(fill[nfill]);
			break;
		}
		nfill++;
	}
	is_int(errno, EAGAIN, "backlog: a full backlog is EAGAIN at once");
	fd = sock_unix_connect(name, SOCK_UNIX_ABSTRACT, io_deadline_ms(150));
	ok(fd == -1 && errno == ETIMEDOUT,
	    "backlog: full until the deadline: ETIMEDOUT");
	pid = fork();
	if (pid == 0) {
		/* The server catches up after 200 ms. */
		usleep(200000);
		for (i = 0; i < 200; i++) {
			int c = accept(lfd, NULL, NULL);

			if (c >= 0)
				close(c);
		}
		_exit(0);
	}
	fd = sock_unix_connect(name, SOCK_UNIX_ABSTRACT, io_deadline_ms(5000));
	ok(fd >= 0, "backlog: full for 200 ms, then the connect gets through");
	if (fd >= 0)
		close(fd);
	for (i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
	if (pid > 0) {
		(void)kill(pid, SIGKILL);
		(void)waitpid(pid, &st, 0);
	}
}

int
main(void)
{
	test_parse();
	test_prefixes();
	test_compare();
	test_ucspi();
	test_listen();
	test_selfpipe();
	test_unix();
	test_unix_backlog();
	ok(sock_ip_text_valid("127.0.0.1", 9), "ip text: IPv4");
	ok(sock_ip_text_valid("::1", 3), "ip text: IPv6");
	ok(!sock_ip_text_valid("127.0.0.1x", 10), "ip text: junk refused");
	ok(!sock_ip_text_valid("127.0.0.1", 0), "ip text: empty refused");
	ok(!sock_ip_text_valid("1.2.3.4\0", 8), "ip text: NUL refused");
	ok(sock_ip_text_valid("10.0.0.1 garbage", 8), "ip text: only n bytes read");
	return done_testing();
}
