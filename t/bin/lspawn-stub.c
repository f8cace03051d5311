/*
 * lspawn-stub - a stand-in for tern-lspawn in tests of tern-qmgr (no root,
 * no tern-local): lspawn-stub SOCKET ACCOUNTS.CDB.  It serves requests one
 * at a time, and for each recipient looks the account up in accounts.cdb:
 * unknown -> "bounce 5.1.1", disabled -> "bounce 5.2.1", the message
 * larger than a non-zero quota -> "defer 4.2.2", else it writes
 * "Delivered-To: ADDR" and the message into HOME/new/ (creating the
 * Maildir) and answers "ok NAME".  Each request is logged on stderr as
 * "stub QID rcpt=ADDR result".
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/io.h"
#include "lib/lspawn.h"
#include "lib/maps.h"
#include "lib/sbuf.h"

static unsigned long counter;

static int
deliver_one(const char *home, const char *addr, const struct sbuf *msg,
    char *name, size_t namelen)
{
	char path[2048];
	const char *sub[] = { "", "/new", "/cur", "/tmp" };
	size_t i;
	int fd;

	char *sl;

	snprintf(path, sizeof path, "%s", home);
	for (sl = strchr(path + 1, '/'); sl != NULL; sl = strchr(sl + 1, '/')) {
		*sl = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -1;
		*sl = '/';
	}
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s%s", home, sub[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			return -1;
	}
	snprintf(name, namelen, "%ld.%ld_%lu.stub", (long)time(NULL),
	    (long)getpid(), ++counter);
	snprintf(path, sizeof path, "%s/new/%s", home, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
		return -1;
	dprintf(fd, "Delivered-To: %s\n", addr);
	if (io_write_full(fd, msg->s, msg->len) < 0 || close(fd) < 0)
		return -1;
	return 0;
}

static void
result(struct cdbmap *acc, const struct lspawn_req *req, size_t i,
    const struct sbuf *msg, struct sbuf *line)
{
	struct maps_record rec;
	struct sbuf key;
	const void *v;
	size_t vlen;
	const char *why;
	char home[1100], name[256];

	sbuf_init(&key, 1024);
	sbuf_reset(line);
	maps_key(&key, req->rcpt[i].addr, strlen(req->rcpt[i].addr));
	if (cdbmap_lookup(acc, key.s, key.len, &v, &vlen) != 1 ||
	    maps_account_decode(v, vlen, &rec, &why) < 0)
		sbuf_set_s(line, "bounce 5.1.1 no such account");
	else if (rec.status == MAPS_DISABLED)
		sbuf_set_s(line, "bounce 5.2.1 account disabled");
	else if (rec.quota > 0 && msg->len > rec.quota)
		sbuf_set_s(line, "defer 4.2.2 mailbox full");
	else {
		snprintf(home, sizeof home, "%.*s", (int)rec.home.n,
		    rec.home.p);
		if (deliver_one(home, req->rcpt[i].addr, msg, name,
		    sizeof name) < 0)
			sbuf_printf(line, "defer 4.3.0 write: %s",
			    strerror(errno));
		else
			sbuf_printf(line, "ok %s", name);
	}
	sbuf_fini(&key);
}

static void
serve(int c, struct cdbmap *acc)
{
	struct lspawn_req req;
	struct lspawn_results res;
	struct sbuf in, out, msg, line;
	const char *why;
	size_t i;

	lspawn_req_init(&req);
	lspawn_results_init(&res);
	sbuf_init(&in, LSPAWN_MSG_MAX);
	sbuf_init(&out, LSPAWN_MSG_MAX);
	sbuf_init(&msg, 64 * 1024 * 1024);
	sbuf_init(&line, LSPAWN_TEXT_MAX);
	if (lspawn_read_records(c, &in, LSPAWN_MSG_MAX,
	    io_deadline_ms(10000)) < 0 ||
	    lspawn_req_decode(in.s, in.len, &req, &why) < 0 ||
	    req.path == NULL || io_read_file(req.path, &msg, msg.max) < 0) {
		fprintf(stderr, "stub: bad request\n");
		goto out;
	}
	for (i = 0; i < req.nrcpt; i++) {
		result(acc, &req, i, &msg, &line);
		fprintf(stderr, "stub %s rcpt=%s %.*s\n", req.qid,
		    req.rcpt[i].addr, (int)line.len, line.s);
		if (lspawn_results_add(&res, req.rcpt[i].addr, line.s,
		    line.len) < 0)
			goto out;
	}
	if (lspawn_results_encode(&res, &out) == 0)
		(void)io_write_full(c, out.s, out.len);
out:
	lspawn_req_fini(&req);
	lspawn_results_fini(&res);
	sbuf_fini(&in);
	sbuf_fini(&out);
	sbuf_fini(&msg);
	sbuf_fini(&line);
}

int
main(int argc, char **argv)
{
	struct sockaddr_un sun;
	struct cdbmap *acc;
	int s, c;

	if (argc != 3) {
		fprintf(stderr, "usage: lspawn-stub SOCKET ACCOUNTS.CDB\n");
		return 1;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if ((acc = cdbmap_open(argv[2], CDBMAP_CHECK_EVERY)) == NULL) {
		perror(argv[2]);
		return 1;
	}
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (strlen(argv[1]) >= sizeof sun.sun_path)
		return 1;
	memcpy(sun.sun_path, argv[1], strlen(argv[1]));
	(void)unlink(argv[1]);
	if ((s = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(s, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(argv[1], 0666) < 0 || listen(s, 64) < 0) {
		perror("socket");
		return 1;
	}
	for (;;) {
		if ((c = accept(s, NULL, NULL)) < 0)
			continue;
		serve(c, acc);
		close(c);
	}
}
