# tern-conf: check tern.conf and print the effective configuration.
PROGS += tern-conf
tern-conf_SRCS = maps/tern-conf.c
# MANPAGES: added with the pages.
