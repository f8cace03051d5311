/*
 * tern-conf - check tern.conf and print the effective configuration.
 *
 *	tern-conf [-c FILE] [-n] [-h] [KEY...]
 *
 * Like postconf: with no KEY, every key with its effective value (-n: only
 * what the files set); with KEYs, "key = value" for each (-h: the value
 * only).  Exit 0 when the file is valid, 100 when it is not (the FILE:LINE
 * messages on stderr), 111 when it cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/sbuf.h"

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
	return printf("%s = %s\n", key, v) < 0 ? -1 : 0;
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
