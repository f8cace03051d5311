#!/bin/sh
# End to end through the whole suite as make run starts it: SMTP in,
# queue, qmgr, lspawn, tern-local, Maildir.  Aliases, +tag, catch-all,
# quota (deferred, then delivered once raised), unknown user, relay
# refusal, size limit, pipelining, STARTTLS, BDAT; headers; one queue id
# followed through the log; as root, the uids of the running processes.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
sandbox
plan 40
C="$PY $TERN_SRC/t/e2e/smtpc.py"

ok "suite starts" e2e_start "queue_retry_schedule = 1s 2s" "message_size_limit = 100k"
e2e_user carol@example.test
e2e_user dave@example.test --quota 2k
printf 'virt.test virtual\n' >>"$H/domains"
printf 'team@example.test: alice@example.test, bob@example.test\n@virt.test: carol@example.test\n' >>"$H/aliases"
ok "maps recompiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q

r=$($C $P_SMTP send sender@example.net alice@example.test --id one)
like "$r" '^250 [0-9A-Z]{16}$' "message accepted with its queue id"
qid=${r#250 }
ok "delivered to alice" wait_for 20 e2e_has alice@example.test one
f=$(grep -l 'X-Test-Id: one' "$(e2e_maildir alice@example.test)"/new/* 2>/dev/null | head -1)
ok "the file is in new/" test -f "$f"
hdr=$(sed -n '1,12p' "$f" 2>/dev/null)
like "$hdr" '^Return-Path: <sender@example.net>' "Return-Path first"
like "$hdr" 'Delivered-To: alice@example.test' "Delivered-To"
like "$hdr" "with ESMTP id $qid" "Received: carries the queue id"
# tern-local logs after the file is in new/, tern-qmgr after tern-local's
# result: wait for the last line of the chain before reading the trail.
wait_for 20 grep -Eq "tern-qmgr\[[0-9]+\]: $qid to=<alice@example.test> .*status=sent" "$SB/run.log"
trail=$(grep -c "$qid" "$SB/run.log")
ok "the queue id follows the message through the log ($trail lines)" test "$trail" -ge 3
trail=$(grep "$qid" "$SB/run.log")
like "$trail" "tern-smtpd\[[0-9]+\]: $qid from=<sender@example.net>" "tern-smtpd logs it"
like "$trail" "tern-enqueue\[[0-9]+\]: $qid enqueued" "tern-enqueue logs it"
like "$trail" "tern-qmgr\[[0-9]+\]: $qid to=<alice@example.test> .*status=sent" "tern-qmgr logs it"
like "$(grep "$qid" "$SB/run.log")" "tern-local.*delivered to=alice@example.test" "tern-local logs the delivery"

r=$($C $P_SMTP send sender@example.net alice@example.test,bob@example.test --id two --size 100000)
like "$r" '^250 ' "two recipients accepted"
ok "delivered to bob" wait_for 20 e2e_has bob@example.test two
ok "and to alice" wait_for 20 e2e_has alice@example.test two

like "$($C $P_SMTP send s@example.net team@example.test --id three)" '^250 ' "alias accepted"
ok "alias reaches alice" wait_for 20 e2e_has alice@example.test three
ok "alias reaches bob" wait_for 20 e2e_has bob@example.test three

like "$($C $P_SMTP send s@example.net Bob+Lists@Example.Test --id four)" '^250 ' "+tag accepted"
ok "+tag reaches bob" wait_for 20 e2e_has bob@example.test four
like "$($C $P_SMTP send s@example.net whoever@virt.test --id five)" '^250 ' "catch-all accepted"
ok "catch-all reaches carol" wait_for 20 e2e_has carol@example.test five

like "$($C $P_SMTP send s@example.net nosuch@example.test)" '^550 5\.1\.1' "unknown user: 550 5.1.1"
like "$($C $P_SMTP send s@example.net someone@elsewhere.test)" '^554 5\.7\.1' "no open relay: 554 5.7.1"
like "$($C $P_SMTP send s@example.net alice@example.test --size 150000)" '^552' "over message_size_limit: 552"

like "$($C $P_SMTP pipeline s@example.net bob@example.test six)" '^220 250 250 354 250 221$|^250 250 250 354 250 221$' "pipelined dialogue"
ok "pipelined message delivered" wait_for 20 e2e_has bob@example.test six
like "$($C $P_SMTP send s@example.net bob@example.test --tls --id seven)" '^250 ' "STARTTLS (Python ssl)"
out=$(swaks --server 127.0.0.1:$P_SMTP -tls --to bob@example.test --from s@example.net --header 'X-Test-Id: eight' 2>&1)
like "$out" '<~ +250 2\.0\.0' "STARTTLS (swaks -tls)"
like "$($C $P_SMTP send s@example.net bob@example.test --bdat --id nine)" '^250 ' "BDAT"
ok "TLS and BDAT messages delivered" wait_for 20 e2e_has bob@example.test seven eight nine

# Quota: dave has 2k; a 5k message is deferred and stays queued, then is
# delivered once the quota is raised and the queue flushed.
like "$($C $P_SMTP send s@example.net dave@example.test --size 5000 --id ten)" '^250 ' "message for a full mailbox accepted"
ok "it is deferred (mailbox full)" wait_for 20 grep -q 'to=<dave@example.test>.*status=deferred' "$SB/run.log"
is "$(e2e_count dave@example.test)" 0 "not delivered over quota"
sed -i 's/^\(dave@example.test .*\)quota=[^ ]*/\1quota=1M/' "$H/accounts"
"$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
"$(e2e_bin tern-mailq)" -c "$H/tern.conf" -f >/dev/null 2>&1
ok "delivered once the quota is raised" wait_for 30 e2e_has dave@example.test ten
ok "the queue drains" wait_for 30 e2e_queue_empty

if [ "$(id -u)" = 0 ]; then
	qm=$(pgrep -x tern-qmgr -P "$(pgrep -f "tern-supervise -c $H/tern.conf" | head -1)" | head -1)
	is "$(stat -c %U /proc/$qm 2>/dev/null)" ternq "tern-qmgr runs as ternq"
	is "$(stat -c %u "$f")" "$(stat -c %u "$(e2e_maildir alice@example.test)")" "delivered file owned by the account"
else
	skip "uids: needs root"
	skip "uids: needs root"
fi
ok "no crash or sanitizer report in the log" e2e_clean_log
e2e_stop
done_testing
