# tern-proxy: the IMAP/POP3 front end (tern-proxy(8), doc/proxy.md).  Its
# pre-auth child is tern-imapd's and tern-pop3d's own code, linked in.
PROGS += tern-proxy
tern-proxy_SRCS = proxy/tern-proxy.c proxy/proxy_backend.c \
	imapd/imapd_login.c imapd/imapd_read.c \
	pop3d/pop3d_login.c pop3d/pop3d_capa.c
MANPAGES += proxy/tern-proxy.8
