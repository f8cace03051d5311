/*
 * remote_self.c - is the next hop this host itself?  Postfix's "mail for
 * X loops back to myself": without this check, mail for a domain whose
 * MX (or route) names this host goes round through tern-smtpd and back
 * here until the hop count refuses it.
 *
 * This host's SMTP endpoints are the listen addresses of the services of
 * tern.conf that run tern-smtpd other than in LMTP mode (an LMTP route to
 * our own storage service is a delivery path, not a loop); a wildcard
 * (0.0.0.0 or ::) stands for every address of this host's interfaces
 * (getifaddrs) and loopback, on its port.  Its names are remote_helo_name
 * and hostname (else the system's host name); a name without a dot, or
 * one that starts with "localhost", is never taken as proof (every test
 * machine and many containers are called that).
 */
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <bsd/string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "lib/conf.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "lib/sock.h"

#include "remote/remote_int.h"

/* Does the service run tern-smtpd in a mode that speaks SMTP? */
static int
is_smtp_service(const struct conf *cf, const char *name)
{
	char key[128];
	const char *prog, *base;
	char **w = NULL;
	size_t n = 0, i;
	int lmtp = 0;

	if (snprintf(key, sizeof(key), "%s.program", name) >= (int)sizeof(key) ||
	    (prog = conf_str(cf, key)) == NULL)
		return 0;
	base = strrchr(prog, '/');
	base = base != NULL ? base + 1 : prog;
	if (strcmp(base, "tern-smtpd") != 0)
		return 0;
	if (snprintf(key, sizeof(key), "%s.args", name) >= (int)sizeof(key) ||
	    conf_list(cf, key, &w, &n) < 0)
		return 1;
	for (i = 0; i < n; i++)
		lmtp |= strcmp(w[i], "lmtp") == 0 || strcmp(w[i], "-mlmtp") == 0;
	free(w);
	return !lmtp;
}

static void
add_listen(struct rmt_self *me, const struct conf *cf, const char *name)
{
	char key[128], **w = NULL;
	struct sock_addr a;
	const char *why;
	size_t n = 0, i;

	if (snprintf(key, sizeof(key), "%s.listen", name) >= (int)sizeof(key) ||
	    conf_list(cf, key, &w, &n) < 0)
		return;
	for (i = 0; i < n && me->n < RMT_SELF_MAX; i++)
		if (sock_parse_s(w[i], &a, &why) == 0)
			me->a[me->n++] = a;
	free(w);
}

static void	load_ifs(struct rmt_self *);
static int	is_any(const struct sock_addr *);

static int
is_real_name(const char *s)
{
	return strchr(s, '.') != NULL && strncasecmp(s, "localhost", 9) != 0;
}

void
rmt_self_load(struct rmt_self *me, const struct conf *cf, const char *helo)
{
	char **svc = NULL;
	const char *h;
	size_t n = 0, i;

	memset(me, 0, sizeof(*me));
	if (conf_services(cf, &svc, &n) == 0) {
		for (i = 0; i < n; i++)
			if (is_smtp_service(cf, svc[i]))
				add_listen(me, cf, svc[i]);
		free(svc);
	}
	if (is_real_name(helo))
		(void)strlcpy(me->name[0], helo, sizeof(me->name[0]));
	h = conf_str(cf, "hostname");
	if (h == NULL || h[0] == '\0') {
		if (gethostname(me->name[1], sizeof(me->name[1]) - 1) < 0)
			me->name[1][0] = '\0';
	} else
		(void)strlcpy(me->name[1], h, sizeof(me->name[1]));
	if (!is_real_name(me->name[1]))
		me->name[1][0] = '\0';
	for (i = 0; i < me->n; i++)
		if (is_any(&me->a[i]))
			load_ifs(me);
}

/* This host's interface addresses, once. */
static void
load_ifs(struct rmt_self *me)
{
	struct ifaddrs *ifa, *p;
	socklen_t len;

	if (me->ifs_loaded)
		return;
	me->ifs_loaded = 1;
	if (getifaddrs(&ifa) < 0) {
		log_warn_sys("getifaddrs: loop check by listen address only");
		return;
	}
	for (p = ifa; p != NULL && me->nifs < RMT_SELF_MAX; p = p->ifa_next) {
		if (p->ifa_addr == NULL)
			continue;
		if (p->ifa_addr->sa_family == AF_INET)
			len = sizeof(struct sockaddr_in);
		else if (p->ifa_addr->sa_family == AF_INET6)
			len = sizeof(struct sockaddr_in6);
		else
			continue;
		memset(&me->ifs[me->nifs], 0, sizeof(me->ifs[me->nifs]));
		memcpy(&me->ifs[me->nifs].ss, p->ifa_addr, len);
		me->ifs[me->nifs].len = len;
		me->nifs++;
	}
	freeifaddrs(ifa);
}

static unsigned
port_of(const struct sock_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return 0;
}

static int
is_any(const struct sock_addr *a)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (a->ss.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	if (a->ss.ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		    &any6, sizeof(any6)) == 0;
	return 0;
}

/* Is a an address of this host (an interface's, or loopback)? */
static int
is_local_ip(const struct rmt_self *me, const struct sock_addr *a)
{
	size_t i;

	if (a->ss.ss_family == AF_INET &&
	    (ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr) >>
	    24) == 127)
		return 1;
	if (a->ss.ss_family == AF_INET6 &&
	    IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr))
		return 1;
	for (i = 0; i < me->nifs; i++)
		if (sock_same_ip(a, &me->ifs[i]))
			return 1;
	return 0;
}

int
rmt_self_is(const struct rmt_self *me, const struct sock_addr *a)
{
	size_t i;

	for (i = 0; i < me->n; i++) {
		if (sock_equal(a, &me->a[i]))
			return 1;
		if (is_any(&me->a[i]) && port_of(&me->a[i]) == port_of(a) &&
		    is_local_ip(me, a))
			return 1;
	}
	return 0;
}

const char *
rmt_self_name(const struct rmt_self *me, const char *text, size_t n)
{
	size_t k, i;

	for (k = 0; k < n && text[k] != ' ' && text[k] != '\n'; k++)
		continue;
	for (i = 0; i < 2; i++)
		if (me->name[i][0] != '\0' && strlen(me->name[i]) == k &&
		    strncasecmp(me->name[i], text, k) == 0)
			return me->name[i];
	return NULL;
}
