/* Unit tests for lib/queue (scan, clean) and lib/qid paths, in a mkdtemp
 * folder. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/queue.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char dir[] = "/tmp/tern-queue-XXXXXX";

static int
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	return close(fd);
}

static int
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Path of kind for id, creating its bucket folder. */
static const char *
P(enum qid_kind k, const char *id)
{
	static struct sbuf b[4];
	static int slot;
	struct sbuf *s = &b[slot++ % 4];
	struct sbuf d;

	sbuf_init(&d, 4096);
	if (s->max == 0)
		sbuf_init(s, 4096);
	if (qid_dir(dir, k, id, &d) < 0 || queue_bucket_dir(d.s) < 0 ||
	    qid_path(dir, k, id, s) < 0)
		abort();
	sbuf_fini(&d);
	return s->s;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static int
count_cb(const char *id, void *arg)
{
	(void)id;
	(*(int *)arg)++;
	return 0;
}

static int
stop_cb(const char *id, void *arg)
{
	(void)id;
	(void)arg;
	return -7;
}

/* Write an envelope file for id at its env/ path (id_in_file may differ). */
static void
put_env(const char *id, const char *id_in_file)
{
	struct envelope e;
	int fd;

	envelope_init(&e);
	memcpy(e.qid, id_in_file, QID_LEN + 1);
	e.arrival = 1790000000;
	if (envelope_add_rcpt(&e, "a@b.example", NULL, 0, NULL) < 0)
		abort();
	(void)unlink(P(QID_ENV, id));
	fd = open(P(QID_ENV, id), O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || envelope_write(fd, &e) < 0 || close(fd) < 0)
		abort();
	envelope_fini(&e);
}

static void
test_read(const char *live)
{
	struct envelope e;
	const char *why = NULL;
	char other[QID_LEN + 1];
	int fd, r;

	envelope_init(&e);
	r = queue_read_envelope(dir, live, &e, &why);
	ok(r < 0 && errno == EINVAL, "an empty envelope file is damaged: %s",
	    why ? why : "(none)");
	put_env(live, live);
	ok(queue_read_envelope(dir, live, &e, &why) == 0 && e.nrcpt == 1 &&
	    strcmp(e.qid, live) == 0, "queue_read_envelope reads it back");
	if (qid_new(other) < 0)
		abort();
	put_env(live, other);
	ok(queue_read_envelope(dir, live, &e, &why) < 0 && errno == EINVAL &&
	    strstr(why, "file name") != NULL, "an id that is not the file "
	    "name is refused");
	ok(queue_read_envelope(dir, other, &e, &why) < 0 && errno == ENOENT,
	    "a missing envelope: ENOENT");
	fd = queue_open_message(dir, live);
	ok(fd >= 0, "queue_open_message");
	if (fd >= 0)
		(void)close(fd);
	ok(queue_open_message(dir, "not-an-id") < 0 && errno == EINVAL,
	    "queue_open_message refuses a bad id");
	envelope_fini(&e);
}

/*
 * The envelope kept as the message file's attribute (one file, two
 * names): queue_envelope_bytes and queue_read_envelope take the attribute,
 * not the message bytes; a file without it is read as before.
 */
static void
test_xattr(const char *live)
{
	struct envelope e;
	struct sbuf b, enc;
	const char *why = NULL;
	int fd;

	sbuf_init(&b, ENV_FILE_MAX);
	sbuf_init(&enc, ENV_FILE_MAX);
	envelope_init(&e);
	memcpy(e.qid, live, QID_LEN + 1);
	e.arrival = 1790000000;
	if (envelope_add_rcpt(&e, "x@y.example", NULL, 0, NULL) < 0 ||
	    envelope_add_rcpt(&e, "z@y.example", NULL, 0, NULL) < 0 ||
	    envelope_encode(&e, &enc) < 0)
		abort();
	envelope_fini(&e);
	(void)unlink(P(QID_ENV, live));
	fd = open(P(QID_ENV, live), O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, "Subject: x\n\nbody\n", 18) != 18)
		abort();
	if (fsetxattr(fd, QUEUE_ENV_XATTR, enc.s, enc.len, 0) < 0) {
		skip(4, "no user extended attributes in /tmp");
		(void)close(fd);
		sbuf_fini(&b);
		sbuf_fini(&enc);
		return;
	}
	if (close(fd) < 0)
		abort();
	ok(queue_envelope_bytes(P(QID_ENV, live), &b) == 0 &&
	    b.len == enc.len && memcmp(b.s, enc.s, b.len) == 0,
	    "the envelope from the attribute, not the file's bytes");
	envelope_init(&e);
	ok(queue_read_envelope(dir, live, &e, &why) == 0 && e.nrcpt == 2,
	    "queue_read_envelope reads it");
	envelope_fini(&e);
	put_env(live, live);	/* a file of its own, no attribute */
	ok(queue_envelope_bytes(P(QID_ENV, live), &b) == 0 && b.len > 0 &&
	    b.s[0] == 'V', "a file without the attribute: its bytes");
	ok(queue_envelope_bytes(P(QID_ENV, "0TP9Z00000000ZZZ"), &b) < 0 &&
	    errno == ENOENT, "a missing file: ENOENT");
	sbuf_fini(&b);
	sbuf_fini(&enc);
}

int
main(void)
{
	char live[QID_LEN + 1], gone[QID_LEN + 1], orphan[QID_LEN + 1];
	char path[4200];
	struct queue_clean_stats st;
	size_t strange = 0;
	int n = 0;
	time_t now = time(NULL);

	if (mkdtemp(dir) == NULL)
		abort();
	ok(queue_prepare(dir) == 0, "queue_prepare");
	ok(queue_prepare(dir) == 0, "queue_prepare again (folders exist)");
	if (qid_new(live) < 0 || qid_new(gone) < 0 || qid_new(orphan) < 0)
		abort();
	/* A committed message with a state and a stale state.new. */
	ok(touch(P(QID_MSG, live)) == 0 && touch(P(QID_ENV, live)) == 0 &&
	    touch(P(QID_STATE, live)) == 0 &&
	    touch(P(QID_STATE_NEW, live)) == 0, "a committed message");
	/* A removal that crashed after unlinking the envelope. */
	ok(touch(P(QID_MSG, gone)) == 0 && touch(P(QID_STATE, gone)) == 0,
	    "an uncommitted message with a state");
	/* An enqueue that crashed before the commit. */
	ok(touch(P(QID_TMP_MSG, orphan)) == 0 &&
	    touch(P(QID_TMP_ENV, orphan)) == 0, "tmp leftovers");
	/* Strange names. */
	if (snprintf(path, sizeof(path), "%s/tmp/notes.txt", dir) < 0 ||
	    touch(path) < 0 ||
	    snprintf(path, sizeof(path), "%s/env/zz", dir) < 0 ||
	    mkdir(path, 0700) < 0 ||
	    snprintf(path, sizeof(path), "%s/msg/lost+found", dir) < 0 ||
	    mkdir(path, 0700) < 0)
		abort();

	ok(queue_scan(dir, count_cb, &n, &strange) == 0 && n == 1,
	    "queue_scan sees the one committed message (%d)", n);
	is_int((long long)strange, 1, "and counts env/zz as strange");
	is_int(queue_scan(dir, stop_cb, NULL, NULL), -7,
	    "a callback's negative value stops the scan");

	ok(queue_clean(dir, now, QUEUE_CLEAN_AGE, &st) == 0 &&
	    st.tmp_removed + st.msg_removed + st.state_removed == 0,
	    "fresh files are spared");
	ok(queue_clean(dir, now + 200000, QUEUE_CLEAN_AGE, &st) == 0,
	    "queue_clean, 55 hours later");
	is_int((long long)st.tmp_removed, 2, "two tmp leftovers removed");
	is_int((long long)st.msg_removed, 1, "the uncommitted message removed");
	is_int((long long)st.state_removed, 2,
	    "its state and the stale state.new removed");
	is_int((long long)st.strange, 2, "tmp/notes.txt and msg/lost+found "
	    "left alone, counted");
	ok(exists(P(QID_MSG, live)) && exists(P(QID_ENV, live)) &&
	    exists(P(QID_STATE, live)) && !exists(P(QID_STATE_NEW, live)),
	    "the committed message is whole");
	ok(!exists(P(QID_MSG, gone)) && !exists(P(QID_STATE, gone)) &&
	    !exists(P(QID_TMP_MSG, orphan)), "the leftovers are gone");
	ok(snprintf(path, sizeof(path), "%s/tmp/notes.txt", dir) > 0 &&
	    exists(path), "unknown names are kept");
	ok(snprintf(path, sizeof(path), "%s/nonexistent", dir) > 0 &&
	    queue_scan(path, count_cb, &n, NULL) == 0,
	    "a queue without env/ scans as empty");
	ok(queue_bucket_dir(path) == 0 && queue_bucket_dir(path) == 0,
	    "queue_bucket_dir twice");
	if (snprintf(path, sizeof(path), "%s/tmp/notes.txt", dir) < 0)
		abort();
	ok(queue_bucket_dir(path) < 0 && errno == ENOTDIR,
	    "a file where a folder should be: ENOTDIR");
	test_read(live);
	test_xattr(live);
	ok(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "cleaned up");
	return done_testing();
}
