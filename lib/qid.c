/* qid.c - queue ids and hashed queue paths; see qid.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/qid.h"
#include "lib/sbuf.h"

#define QID_TIME_LEN	7
#define QID_USEC_LEN	4
#define QID_PID_LEN	5

static const char b36[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/* Last id made by this process, so the next one is strictly greater. */
static long long last_sec = -1;
static long last_usec;

static int
is_b36(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z');
}

static int
b36_val(unsigned char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Write v as exactly n base-36 digits (the caller checked that it fits). */
static void
put_b36(char *out, size_t n, unsigned long long v)
{
	while (n > 0) {
		out[--n] = b36[v % 36];
		v /= 36;
	}
}

int
qid_new(char out[QID_LEN + 1])
{
	struct timespec ts;
	long long sec;
	long usec;
	unsigned long long pid;

	if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
		return -1;
	sec = (long long)ts.tv_sec;
	usec = ts.tv_nsec / 1000;
	if (sec < 0) {
		errno = ERANGE;
		return -1;
	}
	if (sec < last_sec || (sec == last_sec && usec <= last_usec)) {
		sec = last_sec;
		usec = last_usec + 1;
		if (usec >= 1000000) {
			sec++;
			usec = 0;
		}
	}
	/* 36^7 seconds: the year 4427. */
	if ((unsigned long long)sec >= 78364164096ULL) {
		errno = ERANGE;
		return -1;
	}
	pid = (unsigned long long)getpid() % 60466176ULL;	/* 36^5 */
	last_sec = sec;
	last_usec = usec;
	put_b36(out, QID_TIME_LEN, (unsigned long long)sec);
	put_b36(out + QID_TIME_LEN, QID_USEC_LEN, (unsigned long long)usec);
	put_b36(out + QID_TIME_LEN + QID_USEC_LEN, QID_PID_LEN, pid);
	out[QID_LEN] = '\0';
	return 0;
}

int
qid_valid(const char *s, size_t len)
{
	size_t i;
	long v = 0;

	if (s == NULL || len != QID_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_b36((unsigned char)s[i]))
			return 0;
	for (i = QID_TIME_LEN; i < QID_TIME_LEN + QID_USEC_LEN; i++)
		v = v * 36 + b36_val((unsigned char)s[i]);
	return v < 1000000;
}

int
qid_parse(const char *s, size_t len, char out[QID_LEN + 1],
    const char **why_r)
{
	if (s == NULL || len != QID_LEN) {
		*why_r = "queue id has the wrong length";
		return -1;
	}
	if (!qid_valid(s, len)) {
		*why_r = "queue id has a character outside [0-9A-Z] or a bad "
		    "microsecond part";
		return -1;
	}
	memcpy(out, s, QID_LEN);
	out[QID_LEN] = '\0';
	return 0;
}

void
qid_bucket(const char *id, char out[QID_BUCKET_LEN + 1])
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < QID_LEN; i++) {
		h ^= (unsigned char)id[i];
		h *= 16777619u;
	}
	h %= QID_BUCKETS;
	out[0] = b36[h / 36];
	out[1] = b36[h % 36];
	out[2] = '\0';
}

int
qid_is_bucket(const char *s, size_t len)
{
	return len == QID_BUCKET_LEN && is_b36((unsigned char)s[0]) &&
	    is_b36((unsigned char)s[1]);
}

long long
qid_time(const char *id)
{
	long long v = 0;
	size_t i;

	for (i = 0; i < QID_TIME_LEN; i++)
		v = v * 36 + b36_val((unsigned char)id[i]);
	return v;
}

/* The folder name of a kind, and whether it is hashed. */
static const char *
kind_dir(enum qid_kind kind, int *hashed_r, const char **suffix_r)
{
	*hashed_r = 1;
	*suffix_r = "";
	switch (kind) {
	case QID_MSG:
		return "msg";
	case QID_ENV:
		return "env";
	case QID_STATE:
		return "state";
	case QID_STATE_NEW:
		*suffix_r = ".new";
		return "state";
	case QID_TMP_MSG:
		*hashed_r = 0;
		*suffix_r = ".msg";
		return "tmp";
	case QID_TMP_ENV:
		*hashed_r = 0;
		*suffix_r = ".env";
		return "tmp";
	}
	return NULL;
}

static int
build(const char *queue_dir, enum qid_kind kind, const char *id,
    struct sbuf *out, int file)
{
	const char *dir, *suffix;
	char bucket[QID_BUCKET_LEN + 1];
	int hashed;

	if (queue_dir == NULL || id == NULL ||
	    !qid_valid(id, strnlen(id, QID_LEN + 1)) ||
	    (dir = kind_dir(kind, &hashed, &suffix)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	sbuf_reset(out);
	if (sbuf_cat_s(out, queue_dir) < 0 || sbuf_cat_c(out, '/') < 0 ||
	    sbuf_cat_s(out, dir) < 0)
		return -1;
	if (hashed) {
		qid_bucket(id, bucket);
		if (sbuf_cat_c(out, '/') < 0 || sbuf_cat_s(out, bucket) < 0)
			return -1;
	}
	if (file && (sbuf_cat_c(out, '/') < 0 || sbuf_cat_s(out, id) < 0 ||
	    sbuf_cat_s(out, suffix) < 0))
		return -1;
	return sbuf_nul(out);
}

int
qid_path(const char *queue_dir, enum qid_kind kind, const char *id,
    struct sbuf *out)
{
	return build(queue_dir, kind, id, out, 1);
}

int
qid_dir(const char *queue_dir, enum qid_kind kind, const char *id,
    struct sbuf *out)
{
	return build(queue_dir, kind, id, out, 0);
}
