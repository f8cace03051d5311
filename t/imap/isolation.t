#!/bin/sh
# A mailbox name never leaves the account's Maildir: names with "..",
# "/", "~", absolute paths, "." inside a level, and modified UTF-7 that
# encodes them (&AC8- is "/", &AC4ALg- is "..") are refused by CREATE,
# SELECT, EXAMINE, STATUS, APPEND, COPY, MOVE, RENAME, DELETE, SUBSCRIBE
# and LIST; nothing is created or changed outside alice's Maildir, and
# bob's mail stays unreachable.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 8
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'Subject: bob secret\n\nbob only\n' >"$SB/mb"
put_mail bob@example.org 1700000009.M9P9Q9.host "$SB/mb"
printf 'Subject: a\n\nalice\n' >"$SB/ma"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/ma"
MA=$(maildir alice@example.org); MB=$(maildir bob@example.org)
# Bob's Maildir relative to alice's.
REL=$("$PY" -c "import os,sys; print(os.path.relpath(sys.argv[2], sys.argv[1]))" "$MA" "$MB")
snapshot() { find "$SB" -path "$MA" -prune -o -path "$SB/log" -prune -o -path "$SB/run" -prune -o -path "$SB/t.py" -prune -o -path "$SB/out" -prune -o -path "$SB/before" -prune -o -path "$SB/after" -prune -o -print | sort; }
snapshot >"$SB/before"
# The first login makes the special-use folders; do it before the check.
cat >"$SB/t.py" <<'PYEOF'
import os, sys
from imapt import *
rel = sys.argv[1]
bad = ["..", "../x", "a/../../b", "INBOX/../..", "~bob", "~/x", "/etc", "/tmp/x",
       "&AC8-etc", "a&AC8-..&AC8-b", "&AC4ALg-", "&AC4ALg-/x", "a.b", ".x", "x/.",
       rel, rel + "/INBOX", "../" + rel, "&Jjo", "a//b", "", "a/", "*", "%"]
r = Raw(SPORT, tls=True)
r.last("l", "LOGIN alice@example.org alice-secret")
accepted = []
n = 0
def q(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
for b in bad:
    for c in ("CREATE %s", "SELECT %s", "EXAMINE %s", "STATUS %s (MESSAGES)", "DELETE %s",
              "RENAME INBOX %s", "RENAME %s y", "SUBSCRIBE %s", "APPEND %s {3+}\r\nabc"):
        if b in ("a/",) and c.startswith("CREATE"):
            continue    # a trailing separator is CREATE's own business
        n += 1
        t = "t%d" % n
        l = r.last(t, c % q(b))
        if not l.startswith(t + " NO") and not l.startswith(t + " BAD"):
            accepted.append(c % b + " -> " + l)
r.last("s", "SELECT INBOX")
for b in bad:
    for c in ("COPY 1 %s", "MOVE 1 %s"):
        n += 1
        t = "t%d" % n
        l = r.last(t, c % q(b))
        if not l.startswith(t + " NO") and not l.startswith(t + " BAD"):
            accepted.append(c % b + " -> " + l)
lst = r.cmd("lx", 'LIST "" "*"')
out("list_all", " | ".join(lst))
out("list_up", " | ".join(r.cmd("ly", 'LIST "../" "*"')))
out("list_abs", " | ".join(r.cmd("lz", 'LIST "/" "*"')))
out("accepted", "; ".join(accepted))
out("count", n)
r.last("z", "LOGOUT")
PYEOF
r=$(imap_py "$SB/t.py" "$REL")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get accepted)" "" "every command with a bad name: NO or BAD"
like "$(get count)" '^[0-9]{3}$' "hundreds of commands tried"
unlike "$(get list_all)" 'bob|\.\.|etc|tmp' "LIST * shows only alice's folders"
like "$(get list_up) $(get list_abs)" '^ly OK .* lz OK ' "LIST with a reference going up or absolute: nothing (OK, no names)"
unlike "$(get list_up)$(get list_abs)" '\* LIST' "... no names at all"
snapshot >"$SB/after"
is "$(diff "$SB/before" "$SB/after" | grep '^[<>]' | grep -v "$MA" | head -5)" "" "nothing created or removed outside alice's Maildir"
ok "bob's message untouched" test -f "$MB/new/1700000009.M9P9Q9.host"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
