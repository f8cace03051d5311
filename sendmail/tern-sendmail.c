/*
 * tern-sendmail - the sendmail command line on top of tern-enqueue; also
 * "mailq" (-bp: tern-mailq) and "newaliases" (-bi: tern-maps).  See
 * tern-sendmail(8).
 *
 *   sendmail [-t] [-i|-oi] [-f sender] [-F name] [-C file] [-bm|-bp|-bi]
 *            [-o... -v -B -N -R -V ignored] [--] [recipient ...]
 */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/addr.h"
#include "lib/bio.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/priv.h"

#include "sendmail/sendmail.h"

enum sm_mode { SM_SEND, SM_MAILQ, SM_NEWALIASES };

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
	    "[-C file] [-bm|-bp|-bi] [--] [recipient ...]");
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
		else if (strcmp(a, "-bp") == 0)
			mode = SM_MAILQ;
		else if (strcmp(a, "-bi") == 0)
			mode = SM_NEWALIASES;
		else if (a[1] == 'o' || strcmp(a, "-v") == 0 ||
		    strcmp(a, "-U") == 0 || strcmp(a, "-n") == 0 ||
		    strcmp(a, "-em") == 0 || strcmp(a, "-ee") == 0)
			continue;	/* -odi -odb -oem ...: no meaning here */
		else if (a[1] == 'B' || a[1] == 'N' || a[1] == 'R' ||
		    a[1] == 'V' || a[1] == 'X' || a[1] == 'O')
			(void)optval(argv, &i, 2);	/* ignored, with value */
		else
			sm_die(EX_USAGE, "unsupported option %s",
			    log_esc_s(a));
	}
	m->args = argv + i;
	m->nargs = argc - i;
	return mode;
}

/* -bp and -bi: run tern-mailq or tern-maps with our configuration. */
static void __attribute__((noreturn))
run_tool(struct sm *m, const char *tool)
{
	struct sbuf path;
	const char *dir;
	char *argv[4];
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
	mode = args(&m, argc, argv, mode);
	config(&m);
	if (mode == SM_MAILQ)
		run_tool(&m, "tern-mailq");
	if (mode == SM_NEWALIASES)
		run_tool(&m, "tern-maps");
	envelope_init(&m.env);
	sbuf_init(&m.line, SM_LINE_MAX);
	sbuf_init(&m.hdr, SM_HDR_MAX);
	m.pid = -1;
	m.msg_fd = m.env_fd = -1;
	rc = send_message(&m);
	bio_free(&m.in);
	sbuf_fini(&m.line);
	sbuf_fini(&m.hdr);
	envelope_fini(&m.env);
	conf_free(&m.cf);
	return rc;
}
