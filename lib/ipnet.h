/*
 * ipnet.h - address in network lists ("a.b.c.d/len", "v6/len", or a bare
 * address), for the settings that name networks: login_plaintext_networks,
 * NAME.max_per_ip_exempt.
 *
 * ipnet_in(): 1 when ip (text) is inside one of the n networks, 0 when not
 * (an ip that does not parse is inside none), -1 with errno EINVAL and
 * *why_r when a network does not parse.  Every network is checked, so a
 * bad one is found whatever the ip.
 */
#ifndef TERN_IPNET_H
#define TERN_IPNET_H

#include <stddef.h>

int	ipnet_in(const char *ip, char *const *nets, size_t n,
	    const char **why_r);

#endif
