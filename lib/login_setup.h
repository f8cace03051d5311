/*
 * login_setup.h - the start-up the login front ends share (tern-imapd,
 * tern-pop3d, tern-proxy): the client's address from the UCSPI
 * environment, who may send a password in the clear, which peers are
 * trusted proxies, durations in milliseconds, joined paths, and the
 * server's TLS context.  Each program read these the same way in its own
 * copy; one copy now, so the three cannot drift apart.
 *
 * Like all of lib/ nothing here logs or exits: a failure is -1 with a
 * reason (*why_r, or the sbuf), and the program says it and dies.
 */
#ifndef TERN_LOGIN_SETUP_H
#define TERN_LOGIN_SETUP_H

#include <stddef.h>
#include <stdint.h>

struct conf;
struct sbuf;
struct tls_ctx;

#define LOGIN_IP_MAX	46	/* INET6_ADDRSTRLEN */

/* TCPREMOTEIP into ip when it parses as an IPv4 or IPv6 address, else
 * "" (no client address: a local program). */
void	login_client_ip(char ip[LOGIN_IP_MAX]);

/* The duration KEY in milliseconds; -1 when it is bad or too large. */
int	login_conf_ms(const struct conf *, const char *key, int64_t *ms_r);

/*
 * SERVICE.max_userip_connections (SERVICE: $TERN_SERVICE, the service
 * tern-supervise runs, e.g. imaps; else proto) as decimal text into out
 * (size bytes) for the login monitor's -l (tern-login(8)); 0: no limit.
 * -1 (EINVAL) when it is bad or above USERIP_MAX.
 */
int	login_userip_max(const struct conf *, const char *proto, char *out,
	    size_t size);

/* a then b into dst (size bytes); -1 (ENAMETOOLONG) when it does not fit. */
int	login_path_join(char *dst, size_t size, const char *a, const char *b);

/*
 * May this client send a password in the clear (before TLS)?  Yes with
 * allow_plain_passwords, or when ip is in login_plaintext_networks.
 * 1 yes, 0 no, -1 a bad setting (*why_r names it).
 */
int	login_plain_allowed(const struct conf *, const char *ip,
	    const char **why_r);

/*
 * Is the peer a trusted proxy (login_trusted_proxies, doc/proxy.md)?
 * 1 yes, 0 no (or no address), -1 a bad setting (*why_r names it).
 */
int	login_proxy_trusted(const struct conf *, const char *ip,
	    const char **why_r);

/*
 * All three for a session (tern-imapd, tern-pop3d): the client's address
 * into ip, whether it is a trusted proxy, and whether it may send a
 * password in the clear (a trusted proxy may: its backend link is the
 * operator's choice, proxy_backend_tls).  0, or -1 with *why_r naming
 * the bad setting.
 */
int	login_client_policy(const struct conf *, char ip[LOGIN_IP_MAX],
	    int *trusted_r, int *plain_r, const char **why_r);

/*
 * The server's TLS context from tls_cert and tls_key.  1 with *ctx_r
 * built; 0 with *ctx_r NULL when the certificate file does not exist
 * and TLS is not implicit (STARTTLS is then not offered; why says so);
 * -1 with *ctx_r NULL and why on a failure (for STARTTLS the caller
 * carries on without it; for implicit TLS it cannot).  The whole context
 * is built at once for implicit TLS and for a fork server (forkserver:
 * once for every child, and warmed by one handshake with itself,
 * tls_ctx_warm, whose failure only costs the time it would have saved);
 * otherwise only the files are read (tls_server_ctx_lazy).
 */
int	login_tls_setup(const struct conf *, int implicit, int forkserver,
	    struct tls_ctx **ctx_r, struct sbuf *why);

#endif
