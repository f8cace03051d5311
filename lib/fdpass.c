/*
 * fdpass.c - SCM_RIGHTS send and receive (see fdpass.h).
 *
 * The receive buffer has room for twice FDPASS_MAX descriptors so that a
 * peer sending too many is seen (and its descriptors closed) instead of
 * being cut silently by the kernel; beyond that the kernel truncates,
 * sets MSG_CTRUNC and drops the rest itself.
 */
#include <sys/socket.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"

#define RECV_ROOM	(2 * FDPASS_MAX)

ssize_t
fdpass_send(int sock, const void *buf, size_t len, const int *fds,
    size_t nfds, int flags)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(FDPASS_MAX * sizeof(int))];
	} c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	ssize_t n;

	if (len == 0 || nfds > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&m, 0, sizeof m);
	memset(&c, 0, sizeof c);
	iov.iov_base = (void *)(uintptr_t)buf;	/* sendmsg does not write */
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (nfds > 0) {
		m.msg_control = c.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		h = CMSG_FIRSTHDR(&m);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
	}
	while ((n = sendmsg(sock, &m, flags | MSG_NOSIGNAL)) < 0 &&
	    errno == EINTR)
		;
	return n;
}

/* Close the n descriptors in got (refused). */
static void
close_all(const int *got, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		(void)close(got[i]);	/* refused: not kept */
}

ssize_t
fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t max,
    size_t *nfds_r, int flags)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(RECV_ROOM * sizeof(int))];
	} c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	int got[RECV_ROOM], k, e;
	size_t ngot = 0, i, nfd;
	ssize_t n;
	int bad = 0;

	*nfds_r = 0;
	if (len == 0 || max > FDPASS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&m, 0, sizeof m);
	iov.iov_base = buf;
	iov.iov_len = len;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.b;
	m.msg_controllen = sizeof c.b;
	while ((n = recvmsg(sock, &m, flags | MSG_CMSG_CLOEXEC)) < 0 &&
	    errno == EINTR)
		;
	if (n < 0)
		return -1;
	for (h = CMSG_FIRSTHDR(&m); h != NULL; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
		    h->cmsg_len < CMSG_LEN(0)) {
			bad = 1;	/* credentials or junk: not asked for */
			continue;
		}
		nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&k, CMSG_DATA(h) + i * sizeof(int), sizeof k);
			if (ngot < RECV_ROOM)
				got[ngot++] = k;
			else
				(void)close(k);	/* cannot happen: room */
		}
	}
	if (bad || ngot > max || (m.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
		e = (m.msg_flags & MSG_TRUNC) && !bad && ngot <= max &&
		    !(m.msg_flags & MSG_CTRUNC) ? EMSGSIZE : EPROTO;
		close_all(got, ngot);
		errno = e;
		return -1;
	}
	for (i = 0; i < ngot; i++)
		fds[i] = got[i];
	*nfds_r = ngot;
	return n;
}
