PROGS += tern-supervise
tern-supervise_SRCS = supervise/tern-supervise.c supervise/sv_conf.c \
	supervise/sv_fork.c \
	supervise/sv_state.c supervise/sv_tcp.c supervise/sv_spawn.c \
	supervise/sv_lock.c
MANPAGES += supervise/tern-supervise.8
