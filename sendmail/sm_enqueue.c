/*
 * sm_enqueue.c - hand the message to tern-enqueue(8): fork and execve it
 * (absolute path from program_dir, fixed argv, an environment built from
 * an allow-list) with a pipe on its descriptor 0 (the message) and one on
 * its descriptor 1 (the envelope, written after the whole message).
 * Closing both without an envelope makes it commit nothing.
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"

#include "sendmail/sendmail.h"

#define ENQ_PATH_MAX	4096

static const char *const env_allow[] = { "TZ", "TERN_LOG", NULL };

static void __attribute__((noreturn))
child(int msg_fd, int env_fd, const char *path, char **envp)
{
	char *const argv[] = { (char *)"tern-enqueue", NULL };
	int src[2] = { msg_fd, env_fd }, dst[2] = { 0, 1 };

	if (io_fd_arrange(src, dst, 2) < 0)
		_exit(111);
	(void)execve(path, argv, envp);
	_exit(111);
}

void
sm_enq_start(struct sm *m)
{
	struct sbuf path, home;
	const char *extra[2], *dir;
	char **envp;
	int p[2], e[2];

	sbuf_init(&path, ENQ_PATH_MAX);
	sbuf_init(&home, ENQ_PATH_MAX);
	if ((dir = conf_path(m->cf, "program_dir")) == NULL ||
	    sbuf_printf(&path, "%s/tern-enqueue", dir) < 0 ||
	    sbuf_str(&path) == NULL ||
	    sbuf_printf(&home, "TERN_HOME=%s", conf_dir(m->cf)) < 0 ||
	    sbuf_str(&home) == NULL)
		sm_die(EX_CONFIG, "bad program_dir");
	extra[0] = home.s;
	extra[1] = NULL;
	if ((envp = env_build(env_allow, extra)) == NULL)
		sm_die(EX_OSERR, "cannot build the environment");
	if (pipe2(p, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
		sm_die(EX_OSERR, "pipe: %s", strerror(errno));
	if ((m->pid = fork()) < 0)
		sm_die(EX_OSERR, "fork: %s", strerror(errno));
	if (m->pid == 0)
		child(p[0], e[0], path.s, envp);
	(void)close(p[0]);	/* the child's ends */
	(void)close(e[0]);
	m->msg_fd = p[1];
	m->env_fd = e[1];
	env_free(&envp);
	sbuf_fini(&path);
	sbuf_fini(&home);
}

void
sm_enq_write(struct sm *m, const void *p, size_t n)
{
	if (m->write_failed || n == 0)
		return;
	if (io_write_full(m->msg_fd, p, n) < 0)
		m->write_failed = 1;	/* it died: its exit code tells why */
}

static int
reap(struct sm *m)
{
	int st;

	while (waitpid(m->pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	m->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Send the envelope, wait, and map tern-enqueue's exit to sysexits. */
int
sm_enq_finish(struct sm *m)
{
	struct sbuf e;
	int failed = m->write_failed, code;

	if (io_close(&m->msg_fd) < 0)
		failed = 1;
	memcpy(m->env.qid, m->qid, sizeof m->env.qid);
	m->env.body = m->eightbit ? ENV_BODY_8BITMIME : ENV_BODY_NONE;
	sbuf_init(&e, ENV_FILE_MAX);
	if (!failed && (envelope_encode(&m->env, &e) < 0 ||
	    io_write_full(m->env_fd, e.s, e.len) < 0))
		failed = 1;
	sbuf_fini(&e);
	(void)io_close(&m->env_fd);	/* without all of it: nothing queued */
	code = reap(m);
	switch (code) {
	case 0:
		return EX_OK;	/* committed */
	case 101:
		log_err("message refused: larger than message_size_limit");
		return EX_DATAERR;
	case 100:
		log_err("message refused by tern-enqueue (see the mail log)");
		return EX_DATAERR;
	default:
		log_err("tern-enqueue failed (exit %d): try again later", code);
		return EX_TEMPFAIL;
	}
}
