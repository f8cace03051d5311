/*
 * authd.h - tern-authd's parts: the hash-checking worker processes
 * (the failure tables and networks are lib/throttle).
 *
 * Worker: worker_main(fd, ...) serves requests on a SOCK_SEQPACKET
 * descriptor: each message is an authc request, each answer an authc
 * reply carrying an internal reason; it never returns.
 */
#ifndef TERN_AUTHD_H
#define TERN_AUTHD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/passwd.h"

struct cidr;

struct worker_cfg {
	const char	*accounts;	/* path of accounts.cdb */
	const char	*secrets;	/* path of secrets.cdb */
	int		 allow_plain;	/* {PLAIN} hashes */
	/* The dummy hash's scheme: password_scheme, the one new accounts
	 * get, so an unknown account costs what most known ones do. */
	enum passwd_scheme dummy_scheme;
	/* Master logins of tern-proxy (doc/proxy.md): from these networks
	 * only, user master_user and the secret (length 0: refused). */
	const struct cidr *proxies;
	size_t		 nproxies;
	const char	*master_user;
	const char	*master_secret;
	size_t		 master_secret_len;
};

void	worker_main(int fd, const struct worker_cfg *)
	    __attribute__((noreturn));

#endif
