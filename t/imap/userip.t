#!/bin/sh
# imap.max_userip_connections (lib/userip.h, tern.conf(5)) at 3: the
# fourth session of alice from 127.0.0.1 is refused with NO [LIMIT] and
# its connection goes on, 127.0.0.2 has its own slots, a LOGOUT and a
# worker killed with SIGKILL each free a slot, and the worker runs as
# alice holding its slot read-only (t/login/userip.sh, userip.py).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
. "$TERN_SRC/t/login/userip.sh"
sandbox
plan 12
echo "imap.max_userip_connections = 3" >"$SB/extra.conf"
imap_start || { echo "Bail out! set-up failed"; exit 1; }
userip_test imap "$P_IMAP" 3 "^no \[LIMIT\] Too many connections for this user from this address" "^ok"
done_testing
