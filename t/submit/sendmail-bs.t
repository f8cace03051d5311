#!/bin/sh
# tern-sendmail's other Postfix flags from a shell script: -bs (an SMTP
# dialogue on stdin/stdout, CR LF or bare LF, several transactions, DSN
# parameters, refusals), -N/-R/-V (DSN for command-line mail: NOTIFY,
# RET, ENVID, checked), -odi/-odq accepted, -q (flush), and -bd/-bv
# refused clearly.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-sendmail" ] || skip_all "tern-sendmail not built"
sandbox
plan 44
C="$PY $TERN_SRC/t/remote/dsn.py"

ok "suite starts" e2e_start
SM=$(e2e_bin tern-sendmail)
export TERN_HOME="$H"
msg() { grep -ls "^X-Test-Id: $2" "$(e2e_maildir "$1")"/new/* "$(e2e_maildir "$1")"/cur/* 2>/dev/null | head -1; }
hdr() { sed -n '1,/^\r*$/p' "$1" | tr -d '\r'; }
report() {
	_m=$(e2e_maildir alice@example.test)
	grep -l "$1" "$_m"/new/* "$_m"/cur/* 2>/dev/null | while read -r _f; do
		grep -q '^Content-Type: multipart/report' "$_f" && echo "$_f"
	done | head -1
}
has_report() { [ -n "$(report "$1")" ]; }

# -bs with CR LF, two transactions and a RSET.
out=$(printf 'EHLO client.test\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: bs1\r\nX-Test-Id: bs1\r\n\r\n..dot\r\nhello\r\n.\r\nRSET\r\nMAIL FROM:<alice@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nX-Test-Id: bs2\r\n\r\nsecond\r\n.\r\nQUIT\r\n' | "$SM" -bs)
is "$?" 0 "-bs: exit 0"
like "$(printf '%s\n' "$out" | head -1)" '^220 localhost ESMTP tern' "-bs: greeting"
like "$out" '250-DSN' "-bs: EHLO offers DSN"
like "$out" '250-PIPELINING' "-bs: and PIPELINING"
is "$(printf '%s\n' "$out" | grep -c '^250 2.0.0 Ok: queued as [0-9A-Z]\{16\}')" 2 "-bs: two messages queued"
like "$(printf '%s\n' "$out" | tail -1)" '^221 2.0.0' "-bs: QUIT answered"
ok "-bs: first delivered" wait_for 30 e2e_has bob@example.test bs1
ok "-bs: second delivered" wait_for 30 e2e_has bob@example.test bs2
f=$(msg bob@example.test bs1)
h=$(hdr "$f")
like "$h" '^Return-Path: <alice@example.test>' "-bs: MAIL FROM is the envelope sender"
like "$h" 'Received: by localhost \(tern-sendmail -bs, from userid [0-9]+\)' "-bs: Received: names the user"
ok "-bs: dot-stuffing undone" grep -q "^\.dot" "$f"

# Bare LF, as a local program may write it: stored as CR LF.
out=$(printf 'HELO client.test\nMAIL FROM:<alice@example.test>\nRCPT TO:<bob@example.test>\nDATA\nX-Test-Id: bs3\n\nlf line\n.\nQUIT\n' | "$SM" -bs)
like "$out" '250 2.0.0 Ok: queued' "-bs with bare LF: queued"
ok "-bs with bare LF: delivered" wait_for 30 e2e_has bob@example.test bs3
ok "-bs with bare LF: stored with CR LF" grep -q "$(printf 'lf line\r')" "$(msg bob@example.test bs3)"

# Refusals.
out=$(printf 'RCPT TO:<bob@example.test>\r\nMAIL FROM:<a@b.example>\r\nEHLO c.test\r\nFROB\r\nSTARTTLS\r\nAUTH PLAIN =\r\nDATA\r\nMAIL FROM:<alice@example.test> AUTH=<>\r\nQUIT\r\n' | "$SM" -bs)
r() { printf '%s\n' "$out" | grep -v '^250-' | sed -n "$1p"; }
like "$(r 2)" '^503 ' "-bs: RCPT before MAIL: 503"
like "$(r 3)" '^503 5.5.1 .*HELO' "-bs: MAIL before HELO: 503"
like "$(r 5)" '^500 5.5.1' "-bs: unknown command: 500"
like "$(r 6)" '^502 5.5.1 .*STARTTLS' "-bs: STARTTLS: 502"
like "$(r 7)" '^502 5.5.1 .*AUTH' "-bs: AUTH: 502"
like "$(r 8)" '^503 ' "-bs: DATA without MAIL: 503"
like "$(r 9)" '^555 ' "-bs: AUTH= parameter: 555"

# -bs with DSN parameters: a success report to the sender.
out=$(printf 'EHLO c.test\r\nMAIL FROM:<alice@example.test> ENVID=bs-env RET=HDRS\r\nRCPT TO:<bob@example.test> NOTIFY=SUCCESS ORCPT=rfc822;bob@example.test\r\nDATA\r\nSubject: bsdsn\r\nX-Test-Id: bs4\r\n\r\nx\r\n.\r\nQUIT\r\n' | "$SM" -bs)
like "$out" '250 2.0.0 Ok: queued' "-bs with DSN parameters: queued"
ok "-bs NOTIFY=SUCCESS: the report arrives" wait_for 30 has_report "Subject: bsdsn"
rep=$($C - report "$(report "Subject: bsdsn")")
like "$rep" "envid=bs-env" "-bs: its ENVID"
like "$rep" "orig=rfc822;bob@example.test" "-bs: its ORCPT"

# -N, -R, -V for command-line mail.
printf 'Subject: smN\nX-Test-Id: smN\n\nx\n' | "$SM" -f alice@example.test -N success,failure -V sm-env bob@example.test
is "$?" 0 "-N success,failure -V: exit 0"
ok "-N success: the report arrives" wait_for 30 has_report "Subject: smN"
like "$($C - report "$(report "Subject: smN")")" "envid=sm-env" "-V: the ENVID in it"
printf 'Subject: smR\nX-Test-Id: smR\n\nx\n' | "$SM" -f alice@example.test -R hdrs -N failure ghost@example.test
ok "-R hdrs: the bounce arrives" wait_for 30 has_report "Subject: smR"
like "$($C - report "$(report "Subject: smR")")" "returned=text/rfc822-headers" "-R hdrs: headers only"
printf 'Subject: smNever\n\nx\n' | "$SM" -f alice@example.test -N never ghost2@example.test
ok "-N never: the failure is logged" wait_for 30 grep -q "to=<ghost2@example.test>.*status=bounced" "$SB/run.log"

# Each bad value is its own argument (a tab inside -V's must not split).
refused() { echo x | "$SM" "$@" bob@example.test 2>/dev/null; [ $? = 64 ]; }
ok "-N sometimes: refused (64)" refused -N sometimes
ok "-N never,success: refused (64)" refused -N never,success
ok "-R body: refused (64)" refused -R body
ok "-V with a control character: refused (64)" refused -V "$(printf 'a\tb')"
echo x | "$SM" -N sometimes bob@example.test 2>"$SB/err"
is "$?" 64 "bad -N value: exit 64 (EX_USAGE)"
printf 'X-Test-Id: od\n\nx\n' | "$SM" -odi -odq -oi bob@example.test
is "$?" 0 "-odi -odq -oi accepted"
"$SM" -q
is "$?" 0 "-q flushes the queue (exit 0)"
"$SM" -bd 2>"$SB/err"
is "$?" 64 "-bd refused with 64"
like "$(cat "$SB/err")" "not supported" "-bd: and says so"

ok "the queue drains" wait_for 30 e2e_queue_empty
is "$(report "Subject: smNever")" "" "-N never: no bounce"
e2e_stop
ok "no crash or sanitizer report" e2e_clean_log
done_testing
