/*
 * tern-lspawn - the root launcher of local deliveries (tern-lspawn(8)).
 *
 * Listens on run_dir/lspawn.sock.  Per connection a worker process reads
 * requests (lib/lspawn), one at a time: it opens the queued message
 * itself, looks every recipient up in accounts.cdb, and runs tern-local
 * once per account as that account's uid, in its Maildir, through the
 * account's kept delivery child (struct kept below: forked at the first
 * delivery to that uid, then fed one delivery after another); it answers
 * one result per recipient.  A connection carries any number of
 * requests (tern-qmgr's workers keep theirs); the worker ends when the
 * client closes, after WORKER_IDLE_MS without a request, after
 * WORKER_REQS requests, when its parent is gone, or, between requests,
 * when a client is waiting to be accepted (the slots are all taken).  At
 * most local_concurrency workers run at once.  A worker hands the
 * recipients of one request to their accounts' kept children side by
 * side (deliver_kept: up to KEPT_MAX at once, one per account) and
 * answers when all have answered, so at most local_concurrency x
 * KEPT_MAX deliveries run at once (at most KEPT_MAX tern-local
 * processes per worker); with local_exec = yes, one at a time.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <bsd/string.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/fdpass.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/lspawn.h"
#include "lib/maildir.h"
#include "lib/maps.h"
#include "lib/mem.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/selfpipe.h"
#include "deliver/local.h"
#include "deliver/lspawn_int.h"

#define REQ_TIMEOUT_MS	30000	/* qmgr writes its request at once */
#define REPLY_TIMEOUT_MS 60000
#define LISTEN_BACKLOG	64
#define RESULT_FD	3	/* tern-local's request descriptor */
#define WORKER_IDLE_MS	2000	/* a kept connection idle this long ends */
#define WORKER_REQS	1000	/* requests per worker process */
#define KEPT_MAX	8	/* kept delivery children per worker */
#define KEPT_MSG_MAX	65536	/* a one-recipient request, and a reply */
#define KEPT_IDLE_MS	5000	/* a kept child unused this long is ended */

struct cfg {
	const char	*conf_path;	/* -c, passed on to tern-local */
	char		 sock[108];
	char		*queue_dir, *mail_dir, *sis_dir, *local_prog;
	char		*accounts;
	uint64_t	 uid_min, uid_max, concurrency, timeout_s, sis_min;
	uid_t		 peer_uid;	/* who may connect */
	int		 is_root;
	int		 exec_local;	/* local_exec = yes */
	int		 bounce_over;	/* quota_exceeded = bounce */
	int		 log_flags;	/* -d: the child logs as tern-local */
	char		 hostname[256];	/* an account elsewhere is not ours */
};

struct acct {
	uid_t		 uid;
	uint64_t	 quota;
	int		 md;		/* the Maildir, verified */
};

/*
 * A kept delivery child: a process running as one account's uid that
 * delivers one message after another for it (local_deliver_one), fed by
 * its worker over a SOCK_SEQPACKET socketpair: a request is one packet,
 * the quota_exceeded flag byte then the one-recipient request, with the
 * message and the Maildir as descriptors (SCM_RIGHTS); the answer is one
 * packet, the exit code byte then the result line.  It ends at end of
 * file (its worker closed the socket or ended).  Only that account's
 * messages and Maildir ever reach it.
 */
struct kept {
	uid_t		 uid;
	pid_t		 pid;
	int		 fd;		/* -1: slot free */
	uint64_t	 used;		/* for least-recently-used eviction */
	int64_t		 last_ms;	/* last handed a delivery */
	int		 busy;		/* a delivery in flight (its answer
					 * not read yet): never evicted */
};

static struct cfg cfg;
static struct cdbmap *accounts;
/*
 * The number of workers, written by the master only, read by its workers
 * (a shared page made before the first fork; unmapped in every delivery
 * child).  A worker gives its place up for a waiting client only when
 * the master is at local_concurrency: otherwise the master accepts that
 * client itself in a moment, and every worker that saw it waiting ended
 * for nothing (then their clients connected again, and more ended: 62
 * workers and kept children forked for 400 messages from 20 clients).
 */
static uint64_t *shared_nworkers;

static void
shared_fini(void)
{
	if (shared_nworkers != NULL)
		(void)munmap(shared_nworkers, sizeof(*shared_nworkers));
	shared_nworkers = NULL;
}
static struct kept kept[KEPT_MAX];
static uint64_t kept_clock;
static struct conf *conf;	/* kept: conf_changed() per request */

static char *
dup_or_die(const char *s)
{
	char *d;

	if (s == NULL || (d = mem_strdup(s)) == NULL)
		die(EXIT_TEMP, "configuration: out of memory or bad value");
	return d;
}

static char *
join(const char *a, const char *b)
{
	struct sbuf s;
	char *r;

	sbuf_init(&s, 4096);
	if (sbuf_printf(&s, "%s/%s", a, b) == -1 || sbuf_nul(&s) == -1)
		die(EXIT_PERM, "path too long: %s/%s", a, b);
	r = dup_or_die(s.s);
	sbuf_fini(&s);
	return r;
}

static void
read_conf(void)
{
	struct conf *c = NULL;
	struct sbuf err;
	const char *run, *map, *prog, *qu;
	gid_t g;

	sbuf_init(&err, 8192);
	if (conf_read(cfg.conf_path, &c, &err) == -1)
		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP, "%s",
		    sbuf_str(&err) ? err.s : "configuration");
	if ((run = conf_path(c, "run_dir")) == NULL ||
	    (map = conf_path(c, "map_dir")) == NULL ||
	    (prog = conf_path(c, "program_dir")) == NULL ||
	    conf_uint(c, "account_uid_min", &cfg.uid_min) == -1 ||
	    conf_uint(c, "account_uid_max", &cfg.uid_max) == -1 ||
	    conf_uint(c, "local_concurrency", &cfg.concurrency) == -1 ||
	    conf_duration(c, "local_timeout", &cfg.timeout_s) == -1 ||
	    conf_size(c, "sis_min_size", &cfg.sis_min) == -1 ||
	    conf_bool(c, "local_exec", &cfg.exec_local) == -1)
		die(EXIT_PERM, "configuration: bad value");
	cfg.bounce_over = local_bounce_over(c);
	cfg.queue_dir = dup_or_die(conf_path(c, "queue_dir"));
	cfg.mail_dir = dup_or_die(conf_path(c, "mail_dir"));
	cfg.sis_dir = join(cfg.mail_dir, ".sis");
	cfg.local_prog = join(prog, "tern-local");
	cfg.accounts = join(map, "accounts.cdb");
	if (conf_hostname(c, cfg.hostname, sizeof cfg.hostname) < 0)
		die_sys(errno == ENAMETOOLONG ? EXIT_PERM : EXIT_TEMP,
		    "hostname");
	run = conf_path(c, "run_dir");
	if (cfg.concurrency == 0)
		cfg.concurrency = 1;
	if (snprintf(cfg.sock, sizeof(cfg.sock), "%s/lspawn.sock", run) >=
	    (int)sizeof(cfg.sock))
		die(EXIT_PERM, "run_dir too long for a socket path");
	cfg.peer_uid = geteuid();
	if (cfg.is_root) {
		qu = conf_str(c, "queue_user");
		if (qu == NULL || priv_lookup(qu, &cfg.peer_uid, &g) == -1)
			die(EXIT_PERM, "queue_user %s: no such user",
			    qu ? log_esc_s(qu) : "?");
	}
	conf_free(&conf);
	conf = c;
	sbuf_fini(&err);
}

/*
 * A worker (one request) whose tern.conf changed since the start takes
 * the new quota_exceeded, as a tern-local reading it per delivery would.
 */
static void
reread_local_conf(void)
{
	struct conf *c = NULL;
	struct sbuf err;

	if (conf == NULL || !conf_changed(conf))
		return;
	sbuf_init(&err, 8192);
	if (conf_read(cfg.conf_path, &c, &err) == -1)
		log_warn("%s; keeping the settings read at the start",
		    sbuf_str(&err) ? err.s : "configuration unreadable");
	else
		cfg.bounce_over = local_bounce_over(c);
	conf_free(&c);
	sbuf_fini(&err);
}

static int
listen_sock(void)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, cfg.sock, strlen(cfg.sock) + 1);
	if (unlink(cfg.sock) == -1 && errno != ENOENT)
		die_sys(EXIT_TEMP, "unlink %s", cfg.sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd == -1)
		die_sys(EXIT_TEMP, "socket");
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		die_sys(EXIT_TEMP, "bind %s", cfg.sock);
	if (chmod(cfg.sock, 0600) == -1)
		die_sys(EXIT_TEMP, "chmod %s", cfg.sock);
	if (cfg.is_root && chown(cfg.sock, cfg.peer_uid, (gid_t)-1) == -1)
		die_sys(EXIT_TEMP, "chown %s", cfg.sock);
	if (listen(fd, LISTEN_BACKLOG) == -1)
		die_sys(EXIT_TEMP, "listen");
	return fd;
}

/* ---- one recipient ---- */

static int
set_result(struct lspawn_results *rs, const char *addr, const char *line)
{
	if (lspawn_results_add(rs, addr, line, strlen(line)) == -1) {
		log_err_sys("result for %s", log_esc_s(addr));
		return -1;
	}
	return 0;
}

static void kept_end_uid(uid_t);

/* Look the account up: 0 (found, usable), or a result line in *line. */
static int
lookup(const char *addr, struct acct *a, struct sbuf *home,
    const char **line)
{
	struct maps_record r;
	struct sbuf key;
	const void *v;
	size_t vlen;
	const char *why;
	int f;

	sbuf_init(&key, MAPS_ADDR_MAX + 1);
	f = maps_key(&key, addr, strlen(addr));
	if (f == 0)
		f = cdbmap_lookup(accounts, key.s, key.len, &v, &vlen);
	sbuf_fini(&key);
	if (f == -1) {
		*line = "defer 4.3.0 account map unreadable";
		return -1;
	}
	if (f == 0) {
		*line = "bounce 5.1.1 no such local account";
		return -1;
	}
	if (maps_account_decode(v, vlen, &r, &why) == -1) {
		log_err("account %s: %s", log_esc_s(addr), why);
		*line = "defer 4.3.5 account record invalid";
		return -1;
	}
	switch (r.status) {
	case MAPS_ACTIVE:
		break;
	case MAPS_DISABLED:
		*line = "bounce 5.2.1 mailbox disabled";
		return -1;
	case MAPS_MOVING:
		/* tern-user move: the queue retries, then the new host.
		 * The move waits until nothing runs as the account: a
		 * kept child of its uid goes now, not when this worker
		 * ends (deferrals keep a worker busy for ever). */
		kept_end_uid((uid_t)r.uid);
		*line = "defer 4.2.1 mailbox is being moved, try again later";
		return -1;
	}
	/* Moved away (tern-user move): tern-qmgr relays the retry. */
	if (r.host.n > 0 && !(r.host.n == 5 && memcmp(r.host.p, "local",
	    5) == 0) && !(r.host.n == strlen(cfg.hostname) &&
	    strncasecmp(r.host.p, cfg.hostname, r.host.n) == 0)) {
		kept_end_uid((uid_t)r.uid);
		*line = "defer 4.2.1 mailbox now lives on another host";
		return -1;
	}
	if (r.uid == 0 || r.uid < cfg.uid_min || r.uid > cfg.uid_max) {
		log_err("account %s: uid %lu outside %llu..%llu",
		    log_esc_s(addr), (unsigned long)r.uid,
		    (unsigned long long)cfg.uid_min,
		    (unsigned long long)cfg.uid_max);
		*line = "defer 4.3.5 account uid refused";
		return -1;
	}
	sbuf_reset(home);
	if (r.home.n == 0 || r.home.p[0] != '/' ||
	    sbuf_cat_n(home, r.home.p, r.home.n) == -1 || sbuf_nul(home) == -1) {
		*line = "defer 4.3.5 account home invalid";
		return -1;
	}
	a->uid = (uid_t)r.uid;
	a->quota = r.quota;
	return 0;
}

/*
 * Maildirs this worker opened, kept open for the next deliveries to the
 * same accounts (the bench's 20 sessions put 400 messages into one): a
 * Maildir opened component by component costs 9 opens and 9 closes under
 * mail_dir, a stat and 3 mkdirs; a kept one, an lstat of its path and a
 * dup.  The lstat must find the same folder (device and inode), still
 * owned by the account: a Maildir removed, moved or replaced since is
 * opened afresh.  The kept descriptors are close-on-exec, and every
 * delivery child closes all but its own (closefrom): none reaches
 * another account's process.
 */
#define MD_CACHE_MAX	KEPT_MAX

struct md_cache {
	int		 fd;		/* -1: slot free */
	uid_t		 uid;
	dev_t		 dev;
	ino_t		 ino;
	uint64_t	 used;
	char		*home;
};

static struct md_cache md_cache[MD_CACHE_MAX];
static uint64_t md_clock;

static void
md_cache_drop(struct md_cache *c)
{
	(void)io_close(&c->fd);
	free(c->home);
	c->home = NULL;
}

/* A descriptor of home's kept Maildir (a new one, for the caller), or -1. */
static int
md_cache_get(const char *home, uid_t uid)
{
	struct stat st;
	size_t i;
	int fd;

	for (i = 0; i < MD_CACHE_MAX; i++) {
		struct md_cache *c = &md_cache[i];

		if (c->fd == -1 || c->uid != uid || strcmp(c->home, home) != 0)
			continue;
		if (lstat(home, &st) == -1 || !S_ISDIR(st.st_mode) ||
		    st.st_dev != c->dev || st.st_ino != c->ino ||
		    (cfg.is_root && st.st_uid != uid) ||
		    (fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
			md_cache_drop(c);
			return -1;
		}
		c->used = ++md_clock;
		return fd;
	}
	return -1;
}

/* Keep a copy of md, the verified Maildir of home (best effort). */
static void
md_cache_put(const char *home, uid_t uid, int md, const struct stat *st)
{
	struct md_cache *c = &md_cache[0];
	size_t i;

	for (i = 0; i < MD_CACHE_MAX; i++) {
		if (md_cache[i].fd == -1) {
			c = &md_cache[i];
			break;
		}
		if (md_cache[i].used < c->used)
			c = &md_cache[i];
	}
	md_cache_drop(c);
	if ((c->home = strdup(home)) == NULL)
		return;
	if ((c->fd = fcntl(md, F_DUPFD_CLOEXEC, 0)) == -1) {
		md_cache_drop(c);
		return;
	}
	c->uid = uid;
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->used = ++md_clock;
}

static int
open_home(const char *home, struct acct *a, const char **line)
{
	struct stat st;

	if ((a->md = md_cache_get(home, a->uid)) != -1)
		return 0;
	if ((a->md = maildir_open_path(home)) == -1 && errno == ENOENT &&
	    maildir_make_home(home, a->uid, cfg.is_root) == 0)
		a->md = maildir_open_path(home);
	if (a->md == -1) {
		log_err_sys("maildir %s", log_esc_s(home));
		*line = "defer 4.3.0 cannot open the mailbox";
		return -1;
	}
	if (fstat(a->md, &st) == -1 || (cfg.is_root && st.st_uid != a->uid)) {
		log_err("maildir %s: not owned by uid %lu", log_esc_s(home),
		    (unsigned long)a->uid);
		(void)io_close(&a->md);
		*line = "defer 4.3.5 mailbox owner mismatch";
		return -1;
	}
	if (maildir_make_owned(a->md, a->uid, cfg.is_root) == -1)
		log_warn_sys("maildir %s: tmp/new/cur", log_esc_s(home));
	else
		md_cache_put(home, a->uid, a->md, &st);
	return 0;
}

/* ---- running tern-local ---- */

/* local_exec = yes: run program_dir/tern-local as the account. */
static void __attribute__((noreturn))
exec_local(const struct acct *a)
{
	static const char *const allow[] = { "TERN_HOME", "TERN_LOG", "TZ",
	    NULL };
	static const char *const extra[] = { "PATH=/usr/bin:/bin", NULL };
	const char *argv[4] = { "tern-local", NULL, NULL, NULL };
	const char *why;
	char **envp;
	int r;

	if (cfg.conf_path != NULL) {
		argv[1] = "-c";
		argv[2] = cfg.conf_path;
	}
	if ((envp = env_build(allow, extra)) == NULL)
		die_sys(EXIT_TEMP, "env_build");
	r = priv_drop(a->uid, (gid_t)a->uid, NULL, &why);
	if (r == -1)
		die_sys(EXIT_TEMP, "priv_drop to %lu: %s", (unsigned long)a->uid,
		    why);
	execve(cfg.local_prog, (char *const *)argv, envp);
	die_sys(EXIT_TEMP, "execve %s", cfg.local_prog);
}

/*
 * The delivery child: descriptors 0 (the message), 1 (the result line)
 * and 3 (the request, read by an exec'd tern-local), the Maildir as the
 * working folder, then either the exec or, by default, what tern-local's
 * main does after reading its request: it drops to the account's uid
 * (priv_drop: groups, gid and uid, real, effective and saved, verified)
 * and runs local_deliver().  lspawn runs as root but holds no secrets;
 * the account map is unmapped before the drop, every descriptor but 0,
 * 1, 2 (and 3) is closed, and a process that changed uid stays
 * undumpable, so the account's own processes cannot trace it.  The
 * configuration (no secret in it) is left in memory: free() would not
 * erase it, and freeing it cost a copied page for each page it touched.
 */
static void __attribute__((noreturn))
child(const struct acct *a, struct lspawn_req *one, int msgfd, int reqfd,
    int outfd)
{
	const char *why;
	int r;

	selfpipe_fini();
	if (fchdir(a->md) == -1)
		die_sys(EXIT_TEMP, "fchdir to the maildir");
	int src[3] = { msgfd, outfd, reqfd }, dst[3] = { 0, 1, RESULT_FD };

	if (io_fd_arrange(src, dst, 3) == -1)
		die_sys(EXIT_TEMP, "dup2");
	if (lseek(0, 0, SEEK_SET) == -1)
		die_sys(EXIT_TEMP, "lseek");
	closelog();	/* its descriptor goes with the others */
	closefrom(RESULT_FD + 1);
	if (cfg.exec_local)
		exec_local(a);
	cdbmap_close(&accounts);
	shared_fini();
	(void)prctl(PR_SET_NAME, "tern-local", 0, 0, 0);
	log_init_env("tern-local", cfg.log_flags);
	r = priv_drop(a->uid, (gid_t)a->uid, NULL, &why);
	if (r == -1)
		die_sys(EXIT_TEMP, "priv_drop to %lu: %s", (unsigned long)a->uid,
		    why);
	priv_san_dumpable();	/* sanitizer builds only: see priv.h */
	local_deliver(one, cfg.bounce_over);
}

/*
 * Wait for pid until the deadline; kill it then.  Its status, or -1.
 * A pidfd says when it ends (no polling); without one (an old kernel),
 * waitpid is asked every 10 ms.
 */
static int
reap(pid_t pid, int64_t deadline, int *killed)
{
	int st, fd;
	pid_t r;

	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	for (;;) {
		r = waitpid(pid, &st, WNOHANG);
		if (r == pid) {
			(void)io_close(&fd);
			return st;
		}
		if (r == -1 && errno != EINTR) {
			(void)io_close(&fd);
			return -1;
		}
		if (io_now_ms() >= deadline && !*killed) {
			(void)kill(pid, SIGKILL);	/* reaped next turn */
			*killed = 1;
		}
		if (fd == -1)
			(void)poll(NULL, 0, 10);
		else	/* readable once it has ended */
			(void)io_wait(fd, POLLIN, *killed ? IO_NO_DEADLINE :
			    deadline);
	}
}

/* Read tern-local's result line (one line, bounded) until the deadline. */
static void
read_line(int fd, struct sbuf *line, int64_t deadline)
{
	char buf[256];
	ssize_t n;

	sbuf_reset(line);
	while (io_wait(fd, POLLIN, deadline) == 1) {
		if ((n = io_read(fd, buf, sizeof(buf))) <= 0)
			break;
		if (sbuf_cat_n(line, buf, (size_t)n) == -1)
			break;
	}
	if (line->len > 0 && line->s[line->len - 1] == '\n')
		line->len--;
}

static const char *
judge(int st, int killed, struct sbuf *line)
{
	enum lspawn_status s;
	const char *why;
	size_t off;
	int code;

	if (killed)
		return "defer 4.3.0 local delivery timed out";
	if (st == -1 || !WIFEXITED(st))
		return "defer 4.3.0 local delivery crashed";
	code = WEXITSTATUS(st);
	if (sbuf_nul(line) == -1 || memchr(line->s, '\n', line->len) != NULL ||
	    lspawn_result_parse(line->s, line->len, &s, &off, &why) == -1)
		return code == EXIT_OK ? "defer 4.3.0 local delivery said "
		    "nothing" : "defer 4.3.0 local delivery failed";
	if ((code == EXIT_OK && s == LSPAWN_OK) ||
	    (code == EXIT_PERM && s == LSPAWN_BOUNCE) ||
	    (code == EXIT_TEMP && s == LSPAWN_DEFER))
		return line->s;
	return "defer 4.3.0 local delivery result inconsistent";
}

/* ---- kept delivery children ---- */

static void __attribute__((noreturn))
kept_main(int fd)
{
	struct lspawn_req req;
	struct sbuf line;
	static char buf[KEPT_MSG_MAX];
	const char *why;
	int fds[2], code;
	size_t nfds;
	ssize_t n;

	sbuf_init(&line, LSPAWN_TEXT_MAX + 2);
	for (;;) {
		n = fdpass_recv(fd, buf, sizeof(buf), fds, 2, &nfds, 0);
		if (n == 0)
			exit(EXIT_OK);
		if (n < 0 && errno != EPROTO && errno != EMSGSIZE)
			exit(EXIT_TEMP);
		if (n < 2 || nfds != 2)
			die(EXIT_TEMP, "bad request from tern-lspawn");
		if (dup2(fds[0], 0) == -1 || fchdir(fds[1]) == -1)
			die_sys(EXIT_TEMP, "message or maildir descriptor");
		(void)close(fds[0]);
		(void)close(fds[1]);
		lspawn_req_init(&req);
		if (lspawn_req_decode(buf + 1, (size_t)n - 1, &req, &why) == -1)
			die(EXIT_TEMP, "bad request from tern-lspawn: %s", why);
		code = local_deliver_one(&req, buf[0] != 0, &line);
		lspawn_req_fini(&req);
		buf[0] = (char)code;
		if (line.len > sizeof(buf) - 1)
			line.len = sizeof(buf) - 1;
		memcpy(buf + 1, line.s, line.len);
		if (send(fd, buf, line.len + 1, MSG_NOSIGNAL) == -1)
			exit(EXIT_TEMP);
	}
}

/* Start a kept child for the account a in slot k: 0, or -1. */
static int
kept_spawn(struct kept *k, const struct acct *a)
{
	const char *why;
	int sp[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		(void)close(sp[0]);
		(void)close(sp[1]);
		return -1;
	}
	if (pid == 0) {
		selfpipe_fini();
		/* See worker(): a reload must not cut a delivery short. */
		(void)signal(SIGHUP, SIG_IGN);	/* cannot fail for SIGHUP */
		closelog();
		if (sp[1] != RESULT_FD && (dup2(sp[1], RESULT_FD) == -1 ||
		    close(sp[1]) == -1))
			_exit(EXIT_TEMP);
		closefrom(RESULT_FD + 1);
		cdbmap_close(&accounts);
		shared_fini();
		(void)prctl(PR_SET_NAME, "tern-local", 0, 0, 0);
		log_init_env("tern-local", cfg.log_flags);
		r = priv_drop(a->uid, (gid_t)a->uid, NULL, &why);
		if (r == -1)
			die_sys(EXIT_TEMP, "priv_drop to %lu: %s",
			    (unsigned long)a->uid, why);
		priv_san_dumpable();	/* sanitizer builds only */
		kept_main(RESULT_FD);
	}
	(void)close(sp[1]);
	k->uid = a->uid;
	k->pid = pid;
	k->fd = sp[0];
	return 0;
}

/* End a kept child (idle, or to be given up): close, kill, reap. */
static void
kept_end(struct kept *k)
{
	if (k->fd == -1)
		return;
	(void)io_close(&k->fd);
	(void)kill(k->pid, SIGKILL);
	while (waitpid(k->pid, NULL, 0) == -1 && errno == EINTR)
		continue;
	k->pid = 0;
	k->busy = 0;
}

static void
kept_end_all(void)
{
	size_t i;

	for (i = 0; i < KEPT_MAX; i++)
		kept_end(&kept[i]);
}

/*
 * End the kept child of uid, if any and idle (one busy with an earlier
 * recipient of the same request, another address of that uid, ends when
 * it is stale).
 */
static void
kept_end_uid(uid_t uid)
{
	size_t i;

	for (i = 0; i < KEPT_MAX; i++)
		if (kept[i].fd != -1 && kept[i].uid == uid && !kept[i].busy)
			kept_end(&kept[i]);
}

/*
 * End kept children unused for KEPT_IDLE_MS: a process running as an
 * account that gets no mail serves nothing, and tern-user move waits
 * for the account's processes to end (a busy worker lives long).
 */
static void
kept_end_stale(void)
{
	int64_t now = io_now_ms();
	size_t i;

	for (i = 0; i < KEPT_MAX; i++)
		if (kept[i].fd != -1 && now - kept[i].last_ms > KEPT_IDLE_MS)
			kept_end(&kept[i]);
}

/*
 * The kept child of a's uid, a new one, or NULL.  A child with a delivery
 * in flight is never evicted: kept_can_start() says beforehand whether a
 * place is free.
 */
static struct kept *
kept_get(const struct acct *a, int *fresh)
{
	struct kept *k = NULL;
	size_t i;

	*fresh = 0;
	for (i = 0; i < KEPT_MAX; i++)
		if (kept[i].fd != -1 && kept[i].uid == a->uid) {
			k = &kept[i];
			break;
		}
	if (k == NULL) {
		for (i = 0; i < KEPT_MAX; i++) {
			if (kept[i].busy)
				continue;
			if (k == NULL || kept[i].fd == -1 ||
			    (k->fd != -1 && kept[i].used < k->used))
				k = &kept[i];
		}
		if (k == NULL) {
			errno = EAGAIN;
			return NULL;
		}
		kept_end(k);	/* the free or least recently used slot */
		if (kept_spawn(k, a) == -1)
			return NULL;
		*fresh = 1;
	}
	k->used = ++kept_clock;
	k->last_ms = io_now_ms();
	return k;
}

/*
 * May a delivery to uid start now, beside those in flight?  Not when
 * uid's child is busy (one delivery at a time each) or when every place
 * is taken by a busy child.
 */
static int
kept_can_start(uid_t uid)
{
	size_t i, busy = 0;

	for (i = 0; i < KEPT_MAX; i++) {
		if (kept[i].fd != -1 && kept[i].uid == uid)
			return !kept[i].busy;
		busy += kept[i].busy != 0;
	}
	return busy < KEPT_MAX;
}

static int
kept_send(int fd, const struct sbuf *pkt, int msgfd, int mdfd)
{
	int fds[2] = { msgfd, mdfd };

	return fdpass_send(fd, pkt->s, pkt->len, fds, 2, 0) ==
	    (ssize_t)pkt->len ? 0 : -1;
}

/*
 * Hand a delivery to the account's kept child: the child, busy, or NULL
 * when no child could be started or reached (nothing was delivered).  A
 * kept child that is gone before it took the request (killed while
 * idle, e.g. by tern-user move) is replaced once.
 */
static struct kept *
kept_start(const struct sbuf *pkt, const struct acct *a, int msgfd)
{
	struct kept *k;
	int fresh, try;

	for (try = 0;; try++) {
		if ((k = kept_get(a, &fresh)) == NULL)
			return NULL;
		if (kept_send(k->fd, pkt, msgfd, a->md) == 0)
			break;
		kept_end(k);
		if (fresh || try > 0)
			return NULL;
	}
	k->busy = 1;
	return k;
}

/*
 * The answer of the delivery k runs (started by kept_start), its result
 * line in line and *res, waiting until the deadline; a child that times
 * out or dies mid-delivery is ended.
 */
static void
kept_finish(struct kept *k, int64_t deadline, struct sbuf *line,
    const char **res)
{
	char buf[LSPAWN_TEXT_MAX + 8];
	int st, killed;
	ssize_t n;

	k->busy = 0;
	n = -1;
	if (io_wait(k->fd, POLLIN, deadline) == 1)
		while ((n = recv(k->fd, buf, sizeof(buf), 0)) == -1 &&
		    errno == EINTR)
			continue;
	if (n <= 0) {
		/* Timed out, or ended mid-delivery: the status says which. */
		killed = io_now_ms() >= deadline;
		(void)io_close(&k->fd);
		(void)kill(k->pid, SIGKILL);
		st = -1;
		while (waitpid(k->pid, &st, 0) == -1 && errno == EINTR)
			continue;
		k->pid = 0;
		sbuf_reset(line);
		*res = judge(-1, killed, line);
		return;
	}
	sbuf_reset(line);
	if (sbuf_cat_n(line, buf + 1, (size_t)n - 1) == -1)
		sbuf_reset(line);
	if (line->len > 0 && line->s[line->len - 1] == '\n')
		line->len--;
	/* An exit status as a process that ended with the code would have. */
	*res = judge((buf[0] & 0xff) << 8, 0, line);
}

/* The one-recipient request for recipient i of req into one. */
static int
one_req(const struct lspawn_req *req, size_t i, const struct acct *a,
    const char *linked, struct lspawn_req *one)
{
	if (lspawn_req_set(one, req->qid, NULL, req->sender) == -1 ||
	    lspawn_req_add_rcpt(one, req->rcpt[i].addr,
	    req->rcpt[i].orcpt) == -1 ||
	    (linked != NULL && lspawn_req_set_linked(one, linked) == -1))
		return -1;
	one->quota = a->quota;
	one->has_quota = 1;
	return 0;
}

/* A kept child's packet: the flag byte, then the request. */
static int
kept_packet(const struct lspawn_req *one, struct sbuf *enc)
{
	if (sbuf_cat_c(enc, cfg.bounce_over ? 1 : 0) == -1 ||
	    lspawn_req_encode(one, enc) == -1 || enc->len > KEPT_MSG_MAX)
		return -1;
	return 0;
}

static int
run_local(const struct lspawn_req *req, size_t i, const struct acct *a,
    const char *linked, int msgfd, struct sbuf *line, const char **res)
{
	struct lspawn_req one;
	struct sbuf enc;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, killed = 0, st, rc = -1;
	int64_t deadline;
	pid_t pid;

	lspawn_req_init(&one);
	sbuf_init(&enc, LSPAWN_MSG_MAX);
	*res = "defer 4.3.0 cannot start local delivery";
	if (one_req(req, i, a, linked, &one) == -1)
		goto out;
	if (lspawn_req_encode(&one, &enc) == -1 || enc.len > 65536)
		goto out;
	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(out, O_CLOEXEC) == -1)
		goto out;
	/* A one-recipient request fits in the pipe's buffer. */
	if (io_write_full(in[1], enc.s, enc.len) == -1 || io_close(&in[1]) == -1)
		goto out;
	if ((pid = fork()) == -1)
		goto out;
	if (pid == 0)
		child(a, &one, msgfd, in[0], out[1]);
	(void)io_close(&out[1]);
	deadline = io_deadline_ms((int64_t)cfg.timeout_s * 1000);
	read_line(out[0], line, deadline);
	if (io_now_ms() >= deadline) {
		(void)kill(pid, SIGKILL);
		killed = 1;
	}
	st = reap(pid, deadline, &killed);
	*res = judge(st, killed, line);
	rc = 0;
out:
	if (rc == -1)
		log_err_sys("%s cannot run tern-local", req->qid);
	(void)io_close(&in[0]);
	(void)io_close(&in[1]);
	(void)io_close(&out[0]);
	(void)io_close(&out[1]);
	lspawn_req_fini(&one);
	sbuf_fini(&enc);
	return rc;
}

/* ---- one request (a worker process) ---- */

/* Open the queued message: under queue_dir, no symlink below it. */
static int
open_message(const char *path)
{
	size_t qlen = strlen(cfg.queue_dir);
	const char *p, *slash;
	char comp[MAILDIR_NAME_MAX + 1];
	struct stat st;
	size_t n;
	int dir, fd;

	if (strncmp(path, cfg.queue_dir, qlen) != 0 || path[qlen] != '/') {
		errno = EPERM;
		return -1;
	}
	if ((dir = open(cfg.queue_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC))
	    == -1)
		return -1;
	for (p = path + qlen + 1;; p = slash + 1) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 0 || n > MAILDIR_NAME_MAX || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.')) {
			(void)io_close(&dir);
			errno = EPERM;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		if (slash == NULL)
			break;
		fd = maildir_open_sub(dir, comp);
		(void)io_close(&dir);
		if ((dir = fd) == -1)
			return -1;
	}
	fd = openat(dir, comp, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	(void)io_close(&dir);
	if (fd != -1 && (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))) {
		(void)io_close(&fd);
		errno = EPERM;
	}
	return fd;
}

struct sis {
	int		 dirfd;		/* -1: no shared copy */
	char		 name[SIS_NAME_LEN + 1];
};

static void
sis_prepare(const struct lspawn_req *req, int msgfd, struct sis *s)
{
	struct stat st;
	uint64_t size;

	s->dirfd = -1;
	if (req->nrcpt < 2 || fstat(msgfd, &st) == -1 ||
	    (uint64_t)st.st_size < cfg.sis_min)
		return;
	if (sis_store(cfg.sis_dir, req->sender, msgfd, &s->dirfd, s->name,
	    &size) == -1) {
		log_warn_sys("%s single-instance store failed; one copy each",
		    req->qid);
		s->dirfd = -1;
		return;
	}
	log_info("%s sis file=%s size=%llu rcpts=%zu", req->qid, s->name,
	    (unsigned long long)size, req->nrcpt);
}

/*
 * Recipient i's account and Maildir (a->md open), and its single-instance
 * link into tmpname when the message is stored once (*linked_r then
 * names it; NULL: an own copy).  -1 with *res_r the result when the
 * account cannot be looked up or its Maildir opened.
 */
static int
rcpt_home(const struct lspawn_req *req, size_t i, const struct sis *s,
    struct acct *a, struct sbuf *home, struct sbuf *tmpname,
    const char **linked_r, const char **res_r)
{
	*linked_r = NULL;
	if (lookup(req->rcpt[i].addr, a, home, res_r) == -1 ||
	    open_home(home->s, a, res_r) == -1)
		return -1;
	if (s->dirfd != -1) {
		if (sis_link(s->dirfd, s->name, a->md, cfg.is_root ? a->uid :
		    geteuid(), tmpname) == 0)
			*linked_r = tmpname->s;
		else
			log_warn_sys("%s sis link for %s; own copy", req->qid,
			    log_esc_s(req->rcpt[i].addr));
	}
	return 0;
}

static const char *
one_rcpt(const struct lspawn_req *req, size_t i, int msgfd,
    const struct sis *s, struct sbuf *line)
{
	struct sbuf home, tmpname;
	struct acct a;
	const char *res, *linked = NULL;

	sbuf_init(&home, MAPS_PATH_MAX + 1);
	sbuf_init(&tmpname, MAILDIR_NAME_MAX);
	a.md = -1;
	if (rcpt_home(req, i, s, &a, &home, &tmpname, &linked, &res) == -1)
		goto out;
	(void)run_local(req, i, &a, linked, msgfd, line, &res);
out:
	(void)io_close(&a.md);
	sbuf_fini(&home);
	sbuf_fini(&tmpname);
	return res;
}

/*
 * The recipients of one request through the kept children, several at
 * once: a delivery is handed to its account's child and the next one
 * started before the answer comes, up to KEPT_MAX in flight, one per
 * account (kept_can_start; otherwise those in flight are answered
 * first).  Their fsyncs (the file, then new/) overlap, where one after
 * the other each recipient waited for two disk writes.  Each child in
 * flight reads the message through a descriptor of its own (an offset
 * of its own).  The results are set in the request's order, and the
 * reply (reply()) goes only when every delivery has answered.
 */
struct flight {
	struct kept	*k;
	size_t		 rcpt;
	int64_t		 deadline;
};

static void
land_all(struct flight *f, size_t *nf, char **resv, struct sbuf *line)
{
	const char *res;
	size_t i;

	for (i = 0; i < *nf; i++) {
		kept_finish(f[i].k, f[i].deadline, line, &res);
		if ((resv[f[i].rcpt] = mem_strdup(res)) == NULL)
			die(EXIT_TEMP, "out of memory");
	}
	*nf = 0;
}

/* Start recipient i (the result now in *res when it could not start). */
static void
take_off(const struct lspawn_req *req, size_t i, int msgfd,
    const struct sis *s, struct flight *f, size_t *nf, char **resv,
    struct sbuf *line)
{
	struct lspawn_req one;
	struct sbuf home, tmpname, enc;
	struct acct a;
	const char *res = "defer 4.3.0 cannot start local delivery",
	    *linked = NULL;
	struct kept *k;
	int fd = -1;

	lspawn_req_init(&one);
	sbuf_init(&home, MAPS_PATH_MAX + 1);
	sbuf_init(&tmpname, MAILDIR_NAME_MAX);
	sbuf_init(&enc, KEPT_MSG_MAX + 1);
	a.md = -1;
	if (rcpt_home(req, i, s, &a, &home, &tmpname, &linked, &res) == -1)
		goto out;
	if (one_req(req, i, &a, linked, &one) == -1 ||
	    kept_packet(&one, &enc) == -1) {
		log_err_sys("%s cannot run tern-local", req->qid);
		goto out;
	}
	if (!kept_can_start(a.uid))
		land_all(f, nf, resv, line);
	/* The first in flight reads msgfd; the others their own. */
	if (*nf > 0 && linked == NULL && (fd = open_message(req->path)) == -1)
		land_all(f, nf, resv, line);
	if ((k = kept_start(&enc, &a, fd == -1 ? msgfd : fd)) == NULL) {
		log_err_sys("%s cannot run tern-local", req->qid);
		goto out;
	}
	f[*nf].k = k;
	f[*nf].rcpt = i;
	f[*nf].deadline = io_deadline_ms((int64_t)cfg.timeout_s * 1000);
	(*nf)++;
	res = NULL;
out:
	if (res != NULL && (resv[i] = mem_strdup(res)) == NULL)
		die(EXIT_TEMP, "out of memory");
	(void)io_close(&fd);
	(void)io_close(&a.md);
	lspawn_req_fini(&one);
	sbuf_fini(&home);
	sbuf_fini(&tmpname);
	sbuf_fini(&enc);
}

static void
deliver_kept(const struct lspawn_req *req, int msgfd, const struct sis *s,
    struct lspawn_results *rs, struct sbuf *line)
{
	struct flight f[KEPT_MAX];
	char **resv;
	size_t i, nf = 0;

	if ((resv = mem_alloc(req->nrcpt, sizeof(*resv))) == NULL)
		die(EXIT_TEMP, "out of memory");
	for (i = 0; i < req->nrcpt; i++)
		resv[i] = NULL;
	for (i = 0; i < req->nrcpt; i++)
		take_off(req, i, msgfd, s, f, &nf, resv, line);
	land_all(f, &nf, resv, line);
	for (i = 0; i < req->nrcpt; i++) {
		if (set_result(rs, req->rcpt[i].addr, resv[i]) == -1)
			die(EXIT_TEMP, "out of memory");
		free(resv[i]);
	}
	free(resv);
}

static void
reply(int fd, const struct lspawn_results *rs)
{
	struct sbuf out;

	sbuf_init(&out, LSPAWN_MSG_MAX);
	if (lspawn_results_encode(rs, &out) == -1)
		log_err_sys("encode results");
	else if (io_write_full(fd, out.s, out.len) == -1)
		log_warn_sys("reply to tern-qmgr");
	sbuf_fini(&out);
}

/*
 * One request on fd: 1 answered, 0 the client closed before a request
 * (end of file at a request's start), -1 an error (logged).
 */
static int
serve(int fd, struct sbuf *buf, struct sbuf *line)
{
	struct lspawn_req req;
	struct lspawn_results rs;
	struct sis s = { -1, "" };
	const char *why, *res;
	size_t i;
	int msgfd = -1, rc = -1;

	lspawn_req_init(&req);
	lspawn_results_init(&rs);
	reread_local_conf();
	if (lspawn_read_records(fd, buf, LSPAWN_MSG_MAX,
	    io_deadline_ms(REQ_TIMEOUT_MS)) == -1) {
		if (buf->len == 0 && errno == EPROTO)
			rc = 0;
		else
			log_err_sys("reading a request");
		goto out;
	}
	if (lspawn_req_decode(buf->s, buf->len, &req, &why) == -1) {
		log_err("bad request: %s", why);
		goto out;
	}
	if (req.path == NULL || req.linked != NULL || req.has_quota) {
		log_err("%s bad request: path missing, or L/U records",
		    req.qid);
		goto out;
	}
	if ((msgfd = open_message(req.path)) == -1)
		log_err_sys("%s message %s refused", req.qid,
		    log_esc_s(req.path));
	else
		sis_prepare(&req, msgfd, &s);
	if (msgfd != -1 && !cfg.exec_local) {
		deliver_kept(&req, msgfd, &s, &rs, line);
	} else {
		for (i = 0; i < req.nrcpt; i++) {
			res = msgfd == -1 ? "defer 4.3.0 queued message "
			    "unreadable" : one_rcpt(&req, i, msgfd, &s, line);
			if (set_result(&rs, req.rcpt[i].addr, res) == -1)
				die(EXIT_TEMP, "out of memory");
		}
	}
	reply(fd, &rs);
	kept_end_stale();
	rc = 1;
	/* The shared copy stays: a later delivery of the same content may
	 * reuse it; unreferenced copies are removed by a cleaner. */
out:
	(void)io_close(&s.dirfd);
	(void)io_close(&msgfd);
	lspawn_req_fini(&req);
	lspawn_results_fini(&rs);
	return rc;
}

/* Is a client waiting in the listen queue (every slot taken)? */
static int
client_waiting(int lfd)
{
	struct pollfd p;

	p.fd = lfd;
	p.events = POLLIN;
	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0;
}

/* Must this worker give its place to a waiting client? */
static int
must_yield(int lfd)
{
	return client_waiting(lfd) && (shared_nworkers == NULL ||
	    __atomic_load_n(shared_nworkers, __ATOMIC_RELAXED) >=
	    cfg.concurrency);
}

static void __attribute__((noreturn))
worker(int fd, int lfd)
{
	struct sbuf buf, line;
	pid_t parent = getppid();
	unsigned n;
	int r;

	sbuf_init(&buf, LSPAWN_MSG_MAX);
	sbuf_init(&line, LSPAWN_TEXT_MAX + 2);
	for (n = 0; n < WORKER_REQS; n++) {
		if (n > 0 && (getppid() != parent || must_yield(lfd) ||
		    io_wait(fd, POLLIN, io_deadline_ms(WORKER_IDLE_MS)) != 1 ||
		    getppid() != parent))
			break;
		if ((r = serve(fd, &buf, &line)) <= 0) {
			if (r < 0 || n == 0) {
				kept_end_all();
				exit(EXIT_TEMP);
			}
			break;
		}
	}
	kept_end_all();
	sbuf_fini(&buf);
	sbuf_fini(&line);
	exit(EXIT_OK);
}

/* ---- the accept loop ---- */

static int
peer_ok(int fd)
{
	struct ucred uc;
	socklen_t len = sizeof(uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == -1)
		return 0;
	if (uc.uid == cfg.peer_uid || uc.uid == 0)
		return 1;
	log_warn("connection from uid %lu refused", (unsigned long)uc.uid);
	return 0;
}

static void
accept_one(int lfd, int listen_fd, uint64_t *nworkers)
{
	pid_t pid;
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			log_warn_sys("accept");
		return;
	}
	if (!peer_ok(fd)) {
		(void)io_close(&fd);
		return;
	}
	if ((pid = fork()) == -1) {
		log_warn_sys("fork");
		(void)io_close(&fd);
		return;
	}
	if (pid == 0) {
		size_t i;

		selfpipe_fini();
		/*
		 * tern-supervise's reload SIGHUP goes to the whole process
		 * group; the maps reload themselves.  A worker or a kept
		 * delivery child killed by it between the Maildir link and
		 * the report made tern-qmgr deliver the message twice.
		 */
		(void)signal(SIGHUP, SIG_IGN);	/* cannot fail for SIGHUP */
		for (i = 0; i < KEPT_MAX; i++)
			kept[i].fd = -1;
		for (i = 0; i < MD_CACHE_MAX; i++)
			md_cache[i].fd = -1;
		worker(fd, listen_fd);
	}
	(*nworkers)++;
	if (shared_nworkers != NULL)
		__atomic_store_n(shared_nworkers, *nworkers, __ATOMIC_RELAXED);
	(void)io_close(&fd);
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-lspawn [-d] [-c tern.conf]");
}

int
main(int argc, char **argv)
{
	static const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGHUP };
	struct pollfd pfd[2];
	uint64_t nworkers = 0;
	int ch, flags = 0, lfd;

	while ((ch = getopt(argc, argv, "c:d")) != -1) {
		switch (ch) {
		case 'c':
			cfg.conf_path = optarg;
			break;
		case 'd':
			flags |= LOG_STDERR;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init_env("tern-lspawn", flags);
	cfg.log_flags = flags;
	if (proc_init(NULL, 0, 0) == -1)
		die_sys(EXIT_TEMP, "proc_init");
	cfg.is_root = priv_is_root();
	if (!cfg.is_root)
		log_info("not root: deliveries run as uid %lu, no privilege "
		    "steps", (unsigned long)geteuid());
	read_conf();
	if ((accounts = cdbmap_open(cfg.accounts, CDBMAP_MISSING_OK)) == NULL)
		die_sys(EXIT_TEMP, "open %s", cfg.accounts);
	if (selfpipe_init(sigs, sizeof(sigs) / sizeof(sigs[0])) == -1)
		die_sys(EXIT_TEMP, "selfpipe");
	lfd = listen_sock();
	if ((shared_nworkers = mmap(NULL, sizeof(*shared_nworkers),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) ==
	    MAP_FAILED)
		shared_nworkers = NULL;	/* workers yield on any wait */
	log_info("listening socket=%s concurrency=%llu", cfg.sock,
	    (unsigned long long)cfg.concurrency);
	for (;;) {
		pfd[0].fd = selfpipe_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = nworkers < cfg.concurrency ? lfd : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1 && errno != EINTR)
			die_sys(EXIT_TEMP, "poll");
		selfpipe_drain();
		if (selfpipe_caught(SIGTERM) || selfpipe_caught(SIGINT)) {
			(void)unlink(cfg.sock);
			log_info("stopping");
			exit(EXIT_OK);
		}
		(void)selfpipe_caught(SIGHUP);	/* maps reload themselves */
		if (selfpipe_caught(SIGCHLD))
			while (waitpid(-1, NULL, WNOHANG) > 0)
				if (nworkers > 0)
					nworkers--;
		if (shared_nworkers != NULL)
			__atomic_store_n(shared_nworkers, nworkers,
			    __ATOMIC_RELAXED);
		if (pfd[1].fd != -1 && (pfd[1].revents & POLLIN))
			accept_one(lfd, lfd, &nworkers);
	}
}
