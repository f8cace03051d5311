/*
 * crash-svc - a stub daemon for tern-supervise tests:
 *     crash-svc [-f] [-o FILE] MS
 * appends "start pid=P uid=U" to FILE, then exits 3 after MS milliseconds
 * (MS = 0: runs until killed).  With -f it forks a sleeping grandchild
 * first ("grandchild pid=P").  SIGHUP appends "hup pid=P".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *out;
static volatile sig_atomic_t hup;

static void
note(const char *what, long pid)
{
	char line[128];
	int fd, n;

	if (out == NULL)
		return;
	n = snprintf(line, sizeof line, "%s pid=%ld uid=%ld\n", what, pid,
	    (long)getuid());
	fd = open(out, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || n < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		_exit(111);
	close(fd);
}

static void
on_hup(int sig)
{
	(void)sig;
	hup = 1;
}

int
main(int argc, char **argv)
{
	struct timespec ts;
	long ms, left;
	int c, fork_gc = 0;

	while ((c = getopt(argc, argv, "fo:")) != -1)
		switch (c) {
		case 'f':
			fork_gc = 1;
			break;
		case 'o':
			out = optarg;
			break;
		default:
			return 100;
		}
	if (optind != argc - 1)
		return 100;
	ms = strtol(argv[optind], NULL, 10);
	signal(SIGHUP, on_hup);
	note("start", (long)getpid());
	if (fork_gc) {
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				pause();
		}
		note("grandchild", (long)pid);
	}
	for (left = ms; ms == 0 || left > 0; left -= 10) {
		ts.tv_sec = 0;
		ts.tv_nsec = 10 * 1000000L;
		nanosleep(&ts, NULL);
		if (hup) {
			hup = 0;
			note("hup", (long)getpid());
		}
	}
	return 3;
}
