/*
 * queue.h - walking the on-disk queue (doc/queue.md): what the queue
 * manager, tern-mailq and tern-enqueue share besides qid and envelope.
 *
 * queue_prepare(queue_dir) creates the top folders tmp, msg, env and
 * state (mode 0700, each fsynced in its parent) when they are missing;
 * queue_dir itself must exist.  It also asks the file system to spread
 * the buckets of msg, env and state over its block groups (ext4's
 * FS_TOPDIR_FL, best effort): ext4 allocates a file's inode in its
 * folder's group and, without a journal, skips every inode of that group
 * freed in the last seconds, one by one, so a busy queue in one group pays
 * for its own deletions at every file it creates (doc/queue.md).  queue_bucket_dir(path) creates one hashed
 * folder (msg/XX, ...) the same way: a folder that exists costs one
 * lstat, a new one an fsync of its parent.  Buckets are never removed.
 *
 * queue_scan(queue_dir, fn, arg) calls fn(id, arg) for every committed
 * message: every env/XX/ID whose name is a valid id and whose bucket is
 * XX.  Other names are skipped (counted in *strange_r when not NULL).
 * fn returns 0 to go on, or a negative value that stops the scan and is
 * returned.  Order is the directory order (not sorted).  The scan is a
 * snapshot: messages committed or removed meanwhile may or may not be
 * seen.  queue_scan_some() is the same but lists only the buckets for
 * which want(XX, &st, arg) says 1, st being the folder's lstat, taken
 * before it is listed; a bucket that cannot be stat'ed is skipped.
 *
 * queue_clean(queue_dir, now, age, &stats) removes what no committed
 * message owns once it is older than age seconds (its ctime: a rename
 * resets it):
 *   tmp/ID.msg, tmp/ID.env      an enqueue that died before the commit
 *   msg/XX/ID without env/XX/ID an enqueue that died between the two
 *                                renames, or a removal that died after
 *                                its first unlink
 *   state/XX/ID without env/XX/ID, state/XX/ID.new  the same for qmgr
 * Names it does not know are left alone and counted in stats.strange.
 * Every folder it changed is fsynced.  age must exceed the longest
 * enqueue (ENQUEUE_TIMEOUT) so an enqueue in progress is never cleaned:
 * QUEUE_CLEAN_AGE is the default.
 *
 * queue_envelope_bytes(path, &out) reads the envelope of the env/XX/ID
 * file at path into out: its QUEUE_ENV_XATTR extended attribute when it
 * has one (then env/XX/ID is a second name of the message file itself,
 * doc/queue.md "One file"), else the file's content (at most
 * ENV_FILE_MAX bytes; the layout of separate envelope files).  0, or -1
 * with errno (ENOENT: no such file; E2BIG: too large).
 *
 * queue_read_envelope(queue_dir, id, env, &why) reads env/XX/ID that way,
 * decodes it with ENV_R_QUEUED and checks that its
 * queue id is the file's: 0; -1 with errno ENOENT when the message is not
 * (or no longer) committed, another errno for I/O; -1 with errno EINVAL
 * and a static *why_r when the file is damaged.  env must be
 * envelope_init()ed; envelope_fini() it in every case.
 * queue_open_message(queue_dir, id) opens msg/XX/ID read-only
 * (O_NOFOLLOW|O_CLOEXEC): a descriptor, or -1 with errno.
 * queue_restore_message(queue_dir, id) gives a committed one-file message
 * back its name msg/XX/ID after a crash lost it (tern-enqueue does not
 * fsync msg/XX: env/XX/ID, a name of the same file, is the durable one):
 * links env/XX/ID to msg/XX/ID and fsyncs msg/XX.  0 (also when the name
 * was there); -1 with errno ENODATA when env/XX/ID is a separate envelope
 * file (that message is lost: the admin's), ENOENT when not committed.
 *
 * queue_submit(enqueue, msg_fd, env, envp, qid_r, &status) is the
 * client side of tern-enqueue, for tern-smtpd, sendmail and the bounces of
 * tern-qmgr: it runs the program at the absolute path enqueue (execve,
 * argv {"tern-enqueue"}, envp as given; NULL means TERN_HOME, TERN_LOG and
 * TERN_DEBUG kept from the environment) with msg_fd as its descriptor 0
 * and one end of a socketpair as descriptor 1, writes the encoded
 * envelope (env's queue id and time are ignored by tern-enqueue), shuts
 * the socket's writing half, reads the queue id back, and waits.  msg_fd
 * must already hold the whole message (a spooled file, or a pipe that
 * someone else feeds): the caller is blocked meanwhile.  *status_r is the
 * exit status (ENQUEUE_EX_*; a killed child counts as ENQUEUE_EX_TEMP),
 * and qid_r the queue id when it is ENQUEUE_EX_OK ("" otherwise).
 * It returns 0 when the program ran, -1 with errno when it could not
 * (EINVAL for an envelope the encoder refuses; nothing was run then).
 *
 * Return convention: 0 (queue_scan: 0 or fn's negative value) or -1 with
 * errno.  Nothing here prints.
 */
#ifndef TERN_QUEUE_H
#define TERN_QUEUE_H

#include <sys/stat.h>

#include <stddef.h>
#include <time.h>

struct envelope;
struct sbuf;

/* tern-enqueue's exit codes (tern-enqueue(8)); callers map them to SMTP. */
#define ENQUEUE_EX_OK		0	/* committed: say 250 */
#define ENQUEUE_EX_BADENV	100	/* envelope refused or usage: 554 5.3.0 */
#define ENQUEUE_EX_TOOBIG	101	/* over message_size_limit: 552 5.3.4 */
#define ENQUEUE_EX_TEMP		111	/* temporary (or killed): 451 4.3.0 */

/* Where an envelope lives when it is kept in its message file, and the
 * largest one kept there (a larger one is a file of its own). */
#define QUEUE_ENV_XATTR		"user.tern.env"
#define QUEUE_ENV_XATTR_MAX	3072

#define ENQUEUE_TIMEOUT	86400	/* tern-enqueue's alarm: one enqueue, 24 h */
#define QUEUE_CLEAN_AGE	129600	/* 36 h > ENQUEUE_TIMEOUT (as qmail) */

struct queue_clean_stats {
	size_t	tmp_removed;
	size_t	msg_removed;
	size_t	state_removed;
	size_t	strange;
};

int	queue_prepare(const char *queue_dir);
int	queue_bucket_dir(const char *path);
int	queue_scan(const char *queue_dir, int (*fn)(const char *id, void *),
	    void *arg, size_t *strange_r);
int	queue_scan_some(const char *queue_dir,
	    int (*want)(const char *bucket, const struct stat *, void *),
	    int (*fn)(const char *id, void *), void *arg, size_t *strange_r);
int	queue_envelope_bytes(const char *path, struct sbuf *out);
int	queue_read_envelope(const char *queue_dir, const char *id,
	    struct envelope *, const char **why_r);
int	queue_open_message(const char *queue_dir, const char *id);
int	queue_restore_message(const char *queue_dir, const char *id);
int	queue_submit(const char *enqueue, int msg_fd, const struct envelope *,
	    char *const envp[], char qid_r[], int *status_r);
int	queue_clean(const char *queue_dir, time_t now, unsigned long age,
	    struct queue_clean_stats *);

#endif
