#!/bin/sh
# Timeouts, configured short: an idle session is logged out with
# "* BYE Autologout" (imap_timeout), an IDLE that lasts too long ends
# with "* BYE" (imap_idle_timeout), and both close the connection.  The
# waits are bounded (30 s); no timing is asserted.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 6
printf 'imap_timeout = 2s\nimap_idle_timeout = 3s\n' >"$SB/extra.conf"
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
from imapt import *
r = Raw()
r.s.settimeout(30)
out("login", r.last("a1", "LOGIN alice@example.org alice-secret")[:5])
out("bye", r.line())
out("eof", r.line())
r = Raw()
r.s.settimeout(30)
r.last("b1", "LOGIN alice@example.org alice-secret")
r.last("b2", "SELECT INBOX")
r.send("b3 IDLE")
out("idle", r.line())
ls = []
for _ in range(10):
    l = r.line()
    ls.append(l)
    if l.startswith("* BYE") or l in ("EOF",) or l.startswith("ERR"):
        break
out("idle_bye", ls[-1])
out("idle_eof", r.line())
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get login)" "a1 OK" "login"
like "$(get bye)" '^\* BYE Autologout' "idle session: BYE Autologout"
is "$(get eof)" "EOF" "... and closed"
like "$(get idle)" '^\+ ' "IDLE"
like "$(get idle_bye) $(get idle_eof)" '^\* BYE .* EOF$' "IDLE too long: BYE and closed"
ok "log: autologout" log_wait 20 "autologout account=alice@example.org"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
