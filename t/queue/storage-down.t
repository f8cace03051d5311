#!/bin/sh
# Storage host down (issue 8): the MX relays an account's mail to its
# storage host over LMTP (routes); while nothing listens there, tern-remote's
# connection failure defers each recipient and tern-qmgr retries with its
# back-off; nothing bounces (queue_lifetime not reached); when the storage
# host comes back, the queue drains and every message arrives exactly once.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-remote" ] || skip_all "tern-remote not built"
[ -x "$TERN_BINDIR/tern-mailq" ] || skip_all "tern-mailq not built"
"$PY" -I -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
sandbox
plan 13
C="$PY $TERN_SRC/t/e2e/smtpc.py"

ok "suite starts" e2e_start "queue_retry_schedule = 1s 2s" "queue_lifetime = 1h"
STP=$(free_port)
# carol lives on st2.test; the MX reaches it over LMTP on a closed port.
e2e_user carol@example.test --host st2.test
printf 'carol@example.test lmtp:127.0.0.1:%s\n' "$STP" >>"$H/routes"
ok "maps recompiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q

ids=""
for i in 1 2 3; do
	r=$($C $P_SMTP send alice@example.test carol@example.test --id down$i)
	case $r in 250*) ids="$ids down$i" ;; esac
done
is "$ids" " down1 down2 down3" "three messages for carol accepted while her storage host is down"
# deferred N: each of the three queue ids deferred at least N times by
# tern-qmgr (counting tern-remote's lines too, or all of one message's,
# let tern-mailq run before the third had been tried at all).
deferred() {
	[ "$(grep "tern-qmgr.*to=<carol@example.test> .*status=deferred" "$SB/run.log" |
	    awk '{print $2}' | sort | uniq -c | awk -v n="$1" '$1 >= n' | wc -l)" -ge 3 ]
}
ok "each is deferred, and retried (each twice)" wait_for 60 deferred 2
like "$(grep 'to=<carol@example.test>.*status=deferred' "$SB/run.log" | head -1)" 'relay=.*127\.0\.0\.1.*dsn=4\.' "the deferral names the relay, with a 4.x.x status"
unlike "$(cat "$SB/run.log")" 'to=<carol@example.test>.*status=(bounced|failed)' "nothing bounced"
mq=$("$(e2e_bin tern-mailq)" -c "$H/tern.conf" 2>&1)
is "$(printf "%s\n" "$mq" | grep -c -- "-> <carol@example.test> pending")" 3 "tern-mailq lists the three as pending"
ok "no bounce reached the sender" sh -c "! grep -qls 'X-Test-Id: down\|Delivery Status' $(e2e_maildir alice@example.test)/new/* 2>/dev/null"

# The storage host comes back.
mkdir -p "$SB/st2/out"
chmod 777 "$SB/st2/out"
"$PY" "$TERN_SRC/t/remote/sink.py" "$SB/st2/out" "127.0.0.1:$STP:lmtp" >"$SB/st2/log" 2>&1 &
track $!
ok "storage host listens again" wait_for 20 grep -q ready "$SB/st2/log"
ok "the queue drains" wait_for 90 e2e_queue_empty
got=$(cat "$SB"/st2/out/*.eml 2>/dev/null | sed -n 's/^X-Test-Id: //p' | tr -d '\r' | sort | tr '\n' ' ')
is "$got" "down1 down2 down3 " "each message arrived exactly once"
unlike "$(cat "$SB/run.log")" 'to=<carol@example.test>.*status=(bounced|failed)' "still nothing bounced"
e2e_stop
ok "no crash or sanitizer report" e2e_clean_log
done_testing
