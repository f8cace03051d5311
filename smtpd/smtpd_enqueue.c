/*
 * smtpd_enqueue.c - hand a message to tern-enqueue(8): fork and execve it
 * (absolute path, fixed argv, built environment) with a pipe on its fd 0
 * (the message) and a socketpair on its fd 1 (the envelope out, the queue
 * id back).  Nothing from the client reaches argv or the environment.
 *
 * The child is started with posix_spawn (glibc: clone with CLONE_VM and
 * CLONE_VFORK), not fork: tern-smtpd maps OpenSSL and its TLS context,
 * and a fork would copy its page tables and then copy-on-write every page
 * either side touches until the exec, for each message.  The file actions
 * do what io_fd_arrange does in the fork path, which is kept for the case
 * a source descriptor is 0 or 1 (never while the connection holds them).
 *
 * When the enqueue service runs (tern-enqueue -S, lib/enqsvc.h), the same
 * two descriptors go to one of its waiting workers over enqueue_socket
 * instead: no process is started at all.  Its reply line carries what the
 * exit code would ("!CODE"); without the socket (or with its backlog
 * full) tern-enqueue is executed as before.
 *
 * Abort: closing both descriptors without an envelope makes tern-enqueue
 * read an empty envelope, refuse it (exit 100) and remove its temp file,
 * so nothing is committed.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <string.h>
#include <unistd.h>

#include "lib/enqsvc.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"

#include "smtpd/smtpd.h"

#define ENQ_PATH_MAX	4096
#define ENQ_BUF_MAX	65536	/* message bytes gathered per write (a
				 * pipe's capacity): one write per line woke
				 * tern-enqueue for each, ~60 per 4 KiB */

static const char *const env_allow[] = { "TZ", "TERN_LOG", NULL };

static void __attribute__((noreturn))
child(int msg_fd, int env_fd, const char *path, char **envp)
{
	char *const argv[] = { (char *)"tern-enqueue", NULL };

	int src[2] = { msg_fd, env_fd }, dst[2] = { 0, 1 };

	if (io_fd_arrange(src, dst, 2) < 0)
		_exit(EXIT_TEMP);
	(void)execve(path, argv, envp);
	_exit(EXIT_TEMP);
}

/*
 * Start path with msg_fd on descriptor 0 and env_fd on 1: the child's pid,
 * or -1 with errno.  Without a fork's copy of this process when the
 * descriptors allow (see the top).
 */
static pid_t
spawn(int msg_fd, int env_fd, const char *path, char **envp)
{
	char *const argv[] = { (char *)"tern-enqueue", NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int e;

	if (msg_fd < 2 || env_fd < 2) {
		if ((pid = fork()) == 0)
			child(msg_fd, env_fd, path, envp);
		return pid;
	}
	if ((e = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = e;
		return -1;
	}
	if ((e = posix_spawn_file_actions_adddup2(&fa, msg_fd, 0)) == 0 &&
	    (e = posix_spawn_file_actions_adddup2(&fa, env_fd, 1)) == 0)
		e = posix_spawn(&pid, path, &fa, NULL, argv, envp);
	(void)posix_spawn_file_actions_destroy(&fa);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return pid;
}

int
smtpd_enq_start(struct smtpd *s, struct smtpd_job *j)
{
	struct sbuf path, home;
	const char *extra[2];
	char **envp = NULL;
	int p[2] = { -1, -1 }, sp[2] = { -1, -1 }, rc = -1;

	sbuf_init(&path, ENQ_PATH_MAX);
	sbuf_init(&home, ENQ_PATH_MAX);
	j->pid = -1;
	j->svc = 0;
	j->write_failed = 0;
	j->size = 0;
	sbuf_init(&j->buf, ENQ_BUF_MAX);
	if (pipe2(p, O_CLOEXEC) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0)
		goto out;
	if (s->enqueue_socket != NULL &&
	    enqsvc_connect(s->enqueue_socket, p[0], sp[1]) == 0) {
		j->svc = 1;
		goto started;
	}
	if (sbuf_printf(&path, "%s/tern-enqueue", s->program_dir) < 0 ||
	    sbuf_str(&path) == NULL ||
	    sbuf_printf(&home, "TERN_HOME=%s", s->conf_home) < 0 ||
	    sbuf_str(&home) == NULL)
		goto out;
	extra[0] = home.s;
	extra[1] = NULL;
	if ((envp = env_build(env_allow, extra)) == NULL)
		goto out;
	if ((j->pid = spawn(p[0], sp[1], path.s, envp)) < 0)
		goto out;
started:
	j->msg_fd = p[1];
	j->env_fd = sp[0];
	p[1] = sp[0] = -1;
	rc = 0;
out:
	if (rc < 0)
		log_warn_sys("cannot run %s", log_esc_s(sbuf_str(&path)));
	(void)io_close(&p[0]);	/* the child's ends, or unused */
	(void)io_close(&p[1]);
	(void)io_close(&sp[0]);
	(void)io_close(&sp[1]);
	env_free(&envp);
	sbuf_fini(&path);
	sbuf_fini(&home);
	return rc;
}

static void
write_out(struct smtpd_job *j, const void *p, size_t n)
{
	if (!j->write_failed && n > 0 && io_write_full(j->msg_fd, p, n) < 0)
		j->write_failed = 1;	/* it died: its exit code tells why */
}

/* Write what is gathered. */
static void
flush_buf(struct smtpd_job *j)
{
	write_out(j, j->buf.s, j->buf.len);
	sbuf_reset(&j->buf);
}

/* Gathered into writes of up to ENQ_BUF_MAX bytes. */
void
smtpd_enq_write(struct smtpd_job *j, const void *p, size_t n)
{
	if (j->write_failed || n == 0)
		return;
	j->size += n;
	if (j->buf.len + n > ENQ_BUF_MAX)
		flush_buf(j);
	if (n >= ENQ_BUF_MAX || sbuf_cat_n(&j->buf, p, n) < 0) {
		flush_buf(j);
		write_out(j, p, n);
	}
}

/* Reap the child: its exit code, or -1 when it did not exit normally. */
static int
reap(struct smtpd_job *j)
{
	int st;

	if (j->pid < 0)
		return -1;
	while (waitpid(j->pid, &st, 0) < 0)
		if (errno != EINTR) {
			j->pid = -1;
			return -1;
		}
	j->pid = -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

void
smtpd_enq_abort(struct smtpd_job *j)
{
	sbuf_fini(&j->buf);	/* never written: nothing committed */
	if (j->pid < 0 && !j->svc)
		return;
	(void)io_close(&j->msg_fd);	/* no envelope: nothing committed */
	(void)io_close(&j->env_fd);
	j->svc = 0;
	(void)reap(j);
}

/*
 * The reply tern-enqueue sends after the commit (the id) or, as a
 * service's worker, instead of an exit code: 0 with id_r, the code, or -1
 * (nothing, or not a reply: it died).
 */
static int
read_reply(struct smtpd *s, struct smtpd_job *j, char id_r[QID_LEN + 1])
{
	char buf[ENQSVC_REPLY_MAX];
	size_t got = 0;
	ssize_t n;
	int64_t deadline = io_deadline_ms(s->done_ms > 0 ? s->done_ms : -1);

	id_r[0] = '\0';
	while (got < sizeof buf) {
		if (io_wait(j->env_fd, POLLIN, deadline) < 0)
			return -1;
		n = io_read(j->env_fd, buf + got, sizeof buf - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return enqsvc_reply_parse(buf, got, id_r);
}

/*
 * The message is all written: send the envelope, read the id, reap.
 * Returns tern-enqueue's exit code (-1: it died or could not be told).
 */
int
smtpd_enq_finish(struct smtpd *s, struct smtpd_job *j,
    char id_r[QID_LEN + 1])
{
	struct sbuf e;
	int failed, code, reply;

	id_r[0] = '\0';
	flush_buf(j);
	sbuf_fini(&j->buf);
	failed = j->write_failed;
	if (io_close(&j->msg_fd) < 0)
		failed = 1;
	sbuf_init(&e, ENV_FILE_MAX);
	memcpy(s->env.qid, j->qid, sizeof s->env.qid);
	if (!failed && (envelope_encode(&s->env, &e) < 0 ||
	    io_write_full(j->env_fd, e.s, e.len) < 0 ||
	    shutdown(j->env_fd, SHUT_WR) < 0)) {
		log_warn_sys("cannot send the envelope to tern-enqueue");
		failed = 1;
	}
	sbuf_fini(&e);
	reply = failed ? -1 : read_reply(s, j, id_r);
	/* Without a whole envelope tern-enqueue commits nothing. */
	(void)io_close(&j->env_fd);
	if (j->svc) {
		j->svc = 0;	/* a worker: its reply is all we get */
		return reply;
	}
	code = reap(j);
	if (reply > 0)
		id_r[0] = '\0';
	if (failed && code == 0)
		code = -1;
	return code;
}
