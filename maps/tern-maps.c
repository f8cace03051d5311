/*
 * tern-maps - compile the text maps of the config folder into cdb files.
 *
 *   tern-maps [-c FILE] [-q] [--tier all|mx|storage|front|submission]
 *             [-o DIR]
 *
 * All or nothing: a bad line anywhere prints every error as FILE:LINE and
 * exits 100 with no map replaced.  See tern-maps(8) and maps(5).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/durable.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/roles.h"
#include "lib/sbuf.h"

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: tern-maps [-c FILE] [-q] [--tier all|mx|"
	    "storage|front|submission] [-o DIR]\n");
	exit(EXIT_PERM);
}

static const char *
tier_name(enum maps_tier t)
{
	switch (t) {
	case MAPS_TIER_ALL:
		return "all";
	case MAPS_TIER_MX:
		return "mx";
	case MAPS_TIER_STORAGE:
		return "storage";
	case MAPS_TIER_FRONT:
		return "front";
	case MAPS_TIER_SUBMISSION:
		return "submission";
	}
	return "?";
}

struct args {
	const char	*opt_c;
	const char	*out;
	enum maps_tier	 tier;
	int		 tier_given;
	int		 quiet;
};

static void
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{ "tier", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	memset(a, 0, sizeof *a);
	a->tier = MAPS_TIER_ALL;
	a->tier_given = 0;
	while ((ch = getopt_long(argc, argv, "c:o:qt:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->opt_c = optarg;
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'q':
			a->quiet = 1;
			break;
		case 't':
			if (maps_tier_parse(optarg, &a->tier) < 0)
				die(EXIT_PERM, "unknown tier: %s", log_esc_s(optarg));
			a->tier_given = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
}

static void
print_errs(struct sbuf *err)
{
	const char *s = sbuf_str(err);

	fputs(s != NULL ? s : "", stderr);
	if (err->len >= err->max)
		fprintf(stderr, "(error list cut)\n");
}

int
main(int argc, char **argv)
{
	struct maps_compile_opts o;
	struct maps_stats st;
	struct conf *cf = NULL;
	struct sbuf err;
	struct args a;
	const char *why;
	size_t nerr;
	unsigned roles;
	int r;

	umask(022);
	log_init("tern-maps", LOG_STDERR);
	parse_args(argc, argv, &a);
	sbuf_init(&err, MAPS_ERRORS_MAX);
	if (conf_load(conf_locate(a.opt_c), &cf, &err) < 0) {
		print_errs(&err);
		die(errno == EINVAL ? EXIT_PERM : EXIT_TEMP,
		    "cannot load the configuration");
	}
	if (maps_compile_opts_conf(&o, cf, &why) < 0)
		die(EXIT_PERM, "%s", why);
	o.tier = a.tier;
	/* A host that is only an MX writes the mx tier unless told. */
	if (!a.tier_given && roles_conf(cf, &roles) == 0 && roles == ROLE_MX)
		o.tier = a.tier = MAPS_TIER_MX;
	if (a.out != NULL) {
		if (durable_mkdirs_sync(a.out, 0755) < 0)
			die_sys(EXIT_TEMP, "cannot create %s", log_esc_s(a.out));
		o.out_dir = a.out;
	}
	sbuf_reset(&err);
	r = maps_compile(&o, &err, &nerr, &st);
	if (r < 0) {
		print_errs(&err);
		if (r == MAPS_EINPUT)
			die(EXIT_PERM, "%zu error%s: no map was replaced", nerr,
			    nerr == 1 ? "" : "s");
		die(EXIT_TEMP, "no map was replaced");
	}
	if (!a.quiet)
		log_info("compiled tier=%s dir=%s accounts=%zu secrets=%zu "
		    "aliases=%zu domains=%zu routes=%zu", tier_name(a.tier),
		    log_esc_s(o.out_dir), st.accounts, st.secrets, st.aliases,
		    st.domains, st.routes);
	sbuf_fini(&err);
	conf_free(&cf);
	return EXIT_OK;
}
