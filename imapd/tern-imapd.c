/*
 * tern-imapd - one IMAP session on descriptors 0 and 1 (run by
 * tern-supervise).  See tern-imapd(8) and doc/login.md.
 *
 *   tern-imapd [-c FILE] -m imap|imaps     the pre-auth child
 *
 * The monitor is tern-imapd-worker started with arguments (tern-login(8);
 * by the fork server, or exec'd by this process after it forked the
 * child), which becomes the post-auth worker in the same image.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/bio.h"
#include "lib/conf.h"
#include "lib/forkserver.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/login_setup.h"
#include "lib/login_split.h"
#include "lib/priv.h"
#include "lib/scan.h"
#include "lib/tls.h"
#include "lib/userip.h"

#include "imapd/imapd.h"

#define PATH_MAX_LEN	4096

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-imapd [-c FILE] -m imap|imaps");
}

#define WENV_MAX	64

/* The worker's settings, passed in its environment. */
enum { E_TIMEOUT, E_IDLE, E_LITERAL, E_SEP, E_VANISHED, E_N };

/* Settings the monitor needs after the fork. */
struct setup {
	struct conf	*cf;
	char		 ip[LOGIN_IP_MAX];
	char		 program[PATH_MAX_LEN];
	char		 authd[PATH_MAX_LEN];
	char		 jail[PATH_MAX_LEN];
	char		 userip[PATH_MAX_LEN];	/* run_dir/userip */
	char		 env[E_N][WENV_MAX];
	char		 mon_t[32], mon_u[32], mon_l[32];
	char		 host[256];	/* hostname, else the system's */
	char		*margv[22 + 2 * E_N];
	const char	*login_user;
	uint64_t	 uid_min;
	int64_t		 imap_ms, idle_ms;	/* imap_timeout, imap_idle_timeout */
};

/* The monitor and the connection's socket pairs (a fork server makes
 * them before it forks the pre-auth child: then the child finds them
 * here). */
static struct login_splitter split;

static void	monitor_args(struct setup *, const struct imap_pre *);

static void
env_set(struct setup *s, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
env_set(struct setup *s, int i, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(s->env[i], sizeof s->env[i], fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof s->env[i])
		die(EXIT_PERM, "imap settings too long");
}

static void
worker_settings(struct setup *s)
{
	const char *sep;
	uint64_t lit, van;

	if ((sep = conf_str(s->cf, "imap_hierarchy_separator")) == NULL ||
	    (strcmp(sep, "/") != 0 && strcmp(sep, ".") != 0))
		die(EXIT_PERM, "imap_hierarchy_separator: / or .");
	if (conf_size(s->cf, "imap_literal_max", &lit) < 0 || lit == 0)
		die(EXIT_PERM, "bad imap_literal_max");
	env_set(s, E_TIMEOUT, "IMAP_TIMEOUT=%lld", (long long)s->imap_ms);
	env_set(s, E_IDLE, "IMAP_IDLE_TIMEOUT=%lld", (long long)s->idle_ms);
	env_set(s, E_LITERAL, "IMAP_LITERAL_MAX=%llu",
	    (unsigned long long)lit);
	env_set(s, E_SEP, "IMAP_SEPARATOR=%s", sep);
	/* QRESYNC (RFC 7162): expunged UID ranges kept per folder. */
	if (conf_uint(s->cf, "imap_vanished_max", &van) < 0 || van == 0 ||
	    van > 1000000)
		die(EXIT_PERM, "imap_vanished_max: 1 to 1000000");
	env_set(s, E_VANISHED, "IMAP_VANISHED_MAX=%llu",
	    (unsigned long long)van);
}

static void
config(struct setup *s, struct imap_pre *p, const char *opt_c)
{
	struct sbuf err;
	const char *run, *prog, *auth;

	sbuf_init(&err, 4096);
	if (opt_c == NULL)
		opt_c = getenv("TERN_CONF");
	if (conf_read(opt_c, &s->cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	if ((run = conf_path(s->cf, "run_dir")) == NULL ||
	    (prog = conf_path(s->cf, "program_dir")) == NULL ||
	    (s->login_user = conf_str(s->cf, "login_user")) == NULL)
		die(EXIT_TEMP, "bad run_dir, program_dir or login_user");
	if ((auth = conf_path(s->cf, "auth_socket")) == NULL)
		die(EXIT_TEMP, "bad auth_socket");
	if (login_path_join(s->program, sizeof s->program, prog,
	    "/tern-imapd-worker") < 0 ||
	    login_path_join(s->authd, sizeof s->authd, auth, "") < 0 ||
	    login_path_join(s->jail, sizeof s->jail, run, "/empty") < 0 ||
	    login_path_join(s->userip, sizeof s->userip, run, "/userip") < 0)
		die(EXIT_TEMP, "program_dir, auth_socket or run_dir too long");
	if (conf_uint(s->cf, "account_uid_min", &s->uid_min) < 0 ||
	    conf_uint(s->cf, "login_max_failures", &p->max_failures) < 0)
		die(EXIT_TEMP, "bad account_uid_min or login_max_failures");
	if (login_conf_ms(s->cf, "login_timeout", &p->login_ms) < 0 ||
	    login_conf_ms(s->cf, "imap_timeout", &s->imap_ms) < 0 ||
	    login_conf_ms(s->cf, "imap_idle_timeout", &s->idle_ms) < 0)
		die(EXIT_TEMP, "bad login_timeout, imap_timeout or "
		    "imap_idle_timeout");
	p->session_ms = s->idle_ms > s->imap_ms ? s->idle_ms : s->imap_ms;
	worker_settings(s);
	monitor_args(s, p);
}

/*
 * Everything that needs privilege, while we may still have it.  A fork
 * server builds (and warms) the context once for every connection it
 * forks (lib/login_setup.h).
 */
static void
setup_tls(struct setup *s, struct imap_pre *p, int forkserver)
{
	struct sbuf why;
	int r;

	sbuf_init(&why, TLS_WHY_MAX);
	r = login_tls_setup(s->cf, p->implicit_tls, forkserver, &p->tls_ctx,
	    &why);
	if (r < 0 && p->implicit_tls)
		die(EXIT_TEMP, "TLS: %s", log_esc_s(sbuf_str(&why)));
	if (r == 0)
		log_info("%s: STARTTLS not offered", log_esc_s(sbuf_str(&why)));
	else if (r < 0)
		log_warn("TLS: %s: STARTTLS not offered",
		    log_esc_s(sbuf_str(&why)));
	sbuf_fini(&why);
}

/*
 * The monitor's command line (tern-login(8)): the worker program with
 * arguments, which is the monitor until a login and then the worker in
 * the same image.  Built once; the fork server starts one per
 * connection with it.
 */
static void
monitor_args(struct setup *s, const struct imap_pre *p)
{
	char **a = s->margv;
	size_t n = 0;
	int i;

	if (snprintf(s->mon_t, sizeof s->mon_t, "%lld",
	    (long long)(p->login_ms + AUTHC_TIMEOUT_MS *
	    (int64_t)(p->max_failures + 1))) < 0 ||
	    snprintf(s->mon_u, sizeof s->mon_u, "%llu",
	    (unsigned long long)s->uid_min) < 0)
		die(EXIT_TEMP, "snprintf");
	if (login_userip_max(s->cf, "imap", s->mon_l, sizeof s->mon_l) < 0)
		die(EXIT_PERM, "max_userip_connections: 0 to %d", USERIP_MAX);
	a[n++] = (char *)"tern-imapd-worker";
	a[n++] = (char *)"-n";
	a[n++] = (char *)"tern-imapd";
	a[n++] = (char *)"-s";
	a[n++] = (char *)"imap";
	a[n++] = (char *)"-a";
	a[n++] = s->authd;
	a[n++] = (char *)"-t";
	a[n++] = s->mon_t;
	a[n++] = (char *)"-u";
	a[n++] = s->mon_u;
	a[n++] = (char *)"-l";
	a[n++] = s->mon_l;
	a[n++] = (char *)"-d";
	a[n++] = s->userip;
	if (conf_hostname(s->cf, s->host, sizeof s->host) == 0) {
		a[n++] = (char *)"-H";
		a[n++] = s->host;
	}
	for (i = 0; i < E_N; i++) {
		a[n++] = (char *)"-e";
		a[n++] = s->env[i];
	}
	a[n] = NULL;
}

/* The fork server could not serve a connection (login_split.h). */
static void
split_fail(const char *why)
{
	log_warn_sys("login: %s", why);
}

static int
session(const char *opt_c, const char *mode, char **argv)
{
	static struct setup s;
	static struct imap_pre p;
	static struct login l;
	const char *why = "";
	int role, dropped = PRIV_SKIPPED;

	if (strcmp(mode, "imaps") == 0)
		p.implicit_tls = 1;
	else if (strcmp(mode, "imap") != 0)
		usage();
	config(&s, &p, opt_c);
	login_splitter_init(&split, s.program, s.margv, s.login_user, s.jail,
	    split_fail);
	/* The fork server shares its code's page-table entries with its
	 * children only on the TLS port (lib/forkserver.h: no_share_text). */
	split.share_text = p.implicit_tls;
	if (forkserver_fd() >= 0) {
		/* tern-supervise's fork server (lib/forkserver.h): the
		 * configuration and the TLS context once, then a child
		 * per connection goes on below. */
		setup_tls(&s, &p, 1);
		if ((role = login_splitter_serve(&split, s.cf, argv, &why)) < 0)
			die_sys(EXIT_TEMP, "login: %s", why);
		if (role > 0)
			exit(EXIT_OK);
	} else
		setup_tls(&s, &p, 0);
	/* A trusted proxy may log in without TLS (doc/proxy.md). */
	if (login_client_policy(s.cf, s.ip, &p.trusted_peer, &p.plain_ok,
	    &why) < 0)
		die(EXIT_TEMP, "bad %s", why);
	p.ip = s.ip;
	if (login_splitter_child(&split, &l, &dropped, &why) < 0)
		die_sys(EXIT_TEMP, "login: %s", why);
	if (dropped == PRIV_SKIPPED)
		log_info("not root: privilege separation skipped, all parts "
		    "run as uid %lu", (unsigned long)getuid());
	p.login = &l;
	if ((p.b = bio_new(0, 1)) == NULL)
		die_sys(EXIT_TEMP, "bio_new");
	/* _exit: in the jail there is no /proc, so LeakSanitizer's exit
	 * check (SAN=1 builds) cannot run; nothing is left to flush. */
	_exit(imap_preauth(&p));
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL, *opt_m = NULL;
	int ch, keep[1] = { forkserver_fd() };

	if (proc_init(keep, keep[0] >= 0 ? 1 : 0, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-imapd", 0);
	while ((ch = getopt(argc, argv, "c:m:")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'm':
			opt_m = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	if (opt_m == NULL)
		usage();
	return session(opt_c, opt_m, argv);
}
