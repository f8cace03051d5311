/*
 * proxy.h - tern-proxy's internal interfaces (tern-proxy(8),
 * doc/proxy.md).
 *
 *   tern-proxy.c       main, the set-up as root, the pre-auth child (the
 *                      very code of tern-imapd / tern-pop3d: imapd_login.c,
 *                      pop3d_login.c) and the monitor, which drops to
 *                      proxy_user and, once tern-authd said OK, runs
 *                      proxy_session()
 *   proxy_backend.c    the backend: where (routes, account host, local),
 *                      connect, the master login, the first answer to the
 *                      client, then the byte relay
 *
 * lib/proxyp is the one parser of backend bytes (fuzzed).
 */
#ifndef TERN_PROXY_H
#define TERN_PROXY_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

struct cdbmap;
struct login;
struct tls_ctx;
struct authc_reply;
struct login_req;
struct login_event;

#define PROXY_HOST_MAX		253	/* MAPS_DOMAIN_MAX */
#define PROXY_LINE_MAX		8192	/* a backend line during its login */
#define PROXY_LINES_MAX		64	/* lines before a tagged answer */
#define PROXY_SECRET_MIN	16	/* bytes of the master secret */

enum proxy_proto { PROXY_IMAP = 0, PROXY_POP3 = 1 };

struct proxy {
	enum proxy_proto proto;
	const char	*ip;		/* the client's, "" if unknown */
	struct cdbmap	*routes;	/* may be NULL */
	struct tls_ctx	*tls;		/* backend TLS, or NULL: plain TCP */
	struct sbuf	 secret;	/* master secret, empty: none */
	const char	*master_user;
	uint16_t	 port;		/* proxy_imap_port / proxy_pop3_port */
	char *const	*ports;		/* proxy_backend_ports words */
	size_t		 nports;
	const char	*source_ip;	/* "" none */
	int64_t		 connect_ms;	/* connect, greeting, each reply */
	int64_t		 session_ms;	/* relay idle limit */
};

/*
 * The backend of account addr: 0 and host (an address or a name) and
 * port, or -1 with *why_r (a bad route, a map that cannot be read).
 */
int	proxy_backend_where(const struct proxy *, const char *addr,
	    const char *acct_host, char host[PROXY_HOST_MAX + 1],
	    uint16_t *port_r, const char **why_r);

/*
 * Monitor, after tern-authd's OK (login_monitor_conf.become): connect,
 * log in as rep->addr with the master identity, answer the child
 * LOGIN_OK, give the client the backend's answer, relay, exit.  Returns
 * only on failure (0: the client may try again), ev->why says why.
 */
int	proxy_session(void *arg, struct login *, const struct authc_reply *,
	    const struct login_req *, struct login_event *);

#endif
