/*
 * tern-proxy - one IMAP or POP3 client session on descriptors 0 and 1
 * (run by tern-supervise), proxied to the account's storage host.  See
 * tern-proxy(8) and doc/proxy.md.
 *
 *   tern-proxy [-c FILE] -m imap|imaps|pop3|pop3s
 *
 * The pre-auth child is tern-imapd's / tern-pop3d's own code
 * (imapd_login.c, pop3d_login.c): same greeting, capabilities, STARTTLS,
 * plaintext rule and failure answers.  The monitor drops to proxy_user,
 * asks tern-authd, and then logs in to the backend with the master
 * identity and relays (proxy_backend.c).
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
#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/forkserver.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/login_setup.h"
#include "lib/priv.h"
#include "lib/scan.h"
#include "lib/tls.h"

#include "imapd/imapd.h"
#include "pop3d/pop3d.h"
#include "proxy/proxy.h"

#define PATH_MAX_LEN	4096

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-proxy [-c FILE] -m imap|imaps|pop3|pop3s");
}

/* Settings the monitor needs after the fork. */
struct setup {
	struct conf	*cf;
	char		 ip[LOGIN_IP_MAX];
	char		 authd[PATH_MAX_LEN];
	char		 jail[PATH_MAX_LEN];
	char		 routes[PATH_MAX_LEN];
	const char	*login_user;
	const char	*proxy_user;
	const char	*secret_file;
	int64_t		 login_ms;
	uint64_t	 max_failures;
	struct proxy	 px;
};

static uint16_t
port_key(const struct conf *cf, const char *key)
{
	uint64_t v;

	if (conf_uint(cf, key, &v) < 0 || v == 0 || v > 65535)
		die(EXIT_PERM, "bad %s: a port 1..65535", key);
	return (uint16_t)v;
}

static void
config(struct setup *s, const char *opt_c)
{
	struct sbuf err;
	const char *run, *auth, *map;
	int64_t imap_ms, idle_ms, pop3_ms;
	char **ports;
	size_t n;

	sbuf_init(&err, 4096);
	if (opt_c == NULL)
		opt_c = getenv("TERN_CONF");
	if (conf_read(opt_c, &s->cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	if ((run = conf_path(s->cf, "run_dir")) == NULL ||
	    (map = conf_path(s->cf, "map_dir")) == NULL ||
	    (s->login_user = conf_str(s->cf, "login_user")) == NULL ||
	    (s->proxy_user = conf_str(s->cf, "proxy_user")) == NULL ||
	    (s->px.master_user = conf_str(s->cf, "proxy_master_user")) ==
	    NULL || s->px.master_user[0] == '\0' ||
	    (s->secret_file = conf_path(s->cf, "proxy_master_secret_file")) ==
	    NULL || (auth = conf_path(s->cf, "auth_socket")) == NULL ||
	    (s->px.source_ip = conf_str(s->cf, "proxy_source_ip")) == NULL)
		die(EXIT_TEMP, "bad run_dir, map_dir, login_user, auth_socket "
		    "or proxy_* setting");
	if (s->proxy_user[0] == '\0' &&
	    (s->proxy_user = conf_str(s->cf, "user")) == NULL)
		die(EXIT_TEMP, "bad user");
	if (login_path_join(s->authd, sizeof s->authd, auth, "") < 0 ||
	    login_path_join(s->jail, sizeof s->jail, run, "/empty") < 0 ||
	    login_path_join(s->routes, sizeof s->routes, map,
	    "/routes.cdb") < 0)
		die(EXIT_TEMP, "auth_socket, run_dir or map_dir too long");
	if (conf_uint(s->cf, "login_max_failures", &s->max_failures) < 0)
		die(EXIT_TEMP, "bad login_max_failures");
	if (login_conf_ms(s->cf, "login_timeout", &s->login_ms) < 0 ||
	    login_conf_ms(s->cf, "proxy_connect_timeout",
	    &s->px.connect_ms) < 0 ||
	    login_conf_ms(s->cf, "imap_timeout", &imap_ms) < 0 ||
	    login_conf_ms(s->cf, "imap_idle_timeout", &idle_ms) < 0 ||
	    login_conf_ms(s->cf, "pop3_timeout", &pop3_ms) < 0)
		die(EXIT_TEMP, "bad login_timeout, proxy_connect_timeout, "
		    "imap_timeout, imap_idle_timeout or pop3_timeout");
	if (s->px.connect_ms == 0)
		die(EXIT_PERM, "proxy_connect_timeout must not be 0");
	s->px.port = port_key(s->cf, s->px.proto == PROXY_IMAP ?
	    "proxy_imap_port" : "proxy_pop3_port");
	if (conf_list(s->cf, "proxy_backend_ports", &ports, &n) < 0)
		die(EXIT_PERM, "bad proxy_backend_ports");
	s->px.ports = ports;	/* kept for the process's life */
	s->px.nports = n;
	if (s->px.proto == PROXY_IMAP)
		s->px.session_ms = idle_ms > imap_ms ? idle_ms : imap_ms;
	else
		s->px.session_ms = pop3_ms;
}

/* tern-pop3d's CAPA settings: the proxy says what it says. */
static void
pop3_config(struct setup *s, struct pop3_pre *p)
{
	const char *expire;
	uint64_t v;

	if ((expire = conf_str(s->cf, "pop3_expire")) == NULL ||
	    conf_duration(s->cf, "pop3_login_delay", &p->login_delay) < 0)
		die(EXIT_TEMP, "bad pop3_expire or pop3_login_delay");
	if (strlen(expire) > POP3_EXPIRE_MAX ||
	    (expire[0] != '\0' && strcmp(expire, "NEVER") != 0 &&
	    scan_u64_s(expire, &v) < 0))
		die(EXIT_PERM, "pop3_expire: a number of days or NEVER");
	(void)strlcpy(p->expire, expire, sizeof p->expire);	/* checked */
}

/* The client side's TLS, while we may still read the key.  A fork
 * server builds (and warms) the context once for every connection. */
static struct tls_ctx *
setup_tls(struct setup *s, int implicit_tls, int forkserver)
{
	struct tls_ctx *ctx;
	struct sbuf why;
	int r;

	sbuf_init(&why, TLS_WHY_MAX);
	r = login_tls_setup(s->cf, implicit_tls, forkserver, &ctx, &why);
	if (r < 0 && implicit_tls)
		die(EXIT_TEMP, "TLS: %s", log_esc_s(sbuf_str(&why)));
	if (r == 0)
		log_info("%s: STARTTLS not offered", log_esc_s(sbuf_str(&why)));
	else if (r < 0)
		log_warn("TLS: %s: STARTTLS not offered",
		    log_esc_s(sbuf_str(&why)));
	sbuf_fini(&why);
	return ctx;
}

static void
note(void *arg, const struct login_event *ev)
{
	const struct setup *s = arg;

	switch (ev->kind) {
	case LOGIN_EV_AUTH:
		if (ev->status < 0)
			log_warn("auth user=%s ip=%s status=tempfail "
			    "why=tern-authd_unreachable:%s",
			    log_esc(ev->user, ev->user_len), s->ip,
			    strerror(ev->err));
		else
			log_info("auth user=%s ip=%s status=%s",
			    log_esc(ev->user, ev->user_len), s->ip,
			    authc_status_name(ev->status));
		break;
	case LOGIN_EV_WORKER:
		if (ev->why != NULL)
			log_warn("proxy account=%s ip=%s failed: %s: %s",
			    log_esc_s(ev->addr), s->ip, ev->why,
			    strerror(ev->err));
		break;
	case LOGIN_EV_PROTO:
		log_warn("pre-auth child broke the protocol: %s",
		    ev->why != NULL ? ev->why : "?");
		break;
	case LOGIN_EV_END:
		log_info("end ip=%s status=%d", s->ip, ev->code);
		break;
	case LOGIN_EV_LIMIT:
		break;	/* not here: the backend counts (doc/proxy.md) */
	}
}

/* The master secret: one line, PROXY_SECRET_MIN bytes at least. */
static void
read_secret(struct setup *s)
{
	struct sbuf *b = &s->px.secret;

	sbuf_init(b, AUTHC_PASS_MAX + 2);
	if (io_read_file(s->secret_file, b, AUTHC_PASS_MAX + 2) < 0) {
		log_err_sys("master secret %s", log_esc_s(s->secret_file));
		sbuf_reset(b);
		return;
	}
	while (b->len > 0 && (b->s[b->len - 1] == '\n' ||
	    b->s[b->len - 1] == '\r'))
		b->len--;
	if (b->len < PROXY_SECRET_MIN || b->len > AUTHC_PASS_MAX ||
	    memchr(b->s, '\0', b->len) != NULL) {
		log_err("master secret %s: not one line of %d..%d bytes",
		    log_esc_s(s->secret_file), PROXY_SECRET_MIN,
		    AUTHC_PASS_MAX);
		if (b->s != NULL)
			explicit_bzero(b->s, b->cap);
		sbuf_reset(b);
	}
}

static int
become(void *arg, struct login *l, const struct authc_reply *rep,
    const struct login_req *q, struct login_event *ev)
{
	struct setup *s = arg;

	return proxy_session(&s->px, l, rep, q, ev);
}

/*
 * The monitor: read what only it may hold (the master secret, after the
 * fork so the child never has it), open the routes map and the backend
 * TLS context, drop to proxy_user, then serve the child's requests.
 */
static int
monitor(struct setup *s, struct login *l)
{
	struct login_monitor_conf c;
	struct sbuf why;
	const char *ca, *dwhy = "";
	int tls;
	uid_t uid;
	gid_t gid;

	read_secret(s);
	s->px.routes = cdbmap_open(s->routes, CDBMAP_MISSING_OK);
	if (s->px.routes == NULL)
		log_warn_sys("%s: routes not used", log_esc_s(s->routes));
	if (conf_bool(s->cf, "proxy_backend_tls", &tls) < 0 ||
	    (ca = conf_str(s->cf, "proxy_backend_ca_file")) == NULL)
		die(EXIT_TEMP, "bad proxy_backend_tls or proxy_backend_ca_file");
	if (tls) {
		sbuf_init(&why, TLS_WHY_MAX);
		s->px.tls = tls_client_ctx_new(ca[0] != '\0' ? ca : NULL, &why);
		if (s->px.tls == NULL)
			die(EXIT_TEMP, "backend TLS: %s",
			    log_esc_s(sbuf_str(&why)));
		sbuf_fini(&why);
	}
	if (priv_is_root()) {
		if (priv_lookup(s->proxy_user, &uid, &gid) < 0)
			die(EXIT_TEMP, "proxy_user %s: no such user",
			    log_esc_s(s->proxy_user));
		if (priv_drop(uid, gid, NULL, &dwhy) < 0)
			die_sys(EXIT_TEMP, "drop to proxy_user: %s", dwhy);
		priv_san_dumpable();
	}
	memset(&c, 0, sizeof c);
	c.service = s->px.proto == PROXY_IMAP ? "imap" : "pop3";
	c.authd_socket = s->authd;
	c.remote_ip = s->ip;
	c.preauth_ms = s->login_ms + AUTHC_TIMEOUT_MS *
	    (int64_t)(s->max_failures + 1);
	c.auth_timeout_ms = AUTHC_TIMEOUT_MS;
	c.note = note;
	c.arg = s;
	c.become = become;
	return login_monitor_run(l, &c);
}

static int
session(const char *opt_c, const char *mode, char **argv)
{
	static struct setup s;
	static struct imap_pre ip;
	static struct pop3_pre pp;
	static struct login l;
	struct tls_ctx **ctx, *tctx;
	const char *why = "";
	int role, dropped = PRIV_SKIPPED, implicit = 0, plain;

	if (strcmp(mode, "imap") == 0 || strcmp(mode, "imaps") == 0)
		s.px.proto = PROXY_IMAP;
	else if (strcmp(mode, "pop3") == 0 || strcmp(mode, "pop3s") == 0)
		s.px.proto = PROXY_POP3;
	else
		usage();
	implicit = mode[4] == 's';
	config(&s, opt_c);
	if (forkserver_fd() >= 0) {
		/* tern-supervise's fork server (lib/forkserver.h): the
		 * configuration and the TLS context once, then a child
		 * per connection goes on below. */
		tctx = setup_tls(&s, implicit, 1);
		role = forkserver_serve(forkserver_fd(),
		    forkserver_conf_stale, s.cf, argv);
		if (role < 0)
			die_sys(EXIT_TEMP, "forkserver");
		if (role > 0)
			exit(EXIT_OK);
	} else
		tctx = setup_tls(&s, implicit, 0);
	login_client_ip(s.ip);
	if ((plain = login_plain_allowed(s.cf, s.ip, &why)) < 0)
		die(EXIT_TEMP, "bad %s", why);
	s.px.ip = s.ip;
	if (s.px.proto == PROXY_IMAP) {
		ip.implicit_tls = implicit;
		ip.ip = s.ip;
		ip.plain_ok = plain;
		ip.login_ms = s.login_ms;
		ip.session_ms = s.px.session_ms;
		ip.max_failures = s.max_failures;
		ip.tls_ctx = tctx;
		ctx = &ip.tls_ctx;
	} else {
		pop3_config(&s, &pp);
		pp.implicit_tls = implicit;
		pp.ip = s.ip;
		pp.plain_ok = plain;
		pp.login_ms = s.login_ms;
		pp.session_ms = s.px.session_ms;
		pp.max_failures = s.max_failures;
		pp.tls_ctx = tctx;
		ctx = &pp.tls_ctx;
	}
	if (priv_is_root() && login_jail_make(s.jail, &why) < 0)
		die_sys(EXIT_TEMP, "jail %s: %s", log_esc_s(s.jail), why);
	role = login_fork(&l, s.login_user, s.jail, ctx, &dropped, &why);
	if (role < 0)
		die_sys(EXIT_TEMP, "login: %s", why);
	if (role == LOGIN_ROLE_MONITOR)
		return monitor(&s, &l);
	if (dropped == PRIV_SKIPPED)
		log_info("not root: privilege separation skipped, all parts "
		    "run as uid %lu", (unsigned long)getuid());
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "refusing to run the pre-auth part as root");
	/* The child: tern-imapd's or tern-pop3d's own pre-auth code.  It
	 * never trusts its peer as a proxy (trusted_peer 0): a client can
	 * not use the master login through us. */
	if (s.px.proto == PROXY_IMAP) {
		ip.login = &l;
		if ((ip.b = bio_new(0, 1)) == NULL)
			die_sys(EXIT_TEMP, "bio_new");
		_exit(imap_preauth(&ip));
	}
	pp.login = &l;
	if ((pp.b = bio_new(0, 1)) == NULL)
		die_sys(EXIT_TEMP, "bio_new");
	_exit(pop3_preauth(&pp));
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL, *opt_m = NULL;
	int ch, keep[1] = { forkserver_fd() };

	if (proc_init(keep, keep[0] >= 0 ? 1 : 0, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-proxy", 0);
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
	if (optind != argc || opt_m == NULL)
		usage();
	return session(opt_c, opt_m, argv);
}
