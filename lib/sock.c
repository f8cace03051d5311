/* sock.c - listening sockets and addresses; see sock.h. */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/scan.h"
#include "lib/sock.h"

static int
fail(const char **why_r, const char *why)
{
	if (why_r != NULL)
		*why_r = why;
	errno = EINVAL;
	return -1;
}

static int
parse_port(const char *p, size_t n, unsigned *port_r)
{
	uint64_t v;

	if (n == 0 || n > 5 || scan_u64_n(p, n, &v) < 0 || v == 0 ||
	    v > 65535)
		return -1;
	*port_r = (unsigned)v;
	return 0;
}

int
sock_parse(const char *s, size_t n, struct sock_addr *r, const char **why_r)
{
	char ip[SOCK_IP_MAX];
	const char *host, *colon;
	size_t hlen, i;
	unsigned port;
	int v6 = 0;

	if (n == 0)
		return fail(why_r, "empty address");
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (close == NULL)
			return fail(why_r, "missing ] after IPv6 address");
		host = s + 1;
		hlen = (size_t)(close - host);
		if ((size_t)(close - s) + 1 >= n || close[1] != ':')
			return fail(why_r, "missing :port after ]");
		colon = close + 1;
		v6 = 1;
	} else {
		colon = NULL;
		for (i = n; i > 0; i--)
			if (s[i - 1] == ':') {
				colon = s + i - 1;
				break;
			}
		if (colon == NULL)
			return fail(why_r, "missing :port");
		host = s;
		hlen = (size_t)(colon - s);
	}
	if (parse_port(colon + 1, n - (size_t)(colon + 1 - s), &port) < 0)
		return fail(why_r, "bad port (1-65535)");
	if (hlen == 0 || hlen >= sizeof ip)
		return fail(why_r, "bad IP address");
	for (i = 0; i < hlen; i++)
		if (host[i] == '\0' || host[i] == '%')
			return fail(why_r, "bad IP address");
	memcpy(ip, host, hlen);
	ip[hlen] = '\0';
	memset(r, 0, sizeof *r);
	if (v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&r->ss;

		if (inet_pton(AF_INET6, ip, &a->sin6_addr) != 1)
			return fail(why_r, "bad IPv6 address");
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		r->len = sizeof *a;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&r->ss;

		if (inet_pton(AF_INET, ip, &a->sin_addr) != 1)
			return fail(why_r, "bad IPv4 address (IPv6 needs [ ])");
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		r->len = sizeof *a;
	}
	return 0;
}

int
sock_parse_s(const char *s, struct sock_addr *r, const char **why_r)
{
	return sock_parse(s, strlen(s), r, why_r);
}

int
sock_family(const struct sock_addr *a)
{
	return a->ss.ss_family;
}

int
sock_ip(const struct sock_addr *a, char *buf, size_t size, unsigned *port_r)
{
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)&a->ss;
	const void *src;
	unsigned port;

	switch (a->ss.ss_family) {
	case AF_INET:
		src = &v4->sin_addr;
		port = ntohs(v4->sin_port);
		break;
	case AF_INET6:
		src = &v6->sin6_addr;
		port = ntohs(v6->sin6_port);
		break;
	default:
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (inet_ntop(a->ss.ss_family, src, buf, (socklen_t)size) == NULL)
		return -1;
	if (port_r != NULL)
		*port_r = port;
	return 0;
}

int
sock_fmt(const struct sock_addr *a, char *buf, size_t size)
{
	char ip[SOCK_IP_MAX];
	unsigned port;
	int n;

	if (sock_ip(a, ip, sizeof ip, &port) < 0)
		return -1;
	if (a->ss.ss_family == AF_INET6)
		n = snprintf(buf, size, "[%s]:%u", ip, port);
	else
		n = snprintf(buf, size, "%s:%u", ip, port);
	if (n < 0 || (size_t)n >= size) {
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
sock_same_ip(const struct sock_addr *a, const struct sock_addr *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->ss;

	if (a->ss.ss_family != b->ss.ss_family)
		return 0;
	if (a->ss.ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss.ss_family == AF_INET6)
		return memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof a6->sin6_addr) == 0;
	return 0;
}

int
sock_equal(const struct sock_addr *a, const struct sock_addr *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)&a->ss;
	const struct sockaddr_in *b4 = (const struct sockaddr_in *)&b->ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)&a->ss;
	const struct sockaddr_in6 *b6 = (const struct sockaddr_in6 *)&b->ss;

	if (!sock_same_ip(a, b))
		return 0;
	if (a->ss.ss_family == AF_INET)
		return a4->sin_port == b4->sin_port;
	return a6->sin6_port == b6->sin6_port;
}

int
sock_listen(const struct sock_addr *a, int backlog)
{
	int fd, on = 1, e;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) < 0)
		goto bad;
	if (a->ss.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) < 0)
		goto bad;
	if (bind(fd, (const struct sockaddr *)&a->ss, a->len) < 0)
		goto bad;
	if (listen(fd, backlog) < 0)
		goto bad;
	return fd;
bad:
	e = errno;
	(void)close(fd);	/* never written to; the first error matters */
	errno = e;
	return -1;
}

int
sock_accept(int lfd, struct sock_addr *peer_r)
{
	int fd;

	for (;;) {
		peer_r->len = sizeof peer_r->ss;
		fd = accept4(lfd, (struct sockaddr *)&peer_r->ss, &peer_r->len,
		    SOCK_CLOEXEC);
		if (fd >= 0 || errno != EINTR)
			break;
	}
	if (fd < 0 && errno == EWOULDBLOCK)
		errno = EAGAIN;
	return fd;
}

int
sock_local(int fd, struct sock_addr *r)
{
	memset(r, 0, sizeof *r);
	r->len = sizeof r->ss;
	return getsockname(fd, (struct sockaddr *)&r->ss, &r->len);
}

static int
setvar(struct sock_ucspi *u, int i, const char *name, const char *val)
{
	int n = snprintf(u->buf[i], sizeof u->buf[i], "%s=%s", name, val);

	if (n < 0 || (size_t)n >= sizeof u->buf[i]) {
		errno = ENOSPC;
		return -1;
	}
	u->env[i] = u->buf[i];
	return 0;
}

int
sock_ucspi(const struct sock_addr *local, const struct sock_addr *remote,
    struct sock_ucspi *u)
{
	char lip[SOCK_IP_MAX], rip[SOCK_IP_MAX], lp[8], rp[8];
	unsigned lport, rport;

	if (sock_ip(local, lip, sizeof lip, &lport) < 0 ||
	    sock_ip(remote, rip, sizeof rip, &rport) < 0)
		return -1;
	if (snprintf(lp, sizeof lp, "%u", lport) < 0 ||
	    snprintf(rp, sizeof rp, "%u", rport) < 0)
		return -1;
	if (setvar(u, 0, "PROTO", "TCP") < 0 ||
	    setvar(u, 1, "TCPREMOTEIP", rip) < 0 ||
	    setvar(u, 2, "TCPREMOTEPORT", rp) < 0 ||
	    setvar(u, 3, "TCPLOCALIP", lip) < 0 ||
	    setvar(u, 4, "TCPLOCALPORT", lp) < 0)
		return -1;
	u->env[SOCK_UCSPI_N] = NULL;
	return 0;
}

int
sock_ip_text_valid(const void *p, size_t n)
{
	char s[INET6_ADDRSTRLEN];
	unsigned char a[sizeof(struct in6_addr)];

	if (n == 0 || n >= sizeof s || memchr(p, '\0', n) != NULL)
		return 0;
	memcpy(s, p, n);
	s[n] = '\0';
	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

socklen_t
sock_unix_addr(struct sockaddr_un *sun_r, const char *name, int flags)
{
	size_t n = strlen(name), off = (flags & SOCK_UNIX_ABSTRACT) ? 1 : 0;

	memset(sun_r, 0, sizeof(*sun_r));
	sun_r->sun_family = AF_UNIX;
	/* A file name keeps its NUL inside sun_path. */
	if (n == 0 || n + 1 > sizeof(sun_r->sun_path)) {
		errno = ENAMETOOLONG;
		return 0;
	}
	memcpy(sun_r->sun_path + off, name, n);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + off + n +
	    (1 - off));
}

int
sock_unix_listen(const char *name, int flags, int backlog)
{
	struct sockaddr_un sun;
	socklen_t len = sock_unix_addr(&sun, name, flags);
	int fd, e, is_file = !(flags & SOCK_UNIX_ABSTRACT);

	if (len == 0)
		return -1;
	if (is_file && unlink(name) < 0 && errno != ENOENT)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (const struct sockaddr *)&sun, len) < 0 ||
	    (is_file && chmod(name, 0666) < 0) || listen(fd, backlog) < 0) {
		e = errno;
		(void)close(fd);	/* never used; the first error matters */
		errno = e;
		return -1;
	}
	return fd;
}

/* A full backlog, retried: first and longest pause (ms). */
#define SOCK_RETRY_MIN_MS	5
#define SOCK_RETRY_MAX_MS	100

static int
pause_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return nanosleep(&ts, NULL);	/* EINTR: retried by the caller */
}

int
sock_unix_connect(const char *name, int flags, int64_t deadline)
{
	struct sockaddr_un sun;
	socklen_t len = sock_unix_addr(&sun, name, flags), elen;
	int64_t step = SOCK_RETRY_MIN_MS, left;
	int fd, e;

	if (len == 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sun, len) == 0)
			return fd;
		if (errno == EINPROGRESS)
			break;
		if (errno != EAGAIN && errno != EINTR)
			goto fail;
		/* EAGAIN: the server's backlog is full; wait for room. */
		left = deadline == IO_NO_DEADLINE ? step :
		    deadline - io_now_ms();
		if (left <= 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		(void)pause_ms(left < step ? left : step);
		if (step < SOCK_RETRY_MAX_MS)
			step *= 2;
	}
	if (io_wait(fd, POLLOUT, deadline) == -1)
		goto fail;
	elen = sizeof(e);
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
		goto fail;
	if (e != 0) {
		errno = e;
		goto fail;
	}
	return fd;
fail:
	e = errno;
	(void)close(fd);	/* failing already */
	errno = e;
	return -1;
}
