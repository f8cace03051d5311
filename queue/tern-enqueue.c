/*
 * tern-enqueue - the only writer into the queue (tern-enqueue(8),
 * doc/queue.md).  Reads the message on fd 0 and the envelope records on
 * fd 1, commits both to the queue in the order of STYLE 11, pokes the
 * queue manager, and says by its exit status whether the message is safe.
 *
 * Ways to the same states (doc/queue.md, "Transitions"): the message
 * written as an anonymous file (O_TMPFILE) with the envelope in its
 * extended attribute QUEUE_ENV_XATTR, linked as msg/XX/ID and then as
 * env/XX/ID (one file, 2 fsyncs); an envelope too large for the attribute
 * is an anonymous file of its own (4 fsyncs); where the kernel, the file
 * system or /proc lacks O_TMPFILE, temp files in tmp/ renamed into place
 * (5 fsyncs).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/queue.h"
#include "lib/sbuf.h"

#include "queue/enqueue.h"

#define MSG_FD		0
#define ENV_FD		1
#define COPY_BUF	65536
#define PATH_MAX_Q	4096
#define ID_TRIES	10	/* fresh ids tried when one is taken */

_Static_assert(EXIT_PERM == ENQUEUE_EX_BADENV && EXIT_TEMP == ENQUEUE_EX_TEMP &&
    EXIT_OK == ENQUEUE_EX_OK, "tern-enqueue(8) exit codes");

/* What exists of this enqueue, so a failure before the commit removes it. */
static struct job {
	const char	*qdir;
	char		 id[QID_LEN + 1];
	struct sbuf	 tmp_msg, tmp_env, msg, env, msg_dir, env_dir, tmp_dir;
	struct sbuf	 anon_path;	/* /proc/self/fd/N, for linkat */
	struct sbuf	 env_buf;	/* the encoded envelope */
	int		 has_tmp_msg, has_tmp_env, has_msg, committed;
	int		 anon_msg, anon_env;	/* O_TMPFILE descriptors, or -1 */
	int		 env_in_msg;	/* the envelope is the message's xattr */
} J;

/*
 * O_TMPFILE: -1 not tried yet, 1 in use, 0 not available (the kernel or
 * the file system refuses it, no /proc, or TERN_ENQUEUE_NO_TMPFILE).
 * use_xattr: 1 until the file system refuses user extended attributes
 * (or TERN_ENQUEUE_NO_XATTR, for tests).
 */
static int use_anon = -1;
static int use_xattr = 1;
static char last_bucket[QID_BUCKET_LEN + 1];	/* of the last message */

static const char *crash_step;
static struct conf *cf;		/* J.qdir points into it */
static uid_t caller_uid;	/* the real uid before any drop, for the log */

static void
cleanup(void)
{
	int saved = errno;

	if (!J.committed) {
		/* Best effort: anything left is cleaned by queue_clean. */
		if (J.has_tmp_msg)
			(void)unlink(J.tmp_msg.s);
		if (J.has_tmp_env)
			(void)unlink(J.tmp_env.s);
		if (J.has_msg)
			(void)unlink(J.msg.s);
	}
	errno = saved;	/* the anonymous files vanish with the process */
}

#define FAIL(code, ...)		do { cleanup(); die(code, __VA_ARGS__); } while (0)
#define FAIL_SYS(code, ...)	do { cleanup(); die_sys(code, __VA_ARGS__); } while (0)

/* The crash-test hook: SIGKILL at the named step (tern-enqueue(8)). */
static void
crash_at(const char *step)
{
	if (crash_step != NULL && strcmp(crash_step, step) == 0)
		(void)raise(SIGKILL);
}

/* Set-id or not run by the user it runs as: the environment is not ours. */
static int
is_secure(void)
{
	return getauxval(AT_SECURE) != 0 || getuid() != geteuid() ||
	    getgid() != getegid();
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-enqueue [-c tern.conf] "
	    "<message >&1 envelope, or tern-enqueue -S [-c tern.conf] "
	    "(see tern-enqueue(8))");
}

static void
paths(void)
{
	if (qid_path(J.qdir, QID_TMP_MSG, J.id, &J.tmp_msg) < 0 ||
	    qid_path(J.qdir, QID_TMP_ENV, J.id, &J.tmp_env) < 0 ||
	    qid_path(J.qdir, QID_MSG, J.id, &J.msg) < 0 ||
	    qid_path(J.qdir, QID_ENV, J.id, &J.env) < 0 ||
	    qid_dir(J.qdir, QID_MSG, J.id, &J.msg_dir) < 0 ||
	    qid_dir(J.qdir, QID_ENV, J.id, &J.env_dir) < 0 ||
	    qid_dir(J.qdir, QID_TMP_MSG, J.id, &J.tmp_dir) < 0)
		die_sys(EXIT_TEMP, "queue path");
}

/*
 * Is an env/ or state/ file of this id present (a reused id)?  With
 * tmp_too, a tmp/ID.msg too: an enqueue on the tmp/ path holds the id
 * (each side checks after taking its own name, so one of two racing
 * enqueues of an id always sees the other's).
 */
static int
is_taken_but_msg(int tmp_too)
{
	struct sbuf st_path;
	struct stat st;
	int taken;

	sbuf_init(&st_path, PATH_MAX_Q);
	if (qid_path(J.qdir, QID_STATE, J.id, &st_path) < 0)
		FAIL_SYS(EXIT_TEMP, "queue path");
	taken = lstat(J.env.s, &st) == 0 || errno != ENOENT ||
	    lstat(st_path.s, &st) == 0 || errno != ENOENT ||
	    (tmp_too && (lstat(J.tmp_msg.s, &st) == 0 || errno != ENOENT));
	sbuf_fini(&st_path);
	return taken;
}

/* Is any committed-side file of this id present (a reused id)? */
static int
is_taken(void)
{
	struct stat st;

	return lstat(J.msg.s, &st) == 0 || errno != ENOENT ||
	    is_taken_but_msg(0);
}

/*
 * May this process make anonymous files?  Linking one into a name goes
 * through /proc/self/fd (linkat with AT_EMPTY_PATH needs a capability).
 */
static int
anon_wanted(void)
{
	if (!is_secure() && getenv("TERN_ENQUEUE_NO_XATTR") != NULL)
		use_xattr = 0;	/* tests: envelope files (crash.t) */
	if (!is_secure() && getenv("TERN_ENQUEUE_NO_TMPFILE") != NULL)
		return 0;	/* tests: the tmp/ path (crash.t) */
	return access("/proc/self/fd", X_OK) == 0;
}

/*
 * An anonymous file (O_TMPFILE, mode 0600 by the umask of 077) on the
 * queue's file system, made in the folder kind/bucket (bucket NULL: the top
 * folder kind): it has no name until anon_link() gives it one, and
 * vanishes if the process dies first.  The folder only places the inode:
 * ext4 allocates it in the folder's block group, and queue_prepare spreads
 * the buckets over the groups.  A descriptor; -1 with errno; -2 when
 * O_TMPFILE is not available here (an old kernel says EISDIR, a file
 * system without it EOPNOTSUPP).
 */
static int
anon_open(const char *kind, const char *bucket)
{
	int fd, tries;

	sbuf_reset(&J.anon_path);
	if (sbuf_printf(&J.anon_path, "%s/%s%s%s", J.qdir, kind,
	    bucket != NULL ? "/" : "", bucket != NULL ? bucket : "") < 0)
		return -1;
	for (tries = 0; tries < 2; tries++) {
		fd = open(J.anon_path.s, O_TMPFILE | O_WRONLY | O_CLOEXEC,
		    0600);
		if (fd >= 0)
			return fd;
		if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)
			return -2;
		if (errno != ENOENT || tries > 0 || bucket == NULL ||
		    queue_bucket_dir(J.anon_path.s) < 0)
			return -1;
	}
	return -1;
}

/* Give the anonymous file fd the name path (exclusive: EEXIST if taken).
 * A missing bucket folder is made (fsynced in its parent) and retried. */
static int
anon_link(int fd, const char *path, const char *dir)
{
	int tries;

	sbuf_reset(&J.anon_path);
	if (sbuf_printf(&J.anon_path, "/proc/self/fd/%d", fd) < 0)
		return -1;
	for (tries = 0; tries < 2; tries++) {
		if (linkat(AT_FDCWD, J.anon_path.s, AT_FDCWD, path,
		    AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != ENOENT || tries > 0 || queue_bucket_dir(dir) < 0)
			return -1;
	}
	return -1;
}

/* Step 1: a fresh id and its temp message file, O_EXCL, 0600. */
static int
open_tmp_msg(void)
{
	int fd, i;

	for (i = 0; i < ID_TRIES; i++) {
		if (qid_new(J.id) < 0)
			die_sys(EXIT_TEMP, "cannot make a queue id");
		paths();
		fd = durable_open_excl(J.tmp_msg.s, 0600);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0)
			die_sys(EXIT_TEMP, "cannot create %s", J.tmp_msg.s);
		J.has_tmp_msg = 1;
		if (!is_taken())
			return fd;
		(void)close(fd);	/* empty, about to be removed */
		if (unlink(J.tmp_msg.s) < 0)
			FAIL_SYS(EXIT_TEMP, "unlink %s", J.tmp_msg.s);
		J.has_tmp_msg = 0;
	}
	die(EXIT_TEMP, "no free queue id after %d tries", ID_TRIES);
}

/* Step 2: copy fd 0 into the temp file, bounded; fsync; checked close. */
static uint64_t
write_message(int fd, uint64_t limit)
{
	char *buf;
	uint64_t total = 0;
	ssize_t n;

	if ((buf = malloc(COPY_BUF)) == NULL)
		FAIL_SYS(EXIT_TEMP, "malloc");
	for (;;) {
		n = io_read(MSG_FD, buf, COPY_BUF);
		if (n < 0)
			FAIL_SYS(EXIT_TEMP, "read message");
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > limit)
			FAIL(ENQUEUE_EX_TOOBIG, "message refused: larger than "
			    "message_size_limit=%llu", (unsigned long long)limit);
		if (io_write_full(fd, buf, (size_t)n) < 0)
			FAIL_SYS(EXIT_TEMP, "write the message");
	}
	free(buf);
	crash_at("after-msg-write");
	if (J.anon_msg >= 0)
		return total;	/* fsynced in commit_anon() */
	if (durable_close_sync(fd) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync/close %s", J.tmp_msg.s);
	crash_at("after-msg-fsync");
	return total;
}

/*
 * The caller proposed an id in the Q record (tern-smtpd, whose Received:
 * header names it).  envelope_read checked it with qid_valid; take it
 * only if it is free: link() the temp message to its new name (exclusive,
 * like O_EXCL) and then no msg/, env/ or state/ file of it may exist.
 * Otherwise exit 111, and the caller tries again with a fresh id.
 */
static void
adopt_id(const char *id)
{
	struct sbuf old;

	sbuf_init(&old, PATH_MAX_Q);
	if (sbuf_set_s(&old, J.tmp_msg.s) < 0 || sbuf_str(&old) == NULL)
		FAIL_SYS(EXIT_TEMP, "queue path");
	J.has_tmp_msg = 0;	/* old name: removed by hand below */
	memcpy(J.id, id, sizeof(J.id));
	paths();
	if (link(old.s, J.tmp_msg.s) < 0) {
		(void)unlink(old.s);	/* failing already */
		die_sys(EXIT_TEMP, "proposed id %s not free", J.id);
	}
	J.has_tmp_msg = 1;
	if (unlink(old.s) < 0)
		FAIL_SYS(EXIT_TEMP, "unlink %s", old.s);
	sbuf_fini(&old);
	if (is_taken())
		FAIL(EXIT_TEMP, "proposed id %s is in the queue", J.id);
}

/*
 * The anonymous path's id: the caller's proposal (envelope_read checked it
 * with qid_valid) or a fresh one.  Linking the written message to
 * msg/XX/ID takes the id (exclusive, like O_EXCL); then no env/ or state/
 * file of it may exist.  A fresh id that is taken is replaced by another;
 * a proposed one makes the enqueue fail (111: the caller tries again with
 * a fresh id).  The message has its final name from here on, but is not
 * durable yet (S3: the cleaner removes it if the enqueue dies).
 */
static void
place_message(const char *proposed)
{
	int i;

	for (i = 0; i < ID_TRIES; i++) {
		if (proposed[0] != '\0')
			memcpy(J.id, proposed, sizeof(J.id));
		else if (qid_new(J.id) < 0)
			FAIL_SYS(EXIT_TEMP, "cannot make a queue id");
		paths();
		if (anon_link(J.anon_msg, J.msg.s, J.msg_dir.s) < 0) {
			if (errno != EEXIST)
				FAIL_SYS(EXIT_TEMP, "link %s", J.msg.s);
			if (proposed[0] != '\0')
				FAIL(EXIT_TEMP, "proposed id %s is in the queue",
				    J.id);
			continue;
		}
		J.has_msg = 1;
		if (!is_taken_but_msg(1))
			break;
		if (proposed[0] != '\0')
			FAIL(EXIT_TEMP, "proposed id %s is in the queue", J.id);
		if (unlink(J.msg.s) < 0)
			FAIL_SYS(EXIT_TEMP, "unlink %s", J.msg.s);
		J.has_msg = 0;
	}
	if (i == ID_TRIES)
		FAIL(EXIT_TEMP, "no free queue id after %d tries", ID_TRIES);
	crash_at("after-msg-link");
}

/* Read and check the envelope from fd 1; fill in the id and time. */
static void
read_envelope(struct envelope *env)
{
	struct sbuf b;
	const char *why;
	int r;

	sbuf_init(&b, ENV_FILE_MAX);
	if (io_read_fd(ENV_FD, &b, ENV_FILE_MAX) < 0) {
		if (errno == E2BIG)
			FAIL(EXIT_PERM, "envelope refused: larger than %d bytes",
			    ENV_FILE_MAX);
		FAIL_SYS(EXIT_TEMP, "read envelope");
	}
	/*
	 * No envelope at all: the caller gave up before the end of the
	 * message (tern-smtpd when its client went away in DATA, which it
	 * logs).  Nothing is queued; not an error of ours, so not "fatal".
	 */
	if (b.len == 0) {
		cleanup();
		log_info("no envelope (the caller gave up): nothing queued");
		exit(EXIT_PERM);
	}
	r = envelope_read(b.s, b.len, 0, env, &why);
	if (r == ENV_ENOMEM)
		FAIL(EXIT_TEMP, "envelope: %s", why);
	if (r != ENV_OK)
		FAIL(EXIT_PERM, "envelope refused: %s", why);
	sbuf_fini(&b);
	if (J.anon_msg >= 0)
		place_message(env->qid);
	else if (env->qid[0] != '\0' && strcmp(env->qid, J.id) != 0)
		adopt_id(env->qid);
	/* Our id (or the caller's, checked free); the time is ours. */
	memcpy(env->qid, J.id, sizeof(env->qid));
	env->arrival = (uint64_t)qid_time(J.id);
}

/*
 * The anonymous path's envelope: the message file's extended attribute
 * when it fits and the file system takes it (one file), else an anonymous
 * file of its own.  Not fsynced here: commit_anon() does it.
 */
static void
write_envelope_anon(const struct envelope *env)
{
	char bucket[QID_BUCKET_LEN + 1];

	if (envelope_encode(env, &J.env_buf) < 0)
		FAIL_SYS(EXIT_TEMP, "encode the envelope");
	if (use_xattr && J.env_buf.len <= QUEUE_ENV_XATTR_MAX) {
		if (fsetxattr(J.anon_msg, QUEUE_ENV_XATTR, J.env_buf.s,
		    J.env_buf.len, XATTR_CREATE) == 0) {
			J.env_in_msg = 1;
			crash_at("after-env-write");
			return;
		}
		if (errno == ENOTSUP) {
			use_xattr = 0;
			log_info("no extended attributes in %s: envelopes in "
			    "files of their own", log_esc_s(J.qdir));
		} else if (errno != ENOSPC && errno != E2BIG &&
		    errno != ERANGE)
			FAIL_SYS(EXIT_TEMP, "set the envelope of %s",
			    J.msg.s);
		/* No room for it in this file: a file of its own. */
	}
	qid_bucket(J.id, bucket);
	if ((J.anon_env = anon_open("env", bucket)) < 0)
		FAIL_SYS(EXIT_TEMP, "cannot create a file in %s",
		    J.anon_path.s);
	if (io_write_full(J.anon_env, J.env_buf.s, J.env_buf.len) < 0)
		FAIL_SYS(EXIT_TEMP, "write the envelope");
	crash_at("after-env-write");
}

/* Step 3: the envelope, written like the message. */
static void
write_envelope(const struct envelope *env)
{
	int fd;

	if (use_anon) {
		write_envelope_anon(env);
		return;
	}
	fd = durable_open_excl(J.tmp_env.s, 0600);
	if (fd < 0)
		FAIL_SYS(EXIT_TEMP, "cannot create %s", J.tmp_env.s);
	J.has_tmp_env = 1;
	if (envelope_write(fd, env) < 0)
		FAIL_SYS(EXIT_TEMP, "write %s", J.tmp_env.s);	/* fd: exit */
	crash_at("after-env-write");
	if (durable_close_sync(fd) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync/close %s", J.tmp_env.s);
}

/*
 * The anonymous path's commit.  The message is linked as msg/XX/ID
 * already; make it (its envelope with it, when that is its attribute)
 * and the envelope file if any durable, and with an envelope file msg/XX
 * too; only then link the envelope's name, env/XX/ID (the commit: a
 * second name of the message file, or the envelope file), and make that
 * durable.
 */
static void
commit_anon(void)
{
	if (fsync(J.anon_msg) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync %s", J.msg.s);
	if (J.anon_env >= 0 && fsync(J.anon_env) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync the envelope of %s", J.id);
	/*
	 * A separate envelope file must not reach the disk before the
	 * message's name.  One file needs no such order: env/XX/ID is a name
	 * of the message file itself, so once the file and env/XX are
	 * durable the message is, and tern-qmgr gives back a msg/XX/ID the
	 * crash lost (queue_restore_message).  One fsync fewer per message.
	 */
	if (!J.env_in_msg && durable_fsync_dir(J.msg_dir.s) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync %s", J.msg_dir.s);
	crash_at("after-msg-fsync");
	if (anon_link(J.env_in_msg ? J.anon_msg : J.anon_env, J.env.s,
	    J.env_dir.s) < 0)
		FAIL_SYS(EXIT_TEMP, "link %s", J.env.s);
	J.committed = 1;
	crash_at("after-env-link");
	crash_at("before-dir-fsync");
	if (durable_fsync_dir(J.env_dir.s) < 0)
		die_sys(EXIT_TEMP, "%s committed, but fsync %s", J.id,
		    J.env_dir.s);
}

/* Steps 4 and 5: message into place, then the envelope (the commit). */
static void
commit(void)
{
	if (use_anon) {
		commit_anon();
		return;
	}
	if (queue_bucket_dir(J.msg_dir.s) < 0 ||
	    queue_bucket_dir(J.env_dir.s) < 0)
		FAIL_SYS(EXIT_TEMP, "cannot create the queue folders");
	if (rename(J.tmp_msg.s, J.msg.s) < 0)
		FAIL_SYS(EXIT_TEMP, "rename %s", J.tmp_msg.s);
	J.has_tmp_msg = 0;
	J.has_msg = 1;
	crash_at("after-msg-link");
	/* The message is in place on disk before the commit can be. */
	if (durable_fsync_dir(J.msg_dir.s) < 0)
		FAIL_SYS(EXIT_TEMP, "fsync %s", J.msg_dir.s);
	if (rename(J.tmp_env.s, J.env.s) < 0)
		FAIL_SYS(EXIT_TEMP, "rename %s", J.tmp_env.s);
	J.has_tmp_env = 0;
	J.committed = 1;
	crash_at("after-env-link");
	crash_at("before-dir-fsync");
	/* After the commit a failure leaves the files for qmgr. */
	if (durable_fsync_dir(J.env_dir.s) < 0)
		die_sys(EXIT_TEMP, "%s committed, but fsync %s", J.id,
		    J.env_dir.s);
	if (durable_fsync_dir(J.tmp_dir.s) < 0)
		die_sys(EXIT_TEMP, "%s committed, but fsync %s", J.id,
		    J.tmp_dir.s);
}

/*
 * Step 6: wake the queue manager, naming the message ('n' and the id in
 * lower case, one write: lib/trigger.h), so it reads this envelope
 * without a scan.  It
 * rescans anyway, so a failure is only a warning; a full FIFO (EAGAIN) is
 * not even that: tern-qmgr scans when it finds its FIFO nearly full.
 */
static void
poke(void)
{
	char cmd[1 + QID_LEN];
	struct sbuf p;
	struct stat st;
	size_t i;
	int fd;

	cmd[0] = 'n';
	for (i = 0; i < QID_LEN; i++)
		cmd[i + 1] = J.id[i] >= 'A' && J.id[i] <= 'Z' ?
		    (char)(J.id[i] - 'A' + 'a') : J.id[i];
	sbuf_init(&p, PATH_MAX_Q);
	if (sbuf_printf(&p, "%s/trigger", J.qdir) < 0) {
		log_warn_sys("%s trigger path", J.id);
		sbuf_fini(&p);
		return;
	}
	fd = open(p.s, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		log_warn_sys("%s cannot poke %s", J.id, log_esc_s(p.s));
	else if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
		log_warn("%s %s is not a FIFO", J.id, log_esc_s(p.s));
	else if (io_write(fd, cmd, sizeof(cmd)) < 0 && errno != EAGAIN)
		log_warn_sys("%s cannot poke %s", J.id, log_esc_s(p.s));
	if (fd >= 0)
		(void)close(fd);	/* nothing durable written */
	sbuf_fini(&p);
}

/* The caller learns the id when fd 1 is a socket; otherwise no-op. */
static void
tell_id(void)
{
	char line[QID_LEN + 1];

	memcpy(line, J.id, QID_LEN);
	line[QID_LEN] = '\n';
	/* Best effort: a pipe gives ENOTSOCK, a closed peer EPIPE. */
	(void)send(ENV_FD, line, sizeof(line), MSG_NOSIGNAL | MSG_DONTWAIT);
}

/*
 * Set-id: become the queue user entirely (real and saved ids too), so the
 * caller keeps no hold on the process; its uid is already in caller_uid.
 */
static void
become_effective(void)
{
	uid_t u = geteuid(), ru, eu, su;
	gid_t g = getegid(), rg, eg, sg;

	if (setresgid(g, g, g) < 0 || setresuid(u, u, u) < 0)
		die_sys(EXIT_TEMP, "cannot become the queue user");
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    ru != u || su != u || rg != g || sg != g)
		die(EXIT_TEMP, "ids not switched to the queue user");
	priv_san_dumpable();	/* sanitizer builds only: see priv.h */
}

static void
setup(const char *opt_c, int secure, uint64_t *limit_r)
{
	struct sbuf err;
	const char *why = "", *user, *path;
	int r;

	sbuf_init(&err, 4096);
	/*
	 * Set-id: the caller chooses which configuration (-c, TERN_HOME), but
	 * only one that root owns and nobody else can change is read, so a
	 * caller cannot point the queue's uid at a file of its own.
	 */
	path = conf_locate(opt_c);
	if (secure && (r = priv_trusted_path(path, &why)) != 1) {
		if (r < 0)
			die_sys(EXIT_TEMP, "configuration %s", log_esc_s(path));
		die(EXIT_PERM, "configuration %s refused when set-id: %s",
		    log_esc_s(path), why);
	}
	if (conf_read(path, &cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	if ((J.qdir = conf_path(cf, "queue_dir")) == NULL ||
	    conf_size(cf, "message_size_limit", limit_r) < 0 ||
	    (user = conf_str(cf, "queue_user")) == NULL)
		die(EXIT_TEMP, "bad queue_dir, queue_user or "
		    "message_size_limit");
	if (geteuid() == 0 &&
	    priv_drop_user(user, NULL, &why) != PRIV_DROPPED)
		die_sys(EXIT_TEMP, "cannot become %s: %s", log_esc_s(user),
		    why);
	if (secure)
		become_effective();
}

static void
job_init(void)
{
	sbuf_init(&J.tmp_msg, PATH_MAX_Q);
	sbuf_init(&J.tmp_env, PATH_MAX_Q);
	sbuf_init(&J.msg, PATH_MAX_Q);
	sbuf_init(&J.env, PATH_MAX_Q);
	sbuf_init(&J.msg_dir, PATH_MAX_Q);
	sbuf_init(&J.env_dir, PATH_MAX_Q);
	sbuf_init(&J.tmp_dir, PATH_MAX_Q);
	sbuf_init(&J.anon_path, PATH_MAX_Q);
	sbuf_init(&J.env_buf, ENV_FILE_MAX);
	J.anon_msg = J.anon_env = -1;
}

/* Between two messages of a service worker: nothing of one reaches the
 * next (every failure exits, so only a committed job gets here). */
static void
job_reset(void)
{
	J.id[0] = '\0';
	J.has_tmp_msg = J.has_tmp_env = J.has_msg = J.committed = 0;
	J.env_in_msg = 0;
	sbuf_reset(&J.env_buf);
	/* Linked and fsynced: nothing pending, a plain close. */
	(void)io_close(&J.anon_msg);
	(void)io_close(&J.anon_env);
}

/* Step 1: the file the message is written into. */
static int
open_message(void)
{
	int fd;

	if (use_anon < 0)
		use_anon = anon_wanted();
	if (use_anon) {
		/*
		 * The id is not known yet (a caller's proposal comes with the
		 * envelope): the bucket of this process's last message, which
		 * exists, spreads the inodes as well as the id's would.
		 */
		fd = anon_open("msg", last_bucket[0] != '\0' ? last_bucket :
		    NULL);
		if (fd >= 0)
			return J.anon_msg = fd;
		if (fd == -1)
			die_sys(EXIT_TEMP, "cannot create a file in %s",
			    J.anon_path.s);
		use_anon = 0;	/* -2: no O_TMPFILE here, not a failure */
		log_info("O_TMPFILE not available in %s: using tmp/",
		    log_esc_s(J.anon_path.s));
	}
	return open_tmp_msg();
}

/* One message, from fd 0 and 1 to the id sent back; failures exit. */
static void
enqueue_one(uint64_t limit, int opt_s)
{
	struct envelope env;
	uint64_t size;
	int fd;

	fd = open_message();
	size = write_message(fd, limit);
	envelope_init(&env);
	read_envelope(&env);
	write_envelope(&env);
	commit();
	poke();
	log_info("%s enqueued size=%llu nrcpt=%zu from=<%s> uid=%lu%s", J.id,
	    (unsigned long long)size, env.nrcpt, log_esc_s(env.sender),
	    (unsigned long)caller_uid, opt_s ? " via=service" : "");
	tell_id();
	envelope_fini(&env);
	qid_bucket(J.id, last_bucket);
	job_reset();
}

static void
job_fini(void)
{
	sbuf_fini(&J.tmp_msg);
	sbuf_fini(&J.tmp_env);
	sbuf_fini(&J.msg);
	sbuf_fini(&J.env);
	sbuf_fini(&J.msg_dir);
	sbuf_fini(&J.env_dir);
	sbuf_fini(&J.tmp_dir);
	sbuf_fini(&J.anon_path);
	sbuf_fini(&J.env_buf);
	conf_free(&cf);
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL;
	uint64_t limit;
	int ch, secure, opt_s = 0;

	if (proc_init(NULL, 0, 0) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-enqueue", 0);
	secure = is_secure();
	caller_uid = getuid();
	if (!secure)
		crash_step = getenv("TERN_CRASH_AT");
	while ((ch = getopt(argc, argv, "c:S")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'S':
			opt_s = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt_s && secure)
		die(EXIT_PERM, "the service (-S) is started by tern-supervise "
		    "as the queue user, not through the set-id bit");
	setup(opt_c, secure, &limit);
	umask(077);
	if (opt_s)
		enqueue_serve(cf, &caller_uid);	/* returns in a worker */
	job_init();
	if (queue_prepare(J.qdir) < 0)
		die_sys(EXIT_TEMP, "queue %s", log_esc_s(J.qdir));
	do {
		(void)alarm(ENQUEUE_TIMEOUT);	/* the cleaner's age is longer */
		enqueue_one(limit, opt_s);
		(void)alarm(0);
	} while (opt_s && enqueue_next(&caller_uid));
	job_fini();
	return EXIT_OK;
}
