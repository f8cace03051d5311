/* login_setup.c - the login front ends' shared start-up; see login_setup.h. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/conf.h"
#include "lib/login.h"
#include "lib/login_setup.h"
#include "lib/sbuf.h"
#include "lib/tls.h"
#include "lib/userip.h"

void
login_client_ip(char ip[LOGIN_IP_MAX])
{
	unsigned char a[16];
	const char *v = getenv("TCPREMOTEIP");

	ip[0] = '\0';
	if (v == NULL)
		return;
	if (inet_pton(AF_INET, v, a) != 1 && inet_pton(AF_INET6, v, a) != 1)
		return;
	(void)strlcpy(ip, v, LOGIN_IP_MAX);	/* parsed: it fits */
}

int
login_conf_ms(const struct conf *cf, const char *key, int64_t *ms_r)
{
	uint64_t v;

	if (conf_duration(cf, key, &v) < 0 || v > INT64_MAX / 1000) {
		errno = EINVAL;
		return -1;
	}
	*ms_r = (int64_t)v * 1000;
	return 0;
}

int
login_userip_max(const struct conf *cf, const char *proto, char *out,
    size_t size)
{
	char key[128];
	const char *svc = getenv("TERN_SERVICE");
	uint64_t v;
	int n;

	if (svc == NULL || !conf_is_service_name(svc))
		svc = proto;
	n = snprintf(key, sizeof key, "%s.max_userip_connections", svc);
	if (n < 0 || (size_t)n >= sizeof key || conf_uint(cf, key, &v) < 0 ||
	    v > USERIP_MAX) {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(out, size, "%llu", (unsigned long long)v);
	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
login_path_join(char *dst, size_t size, const char *a, const char *b)
{
	int n = snprintf(dst, size, "%s%s", a, b);

	if (n < 0 || (size_t)n >= size) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* Is ip in the list KEY?  1, 0, -1 (a bad list: *why_r is KEY). */
static int
in_list(const struct conf *cf, const char *key, const char *ip,
    const char **why_r)
{
	char **nets;
	size_t n;
	int r;

	*why_r = "";
	if (conf_list(cf, key, &nets, &n) < 0) {
		*why_r = key;
		return -1;
	}
	r = login_ip_in(ip, nets, n, why_r);	/* "" matches nothing */
	free(nets);
	if (r < 0)
		*why_r = key;	/* a network in it does not parse */
	return r;
}

int
login_plain_allowed(const struct conf *cf, const char *ip,
    const char **why_r)
{
	int yes;

	if (conf_bool(cf, "allow_plain_passwords", &yes) < 0) {
		*why_r = "allow_plain_passwords";
		return -1;
	}
	if (yes)
		return 1;
	return in_list(cf, "login_plaintext_networks", ip, why_r);
}

int
login_proxy_trusted(const struct conf *cf, const char *ip,
    const char **why_r)
{
	return in_list(cf, "login_trusted_proxies", ip, why_r);
}

int
login_client_policy(const struct conf *cf, char ip[LOGIN_IP_MAX],
    int *trusted_r, int *plain_r, const char **why_r)
{
	login_client_ip(ip);
	if ((*trusted_r = login_proxy_trusted(cf, ip, why_r)) < 0)
		return -1;
	if (*trusted_r) {
		*plain_r = 1;
		return 0;
	}
	return (*plain_r = login_plain_allowed(cf, ip, why_r)) < 0 ? -1 : 0;
}

int
login_tls_setup(const struct conf *cf, int implicit, int forkserver,
    struct tls_ctx **ctx_r, struct sbuf *why)
{
	const char *cert, *key;
	struct sbuf w;

	*ctx_r = NULL;
	sbuf_reset(why);
	cert = conf_path(cf, "tls_cert");
	key = conf_path(cf, "tls_key");
	if (cert == NULL || key == NULL) {
		(void)sbuf_printf(why, "bad tls_cert or tls_key");
		return -1;
	}
	if (access(cert, F_OK) < 0 && !implicit) {
		(void)sbuf_printf(why, "no TLS certificate %s", cert);
		return 0;
	}
	/* Implicit TLS needs the context at once; STARTTLS may never come,
	 * so only the files are read now (tls.h: lazy). */
	*ctx_r = implicit || forkserver ? tls_server_ctx_new(cert, key, why) :
	    tls_server_ctx_lazy(cert, key, why);
	if (*ctx_r == NULL)
		return -1;
	if (forkserver) {
		/* Each session's pre-auth child then starts with OpenSSL's
		 * look-ups done (~0.8 ms CPU per TLS login, bench/pop3). */
		sbuf_init(&w, TLS_WHY_MAX);
		(void)tls_ctx_warm(*ctx_r, &w);
		sbuf_fini(&w);
	}
	return 1;
}
