/*
 * tern-remote - deliver messages to one next hop over SMTP or LMTP.
 *
 * Run by tern-qmgr's worker (tern-remote(8), lib/remote.h): the message
 * on fd 0, the request and the results on fd 3.  Reads tern.conf for its
 * timeouts, HELO name and TLS trust, refuses to run as root, delivers
 * (remote_smtp.c) and writes one result per recipient.  With -s SOCKET
 * (the worker holds the destination's slot lock, passed as fd 4) it then
 * keeps the connection and waits remote_idle_time on SOCKET for the next
 * message to the same destination: a worker connects, passes the message
 * descriptor and the same request, gets an acknowledgement and the
 * results.  It exits when idle for that long, when the server closes
 * the connection, when tern.conf was edited, or after RMT_REUSE_MS or
 * RMT_REUSE_MAX requests.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lib/conf.h"
#include "lib/dkim.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/tls.h"

#include "remote/remote_int.h"

#define REQ_FD		3
#define LOCK_FD		4	/* with -s: the slot lock, held until exit */
#define REQ_TIMEOUT_MS	60000	/* qmgr writes the request at once */

static int svc_mode;	/* -S: a worker of the service */

static void
usage(void)
{
	(void)fprintf(stderr, "usage: tern-remote [-c tern.conf] [-s socket | -S]"
	    "  (see tern-remote(8))\n");
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

	if (pol == REMOTE_TLS_NONE || rc->tls != NULL || rc->tls_tried)
		return;
	rc->tls_tried = 1;
	sbuf_init(&why, TLS_WHY_MAX);
	rc->tls = tls_client_ctx_new(ca != NULL && ca[0] != '\0' ? ca : NULL,
	    &why);
	if (rc->tls == NULL)
		log_warn("TLS client context: %s: STARTTLS not used",
		    log_esc_s(sbuf_str(&why) ? sbuf_str(&why) : ""));
	sbuf_fini(&why);
}

/*
 * Can any destination use TLS (remote_tls or a tls_policy entry other
 * than none)?  Else the service makes no TLS context up front: loading
 * the trust store costs memory that every fork would copy.
 */
static int
tls_wanted(const struct conf *cf)
{
	const char *def = conf_str(cf, "remote_tls");
	const char *pol = conf_str(cf, "tls_policy");

	return def == NULL || strcmp(def, "none") != 0 ||
	    (pol != NULL && pol[0] != '\0');
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
	rc->idle_ms = ms(*cf_r, "remote_idle_time");
	rmt_self_load(&rc->self, *cf_r, rc->helo);
}

/* The request on fd: 0, or -1 (logged). */
int
rmt_read_request(int fd, struct remote_req *req)
{
	struct sbuf buf;
	const char *why = "";
	int r = -1;

	sbuf_init(&buf, REMOTE_MSG_MAX);
	if (remote_read_records(fd, &buf, REMOTE_MSG_MAX,
	    io_deadline_ms(REQ_TIMEOUT_MS)) < 0)
		log_warn_sys("cannot read the request");
	else if (remote_req_decode(buf.s, buf.len, req, &why) < 0)
		log_warn("bad request: %s", why);
	else
		r = 0;
	sbuf_fini(&buf);
	return r;
}

/*
 * DKIM (tern.conf(5), lib/dkim.h): when the From domain has a key, the
 * field is computed in a first pass over the message and sent before it.
 * 0 signed or not to be signed; -1 when a key exists but cannot be used
 * (the caller defers rather than send unsigned).
 */
static int
dkim(struct rmt_conf *rc, const struct conf *cf, const char *qid, int msgfd,
    struct sbuf *sig, struct sbuf *why)
{
	const char *dir = conf_path(cf, "dkim_key_dir");
	const char *sel = conf_str(cf, "dkim_selector");
	struct sbuf dom;
	int on = 0, r;

	if (conf_bool(cf, "dkim_sign", &on) < 0 || dir == NULL || sel == NULL)
		die(EXIT_TEMP, "bad dkim_sign, dkim_key_dir or dkim_selector");
	rc->prefix = NULL;
	rc->prefix_len = 0;
	if (!on)
		return 0;
	sbuf_init(&dom, DKIM_NAME_MAX + 1);
	r = dkim_sign_fd(msgfd, dir, sel, sig, &dom, why);
	if (r > 0) {
		rc->prefix = sig->s;
		rc->prefix_len = sig->len;
		log_info("%s dkim=signed d=%s s=%s", qid, sbuf_str(&dom),
		    log_esc_s(sel));
	} else if (r == 0)
		log_debug("%s dkim=none reason=%s", qid,
		    log_esc_s(sbuf_str(why) ? sbuf_str(why) : ""));
	sbuf_fini(&dom);
	return r < 0 ? -1 : 0;
}

/* The results on fd: 0, or -1 (logged). */
static int
write_results(int fd, const struct remote_result *res, size_t n)
{
	struct sbuf out;
	int r = 0;

	sbuf_init(&out, REMOTE_MSG_MAX);
	if (remote_res_encode(res, n, &out) < 0 ||
	    io_write_full(fd, out.s, out.len) < 0) {
		log_warn_sys("cannot write the results");
		r = -1;
	}
	sbuf_fini(&out);
	return r;
}

/* One request, its message on msgfd: its results (free them). */
static struct remote_result *
serve(struct rmt_conf *rc, const struct conf *cf, const struct remote_req *req,
    int msgfd, struct rmt_keep *keep)
{
	struct remote_result *res;
	struct sbuf sig, why;
	size_t i;

	tls_setup(rc, cf, req->tls);
	if ((res = calloc(req->nrcpt, sizeof(*res))) == NULL)
		die_sys(EXIT_TEMP, "results");
	sbuf_init(&sig, DKIM_SIG_MAX);
	sbuf_init(&why, DKIM_WHY_MAX);
	if (dkim(rc, cf, req->qid, msgfd, &sig, &why) < 0) {
		log_warn("%s dkim=fail status=deferred reason=%s", req->qid,
		    log_esc_s(sbuf_str(&why) ? sbuf_str(&why) : ""));
		for (i = 0; i < req->nrcpt; i++)
			remote_result_set(&res[i], REMOTE_DEFER, "none",
			    "4.7.0 tern-remote: the DKIM key cannot be used");
	} else
		rmt_deliver(rc, req, msgfd, res, keep);
	rc->prefix = NULL;
	rc->prefix_len = 0;
	sbuf_fini(&sig);
	sbuf_fini(&why);
	return res;
}

/* Listen on the slot's (abstract) socket name. */
static int
listen_on(const char *name)
{
	return remote_slot_listen(name);
}

/* Not listening: who comes now is refused and tries another slot. */
static void
unlisten(int *lfd)
{
	(void)io_close(lfd);
}

/* May this connection's peer hand us a message? */
static int
peer_ok(int c)
{
	struct ucred cr;
	socklen_t crlen = sizeof(cr);

	if (svc_mode)
		return rsvc_peer_ok(c);
	return getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) == 0 &&
	    cr.uid == geteuid();
}

/*
 * Wait until idle_ms has passed for the next request on name (*lfd: its
 * listening socket, closed here): 0 with the request, its message
 * (*msgfd_r) and the connection to answer on (*conn_r, acknowledged),
 * or -1 to end (idle, the kept connection closed by the server, a stop,
 * or no socket).
 */
static int
next_request(const struct rmt_conf *rc, const char *name,
    int *lfdp, struct rmt_keep *keep, struct remote_req *req, int *msgfd_r,
    int *conn_r)
{
	struct pollfd p[2];
	int64_t deadline = io_deadline_ms(rc->idle_ms), left;
	int lfd = *lfdp, c = -1, mfd = -1, n;

	*lfdp = -1;
	for (;;) {
		if (rmt_stop)
			break;
		if (lfd < 0 && (lfd = listen_on(name)) < 0) {
			log_warn_sys("cannot listen on @%s",
			    log_esc_s(name));
			return -1;
		}
		if ((left = deadline - io_now_ms()) <= 0)
			break;
		p[0].fd = lfd;
		p[0].events = POLLIN;
		p[1].fd = rmt_keep_fd(keep);
		p[1].events = POLLIN;
		n = poll(p, p[1].fd >= 0 ? 2 : 1, (int)left);
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0)
			continue;
		if (p[1].fd >= 0 && p[1].revents != 0) {
			log_debug("the server ended the kept connection");
			break;
		}
		if ((p[0].revents & POLLIN) == 0)
			continue;
		if ((c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		if (!peer_ok(c)) {
			(void)io_close(&c);
			continue;
		}
		/* Busy: who comes now is refused (or reset). */
		unlisten(&lfd);
		if (remote_kept_recv(c, io_deadline_ms(REQ_TIMEOUT_MS),
		    &mfd) == 0 && rmt_read_request(c, req) == 0 &&
		    remote_ack_send(c) == 0) {
			*msgfd_r = mfd;
			*conn_r = c;
			return 0;
		}
		(void)io_close(&mfd);
		(void)io_close(&c);
	}
	unlisten(&lfd);
	return -1;
}

/*
 * Serve req (its message on msgfd, answer on conn), then, with a slot
 * socket name (else NULL), the next requests to the same destination.
 */
static void
serve_all(struct rmt_conf *rc, const struct conf *cf, struct remote_req *req,
    int msgfd, int conn, const char *name)
{
	struct rmt_keep *keep = NULL;
	struct remote_result *res;
	int64_t until = io_deadline_ms(RMT_REUSE_MS);
	unsigned served = 0;
	int lfd;

	if (name != NULL && rc->idle_ms > 0 && (keep = rmt_keep_new()) == NULL)
		die_sys(EXIT_TEMP, "out of memory");
	for (;;) {
		res = serve(rc, cf, req, msgfd, keep);
		served++;
		/* Listen before the results: the next worker finds us. */
		lfd = -1;
		if (keep != NULL && served < RMT_REUSE_MAX && !rmt_stop &&
		    io_now_ms() < until && !conf_changed(cf) &&
		    (lfd = listen_on(name)) < 0)
			log_warn_sys("cannot listen on @%s",
			    log_esc_s(name));
		(void)write_results(conn, res, req->nrcpt);
		free(res);
		(void)io_close(&conn);
		(void)io_close(&msgfd);
		if (lfd < 0 || next_request(rc, name, &lfd, keep, req, &msgfd,
		    &conn) < 0)
			break;
	}
	rmt_keep_free(&keep);
}

int
main(int argc, char **argv)
{
	static const int keep_fds[] = { REQ_FD, LOCK_FD };
	static struct rmt_conf rc;
	struct conf *cf = NULL;
	struct remote_req req;
	struct rsvc_job job;
	const char *opt_c = NULL, *opt_s = NULL;
	int ch, opt_S = 0;

	if (proc_init(keep_fds, 2, 0) < 0)
		_exit(EXIT_TEMP);
	log_init_env("tern-remote", 0);
	while ((ch = getopt(argc, argv, "c:s:S")) != -1) {
		switch (ch) {
		case 'c':
			opt_c = optarg;
			break;
		case 's':
			opt_s = optarg;
			break;
		case 'S':
			opt_S = 1;
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (opt_S && opt_s != NULL))
		usage();
	/* STYLE 10: a network-facing program never runs as root. */
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "refusing to run as root");
	config(&rc, opt_c, &cf);
	remote_req_init(&req);
	if (opt_S) {
		svc_mode = 1;
		/* Made once, before the workers: each shares it. */
		if (tls_wanted(cf))
			tls_setup(&rc, cf, REMOTE_TLS_MAY);
		rsvc_serve(cf, &req, &job);
		serve_all(&rc, cf, &req, job.msgfd, job.conn,
		    job.spath[0] != '\0' ? job.spath : NULL);
		(void)io_close(&job.lockfd);
	} else {
		if (opt_s != NULL && strlen(opt_s) >=
		    sizeof(((struct sockaddr_un *)0)->sun_path))
			die(EXIT_TEMP, "-s: socket name too long");
		if (rmt_read_request(REQ_FD, &req) < 0)
			die(EXIT_TEMP, "no request");
		serve_all(&rc, cf, &req, 0, REQ_FD, opt_s);
	}
	tls_ctx_free(&rc.tls);
	remote_req_fini(&req);
	conf_free(&cf);
	return EXIT_OK;
}
