/*
 * tern-local - deliver one message into the Maildir in the working
 * folder, as the account's own uid (tern-local(8)).
 *
 * fd 0: the message; fd 3: the delivery request (lib/lspawn records, one
 * recipient); stdout: one result line for tern-lspawn.  Exit 0 only after
 * the final fsync.  The delivery itself is deliver/local_deliver.c, which
 * tern-lspawn's delivery child also runs (without an exec) unless
 * local_exec = yes.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/lspawn.h"
#include "lib/priv.h"
#include "lib/sbuf.h"
#include "deliver/local.h"

#define REQ_FD		3
#define REQ_TIMEOUT_MS	60000	/* the request is written before exec */

static void
read_request(struct lspawn_req *req)
{
	struct sbuf buf;
	const char *why;

	sbuf_init(&buf, LSPAWN_MSG_MAX);
	if (lspawn_read_records(REQ_FD, &buf, LSPAWN_MSG_MAX,
	    io_deadline_ms(REQ_TIMEOUT_MS)) == -1) {
		log_err_sys("cannot read the request on fd 3");
		local_defer("local delivery request unreadable");
	}
	if (lspawn_req_decode(buf.s, buf.len, req, &why) == -1) {
		log_err("bad request on fd 3: %s", why);
		local_defer("local delivery request invalid");
	}
	if (req->nrcpt != 1) {
		log_err("request names %zu recipients, not 1", req->nrcpt);
		local_defer("local delivery request invalid");
	}
	sbuf_fini(&buf);
}

static int
read_conf(const char *opt_c)
{
	struct conf *c = NULL;
	struct sbuf err;
	int bounce_over;

	sbuf_init(&err, 4096);
	if (conf_read(opt_c, &c, &err) == -1) {
		log_err("%s", sbuf_str(&err) ? err.s : "config unreadable");
		local_defer("local configuration error");
	}
	bounce_over = local_bounce_over(c);
	conf_free(&c);
	sbuf_fini(&err);
	return bounce_over;
}

static void __attribute__((noreturn))
usage(void)
{
	die(EXIT_PERM, "usage: tern-local [-d] [-c tern.conf]");
}

int
main(int argc, char **argv)
{
	static const int keep[] = { REQ_FD };
	static struct lspawn_req req;	/* reachable until the exit */
	const char *opt_c = NULL;
	int ch, flags = 0, bounce_over;

	while ((ch = getopt(argc, argv, "c:d")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 'd':
			flags |= LOG_STDERR;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init_env("tern-local", flags);
	if (proc_init(keep, 1, 0) == -1)
		die_sys(EXIT_TEMP, "proc_init");
	/*
	 * tern-supervise's reload SIGHUP reaches tern-lspawn's whole process
	 * group: one that killed us between the Maildir link and the report
	 * made tern-lspawn deliver the message again (a duplicate in a HUP
	 * storm).  There is nothing here to reload.
	 */
	(void)signal(SIGHUP, SIG_IGN);	/* cannot fail for SIGHUP */
	if (geteuid() == 0)
		die(EXIT_TEMP, "refusing to deliver as root");
	lspawn_req_init(&req);
	read_request(&req);
	bounce_over = read_conf(opt_c);
	local_deliver(&req, bounce_over);
}
