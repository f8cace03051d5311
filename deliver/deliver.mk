PROGS += tern-local tern-lspawn
tern-local_SRCS = deliver/tern-local.c
tern-lspawn_SRCS = deliver/tern-lspawn.c deliver/lspawn_sis.c

MANPAGES += deliver/tern-local.8 deliver/tern-lspawn.8
