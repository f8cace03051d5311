/*
 * rusage.c - benchmark helper used when /usr/bin/time is missing: runs a
 * command and prints wall time, user+system CPU and the peak RSS of the
 * child (getrusage RUSAGE_CHILDREN), in /usr/bin/time -v's words.
 *   rusage COMMAND [ARG...]
 */
#include <sys/resource.h>
#include <sys/wait.h>

#include <stdio.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct rusage ru;
	struct timespec a, b;
	pid_t pid;
	int st;

	if (argc < 2)
		return 100;
	clock_gettime(CLOCK_MONOTONIC, &a);
	if ((pid = fork()) < 0)
		return 111;
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	if (waitpid(pid, &st, 0) < 0 || getrusage(RUSAGE_CHILDREN, &ru) < 0)
		return 111;
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "\tUser time (seconds): %ld.%02ld\n",
	    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec / 10000);
	fprintf(stderr, "\tSystem time (seconds): %ld.%02ld\n",
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec / 10000);
	fprintf(stderr, "\tElapsed (wall clock) time (h:mm:ss or m:ss): "
	    "0:%06.3f\n", (double)(b.tv_sec - a.tv_sec) +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e9);
	fprintf(stderr, "\tMaximum resident set size (kbytes): %ld\n",
	    ru.ru_maxrss);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 111;
}
