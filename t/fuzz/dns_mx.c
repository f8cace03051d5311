/*
 * Fuzz target: a DNS answer from a hostile or broken server through the
 * MX parser.  Checks: the host count stays within DNS_MX_MAX, every host
 * is a NUL-terminated name of at most DNS_NAME_MAX bytes, sorting keeps
 * preferences in order.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dns_mx_list l;
	const char *why = NULL;
	size_t i;

	if (dns_mx_parse(data, size, &l, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (l.n > DNS_MX_MAX)
		abort();
	for (i = 0; i < l.n; i++)
		if (strnlen(l.mx[i].host, DNS_NAME_MAX + 1) > DNS_NAME_MAX ||
		    l.mx[i].host[0] == '\0')
			abort();
	dns_mx_sort(&l);
	for (i = 1; i < l.n; i++)
		if (l.mx[i - 1].pref > l.mx[i].pref)
			abort();
	return 0;
}
