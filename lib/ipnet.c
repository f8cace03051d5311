/*
 * ipnet.c - is an address inside a list of networks (see ipnet.h).
 */
#include <sys/socket.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/ipnet.h"

static int
net_match(const unsigned char *a, const unsigned char *net, size_t bytes,
    unsigned bits)
{
	size_t i;
	unsigned char mask;

	for (i = 0; i < bytes && bits > 0; i++) {
		mask = bits >= 8 ? 0xff : (unsigned char)(0xff << (8 - bits));
		if ((a[i] & mask) != (net[i] & mask))
			return 0;
		bits = bits >= 8 ? bits - 8 : 0;
	}
	return 1;
}

/* Parse "addr[/len]" into family, bytes and prefix length. */
static int
net_parse(const char *s, int *fam_r, unsigned char *a, unsigned *bits_r)
{
	char host[64];
	const char *slash = strchr(s, '/');
	size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s);
	uint64_t bits = 0;
	size_t i;

	if (hl == 0 || hl >= sizeof host)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (inet_pton(AF_INET, host, a) == 1)
		*fam_r = AF_INET;
	else if (inet_pton(AF_INET6, host, a) == 1)
		*fam_r = AF_INET6;
	else
		return -1;
	if (slash == NULL) {
		*bits_r = *fam_r == AF_INET ? 32 : 128;
		return 0;
	}
	if (slash[1] == '\0' || strlen(slash + 1) > 3)
		return -1;
	for (i = 1; slash[i] != '\0'; i++) {
		if (slash[i] < '0' || slash[i] > '9')
			return -1;
		bits = bits * 10 + (uint64_t)(slash[i] - '0');
	}
	if (bits > (*fam_r == AF_INET ? 32U : 128U))
		return -1;
	*bits_r = (unsigned)bits;
	return 0;
}

int
ipnet_in(const char *ip, char *const *nets, size_t n, const char **why_r)
{
	unsigned char a[16], na[16];
	unsigned bits;
	int fam, nfam, hit = 0;
	size_t i;

	if (inet_pton(AF_INET, ip, a) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, ip, a) == 1)
		fam = AF_INET6;
	else
		fam = 0;	/* no address: matches nothing */
	for (i = 0; i < n; i++) {
		if (net_parse(nets[i], &nfam, na, &bits) < 0)
			{
			if (why_r != NULL)
				*why_r = "bad network";
			errno = EINVAL;
			return -1;
		}
		if (fam == nfam && net_match(a, na, fam == AF_INET ? 4 : 16,
		    bits))
			hit = 1;
	}
	return hit;
}
