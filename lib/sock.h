/*
 * sock.h - TCP listening sockets, their addresses, and the UCSPI variables.
 *
 * An address is written "a.b.c.d:port" (IPv4) or "[v6]:port" (IPv6, no
 * scope id); port is 1..65535.  sock_parse() takes a pointer and a length,
 * never reads past it and never relies on a NUL; it returns 0, or -1 with
 * a static reason in *why_r (and errno = EINVAL).
 *
 * sock_listen() binds and listens with SO_REUSEADDR, IPV6_V6ONLY for IPv6,
 * and a close-on-exec, non-blocking descriptor.  sock_accept() returns a
 * blocking, close-on-exec connection; it retries EINTR and returns -1 with
 * errno EAGAIN when nothing is pending.
 *
 * sock_ucspi() fills the UCSPI-TCP variables (PROTO=TCP, TCPREMOTEIP,
 * TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT) that tcpserver and inetd-style
 * programs expect, as "NAME=value" strings inside the caller's struct.
 *
 * Unix stream sockets, for the local services: sock_unix_addr() fills the
 * address of name (a file, or with SOCK_UNIX_ABSTRACT a name in Linux's
 * abstract namespace: no inode to make, chmod or unlink) and returns its
 * length, or 0 (errno ENAMETOOLONG: empty or too long).
 * sock_unix_listen() binds it and listens, close-on-exec and blocking.
 * For a file, an old socket there is removed first and the new one made
 * mode 0666: who may connect is decided by the folder it is in and by the
 * server's SO_PEERCRED check; an abstract name has no permissions at all,
 * so its clients check the server's SO_PEERCRED.
 * sock_unix_connect() connects to it, non-blocking and close-on-exec,
 * waiting until deadline (io_deadline_ms) while the server's backlog is
 * full: Linux answers that EAGAIN at once, so a burst of clients (500
 * logins at the same moment) would fail although the server has room a
 * few milliseconds later.  ETIMEDOUT when the deadline passes.
 *
 * Return convention: 0 (or a descriptor) on success, -1 with errno set.
 * lib/ rule: nothing here prints or exits.
 */
#ifndef TERN_SOCK_H
#define TERN_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#define SOCK_IP_MAX	46	/* INET6_ADDRSTRLEN */
#define SOCK_ADDR_MAX	64	/* "[" ip "]:" port, NUL included */
#define SOCK_UCSPI_N	5	/* variables set by sock_ucspi() */

struct sock_addr {
	struct sockaddr_storage ss;
	socklen_t	 len;
};

struct sock_ucspi {
	char	*env[SOCK_UCSPI_N + 1];	/* NULL-terminated, into buf */
	char	 buf[SOCK_UCSPI_N][SOCK_IP_MAX + 24];
};

int	sock_parse(const char *, size_t, struct sock_addr *r, const char **why_r);
int	sock_parse_s(const char *, struct sock_addr *r, const char **why_r);
/* "ip:port" or "[ip]:port"; size >= SOCK_ADDR_MAX. */
int	sock_fmt(const struct sock_addr *, char *buf, size_t size);
/* The address without the port, and the port; size >= SOCK_IP_MAX. */
int	sock_ip(const struct sock_addr *, char *buf, size_t size,
	    unsigned *port_r);
int	sock_family(const struct sock_addr *);
/* 1 if both hold the same IP (ports ignored), else 0. */
int	sock_same_ip(const struct sock_addr *, const struct sock_addr *);
/* 1 if both hold the same IP and port, else 0. */
int	sock_equal(const struct sock_addr *, const struct sock_addr *);

int	sock_listen(const struct sock_addr *, int backlog);
int	sock_accept(int lfd, struct sock_addr *peer_r);
int	sock_local(int fd, struct sock_addr *r);
int	sock_ucspi(const struct sock_addr *local, const struct sock_addr *remote,
	    struct sock_ucspi *u);

/*
 * Is p[0..n) an IPv4 or IPv6 address in text form (inet_pton's syntax, at
 * most INET6_ADDRSTRLEN - 1 bytes, no NUL)?  1 or 0.  Shared by the
 * readers of records that carry a client address (envelope, authc).
 */
int	sock_ip_text_valid(const void *p, size_t n);

#define SOCK_UNIX_ABSTRACT	0x1	/* no file: the abstract namespace */

socklen_t sock_unix_addr(struct sockaddr_un *sun_r, const char *name,
	    int flags);
int	sock_unix_listen(const char *name, int flags, int backlog);
int	sock_unix_connect(const char *name, int flags, int64_t deadline);

#endif
