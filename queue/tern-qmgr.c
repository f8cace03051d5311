/*
 * tern-qmgr - the queue manager (tern-qmgr(8), doc/queue.md).  One poll
 * loop over the self-pipe (SIGTERM, SIGINT, SIGHUP, SIGCHLD), the trigger
 * FIFO and the sockets of its workers.  It keeps a bounded set of
 * messages waiting for their next attempt and hands each attempt
 * (qmgr_work.c) to a worker, at most qmgr_concurrency at once.  Workers
 * are long-lived processes forked on demand, one message at a time each,
 * fed over a socketpair: a job is the queue id, the answer the outcome.
 * A worker ends after WORKER_JOBS attempts, after WORKER_IDLE seconds
 * without one, or when it dies; a job whose worker dies is retried later
 * (the state file says what was done), as when a forked worker died.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/queue.h"
#include "lib/sbuf.h"
#include "lib/selfpipe.h"
#include "lib/trigger.h"

#include "queue/qmgr.h"
#include "queue/qmgr_conf.h"

#define WAIT_MAX	100000	/* messages remembered between attempts */
#define CLEAN_EVERY	3600	/* queue_clean: at start and hourly */
#define SCAN_GAP_MS	1000	/* new-mail scans at most once a second */
#define POLL_MAX_MS	60000
/* Descriptors besides one per worker: stdio, log, self-pipe, trigger,
 * the poll entries of those two, and the files and folders of a scan. */
#define QMGR_FD_RESERVE	16
#define TRIGGER_READ	4096
/* A FIFO filled to within 1/TRIGGER_SLACK of its size may have refused a
 * writer (its pages hold whole writes: up to 16 bytes of each 4096 stay
 * unused with tern-enqueue's 17-byte commands). */
#define TRIGGER_SLACK	32
#define WORKER_JOBS	1000	/* attempts per worker process */
#define WORKER_IDLE	60	/* seconds an idle worker is kept */

/* A job for a worker, and its answer, on the worker's socket. */
struct request {
	char		 qid[QID_LEN + 1];
	int32_t		 force;
};

struct result {
	int32_t		 outcome;
	int64_t		 due;
};

/* A worker process; busy while it runs the attempt for qid. */
struct job {
	char		 qid[QID_LEN + 1];
	pid_t		 pid;		/* 0: reaped */
	int		 fd;		/* its socket; -1: free slot */
	int		 busy;
	int		 del;		/* deleted meanwhile: remove at exit */
	int		 status;	/* wait status once reaped */
	unsigned	 done;		/* attempts finished */
	int64_t		 idle_since;
};

struct wait {
	char		 qid[QID_LEN + 1];
	int		 force;
	int64_t		 due;
};

enum qm_state { QM_RUN = 0, QM_STOP };
#define QM_NSTATE	2
enum qm_event {
	EV_WAKE = 0, EV_FLUSH, EV_DELETE, EV_CHILD, EV_TIMER, EV_HUP, EV_TERM,
	EV_NEW
};
#define QM_NEVENT	8

static struct qmgr Q;
static struct conf *cf;
static enum qm_state state = QM_RUN;
static struct job *jobs;	/* Q.concurrency slots */
static size_t njobs;		/* busy workers */
static struct wait *waits;
static size_t nwait, nsorted;
static int overflow;
static int trig_fd = -1;
static int64_t scan_at_ms, clean_at, last_scan_ms, full_at_ms;
static int scan_force, scan_full;
/*
 * What a scan saw of each env/XX folder: its mtime, and whether that is
 * old enough (BUCKET_SURE seconds) that any later change must show as a
 * newer one.  A scan for new mail (a wake) lists only the folders whose
 * mtime changed since, or was not sure; the periodic rescan, SIGHUP, a
 * flush and an overflow list them all.
 */
#define BUCKET_SURE	2
static struct {
	struct timespec	 mtime;
	int		 sure;
} bucket_seen[QID_BUCKETS];
static int scan_partial;

/* Waiting messages. */

static int
wait_cmp(const void *a, const void *b)
{
	return strcmp(((const struct wait *)a)->qid,
	    ((const struct wait *)b)->qid);
}

static void
wait_add(const char *qid, int64_t due, int force)
{
	if (nwait >= WAIT_MAX) {
		overflow = 1;	/* a later rescan finds it again */
		return;
	}
	memcpy(waits[nwait].qid, qid, QID_LEN + 1);
	waits[nwait].due = due;
	waits[nwait].force = force;
	nwait++;
}

static void
wait_del(size_t i)
{
	waits[i] = waits[--nwait];
	nsorted = 0;		/* order lost: scans sort again */
}

static struct job *
job_find(const char *qid)
{
	size_t i;

	for (i = 0; i < Q.concurrency; i++)
		if (jobs[i].fd >= 0 && jobs[i].busy &&
		    strcmp(jobs[i].qid, qid) == 0)
			return &jobs[i];
	return NULL;
}

/* Scanning. */

static int
scan_one(const char *id, void *arg)
{
	struct wait key, *w;
	int64_t due;

	(void)arg;
	memcpy(key.qid, id, QID_LEN + 1);
	w = nsorted > 0 ? bsearch(&key, waits, nsorted, sizeof(*waits),
	    wait_cmp) : NULL;
	if (w != NULL) {
		if (scan_force) {
			w->due = 0;
			w->force = 1;
		}
		return 0;
	}
	if (job_find(id) != NULL)
		return 0;
	if (scan_force)
		due = 0;
	else if (qstate_next_due(Q.queue_dir, id, &due) < 0)
		due = 0;	/* the worker reports the error */
	wait_add(id, due, scan_force);
	return 0;
}

static int
bucket_index(const char *b)
{
	static const char digits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	const char *h = strchr(digits, b[0]), *l = strchr(digits, b[1]);

	if (h == NULL || l == NULL || b[0] == '\0' || b[1] == '\0')
		return -1;
	return (int)((h - digits) * 36 + (l - digits)) % QID_BUCKETS;
}

/* queue_scan_some's filter: remember each folder; list the changed. */
static int
want_bucket(const char *b, const struct stat *st, void *arg)
{
	int64_t now = *(const int64_t *)arg;
	int i = bucket_index(b), changed;

	if (i < 0)
		return 1;
	changed = !bucket_seen[i].sure ||
	    bucket_seen[i].mtime.tv_sec != st->st_mtim.tv_sec ||
	    bucket_seen[i].mtime.tv_nsec != st->st_mtim.tv_nsec;
	bucket_seen[i].mtime = st->st_mtim;
	bucket_seen[i].sure = now - (int64_t)st->st_mtim.tv_sec >= BUCKET_SURE;
	return scan_partial ? changed : 1;
}

static void
scan(void)
{
	size_t strange = 0;
	int64_t now = (int64_t)time(NULL);

	qsort(waits, nwait, sizeof(*waits), wait_cmp);
	nsorted = nwait;
	scan_partial = !(scan_full || scan_force || overflow ||
	    io_now_ms() >= full_at_ms);
	overflow = 0;
	if (queue_scan_some(Q.queue_dir, want_bucket, scan_one, &now,
	    &strange) < 0)
		log_err_sys("cannot scan %s", log_esc_s(Q.queue_dir));
	if (strange > 0)
		log_warn("queue: %zu strange names in env/ (left alone)",
		    strange);
	log_debug("scan%s: %zu waiting%s", scan_partial ? " (new mail)" : "",
	    nwait, overflow ? ", overflow" : "");
	nsorted = 0;
	scan_force = 0;
	last_scan_ms = io_now_ms();
	if (!scan_partial) {
		full_at_ms = last_scan_ms + (int64_t)Q.rescan * 1000;
		scan_full = 0;
	}
	scan_at_ms = full_at_ms;
}

static void
clean(void)
{
	struct queue_clean_stats st;
	time_t now = time(NULL);

	memset(&st, 0, sizeof(st));
	if (queue_clean(Q.queue_dir, now, QUEUE_CLEAN_AGE, &st) < 0)
		log_err_sys("queue_clean %s", log_esc_s(Q.queue_dir));
	else if (st.tmp_removed + st.msg_removed + st.state_removed > 0)
		log_info("clean: tmp=%zu msg=%zu state=%zu strange=%zu",
		    st.tmp_removed, st.msg_removed, st.state_removed,
		    st.strange);
	clean_at = (int64_t)now + CLEAN_EVERY;
}

/* Workers. */

/*
 * The worker process: one attempt per request until end of file, the
 * WORKER_JOBS-th attempt, or a signal.  It keeps nothing of a message
 * between attempts; the maps are opened per attempt (cdbmap re-stats).
 * Children it did not wait for (a tern-remote kept idle for its
 * connection) are reaped between attempts.
 */
static void __attribute__((noreturn))
worker(int fd)
{
	struct request req;
	struct result res;
	unsigned n;

	selfpipe_fini();
	/*
	 * A reload is tern-qmgr's business: tern-supervise sends SIGHUP to
	 * the whole process group, and a worker it killed in the middle of
	 * an attempt deferred the message, or delivered it twice.  SIGTERM
	 * (a stop) still ends a worker.
	 */
	(void)signal(SIGHUP, SIG_IGN);	/* cannot fail for SIGHUP */
	(void)io_close(&trig_fd);
	for (n = 0; n < WORKER_JOBS; n++) {
		if (io_read_full(fd, &req, sizeof(req)) != (ssize_t)sizeof(req))
			break;
		req.qid[QID_LEN] = '\0';
		if (!qid_valid(req.qid, QID_LEN))
			_exit(EXIT_TEMP);
		memset(&res, 0, sizeof(res));
		res.outcome = (int32_t)qmgr_work(&Q, req.qid, req.force,
		    &res.due);
		while (waitpid(-1, NULL, WNOHANG) > 0)
			continue;
		if (io_write_full(fd, &res, sizeof(res)) < 0)
			_exit(EXIT_TEMP);
	}
	_exit(EXIT_OK);
}

/*
 * A new worker in the free slot j: 0, or -1 (logged).  A slot is free
 * once its worker is retired and reaped.
 */
static int
spawn(struct job *j)
{
	int sp[2];
	size_t i;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) {
		log_err_sys("worker socketpair");
		return -1;
	}
	if ((pid = fork()) < 0) {
		log_err_sys("worker fork");
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		/* Only the parent may hold the others' sockets: their end of
		 * file is how a retired worker learns it is done. */
		for (i = 0; i < Q.concurrency; i++)
			(void)io_close(&jobs[i].fd);
		(void)close(sp[0]);
		worker(sp[1]);
	}
	(void)close(sp[1]);
	memset(j, 0, sizeof(*j));
	j->pid = pid;
	j->fd = sp[0];
	j->idle_since = (int64_t)time(NULL);
	return 0;
}

/* Close a worker's socket: an idle one reads end of file and exits. */
static void
retire(struct job *j)
{
	(void)io_close(&j->fd);
	j->busy = 0;
}

/* Hand w to an idle worker or a new one: 0, or -1 when every slot is
 * still held by a worker on its way out (w waits again as it was). */
static int
start(const struct wait *w)
{
	struct request req;
	struct job *j = NULL, *fresh = NULL;
	size_t i;

	for (i = 0; i < Q.concurrency && j == NULL; i++) {
		if (jobs[i].fd >= 0 && !jobs[i].busy && jobs[i].pid != 0)
			j = &jobs[i];
		else if (fresh == NULL && jobs[i].fd < 0 && jobs[i].pid == 0)
			fresh = &jobs[i];
	}
	if (j == NULL && fresh == NULL) {
		wait_add(w->qid, w->due, w->force);
		return -1;
	}
	if (j == NULL) {
		if (spawn(fresh) < 0) {
			wait_add(w->qid, (int64_t)time(NULL) +
			    (int64_t)Q.sched[0], 0);
			return 0;
		}
		j = fresh;
	}
	memset(&req, 0, sizeof(req));
	memcpy(req.qid, w->qid, QID_LEN + 1);
	req.force = w->force;
	/* A socket buffer takes the few bytes at once; a worker that died
	 * meanwhile (EPIPE) is replaced and the message tried later. */
	if (send(j->fd, &req, sizeof(req), MSG_NOSIGNAL | MSG_DONTWAIT) !=
	    (ssize_t)sizeof(req)) {
		log_warn_sys("%s worker %ld unusable", w->qid, (long)j->pid);
		retire(j);
		wait_add(w->qid, w->due, w->force);
		return 0;
	}
	memcpy(j->qid, w->qid, QID_LEN + 1);
	j->busy = 1;
	j->del = 0;
	njobs++;
	return 0;
}

/* Start workers for the earliest due messages, up to the limit. */
static void
dispatch(void)
{
	int64_t now = (int64_t)time(NULL);
	struct wait w;
	size_t i, best;

	while (state == QM_RUN && njobs < Q.concurrency && nwait > 0) {
		best = nwait;
		for (i = 0; i < nwait; i++)
			if (waits[i].due <= now && (best == nwait ||
			    waits[i].due < waits[best].due))
				best = i;
		if (best == nwait)
			return;
		w = waits[best];
		wait_del(best);
		if (start(&w) < 0)
			return;	/* SIGCHLD wakes us when a slot frees */
	}
}

static void
remove_deleted(const char *qid)
{
	if (qstate_remove(Q.queue_dir, qid) < 0)
		log_err_sys("%s cannot remove", qid);
	else
		log_info("%s removed", qid);
}

/* The outcome of the attempt j ran (res NULL: the worker died). */
static void
finished(struct job *j, const struct result *r)
{
	struct result res;
	int64_t now = (int64_t)time(NULL);

	if (r == NULL) {
		log_err("%s worker died (status %d); retry later", j->qid,
		    j->pid == 0 ? j->status : -1);
		res.outcome = QW_DUE;
		res.due = now + (int64_t)Q.sched[0];
	} else {
		res = *r;
	}
	j->busy = 0;
	njobs--;
	j->done++;
	j->idle_since = now;
	switch ((enum qmgr_outcome)res.outcome) {
	case QW_DUE:
	case QW_BROKEN:
		if (j->del)
			remove_deleted(j->qid);
		else
			wait_add(j->qid, res.due, 0);
		break;
	case QW_REMOVED:
	case QW_GONE:
		break;
	}
}

/* A busy worker's socket is readable: its answer, or its end. */
static void
answer(struct job *j)
{
	struct result res;
	ssize_t n;

	n = io_read_full(j->fd, &res, sizeof(res));
	if (n == (ssize_t)sizeof(res)) {
		finished(j, &res);
		if (j->done >= WORKER_JOBS || state != QM_RUN)
			retire(j);
		return;
	}
	/* Died mid-attempt: it has closed its socket, so it has exited or
	 * is exiting; wait for its status. */
	if (j->pid != 0) {
		while (waitpid(j->pid, &j->status, 0) < 0 && errno == EINTR)
			continue;
		j->pid = 0;
	}
	finished(j, NULL);
	retire(j);
}

/* The state x event table and its actions. */

static void
act_wake(const char *id)
{
	(void)id;
	/* Coalesced: at most one new-mail scan per SCAN_GAP_MS. */
	if (scan_at_ms > last_scan_ms + SCAN_GAP_MS)
		scan_at_ms = last_scan_ms + SCAN_GAP_MS;
}

/*
 * tern-enqueue named the message it just committed: it waits for its
 * first attempt now, without a scan (a scan may have found it already:
 * it is never waiting or running twice).
 */
static void
act_new(const char *id)
{
	size_t i;

	if (job_find(id) != NULL)
		return;
	for (i = 0; i < nwait; i++)
		if (memcmp(waits[i].qid, id, QID_LEN) == 0)
			return;
	wait_add(id, 0, 0);
}

static void
act_flush(const char *id)
{
	size_t i;

	(void)id;
	log_info("flush: every message is retried now");
	for (i = 0; i < nwait; i++) {
		waits[i].due = 0;
		waits[i].force = 1;
	}
	scan_force = 1;
	scan_at_ms = 0;
}

static void
act_delete(const char *id)
{
	struct sbuf p;
	struct job *j;
	size_t i;

	if ((j = job_find(id)) != NULL) {
		log_info("%s deleted (after the delivery in progress)", id);
		j->del = 1;
		return;
	}
	for (i = 0; i < nwait; i++)
		if (strcmp(waits[i].qid, id) == 0) {
			wait_del(i);
			break;
		}
	sbuf_init(&p, QMGR_PATH_MAX);
	if (qid_path(Q.queue_dir, QID_ENV, id, &p) == 0 &&
	    access(p.s, F_OK) == 0) {
		log_info("%s deleted", id);
		remove_deleted(id);
	} else {
		log_info("%s delete: no such message", id);
	}
	sbuf_fini(&p);
}

static void
act_child(const char *id)
{
	pid_t pid;
	int status;
	size_t i;

	(void)id;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < Q.concurrency; i++)
			if (jobs[i].pid == pid)
				break;
		if (i == Q.concurrency)
			continue;	/* not a worker */
		jobs[i].pid = 0;
		jobs[i].status = status;
		/* Its answer, if it wrote one, is still in the socket. */
		if (jobs[i].busy)
			answer(&jobs[i]);
		retire(&jobs[i]);
	}
}

static void
act_timer(const char *id)
{
	int64_t now = (int64_t)time(NULL);
	size_t i;

	(void)id;
	for (i = 0; i < Q.concurrency; i++)
		if (jobs[i].fd >= 0 && !jobs[i].busy &&
		    now - jobs[i].idle_since >= WORKER_IDLE)
			retire(&jobs[i]);
	if (now >= clean_at)
		clean();
	/* Messages that did not fit: look again once there is room. */
	if (overflow && nwait < WAIT_MAX / 2 && scan_at_ms > last_scan_ms +
	    SCAN_GAP_MS) {
		scan_at_ms = last_scan_ms + SCAN_GAP_MS;
		scan_full = 1;
	}
	if (io_now_ms() >= scan_at_ms)
		scan();
}

static void
act_hup(const char *id)
{
	(void)id;
	log_info("SIGHUP: rescanning the queue");
	scan_at_ms = 0;
	scan_full = 1;
}

static void
act_term(const char *id)
{
	size_t i;

	(void)id;
	log_info("stopping: %zu deliveries in progress", njobs);
	state = QM_STOP;
	for (i = 0; i < Q.concurrency; i++) {
		if (jobs[i].pid != 0)
			(void)kill(jobs[i].pid, SIGTERM);
		if (!jobs[i].busy)
			retire(&jobs[i]);
	}
}

static void
act_ignore(const char *id)
{
	(void)id;
}

typedef void (*qm_action)(const char *);
static const qm_action table[QM_NSTATE][QM_NEVENT] = {
	[QM_RUN] = {
		[EV_WAKE] = act_wake, [EV_FLUSH] = act_flush,
		[EV_DELETE] = act_delete, [EV_CHILD] = act_child,
		[EV_TIMER] = act_timer, [EV_HUP] = act_hup,
		[EV_TERM] = act_term, [EV_NEW] = act_new,
	},
	[QM_STOP] = {
		[EV_WAKE] = act_ignore, [EV_FLUSH] = act_ignore,
		[EV_DELETE] = act_ignore, [EV_CHILD] = act_child,
		[EV_TIMER] = act_ignore, [EV_HUP] = act_ignore,
		[EV_TERM] = act_ignore, [EV_NEW] = act_ignore,
	},
};

static void
event(enum qm_event ev, const char *id)
{
	table[state][ev](id);
}

/* The loop. */

/*
 * Drain the FIFO.  A writer that found it full (EAGAIN) named its message
 * in vain: when the FIFO was nearly full, scan for new mail as after a
 * plain wake.
 */
static void
read_trigger(struct trigger_parser *tp)
{
	unsigned char buf[TRIGGER_READ];
	ssize_t n, i;
	int queued, size;

	if (ioctl(trig_fd, FIONREAD, &queued) == 0 &&
	    (size = fcntl(trig_fd, F_GETPIPE_SZ)) > 0 &&
	    queued >= size - size / TRIGGER_SLACK)
		event(EV_WAKE, NULL);
	while ((n = io_read(trig_fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			switch (trigger_feed(tp, buf[i])) {
			case TRIGGER_NONE:
				break;
			case TRIGGER_WAKE:
				event(EV_WAKE, NULL);
				break;
			case TRIGGER_FLUSH:
				event(EV_FLUSH, NULL);
				break;
			case TRIGGER_DELETE:
				event(EV_DELETE, tp->id);
				break;
			case TRIGGER_NEW:
				event(EV_NEW, tp->id);
				break;
			}
	if (n < 0 && errno != EAGAIN)
		log_warn_sys("read trigger");
}

static int
poll_timeout(void)
{
	int64_t now = (int64_t)time(NULL), now_ms = io_now_ms(), t;
	size_t i;

	t = scan_at_ms - now_ms;
	if ((clean_at - now) * 1000 < t)
		t = (clean_at - now) * 1000;
	for (i = 0; i < Q.concurrency; i++)
		if (jobs[i].fd >= 0 && !jobs[i].busy &&
		    (jobs[i].idle_since + WORKER_IDLE - now) * 1000 < t)
			t = (jobs[i].idle_since + WORKER_IDLE - now) * 1000;
	if (njobs < Q.concurrency)
		for (i = 0; i < nwait; i++)
			if ((waits[i].due - now) * 1000 < t)
				t = (waits[i].due - now) * 1000;
	if (t < 0)
		t = 0;
	return t > POLL_MAX_MS ? POLL_MAX_MS : (int)t;
}

static void
loop(void)
{
	struct trigger_parser tp;
	struct pollfd *pfd;
	size_t i;

	if ((pfd = mem_alloc(Q.concurrency + 2, sizeof(*pfd))) == NULL)
		die_sys(EXIT_TEMP, "memory");
	trigger_parser_init(&tp);
	while (state == QM_RUN || njobs > 0) {
		if (state == QM_RUN)
			dispatch();
		pfd[0].fd = selfpipe_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = trig_fd;
		pfd[1].events = POLLIN;
		for (i = 0; i < Q.concurrency; i++) {
			pfd[i + 2].fd = jobs[i].busy ? jobs[i].fd : -1;
			pfd[i + 2].events = POLLIN;
			pfd[i + 2].revents = 0;
		}
		if (poll(pfd, Q.concurrency + 2, state == QM_RUN ?
		    poll_timeout() : 1000) < 0 && errno != EINTR)
			die_sys(EXIT_TEMP, "poll");
		for (i = 0; i < Q.concurrency; i++)
			if (pfd[i + 2].fd >= 0 && pfd[i + 2].revents != 0 &&
			    jobs[i].busy && jobs[i].fd == pfd[i + 2].fd)
				answer(&jobs[i]);
		selfpipe_drain();
		if (selfpipe_caught(SIGTERM) | selfpipe_caught(SIGINT))
			event(EV_TERM, NULL);
		if (selfpipe_caught(SIGHUP))
			event(EV_HUP, NULL);
		(void)selfpipe_caught(SIGCHLD);
		event(EV_CHILD, NULL);		/* reaping is cheap */
		if ((pfd[1].revents & POLLIN) != 0)
			read_trigger(&tp);
		event(EV_TIMER, NULL);
	}
	free(pfd);
}

/*
 * One descriptor per worker, and poll() refuses more entries than
 * RLIMIT_NOFILE (EINVAL): under a low limit tern-qmgr died on its first
 * poll and was restarted in a loop.  Fewer workers instead, said once.
 */
static void
fit_concurrency(void)
{
	size_t lim = proc_nofile();

	if (lim == 0 || lim == SIZE_MAX)
		return;
	if (lim <= QMGR_FD_RESERVE)
		die(EXIT_TEMP, "open files limit %zu too low (at least %d)",
		    lim, QMGR_FD_RESERVE + 1);
	if ((uint64_t)(lim - QMGR_FD_RESERVE) >= Q.concurrency)
		return;
	log_warn("qmgr_concurrency %llu lowered to %zu: open files limit %zu",
	    (unsigned long long)Q.concurrency, lim - QMGR_FD_RESERVE, lim);
	Q.concurrency = lim - QMGR_FD_RESERVE;
}

static void
setup(const char *opt_c)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct sbuf err;
	const char *why, *user;
	int r;

	sbuf_init(&err, 4096);
	if (conf_read(opt_c, &cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP,
		    "cannot read the configuration");
	}
	sbuf_fini(&err);
	Q.conf_dir = conf_dir(cf);
	qmgr_conf(&Q, cf);
	fit_concurrency();
	if ((user = conf_str(cf, "queue_user")) == NULL)
		die(EXIT_PERM, "queue_user");
	r = priv_drop_user(user, NULL, &why);
	if (r == PRIV_SKIPPED)
		log_info("not root: running as uid %lu", (unsigned long)getuid());
	else if (r != PRIV_DROPPED)
		die_sys(EXIT_TEMP, "cannot become %s: %s", log_esc_s(user), why);
	umask(077);
	if (queue_prepare(Q.queue_dir) < 0)
		die_sys(EXIT_TEMP, "queue %s", log_esc_s(Q.queue_dir));
	if ((trig_fd = trigger_open(Q.queue_dir, 0)) < 0)
		die_sys(EXIT_TEMP, "trigger FIFO in %s", log_esc_s(Q.queue_dir));
	if (selfpipe_init(sigs, sizeof(sigs) / sizeof(sigs[0])) < 0)
		die_sys(EXIT_TEMP, "selfpipe");
	if ((jobs = mem_alloc(Q.concurrency, sizeof(*jobs))) == NULL ||
	    (waits = mem_alloc(WAIT_MAX, sizeof(*waits))) == NULL)
		die_sys(EXIT_TEMP, "memory");
	for (r = 0; r < (int)Q.concurrency; r++) {
		memset(&jobs[r], 0, sizeof(jobs[r]));
		jobs[r].fd = -1;
	}
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-qmgr [-c tern.conf]");
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL;
	int ch;

	if (proc_init(NULL, 0, 0) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-qmgr", 0);
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	setup(opt_c);
	log_info("started: queue %s concurrency=%llu", log_esc_s(Q.queue_dir),
	    (unsigned long long)Q.concurrency);
	clean();
	scan();
	loop();
	log_info("stopped");
	for (ch = 0; ch < (int)Q.concurrency; ch++)
		retire(&jobs[ch]);
	(void)io_close(&trig_fd);
	free(jobs);
	free(waits);
	conf_free(&cf);
	return EXIT_OK;
}
