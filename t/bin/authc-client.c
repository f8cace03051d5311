/*
 * authc-client - ask tern-authd through authc_verify() (tests).
 *   authc-client [-t] [-w MS] SOCKET SERVICE IP USER   (password on stdin,
 *   one line, newline stripped; IP "-" means none)
 * Prints "ok ADDR uid=N quota=N home=H host=H", "fail", "fail plaintext",
 * "tempfail", "throttled", or "error: why" (exit 111).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/authc.h"
#include "lib/scan.h"

int
main(int argc, char **argv)
{
	struct authc_req req;
	struct authc_reply rep;
	char pass[AUTHC_PASS_MAX + 2];
	uint64_t ms = AUTHC_TIMEOUT_MS;
	size_t n;
	int c, tls = 0;

	while ((c = getopt(argc, argv, "tw:")) != -1) {
		switch (c) {
		case 't':
			tls = 1;
			break;
		case 'w':
			if (scan_u64_s(optarg, &ms) == -1)
				return 100;
			break;
		default:
			return 100;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: authc-client [-t] [-w ms] socket "
		    "service ip user <password\n");
		return 100;
	}
	if (fgets(pass, sizeof(pass), stdin) == NULL)
		pass[0] = '\0';
	n = strcspn(pass, "\n");
	pass[n] = '\0';
	memset(&req, 0, sizeof(req));
	req.service = argv[optind + 1];
	req.remote_ip = strcmp(argv[optind + 2], "-") == 0 ? NULL :
	    argv[optind + 2];
	req.user = argv[optind + 3];
	req.user_len = strlen(req.user);
	req.pass = pass;
	req.pass_len = n;
	req.tls = tls;
	if (authc_verify(argv[optind], &req, &rep, (int64_t)ms) == -1) {
		printf("error: %s\n", strerror(errno));
		return 111;
	}
	explicit_bzero(pass, sizeof(pass));
	if (rep.status == AUTHC_OK)
		printf("ok %s uid=%lu quota=%llu home=%s host=%s\n", rep.addr,
		    (unsigned long)rep.uid, (unsigned long long)rep.quota,
		    rep.home, rep.host);
	else if (rep.reason == AUTHC_R_PLAINTEXT)
		printf("%s plaintext\n", authc_status_name(rep.status));
	else
		printf("%s\n", authc_status_name(rep.status));
	return 0;
}
