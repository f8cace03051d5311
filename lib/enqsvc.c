/*
 * enqsvc.c - the enqueue service's socket (enqsvc.h).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/enqsvc.h"
#include "lib/qid.h"
#include "lib/scan.h"

static int
sun_set(struct sockaddr_un *sun, const char *path)
{
	size_t n = strlen(path);

	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun->sun_path, path, n + 1);
	return 0;
}

int
enqsvc_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd, e;

	if (sun_set(&sun, path) < 0)
		return -1;
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, ENQSVC_BACKLOG) < 0) {
		e = errno;
		(void)close(fd);	/* failing already */
		errno = e;
		return -1;
	}
	return fd;
}

int
enqsvc_connect(const char *path, int msg_fd, int env_fd)
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(2 * sizeof(int))];
	} c;
	struct sockaddr_un sun;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	char hello = ENQSVC_HELLO;
	int fd, fds[2] = { msg_fd, env_fd }, e;
	ssize_t n;

	if (sun_set(&sun, path) < 0)
		return -1;
	/* Non-blocking: a full backlog is EAGAIN, not a wait. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0)
		goto fail;
	memset(&m, 0, sizeof m);
	memset(&c, 0, sizeof c);
	iov.iov_base = &hello;
	iov.iov_len = 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.b;
	m.msg_controllen = sizeof c.b;
	h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof fds);
	memcpy(CMSG_DATA(h), fds, sizeof fds);
	while ((n = sendmsg(fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n != 1) {
		if (n >= 0)
			errno = EPROTO;
		goto fail;
	}
	return close(fd);
fail:
	e = errno;
	(void)close(fd);	/* failing already */
	errno = e;
	return -1;
}

int
enqsvc_recv(int conn, int fds_r[2])
{
	union {
		struct cmsghdr	h;
		char		b[CMSG_SPACE(4 * sizeof(int))];
	} c;
	struct msghdr m;
	struct iovec iov;
	struct cmsghdr *h;
	struct stat st;
	int got[8], ngot = 0, k, bad = 0;
	char byte[2];
	size_t i, nfd;
	ssize_t n;

	fds_r[0] = fds_r[1] = -1;
	memset(&m, 0, sizeof m);
	iov.iov_base = byte;
	iov.iov_len = sizeof byte;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = c.b;
	m.msg_controllen = sizeof c.b;
	while ((n = recvmsg(conn, &m, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return -1;
	for (h = CMSG_FIRSTHDR(&m); h != NULL; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS ||
		    h->cmsg_len < CMSG_LEN(0)) {
			bad = 1;
			continue;
		}
		nfd = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			memcpy(&k, CMSG_DATA(h) + i * sizeof(int), sizeof k);
			if (ngot < (int)(sizeof got / sizeof got[0]))
				got[ngot++] = k;
			else
				(void)close(k);	/* too many: refused below */
		}
	}
	if (bad || ngot != 2 || n != 1 || byte[0] != ENQSVC_HELLO ||
	    (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
	    fstat(got[1], &st) < 0 || !S_ISSOCK(st.st_mode)) {
		for (k = 0; k < ngot; k++)
			(void)close(got[k]);	/* refused: not ours */
		errno = EPROTO;
		return -1;
	}
	fds_r[0] = got[0];
	fds_r[1] = got[1];
	return 0;
}

int
enqsvc_peer_uid(int conn, uid_t *uid_r)
{
	struct ucred cr;
	socklen_t len = sizeof cr;

	if (getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return -1;
	if (len != sizeof cr) {
		errno = EPROTO;
		return -1;
	}
	*uid_r = cr.uid;
	return 0;
}

int
enqsvc_reply_parse(const char *p, size_t n, char *id_r)
{
	uint64_t code;

	id_r[0] = '\0';
	if (n == QID_LEN + 1 && p[QID_LEN] == '\n' && qid_valid(p, QID_LEN)) {
		memcpy(id_r, p, QID_LEN);
		id_r[QID_LEN] = '\0';
		return 0;
	}
	if (n >= 3 && n <= 5 && p[0] == '!' && p[n - 1] == '\n' &&
	    scan_u64_n(p + 1, n - 2, &code) == 0 && code >= 1 && code <= 255)
		return (int)code;
	errno = EPROTO;
	return -1;
}
