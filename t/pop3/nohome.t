#!/bin/sh
# A first login before the first delivery: an account whose Maildir does
# not exist yet (written into the accounts map by hand, or imported) gets
# one made at login, as tern-lspawn makes it at the first delivery
# (the folder 0700 and tmp/ new/ cur/, owned by the account when run as
# root), and sees an empty mailbox; before, the login failed with
# -ERR [SYS/TEMP].  IMAP takes the same path (lib/login_mon).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 6
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
MD=$(maildir alice@example.org)
rm -rf "$MD"
[ ! -e "$MD" ] || { echo "Bail out! cannot remove $MD"; exit 1; }

cat >"$SB/t.py" <<'PYEOF'
import os, poplib
p = poplib.POP3("127.0.0.1", int(os.environ["P_POP3"]), timeout=30)
p.user("alice@example.org")
try:
    p.pass_("alice-secret")
    print("stat=%d %d" % p.stat())
    p.quit()
except poplib.error_proto as e:
    print("err=%s" % e)
PYEOF
r=$(P_POP3=$P_POP3 "$PY" "$SB/t.py" 2>&1)
is "$r" "stat=0 0" "a login without a Maildir succeeds with an empty mailbox"
ok "the Maildir was made" test -d "$MD/new"
ok "with tmp/ and cur/" test -d "$MD/tmp" -a -d "$MD/cur"
is "$(stat -c %a "$MD")" 700 "mode 0700"
if [ "$(id -u)" = 0 ]; then
	u=$(uidof alice@example.org)
	is "$(stat -c %u "$MD") $(stat -c %u "$MD/new")" "$u $u" "owned by the account's uid"
else
	is "$(stat -c %u "$MD")" "$(id -u)" "owned by the user running tern"
fi
r=$(P_POP3=$P_POP3 "$PY" "$SB/t.py" 2>&1)
is "$r" "stat=0 0" "and the next login finds it"
[ "$_tap_fail" = 0 ] || tail -20 "$SB/log" | while read -r l; do diag "$l"; done
done_testing
