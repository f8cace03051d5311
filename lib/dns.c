/* UNSAFE: walks a DNS answer by offsets; each is checked against len. */
/* dns.c - MX and address lookups (dns.h). */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/nameser.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <netinet/in.h>
#include <resolv.h>
#include <sys/socket.h>

#include "lib/dns.h"
#include "lib/sock.h"

#define HDR_LEN	12
#define T_MX_	15
#define C_IN_	1

static unsigned
get16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static int
perr(const char **why_r, const char *why)
{
	*why_r = why;
	return -1;
}

/* Skip one (possibly compressed) name at off: the new offset, or -1. */
static long
skip_name(const unsigned char *msg, size_t len, size_t off, char *name,
    size_t namelen)
{
	int k;

	if (off >= len)
		return -1;
	k = dn_expand(msg, msg + len, msg + off, name, (int)namelen);
	if (k < 0 || (size_t)k > len - off)
		return -1;
	return (long)(off + (size_t)k);
}

static void
add_mx(struct dns_mx_list *l, unsigned pref, const char *host)
{
	size_t i, worst = 0;

	if (host[0] == '\0' || strcmp(host, ".") == 0) {
		l->nullmx = 1;
		return;
	}
	if (l->n < DNS_MX_MAX) {
		l->mx[l->n].pref = pref;
		(void)strlcpy(l->mx[l->n].host, host, sizeof(l->mx[0].host));
		l->n++;
		return;
	}
	/* Full: replace the highest preference if this one is lower. */
	for (i = 1; i < l->n; i++)
		if (l->mx[i].pref > l->mx[worst].pref)
			worst = i;
	if (pref < l->mx[worst].pref) {
		l->mx[worst].pref = pref;
		(void)strlcpy(l->mx[worst].host, host, sizeof(l->mx[0].host));
	}
}

int
dns_mx_parse(const unsigned char *msg, size_t len, struct dns_mx_list *l,
    const char **why_r)
{
	char name[NS_MAXDNAME];
	unsigned qd, an, i, type, cls, rdlen, pref;
	long o;
	size_t off;

	memset(l, 0, sizeof(*l));
	if (len < HDR_LEN)
		return perr(why_r, "answer shorter than its header");
	qd = get16(msg + 4);
	an = get16(msg + 6);
	off = HDR_LEN;
	for (i = 0; i < qd; i++) {
		if ((o = skip_name(msg, len, off, name, sizeof(name))) < 0 ||
		    len - (size_t)o < 4)
			return perr(why_r, "bad question section");
		off = (size_t)o + 4;
	}
	for (i = 0; i < an; i++) {
		if ((o = skip_name(msg, len, off, name, sizeof(name))) < 0 ||
		    len - (size_t)o < 10)
			return perr(why_r, "bad answer record");
		off = (size_t)o;
		type = get16(msg + off);
		cls = get16(msg + off + 2);
		rdlen = get16(msg + off + 8);
		off += 10;
		if (rdlen > len - off)
			return perr(why_r, "answer record past the end");
		if (type == T_MX_ && cls == C_IN_) {
			if (rdlen < 3)
				return perr(why_r, "MX record too short");
			pref = get16(msg + off);
			if ((o = skip_name(msg, len, off + 2, name,
			    sizeof(name))) < 0 || (size_t)o > off + rdlen)
				return perr(why_r, "bad MX exchange name");
			if (strlen(name) > DNS_NAME_MAX)
				return perr(why_r, "MX exchange name too long");
			add_mx(l, pref, name);
		}
		off += rdlen;
	}
	return 0;
}

void
dns_mx_sort(struct dns_mx_list *l)
{
	struct dns_mx t;
	uint32_t key[DNS_MX_MAX];
	size_t i, j;

	for (i = 0; i < l->n; i++)
		key[i] = arc4random();
	/* Insertion sort on (pref, random key): at most DNS_MX_MAX items. */
	for (i = 1; i < l->n; i++) {
		for (j = i; j > 0 && (l->mx[j - 1].pref > l->mx[j].pref ||
		    (l->mx[j - 1].pref == l->mx[j].pref &&
		    key[j - 1] > key[j])); j--) {
			uint32_t k = key[j];

			t = l->mx[j];
			l->mx[j] = l->mx[j - 1];
			l->mx[j - 1] = t;
			key[j] = key[j - 1];
			key[j - 1] = k;
		}
	}
}

static enum dns_status
implicit(const char *domain, struct dns_mx_list *l)
{
	memset(l, 0, sizeof(*l));
	(void)strlcpy(l->mx[0].host, domain, sizeof(l->mx[0].host));
	l->n = 1;
	return DNS_NOMX;
}

enum dns_status
dns_mx_lookup(const char *domain, struct dns_mx_list *l, const char **why_r)
{
	struct __res_state rs;
	unsigned char *ans;
	int n, herr;
	enum dns_status st = DNS_TEMP;

	memset(l, 0, sizeof(*l));
	if (strlen(domain) > DNS_NAME_MAX) {
		*why_r = "domain name too long";
		return DNS_NXDOMAIN;
	}
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) < 0) {
		*why_r = "cannot initialise the resolver";
		return DNS_TEMP;
	}
	if ((ans = malloc(DNS_ANSWER_MAX)) == NULL) {
		res_nclose(&rs);
		*why_r = "out of memory";
		return DNS_TEMP;
	}
	n = res_nquery(&rs, domain, C_IN_, T_MX_, ans, DNS_ANSWER_MAX);
	herr = rs.res_h_errno;
	res_nclose(&rs);
	if (n < 0) {
		switch (herr) {
		case HOST_NOT_FOUND:
			*why_r = "no such domain";
			st = DNS_NXDOMAIN;
			break;
		case NO_DATA:
			st = implicit(domain, l);
			break;
		default:
			*why_r = "MX lookup failed (temporary)";
			break;
		}
		free(ans);
		return st;
	}
	if (n > DNS_ANSWER_MAX || dns_mx_parse(ans, (size_t)n, l, why_r) < 0) {
		if (n > DNS_ANSWER_MAX)
			*why_r = "answer truncated";
		free(ans);
		return DNS_TEMP;
	}
	free(ans);
	if (l->n == 0 && l->nullmx) {
		*why_r = "the domain accepts no mail (null MX)";
		return DNS_NULLMX;
	}
	if (l->n == 0)
		return implicit(domain, l);	/* e.g. only a CNAME answered */
	dns_mx_sort(l);
	return DNS_OK;
}

enum dns_status
dns_addrs(const char *host, uint16_t port, struct sock_addr *out, size_t max,
    size_t *n_r, const char **why_r)
{
	struct addrinfo hints, *res, *ai;
	size_t n = 0;
	int e;

	*n_r = 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	e = getaddrinfo(host, NULL, &hints, &res);
	if (e != 0) {
		if (e == EAI_NONAME || e == EAI_NODATA || e == EAI_FAIL) {
			*why_r = e == EAI_FAIL ? "host lookup failed" :
			    "host has no address";
			return e == EAI_FAIL ? DNS_TEMP : DNS_NXDOMAIN;
		}
		*why_r = "host lookup failed (temporary)";
		return DNS_TEMP;
	}
	for (ai = res; ai != NULL && n < max; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET &&
		    ai->ai_addrlen == sizeof(struct sockaddr_in))
			((struct sockaddr_in *)ai->ai_addr)->sin_port =
			    htons(port);
		else if (ai->ai_family == AF_INET6 &&
		    ai->ai_addrlen == sizeof(struct sockaddr_in6))
			((struct sockaddr_in6 *)ai->ai_addr)->sin6_port =
			    htons(port);
		else
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n].ss, ai->ai_addr, ai->ai_addrlen);
		out[n].len = ai->ai_addrlen;
		n++;
	}
	freeaddrinfo(res);
	if (n == 0) {
		*why_r = "host has no address";
		return DNS_NXDOMAIN;
	}
	*n_r = n;
	return DNS_OK;
}

const char *
dns_status_name(enum dns_status s)
{
	switch (s) {
	case DNS_OK:
		return "ok";
	case DNS_NOMX:
		return "nomx";
	case DNS_NULLMX:
		return "nullmx";
	case DNS_NXDOMAIN:
		return "nxdomain";
	case DNS_TEMP:
		return "temp";
	}
	return "?";
}
