#!/bin/sh
# Promise 1 under fire: 2,000 messages from 8 concurrent SMTP clients while
# tern-smtpd, tern-enqueue (the enqueue service, its workers, or the
# program executed while the service is down), tern-qmgr and tern-local
# are SIGKILLed at random moments (at least 20 kills).  Afterwards every message that got a
# 250 is in each of its recipients' Maildirs at least once, and the queue
# drains.  Duplicates are allowed (a kill between delivery and the state
# write) and counted.  CRASH_MSGS overrides the count; the sanitizer build
# (several times slower) sends 600.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
case $TERN_BUILD in *san*) N=${CRASH_MSGS:-600} ;; *) N=${CRASH_MSGS:-2000} ;; esac
sandbox
plan 7

ok "suite starts" e2e_start "queue_retry_schedule = 1s 2s 3s" "qmgr.restart_delay = 1s" \
    "smtp.max_per_ip = 100" "smtp.max_connections = 200"
for u in u1 u2 u3 u4; do e2e_user $u@example.test; done
sv=$(pgrep -f "tern-supervise -c $H/tern.conf" | head -1)
ok "supervisor found" test -n "$sv"

out=$("$PY" "$TERN_SRC/t/e2e/crash.py" send "$P_SMTP" "$sv" "$SB/acks" "$N" 8 20 \
    u1@example.test u2@example.test u3@example.test u4@example.test 2>&1)
note "$out"
acked=$(echo "$out" | sed -n 's/.*acked=\([0-9]*\).*/\1/p')
kills=$(echo "$out" | sed -n 's/.* kills=\([0-9]*\).*/\1/p')
ok "most messages acknowledged ($acked of $N)" test "${acked:-0}" -ge $((N / 2))
ok "at least 20 kills ($kills)" test "${kills:-0}" -ge 20

ok "the queue drains after the kills" wait_for 240 e2e_queue_empty
pairs=""
for u in u1 u2 u3 u4; do pairs="$pairs $u@example.test=$(e2e_maildir $u@example.test)"; done
# shellcheck disable=SC2086
res=$("$PY" "$TERN_SRC/t/e2e/crash.py" verify "$SB/acks" $pairs 2>&1)
note "$res"
like "$res" ' lost=0 ' "no acknowledged message lost"
ok "no sanitizer report" sh -c "! grep -Eq 'Sanitizer|runtime error' '$SB/run.log'"
e2e_stop
done_testing
