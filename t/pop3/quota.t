#!/bin/sh
# Messages deleted over POP3 leave the Maildir++ quota count (maildirsize),
# as an IMAP expunge does.  Before the fix a download-and-delete POP3 user's
# maildirsize only grew with each delivery, until tern-local refused mail
# as over quota with the Maildir empty.  Sizes come from ",S=" in the name,
# else from the file; RSET and a session without DELE add no line.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 6
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
MD=$(maildir alice@example.org)
printf 'Subject: one\n\nbody one\n' >"$SB/m1"
printf 'Subject: two\n\nbody two, no size in the name\n' >"$SB/m2"
printf 'Subject: three\n\nkept\n' >"$SB/m3"
S1=$(wc -c <"$SB/m1"); S2=$(wc -c <"$SB/m2"); S3=$(wc -c <"$SB/m3")
put_mail alice@example.org "1700000001.M1P1Q1.host,S=$S1" "$SB/m1"
put_mail alice@example.org 1700000002.M1P1Q1.host "$SB/m2"
put_mail alice@example.org "1700000003.M1P1Q1.host,S=$S3" "$SB/m3"
# The quota file as tern-local keeps it: the limit, then usage lines.
printf '1000000S\n%d 3\n' $((S1 + S2 + S3)) >"$MD/maildirsize"
if [ "$(id -u)" = 0 ]; then chown "$(uidof alice@example.org)" "$MD/maildirsize"; fi
chmod 600 "$MD/maildirsize"
# usage: "BYTES COUNT", the sum of every line after the first.
usage() { sed 1d "$MD/maildirsize" | awk '{ b += $1; c += $2 } END { print b, c }'; }
lines() { wc -l <"$MD/maildirsize" | tr -d ' '; }

cat >"$SB/t.py" <<'PYEOF'
import os, poplib, sys
p = poplib.POP3("127.0.0.1", int(os.environ["P_POP3"]), timeout=30)
p.user("alice@example.org")
p.pass_("alice-secret")
for c in sys.argv[1:]:
    p._shortcmd(c)
p.quit()
print("done")
PYEOF
pop() { P_POP3=$P_POP3 "$PY" "$SB/t.py" "$@" 2>&1; }

is "$(pop STAT)" done "a session without DELE"
is "$(lines)" 2 "... adds no line to maildirsize"
is "$(pop 'DELE 1' RSET)" done "DELE then RSET"
is "$(lines)" 2 "... adds no line either"
is "$(pop 'DELE 1' 'DELE 2')" done "DELE 1 and 2 (one with ,S=, one without), QUIT"
is "$(usage)" "$S3 1" "maildirsize counts only the message left"
[ "$_tap_fail" = 0 ] || { cat "$MD/maildirsize" | while read -r l; do diag "$l"; done; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
