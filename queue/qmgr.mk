# tern-qmgr: the queue manager; tern-mailq: look at and act on the queue.
PROGS += tern-qmgr
tern-qmgr_SRCS = queue/tern-qmgr.c queue/qmgr_conf.c queue/qmgr_work.c \
	queue/qmgr_deliver.c queue/qmgr_dsn.c queue/qmgr_remote.c
MANPAGES += queue/tern-qmgr.8
PROGS += tern-mailq
tern-mailq_SRCS = queue/tern-mailq.c
MANPAGES += queue/tern-mailq.8
