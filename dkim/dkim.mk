PROGS += tern-dkim
tern-dkim_SRCS = dkim/tern-dkim.c

MANPAGES += dkim/tern-dkim.8
