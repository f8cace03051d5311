/*
 * dkim_int.h - what dkim.c (canonicalization, signing) and dkim_key.c
 * (keys, DNS records, domain choice) share; not for other modules.
 */
#ifndef TERN_DKIM_INT_H
#define TERN_DKIM_INT_H

#include <openssl/evp.h>

#include "lib/dkim.h"

struct dkim_key {
	EVP_PKEY	*pkey;
	enum dkim_alg	 alg;
	unsigned	 bits;
};

/* Reset why_r (if not NULL) and put our words in it. */
void	dkim_why(struct sbuf *why_r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Append OpenSSL's error queue to why_r and empty the queue. */
void	dkim_why_ssl(struct sbuf *why_r);

#endif
