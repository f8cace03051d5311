/* roles.c - the services of each role; see roles.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/string.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/roles.h"
#include "lib/sbuf.h"

static const struct role_name {
	const char	*name;
	unsigned	 mask;
} role_names[] = {
	{ "mx", ROLE_MX },
	{ "storage", ROLE_STORAGE },
	{ "front", ROLE_FRONT },
	{ "submission", ROLE_SUBMISSION },
	{ "all", ROLES_ALL },
	{ NULL, 0 }
};

/*
 * tern's long-running programs and who runs them.  mode NULL matches any
 * arguments; for tern-smtpd the -m mode decides.  tern-smtpd -m smtp is
 * the MX entry, and also what a storage host runs when the MX tier
 * relays to it over SMTP rather than LMTP.
 */
static const struct role_svc {
	const char	*program;
	const char	*mode;
	unsigned	 mask;
	const char	*what;
} role_svcs[] = {
	{ "tern-smtpd", "smtp", ROLE_MX | ROLE_STORAGE,
	    "SMTP on port 25 (mx, or storage fed by SMTP)" },
	{ "tern-smtpd", "submission", ROLE_SUBMISSION, "submission (587)" },
	{ "tern-smtpd", "submissions", ROLE_SUBMISSION, "submissions (465)" },
	{ "tern-smtpd", "lmtp", ROLE_STORAGE, "LMTP from the MX tier" },
	{ "tern-imapd", NULL, ROLE_STORAGE, "the IMAP backend" },
	{ "tern-pop3d", NULL, ROLE_STORAGE, "the POP3 backend" },
	{ "tern-lspawn", NULL, ROLE_STORAGE, "local delivery (Maildirs)" },
	{ "tern-proxy", NULL, ROLE_FRONT, "the IMAP/POP3 front end" },
	{ "tern-qmgr", NULL, ROLE_MX | ROLE_STORAGE | ROLE_SUBMISSION,
	    "the queue manager" },
	{ "tern-enqueue", NULL, ROLE_MX | ROLE_STORAGE | ROLE_SUBMISSION,
	    "the enqueue service (tern-enqueue -S)" },
	{ "tern-remote", NULL, ROLE_MX | ROLE_STORAGE | ROLE_SUBMISSION,
	    "the remote delivery service (tern-remote -S)" },
	{ "tern-authd", NULL, ROLE_STORAGE | ROLE_FRONT | ROLE_SUBMISSION,
	    "the password checker: the mx tier holds no hashes" },
	{ NULL, NULL, 0, NULL }
};

/* The programs that act as fork servers when TERN_FORKSERVER is set. */
static const char *const fork_programs[] = {
	"tern-smtpd", "tern-imapd", "tern-pop3d", "tern-proxy", NULL
};

int
roles_forkserver(const char *program)
{
	const char *base = strrchr(program, '/');
	size_t i;

	base = base != NULL ? base + 1 : program;
	for (i = 0; fork_programs[i] != NULL; i++)
		if (strcmp(base, fork_programs[i]) == 0)
			return 1;
	return 0;
}

int
roles_parse(char *const *words, size_t n, unsigned *mask_r,
    const char **bad_r)
{
	const struct role_name *r;
	size_t i;

	*mask_r = 0;
	*bad_r = NULL;
	for (i = 0; i < n; i++) {
		for (r = role_names; r->name != NULL; r++)
			if (strcmp(words[i], r->name) == 0)
				break;
		if (r->name == NULL) {
			*bad_r = words[i];
			errno = EINVAL;
			return -1;
		}
		*mask_r |= r->mask;
	}
	if (*mask_r == 0)
		*mask_r = ROLES_ALL;	/* an empty list is the default */
	return 0;
}

int
roles_conf(const struct conf *c, unsigned *mask_r)
{
	const char *bad;
	char **w;
	size_t n;
	int r;

	if (conf_list(c, "roles", &w, &n) < 0)
		return -1;
	r = roles_parse(w, n, mask_r, &bad);
	free(w);
	return r;
}

/* The -m mode in an argument string ("-m lmtp", "-mlmtp"), or "". */
static void
smtpd_mode(const char *args, char *mode, size_t size)
{
	const char *p = args, *e;
	size_t n;
	int want = 0;

	mode[0] = '\0';
	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strcspn(p, " \t");
		n = (size_t)(e - p);
		if (n == 0)
			break;
		if (want || (n > 2 && p[0] == '-' && p[1] == 'm')) {
			if (!want) {
				p += 2;
				n -= 2;
			}
			if (n < size) {
				memcpy(mode, p, n);
				mode[n] = '\0';
			}
			return;
		}
		want = n == 2 && p[0] == '-' && p[1] == 'm';
		p = e;
	}
}

unsigned
roles_of_service(const char *program, const char *args, const char **what_r)
{
	const struct role_svc *s;
	const char *base;
	char mode[32];

	if (what_r != NULL)
		*what_r = "not a tern program";
	if (program == NULL)
		return ROLES_ALL;
	base = strrchr(program, '/');
	base = base != NULL ? base + 1 : program;
	smtpd_mode(args != NULL ? args : "", mode, sizeof mode);
	for (s = role_svcs; s->program != NULL; s++) {
		if (strcmp(base, s->program) != 0)
			continue;
		if (s->mode != NULL && strcmp(s->mode, mode) != 0)
			continue;
		if (what_r != NULL)
			*what_r = s->what;
		return s->mask;
	}
	return ROLES_ALL;	/* tern-smtpd without a mode refuses to start */
}

const char *
roles_names(unsigned mask, char *buf, size_t size)
{
	const struct role_name *r;
	int first = 1;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	for (r = role_names; r->name != NULL; r++) {
		if (r->mask == ROLES_ALL || (mask & r->mask) == 0)
			continue;
		if (!first)
			(void)strlcat(buf, " ", size);	/* fixed names: fits */
		(void)strlcat(buf, r->name, size);
		first = 0;
	}
	return buf;
}

/* One service: 1 when the roles forbid it (a line added to err), 0, -1. */
static int
check_one(const struct conf *c, const char *name, unsigned host,
    struct sbuf *err)
{
	char key[300], allowed[64], have[64];
	const char *prog, *args, *what;
	unsigned mask;
	int on, is_many;

	if (snprintf(key, sizeof key, "%s.enable", name) >= (int)sizeof key)
		return 0;	/* not a service name: reported elsewhere */
	if (conf_bool(c, key, &on) < 0 || !on)
		return 0;
	(void)snprintf(key, sizeof key, "%s.program", name);
	prog = conf_str(c, key);
	(void)snprintf(key, sizeof key, "%s.args", name);
	args = conf_str(c, key);
	mask = roles_of_service(prog, args, &what);
	if ((mask & host) != 0)
		return 0;
	(void)roles_names(mask, allowed, sizeof allowed);
	(void)roles_names(host, have, sizeof have);
	is_many = strchr(allowed, ' ') != NULL;
	if (err != NULL && ((err->len > 0 && sbuf_cat_c(err, '\n') < 0) ||
	    sbuf_printf(err, "services: '%s' runs %s (%s), a service of the "
	    "%s role%s; roles = %s does not include %s", name,
	    log_esc_s(prog != NULL ? prog : ""), what, allowed,
	    is_many ? "s" : "", have, is_many ? "any of them" : "it") < 0))
		return -1;
	return 1;
}

int
roles_check(const struct conf *c, struct sbuf *err)
{
	unsigned host;
	char **w;
	size_t n, i;
	int r, count = 0;

	if (roles_conf(c, &host) < 0)
		return -1;
	if (conf_services(c, &w, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!conf_is_service_name(w[i]))
			continue;
		if ((r = check_one(c, w[i], host, err)) < 0) {
			free(w);
			return -1;
		}
		count += r;
	}
	free(w);
	return count;
}
