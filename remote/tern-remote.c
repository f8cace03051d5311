/*
 * tern-remote - deliver one message to one next hop over SMTP or LMTP.
 *
 * Run by tern-qmgr's worker (tern-remote(8), lib/remote.h): the message
 * on fd 0, the request and the results on fd 3.  Reads tern.conf for its
 * timeouts, HELO name and TLS trust, refuses to run as root, delivers
 * (remote_smtp.c), writes one result per recipient and exits 0.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/lspawn.h"
#include "lib/priv.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/tls.h"

#include "remote/remote_int.h"

#define REQ_FD		3
#define REQ_TIMEOUT_MS	60000	/* qmgr writes the request at once */

static void
usage(void)
{
	(void)fprintf(stderr, "usage: tern-remote [-c tern.conf]  "
	    "(run by tern-qmgr; see tern-remote(8))\n");
	exit(EXIT_PERM);
}

static int64_t
ms(const struct conf *cf, const char *key)
{
	uint64_t s;

	if (conf_duration(cf, key, &s) < 0 || s > 86400)
		die(EXIT_TEMP, "bad %s", key);
	return (int64_t)s * 1000;
}

static void
tls_setup(struct rmt_conf *rc, const struct conf *cf, enum remote_tls pol)
{
	struct sbuf why;
	const char *ca = conf_str(cf, "remote_ca_file");

	if (pol == REMOTE_TLS_NONE)
		return;
	sbuf_init(&why, TLS_WHY_MAX);
	rc->tls = tls_client_ctx_new(ca != NULL && ca[0] != '\0' ? ca : NULL,
	    &why);
	if (rc->tls == NULL)
		log_warn("TLS client context: %s: STARTTLS not used",
		    log_esc_s(sbuf_str(&why) ? sbuf_str(&why) : ""));
	sbuf_fini(&why);
}

static void
config(struct rmt_conf *rc, const char *opt_c, struct conf **cf_r)
{
	struct sbuf err;
	const char *h;

	sbuf_init(&err, 4096);
	if (conf_read(opt_c, cf_r, &err) < 0) {
		log_err("%s", log_esc_s(sbuf_str(&err) ? sbuf_str(&err) : ""));
		die(EXIT_TEMP, "cannot read the configuration");
	}
	sbuf_fini(&err);
	h = conf_str(*cf_r, "remote_helo_name");
	if (h == NULL || h[0] == '\0')
		h = conf_str(*cf_r, "hostname");
	if (h != NULL && h[0] != '\0') {
		if (strlcpy(rc->helo, h, sizeof(rc->helo)) >= sizeof(rc->helo))
			die(EXIT_TEMP, "remote_helo_name too long");
	} else if (gethostname(rc->helo, sizeof(rc->helo) - 1) < 0) {
		die_sys(EXIT_TEMP, "gethostname");
	}
	rc->connect_ms = ms(*cf_r, "remote_connect_timeout");
	rc->cmd_ms = ms(*cf_r, "remote_command_timeout");
	rc->data_ms = ms(*cf_r, "remote_data_timeout");
	rc->done_ms = ms(*cf_r, "remote_data_done_timeout");
}

static void
read_request(struct remote_req *req)
{
	struct sbuf buf;
	const char *why = "";

	sbuf_init(&buf, REMOTE_MSG_MAX);
	if (lspawn_read_records(REQ_FD, &buf, REMOTE_MSG_MAX,
	    io_deadline_ms(REQ_TIMEOUT_MS)) < 0)
		die_sys(EXIT_TEMP, "cannot read the request");
	if (remote_req_decode(buf.s, buf.len, req, &why) < 0)
		die(EXIT_TEMP, "bad request: %s", why);
	sbuf_fini(&buf);
}

static void
write_results(const struct remote_result *res, size_t n)
{
	struct sbuf out;

	sbuf_init(&out, REMOTE_MSG_MAX);
	if (remote_res_encode(res, n, &out) < 0 ||
	    io_write_full(REQ_FD, out.s, out.len) < 0)
		die_sys(EXIT_TEMP, "cannot write the results");
	sbuf_fini(&out);
}

int
main(int argc, char **argv)
{
	static const int keep[] = { REQ_FD };
	static struct rmt_conf rc;
	struct conf *cf = NULL;
	struct remote_req req;
	struct remote_result *res;
	const char *opt_c = NULL;
	int ch;

	if (proc_init(keep, 1, 0) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-remote", 0);
	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			usage();
		opt_c = optarg;
	}
	if (optind != argc)
		usage();
	/* STYLE 10: a network-facing program never runs as root. */
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "refusing to run as root");
	config(&rc, opt_c, &cf);
	remote_req_init(&req);
	read_request(&req);
	tls_setup(&rc, cf, req.tls);
	if ((res = calloc(req.nrcpt, sizeof(*res))) == NULL)
		die_sys(EXIT_TEMP, "results");
	rmt_deliver(&rc, &req, 0, res);
	write_results(res, req.nrcpt);
	free(res);
	tls_ctx_free(&rc.tls);
	remote_req_fini(&req);
	conf_free(&cf);
	return EXIT_OK;
}
