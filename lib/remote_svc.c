/*
 * remote_svc.c - tern-qmgr <-> tern-remote's service and kept processes:
 * the hellos that carry the message descriptor, the acknowledgement and
 * the slot sockets' names (remote.h, SERVICE).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/fdpass.h"
#include "lib/io.h"
#include "lib/records.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/sock.h"


static const unsigned char ack[REMOTE_ACK_LEN] = { 'A', 0, 0, 0, 0 };

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int
remote_slot_path(const char *dir, const char *hop, unsigned slot, char *out,
    size_t size)
{
	int n = snprintf(out, size, "%s/%08x.%u.s", dir, (unsigned)fnv1a(hop),
	    slot);

	if (n < 0 || (size_t)n >= size ||
	    (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int
remote_slot_listen(const char *name)
{
	return sock_unix_listen(name, SOCK_UNIX_ABSTRACT, REMOTE_SLOT_BACKLOG);
}

int
remote_slot_connect(int *fdp, const char *name, uid_t uid)
{
	struct sockaddr_un sa;
	struct ucred cr;
	socklen_t len = sock_unix_addr(&sa, name, SOCK_UNIX_ABSTRACT);
	socklen_t crlen = sizeof(cr);

	if (len == 0)
		return -1;
	if (*fdp < 0 &&
	    (*fdp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* A refused connect leaves the socket as it was: used again. */
	if (connect(*fdp, (const struct sockaddr *)&sa, len) < 0)
		return -1;
	if (getsockopt(*fdp, SOL_SOCKET, SO_PEERCRED, &cr, &crlen) < 0 ||
	    crlen != sizeof(cr) || cr.uid != uid) {
		(void)close(*fdp);	/* not ours: a squatter */
		*fdp = -1;
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
remote_svc_connect(const char *path, int64_t ms)
{
	struct sockaddr_un sa;
	socklen_t len = sock_unix_addr(&sa, path, 0);
	struct timeval tv;
	int fd, e;

	if (len == 0)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	/* A full backlog (every worker busy) waits at most ms. */
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)&sa, len) < 0) {
		e = errno;
		(void)close(fd);	/* failing already */
		errno = e;
		return -1;
	}
	return fd;
}

/*
 * Send the hello h[0..hn) with nfds descriptors and, when req is not
 * NULL, the request right after it in the same message (one send, one
 * wake-up of the reader); what the socket did not take goes after.
 */
static int
send_all(int fd, const unsigned char *h, size_t hn, const int *fds,
    size_t nfds, const struct remote_req *req)
{
	struct sbuf enc, buf;
	const unsigned char *p = h;
	size_t n = hn;
	ssize_t k;
	int r = -1;

	sbuf_init(&enc, REMOTE_MSG_MAX);
	sbuf_init(&buf, REMOTE_MSG_MAX + 8);
	if (req != NULL) {
		if (remote_req_encode(req, &enc) < 0 ||
		    sbuf_cat_n(&buf, h, hn) < 0 ||
		    sbuf_cat_sbuf(&buf, &enc) < 0)
			goto out;
		p = (const unsigned char *)buf.s;
		n = buf.len;
	}
	if ((k = fdpass_send(fd, p, n, fds, nfds, 0)) <= 0)
		goto out;
	r = (size_t)k < n ? io_write_full(fd, p + k, n - (size_t)k) : 0;
out:
	sbuf_fini(&enc);
	sbuf_fini(&buf);
	return r;
}

int
remote_svc_send(int fd, unsigned slot, int msgfd, int lockfd,
    const struct remote_req *req)
{
	unsigned char h[5];
	int fds[2] = { msgfd, lockfd };

	h[0] = REMOTE_SVC_HELLO;
	h[1] = (unsigned char)(slot >> 24);
	h[2] = (unsigned char)(slot >> 16);
	h[3] = (unsigned char)(slot >> 8);
	h[4] = (unsigned char)slot;
	return send_all(fd, h, sizeof(h), fds,
	    slot != REMOTE_SVC_NOSLOT ? 2 : 1, req);
}

int
remote_kept_send(int fd, int msgfd, const struct remote_req *req)
{
	unsigned char h = REMOTE_KEPT_HELLO;

	return send_all(fd, &h, 1, &msgfd, 1, req);
}

static int
is_reg(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/*
 * Receive a hello of n bytes starting with type, with 1..max descriptors
 * (*got_r), each a regular file: 0, or -1 (EPROTO: anything else; no
 * descriptor kept).
 */
static int
recv_hello(int fd, int64_t deadline, unsigned char *buf, size_t n,
    int type, int *fds, size_t max, size_t *got_r)
{
	size_t got = 0, i;
	ssize_t k;
	int ok;

	if (io_wait(fd, POLLIN, deadline) < 0)
		return -1;
	if ((k = fdpass_recv(fd, buf, n, fds, max, &got, 0)) < 0)
		return -1;
	ok = k > 0 && got >= 1 && buf[0] == type;
	for (i = 0; ok && i < got; i++)
		ok = is_reg(fds[i]);
	if (ok && (size_t)k < n && (io_wait(fd, POLLIN, deadline) < 0 ||
	    io_read_full(fd, buf + k, n - (size_t)k) != (ssize_t)(n - k)))
		ok = 0;
	if (!ok) {
		for (i = 0; i < got; i++)
			(void)close(fds[i]);	/* refused: not kept */
		errno = EPROTO;
		return -1;
	}
	*got_r = got;
	return 0;
}

int
remote_svc_recv(int fd, int64_t deadline, unsigned *slot_r, int *msgfd_r,
    int *lockfd_r)
{
	unsigned char h[5];
	int fds[2] = { -1, -1 };
	size_t got;

	*msgfd_r = *lockfd_r = -1;
	if (recv_hello(fd, deadline, h, sizeof(h), REMOTE_SVC_HELLO, fds, 2,
	    &got) < 0)
		return -1;
	*slot_r = (unsigned)h[1] << 24 | (unsigned)h[2] << 16 |
	    (unsigned)h[3] << 8 | h[4];
	/* A lock exactly when there is a slot. */
	if ((got == 2) != (*slot_r != REMOTE_SVC_NOSLOT)) {
		(void)close(fds[0]);
		if (got == 2)
			(void)close(fds[1]);
		errno = EPROTO;
		return -1;
	}
	*msgfd_r = fds[0];
	*lockfd_r = fds[1];
	return 0;
}

int
remote_kept_recv(int fd, int64_t deadline, int *msgfd_r)
{
	unsigned char h;
	size_t got;

	*msgfd_r = -1;
	return recv_hello(fd, deadline, &h, 1, REMOTE_KEPT_HELLO, msgfd_r, 1,
	    &got);
}

int
remote_ack_send(int fd)
{
	return io_write_full(fd, ack, sizeof(ack));
}

int
remote_ack_recv(int fd, int64_t deadline)
{
	unsigned char b[REMOTE_ACK_LEN];

	if (io_wait(fd, POLLIN, deadline) < 0 ||
	    io_read_full(fd, b, sizeof(b)) != (ssize_t)sizeof(b) ||
	    memcmp(b, ack, sizeof(b)) != 0)
		return -1;
	return 0;
}

int
remote_read_records(int fd, struct sbuf *out, size_t max, int64_t deadline)
{
	return records_read(fd, out, max, REMOTE_T_END, deadline);
}
