/* Unit tests for lib/userip: slots per (service, user, ip), refusal past
 * the limit, release when the holder's descriptor closes or its process
 * dies (also after an execve that inherited it), the key and the folder. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/userip.h"
#include "t/tap.h"

static char	 top[256];

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

/* Slots free for (service, user, ip) up to max: taken one by one, then
 * all given back. */
static int
free_slots(struct userip *u, const char *svc, const char *user,
    const char *ip, unsigned max)
{
	int fds[USERIP_MAX], n = 0, fd, i;

	while ((unsigned)n < max && userip_take(u, svc, user, ip, max, &fd) ==
	    0)
		fds[n++] = fd;
	for (i = 0; i < n; i++)
		close(fds[i]);
	return n;
}

int
main(void)
{
	char dir[512], p[1024], buf[64];
	struct userip u, v;
	struct stat st;
	int fd[4], f, i, pfd[2], status;
	pid_t pid;

	snprintf(top, sizeof(top), "/tmp/userip.XXXXXX");
	if (mkdtemp(top) == NULL)
		return 1;
	snprintf(dir, sizeof(dir), "%s/userip", top);

	is_int(userip_open(dir, &u), 0, "open makes the folder");
	ok(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "folder mode 0700");
	snprintf(p, sizeof(p), "%s/key", dir);
	ok(stat(p, &st) == 0 && (st.st_mode & 0777) == 0600 &&
	    st.st_size == USERIP_KEY_LEN, "key: 16 bytes (SipHash-2-4's), mode 0600");

	for (i = 0; i < 3; i++)
		is_int(userip_take(&u, "imap", "alice@example.org",
		    "192.0.2.1", 3, &fd[i]), 0, "a slot under the limit");
	ok(fd[0] >= 0 && fd[1] >= 0 && fd[2] >= 0, "three descriptors");
	ok((fcntl(fd[0], F_GETFD) & FD_CLOEXEC) == 0,
	    "not close-on-exec (the session's program inherits it)");
	is_int(userip_take(&u, "imap", "alice@example.org", "192.0.2.1", 3,
	    &fd[3]), 1, "the fourth is refused");
	is_int(fd[3], -1, "no descriptor then");
	is_int(free_slots(&u, "imap", "alice@example.org", "192.0.2.2", 3), 3,
	    "another address: its own slots");
	is_int(free_slots(&u, "pop3", "alice@example.org", "192.0.2.1", 3), 3,
	    "another service: its own slots");
	is_int(free_slots(&u, "imap", "bob@example.org", "192.0.2.1", 3), 3,
	    "another account: its own slots");
	is_int(free_slots(&u, "imap", "alice@example.org", "192.0.2.1", 5), 2,
	    "a higher limit: the slots above it are free");
	close(fd[1]);
	is_int(userip_take(&u, "imap", "alice@example.org", "192.0.2.1", 3,
	    &fd[1]), 0, "a slot closed is free again");
	is_int(userip_take(&u, "imap", "alice@example.org", "192.0.2.1", 0,
	    &f), 0, "max 0: no limit");
	is_int(f, -1, "and no descriptor");

	/* A second handle (another process's) reads the same key. */
	is_int(userip_open(dir, &v), 0, "open again");
	ok(memcmp(u.key, v.key, USERIP_KEY_LEN) == 0, "the same key");
	is_int(userip_take(&v, "imap", "alice@example.org", "192.0.2.1", 3,
	    &f), 1, "the slots held through the first handle count");
	for (i = 0; i < 3; i++)
		close(fd[i]);

	/* Held by a child that execs: the parent's copy closed, the slot
	 * stays held until the child's program ends. */
	is_int(userip_take(&u, "pop3", "carol@example.org", "198.51.100.7", 1,
	    &fd[0]), 0, "a slot for a session");
	ok(write(fd[0], "x", 1) == -1 && errno == EBADF &&
	    (fcntl(fd[0], F_GETFL) & O_ACCMODE) == O_RDONLY,
	    "the session's descriptor is read-only (it cannot grow the file)");
	if (pipe(pfd) == -1)
		return 1;
	pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (dup2(pfd[1], 1) == -1)
			_exit(127);
		execl("/bin/sh", "sh", "-c", "echo up; exec sleep 60",
		    (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	close(fd[0]);
	ok(pid > 0 && read(pfd[0], buf, sizeof(buf)) > 0,
	    "the session's program runs");
	is_int(userip_take(&u, "pop3", "carol@example.org", "198.51.100.7", 1,
	    &f), 1, "its slot is held after execve, the parent's copy closed");
	kill(pid, SIGKILL);
	ok(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
	    "the session killed");
	is_int(userip_take(&u, "pop3", "carol@example.org", "198.51.100.7", 1,
	    &f), 0, "its slot is free: a crash leaks nothing");
	close(f);
	close(pfd[0]);

	/* Refusals. */
	errno = 0;
	ok(userip_take(&u, "../x", "a", "b", 3, &f) == -1 && errno == EINVAL,
	    "a service name with a slash: EINVAL");
	ok(userip_take(&u, "imap", "a", "b", USERIP_MAX + 1, &f) == -1 &&
	    errno == EINVAL, "max above USERIP_MAX: EINVAL");
	userip_close(&u);
	userip_close(&v);
	snprintf(p, sizeof(p), "%s/open", top);
	ok(mkdir(p, 0755) == 0 && userip_open(p, &u) == -1 && errno == EPERM,
	    "a folder open to others is refused");
	(void)nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
