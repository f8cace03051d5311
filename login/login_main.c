/*
 * login_main.c - the login monitor of one tern-pop3d or tern-imapd
 * connection (tern-login(8), doc/login.md), linked into
 * tern-pop3d-worker and tern-imapd-worker: started with arguments, the
 * worker program is the monitor first.  Root, it parses nothing from the
 * network, serves the pre-auth child's strict requests, asks tern-authd,
 * and on a success becomes the worker as the account's uid in its
 * Maildir, in this same image (run: no second exec).  Started by the
 * service's fork server (vfork and exec) or exec'd in place by
 * tern-pop3d/tern-imapd, with the descriptors of login.h
 * (LOGIN_MON_FD_*) and its settings in argv:
 *
 *   WORKER -n LOGNAME -s SERVICE -a AUTHD_SOCKET -t PREAUTH_MS
 *       -u ACCOUNT_UID_MIN [-l MAX -d USERIP_DIR] [-e NAME=VALUE]...
 *
 * -e adds a variable to the worker's environment (its settings); -l and
 * -d: at most MAX sessions per account and client address for SERVICE,
 * their slots in USERIP_DIR (lib/userip.h; max_userip_connections).
 *
 * With -Z first (WORKER -Z -n ...), the program is the fork server's
 * monitor zygote (doc/login.md): started once, before any connection,
 * with a SOCK_SEQPACKET socket to the fork server on descriptor 3, it
 * waits for one message per connection (the connection's variables,
 * NUL-separated, with the four descriptors of login.h's LOGIN_MON_FD_*
 * in that order) and makes the connection's monitor with
 * clone(CLONE_PARENT): a copy of this fresh image whose parent is the
 * fork server (which reaps it and reports it, as a spawned monitor),
 * answered by its pid (a long; -1: none).  The copy goes on below as a
 * monitor started with the remaining arguments.  The zygote ends at the
 * fork server's end of file.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/fdpass.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/priv.h"
#include "lib/scan.h"
#include "lib/sock.h"
#include "lib/userip.h"

#include "login/login_main.h"

#define EXTRA_MAX	16
#define IP_MAX		46	/* INET6_ADDRSTRLEN */
#define ZYGOTE_FD	3	/* the zygote's socket to the fork server */

extern char **environ;

static char ip[IP_MAX];

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: WORKER -n NAME -s SERVICE -a AUTHD "
	    "-t PREAUTH_MS -u UID_MIN [-l MAX -d DIR] [-e NAME=VALUE]... "
	    "(started by tern-pop3d and tern-imapd only)");
}

/* TCPREMOTEIP when it is an address, else "" (login_setup.h's rule). */
static void
client_ip(void)
{
	const char *v = getenv("TCPREMOTEIP");
	size_t n;

	ip[0] = '\0';
	if (v == NULL || (n = strlen(v)) == 0 || n >= sizeof ip ||
	    !sock_ip_text_valid(v, n))
		return;
	memcpy(ip, v, n + 1);
}

static void
note(void *arg, const struct login_event *ev)
{
	(void)arg;
	switch (ev->kind) {
	case LOGIN_EV_AUTH:
		if (ev->status < 0)
			log_warn("auth user=%s ip=%s status=tempfail "
			    "why=tern-authd_unreachable:%s",
			    log_esc(ev->user, ev->user_len), ip,
			    strerror(ev->err));
		else if (ev->authzid != NULL && ev->authzid[0] != '\0')
			log_info("auth user=%s proxy=%s ip=%s origin=%s "
			    "status=%s%s%s", log_esc_s(ev->authzid),
			    log_esc(ev->user, ev->user_len), ip,
			    ev->origin[0] != '\0' ? ev->origin : "-",
			    authc_status_name(ev->status),
			    ev->why != NULL ? " refused=" : "",
			    ev->why != NULL ? ev->why : "");
		else
			log_info("auth user=%s ip=%s status=%s%s%s",
			    log_esc(ev->user, ev->user_len), ip,
			    authc_status_name(ev->status),
			    ev->why != NULL ? " refused=" : "",
			    ev->why != NULL ? ev->why : "");
		break;
	case LOGIN_EV_WORKER:
		if (ev->why != NULL)
			log_err("worker account=%s uid=%lu failed: %s: %s",
			    log_esc_s(ev->addr), (unsigned long)ev->uid,
			    ev->why, strerror(ev->err));
		else
			log_info("worker account=%s uid=%lu pid=%ld",
			    log_esc_s(ev->addr), (unsigned long)ev->uid,
			    (long)ev->pid);
		break;
	case LOGIN_EV_PROTO:
		log_warn("pre-auth child broke the protocol: %s",
		    ev->why != NULL ? ev->why : "?");
		break;
	case LOGIN_EV_END:
		log_info("end ip=%s status=%d", ip, ev->code);
		break;
	case LOGIN_EV_LIMIT:
		if (ev->why == NULL)
			log_info("refused user=%s ip=%s why=max_userip_connections "
			    "max=%u", log_esc_s(ev->addr), ev->ip, ev->max);
		else
			log_warn("userip user=%s ip=%s: %s: %s (let in)",
			    log_esc_s(ev->addr), ev->ip, ev->why,
			    strerror(ev->err));
		break;
	}
}

/* An absolute path; a NAME=VALUE for -e. */
static int
abs_ok(const char *p)
{
	return p != NULL && p[0] == '/';
}

static int
var_ok(const char *v)
{
	const char *eq = strchr(v, '=');

	return eq != NULL && eq != v;
}

/*
 * The monitor zygote's loop (-Z above).  Returns only in a monitor: its
 * descriptors on LOGIN_MON_FD_*, the connection's variables as its
 * environment, a session of its own.  The zygote never reads the
 * network or a password: its messages come from the fork server (root),
 * and what a monitor inherits of its memory is the settings and this
 * connection's variables (the buffer is wiped after each copy).
 */
static void
zygote(void)
{
	static const int dst[LOGIN_MON_NFD] = { LOGIN_MON_FD_CLIENT,
	    LOGIN_MON_FD_CTL, LOGIN_MON_FD_RELAY, LOGIN_MON_FD_CHILD };
	static char buf[LOGIN_ZYGOTE_MSG + 1];
	static char *env[LOGIN_ZYGOTE_VARS + 1];
	char comm[16];
	int fds[LOGIN_MON_NFD];
	size_t nfd, ne, off, i;
	ssize_t n;
	long pid;

	/* "tern-imapd-work" is the monitor's and the worker's name in
	 * /proc (ps, the tests): the zygote takes another. */
	memset(comm, 0, sizeof comm);
	if (prctl(PR_GET_NAME, comm) < 0 ||
	    prctl(PR_SET_NAME, "tern-zygote") < 0)
		_exit(EXIT_TEMP);
	for (;;) {
		n = fdpass_recv(ZYGOTE_FD, buf, sizeof buf - 1, fds,
		    LOGIN_MON_NFD, &nfd, 0);
		if (n == 0 || (n < 0 && errno != EPROTO && errno != EMSGSIZE))
			_exit(EXIT_OK);	/* the fork server is gone */
		pid = -1;
		for (ne = 0, off = 0; n > 0 && off < (size_t)n; ne++)
			off += strnlen(buf + off, (size_t)n - off) + 1;
		if (n > 0 && nfd == LOGIN_MON_NFD && buf[n - 1] == '\0' &&
		    ne <= LOGIN_ZYGOTE_VARS)
			pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0,
			    0, 0, 0);
		if (pid == 0) {
			(void)close(ZYGOTE_FD);
			if (io_fd_arrange(fds, dst, LOGIN_MON_NFD) < 0 ||
			    prctl(PR_SET_NAME, comm) < 0 || setsid() < 0)
				_exit(EXIT_TEMP);
			for (ne = 0, off = 0; off < (size_t)n; ne++) {
				env[ne] = buf + off;
				off += strlen(buf + off) + 1;
			}
			env[ne] = NULL;
			environ = env;
			return;
		}
		explicit_bzero(buf, sizeof buf);
		for (i = 0; n > 0 && i < nfd; i++)
			(void)close(fds[i]);
		while (send(ZYGOTE_FD, &pid, sizeof pid, MSG_NOSIGNAL) < 0)
			if (errno != EINTR)
				_exit(EXIT_OK);
	}
}

int
login_main(int argc, char **argv, void (*run)(char **env))
{
	static const char *const allow[] = { "TERN_LOG", "TCPREMOTEIP",
	    "TCPREMOTEPORT", "TCPLOCALIP", "TCPLOCALPORT", "PROTO", NULL };
	static const int keep[LOGIN_MON_NFD] = { LOGIN_MON_FD_CLIENT,
	    LOGIN_MON_FD_CTL, LOGIN_MON_FD_RELAY, LOGIN_MON_FD_CHILD };
	static struct login l;
	const char *extra[EXTRA_MAX + 1];
	const char *name = NULL, *svc = NULL, *authd = NULL, *udir = NULL;
	const char *host = NULL;
	const char *why = "";
	struct login_monitor_conf c;
	uint64_t preauth = 0, uid_min = UINT64_MAX, umax = 0;
	size_t nextra = 0;
	int ch;

	if (argc > 1 && strcmp(argv[1], "-Z") == 0) {
		static const int zkeep[1] = { ZYGOTE_FD };

		if (proc_init(zkeep, 1, PROC_NOCORE) < 0)
			_exit(EXIT_TEMP);
		zygote();
		/* A monitor: the arguments after -Z are its own. */
		argv[1] = argv[0];
		argv++;
		argc--;
	}
	if (proc_init(keep, LOGIN_MON_NFD, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	while ((ch = getopt(argc, argv, "n:s:a:t:u:l:d:e:H:")) != -1) {
		switch (ch) {
		case 'n':
			name = optarg;
			break;
		case 's':
			svc = optarg;
			break;
		case 'a':
			authd = optarg;
			break;
		case 't':
			if (scan_u64_s(optarg, &preauth) < 0 ||
			    preauth == 0 || preauth > INT64_MAX / 2)
				usage();
			break;
		case 'u':
			if (scan_u64_s(optarg, &uid_min) < 0 ||
			    uid_min > UINT32_MAX)
				usage();
			break;
		case 'l':
			if (scan_u64_s(optarg, &umax) < 0 ||
			    umax > USERIP_MAX)
				usage();
			break;
		case 'd':
			udir = optarg;
			break;
		case 'H':
			host = optarg;
			break;
		case 'e':
			if (nextra == EXTRA_MAX || !var_ok(optarg))
				usage();
			extra[nextra++] = optarg;
			break;
		default:
			usage();
		}
	}
	extra[nextra] = NULL;
	log_init_env(name != NULL ? name : "tern-login", 0);
	if (optind != argc || name == NULL || svc == NULL || !abs_ok(authd) ||
	    preauth == 0 || uid_min == UINT64_MAX || run == NULL ||
	    (umax > 0 && !abs_ok(udir)))
		usage();
	if (login_monitor_attach(&l, &why) < 0)
		die_sys(EXIT_TEMP, "monitor: %s", why);
	client_ip();
	memset(&c, 0, sizeof c);
	c.service = svc;
	c.authd_socket = authd;
	c.remote_ip = ip;
	c.run = run;
	c.env_allow = allow;
	c.env_extra = extra;
	c.preauth_ms = (int64_t)preauth;
	c.auth_timeout_ms = AUTHC_TIMEOUT_MS;
	c.uid_min = (uint32_t)uid_min;
	c.hostname = host;
	c.userip_dir = udir;
	c.userip_service = svc;
	c.userip_max = (unsigned)umax;
	c.note = note;
	return login_monitor_run(&l, &c);
}
