/*
 * tern-sendmail - the sendmail command line on top of tern-enqueue; also
 * "mailq" (-bp: tern-mailq) and "newaliases" (-bi: tern-maps).  See
 * tern-sendmail(8).
 *
 *   sendmail [-t] [-i|-oi] [-f sender] [-F name] [-C file] [-N dsn]
 *            [-R full|hdrs] [-V envid] [-bm|-bs|-bp|-bi|-q]
 *            [-o... -v -B ignored] [--] [recipient ...]
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/addr.h"
#include "lib/bio.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/priv.h"

#include "sendmail/sendmail.h"

enum sm_mode { SM_SEND, SM_SMTP, SM_MAILQ, SM_NEWALIASES, SM_FLUSH };

static const char *const env_allow[] = { "TZ", "TERN_LOG", "TERN_HOME",
	"TERN_CONF", "LANG", "LC_*", "TERM", "COLUMNS", NULL };

void
sm_die(int code, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof buf, fmt, ap);	/* cut if long */
	va_end(ap);
	log_err("%s", buf);
	exit(code);
}

static void __attribute__((noreturn))
usage(void)
{
	sm_die(EX_USAGE, "usage: sendmail [-t] [-i] [-f sender] [-F name] "
	    "[-C file] [-N dsn] [-R full|hdrs] [-V envid] [-bm|-bs|-bp|-bi|-q] "
	    "[--] [recipient ...]");
}

/* The value of "-xVALUE" or "-x VALUE". */
static const char *
optval(char **argv, int *i, size_t at)
{
	if (argv[*i][at] != '\0')
		return argv[*i] + at;
	if (argv[*i + 1] == NULL)
		usage();
	return argv[++*i];
}

/* -N: "never", or a comma list of success, delay, failure (RFC 3461). */
static void
opt_notify(struct sm *m, const char *v)
{
	static const struct {
		const char	*word;
		unsigned	 bit;
	} w[] = {
		{ "never", ENV_N_NEVER }, { "success", ENV_N_SUCCESS },
		{ "delay", ENV_N_DELAY }, { "failure", ENV_N_FAILURE },
	};
	const char *p = v, *e;
	size_t i, n;

	m->notify = 0;
	for (;;) {
		e = strchr(p, ',');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		while (n > 0 && *p == ' ') {
			p++;
			n--;
		}
		for (i = 0; i < sizeof(w) / sizeof(w[0]); i++)
			if (strlen(w[i].word) == n &&
			    strncasecmp(w[i].word, p, n) == 0)
				break;
		if (i == sizeof(w) / sizeof(w[0]))
			sm_die(EX_USAGE, "-N: bad value %s (never, or a list of "
			    "success, delay, failure)", log_esc_s(v));
		m->notify |= w[i].bit;
		if (e == NULL)
			break;
		p = e + 1;
	}
	if ((m->notify & ENV_N_NEVER) && m->notify != ENV_N_NEVER)
		sm_die(EX_USAGE, "-N: never with another value");
}

/* -R: what a failure report returns (RFC 3461 4.3). */
static void
opt_ret(struct sm *m, const char *v)
{
	if (strcasecmp(v, "full") == 0)
		m->env.ret = ENV_RET_FULL;
	else if (strcasecmp(v, "hdrs") == 0)
		m->env.ret = ENV_RET_HDRS;
	else
		sm_die(EX_USAGE, "-R: full or hdrs, not %s", log_esc_s(v));
}

/* -V: the envelope id, printable ASCII or space, at most 100 bytes. */
static void
opt_envid(struct sm *m, const char *v)
{
	size_t i, n = strlen(v);

	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] > 0x7e)
			break;
	if (n == 0 || i < n || n > ENV_ENVID_MAX)
		sm_die(EX_USAGE, "-V: the envelope id must be 1 to %d "
		    "printable ASCII characters", ENV_ENVID_MAX);
	(void)strlcpy(m->env.envid, v, sizeof m->env.envid);	/* fits */
}

static enum sm_mode
args(struct sm *m, int argc, char **argv, enum sm_mode mode)
{
	const char *a;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-t") == 0)
			m->opt_t = 1;
		else if (strcmp(a, "-i") == 0 || strcmp(a, "-oi") == 0)
			m->opt_i = 1;
		else if (a[1] == 'f' || a[1] == 'r')
			m->opt_f = optval(argv, &i, 2);
		else if (a[1] == 'F')
			m->opt_F = optval(argv, &i, 2);
		else if (a[1] == 'C')
			m->opt_conf = optval(argv, &i, 2);
		else if (strcmp(a, "-bm") == 0)
			mode = SM_SEND;
		else if (strcmp(a, "-bs") == 0)
			mode = SM_SMTP;
		else if (strcmp(a, "-bp") == 0)
			mode = SM_MAILQ;
		else if (strcmp(a, "-bi") == 0)
			mode = SM_NEWALIASES;
		else if (strcmp(a, "-q") == 0)
			mode = SM_FLUSH;
		else if (a[1] == 'b' || a[1] == 'q')
			sm_die(EX_USAGE, "%s is not supported: tern-sendmail "
			    "does -bm, -bs, -bp, -bi and -q (tern-supervise "
			    "runs the daemons, tern-qmgr the queue)",
			    log_esc_s(a));
		else if (a[1] == 'N')
			opt_notify(m, optval(argv, &i, 2));
		else if (a[1] == 'R')
			opt_ret(m, optval(argv, &i, 2));
		else if (a[1] == 'V')
			opt_envid(m, optval(argv, &i, 2));
		else if (a[1] == 'o' || strcmp(a, "-v") == 0 ||
		    strcmp(a, "-U") == 0 || strcmp(a, "-n") == 0 ||
		    strcmp(a, "-em") == 0 || strcmp(a, "-ee") == 0)
			continue;	/* -odi -odb -oem ...: no meaning here */
		else if (a[1] == 'B' || a[1] == 'X' || a[1] == 'O')
			(void)optval(argv, &i, 2);	/* ignored, with value */
		else
			sm_die(EX_USAGE, "unsupported option %s",
			    log_esc_s(a));
	}
	m->args = argv + i;
	m->nargs = argc - i;
	return mode;
}

/* -bp, -q and -bi: run tern-mailq or tern-maps with our configuration. */
static void __attribute__((noreturn))
run_tool(struct sm *m, const char *tool, const char *opt)
{
	struct sbuf path;
	const char *dir;
	char *argv[5];
	char **envp;
	int n = 0;

	sbuf_init(&path, 4096);
	if ((dir = conf_path(m->cf, "program_dir")) == NULL ||
	    sbuf_printf(&path, "%s/%s", dir, tool) < 0 ||
	    sbuf_str(&path) == NULL)
		sm_die(EX_CONFIG, "bad program_dir");
	argv[n++] = (char *)tool;
	if (m->opt_conf != NULL) {
		argv[n++] = (char *)"-c";
		argv[n++] = (char *)m->opt_conf;
	}
	if (opt != NULL)
		argv[n++] = (char *)opt;
	argv[n] = NULL;
	if ((envp = env_build(env_allow, NULL)) == NULL)
		sm_die(EX_OSERR, "cannot build the environment");
	(void)execve(path.s, argv, envp);
	sm_die(EX_UNAVAILABLE, "cannot run %s: %s", log_esc_s(path.s),
	    strerror(errno));
}

/* The domain of local addresses: sendmail_origin, hostname, the host. */
static void
origin(struct sm *m)
{
	const char *o = conf_str(m->cf, "sendmail_origin"), *why = "";

	if (o == NULL || o[0] == '\0')
		o = conf_str(m->cf, "hostname");
	if (o == NULL || o[0] == '\0') {
		if (gethostname(m->origin, sizeof m->origin - 1) < 0)
			sm_die(EX_OSERR, "gethostname: %s", strerror(errno));
		m->origin[sizeof m->origin - 1] = '\0';
	} else if (strlcpy(m->origin, o, sizeof m->origin) >=
	    sizeof m->origin)
		sm_die(EX_CONFIG, "sendmail_origin too long");
	if (addr_parse_domain(m->origin, strlen(m->origin), 0, &why) < 0)
		sm_die(EX_CONFIG, "bad origin domain %s: %s (set "
		    "sendmail_origin)", log_esc_s(m->origin), why);
}

/* Parse "name" or "name@domain" (bare: @origin) into a formatted out. */
static int
qualify(struct sm *m, const char *a, char *out, size_t size)
{
	struct addr ad;
	struct sbuf b, f;
	const char *why = "";
	size_t n = strlen(a);
	int r = -1;

	if (n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		a++;
		n -= 2;
	}
	sbuf_init(&b, ADDR_PATH_MAX + 1);
	sbuf_init(&f, ADDR_FORMAT_MAX + 1);
	if (sbuf_cat_n(&b, a, n) < 0 ||
	    (memchr(a, '@', n) == NULL && (sbuf_cat_c(&b, '@') < 0 ||
	    sbuf_cat_s(&b, m->origin) < 0)))
		goto out;
	if (addr_parse(b.s, b.len, ADDR_UTF8, &ad, &why) != ADDR_OK ||
	    addr_format(&ad, &f) < 0 || sbuf_str(&f) == NULL ||
	    strlcpy(out, f.s, size) >= size)
		goto out;
	if (ad.is_utf8)
		m->env.flags |= ENV_F_SMTPUTF8;
	r = 0;
out:
	sbuf_fini(&b);
	sbuf_fini(&f);
	return r;
}

/* Who is sending: the user's address, full name, the envelope sender. */
static void
sender(struct sm *m)
{
	struct passwd *pw;
	char name[64];
	size_t k;

	m->uid = getuid();
	pw = getpwuid(m->uid);
	if (pw != NULL && strlen(pw->pw_name) < sizeof name)
		(void)strlcpy(name, pw->pw_name, sizeof name);
	else
		(void)snprintf(name, sizeof name, "uid%lu",
		    (unsigned long)m->uid);
	if (qualify(m, name, m->login, sizeof m->login) < 0)
		sm_die(EX_NOUSER, "cannot make an address of user %s",
		    log_esc_s(name));
	if (m->opt_F != NULL)
		(void)strlcpy(m->fullname, m->opt_F, sizeof m->fullname);
	else if (pw != NULL && pw->pw_gecos != NULL) {
		k = strcspn(pw->pw_gecos, ",");
		if (k < sizeof m->fullname) {
			memcpy(m->fullname, pw->pw_gecos, k);
			m->fullname[k] = '\0';
		}
	}
	if (m->opt_f == NULL)
		(void)strlcpy(m->env.sender, m->login, sizeof m->env.sender);
	else if (m->opt_f[0] == '\0' || strcmp(m->opt_f, "<>") == 0)
		m->env.sender[0] = '\0';
	else if (qualify(m, m->opt_f, m->env.sender,
	    sizeof m->env.sender) < 0)
		sm_die(EX_USAGE, "bad sender address %s", log_esc_s(m->opt_f));
}

static void
config(struct sm *m)
{
	struct sbuf err;

	sbuf_init(&err, 4096);
	if (conf_read(m->opt_conf, &m->cf, &err) < 0)
		sm_die(EX_CONFIG, "cannot read the configuration: %s",
		    log_esc_s(sbuf_str(&err) ? err.s : ""));
	sbuf_fini(&err);
}

static int
send_message(struct sm *m)
{
	origin(m);
	sender(m);
	if ((m->in = bio_new(0, -1)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	bio_set_timeout(m->in, 0, 0);
	sm_read_header(m);
	sm_recipients(m);
	if (qid_new(m->qid) < 0)
		sm_die(EX_OSERR, "cannot make a queue id");
	sm_enq_start(m);
	sm_write_message(m);
	return sm_enq_finish(m);
}

/* -bs: the invoking user's address and the origin, then the dialogue. */
static int
smtp_session(struct sm *m)
{
	origin(m);
	sender(m);
	if (m->nargs > 0)
		sm_die(EX_USAGE, "-bs takes no recipients on the command line");
	return sm_smtp(m);
}

int
main(int argc, char **argv)
{
	static struct sm m;
	const char *base;
	enum sm_mode mode = SM_SEND;
	int rc;

	if (proc_init(NULL, 0, 0) < 0)
		_exit(EX_OSERR);
	log_init("tern-sendmail", LOG_STDERR);
	base = argc > 0 && argv[0] != NULL ? strrchr(argv[0], '/') : NULL;
	base = base != NULL ? base + 1 : argc > 0 && argv[0] ? argv[0] : "";
	if (strcmp(base, "mailq") == 0)
		mode = SM_MAILQ;
	else if (strcmp(base, "newaliases") == 0)
		mode = SM_NEWALIASES;
	envelope_init(&m.env);
	mode = args(&m, argc, argv, mode);
	config(&m);
	if (mode == SM_MAILQ)
		run_tool(&m, "tern-mailq", NULL);
	if (mode == SM_FLUSH)
		run_tool(&m, "tern-mailq", "-f");
	if (mode == SM_NEWALIASES)
		run_tool(&m, "tern-maps", NULL);
	sbuf_init(&m.line, SM_LINE_MAX);
	sbuf_init(&m.hdr, SM_HDR_MAX);
	m.pid = -1;
	m.msg_fd = m.env_fd = -1;
	rc = mode == SM_SMTP ? smtp_session(&m) : send_message(&m);
	bio_free(&m.in);
	sbuf_fini(&m.line);
	sbuf_fini(&m.hdr);
	envelope_fini(&m.env);
	conf_free(&m.cf);
	return rc;
}
