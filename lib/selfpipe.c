/* selfpipe.c - signals into a pipe; see selfpipe.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/selfpipe.h"

#define SELFPIPE_SIGS	32	/* classic signals only (no real-time ones) */

static int pipefd[2] = { -1, -1 };
static volatile sig_atomic_t pending[SELFPIPE_SIGS];
static int installed[SELFPIPE_SIGS];

static void
handler(int sig)
{
	int e = errno;
	char c = (char)sig;

	if (sig > 0 && sig < SELFPIPE_SIGS)
		pending[sig] = 1;
	if (write(pipefd[1], &c, 1) < 0) {
		/* Pipe full: the flag above still records the signal. */
	}
	errno = e;
}

int
selfpipe_init(const int *sigs, size_t n)
{
	struct sigaction sa;
	size_t i;

	if (pipefd[0] < 0 && pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	if (sigfillset(&sa.sa_mask) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (sigs[i] <= 0 || sigs[i] >= SELFPIPE_SIGS) {
			errno = EINVAL;
			return -1;
		}
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
		installed[sigs[i]] = 1;
	}
	return 0;
}

int
selfpipe_fd(void)
{
	return pipefd[0];
}

void
selfpipe_drain(void)
{
	char buf[64];

	while (pipefd[0] >= 0 && read(pipefd[0], buf, sizeof buf) > 0)
		continue;
}

int
selfpipe_caught(int sig)
{
	if (sig <= 0 || sig >= SELFPIPE_SIGS || !pending[sig])
		return 0;
	pending[sig] = 0;
	return 1;
}

void
selfpipe_fini(void)
{
	int i;

	for (i = 1; i < SELFPIPE_SIGS; i++)
		if (installed[i]) {
			(void)signal(i, SIG_DFL);	/* cannot fail for these */
			installed[i] = 0;
			pending[i] = 0;
		}
	for (i = 0; i < 2; i++)
		if (pipefd[i] >= 0) {
			(void)close(pipefd[i]);	/* a pipe: nothing to flush */
			pipefd[i] = -1;
		}
}
