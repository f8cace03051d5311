/*
 * remote_int.h - what the parts of tern-remote share: the settings read
 * once in main (tern-remote.c) and the delivery of one request to its next
 * hop (remote_smtp.c).  See tern-remote(8).
 */
#ifndef TERN_REMOTE_INT_H
#define TERN_REMOTE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/remote.h"

#define RMT_HOST_MAX	255
#define RMT_CONN_MAX	10	/* connection attempts per request */
#define RMT_ADDRS_MAX	8	/* addresses tried per host */
#define RMT_GROUP	100	/* RCPT commands pipelined before a read */
#define RMT_QUIT_MS	5000	/* wait for the reply to QUIT */

struct tls_ctx;

struct rmt_conf {
	char		 helo[RMT_HOST_MAX + 1];
	int64_t		 connect_ms;
	int64_t		 cmd_ms;
	int64_t		 data_ms;
	int64_t		 done_ms;
	struct tls_ctx	*tls;		/* NULL: no STARTTLS possible */
};

/* Deliver req's message (fd msgfd) to its next hop; fill res[nrcpt]. */
void	rmt_deliver(const struct rmt_conf *, const struct remote_req *,
	    int msgfd, struct remote_result *res);

#endif
