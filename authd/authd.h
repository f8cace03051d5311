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

struct worker_cfg {
	const char	*accounts;	/* path of accounts.cdb */
	const char	*secrets;	/* path of secrets.cdb */
	int		 allow_plain;	/* {PLAIN} hashes */
};

void	worker_main(int fd, const struct worker_cfg *)
	    __attribute__((noreturn));

#endif
