#!/bin/sh
# A first login before the first delivery: an account whose Maildir does
# not exist yet (written into the accounts map by hand, or imported) gets
# one made at login, as tern-lspawn makes it at the first delivery
# (the folder 0700 and tmp/ new/ cur/, owned by the account when run as
# root), and sees an empty mailbox; before, the login failed with
# -ERR [SYS/TEMP].  IMAP takes the same path (lib/login_mon).  On a
# storage tier every account has host= (INSTALL 7.3): host= this host's
# name (tern.conf hostname) is made too (a new account read through the
# front end before its first mail got [SYS/TEMP]); host= another host is
# not (that Maildir lives elsewhere).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 10
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

# host= this host (pop3.sh: hostname = pop.example.org), and another host.
for a in carol:pop.example.org dave:st9.example.org; do
	printf 'pw-%s-123\n' "${a%%:*}" | "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" \
	    add "${a%%:*}@example.org" --host "${a#*:}" --password-stdin >>"$SB/maps.log" 2>&1 ||
	    { echo "Bail out! tern-user add ${a%%:*} failed"; exit 1; }
	rm -rf "$(maildir "${a%%:*}@example.org")"
done
sleep 1.2	# readers notice the recompiled maps (inode, size, mtime)
login() {
	"$PY" - "$P_POP3" "$1" "$2" <<'PYEOF'
import poplib, sys
p = poplib.POP3("127.0.0.1", int(sys.argv[1]), timeout=30)
p.user(sys.argv[2])
try:
    p.pass_(sys.argv[3]); print("stat=%d %d" % p.stat()); p.quit()
except poplib.error_proto as e:
    print("err=%s" % e)
PYEOF
}
if [ "$USE_AUTHD" = 1 ]; then
	is "$(login carol@example.org pw-carol-123 2>&1)" "stat=0 0" "host= this host: the first login makes the Maildir"
	ok "carol's Maildir was made" test -d "$(maildir carol@example.org)/new"
	like "$(login dave@example.org pw-dave-123 2>&1)" "SYS/TEMP" "host= another host: a temporary error"
	ok "and no Maildir for dave here" test ! -e "$(maildir dave@example.org)"
else
	for i in 1 2 3 4; do skip "needs tern-authd (host= comes from the accounts map)"; done
fi
[ "$_tap_fail" = 0 ] || tail -20 "$SB/log" | while read -r l; do diag "$l"; done
done_testing
