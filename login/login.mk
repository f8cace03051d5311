# tern-login: the monitor of a tern-pop3d or tern-imapd connection
# (tern-login(8), doc/login.md).  Started by vfork and exec from the
# service's fork server (or exec'd in place by tern-pop3d/tern-imapd), so
# it is small and links no OpenSSL; static-pie like the workers.
PROGS += tern-login
tern-login_SRCS = login/tern-login.c
MANPAGES += login/tern-login.8
STATIC_PROGS += tern-login
