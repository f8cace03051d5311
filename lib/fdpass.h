/*
 * fdpass.h - descriptors over Unix sockets (SCM_RIGHTS), written once.
 *
 * fdpass_send() sends buf (len >= 1: a stream socket carries descriptors
 * only with data) and nfds descriptors (0 .. FDPASS_MAX) in one sendmsg.
 * MSG_NOSIGNAL is always added to flags (a closed peer is EPIPE, never
 * SIGPIPE); MSG_DONTWAIT may be passed.  Returns the bytes sent (on a
 * stream socket maybe fewer than len: the descriptors went with the first
 * byte, the caller writes the rest) or -1 with errno.
 *
 * fdpass_recv() receives one message: at most len bytes into buf and at
 * most max (<= FDPASS_MAX) descriptors into fds, in the order sent, each
 * close-on-exec.  Returns the bytes received (0: end of file) with
 * *nfds_r set, or -1 with errno and no descriptor left open.  Anything
 * other than what was asked for is refused, and every descriptor that
 * came with it closed, so a hostile or confused peer can neither leak
 * descriptors into the receiver nor smuggle one it did not expect:
 *   more than max descriptors, truncated control data (MSG_CTRUNC), a
 *   control message that is not SCM_RIGHTS: EPROTO;
 *   a datagram or packet longer than len (MSG_TRUNC): EMSGSIZE.
 * The caller checks the count it needs (*nfds_r may be below max).
 *
 * Both retry EINTR (as lib/io does); a caller that must notice signals
 * polls first, then calls these.
 */
#ifndef TERN_FDPASS_H
#define TERN_FDPASS_H

#include <stddef.h>
#include <sys/types.h>

#define FDPASS_MAX	4

ssize_t	fdpass_send(int sock, const void *buf, size_t len, const int *fds,
	    size_t nfds, int flags);
ssize_t	fdpass_recv(int sock, void *buf, size_t len, int *fds, size_t max,
	    size_t *nfds_r, int flags);

#endif
