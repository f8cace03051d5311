/*
 * tern-smtpd - one SMTP, submission or LMTP session on descriptors 0 and 1
 * (run by tern-supervise, tcpserver or inetd).  See tern-smtpd(8).
 *
 *   tern-smtpd [-c FILE] -m smtp|submission|submissions|lmtp
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/forkserver.h"
#include "lib/log.h"
#include "lib/login.h"
#include "lib/priv.h"
#include "lib/tls.h"

#include "smtpd/smtpd.h"

#define HOSTNAME_MAX	255

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-smtpd [-c FILE] "
	    "-m smtp|submission|submissions|lmtp");
}

static enum smtpd_mode
parse_mode(const char *m)
{
	if (strcmp(m, "smtp") == 0)
		return SMTPD_SMTP;
	if (strcmp(m, "submission") == 0)
		return SMTPD_SUBMISSION;
	if (strcmp(m, "submissions") == 0)
		return SMTPD_SUBMISSIONS;
	if (strcmp(m, "lmtp") == 0)
		return SMTPD_LMTP;
	usage();
}

/* The client's address from the environment, kept only when it parses. */
static void
client_ip(struct smtpd *s)
{
	unsigned char a[16];
	const char *ip = getenv("TCPREMOTEIP");

	s->ip[0] = '\0';
	if (ip == NULL)
		return;
	if (inet_pton(AF_INET, ip, a) != 1 && inet_pton(AF_INET6, ip, a) != 1)
		return;
	(void)strlcpy(s->ip, ip, sizeof s->ip);	/* parsed: it fits */
}

static int64_t
secs(struct smtpd *s, const char *key)
{
	uint64_t v;

	if (conf_duration(s->cf, key, &v) < 0 || v > INT64_MAX / 1000)
		die(EXIT_TEMP, "bad %s", key);
	return (int64_t)v * 1000;
}

static uint64_t
count(struct smtpd *s, const char *key)
{
	uint64_t v;

	if (conf_uint(s->cf, key, &v) < 0)
		die(EXIT_TEMP, "bad %s", key);
	return v;
}

static void
config(struct smtpd *s, const char *opt_c)
{
	static char host[HOSTNAME_MAX + 1];
	struct sbuf err;

	sbuf_init(&err, 4096);
	if (opt_c == NULL)
		opt_c = getenv("TERN_CONF");
	if (conf_read(opt_c, &s->cf, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	s->hostname = conf_str(s->cf, "hostname");
	if (s->hostname == NULL || s->hostname[0] == '\0') {
		if (gethostname(host, sizeof host - 1) < 0)
			die_sys(EXIT_TEMP, "gethostname");
		host[sizeof host - 1] = '\0';
		s->hostname = host;
	}
	if (conf_size(s->cf, "message_size_limit", &s->size_limit) < 0 ||
	    (s->program_dir = conf_path(s->cf, "program_dir")) == NULL)
		die(EXIT_TEMP, "bad message_size_limit or program_dir");
	s->conf_home = conf_dir(s->cf);
	s->enqueue_socket = conf_path(s->cf, "enqueue_socket");
	s->rcpt_limit = count(s, "smtpd_recipient_limit");
	if (s->rcpt_limit == 0 || s->rcpt_limit > ENV_RCPT_MAX)
		s->rcpt_limit = ENV_RCPT_MAX;
	s->error_limit = count(s, "smtpd_hard_error_limit");
	s->hop_limit = count(s, "hop_count_limit");
	s->cmd_ms = secs(s, "smtpd_timeout");
	s->data_ms = secs(s, "smtpd_data_timeout");
	s->done_ms = secs(s, "smtpd_data_done_timeout");
	s->session_ms = secs(s, "smtpd_session_limit");
}

/* submission_sender_check: words envelope, header, none. */
static unsigned
sender_check(struct smtpd *s)
{
	char **w;
	size_t n, i;
	unsigned v = 0;

	if (conf_list(s->cf, "submission_sender_check", &w, &n) < 0)
		die(EXIT_TEMP, "bad submission_sender_check");
	for (i = 0; i < n; i++) {
		if (strcmp(w[i], "envelope") == 0)
			v |= SMTPD_CHECK_ENVELOPE;
		else if (strcmp(w[i], "header") == 0)
			v |= SMTPD_CHECK_HEADER;
		else if (strcmp(w[i], "none") != 0 || n != 1) {
			free(w);
			die(EXIT_TEMP, "submission_sender_check: envelope, "
			    "header, both, or none");
		}
	}
	free(w);
	return v;
}

/*
 * AUTH settings (submission and submissions).  A password may come
 * before TLS only from login_plaintext_networks (or with
 * allow_plain_passwords): the same rule as tern-pop3d's.
 */
static void
submission_config(struct smtpd *s)
{
	char **nets;
	const char *why = "";
	size_t n;
	int yes, r;

	if (s->mode != SMTPD_SUBMISSION && s->mode != SMTPD_SUBMISSIONS)
		return;
	if ((s->auth_socket = conf_path(s->cf, "auth_socket")) == NULL ||
	    (s->rate_dir = conf_path(s->cf, "submission_rate_dir")) == NULL ||
	    conf_bool(s->cf, "submission_null_sender",
	    &s->null_sender_ok) < 0 ||
	    conf_bool(s->cf, "allow_plain_passwords", &yes) < 0)
		die(EXIT_TEMP, "bad auth_socket, submission_rate_dir, "
		    "submission_null_sender or allow_plain_passwords");
	s->rate_limit = count(s, "submission_rate_limit");
	s->sender_check = sender_check(s);
	if (yes || s->ip[0] == '\0') {
		s->plain_ok = 1;	/* no client IP: a local program */
		return;
	}
	if (conf_list(s->cf, "login_plaintext_networks", &nets, &n) < 0)
		die(EXIT_TEMP, "bad login_plaintext_networks");
	r = login_ip_in(s->ip, nets, n, &why);
	free(nets);
	if (r < 0)
		die(EXIT_TEMP, "login_plaintext_networks: %s", why);
	s->plain_ok = r;
}

/*
 * The uid and gid of "user", looked up once: a fork server does it before
 * its first fork, so no session reads /etc/passwd (glibc's NSS: ~6% of a
 * session's CPU, bench/smtp).  A changed uid reaches the sessions when
 * tern.conf changes or the service restarts.
 */
static void
session_user(struct smtpd *s)
{
	const char *user;

	if (s->has_ids || !priv_is_root())
		return;
	if ((user = conf_str(s->cf, "user")) == NULL ||
	    priv_lookup(user, &s->uid, &s->gid) < 0)
		die(EXIT_TEMP, "bad user");
	s->has_ids = 1;
}

/* The rate counters' folder, owned by the session user. */
static void
rate_dir(struct smtpd *s)
{
	if (s->rate_dir == NULL || s->rate_limit == 0)
		return;
	if (!priv_is_root()) {
		smtpd_rate_setup(s, 0, 0, 0);
		return;
	}
	session_user(s);
	smtpd_rate_setup(s, s->uid, s->gid, 1);
}

/* sender_login.cdb: more owners of sender addresses (may be absent). */
static void
senders(struct smtpd *s, const char *map_dir)
{
	struct sbuf p;

	sbuf_init(&p, 4096);
	if (sbuf_printf(&p, "%s/sender_login.cdb", map_dir) < 0 ||
	    sbuf_str(&p) == NULL ||
	    (s->senders = cdbmap_open(p.s, CDBMAP_MISSING_OK)) == NULL)
		die_sys(EXIT_TEMP, "cannot open %s/sender_login.cdb",
		    log_esc_s(map_dir));
	sbuf_fini(&p);
}

/*
 * The TLS context from tls_cert and tls_key.  Implicit TLS needs it at
 * once; STARTTLS may never come, so a process that serves one connection
 * only reads the files (tls.h: lazy), while a fork server (eager) builds
 * it once for every connection it forks.
 */
static void
tls_setup(struct smtpd *s, int eager)
{
	struct sbuf why;
	const char *cert, *key;

	s->tls_set_up = 1;
	cert = conf_path(s->cf, "tls_cert");
	key = conf_path(s->cf, "tls_key");
	if (cert == NULL || key == NULL)
		die(EXIT_TEMP, "bad tls_cert or tls_key");
	if (access(cert, F_OK) < 0 && s->mode != SMTPD_SUBMISSIONS) {
		log_info("no TLS certificate %s: STARTTLS not offered",
		    log_esc_s(cert));
		return;
	}
	sbuf_init(&why, TLS_WHY_MAX);
	s->tls_ctx = s->mode == SMTPD_SUBMISSIONS || eager ?
	    tls_server_ctx_new(cert, key, &why) :
	    tls_server_ctx_lazy(cert, key, &why);
	if (s->tls_ctx == NULL) {
		if (s->mode == SMTPD_SUBMISSIONS)
			die(EXIT_TEMP, "TLS: %s", log_esc_s(sbuf_str(&why)));
		log_warn("TLS: %s: STARTTLS not offered",
		    log_esc_s(sbuf_str(&why)));
	}
	sbuf_fini(&why);
}

/*
 * The maps: 0, or -1 with errno (nothing left open).  A fork server opens
 * them once and its children inherit the mappings; cdbmap reopens a map
 * that tern-maps replaced, at its first lookup in the child (cdbmap.h).
 */
static int
maps_open(struct smtpd *s, const char **map_dir_r)
{
	const char *delim;

	if ((*map_dir_r = conf_path(s->cf, "map_dir")) == NULL ||
	    (delim = conf_str(s->cf, "recipient_delimiter")) == NULL)
		die(EXIT_TEMP, "bad map_dir or recipient_delimiter");
	if (s->maps_open)
		return 0;
	if (resolve_maps_open(&s->maps, *map_dir_r, delim) < 0)
		return -1;
	if (s->mode == SMTPD_SUBMISSION || s->mode == SMTPD_SUBMISSIONS)
		senders(s, *map_dir_r);
	s->maps_open = 1;
	return 0;
}

/*
 * Asked by the fork server before each fork: did tern.conf change?  And,
 * at most once a second, is each map still the file on disk?  A replaced
 * map is loaded here, once, and made huge (lib/resolve.h), so the next
 * children inherit it ready instead of each reopening it.
 */
static int
forkserver_stale(void *arg)
{
	struct smtpd *s = arg;

	if (s->maps_open)
		(void)resolve_maps_check(&s->maps);	/* a child checks too */
	return forkserver_conf_stale(s->cf);
}

/*
 * Started as a fork server (NAME.forkserver, lib/forkserver.h): the
 * configuration is read and the TLS context built once, here; each
 * connection is a child that returns from this function.  The maps are
 * opened here too, and a large accounts.cdb put in the page cache in
 * 2 MiB pages (cdbmap_hugepages: fewer TLB misses and page faults in a
 * session that makes many lookups, bench/million).
 */
static void
forkserver(struct smtpd *s, char **argv)
{
	int fd = forkserver_fd(), r;

	const char *map_dir;

	if (fd < 0)
		return;
	/*
	 * The time zone for the Received: header's date, read here once:
	 * otherwise each session's first localtime_r() opens, reads and
	 * parses /etc/localtime (7 system calls and a few heap pages).
	 */
	tzset();
	tls_setup(s, 1);
	session_user(s);
	/* A map that cannot be opened now: each session tries (and says). */
	if (maps_open(s, &map_dir) == 0)
		(void)resolve_maps_hugepages(&s->maps);	/* a hint */
	/*
	 * The code's page-table entries copied at each fork
	 * (forkserver_share_text) on the submission ports only, whose
	 * every session runs TLS.  A plain session on port 25 or LMTP runs
	 * little of libcrypto's code: it paid ~0.25 ms more CPU for the
	 * entries copied and freed than the ~20 faults they saved; a
	 * STARTTLS session came out even (bench/RESULTS.md, smtpfork).
	 */
	r = forkserver_serve_text(fd, forkserver_stale, s, argv,
	    s->mode == SMTPD_SUBMISSION || s->mode == SMTPD_SUBMISSIONS);
	if (r == 0) {
		s->forked = 1;
		return;		/* a connection's child */
	}
	if (r < 0)
		die_sys(EXIT_TEMP, "forkserver");
	exit(EXIT_OK);		/* tern-supervise closed the socket */
}

/* Everything that needs privilege, while we may still have it. */
static void
setup(struct smtpd *s)
{
	const char *map_dir;

	rate_dir(s);
	if (maps_open(s, &map_dir) < 0)
		die_sys(EXIT_TEMP, "cannot open the maps in %s",
		    log_esc_s(map_dir));
	if (!s->tls_set_up)
		tls_setup(s, 0);
}

/* STYLE 10: never serve the network as root. */
static void
drop(struct smtpd *s)
{
	const char *why = "";
	int r;

	session_user(s);
	r = s->has_ids ? priv_drop(s->uid, s->gid, NULL, &why) :
	    PRIV_SKIPPED;
	if (r == PRIV_SKIPPED)
		log_debug("not root: running as uid %lu",
		    (unsigned long)getuid());
	else if (r != PRIV_DROPPED)
		die_sys(EXIT_TEMP, "cannot become %s: %s",
		    log_esc_s(conf_str(s->cf, "user")), why);
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "refusing to run as root");
}

int
main(int argc, char **argv)
{
	static struct smtpd s;
	const char *opt_c = NULL, *opt_m = NULL;
	int ch, keep[1] = { forkserver_fd() };

	if (proc_init(keep, keep[0] >= 0 ? 1 : 0, PROC_NOCORE) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-smtpd", 0);
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
	smtpd_init(&s);
	s.mode = parse_mode(opt_m);
	config(&s, opt_c);
	forkserver(&s, argv);
	client_ip(&s);
	submission_config(&s);
	setup(&s);
	drop(&s);
	smtpd_serve(&s);
	smtpd_rate_sweep(&s);	/* now and then, after the client */
	smtpd_close(&s);
#ifndef TERN_SAN
	/*
	 * A fork server's child: freeing its copy of the TLS context and
	 * OpenSSL's atexit clean-up wrote to pages it shared with the
	 * server, a copy-on-write fault each (bench/smtp: ~40% of a
	 * session's CPU); the kernel frees it all at once.  Sanitizer
	 * builds free and exit, so LeakSanitizer still checks a session.
	 */
	if (s.forked)
		_exit(EXIT_OK);
#endif
	smtpd_fini(&s);
	return EXIT_OK;
}
