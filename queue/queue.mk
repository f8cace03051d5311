# tern-enqueue: the only writer into the queue (doc/queue.md).
PROGS += tern-enqueue
tern-enqueue_SRCS = queue/tern-enqueue.c queue/enqueue_svc.c
MANPAGES += queue/tern-enqueue.8
