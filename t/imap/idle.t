#!/bin/sh
# IDLE (RFC 2177) and sessions in parallel: a message renamed into new/
# (as tern-local delivers) reaches an IDLE session as EXISTS without a
# command; an APPEND by another session too; flag changes by one session
# reach the other as FETCH FLAGS at its next command; an expunge by one
# is not announced to the other during its FETCH (RFC 3501 7.4.1) but at
# its NOOP.  The waits are bounded (20 s); no timing is asserted.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 12
imap_start || { echo "Bail out! set-up failed"; exit 1; }
for i in 1 2 3; do
	printf 'From: x%s@example.net\nSubject: msg %s\n\nbody %s\n' $i $i $i >"$SB/m$i"
	put_mail alice@example.org 170000000$i.M${i}P${i}Q$i.host "$SB/m$i"
done
MA=$(maildir alice@example.org); UA=$(uidof alice@example.org)
cat >"$SB/t.py" <<'PYEOF'
import os, sys, time
from imapt import *
md, uid = sys.argv[1], int(sys.argv[2])
a = Raw(SPORT, tls=True); b = Raw(SPORT, tls=True)
a.last("a1", "LOGIN alice@example.org alice-secret")
b.last("b1", "LOGIN alice@example.org alice-secret")
out("a_select", " ".join(a.cmd("a2", "SELECT INBOX")))
b.last("b2", "SELECT INBOX")
a.send("a3 IDLE")
out("idle", a.line())
# Deliver as tern-local does: tmp/, then rename into new/.
tmp = os.path.join(md, "tmp", "1700000099.M99P99Q99.host")
with open(tmp, "w") as f:
    f.write("From: late@example.net\nSubject: late\n\nnew mail\n")
if os.getuid() == 0:
    os.chown(tmp, uid, uid)
os.rename(tmp, os.path.join(md, "new", "1700000099.M99P99Q99.host"))
a.s.settimeout(20)
got = []
for _ in range(5):
    l = a.line()
    got.append(l)
    if "EXISTS" in l or l.startswith("ERR") or l == "EOF":
        break
out("idle_exists", " | ".join(got))
b.last("b3", "APPEND INBOX {21+}\r\nSubject: by b\r\n\r\nhi\r\n")
got = []
for _ in range(5):
    l = a.line()
    got.append(l)
    if "5 EXISTS" in l or l.startswith("ERR") or l == "EOF":
        break
out("idle_append", " | ".join(got))
a.send("DONE")
out("done", a.upto("a3")[-1])
out("b_store", b.last("b4", "STORE 1 +FLAGS (\\Flagged)"))
out("a_noop_flags", " | ".join(a.cmd("a4", "NOOP")))
b.last("b5", "STORE 2 +FLAGS.SILENT (\\Deleted)")
out("b_expunge", " | ".join(b.cmd("b6", "EXPUNGE")))
out("a_fetch", " | ".join(a.cmd("a5", "FETCH 1:* (FLAGS)")))
out("a_noop", " | ".join(a.cmd("a6", "NOOP")))
out("a_fetch2", " | ".join(a.cmd("a7", "FETCH 2 (UID)")))
a.last("a8", "LOGOUT"); b.last("b9", "LOGOUT")
PYEOF
r=$(imap_py "$SB/t.py" "$MA" "$UA")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get a_select)" '\* 3 EXISTS' "session A selects 3 messages"
like "$(get idle)" '^\+ ' "IDLE: continuation"
like "$(get idle_exists)" '\* 4 EXISTS' "IDLE: a message delivered into new/ is announced"
like "$(get idle_append)" '\* 5 EXISTS' "IDLE: another session's APPEND is announced"
is "$(get done)" "a3 OK IDLE completed" "DONE ends IDLE"
like "$(get b_store)" '^b4 OK' "session B sets \\Flagged"
like "$(get a_noop_flags)" '\* 1 FETCH \(.*FLAGS \(\\Flagged.*\)\) \| a4 OK' "session A sees it at NOOP"
like "$(get b_expunge)" '^\* 2 EXPUNGE \| b6 OK' "session B expunges message 2"
unlike "$(get a_fetch)" 'EXPUNGE' "session A: no EXPUNGE during FETCH"
like "$(get a_fetch)" '\* 5 FETCH .* a5 OK' "... its FETCH still sees 5 messages"
like "$(get a_noop)" '^\* 2 EXPUNGE .*a6 OK' "session A: EXPUNGE at NOOP"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
