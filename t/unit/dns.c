/* Unit tests for lib/dns: the MX answer parser, ordering, addresses. */
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "lib/dns.h"
#include "t/tap.h"

struct pkt {
	unsigned char	b[1024];
	size_t		n;
};

static void
put16(struct pkt *p, unsigned v)
{
	p->b[p->n++] = (unsigned char)(v >> 8);
	p->b[p->n++] = (unsigned char)v;
}

static void
put_name(struct pkt *p, const char *name)
{
	const char *dot;
	size_t k;

	while (*name != '\0') {
		dot = strchr(name, '.');
		k = dot != NULL ? (size_t)(dot - name) : strlen(name);
		p->b[p->n++] = (unsigned char)k;
		memcpy(p->b + p->n, name, k);
		p->n += k;
		name += k + (dot != NULL);
	}
	p->b[p->n++] = 0;
}

/* Header and the question for example.net MX. */
static void
start(struct pkt *p, unsigned an)
{
	memset(p, 0, sizeof(*p));
	put16(p, 0x1234);
	put16(p, 0x8180);
	put16(p, 1);
	put16(p, an);
	put16(p, 0);
	put16(p, 0);
	put_name(p, "example.net");
	put16(p, 15);
	put16(p, 1);
}

static void
mx(struct pkt *p, unsigned pref, const char *host)
{
	size_t rdlen_at;

	p->b[p->n++] = 0xc0;	/* pointer to the question name */
	p->b[p->n++] = 12;
	put16(p, 15);
	put16(p, 1);
	put16(p, 0);
	put16(p, 300);
	rdlen_at = p->n;
	put16(p, 0);
	put16(p, pref);
	put_name(p, host);
	p->b[rdlen_at] = (unsigned char)((p->n - rdlen_at - 2) >> 8);
	p->b[rdlen_at + 1] = (unsigned char)(p->n - rdlen_at - 2);
}

int
main(void)
{
	struct pkt p;
	struct dns_mx_list l;
	struct sock_addr a[8];
	const char *why = NULL;
	size_t n, i, cut;
	int firsts[2] = { 0, 0 }, bad = 0;

	start(&p, 3);
	mx(&p, 20, "mx2.example.net");
	mx(&p, 10, "mx1.example.net");
	mx(&p, 30, "mx3.example.net");
	is_int(dns_mx_parse(p.b, p.n, &l, &why), 0, "three MX records");
	is_int((long long)l.n, 3, "count");
	dns_mx_sort(&l);
	is_str(l.mx[0].host, "mx1.example.net", "lowest preference first");
	is_str(l.mx[2].host, "mx3.example.net", "highest last");
	is_int(l.mx[1].pref, 20, "preference kept");

	/* Equal preferences: both orders appear over 64 sorts. */
	start(&p, 2);
	mx(&p, 10, "a.example.net");
	mx(&p, 10, "b.example.net");
	for (i = 0; i < 64; i++) {
		(void)dns_mx_parse(p.b, p.n, &l, &why);
		dns_mx_sort(&l);
		firsts[l.mx[0].host[0] == 'b']++;
	}
	ok(firsts[0] > 0 && firsts[1] > 0, "random order among equals "
	    "(%d/%d)", firsts[0], firsts[1]);

	start(&p, 1);
	mx(&p, 0, "");
	is_int(dns_mx_parse(p.b, p.n, &l, &why), 0, "null MX parses");
	ok(l.nullmx && l.n == 0, "null MX noticed, no host");

	/* Every truncation of a valid answer is refused, never read past. */
	start(&p, 2);
	mx(&p, 10, "mx1.example.net");
	mx(&p, 20, "mx2.example.net");
	for (cut = 0; cut < p.n; cut++)
		if (dns_mx_parse(p.b, cut, &l, &why) == 0)
			bad++;
	is_int(bad, 0, "every truncated answer refused");
	/* A compression loop. */
	start(&p, 1);
	p.b[p.n] = 0xc0;
	p.b[p.n + 1] = (unsigned char)p.n;
	p.n += 2;
	put16(&p, 15);
	is_int(dns_mx_parse(p.b, p.n, &l, &why), -1, "pointer loop refused");

	is_int(dns_addrs("127.0.0.1", 2525, a, 8, &n, &why), DNS_OK,
	    "address literal");
	ok(n == 1 && ((struct sockaddr_in *)&a[0].ss)->sin_port ==
	    htons(2525), "port set");
	is_int(dns_addrs("::1", 25, a, 8, &n, &why), DNS_OK, "IPv6 literal");
	ok(n == 1 && a[0].ss.ss_family == AF_INET6, "IPv6 family");
	is_int(dns_addrs("no-such-host.invalid", 25, a, 8, &n, &why),
	    DNS_NXDOMAIN, "no such host: permanent");
	is_str(dns_status_name(DNS_NULLMX), "nullmx", "status names");
	return done_testing();
}
