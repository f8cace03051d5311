/*
 * tern-pop3d - one POP3 session on descriptors 0 and 1 (run by
 * tern-supervise).  See tern-pop3d(8) and doc/login.md.
 *
 *   tern-pop3d [-c FILE] -m pop3|pop3s     the pre-auth child
 *
 * The monitor is tern-pop3d-worker started with arguments (tern-login(8);
 * by the fork server, or exec'd by this process after it forked the
 * child), which becomes the post-auth worker in the same image.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

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
#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/tls.h"
#include "lib/userip.h"

#include "pop3d/pop3d.h"

#define PATH_MAX_LEN	4096

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-pop3d [-c FILE] -m pop3|pop3s");
}

/* Settings the monitor needs after the fork. */
struct setup {
	struct conf	*cf;
	char		 ip[LOGIN_IP_MAX];
	char		 program[PATH_MAX_LEN];
	char		 authd[PATH_MAX_LEN];
	char		 jail[PATH_MAX_LEN];
	char		 userip[PATH_MAX_LEN];	/* run_dir/userip */
	char		 env_timeout[64];
	char		 env_expire[64];
	char		 env_delay[64];
	char		 mon_t[32], mon_u[32], mon_l[32];
	char		 host[256];	/* hostname, else the system's */
	char		*margv[28];
	const char	*login_user;
	uint64_t	 uid_min;
};

/* The monitor and the connection's socket pairs (a fork server makes
 * them before it forks the pre-auth child: then the child finds them
 * here). */
static struct login_splitter split;

static void	monitor_args(struct setup *, const struct pop3_pre *);

static void
config(struct setup *s, struct pop3_pre *p, const char *opt_c)
{
	struct sbuf err;
	const char *run, *prog, *expire, *auth;
	uint64_t v;

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
	    (s->login_user = conf_str(s->cf, "login_user")) == NULL ||
	    (expire = conf_str(s->cf, "pop3_expire")) == NULL)
		die(EXIT_TEMP, "bad run_dir, program_dir, login_user or "
		    "pop3_expire");
	if ((auth = conf_path(s->cf, "auth_socket")) == NULL)
		die(EXIT_TEMP, "bad auth_socket");
	if (login_path_join(s->program, sizeof s->program, prog,
	    "/tern-pop3d-worker") < 0 ||
	    login_path_join(s->authd, sizeof s->authd, auth, "") < 0 ||
	    login_path_join(s->jail, sizeof s->jail, run, "/empty") < 0 ||
	    login_path_join(s->userip, sizeof s->userip, run, "/userip") < 0)
		die(EXIT_TEMP, "program_dir, auth_socket or run_dir too long");
	if (conf_uint(s->cf, "account_uid_min", &s->uid_min) < 0 ||
	    conf_uint(s->cf, "login_max_failures", &p->max_failures) < 0 ||
	    conf_duration(s->cf, "pop3_login_delay", &p->login_delay) < 0)
		die(EXIT_TEMP, "bad account_uid_min, login_max_failures or "
		    "pop3_login_delay");
	if (strlen(expire) > POP3_EXPIRE_MAX ||
	    (expire[0] != '\0' && strcmp(expire, "NEVER") != 0 &&
	    scan_u64_s(expire, &v) < 0))
		die(EXIT_PERM, "pop3_expire: a number of days or NEVER");
	(void)strlcpy(p->expire, expire, sizeof p->expire);	/* checked */
	if (login_conf_ms(s->cf, "login_timeout", &p->login_ms) < 0 ||
	    login_conf_ms(s->cf, "pop3_timeout", &p->session_ms) < 0)
		die(EXIT_TEMP, "bad login_timeout or pop3_timeout");
	if (snprintf(s->env_timeout, sizeof s->env_timeout,
	    "POP3_TIMEOUT=%lld", (long long)p->session_ms) < 0 ||
	    snprintf(s->env_expire, sizeof s->env_expire, "POP3_EXPIRE=%s",
	    p->expire) < 0 ||
	    snprintf(s->env_delay, sizeof s->env_delay,
	    "POP3_LOGIN_DELAY=%llu", (unsigned long long)p->login_delay) < 0)
		die(EXIT_TEMP, "snprintf");
	monitor_args(s, p);
}

/*
 * Everything that needs privilege, while we may still have it.  A fork
 * server builds (and warms) the context once for every connection it
 * forks (lib/login_setup.h).
 */
static void
setup_tls(struct setup *s, struct pop3_pre *p, int forkserver)
{
	struct sbuf why;
	int r;

	sbuf_init(&why, TLS_WHY_MAX);
	r = login_tls_setup(s->cf, p->implicit_tls, forkserver, &p->tls_ctx,
	    &why);
	if (r < 0 && p->implicit_tls)
		die(EXIT_TEMP, "TLS: %s", log_esc_s(sbuf_str(&why)));
	if (r == 0)
		log_info("%s: STLS not offered", log_esc_s(sbuf_str(&why)));
	else if (r < 0)
		log_warn("TLS: %s: STLS not offered", log_esc_s(sbuf_str(&why)));
	sbuf_fini(&why);
}

/*
 * The monitor's command line (tern-login(8)): the worker program with
 * arguments, which is the monitor until a login and then the worker in
 * the same image.  Built once; the fork server starts one per
 * connection with it.
 */
static void
monitor_args(struct setup *s, const struct pop3_pre *p)
{
	char **a = s->margv;
	size_t n = 0;

	if (snprintf(s->mon_t, sizeof s->mon_t, "%lld",
	    (long long)(p->login_ms + AUTHC_TIMEOUT_MS *
	    (int64_t)(p->max_failures + 1))) < 0 ||
	    snprintf(s->mon_u, sizeof s->mon_u, "%llu",
	    (unsigned long long)s->uid_min) < 0)
		die(EXIT_TEMP, "snprintf");
	if (login_userip_max(s->cf, "pop3", s->mon_l, sizeof s->mon_l) < 0)
		die(EXIT_PERM, "max_userip_connections: 0 to %d", USERIP_MAX);
	a[n++] = (char *)"tern-pop3d-worker";
	a[n++] = (char *)"-n";
	a[n++] = (char *)"tern-pop3d";
	a[n++] = (char *)"-s";
	a[n++] = (char *)"pop3";
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
	a[n++] = (char *)"-e";
	a[n++] = s->env_timeout;
	a[n++] = (char *)"-e";
	a[n++] = s->env_expire;
	a[n++] = (char *)"-e";
	a[n++] = s->env_delay;
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
	static struct pop3_pre p;
	static struct login l;
	const char *why = "";
	int role, dropped = PRIV_SKIPPED;

	if (strcmp(mode, "pop3s") == 0)
		p.implicit_tls = 1;
	else if (strcmp(mode, "pop3") != 0)
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
	_exit(pop3_preauth(&p));
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL, *opt_m = NULL;
	int ch, keep[1] = { forkserver_fd() };

	if (proc_init(keep, keep[0] >= 0 ? 1 : 0, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-pop3d", 0);
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
