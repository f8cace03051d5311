#!/bin/sh
# tern-qmgr's workers outlive a SIGHUP: tern-supervise passes a reload to
# the daemon's whole process group, and 50 reloads while mail flowed
# killed workers in the middle of attempts ("worker died (status 1);
# retry later", "worker ... unusable: Broken pipe"): each such message was
# deferred, and one killed after its delivery would be delivered twice.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 6
qm_setup "qmgr_concurrency = 1"
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }
sent_by() { sed -n "s/^tern-qmgr\[\([0-9]*\)\]: $1 to=<$2>.*status=sent.*/\1/p" "$SB/qmgr.log" | head -1; }

qm_start
id1=$(msg one | qm_enqueue sender@example.org alice@example.org)
ok "first message delivered" wait_for 20 mail_is alice@example.org 1
wait_for 10 log_count "$id1" "to=<alice@example.org>.*status=sent" 1
w1=$(sent_by "$id1" alice@example.org)
ok "delivered by a worker" test -n "$w1" -a "$w1" != "$QM_PID"
# What the supervisor's killpg(qmgr, SIGHUP) does to the worker.
kill -HUP "$w1"
sleep 0.3
ok "the worker survives SIGHUP" kill -0 "$w1"
id2=$(msg two | qm_enqueue sender@example.org bob@example.org)
ok "the next message is delivered" wait_for 20 mail_is bob@example.org 1
wait_for 10 log_count "$id2" "to=<bob@example.org>.*status=sent" 1
is "$(sent_by "$id2" bob@example.org)" "$w1" "by the same worker"
is "$(grep -Ec 'worker died|unusable' "$SB/qmgr.log")" 0 "no worker died or was found unusable"
qm_stop
done_testing
