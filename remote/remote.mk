# tern-remote: the SMTP/LMTP client tern-qmgr runs for remote recipients.
PROGS += tern-remote
tern-remote_SRCS = remote/tern-remote.c remote/remote_smtp.c \
	remote/remote_svc.c \
	remote/remote_self.c
MANPAGES += remote/tern-remote.8
