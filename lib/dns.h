/*
 * dns.h - where mail for a domain goes: MX lookup through the system
 * resolver (glibc's res_nquery, configured by /etc/resolv.conf and
 * RES_OPTIONS; a test gives a network namespace its own resolv.conf with
 * `ip netns exec`), and the addresses of a host (getaddrinfo: IPv4 and
 * IPv6).
 *
 * dns_mx_lookup(domain, &list, &why) answers:
 *   DNS_OK       list holds the MX hosts, by preference, hosts of equal
 *                preference in random order (RFC 5321 5.1);
 *   DNS_NOMX     the domain exists without MX records: list holds the
 *                domain itself (the implicit MX, RFC 5321 5.1);
 *   DNS_NULLMX   the domain says it takes no mail (RFC 7505: one MX "."):
 *                bounce with 5.1.10;
 *   DNS_NXDOMAIN no such domain: bounce (5.1.2);
 *   DNS_TEMP     SERVFAIL, timeout, a broken answer: try later (4.4.3).
 * An MX record whose exchange is "." among others is dropped.  At most
 * DNS_MX_MAX hosts are kept (the lowest preferences).
 *
 * dns_mx_parse(msg, len, &list, &why) is the answer parser alone (a
 * bounded reader of untrusted bytes: every offset is checked against len,
 * names go through dn_expand): 0 with the MX records of the answer section
 * in answer order (list->nullmx set when one of them is "."), or -1 with a
 * static reason.  dns_mx_sort() orders them (arc4random for ties).
 *
 * dns_addrs(host, port, out, max, &n, &why): the addresses of host
 * (getaddrinfo, TCP), at most max, port set in each: DNS_OK (n > 0),
 * DNS_NXDOMAIN (no such host or no address), DNS_TEMP.
 *
 * Return convention: the DNS_* status (>= 0) and a static reason in *why_r
 * for anything but DNS_OK.  Nothing here prints or exits.
 */
#ifndef TERN_DNS_H
#define TERN_DNS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sock.h"

#define DNS_NAME_MAX	253	/* RFC 1035 2.3.4, without the root dot */
#define DNS_MX_MAX	32	/* MX hosts kept per domain */
#define DNS_ANSWER_MAX	65536	/* largest answer read (TCP fallback) */

enum dns_status {
	DNS_OK = 0,
	DNS_NOMX,
	DNS_NULLMX,
	DNS_NXDOMAIN,
	DNS_TEMP
};

struct dns_mx {
	unsigned	pref;
	char		host[DNS_NAME_MAX + 1];
};

struct dns_mx_list {
	struct dns_mx	mx[DNS_MX_MAX];
	size_t		n;
	int		nullmx;		/* an MX "." was in the answer */
};

enum dns_status dns_mx_lookup(const char *domain, struct dns_mx_list *,
	    const char **why_r);
int	dns_mx_parse(const unsigned char *msg, size_t len,
	    struct dns_mx_list *, const char **why_r);
void	dns_mx_sort(struct dns_mx_list *);
enum dns_status dns_addrs(const char *host, uint16_t port,
	    struct sock_addr *out, size_t max, size_t *n_r, const char **why_r);
const char *dns_status_name(enum dns_status);

#endif
