/* queue.c - scanning and cleaning the on-disk queue; see queue.h. */
#include <linux/fs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/queue.h"
#include "lib/sbuf.h"

#define QUEUE_PATH_MAX	4096

static const char *const top_dirs[] = { "tmp", "msg", "env", "state", NULL };

int
queue_bucket_dir(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return 0;
		errno = ENOTDIR;
		return -1;
	}
	if (errno != ENOENT)
		return -1;
	return durable_mkdir_sync(path, 0700);
}

static int
join(struct sbuf *p, const char *a, const char *b, const char *c)
{
	sbuf_reset(p);
	if (sbuf_cat_s(p, a) < 0 || sbuf_cat_c(p, '/') < 0 ||
	    sbuf_cat_s(p, b) < 0)
		return -1;
	if (c != NULL && (sbuf_cat_c(p, '/') < 0 || sbuf_cat_s(p, c) < 0))
		return -1;
	return sbuf_nul(p);
}

/*
 * Ask the file system to spread the folders made in path over its block
 * groups (ext4's "top of a directory hierarchy" flag, chattr +T): the
 * inodes of a bucket's files are then allocated in that bucket's group,
 * not all in one.  Best effort: other file systems have no such flag.
 */
static void
spread_subdirs(const char *path)
{
	int fd, flags;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    !(flags & FS_TOPDIR_FL)) {
		flags |= FS_TOPDIR_FL;
		(void)ioctl(fd, FS_IOC_SETFLAGS, &flags);	/* a hint */
	}
	(void)close(fd);	/* read-only */
}

int
queue_prepare(const char *queue_dir)
{
	struct sbuf p;
	int i, r = 0;

	sbuf_init(&p, QUEUE_PATH_MAX);
	for (i = 0; top_dirs[i] != NULL && r == 0; i++) {
		if (join(&p, queue_dir, top_dirs[i], NULL) < 0 ||
		    queue_bucket_dir(p.s) < 0)
			r = -1;
		else if (strcmp(top_dirs[i], "tmp") != 0)
			spread_subdirs(p.s);
	}
	sbuf_fini(&p);
	return r;
}

/* Open a folder of the queue; a missing one is an empty one (*d_r NULL). */
static int
open_dir(const char *path, DIR **d_r)
{
	*d_r = opendir(path);
	if (*d_r == NULL && errno != ENOENT)
		return -1;
	return 0;
}

/* Is this entry a bucket folder name? ("." and ".." are not.) */
static int
is_bucket_name(const char *name)
{
	return qid_is_bucket(name, strlen(name));
}

/* Is name an id whose bucket is b? */
static int
is_id_in(const char *name, const char *b)
{
	char want[QID_BUCKET_LEN + 1];

	if (!qid_valid(name, strlen(name)))
		return 0;
	qid_bucket(name, want);
	return strcmp(want, b) == 0;
}

static int
is_dot(const char *name)
{
	return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* Scan one env/XX folder. */
static int
scan_bucket(const char *path, const char *b,
    int (*fn)(const char *, void *), void *arg, size_t *strange)
{
	struct dirent *e;
	DIR *d;
	int r = 0;

	if (open_dir(path, &d) < 0)
		return -1;
	if (d == NULL)
		return 0;
	errno = 0;
	while (r == 0 && (e = readdir(d)) != NULL) {
		if (is_dot(e->d_name))
			continue;
		if (!is_id_in(e->d_name, b)) {
			(*strange)++;
			continue;
		}
		r = fn(e->d_name, arg);
		errno = 0;
	}
	if (r == 0 && errno != 0)
		r = -1;
	(void)closedir(d);	/* read-only */
	return r;
}

int
queue_scan(const char *queue_dir, int (*fn)(const char *, void *), void *arg,
    size_t *strange_r)
{
	return queue_scan_some(queue_dir, NULL, fn, arg, strange_r);
}

int
queue_scan_some(const char *queue_dir,
    int (*want)(const char *, const struct stat *, void *),
    int (*fn)(const char *, void *), void *arg, size_t *strange_r)
{
	struct sbuf p;
	struct dirent *e;
	struct stat st;
	DIR *d;
	size_t strange = 0;
	int r = 0;

	sbuf_init(&p, QUEUE_PATH_MAX);
	if (join(&p, queue_dir, "env", NULL) < 0 || open_dir(p.s, &d) < 0) {
		sbuf_fini(&p);
		return -1;
	}
	while (d != NULL && r == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (is_dot(e->d_name))
			continue;
		if (!is_bucket_name(e->d_name)) {
			strange++;
			continue;
		}
		/* Stat before listing: a change after it is seen next time. */
		if (want != NULL && (fstatat(dirfd(d), e->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) < 0 || !want(e->d_name, &st, arg)))
			continue;
		if (join(&p, queue_dir, "env", e->d_name) < 0)
			r = -1;
		else
			r = scan_bucket(p.s, e->d_name, fn, arg, &strange);
	}
	if (d != NULL && r == 0 && errno != 0)
		r = -1;
	if (d != NULL)
		(void)closedir(d);	/* read-only */
	sbuf_fini(&p);
	if (strange_r != NULL)
		*strange_r = strange;
	return r;
}

int
queue_envelope_bytes(const char *path, struct sbuf *out)
{
	char buf[QUEUE_ENV_XATTR_MAX];
	ssize_t n;
	int fd, r = -1, saved;

	sbuf_reset(out);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -1;
	n = fgetxattr(fd, QUEUE_ENV_XATTR, buf, sizeof(buf));
	if (n >= 0)
		r = sbuf_cat_n(out, buf, (size_t)n);
	else if (errno == ERANGE)
		errno = E2BIG;	/* no writer makes one this large */
	else if (errno == ENODATA || errno == ENOTSUP)
		r = io_read_fd(fd, out, ENV_FILE_MAX);	/* a file of its own */
	saved = errno;
	(void)close(fd);	/* read-only */
	errno = saved;
	return r;
}

int
queue_read_envelope(const char *queue_dir, const char *id,
    struct envelope *env, const char **why_r)
{
	struct sbuf p, b;
	int r = -1, saved;

	*why_r = "cannot read the envelope";
	sbuf_init(&p, QUEUE_PATH_MAX);
	sbuf_init(&b, ENV_FILE_MAX);
	if (qid_path(queue_dir, QID_ENV, id, &p) < 0)
		goto out;
	if (queue_envelope_bytes(p.s, &b) < 0) {
		if (errno == E2BIG) {
			*why_r = "envelope file too large";
			errno = EINVAL;
		}
		goto out;
	}
	if (envelope_read(b.s, b.len, ENV_R_QUEUED, env, why_r) != ENV_OK) {
		errno = EINVAL;
		goto out;
	}
	if (strcmp(env->qid, id) != 0) {
		*why_r = "envelope's queue id is not its file name";
		errno = EINVAL;
		goto out;
	}
	r = 0;
out:
	saved = errno;
	sbuf_fini(&p);
	sbuf_fini(&b);
	errno = saved;
	return r;
}

int
queue_open_message(const char *queue_dir, const char *id)
{
	struct sbuf p;
	int fd = -1, saved;

	sbuf_init(&p, QUEUE_PATH_MAX);
	if (qid_path(queue_dir, QID_MSG, id, &p) == 0)
		fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	saved = errno;
	sbuf_fini(&p);
	errno = saved;
	return fd;
}

/*
 * A one-file message whose env/XX/ID reached the disk without its first
 * name msg/XX/ID (tern-enqueue does not fsync msg/XX: the commit's file
 * fsync and env/XX fsync make the message durable under env/XX/ID, which
 * is a name of the message file itself).  Only a file carrying the
 * envelope attribute is the message; a separate envelope file is not.
 */
int
queue_restore_message(const char *queue_dir, const char *id)
{
	struct sbuf env, msg;
	char b;
	int r = -1, saved, fd;

	sbuf_init(&env, QUEUE_PATH_MAX);
	sbuf_init(&msg, QUEUE_PATH_MAX);
	if (qid_path(queue_dir, QID_ENV, id, &env) < 0 ||
	    qid_path(queue_dir, QID_MSG, id, &msg) < 0)
		goto out;
	fd = open(env.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		goto out;
	if (fgetxattr(fd, QUEUE_ENV_XATTR, &b, 0) < 0) {
		saved = errno == ENOTSUP ? ENODATA : errno;
		(void)close(fd);	/* read-only */
		errno = saved;
		goto out;
	}
	(void)close(fd);	/* read-only */
	if (linkat(AT_FDCWD, env.s, AT_FDCWD, msg.s, 0) < 0 &&
	    errno != EEXIST)
		goto out;
	if (durable_fsync_parent(msg.s) < 0)
		goto out;
	r = 0;
out:
	saved = errno;
	sbuf_fini(&env);
	sbuf_fini(&msg);
	errno = saved;
	return r;
}

/* Submitting. */

static void __attribute__((noreturn))
submit_child(const char *enqueue, int msg_fd, int sock, char *const envp[])
{
	char *const argv[] = { (char *)"tern-enqueue", NULL };

	int src[2] = { msg_fd, sock }, dst[2] = { 0, 1 };

	if (io_fd_arrange(src, dst, 2) < 0)
		_exit(ENQUEUE_EX_TEMP);
	(void)execve(enqueue, argv, envp);
	_exit(ENQUEUE_EX_TEMP);
}

/* Write the envelope; a child that exited early (EPIPE) is not an error:
 * its exit status says why. */
static void
submit_write(int sock, const struct sbuf *b)
{
	size_t off = 0;
	ssize_t n;

	while (off < b->len) {
		n = send(sock, b->s + off, b->len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

/* The id line written back after the commit, if any. */
static void
submit_read_id(int sock, char qid_r[])
{
	char line[QID_LEN + 2];
	size_t got = 0;
	ssize_t n;

	qid_r[0] = '\0';
	while (got < sizeof(line)) {
		n = io_read(sock, line + got, sizeof(line) - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got == QID_LEN + 1 && line[QID_LEN] == '\n' &&
	    qid_valid(line, QID_LEN)) {
		memcpy(qid_r, line, QID_LEN);
		qid_r[QID_LEN] = '\0';
	}
}

static int
submit_wait(pid_t pid, int *status_r)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	*status_r = WIFEXITED(st) ? WEXITSTATUS(st) : ENQUEUE_EX_TEMP;
	return 0;
}

int
queue_submit(const char *enqueue, int msg_fd, const struct envelope *env,
    char *const envp[], char qid_r[], int *status_r)
{
	static const char *const allow[] = { "TERN_HOME", "TERN_LOG",
	    "TERN_DEBUG", NULL };
	struct sbuf b;
	char **built = NULL;
	pid_t pid;
	int sv[2], r = -1, saved;

	qid_r[0] = '\0';
	sbuf_init(&b, ENV_FILE_MAX);
	sv[0] = sv[1] = -1;
	if (envelope_encode(env, &b) < 0)
		goto out;
	if (envp == NULL && (envp = built = env_build(allow, NULL)) == NULL)
		goto out;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto out;
	if ((pid = fork()) < 0)
		goto out;
	if (pid == 0)
		submit_child(enqueue, msg_fd, sv[1], envp);
	(void)io_close(&sv[1]);		/* the child's end */
	submit_write(sv[0], &b);
	(void)shutdown(sv[0], SHUT_WR);	/* the child may be gone */
	submit_read_id(sv[0], qid_r);
	r = submit_wait(pid, status_r);
	if (r == 0 && *status_r != ENQUEUE_EX_OK)
		qid_r[0] = '\0';
out:
	saved = errno;
	(void)io_close(&sv[0]);		/* read side, or unused */
	(void)io_close(&sv[1]);
	env_free(&built);
	sbuf_fini(&b);
	errno = saved;
	return r;
}

/* Cleaning. */

struct cleaner {
	const char			*queue_dir;
	time_t				 now;
	unsigned long			 age;
	struct queue_clean_stats	*st;
	struct sbuf			 p;	/* scratch path */
};

/* Is the file at dirfd/name a regular file older than the age?  0 when
 * it is not (or vanished), 1 when it is, -1 on error. */
static int
is_old_file(struct cleaner *c, int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISREG(st.st_mode))
		return 0;
	return st.st_ctime < c->now && (unsigned long)(c->now - st.st_ctime) >=
	    c->age;
}

/* Is the message id committed (env/XX/ID exists)?  1, 0, or -1. */
static int
is_committed(struct cleaner *c, const char *id)
{
	struct stat st;

	if (qid_path(c->queue_dir, QID_ENV, id, &c->p) < 0)
		return -1;
	if (lstat(c->p.s, &st) == 0)
		return 1;
	return errno == ENOENT ? 0 : -1;
}

static int
unlink_in(int dirfd, const char *name, size_t *count, int *changed)
{
	if (unlinkat(dirfd, name, 0) < 0)
		return errno == ENOENT ? 0 : -1;
	(*count)++;
	*changed = 1;
	return 0;
}

/* tmp/: "ID.msg" and "ID.env" older than the age. */
static int
clean_tmp_entry(struct cleaner *c, int dirfd, const char *name, int *changed)
{
	size_t n = strlen(name);
	int old;

	if (n != QID_LEN + 4 || !qid_valid(name, QID_LEN) ||
	    (strcmp(name + QID_LEN, ".msg") != 0 &&
	    strcmp(name + QID_LEN, ".env") != 0)) {
		c->st->strange++;
		return 0;
	}
	if ((old = is_old_file(c, dirfd, name)) <= 0)
		return old;
	return unlink_in(dirfd, name, &c->st->tmp_removed, changed);
}

/* msg/XX/ID or state/XX/ID[.new] without a committed envelope. */
static int
clean_bucket_entry(struct cleaner *c, int dirfd, const char *bucket,
    const char *name, int is_state, int *changed)
{
	char id[QID_LEN + 1];
	size_t n = strlen(name);
	int old, live;

	if (n < QID_LEN) {
		c->st->strange++;
		return 0;
	}
	memcpy(id, name, QID_LEN);
	id[QID_LEN] = '\0';
	if (!is_id_in(id, bucket) || (n != QID_LEN &&
	    !(is_state && strcmp(name + QID_LEN, ".new") == 0))) {
		c->st->strange++;
		return 0;
	}
	if ((old = is_old_file(c, dirfd, name)) <= 0)
		return old;
	if (n == QID_LEN) {
		if ((live = is_committed(c, id)) != 0)
			return live < 0 ? -1 : 0;
	}
	return unlink_in(dirfd, name, is_state ? &c->st->state_removed :
	    &c->st->msg_removed, changed);
}

/* Walk one folder; bucket is NULL for tmp/. */
static int
clean_dir(struct cleaner *c, const char *path, const char *bucket,
    int is_state)
{
	struct dirent *e;
	DIR *d;
	int r = 0, changed = 0;

	if (open_dir(path, &d) < 0)
		return -1;
	if (d == NULL)
		return 0;
	while (r == 0 && (errno = 0, e = readdir(d)) != NULL) {
		if (is_dot(e->d_name))
			continue;
		if (bucket == NULL)
			r = clean_tmp_entry(c, dirfd(d), e->d_name, &changed);
		else
			r = clean_bucket_entry(c, dirfd(d), bucket, e->d_name,
			    is_state, &changed);
	}
	if (r == 0 && errno != 0)
		r = -1;
	if (r == 0 && changed && fsync(dirfd(d)) < 0)
		r = -1;
	(void)closedir(d);	/* read-only */
	return r;
}

/* Every bucket of msg/ or state/. */
static int
clean_kind(struct cleaner *c, const char *kind, int is_state)
{
	struct sbuf top, p;
	struct dirent *e;
	DIR *d = NULL;
	int r = 0;

	sbuf_init(&top, QUEUE_PATH_MAX);
	sbuf_init(&p, QUEUE_PATH_MAX);
	if (join(&top, c->queue_dir, kind, NULL) < 0 ||
	    open_dir(top.s, &d) < 0)
		r = -1;
	while (r == 0 && d != NULL && (errno = 0, e = readdir(d)) != NULL) {
		if (is_dot(e->d_name))
			continue;
		if (!is_bucket_name(e->d_name)) {
			c->st->strange++;
			continue;
		}
		if (join(&p, c->queue_dir, kind, e->d_name) < 0)
			r = -1;
		else
			r = clean_dir(c, p.s, e->d_name, is_state);
	}
	if (r == 0 && d != NULL && errno != 0)
		r = -1;
	if (d != NULL)
		(void)closedir(d);	/* read-only */
	sbuf_fini(&top);
	sbuf_fini(&p);
	return r;
}

int
queue_clean(const char *queue_dir, time_t now, unsigned long age,
    struct queue_clean_stats *st)
{
	struct cleaner c;
	struct sbuf p;
	int r;

	memset(st, 0, sizeof(*st));
	c.queue_dir = queue_dir;
	c.now = now;
	c.age = age;
	c.st = st;
	sbuf_init(&c.p, QUEUE_PATH_MAX);
	sbuf_init(&p, QUEUE_PATH_MAX);
	r = join(&p, queue_dir, "tmp", NULL);
	if (r == 0)
		r = clean_dir(&c, p.s, NULL, 0);
	if (r == 0)
		r = clean_kind(&c, "msg", 0);
	if (r == 0)
		r = clean_kind(&c, "state", 1);
	sbuf_fini(&p);
	sbuf_fini(&c.p);
	return r;
}
