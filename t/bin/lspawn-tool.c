/*
 * lspawn-tool - test helper for lib/lspawn.
 *   lspawn-tool req QID SENDER RCPT [-L NAME] [-U QUOTA] [-P PATH]
 *       write an encoded request to stdout (for tern-local's fd 3)
 *   lspawn-tool deliver SOCK QID PATH SENDER RCPT...
 *       send a request to tern-lspawn; print "ADDR RESULT-LINE" per
 *       recipient; exit 0, or 111 when lspawn_deliver failed.
 *   lspawn-tool kept SOCK WAITFILE QID PATH SENDER RCPT...
 *       the same request twice over one kept connection
 *       (lspawn_deliver_kept), printing the results after each; before
 *       the second it waits (at most 20 s) until WAITFILE exists.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/lspawn.h"
#include "lib/scan.h"
#include "lib/sbuf.h"

static int
req(int argc, char **argv)
{
	struct lspawn_req r;
	struct sbuf b;
	const char *path = NULL;
	uint64_t q;
	int i;

	lspawn_req_init(&r);
	sbuf_init(&b, LSPAWN_MSG_MAX);
	if (argc < 5)
		return 100;
	for (i = 5; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "-P") == 0)
			path = argv[i + 1];
	if (lspawn_req_set(&r, argv[2], path, argv[3]) == -1 ||
	    lspawn_req_add_rcpt(&r, argv[4], NULL) == -1)
		return 100;
	for (i = 5; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "-L") == 0 &&
		    lspawn_req_set_linked(&r, argv[i + 1]) == -1)
			return 100;
		if (strcmp(argv[i], "-U") == 0) {
			if (scan_u64_s(argv[i + 1], &q) == -1)
				return 100;
			r.quota = q;
			r.has_quota = 1;
		}
	}
	if (lspawn_req_encode(&r, &b) == -1 ||
	    io_write_full(1, b.s, b.len) == -1)
		return 111;
	lspawn_req_fini(&r);
	sbuf_fini(&b);
	return 0;
}

static int
deliver(int argc, char **argv)
{
	struct lspawn_req r;
	struct lspawn_results rs;
	size_t i;
	int a;

	if (argc < 7)
		return 100;
	lspawn_req_init(&r);
	lspawn_results_init(&rs);
	if (lspawn_req_set(&r, argv[3], argv[4], argv[5]) == -1)
		return 100;
	for (a = 6; a < argc; a++)
		if (lspawn_req_add_rcpt(&r, argv[a], NULL) == -1)
			return 100;
	if (lspawn_deliver(argv[2], &r, &rs) == -1) {
		fprintf(stderr, "lspawn_deliver: %s\n", strerror(errno));
		lspawn_req_fini(&r);
		return 111;
	}
	for (i = 0; i < rs.n; i++)
		printf("%s %s\n", rs.r[i].addr, rs.r[i].line);
	lspawn_req_fini(&r);
	lspawn_results_fini(&rs);
	return 0;
}

static int
kept(int argc, char **argv)
{
	struct lspawn_req r;
	struct lspawn_results rs;
	size_t i;
	int a, n, fd = -1;

	if (argc < 8)
		return 100;
	lspawn_req_init(&r);
	lspawn_results_init(&rs);
	if (lspawn_req_set(&r, argv[4], argv[5], argv[6]) == -1)
		return 100;
	for (a = 7; a < argc; a++)
		if (lspawn_req_add_rcpt(&r, argv[a], NULL) == -1)
			return 100;
	for (n = 0; n < 2; n++) {
		if (n == 1 && strcmp(argv[3], "-") != 0) {
			for (i = 0; i < 200 && access(argv[3], F_OK) == -1; i++)
				(void)poll(NULL, 0, 100);
		}
		if (lspawn_deliver_kept(&fd, argv[2], &r, &rs) == -1) {
			fprintf(stderr, "lspawn_deliver_kept: %s\n",
			    strerror(errno));
			return 111;
		}
		for (i = 0; i < rs.n; i++)
			printf("%s %s\n", rs.r[i].addr, rs.r[i].line);
		(void)fflush(stdout);
	}
	(void)io_close(&fd);
	lspawn_req_fini(&r);
	lspawn_results_fini(&rs);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "kept") == 0)
		return kept(argc, argv);
	if (argc > 1 && strcmp(argv[1], "req") == 0)
		return req(argc, argv);
	if (argc > 1 && strcmp(argv[1], "deliver") == 0)
		return deliver(argc, argv);
	fprintf(stderr, "usage: lspawn-tool req|deliver ...\n");
	return 100;
}
