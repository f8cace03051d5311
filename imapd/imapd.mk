# tern-imapd: one IMAP session, pre-auth child + monitor (tern-imapd(8),
# doc/login.md).
PROGS += tern-imapd
tern-imapd_SRCS = imapd/tern-imapd.c imapd/imapd_login.c imapd/imapd_read.c
# The post-auth worker: its own program, without OpenSSL (its memory is
# what an idle session costs).
PROGS += tern-imapd-worker
tern-imapd-worker_SRCS = imapd/tern-imapd-worker.c imapd/imapd_read.c \
	imapd/imapd_session.c imapd/imapd_cmd.c imapd/imapd_cmd_copy.c \
	imapd/imapd_cmd_folder.c imapd/imapd_cmd_select.c \
	imapd/imapd_cmd_store.c imapd/imapd_fetch.c imapd/imapd_search.c \
	imapd/imapd_idle.c
tern-imapd-worker_SRCS += imapd/imapd_condstore.c
tern-imapd-worker_SRCS += imapd/imapd_quota.c
tern-imapd-worker_SRCS += imapd/imapd_compress.c
# COMPRESS=DEFLATE (lib/bio_deflate.c) uses zlib: only the worker, the
# filter's unit test and its fuzz target link it (pkg-config name zlib).
$(O)/bin/tern-imapd-worker: LIBS += -lz
$(O)/t/unit/bio_deflate.t: LIBS += -lz
$(O)/t/fuzz/inflate: LIBS += -lz
fuzz: PKGS += zlib
MANPAGES += imapd/tern-imapd.8 imapd/tern-imapd-worker.8
tern-imapd-worker_SRCS += imapd/imapd_sort.c
tern-imapd-worker_SRCS += imapd/imapd_rev2.c
tern-imapd-worker_SRCS += imapd/imapd_binary.c
# Started with arguments it is the login monitor first (tern-login(8),
# login/login_main.c), and the worker in the same image after a login.
tern-imapd-worker_SRCS += login/login_main.c
# Exec'd at every connection: static-pie (the top Makefile, STATIC_PROGS).
STATIC_PROGS += tern-imapd-worker
