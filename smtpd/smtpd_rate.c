/*
 * smtpd_rate.c - messages per hour per authenticated account, shared by
 * every session (each is its own process) through one small counter file
 * per account in submission_rate_dir, read and written under flock(2).
 *
 * The file holds "BUCKET CURRENT PREVIOUS\n": the hour number (seconds
 * since the epoch / 3600) and the messages counted in that hour and in
 * the one before.  The count over the last hour is estimated as CURRENT
 * plus PREVIOUS weighted by the part of the previous hour still inside
 * the window (a sliding window in constant space).  MAIL is refused
 * (450 4.7.1) once the estimate reaches submission_rate_limit; a message
 * is counted when it is queued.  The file name is the account's canonical
 * key (an address tern-authd returned: no '/', no control byte).  A file
 * that cannot be opened or read lets the message through with a warning:
 * the limit is a brake on abuse, not a promise.
 *
 * A counter says nothing once it is two hours old, so at most once an
 * hour (the mtime of ".sweep" in the folder, taken under a non-blocking
 * flock) a submission session, after its client is gone, removes the
 * counters older than that: the folder holds the accounts that sent in
 * the last two hours, not every account that ever sent.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/scan.h"

#include "smtpd/smtpd.h"

#define RATE_WINDOW	3600	/* seconds: "per hour" */
#define RATE_FILE_MAX	80	/* three numbers and blanks */
#define RATE_SWEEP_EVERY 3600	/* seconds between sweeps */
#define RATE_STALE	(2 * RATE_WINDOW)	/* a counter this old is 0 */
#define RATE_SWEEP_MAX	4000000	/* entries looked at per sweep */
#define RATE_SWEEP_STAMP ".sweep"

struct rate {
	uint64_t	bucket, cur, prev;
};

/* Open and lock the account's file; -1 when not possible (logged). */
static int
rate_open(struct smtpd *s)
{
	struct sbuf path;
	int fd = -1;

	if (strchr(s->auth_user, '/') != NULL || s->auth_user[0] == '.')
		return -1;
	sbuf_init(&path, 4096);
	if (sbuf_printf(&path, "%s/%s", s->rate_dir, s->auth_user) == 0 &&
	    sbuf_str(&path) != NULL)
		fd = open(path.s, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0)
		log_warn_sys("rate: cannot open %s", log_esc_s(sbuf_str(&path)));
	else if (flock(fd, LOCK_EX) < 0) {
		log_warn_sys("rate: cannot lock %s", log_esc_s(path.s));
		(void)close(fd);
		fd = -1;
	}
	sbuf_fini(&path);
	return fd;
}

/* Next number in p[*i..n): 0, or -1. */
static int
num(const char *p, size_t n, size_t *i, uint64_t *v)
{
	size_t j;

	while (*i < n && p[*i] == ' ')
		(*i)++;
	for (j = *i; j < n && p[j] >= '0' && p[j] <= '9'; j++)
		;
	if (j == *i || scan_u64_n(p + *i, j - *i, v) < 0)
		return -1;
	*i = j;
	return 0;
}

/* The counts, moved on to the current hour. */
static void
rate_read(int fd, uint64_t now, struct rate *r)
{
	char buf[RATE_FILE_MAX];
	ssize_t k;
	size_t i = 0;
	uint64_t hour = now / RATE_WINDOW;

	memset(r, 0, sizeof *r);
	k = pread(fd, buf, sizeof buf, 0);
	if (k <= 0 || num(buf, (size_t)k, &i, &r->bucket) < 0 ||
	    num(buf, (size_t)k, &i, &r->cur) < 0 ||
	    num(buf, (size_t)k, &i, &r->prev) < 0 || r->bucket > hour)
		memset(r, 0, sizeof *r);	/* new, or unreadable: start over */
	if (r->bucket == hour)
		return;
	r->prev = r->bucket + 1 == hour ? r->cur : 0;
	r->cur = 0;
	r->bucket = hour;
}

static uint64_t
estimate(const struct rate *r, uint64_t now)
{
	uint64_t left = RATE_WINDOW - now % RATE_WINDOW;

	return r->cur + (r->prev * left) / RATE_WINDOW;
}

/* Over the limit?  1 yes, 0 no (or not known). */
int
smtpd_rate_over(struct smtpd *s)
{
	struct rate r;
	uint64_t now = (uint64_t)time(NULL), est;
	int fd;

	if (s->rate_limit == 0 || s->auth_user[0] == '\0')
		return 0;
	if ((fd = rate_open(s)) < 0)
		return 0;
	rate_read(fd, now, &r);
	(void)close(fd);	/* read only: nothing to lose */
	est = estimate(&r, now);
	if (est < s->rate_limit)
		return 0;
	log_info("rate limit from %s: user=%s messages=%" PRIu64 " limit=%"
	    PRIu64 "/h", s->ip[0] ? s->ip : "-", s->auth_user, est,
	    s->rate_limit);
	return 1;
}

/* Count one queued message. */
void
smtpd_rate_count(struct smtpd *s)
{
	char buf[RATE_FILE_MAX];
	struct rate r;
	uint64_t now = (uint64_t)time(NULL);
	int fd, n;

	if (s->rate_limit == 0 || s->auth_user[0] == '\0')
		return;
	if ((fd = rate_open(s)) < 0)
		return;
	rate_read(fd, now, &r);
	r.cur++;
	n = snprintf(buf, sizeof buf, "%" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
	    r.bucket, r.cur, r.prev);
	if (n < 0 || (size_t)n >= sizeof buf || ftruncate(fd, 0) < 0 ||
	    pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn_sys("rate: cannot update the count of %s",
		    s->auth_user);
	if (close(fd) < 0)
		log_warn_sys("rate: close");
}

/*
 * The counter folder, made while we may still be root (then given to
 * the session user).  Called before the privilege drop.
 */
void
smtpd_rate_setup(struct smtpd *s, uid_t uid, gid_t gid, int chown_it)
{
	struct stat st;

	if (s->rate_limit == 0)
		return;
	if (mkdir(s->rate_dir, 0700) < 0 && errno != EEXIST) {
		log_warn_sys("rate: cannot make %s", log_esc_s(s->rate_dir));
		return;
	}
	if (chown_it && lstat(s->rate_dir, &st) == 0 && S_ISDIR(st.st_mode) &&
	    (st.st_uid != uid || st.st_gid != gid) &&
	    chown(s->rate_dir, uid, gid) < 0)
		log_warn_sys("rate: cannot chown %s", log_esc_s(s->rate_dir));
}

/* Is the sweep due?  Locks the stamp and touches it: its fd, or -1. */
static int
sweep_claim(int dfd, time_t now)
{
	struct stat st;
	int fd;

	fd = openat(dfd, RATE_SWEEP_STAMP, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || now - st.st_mtime < RATE_SWEEP_EVERY ||
	    flock(fd, LOCK_EX | LOCK_NB) < 0 ||
	    fstat(fd, &st) < 0 || now - st.st_mtime < RATE_SWEEP_EVERY ||
	    futimens(fd, NULL) < 0) {
		(void)close(fd);
		return -1;
	}
	return fd;
}

/* Remove the stale counters, when a sweep is due (see the top). */
void
smtpd_rate_sweep(struct smtpd *s)
{
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);
	size_t seen = 0, gone = 0;
	DIR *d;
	int dfd, lfd, fd2;

	if (s->rate_limit == 0 || s->rate_dir == NULL ||
	    (s->mode != SMTPD_SUBMISSION && s->mode != SMTPD_SUBMISSIONS))
		return;
	if ((dfd = open(s->rate_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		return;
	if ((lfd = sweep_claim(dfd, now)) < 0) {
		(void)close(dfd);
		return;
	}
	/* The client has its answers: let it go before the long part
	 * (the socket closes with its last descriptor; the numbers stay
	 * taken, by /dev/null, for the session's own clean-up). */
	if ((fd2 = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
		(void)dup2(fd2, 0);
		(void)dup2(fd2, 1);
		(void)close(fd2);
	}
	if ((fd2 = dup(dfd)) < 0 || (d = fdopendir(fd2)) == NULL) {
		if (fd2 >= 0)
			(void)close(fd2);
		(void)close(lfd);
		(void)close(dfd);
		return;
	}
	while (seen < RATE_SWEEP_MAX && (e = readdir(d)) != NULL) {
		seen++;
		if (e->d_name[0] == '.')
			continue;
		if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && now - st.st_mtime >= RATE_STALE &&
		    unlinkat(dfd, e->d_name, 0) == 0)
			gone++;
	}
	(void)closedir(d);
	(void)close(lfd);
	(void)close(dfd);
	log_info("rate: swept %s: %zu stale counters removed, %zu entries "
	    "seen", log_esc_s(s->rate_dir), gone, seen);
}
