#!/bin/sh
# Loop detection in tern-remote (Postfix's "mail for X loops back to
# myself"): a route whose next hop is this host's own SMTP listener, and a
# server that greets (or answers EHLO) with this host's own name, bounce
# the mail at once with 5.4.6 instead of sending it round until the hop
# count stops it; an LMTP route to our own listener and a server with
# another name are not loops.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-remote" ] || skip_all "tern-remote not built"
"$PY" -I -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
sandbox
plan 15
C="$PY $TERN_SRC/t/remote/dsn.py"

PG=$(free_port); PO=$(free_port)
mkdir -p "$SB/out"; chmod 777 "$SB/out"
"$PY" "$TERN_SRC/t/remote/sink.py" "$SB/out" \
    "127.0.0.1:$PG:name=mx.loop.example" "127.0.0.1:$PO:name=mx.other.example" \
    >"$SB/sink.log" 2>&1 &
track $!
ok "sinks start" wait_for 20 grep -q ready "$SB/sink.log"
ok "suite starts" e2e_start "queue_retry_schedule = 1s 2s" \
    "remote_helo_name = mx.loop.example"
printf 'self.test relay\ngreet.test relay\nother.test relay\n' >>"$H/domains"
printf 'self.test smtp:[127.0.0.1]:%s\ngreet.test smtp:[127.0.0.1]:%s\nother.test smtp:[127.0.0.1]:%s\n' \
    "$P_SMTP" "$PG" "$PO" >>"$H/routes"
ok "maps recompiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
A=alice@example.test

report() {
	_m=$(e2e_maildir $A)
	grep -l "dsn test $1" "$_m"/new/* "$_m"/cur/* 2>/dev/null | while read -r _f; do
		grep -q '^Content-Type: multipart/report' "$_f" && echo "$_f"
	done | head -1
}
has_report() { [ -n "$(report "$1")" ]; }

# Our own listener as the next hop.
r=$($C $P_SMTP send $A x@self.test - - self1)
like "$r" "^250 " "mail for a domain routed to ourselves accepted"
ok "it bounces" wait_for 30 has_report self1
rep=$($C - report "$(report self1)")
like "$rep" "action=failed" "Action: failed"
like "$rep" "status=5\.4\.6" "Status 5.4.6"
like "$(cat "$SB/run.log")" "tern-remote.*5\.4\.6 mail for 127\.0\.0\.1 loops back to myself \(host 127\.0\.0\.1 is this host\)" "logged as a loop"
n=$(grep -Ec "tern-smtpd\[[0-9]+\]: [0-9A-Z]+ from=<" "$SB/run.log")
is "$n" "1" "tern-smtpd took the message once: it did not come round"

# A server that greets with our own name.
r=$($C $P_SMTP send $A y@greet.test - - greet1)
ok "a server greeting with our name: it bounces" wait_for 30 has_report greet1
rep=$($C - report "$(report greet1)")
like "$rep" "status=5\.4\.6" "Status 5.4.6"
like "$(cat "$SB/run.log")" "loops back to myself \(host 127\.0\.0\.1\[127\.0\.0\.1\]:$PG greeted me with my own hostname mx\.loop\.example\)" "the greeting named in the log"
is "$(ls "$SB/out" | grep -c 'eml$')" 0 "nothing was sent to it"

# A server with another name is no loop.
r=$($C $P_SMTP send $A z@other.test - - other1)
ok "another server's mail is delivered" wait_for 30 sh -c "ls $SB/out | grep -q 'eml\$'"

e2e_stop
ok "no crash or sanitizer report" e2e_clean_log
done_testing
