/* Unit tests for lib/log: line format on stderr, escaping, die codes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "t/tap.h"

/* Run fn in a child whose stderr is a pipe; return what it wrote. */
static int
capture(void (*fn)(void), char *out, size_t outlen, int *status_r)
{
	int p[2];
	pid_t pid;
	size_t len = 0;
	ssize_t n;

	if (pipe(p) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		dup2(p[1], 2);
		fn();
		_exit(0);
	}
	close(p[1]);
	while (len + 1 < outlen && (n = read(p[0], out + len, outlen - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, status_r, 0);
	return 0;
}

static void
emit_info(void)
{
	log_init("t/log-test", LOG_STDERR);
	log_info("3F2A accepted size=%d from=<%s>", 812, log_esc_s("a\r\nb\\c\"d"));
	log_debug("not shown");
}

static void
emit_die(void)
{
	log_init("log-test", LOG_STDERR);
	die(EXIT_TEMP, "queue unavailable");
}

static void
emit_long(void)
{
	static char big[5000];

	memset(big, 'x', sizeof big - 1);
	log_init("log-test", LOG_STDERR);
	log_warn("%s", log_esc(big, strlen(big)));
}

int
main(void)
{
	char out[8192], want[256];
	int status;

	capture(emit_info, out, sizeof out, &status);
	snprintf(want, sizeof want, "log-test[");
	ok(strncmp(out, want, strlen(want)) == 0, "line starts with prog[pid]");
	ok(strstr(out, "]: 3F2A accepted size=812 from=<a\\x0d\\x0ab\\x5cc\\x22d>\n") != NULL,
	    "event, key=value, control bytes escaped");
	ok(strstr(out, "not shown") == NULL, "debug lines off by default");
	is_int((long long)(strchr(out, '\n') - out + 1), (long long)strlen(out),
	    "exactly one line");

	capture(emit_die, out, sizeof out, &status);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == EXIT_TEMP, "die exits with its code");
	ok(strstr(out, "fatal: queue unavailable") != NULL, "die logs the reason");

	capture(emit_long, out, sizeof out, &status);
	ok(strstr(out, "warning: ") != NULL && strstr(out, "...") != NULL,
	    "untrusted text cut to LOG_ESC_MAX and marked");
	ok(strlen(out) < LOG_ESC_MAX + 100, "line stays short (%zu bytes)", strlen(out));
	is_int(out[strlen(out) - 1], '\n', "and ends with a newline");
	return done_testing();
}
