/*
 * enqueue.h - tern-enqueue's service mode (enqueue_svc.c), for its main.
 *
 * enqueue_serve() runs the service (tern-enqueue -S) on the configuration
 * cf, already read, with the process already the queue user.  The master
 * never returns (it exits when stopped); it returns in a worker that took
 * one message, with the message on fd 0 and the envelope socket on fd 1
 * exactly as an exec'd tern-enqueue has them, and *caller_r the uid of the
 * process that sent them.  The caller then commits the message as always;
 * a failure exits (die), and an exit code other than 0 reaches the client
 * as "!CODE".  After a commit (the id sent), the caller calls
 * enqueue_next(): it closes the message's descriptors and returns 1 with
 * the next message on fd 0 and 1, or 0 when the worker must end (its
 * bound of messages or time reached, or the master gone): the caller then
 * exits 0.
 */
#ifndef TERN_QUEUE_ENQUEUE_H
#define TERN_QUEUE_ENQUEUE_H

#include <sys/types.h>

struct conf;

void	enqueue_serve(struct conf *cf, uid_t *caller_r);
int	enqueue_next(uid_t *caller_r);

#endif
