# tern-pop3d: one POP3 session, pre-auth child + monitor + worker
# (tern-pop3d(8), doc/login.md).
PROGS += tern-pop3d
tern-pop3d_SRCS = pop3d/tern-pop3d.c pop3d/pop3d_login.c pop3d/pop3d_capa.c
# The post-auth worker: its own program, without OpenSSL (its memory is
# what an idle session costs).
PROGS += tern-pop3d-worker
tern-pop3d-worker_SRCS = pop3d/tern-pop3d-worker.c pop3d/pop3d_cmd.c \
	pop3d/pop3d_box.c pop3d/pop3d_capa.c
MANPAGES += pop3d/tern-pop3d.8 pop3d/tern-pop3d-worker.8 login/tern-login.8
# Started with arguments it is the login monitor first (tern-login(8),
# login/login_main.c), and the worker in the same image after a login.
tern-pop3d-worker_SRCS += login/login_main.c
# Exec'd at every connection: static-pie (the top Makefile, STATIC_PROGS).
STATIC_PROGS += tern-pop3d-worker
