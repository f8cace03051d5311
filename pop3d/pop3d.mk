# tern-pop3d: one POP3 session, pre-auth child + monitor + worker
# (tern-pop3d(8), doc/login.md).
PROGS += tern-pop3d
tern-pop3d_SRCS = pop3d/tern-pop3d.c pop3d/pop3d_login.c pop3d/pop3d_capa.c
# The post-auth worker: its own program, without OpenSSL (its memory is
# what an idle session costs).
PROGS += tern-pop3d-worker
tern-pop3d-worker_SRCS = pop3d/tern-pop3d-worker.c pop3d/pop3d_cmd.c \
	pop3d/pop3d_box.c pop3d/pop3d_capa.c
MANPAGES += pop3d/tern-pop3d.8
# The worker is exec'd at every login: static-pie (still ASLR and full
# RELRO), so it starts without dynamic linking (~0.8 ms CPU per login,
# bench/pop3).  Sanitizer builds cannot link statically.
ifneq ($(SAN),1)
tern-pop3d-worker_SRCS += pop3d/worker_static.c
$(O)/bin/tern-pop3d-worker: LIBS += -lmd -static-pie
ifneq ($(findstring clang,$(CC)),)
# clang says -pie (in every link line) is unused next to -static-pie.
$(O)/bin/tern-pop3d-worker: LIBS += -Wno-unused-command-line-argument
endif
endif
