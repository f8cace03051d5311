#!/bin/sh
# Every command with missing, extra or odd arguments, in the
# authenticated and the selected state: each gets a tagged answer (BAD,
# NO or OK), a BAD SELECT leaves the selected mailbox selected, the
# session survives all of them, and nothing crashes.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 5
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'Subject: a\n\nb\n' >"$SB/m"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m"
cat >"$SB/t.py" <<'PYEOF'
from imapt import *
r = Raw(SPORT, tls=True)
r.last("l", "LOGIN alice@example.org alice-secret")
n = 0
untagged = 0
nosel = 0
for sel in (False, True):
    if sel:
        r.last("s", "SELECT INBOX")
    for c in ("LIST", "LSUB", "STATUS", "SELECT", "EXAMINE", "CREATE", "DELETE", "RENAME", "SUBSCRIBE", "UNSUBSCRIBE",
              "APPEND", "FETCH", "SEARCH", "STORE", "STORE 1", "STORE 1 FLAGS", "COPY", "COPY 1", "MOVE", "UID FETCH", "UID STORE",
              "UID COPY", "UID MOVE", "UID SEARCH", "UID EXPUNGE", "ENABLE", "ID", "NAMESPACE x", "IDLE x", "CLOSE x", "EXPUNGE x",
              "FETCH 1", "FETCH 1 (", "FETCH * BODY[1.2.3.4]", "FETCH 1 BODY[HEADER.FIELDS ()]", "FETCH 1:* BINARY[1]",
              "SEARCH CHARSET", "SEARCH OR", "SEARCH NOT", "SEARCH UID", "STATUS INBOX ()", "LIST \"\"", "APPEND INBOX",
              "APPEND INBOX (\\Recent) {1+}\r\nx", "STORE 1 +FLAGS (\\Recent)", "FETCH 0 FLAGS", "FETCH 4294967296 FLAGS",
              "UID FETCH 0:* FLAGS", "COPY * INBOX", "SEARCH 1:* ALL", "FETCH 1 (BODY[]<0.0>)",
              "FETCH 1 BODY[TEXT]<4294967295.4294967295>", "UID NOOP", "FETCH 1 (UID UID UID)", "STORE 1 FLAGS ()"):
        n += 1
        t = "t%d" % n
        l = r.last(t, c)
        if not (l.startswith(t + " OK") or l.startswith(t + " NO") or l.startswith(t + " BAD")):
            untagged += 1
            out("odd", c + " -> " + l)
        if sel and "No mailbox selected" in l:
            nosel += 1
        r.last("n%d" % n, "NOOP")
out("count", n)
out("untagged", untagged)
out("nosel", nosel)
out("alive", r.last("z", "NOOP"))
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get count)" "110" "110 commands sent"
is "$(get untagged)" "0" "each answered with a tagged OK, NO or BAD"
is "$(get nosel)" "0" "bad SELECT/EXAMINE arguments leave the mailbox selected"
is "$(get alive)" "z OK NOOP completed" "the session is alive"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
