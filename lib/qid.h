/*
 * qid.h - queue ids and the hashed paths of a queued message (doc/queue.md).
 *
 * A queue id is QID_LEN characters of [0-9A-Z], never derived from input:
 *   7 characters  seconds since the epoch, base 36 (good until year 4427)
 *   4 characters  microseconds, base 36 (0..999999)
 *   5 characters  the process id, base 36 (pid_max is at most 2^22)
 * qid_new() is monotonic within a process: a second id in the same
 * microsecond (or after the clock stepped back) takes the last one plus
 * one microsecond, so (time, pid, counter) never repeats while the process
 * lives, and ids sort by arrival.  Across processes, two live processes
 * never share a pid.  tern-enqueue still guards against a clock step
 * reusing an old id (O_EXCL on the temp file, no committed file of that
 * id), so an id is never reused while its message is in the queue.
 *
 * The bucket of an id is two base-36 characters: FNV-1a (32 bit) of the
 * id modulo QID_BUCKETS (1296), so each kind of folder holds at most 1296
 * subfolders and the messages spread evenly over them.
 *
 * qid_path(queue_dir, kind, id, out) replaces out with the path:
 *   QID_MSG        queue_dir/msg/XX/ID       the message (immutable)
 *   QID_ENV        queue_dir/env/XX/ID       the envelope (its existence
 *                                            is the commit)
 *   QID_STATE      queue_dir/state/XX/ID     per-recipient status (qmgr)
 *   QID_STATE_NEW  queue_dir/state/XX/ID.new status being written
 *   QID_TMP_MSG    queue_dir/tmp/ID.msg      message being written
 *   QID_TMP_ENV    queue_dir/tmp/ID.env      envelope being written
 * qid_dir() gives the folder holding that path (queue_dir/msg/XX, ...).
 *
 * Return convention: qid_valid() is 1 or 0; qid_parse() 0 or -1 with a
 * static reason in *why_r; the path functions 0 or -1 with errno (EINVAL
 * for a bad id or kind, E2BIG, ENOMEM).  No function keeps a pointer.
 */
#ifndef TERN_QID_H
#define TERN_QID_H

#include <stddef.h>

#include "lib/sbuf.h"

#define QID_LEN		16	/* 7 time + 4 microseconds + 5 pid */
#define QID_BUCKETS	1296	/* 36 * 36: two characters */
#define QID_BUCKET_LEN	2

enum qid_kind {
	QID_MSG,
	QID_ENV,
	QID_STATE,
	QID_STATE_NEW,
	QID_TMP_MSG,
	QID_TMP_ENV,
};

/* A fresh id into out (QID_LEN characters and a NUL). 0, or -1 (clock). */
int	qid_new(char out[QID_LEN + 1]);
/* Is s[0..len) a well-formed id? */
int	qid_valid(const char *s, size_t len);
/* Copy a valid id into out (NUL-terminated), or -1 with *why_r. */
int	qid_parse(const char *s, size_t len, char out[QID_LEN + 1],
	    const char **why_r);
/* The bucket of a valid id into out (two characters and a NUL). */
void	qid_bucket(const char *id, char out[QID_BUCKET_LEN + 1]);
/* Is s[0..len) a bucket name (two characters of [0-9A-Z])? */
int	qid_is_bucket(const char *s, size_t len);
int	qid_path(const char *queue_dir, enum qid_kind, const char *id,
	    struct sbuf *out);
int	qid_dir(const char *queue_dir, enum qid_kind, const char *id,
	    struct sbuf *out);
/* The id's arrival time in seconds since the epoch (from its first part). */
long long qid_time(const char *id);

#endif
