# tern-imapd: one IMAP session, pre-auth child + monitor + worker
# (tern-imapd(8), doc/login.md).
PROGS += tern-imapd
tern-imapd_SRCS = $(sort $(wildcard imapd/*.c))
MANPAGES += imapd/tern-imapd.8
