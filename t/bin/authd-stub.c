/*
 * authd-stub - a stand-in for tern-authd in tests (one request per
 * connection, served one at a time, for ever):
 *   authd-stub SOCKET FILE
 * FILE has lines "ADDRESS UID HOME PASSWORD" (the password is the rest
 * of the line, blanks included); a request whose user and
 * password match a line gets AUTHC_OK with that account, anything else
 * AUTHC_FAIL.  Each request is appended to SOCKET.log as
 * "service ip user tls" (never the password).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/authc.h"
#include "lib/scan.h"

static void
lookup(const char *file, const struct authc_request *q,
    struct authc_reply *r)
{
	char line[2048], a[512], p[512], h[1100];
	unsigned long uid;
	FILE *f = fopen(file, "r");

	memset(r, 0, sizeof *r);
	r->status = AUTHC_FAIL;
	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL) {
		char *s1 = strchr(line, ' '), *s2, *s3, *nl;
		if (s1 == NULL || (s2 = strchr(s1 + 1, ' ')) == NULL ||
		    (s3 = strchr(s2 + 1, ' ')) == NULL)
			continue;
		if ((nl = strchr(s3, '\n')) != NULL)
			*nl = '\0';
		*s1 = *s2 = *s3 = '\0';
		(void)strlcpy(a, line, sizeof a);
		uid = strtoul(s1 + 1, NULL, 10);
		(void)strlcpy(h, s2 + 1, sizeof h);
		(void)strlcpy(p, s3 + 1, sizeof p);
		if (strcmp(a, q->user) != 0 || strlen(p) != q->pass_len ||
		    memcmp(p, q->pass, q->pass_len) != 0)
			continue;
		r->status = AUTHC_OK;
		(void)strlcpy(r->addr, a, sizeof r->addr);
		r->uid = (uint32_t)uid;
		(void)strlcpy(r->home, h, sizeof r->home);
		(void)strlcpy(r->host, "local", sizeof r->host);
		break;
	}
	(void)fclose(f);
}

static void
serve(int c, const char *file, FILE *log)
{
	unsigned char in[AUTHC_REQ_MAX], out[AUTHC_REPLY_MAX];
	struct authc_request q;
	struct authc_reply r;
	const char *why;
	size_t len = 0, olen;
	ssize_t n;

	for (;;) {
		n = read(c, in + len, sizeof in - len);
		if (n <= 0)
			return;
		len += (size_t)n;
		if (authc_frame(in, len, sizeof in) != 0)
			break;
	}
	if (authc_req_decode(in, len, &q, &why) < 0)
		return;
	fprintf(log, "%s %s %s %d\n", q.service, q.ip, q.user, q.tls);
	fflush(log);
	lookup(file, &q, &r);
	if (authc_reply_encode(&r, out, sizeof out, &olen) == 0)
		if (write(c, out, olen) < 0)
			return;
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	char logname[200];
	FILE *log;
	int s, c;

	if (argc != 3)
		return 100;
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, argv[1], sizeof sun.sun_path) >=
	    sizeof sun.sun_path)
		return 100;
	if (snprintf(logname, sizeof logname, "%s.log", argv[1]) < 0 ||
	    (log = fopen(logname, "a")) == NULL)
		return 111;
	(void)unlink(argv[1]);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(s, 64) < 0)
		return 111;
	(void)chmod(argv[1], 0666);
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			return 111;
		}
		serve(c, argv[2], log);
		(void)close(c);
	}
}
