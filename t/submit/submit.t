#!/bin/sh
# Submission with AUTH through the whole suite (tern-authd included):
# AUTH only after STARTTLS on 587, at once on 465; PLAIN (both forms) and
# LOGIN with smtplib and swaks; refusals (538, 530, 535, 501, 503, 504);
# sender ownership (envelope 553, header From: 550, aliases and +tags
# allowed); relaying when authenticated; the user in the log; the hourly
# rate limit (450); the failure throttle (454).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
command -v swaks >/dev/null || skip_all "swaks not installed"
sandbox
plan 60
C="$PY $TERN_SRC/t/submit/subc.py"

# Loopback may not send passwords in the clear here, so the TLS rule shows.
ok "suite starts" e2e_start "login_plaintext_networks = 192.0.2.0/24" \
    "auth_fail_limit_account = 3" "auth_fail_delay_max = 1s"
P_SUB=$((PB + 587)); P_SUBS=$((PB + 465))
wait_port "$P_SUB"; wait_port "$P_SUBS"
e2e_user carol@example.test
e2e_user dave@example.test
e2e_user erin@example.test
printf 'sales@example.test: alice@example.test, bob@example.test\n' >>"$H/aliases"
ok "maps recompiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
PW=$(sed -n 's/^alice@example.test //p' "$H/demo-passwords")
PLAIN=$(printf '\0alice@example.test\0%s' "$PW" | base64 -w0)
BADPLAIN=$(printf '\0alice@example.test\0wrong' | base64 -w0)
U64=$(printf 'alice@example.test' | base64 -w0)
P64=$(printf '%s' "$PW" | base64 -w0)

# Before TLS: not offered, refused.
r=$($C $P_SUB dialog "AUTH PLAIN $PLAIN" "MAIL FROM:<alice@example.test>")
first=$(printf '%s\n' "$r" | sed -n 1p)
like "$first" 'STARTTLS' "EHLO before TLS offers STARTTLS"
unlike "$first" 'AUTH' "and no AUTH"
like "$(printf '%s\n' "$r" | sed -n 2p)" '^538 5\.7\.11 ' "AUTH before TLS: 538 5.7.11"
like "$(printf '%s\n' "$r" | sed -n 3p)" '^530 5\.7\.0 ' "MAIL without AUTH: 530 5.7.0"

# After STARTTLS: the exchanges.
r=$($C $P_SUB dialog --tls "MAIL FROM:<alice@example.test>" "AUTH PLAIN" "*" \
    "AUTH PLAIN !!!" "AUTH CRAM-MD5" "AUTH LOGIN" "$U64" "$P64" "AUTH PLAIN $PLAIN" \
    "MAIL FROM:<alice@example.test> AUTH=<>" "QUIT")
line() { printf '%s\n' "$r" | sed -n "$1p"; }
like "$(line 1)" 'AUTH PLAIN LOGIN' "EHLO after STARTTLS lists AUTH PLAIN LOGIN"
like "$(line 2)" '^530 5\.7\.0' "MAIL before AUTH: 530"
is "$(line 3)" "334 " "PLAIN without initial response: 334"
like "$(line 4)" '^501 ' "'*' cancels: 501"
like "$(line 5)" '^50[01] ' "bad base64 refused"
like "$(line 6)" '^504 5\.5\.4' "unknown mechanism: 504"
is "$(line 7) $(line 8)" "334 VXNlcm5hbWU6 334 UGFzc3dvcmQ6" "LOGIN asks user and password"
like "$(line 9)" '^235 2\.7\.0' "LOGIN accepted"
like "$(line 10)" '^503 5\.5\.1' "a second AUTH: 503"
like "$(line 11)" '^250 2\.1\.0' "MAIL with the AUTH= parameter"

r=$($C $P_SUB dialog --tls "AUTH PLAIN" "$PLAIN" "QUIT")
like "$(printf '%s\n' "$r" | sed -n 3p)" '^235 ' "PLAIN in the 334 continuation form"
r=$($C $P_SUB dialog --tls "AUTH PLAIN =*=" "QUIT")
like "$(printf '%s\n' "$r" | sed -n 2p)" '^501 5\.5\.[24]' "malformed base64: 501"
r=$($C $P_SUB dialog --tls "AUTH PLAIN $BADPLAIN" "QUIT")
like "$(printf '%s\n' "$r" | sed -n 2p)" '^535 5\.7\.8' "wrong password: 535 5.7.8"

# Messages: smtplib on 587 and 465, swaks PLAIN and LOGIN.
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test "Alice <alice@example.test>" s1)
like "$r" '^250 [0-9A-Z]{16}$' "smtplib starttls + login: queued"
qid=${r#250 }
r=$($C $P_SUBS ssl alice@example.test "$PW" alice@example.test bob@example.test alice@example.test s2)
like "$r" '^250 ' "SMTP_SSL on 465: queued"
out=$(swaks --server 127.0.0.1:$P_SUB --tls --auth PLAIN --auth-user alice@example.test \
    --auth-password "$PW" --from alice@example.test --to bob@example.test \
    --header 'X-Test-Id: s3' 2>&1)
like "$out" '<~  250 2\.0\.0 Ok: queued' "swaks --tls --auth PLAIN"
out=$(swaks --server 127.0.0.1:$P_SUB --tls --auth LOGIN --auth-user alice@example.test \
    --auth-password "$PW" --from alice@example.test --to bob@example.test \
    --header 'X-Test-Id: s4' 2>&1)
like "$out" '<~  250 2\.0\.0 Ok: queued' "swaks --tls --auth LOGIN"
ok "all four delivered to bob" wait_for 30 e2e_has bob@example.test s1 s2 s3 s4
ok "log: the queue id line names the user" \
    grep -Eq "tern-smtpd\[[0-9]+\]: $qid from=<alice@example.test> .* user=alice@example.test" "$SB/run.log"
ok "log: auth ok line" grep -Eq 'tern-smtpd\[[0-9]+\]: auth ok from 127.0.0.1: mech=PLAIN user=alice@example.test' "$SB/run.log"
# (logged after the 221, when the session has ended: polled)
ok "log: disconnect line names the user" wait_for 20 grep -Eq 'disconnect from 127.0.0.1 .* user=alice@example.test' "$SB/run.log"

# Whose addresses.
r=$($C $P_SUB starttls alice@example.test "$PW" carol@example.test bob@example.test)
like "$r" '^553 5\.7\.1 <carol@example.test>: Sender address rejected' "another account's address: 553 at MAIL"
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test "Carol <carol@example.test>")
like "$r" '^550 5\.7\.1 From: address not owned' "another account in From: 550 after DATA"
# A line that is no field does not hide a From: below it (readers, our
# IMAP ENVELOPE among them, go on past it); nor do 64 KB of header.
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test "$(printf 'alice@example.test\r\nbogus line\r\nFrom: carol@example.test')")
like "$r" '^550 5\.7\.1 ' "a From: after a line without colon: 550"
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test "$(printf 'alice@example.test\r\nX\001Y: z\r\nFrom: carol@example.test')")
like "$r" '^550 5\.7\.1 ' "a From: after a name with a control byte: 550"
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test "alice@example.test$(awk 'BEGIN { for (i = 0; i < 70; i++) printf "\r\nX-Pad: %0990d", 0 }')$(printf '\r\nFrom: carol@example.test')")
like "$r" '^550 5\.7\.1 header section too large' "a From: past 64 KB of header: 550"
r=$($C $P_SUB starttls alice@example.test "$PW" sales@example.test bob@example.test "Sales <sales@example.test>" s5)
like "$r" '^250 ' "an alias of the account: accepted"
r=$($C $P_SUB starttls alice@example.test "$PW" Alice+Lists@Example.Test bob@example.test "alice+lists@example.test" s6)
like "$r" '^250 ' "a +tag form, any case: accepted"
r=$($C $P_SUB starttls alice@example.test "$PW" "" bob@example.test "alice@example.test")
like "$r" '^553 5\.7\.1 <>' "null sender: 553"
r=$($C $P_SUB starttls alice@example.test "$PW" alice@example.test "alice@example.test,bob@example.test" "alice@example.test, carol@example.test")
like "$r" '^550 5\.7\.1' "one foreign address among several in From: 550"
ok "nothing refused reached bob" sh -c "! grep -lqs 'carol@example.test' $(e2e_maildir bob@example.test)/new/*"

# sender_login: more owners; the two checks can be turned off; <> allowed.
printf 'boss@example.test: alice@example.test\n@sub.example.test: alice@example.test\n' >"$H/sender_login"
ok "sender_login compiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
like "$($C $P_SUB starttls alice@example.test "$PW" boss@example.test bob@example.test boss@example.test)" '^250 ' "sender_login: an address given to the account"
like "$($C $P_SUB starttls alice@example.test "$PW" any+x@sub.example.test bob@example.test any@sub.example.test)" '^250 ' "sender_login: a whole domain"
like "$($C $P_SUB starttls carol@example.test pw-carol@example.test boss@example.test bob@example.test)" '^553 5\.7\.1' "sender_login: not for another account"
echo "submission_sender_check = none" >>"$H/local.conf"
like "$($C $P_SUB starttls alice@example.test "$PW" carol@example.test bob@example.test carol@example.test)" '^250 ' "submission_sender_check = none: no check"
sed -i '/submission_sender_check/d' "$H/local.conf"
echo "submission_sender_check = header" >>"$H/local.conf"
like "$($C $P_SUB starttls alice@example.test "$PW" carol@example.test bob@example.test alice@example.test)" '^250 ' "submission_sender_check = header: envelope not checked"
like "$($C $P_SUB starttls alice@example.test "$PW" alice@example.test bob@example.test carol@example.test)" '^550 5\.7\.1' "but the From: is"
sed -i '/submission_sender_check/d' "$H/local.conf"
echo "submission_null_sender = yes" >>"$H/local.conf"
like "$($C $P_SUB starttls alice@example.test "$PW" "" bob@example.test alice@example.test)" '^250 ' "submission_null_sender = yes: <> accepted"
sed -i '/submission_null_sender/d' "$H/local.conf"

# Relaying.
r=$($C $P_SUB starttls alice@example.test "$PW" sales@example.test someone@elsewhere.test sales@example.test)
like "$r" '^250 ' "authenticated: relay to a remote domain accepted"
rq=${r#250 }
r=$($C $P_SMTP none - - alice@example.test someone@elsewhere.test)
like "$r" '^554 5\.7\.1' "not authenticated (port 25): 554 relay access denied"

# The envelope records the user (tern-mailq shows the queued relay).
# (sent as sales@, so alice@ in its envelope is the U record)
envf=$(find "$H/queue/env" -name "$rq" 2>/dev/null | head -1)
if [ -n "$envf" ]; then
	ok "the relayed message's envelope names the user" sh -c "'$TERN_BUILD/t/bin/queue-tool' bytes '$envf' | grep -aq 'alice@example.test'"
else
	ok "the relayed message's log line names the user" grep -Eq "$rq from=<sales@example.test> .* user=alice@example.test" "$SB/run.log"
fi

# Rate limit: 2 an hour per account.
echo "submission_rate_limit = 2" >>"$H/local.conf"
P=pw-carol@example.test
like "$($C $P_SUB starttls carol@example.test $P carol@example.test bob@example.test)" '^250 ' "rate: first message"
like "$($C $P_SUBS ssl carol@example.test $P carol@example.test bob@example.test)" '^250 ' "rate: second, another connection"
like "$($C $P_SUB starttls carol@example.test $P carol@example.test bob@example.test)" '^450 4\.7\.1' "rate: third refused 450 4.7.1"
like "$($C $P_SUB starttls dave@example.test pw-dave@example.test dave@example.test bob@example.test)" '^250 ' "rate: counted per account"
ok "rate: log line" grep -Eq 'rate limit from 127.0.0.1: user=carol@example.test messages=2 limit=2/h' "$SB/run.log"
# The sweep: at most once an hour a session removes counters two hours old.
RD=$(sed -n 's/^submission_rate_dir *= *//p' "$H/tern.conf" "$H/local.conf" | tail -1)
[ -n "$RD" ] || RD=$H/state/submit
echo "1 1 0" >"$RD/old@example.test"
touch -d '3 hours ago' "$RD/old@example.test"
touch -d '2 hours ago' "$RD/.sweep"
chown --reference="$RD" "$RD/.sweep" "$RD/old@example.test" 2>/dev/null
like "$($C $P_SUB starttls dave@example.test pw-dave@example.test dave@example.test bob@example.test)" '^250 ' "rate: a session that may sweep"
ok "rate: the sweep is logged" wait_for 10 grep -q 'rate: swept .*: 1 stale counters removed' "$SB/run.log"
ok "rate: the stale counter is gone, the live ones stay" sh -c "[ ! -e '$RD/old@example.test' ] && [ -s '$RD/carol@example.test' ] && [ -s '$RD/dave@example.test' ]"
like "$($C $P_SUB starttls carol@example.test $P carol@example.test bob@example.test)" '^450 4\.7\.1' "rate: carol's count survived the sweep"
sed -i '/submission_rate_limit/d' "$H/local.conf"

# Throttle: auth_fail_limit_account = 3, then even the right password gets 454.
B=$(printf '\0erin@example.test\0nope' | base64 -w0)
G=$(printf '\0erin@example.test\0pw-erin@example.test' | base64 -w0)
r=$($C $P_SUB dialog --tls "AUTH PLAIN $B" "AUTH PLAIN $B" "AUTH PLAIN $B" "AUTH PLAIN $G" "QUIT")
is "$(printf '%s\n' "$r" | sed -n '2,4p' | cut -c1-3 | tr '\n' ' ')" "535 535 535 " "three failures: 535"
like "$(printf '%s\n' "$r" | sed -n 5p)" '^454 4\.7\.0' "then throttled: 454 4.7.0"
ok "no crash or sanitizer report" e2e_clean_log
e2e_stop
done_testing
