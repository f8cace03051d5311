/*
 * tern-conf - check tern.conf and print the effective configuration.
 *
 *	tern-conf [-c FILE] [-n] [-h] [KEY...]
 *
 * Like postconf: with no KEY, every key with its effective value (-n: only
 * what the files set); with KEYs, "key = value" for each (-h: the value
 * only).  Without KEY, every service named in "services" is checked the
 * way tern-supervise loads it (a program, a tcp service with addresses, a
 * daemon without).  Exit 0 when the file is valid, 100 when it is not (the FILE:LINE
 * messages on stderr), 111 when it cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#define ERR_MAX		(64 * 1024)	/* room for CONF_ERRORS_MAX lines */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: tern-conf [-c FILE] [-n] [-h] [KEY...]\n");
	exit(EXIT_PERM);
}

static int
print_key(const struct conf *c, const char *key, int value_only)
{
	const char *v;

	if (strcmp(key, "conf_dir") != 0 && conf_key_find(key) == NULL) {
		fprintf(stderr, "tern-conf: unknown key '%s'\n",
		    log_esc_s(key));
		return -1;
	}
	if ((v = conf_str(c, key)) == NULL) {
		fprintf(stderr, "tern-conf: %s: no value\n", key);
		return -1;
	}
	if (value_only)
		return printf("%s\n", v) < 0 ? -1 : 0;
	return printf("%s =%s%s\n", key, v[0] ? " " : "", v) < 0 ? -1 : 0;
}

/* NAME.attr's value, or NULL (unset or too long a name). */
static const char *
svc_str(const struct conf *c, const char *name, const char *attr)
{
	char k[256];
	int n = snprintf(k, sizeof k, "%s.%s", name, attr);

	if (n < 0 || (size_t)n >= sizeof k || !conf_is_set(c, k))
		return NULL;
	return conf_str(c, k);
}

/*
 * One listed service as tern-supervise(8) loads it (supervise/sv_conf.c;
 * whether the program is there is left to it): 0, or -1 with the reason
 * printed.  Without this, a file tern-conf
 * called valid could still be refused at the start ("type tcp needs
 * NAME.listen" for a service listed without its block).
 */
static int
check_service(const struct conf *c, const char *path, const char *name)
{
	const char *prog, *type;
	int listens, on = 1;

	if ((type = svc_str(c, name, "enable")) != NULL &&
	    scan_bool_s(type, &on) == 0 && !on)
		return 0;
	listens = svc_str(c, name, "listen") != NULL &&
	    svc_str(c, name, "listen")[0] != '\0';
	type = svc_str(c, name, "type");
	if (type != NULL && *type != '\0' && strcmp(type, "tcp") != 0 &&
	    strcmp(type, "daemon") != 0) {
		fprintf(stderr, "%s: %s.type: want tcp or daemon\n", path, name);
		return -1;
	}
	if (type != NULL && strcmp(type, "tcp") == 0 && !listens) {
		fprintf(stderr, "%s: %s: type tcp needs %s.listen (listed in "
		    "services without its block?)\n", path, name, name);
		return -1;
	}
	if (type != NULL && strcmp(type, "daemon") == 0 && listens) {
		fprintf(stderr, "%s: %s: a daemon takes no %s.listen\n", path,
		    name, name);
		return -1;
	}
	if ((prog = svc_str(c, name, "program")) == NULL || *prog == '\0') {
		fprintf(stderr, "%s: %s.program is not set (listed in services "
		    "without its block?)\n", path, name);
		return -1;
	}
	return 0;
}

static int
check_services(const struct conf *c, const char *path)
{
	char **w;
	size_t n, i;
	int rc = 0;

	if (conf_services(c, &w, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (check_service(c, path, w[i]) < 0)
			rc = -1;
	free(w);
	return rc;
}

/* relay_host as tern-qmgr reads it at its start (qmgr_conf.c), which
 * exits 100 on a bad one and leaves the queue undelivered. */
static int
check_relay(const struct conf *c, const char *path)
{
	const char *r = conf_str(c, "relay_host"), *why = "";
	struct maps_nexthop nh;

	if (r == NULL || r[0] == '\0')
		return 0;
	if (maps_nexthop_parse(r, strlen(r), &nh, &why) < 0 ||
	    nh.kind == MAPS_HOP_LOCAL || strlen(r) > REMOTE_HOP_MAX) {
		fprintf(stderr, "%s: relay_host: '%s': not a next hop "
		    "(smtp:[HOST]:PORT, smtp:HOST, lmtp:HOST:PORT)\n", path, r);
		return -1;
	}
	return 0;
}

static void __attribute__((noreturn))
fail(struct sbuf *err, int code)
{
	const char *s = sbuf_str(err);

	if (s != NULL && s[0] != '\0')
		fprintf(stderr, "%s\n", s);
	sbuf_fini(err);
	exit(code);
}

int
main(int argc, char **argv)
{
	const char *opt_c = NULL, *path;
	struct conf *c;
	struct sbuf err;
	int ch, only_set = 0, value_only = 0, i, rc = EXIT_OK;

	log_init("tern-conf", LOG_STDERR);
	while ((ch = getopt(argc, argv, "c:nh")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'n':
			only_set = 1;
			break;
		case 'h':
			value_only = 1;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if ((path = conf_locate(opt_c)) == NULL)
		die_sys(EXIT_TEMP, "cannot locate tern.conf");
	sbuf_init(&err, ERR_MAX);
	if (conf_load(path, &c, &err) < 0)
		fail(&err, errno == EINVAL ? EXIT_PERM : EXIT_TEMP);
	if (conf_validate(c, &err) < 0) {
		ch = errno == EINVAL ? EXIT_PERM : EXIT_TEMP;
		conf_free(&c);
		fail(&err, ch);
	}
	sbuf_fini(&err);
	if (argc == 0 && (check_services(c, path) < 0 ||
	    check_relay(c, path) < 0)) {
		conf_free(&c);
		exit(EXIT_PERM);
	}
	if (argc == 0) {
		if (conf_dump(c, stdout, only_set) < 0)
			rc = EXIT_TEMP;
	} else {
		for (i = 0; i < argc; i++)
			if (print_key(c, argv[i], value_only) < 0)
				rc = EXIT_PERM;
	}
	conf_free(&c);
	if (fflush(stdout) != 0 || ferror(stdout))
		die_sys(EXIT_TEMP, "write");
	return rc;
}
