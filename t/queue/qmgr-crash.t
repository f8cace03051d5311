#!/bin/sh
# tern-qmgr crash tests: a worker killed (SIGKILL, TERN_CRASH_AT) right
# after recording an alias expansion, after a delivery before recording
# it, and after enqueueing a DSN before recording it.  After a restart
# nothing is lost; the recorded expansion is used even though the aliases
# changed; a duplicate delivery or DSN is allowed.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 13
# A crashed attempt is retried only after an hour: the restart does it.
qm_setup "queue_retry_schedule = 1h"
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }
crash_start() { TERN_CRASH_AT=$1 qm_start; }
died() { log_count "$1" 'worker died' 1; }

# A. Killed after the expansion is recorded; the aliases change.
crash_start after-expand
id=$(msg expand | qm_enqueue sender@example.org team@example.org)
ok "worker killed after the expansion" wait_for 20 died "$id"
is "$(nmail alice@example.org)$(nmail bob@example.org)$(nmail carol@example.org)" "000" "nothing delivered yet"
printf 'team@example.org: sender@example.org\n' >"$SB/aliases"
qm_maps
qm_stop
qm_start
ok "restart: the queue drains" wait_for 20 queue_is 0
is "$(nmail alice@example.org) $(nmail bob@example.org) $(nmail carol@example.org)" "1 1 1" "the recorded targets got it"
is "$(nmail sender@example.org)" 0 "the new alias target did not"
qm_stop

# B. Killed after delivering, before recording it: delivered again.
crash_start after-deliver
id=$(msg deliver | qm_enqueue sender@example.org alice@example.org)
ok "worker killed after the delivery" wait_for 20 died "$id"
is "$(nmail alice@example.org)" 2 "the delivery happened"
qm_stop
qm_start
ok "restart: the queue drains" wait_for 20 queue_is 0
is "$(nmail alice@example.org)" 3 "delivered again: a duplicate, never a loss"
qm_stop

# C. Killed after enqueueing the DSN, before recording it: sent twice.
crash_start after-bounce
id=$(msg bounce | qm_enqueue sender@example.org ghost@example.org)
ok "worker killed after the DSN was queued" wait_for 20 died "$id"
# The DSN itself is delivered at once (its id is in the trigger): let
# that finish, or the stop would cut it short (a third copy on restart).
# Finished is removed from the queue, not only in the Maildir: a stop
# between the two (the worker recording it) delivers it again.
wait_for 20 mail_is sender@example.org 1
wait_for 20 queue_is 1
qm_stop
qm_start
ok "restart: the queue drains" wait_for 20 queue_is 0
is "$(nmail sender@example.org)" 2 "the DSN went out twice, not zero times"
qm_stop
unlike "$(cat "$SB/qmgr.log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
