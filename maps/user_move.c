/*
 * user_move.c - tern-user move and tern-user receive: an account's Maildir
 * to another storage host, without losing or duplicating mail that arrives
 * meanwhile (doc/move.md).
 *
 *   move ADDRESS HOST [--route NEXTHOP]   on the account's storage host
 *   receive ADDRESS                      on HOST, run by move_command
 *
 * move: status=moving (recompile, publish) so that deliveries are deferred
 * (4.2.1) and logins answered with a temporary error; wait until the
 * readers have seen it and no process runs as the account (its IMAP/POP3
 * workers are asked to end); stream the Maildir (lib/mvstream) into
 * move_command; then host=HOST, status=active and the route (recompile,
 * publish); the old Maildir is renamed NAME.moved.  Any failure before the
 * switch puts status=active back: the account stays where it was.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/mvstream.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "maps/user.h"

#define MOVE_ARGS_MAX	32	/* words of move_command */
#define MOVE_WORD_MAX	1024	/* one expanded word */
#define MOVE_GRACE_MS	2500	/* > CDBMAP_CHECK_MS: readers saw the map */
#define ROUTES_FILE_MAX	((size_t)1 << 30)
#define ROUTES_MODE	0644
#define PROC_STATUS_MAX	8192
#define ACCT_LINE_MAX	MAPS_LINE_MAX

static const char *const env_allow[] = { "PATH", "HOME", "USER", "LOGNAME",
    "SSH_AUTH_SOCK", "TERN_HOME", "TERN_LOG", "LANG", NULL };

/* --- the accounts line and the routes file ----------------------------- */

/* The account line with key=val set (replaced, or appended). */
static void
line_with(const char *line, size_t len, const char *key, const char *val,
    struct sbuf *out)
{
	size_t i = 0, j, klen = strlen(key);
	int done = 0;

	sbuf_reset(out);
	while (i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		for (j = i; j < len && line[j] != ' ' && line[j] != '\t'; j++)
			;
		if (j == i)
			break;
		if (out->len > 0 && sbuf_cat_c(out, ' ') < 0)
			die_sys(EXIT_TEMP, "out of memory");
		if (j - i > klen && memcmp(line + i, key, klen) == 0 &&
		    line[i + klen] == '=' && !done) {
			if (sbuf_printf(out, "%s=%s", key, val) < 0)
				die_sys(EXIT_TEMP, "out of memory");
			done = 1;
		} else if (sbuf_cat_n(out, line + i, j - i) < 0)
			die_sys(EXIT_TEMP, "out of memory");
		i = j;
	}
	if (!done && sbuf_printf(out, " %s=%s", key, val) < 0)
		die_sys(EXIT_TEMP, "out of memory");
}

/* Rewrite the account's line with status (and host, when not NULL). */
static void
set_account(struct user *u, const char *status, const char *host)
{
	struct maps_account a;
	struct sbuf next, l1, l2;
	size_t start, end, len;

	if (!find_account(u, &a, &start, &end))
		die(EXIT_PERM, "no such account: %s", log_esc_s(u->addr));
	len = end - start;
	if (len > 0 && u->text.s[end - 1] == '\n')
		len--;
	sbuf_init(&l1, ACCT_LINE_MAX);
	sbuf_init(&l2, ACCT_LINE_MAX);
	sbuf_init(&next, u->text.len + ACCT_LINE_MAX);
	line_with(u->text.s + start, len, "status", status, &l1);
	if (host != NULL)
		line_with(l1.s, l1.len, "host", host, &l2);
	if (sbuf_cat_n(&next, u->text.s, start) < 0 ||
	    sbuf_cat_sbuf(&next, host != NULL ? &l2 : &l1) < 0 ||
	    sbuf_cat_c(&next, '\n') < 0 ||
	    sbuf_cat_n(&next, u->text.s + end, u->text.len - end) < 0 ||
	    sbuf_nul(&next) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	commit(u, &next);
	if (sbuf_set_n(&u->text, next.s, next.len) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	sbuf_fini(&l1);
	sbuf_fini(&l2);
	sbuf_fini(&next);
}

/*
 * The routes file without the address's own line (into out), and whether
 * it had one.
 */
static int
routes_without(struct user *u, struct sbuf *path, struct sbuf *out)
{
	struct maps_nexthop hop;
	struct maps_slice key, text;
	struct sbuf t;
	const char *line, *nl, *why;
	size_t pos = 0, len, i;
	int had = 0, r;

	sbuf_init(&t, ROUTES_FILE_MAX);
	if (sbuf_printf(path, "%s/routes", u->o.src_dir) < 0 ||
	    sbuf_nul(path) < 0)
		die(EXIT_PERM, "path too long");
	if (io_read_file(path->s, &t, ROUTES_FILE_MAX) < 0 && errno != ENOENT)
		die_sys(EXIT_TEMP, "cannot read %s", log_esc_s(path->s));
	while (pos < t.len) {
		line = t.s + pos;
		nl = memchr(line, '\n', t.len - pos);
		len = nl ? (size_t)(nl - line) : t.len - pos;
		pos += len + (nl != NULL);
		r = maps_parse_route(line, len, &key, &hop, &text, &why);
		if (r == 1 && key.n == u->key.len) {
			for (i = 0; i < key.n; i++)
				if ((key.p[i] | 0x20) != (u->key.s[i] | 0x20))
					break;
			if (i == key.n) {
				had = 1;
				continue;
			}
		}
		if (sbuf_cat_n(out, line, len) < 0 || sbuf_cat_c(out, '\n') < 0)
			die_sys(EXIT_TEMP, "out of memory");
	}
	sbuf_fini(&t);
	return had;
}

/* Point the address's route at nexthop (before the accounts commit). */
static void
set_route(struct user *u, const char *nexthop)
{
	struct sbuf path, next;

	sbuf_init(&path, MAPS_PATH_MAX * 2);
	sbuf_init(&next, ROUTES_FILE_MAX);
	(void)routes_without(u, &path, &next);
	if (sbuf_printf(&next, "%s %s\n", u->addr, nexthop) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	if (durable_write_file_atomic(path.s, next.s, next.len,
	    ROUTES_MODE) < 0)
		die_sys(EXIT_TEMP, "cannot write %s", log_esc_s(path.s));
	sbuf_fini(&path);
	sbuf_fini(&next);
}

/* --- commands without a shell -------------------------------------------- */

/* One word of a command template with %h, %a and %% replaced. */
static int
expand(const char *w, size_t n, const char *host, const char *addr,
    struct sbuf *out)
{
	size_t i;

	sbuf_reset(out);
	for (i = 0; i < n; i++) {
		if (w[i] != '%') {
			if (sbuf_cat_c(out, w[i]) < 0)
				return -1;
			continue;
		}
		if (++i == n)
			return (errno = EINVAL, -1);
		if (w[i] == 'h' ? sbuf_cat_s(out, host) < 0 :
		    w[i] == 'a' ? sbuf_cat_s(out, addr) < 0 :
		    w[i] == '%' ? sbuf_cat_c(out, '%') < 0 :
		    (errno = EINVAL, 1))
			return -1;
	}
	return sbuf_nul(out);
}

/*
 * Start the command of conf key (words split at blanks, the first an
 * absolute path) with stdin from in_fd (or /dev/null when -1): its pid.
 */
static pid_t
start(struct user *u, const char *key, const char *host, int in_fd)
{
	struct sbuf words[MOVE_ARGS_MAX];
	char *argv[MOVE_ARGS_MAX + 1], **envp;
	const char *t = conf_str(u->cf, key), *p;
	size_t n = 0, i, len;
	pid_t pid;

	if (t == NULL)
		die(EXIT_PERM, "%s: cannot expand", key);
	for (p = t; *p != '\0'; p += len) {
		p += strspn(p, " \t");
		if ((len = strcspn(p, " \t")) == 0)
			break;
		if (n == MOVE_ARGS_MAX)
			die(EXIT_PERM, "%s: too many words", key);
		sbuf_init(&words[n], MOVE_WORD_MAX);
		if (expand(p, len, host, u->addr, &words[n]) < 0)
			die(EXIT_PERM, "%s: a bad %% or a word too long", key);
		argv[n] = words[n].s;
		n++;
	}
	argv[n] = NULL;
	if (n == 0 || argv[0][0] != '/')
		die(EXIT_PERM, "%s: the program must be an absolute path", key);
	if ((envp = env_build(env_allow, NULL)) == NULL)
		die_sys(EXIT_TEMP, "environment");
	if ((pid = fork()) < 0)
		die_sys(EXIT_TEMP, "fork");
	if (pid == 0) {
		if (in_fd < 0)
			in_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (in_fd < 0 || dup2(in_fd, 0) < 0)
			_exit(111);
		closefrom(3);
		(void)signal(SIGPIPE, SIG_DFL);
		execve(argv[0], argv, envp);
		_exit(111);
	}
	env_free(&envp);
	for (i = 0; i < n; i++)
		sbuf_fini(&words[i]);
	return pid;
}

/* Wait for pid: 0 when it exited 0, else -1 (logged). */
static int
finish(pid_t pid, const char *what)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			log_err_sys("waitpid %s", what);
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		log_err("%s exited %d", what, WEXITSTATUS(status));
	else
		log_err("%s killed by signal %d", what,
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}

/* maps_publish_command, when set: 0, or -1. */
static int
publish(struct user *u, const char *host)
{
	const char *t = conf_str(u->cf, "maps_publish_command");

	if (t == NULL || t[strspn(t, " \t")] == '\0')
		return 0;
	return finish(start(u, "maps_publish_command", host, -1),
	    "maps_publish_command");
}

/* --- waiting for the account's processes --------------------------------- */

/* Does /proc/PID run as uid (real or effective)?  1, 0. */
static int
runs_as(const char *pid, uid_t uid, char *comm, size_t csize)
{
	struct sbuf s;
	char path[300];
	const char *p;
	uint64_t r, e;
	int is = 0;

	comm[0] = '\0';
	sbuf_init(&s, PROC_STATUS_MAX);
	(void)snprintf(path, sizeof path, "/proc/%s/status", pid);
	if (io_read_file(path, &s, PROC_STATUS_MAX) == 0 && sbuf_nul(&s) == 0 &&
	    (p = strstr(s.s, "\nUid:\t")) != NULL) {
		p += 6;
		if (scan_u64_n(p, strcspn(p, "\t"), &r) == 0) {
			p += strcspn(p, "\t") + 1;
			if (scan_u64_n(p, strcspn(p, "\t"), &e) == 0)
				is = r == uid || e == uid;
		}
	}
	if (is && (p = strstr(s.s, "Name:\t")) == s.s) {
		p += 6;
		(void)snprintf(comm, csize, "%.*s", (int)strcspn(p, "\n"), p);
	}
	sbuf_fini(&s);
	return is;
}

/* Processes running as uid now; its IMAP/POP3 workers get SIGTERM. */
static int
count_uid(uid_t uid)
{
	struct dirent *de;
	char comm[32];
	uint64_t pid;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (scan_u64_s(de->d_name, &pid) < 0 ||
		    !runs_as(de->d_name, uid, comm, sizeof comm))
			continue;
		n++;
		if (strncmp(comm, "tern-imapd", 10) == 0 ||
		    strncmp(comm, "tern-pop3d", 10) == 0) {
			log_info("ending session pid=%llu (%s) of uid %lu",
			    (unsigned long long)pid, comm, (unsigned long)uid);
			(void)kill((pid_t)pid, SIGTERM);	/* may be gone */
		}
	}
	(void)closedir(d);	/* read-only */
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Once every reader has seen status=moving, wait until nothing runs as
 * the account (deliveries finish, sessions are ended): 0, or -1 (timeout).
 */
static int
quiesce(struct user *u, uid_t uid)
{
	uint64_t limit_s;
	int64_t deadline;
	int n, quiet = 0;

	sleep_ms(MOVE_GRACE_MS);
	if (geteuid() != 0) {
		log_info("not running as root: every account shares this uid, "
		    "so running sessions are not waited for");
		return 0;
	}
	if (conf_duration(u->cf, "move_quiesce_timeout", &limit_s) < 0)
		limit_s = 60;
	deadline = io_now_ms() + (int64_t)limit_s * 1000;
	while (io_now_ms() < deadline) {
		if ((n = count_uid(uid)) < 0)
			return -1;
		if (n == 0 && ++quiet == 2)
			return 0;
		if (n > 0)
			quiet = 0;
		sleep_ms(200);
	}
	return -1;
}

/* --- move ---------------------------------------------------------------- */

int
user_is_here(struct user *u, const struct maps_account *a)
{
	char h[256];

	if (a->host.n == 0 || (a->host.n == 5 && memcmp(a->host.p, "local",
	    5) == 0))
		return 1;
	if (conf_hostname(u->cf, h, sizeof h) < 0)
		return 0;
	return strlen(h) == a->host.n && strncasecmp(h, a->host.p,
	    a->host.n) == 0;
}

/* Put status=active back: the move did not happen. */
static void __attribute__((noreturn))
roll_back(struct user *u, const char *host, const char *why)
{
	set_account(u, "active", NULL);
	(void)publish(u, host);
	die(EXIT_TEMP, "%s: %s stays where it was", why, log_esc_s(u->addr));
}

/* Stream the Maildir into move_command: 0, or -1 (logged). */
static int
send_maildir(struct user *u, const char *home, const char *host,
    struct mvstream_stats *st)
{
	int pfd[2], dfd, r;
	pid_t pid;

	if ((dfd = open(home, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0) {
		log_err_sys("cannot open %s", log_esc_s(home));
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		(void)close(dfd);
		log_err_sys("pipe");
		return -1;
	}
	(void)signal(SIGPIPE, SIG_IGN);
	pid = start(u, "move_command", host, pfd[0]);
	(void)close(pfd[0]);	/* the child's now */
	r = mvstream_send(dfd, pfd[1], st);
	if (r < 0)
		log_err_sys("sending %s", log_esc_s(home));
	if (close(pfd[1]) < 0 && r == 0) {
		log_err_sys("sending %s", log_esc_s(home));
		r = -1;
	}
	(void)close(dfd);	/* read-only */
	if (finish(pid, "move_command") < 0)
		r = -1;
	return r;
}

/* The Maildir renamed NAME.moved (NAME.moved.N when taken). */
static void
retire(const char *home)
{
	struct sbuf to;
	struct stat st;
	size_t n = strlen(home);
	unsigned i;

	while (n > 1 && home[n - 1] == '/')
		n--;
	sbuf_init(&to, MAPS_PATH_MAX * 2);
	for (i = 0; i < 100; i++) {
		sbuf_reset(&to);
		if ((i == 0 ? sbuf_printf(&to, "%.*s.moved", (int)n, home) :
		    sbuf_printf(&to, "%.*s.moved.%u", (int)n, home, i)) < 0)
			die(EXIT_PERM, "path too long");
		if (lstat(to.s, &st) < 0 && errno == ENOENT)
			break;
	}
	if (durable_rename_sync(home, to.s) < 0)
		log_warn_sys("the old Maildir stays at %s", log_esc_s(home));
	else
		printf("the old Maildir is now %s (remove it when you like)\n",
		    to.s);
	sbuf_fini(&to);
}

int
user_cmd_move(struct user *u, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "route", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct mvstream_stats st;
	struct maps_account a;
	struct maps_nexthop hop;
	struct sbuf home, rpath, rtext;
	const char *route = NULL, *host, *why;
	size_t start_, end;
	uid_t uid;
	int ch;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == 'r')
			route = optarg;
		else
			usage();
	}
	if (optind != argc - 2)
		usage();
	user_set_addr(u, argv[optind]);
	host = argv[optind + 1];
	if (!maps_domain_valid(host, strlen(host)))
		die(EXIT_PERM, "not a host name: %s", log_esc_s(host));
	if (route != NULL && maps_nexthop_parse(route, strlen(route), &hop,
	    &why) < 0)
		die(EXIT_PERM, "--route: %s", why);
	user_lock_read(u);
	if (!find_account(u, &a, &start_, &end))
		die(EXIT_PERM, "no such account: %s", log_esc_s(u->addr));
	if (a.status != MAPS_ACTIVE)
		die(EXIT_PERM, "%s is %s, not active", log_esc_s(u->addr),
		    maps_status_name(a.status));
	if (!user_is_here(u, &a))
		die(EXIT_PERM, "%s lives on %.*s, not on this host: run the "
		    "move there", log_esc_s(u->addr), (int)a.host.n, a.host.p);
	if (a.host.n == strlen(host) && strncasecmp(a.host.p, host,
	    a.host.n) == 0)
		die(EXIT_PERM, "%s is on %s already", log_esc_s(u->addr), host);
	sbuf_init(&rpath, MAPS_PATH_MAX * 2);
	sbuf_init(&rtext, ROUTES_FILE_MAX);
	if (routes_without(u, &rpath, &rtext) && route == NULL)
		die(EXIT_PERM, "routes has a line for %s: give the new next "
		    "hop with --route", log_esc_s(u->addr));
	sbuf_fini(&rtext);
	sbuf_fini(&rpath);
	sbuf_init(&home, MAPS_PATH_MAX * 2);
	home_of(u, &a, &home);
	uid = (uid_t)a.uid;

	set_account(u, "moving", NULL);
	log_info("move %s to %s: deliveries and logins held", u->addr, host);
	if (publish(u, host) < 0)
		roll_back(u, host, "maps_publish_command failed");
	if (quiesce(u, uid) < 0)
		roll_back(u, host, "its sessions or deliveries did not end "
		    "within move_quiesce_timeout");
	if (send_maildir(u, home.s, host, &st) < 0)
		roll_back(u, host, "the copy failed");
	log_info("move %s: copied files=%llu folders=%llu bytes=%llu",
	    u->addr, (unsigned long long)st.files,
	    (unsigned long long)st.dirs, (unsigned long long)st.bytes);

	if (route != NULL)
		set_route(u, route);
	set_account(u, "active", host);
	log_info("move %s: now on %s%s%s", u->addr, host,
	    route ? " route=" : "", route ? route : "");
	if (publish(u, host) < 0)
		die(EXIT_TEMP, "%s is switched to %s here, but "
		    "maps_publish_command failed: publish the maps by hand",
		    log_esc_s(u->addr), host);
	retire(home.s);
	printf("moved %s to %s: %llu files, %llu bytes\n", u->addr, host,
	    (unsigned long long)st.files, (unsigned long long)st.bytes);
	sbuf_fini(&home);
	if (fflush(stdout) != 0)
		die_sys(EXIT_TEMP, "cannot write");
	return EXIT_OK;
}

/* --- receive ------------------------------------------------------------- */

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 ? -1 : 0;
}

static void
rm_tree(const char *dir)
{
	struct stat st;

	if (lstat(dir, &st) < 0 && errno == ENOENT)
		return;
	if (nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) < 0)
		die_sys(EXIT_TEMP, "cannot remove %s", log_esc_s(dir));
}

/* Does dir hold anything but empty cur/ new/ tmp/?  1, 0 (or missing). */
static int
has_mail(const char *dir)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 0;
		die_sys(EXIT_TEMP, "cannot read %s", log_esc_s(dir));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, "cur") != 0 &&
		    strcmp(de->d_name, "new") != 0 &&
		    strcmp(de->d_name, "tmp") != 0) {
			n++;
			continue;
		}
		if (dirfd(d) >= 0) {
			int sfd = openat(dirfd(d), de->d_name, O_RDONLY |
			    O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			DIR *sd = sfd >= 0 ? fdopendir(sfd) : NULL;
			struct dirent *se;

			if (sd == NULL) {
				if (sfd >= 0)
					(void)close(sfd);
				n++;
				continue;
			}
			while ((se = readdir(sd)) != NULL)
				if (strcmp(se->d_name, ".") != 0 &&
				    strcmp(se->d_name, "..") != 0)
					n++;
			(void)closedir(sd);	/* read-only */
		}
	}
	(void)closedir(d);	/* read-only */
	return n > 0;
}

/* The account's record from this host's accounts.cdb. */
static void
lookup(struct user *u, struct maps_record *rec, struct sbuf *home)
{
	struct cdbmap *m;
	struct sbuf path;
	const void *v;
	const char *why;
	size_t vlen;
	int r;

	sbuf_init(&path, MAPS_PATH_MAX * 2);
	if (sbuf_printf(&path, "%s/accounts.cdb", u->o.out_dir) < 0 ||
	    sbuf_nul(&path) < 0)
		die(EXIT_PERM, "path too long");
	if ((m = cdbmap_open(path.s, 0)) == NULL)
		die_sys(EXIT_TEMP, "cannot open %s", log_esc_s(path.s));
	r = cdbmap_lookup(m, u->key.s, u->key.len, &v, &vlen);
	if (r < 0)
		die_sys(EXIT_TEMP, "lookup in %s", log_esc_s(path.s));
	if (r == 0)
		die(EXIT_PERM, "no such account here: %s", log_esc_s(u->addr));
	if (maps_account_decode(v, vlen, rec, &why) < 0)
		die(EXIT_TEMP, "accounts.cdb: %s", why);
	if (rec->home.n == 0 || rec->home.p[0] != '/' ||
	    sbuf_set_n(home, rec->home.p, rec->home.n) < 0)
		die(EXIT_PERM, "bad home for %s", log_esc_s(u->addr));
	while (home->len > 1 && home->s[home->len - 1] == '/')
		sbuf_truncate(home, home->len - 1);
	if (sbuf_nul(home) < 0)
		die_sys(EXIT_TEMP, "out of memory");
	cdbmap_close(&m);
	sbuf_fini(&path);
}

int
user_cmd_receive(struct user *u, int argc, char **argv)
{
	struct mvstream_stats st;
	struct maps_record rec;
	struct sbuf home, tmp;
	const char *why = NULL;
	char *slash;
	int is_root = geteuid() == 0, fd, r;

	if (argc != 2)
		usage();
	user_set_addr(u, argv[1]);
	sbuf_init(&home, MAPS_PATH_MAX * 2);
	sbuf_init(&tmp, MAPS_PATH_MAX * 2 + 16);
	lookup(u, &rec, &home);
	if (has_mail(home.s))
		die(EXIT_PERM, "%s already holds mail: not replaced",
		    log_esc_s(home.s));
	if (sbuf_printf(&tmp, "%s.tern-receive", home.s) < 0 ||
	    sbuf_nul(&tmp) < 0)
		die(EXIT_PERM, "path too long");
	rm_tree(tmp.s);		/* an earlier attempt's */
	slash = strrchr(tmp.s, '/');
	*slash = '\0';
	if (durable_mkdirs_sync(tmp.s, 0711) < 0)
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(tmp.s));
	*slash = '/';
	if (mkdir(tmp.s, 0700) < 0 ||
	    (fd = open(tmp.s, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(tmp.s));
	if (is_root && fchown(fd, rec.uid, rec.uid) < 0)
		die_sys(EXIT_TEMP, "cannot chown %s", log_esc_s(tmp.s));
	r = mvstream_recv(0, fd, is_root, rec.uid, rec.uid, &st, &why);
	(void)close(fd);	/* fsynced by mvstream_recv */
	if (r < 0) {
		r = errno;
		rm_tree(tmp.s);
		errno = r;
		if (r == EPROTO)
			die(EXIT_PERM, "bad stream for %s: %s",
			    log_esc_s(u->addr), why ? why : "?");
		die_sys(EXIT_TEMP, "receiving %s", log_esc_s(u->addr));
	}
	rm_tree(home.s);	/* an empty Maildir made by tern-user add */
	if (durable_rename_sync(tmp.s, home.s) < 0)
		die_sys(EXIT_TEMP, "cannot rename %s", log_esc_s(tmp.s));
	log_info("received %s into %s files=%llu folders=%llu bytes=%llu",
	    u->addr, log_esc_s(home.s), (unsigned long long)st.files,
	    (unsigned long long)st.dirs, (unsigned long long)st.bytes);
	sbuf_fini(&home);
	sbuf_fini(&tmp);
	return EXIT_OK;
}
