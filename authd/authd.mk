PROGS += tern-authd
tern-authd_SRCS = authd/tern-authd.c authd/authd_worker.c
MANPAGES += authd/tern-authd.8
