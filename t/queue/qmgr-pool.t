#!/bin/sh
# tern-qmgr's long-lived workers: one worker delivers message after
# message (no fork per message); a worker killed while idle is replaced
# and the next message is delivered; a worker killed in the middle of an
# attempt (TERN_CRASH_AT=after-deliver: delivered, not recorded) leaves
# its message to be retried by the running tern-qmgr: delivered again, a
# duplicate, never a loss.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 11
# One worker slot: which worker runs an attempt is then certain.
qm_setup "qmgr_concurrency = 1"
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }
# The pid in the log line that says ID was sent to ADDR.
sent_by() { sed -n "s/^tern-qmgr\[\([0-9]*\)\]: $1 to=<$2>.*status=sent.*/\1/p" "$SB/qmgr.log" | head -1; }
# The worker writes its log line after the file is in the Maildir: wait
# for the line too, or a fast reader finds the mail but not yet the line.
sent_logged() { wait_for 10 log_count "$1" "to=<$2>.*status=sent" 1; }

qm_start
id1=$(msg one | qm_enqueue sender@example.org alice@example.org)
ok "first message delivered" wait_for 20 mail_is alice@example.org 1
id2=$(msg two | qm_enqueue sender@example.org bob@example.org)
ok "second message delivered" wait_for 20 mail_is bob@example.org 1
sent_logged "$id1" alice@example.org
sent_logged "$id2" bob@example.org
w1=$(sent_by "$id1" alice@example.org)
w2=$(sent_by "$id2" bob@example.org)
ok "the attempts ran in a worker, not in tern-qmgr itself" test -n "$w1" -a "$w1" != "$QM_PID"
is "$w2" "$w1" "the same worker process delivered both"

# A worker killed while idle: replaced, nothing lost, no message blamed.
kill -KILL "$w1"
ok "the killed worker is gone" wait_for 10 sh -c "! kill -0 $w1 2>/dev/null"
id3=$(msg three | qm_enqueue sender@example.org carol@example.org)
ok "the next message is delivered" wait_for 20 mail_is carol@example.org 1
sent_logged "$id3" carol@example.org
w3=$(sent_by "$id3" carol@example.org)
ok "by a new worker" test -n "$w3" -a "$w3" != "$w1"
is "$(grep -c 'worker died' "$SB/qmgr.log")" 0 "no attempt was lost with the idle worker"
qm_stop

# A worker killed in the middle of an attempt: the running tern-qmgr
# retries the message (every attempt of this run is killed the same way).
TERN_CRASH_AT=after-deliver qm_start
id4=$(msg four | qm_enqueue sender@example.org alice@example.org)
ok "the worker was killed after delivering, twice" wait_for 30 log_count "$id4" 'worker died' 2
qm_stop
ok "delivered again by the retry: a duplicate, never a loss" test "$(nmail alice@example.org)" -ge 3
unlike "$(cat "$SB/qmgr.log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
