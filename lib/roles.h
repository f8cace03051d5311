/*
 * roles.h - which services a host of each role runs (issue 8, tiers).
 *
 * tern.conf's "roles" names the roles of a host: mx (receives from the
 * Internet on port 25, queues, relays to storage hosts through routes),
 * storage (LMTP or SMTP from the MX tier, local delivery into the
 * Maildirs, the IMAP/POP3 backends, tern-authd), front (tern-proxy and
 * tern-authd), submission (587/465 with AUTH, tern-authd, the queue and
 * remote delivery with DKIM), or all (every role: one host).
 *
 * A service is known by its program and, for tern-smtpd, its -m mode;
 * roles_of_service() says which roles may run it (ROLES_ALL for a program
 * that is not tern's).  roles_check() lists the services named in
 * "services" (and enabled) that none of the host's roles may run: each is
 * a contradiction that tern-conf, every program reading tern.conf through
 * conf_validate(), and tern-supervise refuse.
 *
 * Return convention: roles_parse() 0 or -1 (EINVAL, the bad word in
 * *bad_r); roles_check() the number of contradictions (each one line
 * appended to err, lines separated by '\n'), or -1 with errno.
 */
#ifndef TERN_ROLES_H
#define TERN_ROLES_H

#include <stddef.h>

#include "lib/sbuf.h"

#define ROLE_MX		0x01u
#define ROLE_STORAGE	0x02u
#define ROLE_FRONT	0x04u
#define ROLE_SUBMISSION	0x08u
#define ROLES_ALL	(ROLE_MX | ROLE_STORAGE | ROLE_FRONT | ROLE_SUBMISSION)

struct conf;

/* Words "mx" "storage" "front" "submission" "all" into a mask. */
int	roles_parse(char *const *words, size_t n, unsigned *mask_r,
	    const char **bad_r);
/* The roles of this host from tern.conf ("roles", default all). */
int	roles_conf(const struct conf *, unsigned *mask_r);
/*
 * Which roles may run a service of this program (a path or a name) with
 * these arguments; *what_r (may be NULL) says what the service is.
 */
unsigned roles_of_service(const char *program, const char *args,
	    const char **what_r);
/*
 * 1 when the program (a path or a name) can serve a tcp service as a fork
 * server (lib/forkserver.h): tern-smtpd, tern-imapd, tern-pop3d and
 * tern-proxy.  tern-supervise uses it when NAME.forkserver is "auto" (the
 * default).
 */
int	roles_forkserver(const char *program);
/* "mx storage" for a mask, into buf (always NUL-terminated). */
const char *roles_names(unsigned mask, char *buf, size_t size);
int	roles_check(const struct conf *, struct sbuf *err);

#endif
