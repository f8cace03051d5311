/*
 * echo-svc - a stub tcp service for tern-supervise tests.  Greets with
 * the UCSPI variables it got, its uid and pid, then echoes each line until
 * EOF.  With -f it first forks a grandchild that sleeps (to check that a
 * stop leaves no process behind); its pid is in the greeting.  Started
 * as a fork server (TERN_FORKSERVER, lib/forkserver.h) it forks per
 * connection (unless -n); ppid= in the greeting tells which process
 * forked it.  With -s a fork server takes 300 ms to start up (as one
 * building a TLS context) before it says ready.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/forkserver.h"

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? v : "-";
}

int
main(int argc, char **argv)
{
	char buf[1024];
	ssize_t n;
	long gc = 0;
	int len, fd;

	/* -n: a program that does not speak the fork server protocol. */
	if (argc > 1 && strcmp(argv[1], "-n") == 0)
		argc = 1;
	else if ((fd = forkserver_fd()) >= 0 &&
	    (argc < 2 || strcmp(argv[1], "-s") != 0 || usleep(300000) == 0) &&
	    forkserver_serve(fd, NULL, NULL, argv) != 0)
		return 0;	/* the supervisor closed the socket */
	if (argc > 1 && strcmp(argv[1], "-f") == 0) {
		pid_t pid = fork();

		if (pid < 0)
			return 111;
		if (pid == 0) {
			int i;

			close(0);
			close(1);
			for (i = 0; i < 600; i++)
				sleep(1);
			_exit(0);
		}
		gc = (long)pid;
	}
	len = snprintf(buf, sizeof buf, "hello proto=%s rip=%s rport=%s "
	    "lip=%s lport=%s uid=%ld pid=%ld gc=%ld ppid=%ld service=%s log=%s "
	    "conf=%s path=%s\r\n", env("PROTO"), env("TCPREMOTEIP"),
	    env("TCPREMOTEPORT"), env("TCPLOCALIP"), env("TCPLOCALPORT"),
	    (long)getuid(), (long)getpid(), gc, (long)getppid(),
	    env("TERN_SERVICE"), env("TERN_LOG"), env("TERN_CONF"),
	    env("PATH"));
	if (len < 0 || write(1, buf, (size_t)len) != len)
		return 111;
	while ((n = read(0, buf, sizeof buf)) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 111;
	return 0;
}
