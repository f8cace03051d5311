#!/bin/sh
# tern-qmgr on a storage host and an account being moved (tern-user move,
# doc/move.md): mail for it is held here, deferred 4.2.1 by tern-lspawn,
# even when its host= names another host (the new host hears of the move
# last and still names the old one) instead of being relayed there; once
# the maps say the account lives here and is active, it is delivered.
# An account that has moved away (active elsewhere) is relayed as before.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 8
dead=$(free_port)
qm_setup "relay_host = smtp:[127.0.0.1]:$dead" "remote_connect_timeout = 2s"
printf 'dave@example.org uid=5007 host=old.example.org status=moving\n' >>"$SB/accounts"
printf 'erin@example.org uid=5008 host=old.example.org\n' >>"$SB/accounts"
qm_maps
qm_start
msg() { printf 'From: sender@example.org\r\nSubject: %s\r\n\r\nhello\r\n' "$1"; }

id=$(msg held | qm_enqueue sender@example.org dave@example.org)
ok "moving: deferred 4.2.1 by local delivery" wait_for 20 log_count "$id" 'to=<dave@example.org> relay=local .*status=deferred dsn=4.2.1' 1
ok "and retried, still held" wait_for 20 log_count "$id" 'to=<dave@example.org> relay=local .*status=deferred dsn=4.2.1' 2
unlike "$(qlog "$id")" "tern-remote|moved to host|relay=127" "never relayed to its old host"
is "$(queued)" 1 "still queued"

# The switch reaches this host: dave lives here now.
sed -i 's/^dave@example.org .*/dave@example.org uid=5007 host=mx.example.org/' "$SB/accounts"
qm_maps
ok "delivered once the maps say it is here" wait_for 30 mail_is dave@example.org 1
ok "the queue drains" wait_for 20 queue_is 0

# Active on another host: relayed (here to a port nobody listens on).
id=$(msg away | qm_enqueue sender@example.org erin@example.org)
ok "moved away: relayed through tern-remote" wait_for 30 log_count "$id" 'to=<erin@example.org> relay=127.0.0.1 .*status=deferred' 1
is "$(nmail erin@example.org)" 0 "nothing in the Maildir left behind"
done_testing
