#!/bin/sh
# A tern-qmgr worker keeps the maps open from one message to the next
# (queue/qmgr_work.c): with one worker, a message to an account added
# to the maps after the worker made its first lookup is still resolved
# and delivered (a "not found" is always answered from the map file as
# it is now), and an alias added meanwhile expands; the same worker
# process handled every attempt.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 8
qm_setup "qmgr_concurrency = 1"
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }

qm_start
msg one | qm_enqueue sender@example.org alice@example.org >/dev/null
ok "the first message is delivered" wait_for 20 mail_is alice@example.org 1

# A new account and a new alias, compiled while the worker holds the maps.
printf 'dave@example.org uid=5007\n' >>"$SB/accounts"
printf 'crew@example.org: carol@example.org\n' >>"$SB/aliases"
qm_maps
id2=$(msg two | qm_enqueue sender@example.org dave@example.org)
ok "a message to an account added since is delivered" wait_for 20 mail_is dave@example.org 1
id3=$(msg three | qm_enqueue sender@example.org crew@example.org)
ok "an alias added since expands" wait_for 20 mail_is carol@example.org 1
ok "both left the queue" wait_for 20 queue_is 0
is "$(qlog "$id2" | grep -c 'status=bounced')" 0 "the new account was not bounced"
# Every worker line names the same pid: the attempts shared one worker.
pids=$(grep -E '^tern-qmgr\[[0-9]+\]: [0-9A-Z]{16} ' "$SB/qmgr.log" | sed 's/^tern-qmgr\[\([0-9]*\)\].*/\1/' | sort -u)
is "$(printf '%s\n' "$pids" | grep -c .)" 1 "one worker served the three messages"
qm_stop
ok "nothing is left queued" queue_is 0
unlike "$(cat "$SB/qmgr.log")" "Sanitizer|runtime error|cannot open the maps" "no sanitizer report, no map error"
done_testing
