#!/bin/sh
# DSN (RFC 3461, RFC 3464) through the whole suite: tern-smtpd offers DSN
# and parses RET, ENVID, NOTIFY and ORCPT strictly; tern-remote passes them
# on to a next hop that offers DSN (an aiosmtpd sink recording them as
# received) and not to one that does not; NOTIFY=SUCCESS gets a "relayed"
# report from a next hop without DSN and a "delivered" one on local
# delivery; NOTIFY=NEVER gets no bounce; RET=HDRS returns the headers
# only; ENVID and ORCPT come back in the report (Python's email parses it).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-remote" ] || skip_all "tern-remote not built"
"$PY" -I -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
sandbox
plan 48
C="$PY $TERN_SRC/t/remote/dsn.py"

PD=$(free_port); PP=$(free_port)
mkdir -p "$SB/out"; chmod 777 "$SB/out"
"$PY" "$TERN_SRC/t/remote/sink.py" "$SB/out" "127.0.0.1:$PD:dsn" \
    "127.0.0.1:$PP" >"$SB/sink.log" 2>&1 &
track $!
ok "sinks start" wait_for 20 grep -q ready "$SB/sink.log"
ok "suite starts" e2e_start "queue_retry_schedule = 1s 2s"
printf 'dsn.test relay\nplain.test relay\n' >>"$H/domains"
printf 'dsn.test smtp:[127.0.0.1]:%s\nplain.test smtp:[127.0.0.1]:%s\n' \
    "$PD" "$PP" >>"$H/routes"
printf 'fwd@example.test: w@dsn.test\n' >>"$H/aliases"
ok "maps recompiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
A=alice@example.test

# eml ID: the sink's file holding X-Test-Id ID.
eml() { grep -l "^X-Test-Id: $1" "$SB"/out/*.eml 2>/dev/null | head -1; }
# report ID: the DSN in alice's Maildir about message ID.
report() {
	_m=$(e2e_maildir $A)
	grep -l "dsn test $1" "$_m"/new/* "$_m"/cur/* 2>/dev/null | while read -r _f; do
		grep -q '^Content-Type: multipart/report' "$_f" && echo "$_f"
	done | head -1
}
has_report() { [ -n "$(report "$1")" ]; }

like "$($C $P_SMTP ehlo)" "DSN" "EHLO offers DSN"

# Passed on to a next hop with DSN: parameters as given, no report here.
r=$($C $P_SMTP send $A u@dsn.test "RET=HDRS ENVID=QQ+2Bid+3D1" \
    "NOTIFY=SUCCESS,DELAY ORCPT=rfc822;orig+2Bu@dsn.test" pass1)
like "$r" "^250 " "MAIL RET/ENVID and RCPT NOTIFY/ORCPT accepted"
ok "relayed to the DSN sink" wait_for 30 sh -c "[ -n \"\$(grep -l 'X-Test-Id: pass1' $SB/out/*.eml 2>/dev/null)\" ]"
f=$(eml pass1)
env=$(cat "${f%.eml}.env" 2>/dev/null)
like "$env" "mailraw=RET=HDRS ENVID=QQ\+2Bid\+3D1" "RET and ENVID passed on verbatim"
like "$env" "rcptraw=NOTIFY=SUCCESS,DELAY ORCPT=rfc822;orig\+2Bu@dsn.test" "NOTIFY and ORCPT passed on verbatim"

# No ORCPT given, an alias expanded: the envelope's recipient as ORCPT.
r=$($C $P_SMTP send $A fwd@example.test - "NOTIFY=FAILURE" fwd1)
like "$r" "^250 " "message to an alias accepted"
ok "relayed to the DSN sink" wait_for 30 sh -c "[ -n \"\$(grep -l 'X-Test-Id: fwd1' $SB/out/*.eml 2>/dev/null)\" ]"
env=$(cat "$(eml fwd1 | sed 's/eml$/env/')" 2>/dev/null)
like "$env" "rcptraw=NOTIFY=FAILURE ORCPT=rfc822;fwd@example.test" "ORCPT added: the address before the alias"

# A next hop without DSN: nothing passed, a "relayed" report comes back.
r=$($C $P_SMTP send $A v@plain.test "ENVID=env-relay" \
    "NOTIFY=SUCCESS ORCPT=rfc822;v@plain.test" relay1)
like "$r" "^250 " "message for a next hop without DSN accepted"
ok "relayed to the plain sink" wait_for 30 sh -c "[ -n \"\$(grep -l 'X-Test-Id: relay1' $SB/out/*.eml 2>/dev/null)\" ]"
env=$(cat "$(eml relay1 | sed 's/eml$/env/')" 2>/dev/null)
unlike "$env" "NOTIFY|ENVID|ORCPT" "no DSN parameter sent to a server without DSN"
ok "a success report arrives" wait_for 30 has_report relay1
rep=$($C - report "$(report relay1)")
like "$rep" "type=multipart/report" "it is a multipart/report"
like "$rep" "report-type=delivery-status" "of delivery-status"
like "$rep" "action=relayed" "Action: relayed"
like "$rep" "status=2\.0\.0" "Status 2.0.0"
like "$rep" "envid=env-relay" "Original-Envelope-Id is the ENVID"
like "$rep" "orig=rfc822;v@plain.test" "Original-Recipient is the ORCPT"
like "$rep" "returned=text/rfc822-headers" "headers returned only"

# Local delivery with NOTIFY=SUCCESS: a "delivered" report.
r=$($C $P_SMTP send $A bob@example.test "ENVID=local-1" "NOTIFY=SUCCESS,FAILURE" local1)
like "$r" "^250 " "local message with NOTIFY=SUCCESS accepted"
ok "a delivered report arrives" wait_for 30 has_report local1
rep=$($C - report "$(report local1)")
like "$rep" "action=delivered" "Action: delivered"
like "$rep" "envid=local-1" "its Original-Envelope-Id"
like "$rep" "final=rfc822; bob@example.test" "its Final-Recipient"

# Failures: NOTIFY=NEVER gets no bounce; RET=HDRS returns headers only;
# without RET the whole message comes back.
r=$($C $P_SMTP send $A bad-never@plain.test - "NOTIFY=NEVER" never1)
like "$r" "^250 " "NOTIFY=NEVER accepted"
r=$($C $P_SMTP send $A bad-hdrs@plain.test "RET=HDRS ENVID=fail-1" "NOTIFY=FAILURE" fail1)
like "$r" "^250 " "RET=HDRS accepted"
r=$($C $P_SMTP send $A bad-full@plain.test - - full1)
# An SMTPUTF8 recipient refused: its state (the target's address, UTF-8)
# could not be written, so no bounce ever came and it was retried forever.
r=$($C $P_SMTP send $A "bad-jürgen@plain.test" "SMTPUTF8" - utf1)
like "$r" "^250 " "an SMTPUTF8 recipient accepted"
ok "the failure report arrives" wait_for 30 has_report fail1
ok "and the SMTPUTF8 recipient's" wait_for 30 has_report utf1
ok "and the default one" wait_for 30 has_report full1
ok "never1 was refused by the next hop" wait_for 30 grep -q "to=<bad-never@plain.test>.*status=bounced" "$SB/run.log"
ok "the queue drains" wait_for 30 e2e_queue_empty
is "$(report never1)" "" "NOTIFY=NEVER: no bounce"
is "$(report pass1)" "" "passed on with DSN: no report from here"
rep=$($C - report "$(report fail1)")
like "$rep" "action=failed" "Action: failed"
like "$rep" "returned=text/rfc822-headers" "RET=HDRS: headers only"
rep=$($C - report "$(report full1)")
like "$rep" "returned=message/rfc822" "no RET: the whole message"

# Strict parsing.
r=$($C $P_SMTP send $A u@dsn.test "ENVID=bad+zz" - bad1)
like "$r" "^501 " "bad xtext in ENVID: 501"
r=$($C $P_SMTP send $A u@dsn.test - "NOTIFY=NEVER,SUCCESS" bad2)
like "$r" "^501 " "NOTIFY=NEVER with another value: 501"
r=$($C $P_SMTP send $A u@dsn.test - "ORCPT=bad+zz" bad3)
like "$r" "^501 " "ORCPT without an address type: 501"
# An ORCPT of another type, or no address, is no reason to refuse the
# recipient (RFC 3461 4.2); one of another type is not passed on.
r=$($C $P_SMTP send $A u@dsn.test - "NOTIFY=DELAY ORCPT=x400;foo" x400)
like "$r" "^250 " "ORCPT of another address type: the recipient taken"
ok "relayed to the DSN sink" wait_for 30 sh -c "[ -n \"\$(grep -l 'X-Test-Id: x400' $SB/out/*.eml 2>/dev/null)\" ]"
env=$(cat "$(eml x400 | sed 's/eml$/env/')" 2>/dev/null)
like "$env" "rcptraw=NOTIFY=DELAY" "NOTIFY passed on"
unlike "$env" "x400" "the x400 ORCPT is not"

e2e_stop
ok "no crash or sanitizer report" e2e_clean_log
done_testing
