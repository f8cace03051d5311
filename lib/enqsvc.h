/*
 * enqsvc.h - the enqueue service's socket: tern-smtpd hands a message to
 * a waiting tern-enqueue worker (tern-enqueue -S, tern-enqueue(8)) instead
 * of executing tern-enqueue for it.
 *
 * The client makes the same two descriptors it would give an exec'd
 * tern-enqueue as its fd 0 and 1 (the read end of the message pipe, and
 * its end of the envelope socketpair), connects to the service's Unix
 * socket and sends them in one message: the byte ENQSVC_HELLO with both
 * descriptors (SCM_RIGHTS), then closes the connection.  From there the
 * protocol is tern-enqueue's own: the message to EOF on the pipe, the
 * envelope records and shutdown(SHUT_WR) on the socketpair, then one
 * reply line on it, sent only after the commit:
 *
 *	QUEUEID "\n"		committed (also what an exec'd tern-enqueue says)
 *	"!" CODE "\n"		not committed: tern-enqueue's exit code
 *				(ENQUEUE_EX_*, lib/queue.h)
 *
 * and end of file with no line when the worker died (treat as
 * ENQUEUE_EX_TEMP).  Nothing from the client reaches a path or argv.
 *
 * enqsvc_listen() binds path (tern.conf enqueue_socket; an old socket
 * there is removed first) mode 0666 and listens: who may connect is
 * decided by the folder it is in (made by tern-setup: the queue user's,
 * group of tern-smtpd's user, 0710) and by the worker's SO_PEERCRED check
 * (enqsvc_peer_uid).  enqsvc_connect() never blocks on a full backlog: it
 * fails with EAGAIN, as it does with ENOENT or ECONNREFUSED when no
 * service runs, and the caller falls back to the exec.  enqsvc_recv()
 * accepts exactly one ENQSVC_HELLO byte with exactly two descriptors, the
 * second of them a socket; anything else is refused (EPROTO) and every
 * descriptor received is closed.
 *
 * Return convention: 0 (or a descriptor) on success, -1 with errno set.
 * lib/ rule: nothing here prints or exits.
 */
#ifndef TERN_ENQSVC_H
#define TERN_ENQSVC_H

#include <sys/types.h>

#include <stddef.h>

#define ENQSVC_HELLO	'E'
#define ENQSVC_BACKLOG	128
#define ENQSVC_REPLY_MAX	64	/* "QUEUEID\n" or "!CODE\n" */

int	enqsvc_listen(const char *path);
/* 0 after handing msg_fd and env_fd over (the caller keeps its copies). */
int	enqsvc_connect(const char *path, int msg_fd, int env_fd);
/* On a connection the service accepted: fds_r[0] message, [1] envelope. */
int	enqsvc_recv(int conn, int fds_r[2]);
/* The connected peer's uid (SO_PEERCRED). */
int	enqsvc_peer_uid(int conn, uid_t *uid_r);
/*
 * Parse a reply line p[0..n): 0 with id_r (QID_LEN + 1 bytes) for an id,
 * the code (1..255) for "!CODE", -1 (errno EPROTO) for anything else.
 */
int	enqsvc_reply_parse(const char *p, size_t n, char *id_r);

#endif
