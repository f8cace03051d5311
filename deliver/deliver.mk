PROGS += tern-local tern-lspawn
tern-local_SRCS = deliver/tern-local.c deliver/local_deliver.c
tern-lspawn_SRCS = deliver/tern-lspawn.c deliver/lspawn_sis.c deliver/local_deliver.c

MANPAGES += deliver/tern-local.8 deliver/tern-lspawn.8
