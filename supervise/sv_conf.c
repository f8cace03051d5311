/* sv_conf.c - the services of tern.conf, read through lib/conf. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/ipnet.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/roles.h"
#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/sock.h"

#include "supervise/supervise.h"

#define SV_DEFAULT_DELAY_MS	1000	/* when restart_delay is 0 or unset */

static int
key(char *buf, size_t size, const char *name, const char *attr)
{
	int n = snprintf(buf, size, "%s.%s", name, attr);

	return n < 0 || (size_t)n >= size ? -1 : 0;
}

static const char *
svc_str(const struct conf *cf, const char *name, const char *attr)
{
	char k[SV_NAME_MAX + 32];

	if (key(k, sizeof k, name, attr) < 0)
		return NULL;
	return conf_str(cf, k);
}

static int
svc_uint(const struct conf *cf, const char *name, const char *attr,
    uint64_t *r)
{
	char k[SV_NAME_MAX + 32];

	*r = 0;
	if (key(k, sizeof k, name, attr) < 0)
		return -1;
	if (conf_str(cf, k) == NULL)
		return 0;
	return conf_uint(cf, k, r);
}

static int
valid_name(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SV_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_' || s[i] == '-'))
			return 0;
	return 1;
}

static int
is_enabled(const struct conf *cf, const char *name)
{
	char k[SV_NAME_MAX + 32];
	int on = 1;

	if (key(k, sizeof k, name, "enable") < 0)
		return 0;
	if (conf_str(cf, k) == NULL)
		return 1;
	if (conf_bool(cf, k, &on) < 0)
		return 1;
	return on;
}

static int
load_listen(const struct conf *cf, struct sv_spec *s, struct sbuf *err)
{
	char k[SV_NAME_MAX + 32], **w = NULL;
	const char *why = "";
	size_t n = 0, i;

	if (key(k, sizeof k, s->name, "listen") < 0)
		return -1;
	if (conf_str(cf, k) == NULL)
		return 0;
	if (conf_list(cf, k, &w, &n) < 0) {
		(void)sbuf_printf(err, "%s: cannot read", k);
		return -1;
	}
	if (n > SV_LISTEN_MAX) {
		(void)sbuf_printf(err, "%s: more than %d addresses", k,
		    SV_LISTEN_MAX);
		free(w);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (sock_parse_s(w[i], &s->listen[i], &why) < 0) {
			(void)sbuf_printf(err, "%s: %s: %s", k,
			    log_esc_s(w[i]), why);
			free(w);
			return -1;
		}
	s->nlisten = n;
	free(w);
	return 0;
}

static int
load_program(const struct sv_config *c, const struct conf *cf,
    struct sv_spec *s, struct sbuf *err)
{
	const char *p = svc_str(cf, s->name, "program");
	struct sbuf path;
	int rc = -1;

	if (p == NULL || *p == '\0') {
		(void)sbuf_printf(err, "%s.program is not set", s->name);
		return -1;
	}
	sbuf_init(&path, PATH_MAX);
	if (p[0] == '/')
		rc = sbuf_set_s(&path, p);
	else if (strchr(p, '/') != NULL) {
		(void)sbuf_printf(err, "%s.program: %s: give a bare name "
		    "(looked up in program_dir) or an absolute path",
		    s->name, log_esc_s(p));
		goto out;
	} else if (c->program_dir == NULL) {
		(void)sbuf_printf(err, "%s.program: %s: program_dir is not set",
		    s->name, log_esc_s(p));
		goto out;
	} else
		rc = sbuf_printf(&path, "%s/%s", c->program_dir, p);
	if (rc < 0 || sbuf_str(&path) == NULL ||
	    (s->program = mem_strdup(sbuf_str(&path))) == NULL) {
		(void)sbuf_printf(err, "%s.program: path too long", s->name);
		rc = -1;
		goto out;
	}
	/* A name that is no program here is a mistake in the file: say so
	 * now, not by a failed start every restart_delay. */
	if (access(s->program, X_OK) < 0) {
		(void)sbuf_printf(err, "%s.program: %s: %s", s->name,
		    log_esc_s(s->program), strerror(errno));
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	sbuf_fini(&path);
	return rc;
}

static int
load_args(const struct conf *cf, struct sv_spec *s, struct sbuf *err)
{
	const char *a = svc_str(cf, s->name, "args"), *base;
	size_t n = 0, i, j;

	base = strrchr(s->program, '/');
	if ((s->argv[n++] = mem_strdup(base + 1)) == NULL)
		return -1;
	for (i = 0; a != NULL && a[i] != '\0'; i = j) {
		while (a[i] == ' ' || a[i] == '\t')
			i++;
		for (j = i; a[j] != '\0' && a[j] != ' ' && a[j] != '\t'; j++)
			continue;
		if (j == i)
			break;
		if (n > SV_ARGS_MAX) {
			(void)sbuf_printf(err, "%s.args: more than %d words",
			    s->name, SV_ARGS_MAX);
			return -1;
		}
		if ((s->argv[n++] = mem_strndup(a + i, j - i)) == NULL)
			return -1;
	}
	s->argv[n] = NULL;
	return 0;
}

static int
load_type(const struct conf *cf, struct sv_spec *s, struct sbuf *err)
{
	const char *t = svc_str(cf, s->name, "type");

	if (t == NULL || *t == '\0')
		s->type = s->nlisten > 0 ? SV_TCP : SV_DAEMON;
	else if (strcmp(t, "tcp") == 0)
		s->type = SV_TCP;
	else if (strcmp(t, "daemon") == 0)
		s->type = SV_DAEMON;
	else {
		(void)sbuf_printf(err, "%s.type: %s: want tcp or daemon",
		    s->name, log_esc_s(t));
		return -1;
	}
	if (s->type == SV_TCP && s->nlisten == 0) {
		(void)sbuf_printf(err, "%s: type tcp needs %s.listen", s->name,
		    s->name);
		return -1;
	}
	if (s->type == SV_DAEMON && s->nlisten > 0) {
		(void)sbuf_printf(err, "%s: a daemon takes no %s.listen",
		    s->name, s->name);
		return -1;
	}
	return 0;
}

/* The program's -m mode ("-m imap" or "-mimap"), or "". */
static const char *
arg_mode(const struct sv_spec *s)
{
	size_t i;

	for (i = 1; i <= SV_ARGS_MAX && s->argv[i] != NULL; i++) {
		if (strcmp(s->argv[i], "-m") == 0)
			return s->argv[i + 1] != NULL ? s->argv[i + 1] : "";
		if (strncmp(s->argv[i], "-m", 2) == 0)
			return s->argv[i] + 2;
	}
	return "";
}

/*
 * NAME.refuse not set: the line a client of this program understands as
 * "busy, come back later" (RFC 5321 421, RFC 3501 BYE, RFC 3206's
 * SYS/TEMP), so that a refused client retries instead of reporting a
 * broken server; nothing on an implicit-TLS port (the client is waiting
 * for a handshake) or for a program tern-supervise does not know.
 */
static const char *
auto_refuse(const struct conf *cf, const struct sv_spec *s, char *line,
    size_t size)
{
	const char *prog = s->argv[0], *m = arg_mode(s), *host;
	int n;

	if (strcmp(prog, "tern-smtpd") == 0 && (strcmp(m, "smtp") == 0 ||
	    strcmp(m, "submission") == 0 || strcmp(m, "lmtp") == 0)) {
		host = conf_str(cf, "hostname");
		n = snprintf(line, size, "421 4.7.0 %s%sError: too many "
		    "connections, try again later", host != NULL ? host : "",
		    host != NULL && *host != '\0' ? " " : "");
		return n > 0 && (size_t)n < size &&
		    strpbrk(line, "\r\n") == NULL ? line : "";
	}
	if (strcmp(prog, "tern-imapd") != 0 &&
	    strcmp(prog, "tern-pop3d") != 0 && strcmp(prog, "tern-proxy") != 0)
		return "";
	if (strcmp(m, "imap") == 0)
		return "* BYE [UNAVAILABLE] Too many connections, try again "
		    "later";
	if (strcmp(m, "pop3") == 0)
		return "-ERR [SYS/TEMP] Too many connections, try again later";
	return "";
}

static int
load_limits(const struct conf *cf, struct sv_spec *s, struct sbuf *err)
{
	char k[SV_NAME_MAX + 32], line[SV_REFUSE_MAX + 1];
	const char *r, *why = "";
	uint64_t d = 0;
	size_t i;

	if (svc_uint(cf, s->name, "max_connections", &s->max_conn) < 0 ||
	    svc_uint(cf, s->name, "max_per_ip", &s->max_per_ip) < 0) {
		(void)sbuf_printf(err, "%s: bad connection limit", s->name);
		return -1;
	}
	/* An IMAP or POP3 session holds its connection for hours (a mail
	 * client keeps several open all day): not set, their services
	 * take SV_SESSION_CONN_DEFAULT, like Dovecot's imap process_limit. */
	if (key(k, sizeof k, s->name, "max_connections") < 0)
		return -1;
	if (!conf_is_set(cf, k) && (strcmp(s->argv[0], "tern-imapd") == 0 ||
	    strcmp(s->argv[0], "tern-pop3d") == 0 ||
	    strcmp(s->argv[0], "tern-proxy") == 0))
		s->max_conn = SV_SESSION_CONN_DEFAULT;
	if (key(k, sizeof k, s->name, "refuse") < 0)
		return -1;
	r = conf_is_set(cf, k) ? svc_str(cf, s->name, "refuse") :
	    auto_refuse(cf, s, line, sizeof line);
	if (r != NULL && *r != '\0') {
		if (strlen(r) > SV_REFUSE_MAX || strpbrk(r, "\r\n") != NULL) {
			(void)sbuf_printf(err, "%s.refuse: too long or "
			    "multi-line", s->name);
			return -1;
		}
		if ((s->refuse = mem_strdup(r)) == NULL)
			return -1;
	}
	if (key(k, sizeof k, s->name, "max_per_ip_exempt") < 0 ||
	    conf_list(cf, k, &s->exempt, &s->nexempt) < 0)
		return -1;
	for (i = 0; i < s->nexempt; i++)
		if (ipnet_in("127.0.0.1", &s->exempt[i], 1, &why) < 0) {
			(void)sbuf_printf(err, "%s: %s: %s", k,
			    log_esc_s(s->exempt[i]), why);
			return -1;
		}
	if (key(k, sizeof k, s->name, "restart_delay") < 0)
		return -1;
	if (conf_str(cf, k) != NULL && conf_duration(cf, k, &d) < 0) {
		(void)sbuf_printf(err, "%s: bad duration", k);
		return -1;
	}
	if (d > SV_DELAY_MAX_MS / 1000)
		d = SV_DELAY_MAX_MS / 1000;
	s->delay_ms = d > 0 ? d * 1000 : SV_DEFAULT_DELAY_MS;
	return 0;
}

static int
load_spec(const struct sv_config *c, const struct conf *cf, const char *name,
    struct sv_spec *s, struct sbuf *err)
{
	const char *u, *k;

	memset(s, 0, sizeof *s);
	if ((s->name = mem_strdup(name)) == NULL)
		return -1;
	if (load_listen(cf, s, err) < 0 || load_type(cf, s, err) < 0 ||
	    load_program(c, cf, s, err) < 0 || load_args(cf, s, err) < 0 ||
	    load_limits(cf, s, err) < 0)
		return -1;
	/* auto (the default): a fork server for the programs that can be
	 * one (lib/roles.h), on tcp services: an admin gets the fast path
	 * without knowing the key. */
	k = svc_str(cf, name, "forkserver");
	if (k == NULL || *k == '\0' || strcmp(k, "auto") == 0)
		s->forkserver = s->type == SV_TCP &&
		    roles_forkserver(s->program);
	else if (scan_bool_s(k, &s->forkserver) < 0 ||
	    (s->forkserver && s->type != SV_TCP)) {
		(void)sbuf_printf(err, "%s.forkserver: want yes, no or auto, "
		    "and yes only for a tcp service", name);
		return -1;
	}
	u = svc_str(cf, name, "user");
	if (u != NULL && *u != '\0' && (s->user = mem_strdup(u)) == NULL)
		return -1;
	return 0;
}

static int
dup_opt(const struct conf *cf, const char *k, char **r)
{
	const char *v = conf_str(cf, k);

	*r = NULL;
	if (v == NULL || *v == '\0')
		return 0;
	return (*r = mem_strdup(v)) == NULL ? -1 : 0;
}

static int
load_services(struct sv_config *c, const struct conf *cf, struct sbuf *err)
{
	char **names = NULL;
	size_t n = 0, i, j;
	int rc = -1;

	if (conf_str(cf, "services") == NULL)
		return 0;
	if (conf_list(cf, "services", &names, &n) < 0) {
		(void)sbuf_printf(err, "services: cannot read the list");
		return -1;
	}
	if ((c->specs = mem_alloc(n, sizeof *c->specs)) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if (!valid_name(names[i])) {
			(void)sbuf_printf(err, "services: bad name %s",
			    log_esc_s(names[i]));
			goto out;
		}
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0) {
				(void)sbuf_printf(err, "services: %s listed "
				    "twice", names[i]);
				goto out;
			}
		if (!is_enabled(cf, names[i]))
			continue;
		if (load_spec(c, cf, names[i], &c->specs[c->nspecs++],
		    err) < 0)
			goto out;
	}
	rc = 0;
out:
	if (rc < 0 && err->len == 0)
		(void)sbuf_printf(err, "services: %s", strerror(errno));
	free(names);
	return rc;
}

int
svconf_load(const char *path, struct sv_config *c, struct sbuf *err)
{
	struct conf *cf = NULL;
	const char *log;
	int rc = -1, nbad;

	memset(c, 0, sizeof *c);
	if (conf_load(path, &cf, err) < 0)
		return -1;
	if ((c->path = mem_strdup(path)) == NULL ||
	    dup_opt(cf, "program_dir", &c->program_dir) < 0 ||
	    dup_opt(cf, "run_dir", &c->run_dir) < 0)
		goto out;
	log = conf_str(cf, "log");
	c->log_stderr = log != NULL && strcmp(log, "stderr") == 0;
	if (c->run_dir == NULL) {
		(void)sbuf_printf(err, "%s: run_dir is not set", path);
		goto out;
	}
	/* Services the host's roles do not run are refused (lib/roles.h). */
	if (sbuf_printf(err, "%s: roles and services disagree:", path) < 0 ||
	    (nbad = roles_check(cf, err)) < 0)
		goto out;
	if (nbad > 0) {
		errno = EINVAL;
		goto out;
	}
	sbuf_reset(err);
	if (load_services(c, cf, err) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0 && err->len == 0)
		(void)sbuf_printf(err, "%s: %s", path, strerror(errno));
	conf_free(&cf);
	if (rc < 0)
		svconf_free(c);
	return rc;
}

void
svspec_free(struct sv_spec *s)
{
	size_t i;

	mem_free(&s->name);
	mem_free(&s->program);
	for (i = 0; i < SV_ARGS_MAX + 2; i++)
		mem_free(&s->argv[i]);
	mem_free(&s->user);
	mem_free(&s->refuse);
	free(s->exempt);	/* conf_list: one allocation */
	memset(s, 0, sizeof *s);
}

void
svconf_free(struct sv_config *c)
{
	size_t i;

	for (i = 0; i < c->nspecs; i++)
		svspec_free(&c->specs[i]);
	mem_free(&c->specs);
	mem_free(&c->path);
	mem_free(&c->program_dir);
	mem_free(&c->run_dir);
	memset(c, 0, sizeof *c);
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

int
svspec_equal(const struct sv_spec *a, const struct sv_spec *b)
{
	size_t i;

	if (!str_eq(a->name, b->name) || a->type != b->type ||
	    a->nlisten != b->nlisten || !str_eq(a->program, b->program) ||
	    !str_eq(a->user, b->user) || a->max_conn != b->max_conn ||
	    a->max_per_ip != b->max_per_ip || !str_eq(a->refuse, b->refuse) ||
	    a->delay_ms != b->delay_ms || a->forkserver != b->forkserver)
		return 0;
	for (i = 0; i < a->nlisten; i++)
		if (!sock_equal(&a->listen[i], &b->listen[i]))
			return 0;
	if (a->nexempt != b->nexempt)
		return 0;
	for (i = 0; i < a->nexempt; i++)
		if (strcmp(a->exempt[i], b->exempt[i]) != 0)
			return 0;
	for (i = 0; i < SV_ARGS_MAX + 2; i++) {
		if (!str_eq(a->argv[i], b->argv[i]))
			return 0;
		if (a->argv[i] == NULL)
			break;
	}
	return 1;
}

void
svspec_move(struct sv_spec *to, struct sv_spec *from)
{
	svspec_free(to);
	*to = *from;
	memset(from, 0, sizeof *from);
}
