/*
 * pwverify - test helper: read a password (one line) on stdin, look the
 * address up in a secrets map through lib/cdbmap, and print MATCH,
 * NOMATCH, NOTFOUND or ERROR after passwd_verify().
 *   pwverify [-p] SECRETS.CDB ADDRESS     (-p: allow {PLAIN})
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/passwd.h"

int
main(int argc, char **argv)
{
	struct cdbmap *m;
	const void *v;
	size_t vlen;
	char pw[PASSWD_PASSWORD_MAX + 2], *stored;
	int r, plain = 0, ch;

	while ((ch = getopt(argc, argv, "p")) != -1) {
		if (ch != 'p')
			return 100;
		plain = 1;
	}
	if (argc - optind != 2 || fgets(pw, sizeof pw, stdin) == NULL)
		return 100;
	pw[strcspn(pw, "\r\n")] = '\0';
	if ((m = cdbmap_open(argv[optind], 0)) == NULL) {
		puts("ERROR");
		return 111;
	}
	r = cdbmap_lookup(m, argv[optind + 1], strlen(argv[optind + 1]), &v,
	    &vlen);
	if (r <= 0) {
		puts(r == 0 ? "NOTFOUND" : "ERROR");
		cdbmap_close(&m);
		return 0;
	}
	if ((stored = strndup(v, vlen)) == NULL)
		return 111;
	r = passwd_verify(pw, stored, plain);
	puts(r == 1 ? "MATCH" : r == 0 ? "NOMATCH" : "ERROR");
	free(stored);
	cdbmap_close(&m);
	return 0;
}
