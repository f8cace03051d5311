/*
 * remote_int.h - what the parts of tern-remote share: the settings read
 * once in main (tern-remote.c) and the delivery of one request to its next
 * hop (remote_smtp.c).  See tern-remote(8).
 */
#ifndef TERN_REMOTE_INT_H
#define TERN_REMOTE_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/remote.h"
#include "lib/sock.h"

#define RMT_HOST_MAX	255
#define RMT_CONN_MAX	10	/* connection attempts per request */
#define RMT_ADDRS_MAX	8	/* addresses tried per host */
#define RMT_GROUP	100	/* RCPT commands pipelined before a read */
#define RMT_QUIT_MS	5000	/* wait for the reply to QUIT */
#define RMT_RSET_MS	30000	/* at most this for RSET on a kept connection */
#define RMT_REUSE_MS	300000	/* a process takes no request after this */
#define RMT_REUSE_MAX	1000	/* nor after this many requests */

#define RMT_SELF_MAX	64	/* own listen and interface addresses */

struct conf;
struct tls_ctx;
struct rmt_keep;

/* This host, for loop detection (remote_self.c). */
struct rmt_self {
	struct sock_addr a[RMT_SELF_MAX];	/* SMTP listen addresses */
	size_t		 n;
	struct sock_addr ifs[RMT_SELF_MAX];	/* interface addresses */
	size_t		 nifs;
	int		 ifs_loaded;
	char		 name[2][RMT_HOST_MAX + 1];	/* "" when not real */
};

struct rmt_conf {
	char		 helo[RMT_HOST_MAX + 1];
	int64_t		 connect_ms;
	int64_t		 cmd_ms;
	int64_t		 data_ms;
	int64_t		 done_ms;
	int64_t		 idle_ms;	/* remote_idle_time; 0: no reuse */
	struct tls_ctx	*tls;		/* NULL: no STARTTLS possible */
	int		 tls_tried;	/* tls made (or failed) once */
	const char	*prefix;	/* DKIM-Signature field sent first */
	size_t		 prefix_len;	/* 0: none */
	struct rmt_self	 self;
};

/*
 * Loop detection (remote_self.c).  rmt_self_load() reads this host's
 * SMTP listen addresses from the services of tern.conf and its names
 * (helo, hostname).  rmt_self_is(): 1 when a connection to a would reach
 * this host's own tern-smtpd.  rmt_self_name(): our name when the first
 * word of text (a greeting or EHLO reply) is one of them, else NULL.
 */
void	rmt_self_load(struct rmt_self *, const struct conf *, const char *helo);
int	rmt_self_is(const struct rmt_self *, const struct sock_addr *);
const char *rmt_self_name(const struct rmt_self *, const char *text,
	    size_t n);

/*
 * Deliver req's message (fd msgfd) to its next hop; fill res[nrcpt].
 * With keep (else NULL): a connection kept there by an earlier request to
 * the same hop and TLS policy is used again (RSET first; a connection
 * that fails before MAIL is taken is replaced by a new one), and the
 * connection of this request is left there rather than closed when it is
 * still good.  rmt_keep_fd is its socket (-1: none), to be watched while
 * idle; rmt_keep_close sends QUIT and closes it.
 */
void	rmt_deliver(const struct rmt_conf *, const struct remote_req *,
	    int msgfd, struct remote_result *res, struct rmt_keep *keep);
struct rmt_keep *rmt_keep_new(void);
int	rmt_keep_fd(const struct rmt_keep *);
void	rmt_keep_close(struct rmt_keep *);
void	rmt_keep_free(struct rmt_keep **);

/*
 * The service (remote_svc.c).  rsvc_serve() runs the master and returns
 * only in a worker that took a first request: req decoded and job filled
 * (conn acknowledged, to answer on; the message; the slot lock and the
 * slot socket's path, "" when the worker is not to keep its connection).
 * rsvc_peer_ok(): 1 when conn's peer may use the service (the queue user
 * or root; logged when not).  rmt_stop: SIGTERM came to a busy worker.
 * rmt_read_request(): the request records on fd: 0, or -1 (logged).
 */
struct rsvc_job {
	int		 conn;
	int		 msgfd;
	int		 lockfd;
	unsigned	 slot;
	char		 spath[108];	/* sizeof(sun_path) */
};

void	rsvc_serve(struct conf *, struct remote_req *, struct rsvc_job *);
int	rsvc_peer_ok(int conn);
int	rmt_read_request(int fd, struct remote_req *);
extern volatile sig_atomic_t rmt_stop;

#endif
