#!/bin/sh
# tern-sendmail through the whole suite: -t (To/Cc/Bcc, Bcc removed),
# recipients as arguments, added From/Date/Message-ID/Received, -f, the
# lone-dot line with and without -i, cron-style use, exit codes, and the
# mailq / newaliases names (-bp, -bi).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-sendmail" ] || skip_all "tern-sendmail not built"
sandbox
plan 37

ok "suite starts" e2e_start
e2e_user carol@example.test
SM=$(e2e_bin tern-sendmail)
export TERN_HOME="$H"
# The file of a delivered message: ADDRESS X-Test-Id.
msg() { grep -ls "^X-Test-Id: $2" "$(e2e_maildir "$1")"/new/* "$(e2e_maildir "$1")"/cur/* 2>/dev/null | head -1; }
hdr() { sed -n '1,/^\r*$/p' "$1" | tr -d '\r'; }

printf 'To: Bob <bob@example.test>\nCc: carol@example.test\nBcc: alice@example.test\nResent-Bcc: hidden@example.test\nSubject: t1\nX-Test-Id: sm1\n\nhello\n' | "$SM" -t
is "$?" 0 "-t: exit 0"
ok "-t: delivered to To" wait_for 30 e2e_has bob@example.test sm1
ok "-t: delivered to Cc" wait_for 30 e2e_has carol@example.test sm1
ok "-t: delivered to Bcc" wait_for 30 e2e_has alice@example.test sm1
f=$(msg alice@example.test sm1)
h=$(hdr "$f")
unlike "$h" 'Bcc:' "Bcc: removed"
unlike "$h" 'hidden@' "Resent-Bcc: removed too (it is as blind)"
like "$h" 'From: .*<root@localhost>' "From: added (the user at the origin)"
like "$h" 'Date: [A-Z][a-z]{2}, ' "Date: added"
like "$h" 'Message-ID: <[0-9A-Z]{16}\.[0-9a-f]{8}@localhost>' "Message-ID: added"
like "$h" '^Return-Path: <root@localhost>' "envelope sender: the user"
like "$h" 'Received: by localhost \(tern-sendmail, from userid 0\)' "Received: names the uid"
is "$(tail -1 "$f" | tr -d '\r')" "hello" "body kept"
ok "stored with CR LF" grep -q "$(printf 'hello\r')" "$f"

printf 'From: Me <alice@example.test>\nSubject: t2\nX-Test-Id: sm2\n\nbody\n' | "$SM" -f alice@example.test -F 'Not used' bob@example.test
is "$?" 0 "-f and an argument: exit 0"
ok "delivered" wait_for 30 e2e_has bob@example.test sm2
h=$(hdr "$(msg bob@example.test sm2)")
like "$h" '^Return-Path: <alice@example.test>' "-f sets the envelope sender"
like "$h" 'From: Me <alice@example.test>' "an existing From: is kept"
is "$(printf '%s\n' "$h" | grep -c '^From:')" 1 "and no second From:"

# A lone dot ends the input, unless -i.
printf 'X-Test-Id: sm3\n\nline1\n.\nafter\n' | "$SM" bob@example.test
ok "lone dot: delivered" wait_for 30 e2e_has bob@example.test sm3
f=$(msg bob@example.test sm3)
unlike "$(cat "$f")" 'after' "the lone dot ended the message"
printf 'X-Test-Id: sm4\n\nline1\n.\nafter\n' | "$SM" -oi bob@example.test
ok "-oi: delivered" wait_for 30 e2e_has bob@example.test sm4
f=$(msg bob@example.test sm4)
is "$(sed -n '/^\r*$/,$p' "$f" | tr -d '\r' | tr '\n' ' ')" " line1 . after " "-oi: the dot line and what follows are kept"

# Cron: a body without a header, recipient bare or full, -F name.
echo "cron output" | "$SM" -F "Cron Daemon" bob@example.test
is "$?" 0 "cron style: exit 0"
ok "cron style: delivered" wait_for 30 sh -c "grep -ls 'cron output' $(e2e_maildir bob@example.test)/new/* >/dev/null"
f=$(grep -ls 'cron output' "$(e2e_maildir bob@example.test)"/new/* | head -1)
h=$(hdr "$f")
like "$h" 'From: "Cron Daemon" <root@localhost>' "-F gives the From: name"
is "$(sed -n '/^\r*$/,$p' "$f" | tr -d '\r' | tr '\n' ' ')" " cron output " "the body after an added empty line"

# Errors.
echo x | "$SM" 2>/dev/null
is "$?" 64 "no recipients: EX_USAGE"
echo x | "$SM" -Z bob@example.test 2>/dev/null
is "$?" 64 "unknown option: EX_USAGE"
printf 'To: <broken\n\nx\n' | "$SM" -t 2>/dev/null
is "$?" 65 "-t with a broken To: EX_DATAERR"

# An ordinary user: the set-id tern-enqueue writes the queue for it.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	printf 'Subject: nobody\nX-Test-Id: sm7\n\nfrom nobody\n' |
	    setpriv --reuid=65534 --regid=65534 --clear-groups env TERN_HOME="$H" "$SM" bob@example.test
	is "$?" 0 "as uid 65534: exit 0"
	ok "as uid 65534: delivered" wait_for 30 e2e_has bob@example.test sm7
	h=$(hdr "$(msg bob@example.test sm7)")
	like "$h" "Return-Path: <$(getent passwd 65534 | cut -d: -f1)@localhost>" "the sender is that user"
	like "$h" 'from userid 65534' "Received: names its uid"
else
	skip 4 "needs root and setpriv"
fi

# The other names.
ln -s "$SM" "$SB/mailq"; ln -s "$SM" "$SB/newaliases"
ok "mailq (-bp) runs tern-mailq" "$SB/mailq"
printf 'help@example.test: carol@example.test\n' >>"$H/aliases"
ok "newaliases (-bi) recompiles the maps" "$SB/newaliases"
echo "X-Test-Id: sm6" | "$SM" -t help@example.test
ok "the new alias works" wait_for 30 e2e_has carol@example.test sm6
e2e_stop
done_testing
