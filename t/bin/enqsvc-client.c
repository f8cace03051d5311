/*
 * enqsvc-client - a test client of the enqueue service (lib/enqsvc.h):
 *
 *	enqsvc-client SOCKET MESSAGE-FILE ENVELOPE-FILE
 *
 * hands a pipe and a socketpair to the service, writes the message and
 * the envelope as tern-smtpd does, and prints the reply line ("ID" or
 * "!CODE"), or "none" when the worker closed without one.  Exit 0 when it
 * talked to the service, 1 when it could not connect (errno printed).
 */
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/enqsvc.h"
#include "lib/io.h"
#include "lib/qid.h"
#include "lib/sbuf.h"

#define FILE_MAX	(64 * 1024 * 1024)

static int
slurp(const char *path, struct sbuf *b)
{
	sbuf_init(b, FILE_MAX);
	return io_read_file(path, b, FILE_MAX);
}

int
main(int argc, char **argv)
{
	struct sbuf msg, env;
	char reply[ENQSVC_REPLY_MAX], id[QID_LEN + 1];
	int p[2], sp[2], r;
	size_t got = 0;
	ssize_t n;

	if (argc != 4) {
		fprintf(stderr, "usage: enqsvc-client SOCKET MESSAGE ENVELOPE\n");
		return 2;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	if (slurp(argv[2], &msg) < 0 || slurp(argv[3], &env) < 0) {
		perror("read");
		return 2;
	}
	if (pipe2(p, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		perror("pipe");
		return 2;
	}
	if (enqsvc_connect(argv[1], p[0], sp[1]) < 0) {
		printf("connect: %s\n", strerror(errno));
		sbuf_fini(&msg);
		sbuf_fini(&env);
		return 1;
	}
	(void)close(p[0]);
	(void)close(sp[1]);
	/* Write errors mean the worker is gone: its reply (none) says so. */
	(void)io_write_full(p[1], msg.s, msg.len);
	(void)close(p[1]);
	(void)io_write_full(sp[0], env.s, env.len);
	(void)shutdown(sp[0], SHUT_WR);
	while (got < sizeof reply &&
	    (n = io_read(sp[0], reply + got, sizeof reply - got)) > 0)
		got += (size_t)n;
	r = enqsvc_reply_parse(reply, got, id);
	if (r == 0)
		printf("%s\n", id);
	else if (r > 0)
		printf("!%d\n", r);
	else
		printf("none\n");
	sbuf_fini(&msg);
	sbuf_fini(&env);
	return 0;
}
