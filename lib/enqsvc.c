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
#include "lib/fdpass.h"
#include "lib/qid.h"
#include "lib/scan.h"
#include "lib/sock.h"

int
enqsvc_listen(const char *path)
{
	return sock_unix_listen(path, 0, ENQSVC_BACKLOG);
}

int
enqsvc_connect(const char *path, int msg_fd, int env_fd)
{
	struct sockaddr_un sun;
	socklen_t len = sock_unix_addr(&sun, path, 0);
	char hello = ENQSVC_HELLO;
	int fd, fds[2] = { msg_fd, env_fd }, e;
	ssize_t n;

	if (len == 0)
		return -1;
	/* Non-blocking: a full backlog is EAGAIN, not a wait. */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, len) < 0)
		goto fail;
	if ((n = fdpass_send(fd, &hello, 1, fds, 2, 0)) != 1) {
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
	struct stat st;
	int got[2];
	char byte[2];
	size_t ngot = 0, k;
	ssize_t n;

	fds_r[0] = fds_r[1] = -1;
	/* fdpass refuses (and closes) more than two, or anything else. */
	n = fdpass_recv(conn, byte, sizeof byte, got, 2, &ngot, 0);
	if (n < 0 && errno != EPROTO && errno != EMSGSIZE)
		return -1;
	if (n != 1 || ngot != 2 || byte[0] != ENQSVC_HELLO ||
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
