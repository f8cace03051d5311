#!/bin/sh
# pop3.max_userip_connections (lib/userip.h, tern.conf(5)) at 1 (a POP3
# account has one session at a time anyway: its mailbox lock): the second
# session of alice from 127.0.0.1 is refused with -ERR [IN-USE] Too many
# connections and its connection goes on, 127.0.0.2 has its own slots
# (it gets as far as the mailbox lock), a QUIT and a worker killed with
# SIGKILL each free a slot, and the worker runs as alice holding its
# slot read-only (t/login/userip.sh, userip.py).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
. "$TERN_SRC/t/login/userip.sh"
sandbox
plan 12
echo "pop3.max_userip_connections = 1" >"$SB/extra.conf"
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
userip_test pop3 "$P_POP3" 1 "^no -ERR \[IN-USE\] Mailbox in use, or too many connections for this user from this address" "Mailbox is locked"
done_testing
