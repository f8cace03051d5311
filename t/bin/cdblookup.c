/*
 * cdblookup - test helper: open a map with lib/cdbmap, look KEY up, print
 * the value (or "NOTFOUND"/"ERROR"), then for every line read on stdin
 * look it up again and print again.  -e checks the file before every
 * lookup (CDBMAP_CHECK_EVERY), -m treats a missing file as empty.
 *   cdblookup [-e] [-m] MAP KEY
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdbmap.h"

static void
show(struct cdbmap *m, const char *key)
{
	const void *v;
	size_t vlen;
	int r = cdbmap_lookup(m, key, strlen(key), &v, &vlen);

	if (r == 1)
		printf("%.*s\n", (int)vlen, (const char *)v);
	else if (r == 0)
		printf("NOTFOUND\n");
	else
		printf("ERROR %s\n", strerror(errno));
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct cdbmap *m;
	char line[256];
	int ch, flags = 0;

	while ((ch = getopt(argc, argv, "em")) != -1) {
		if (ch == 'e')
			flags |= CDBMAP_CHECK_EVERY;
		else if (ch == 'm')
			flags |= CDBMAP_MISSING_OK;
		else
			return 100;
	}
	if (argc - optind != 2)
		return 100;
	if ((m = cdbmap_open(argv[optind], flags)) == NULL) {
		printf("ERROR %s\n", strerror(errno));
		return 111;
	}
	show(m, argv[optind + 1]);
	while (fgets(line, sizeof line, stdin) != NULL)
		show(m, argv[optind + 1]);
	cdbmap_close(&m);
	return 0;
}
