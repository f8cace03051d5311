#!/bin/sh
# tern-pop3d and the Maildir underneath: ,W= gives the size; a file
# renamed by someone else during the session (IMAP setting a flag) is
# still found; a file removed under the session gives -ERR, not a crash;
# names whose unique part is no valid UIDL (too long) get a stable hashed
# UIDL; dot files and the lock file are not messages; RETR of a message
# already in cur/ with flags keeps them and adds S.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 9
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
MD=$(maildir alice@example.org)
LONG=1700000003.M3P3Q3.$(printf 'h%.0s' $(seq 1 80))
printf 'Subject: w\r\n\r\nw\r\n' >"$SB/m"
put_mail alice@example.org "1700000001.M1P1Q1.host,S=15,W=999" "$SB/m"
put_mail alice@example.org "1700000002.M2P2Q2.host" "$SB/m"
put_mail alice@example.org "$LONG" "$SB/m"
put_mail alice@example.org "1700000004.M4P4Q4.host" "$SB/m"
mv "$MD/new/1700000004.M4P4Q4.host" "$MD/cur/1700000004.M4P4Q4.host:2,F"
put_mail alice@example.org ".hidden" "$SB/m"
cat >"$SB/t.py" <<'PYEOF'
import poplib, os, sys
port = int(os.environ["P_POP3"]); md = os.environ["MD"]
def out(k, v): print("%s=%s" % (k, v))
p = poplib.POP3("127.0.0.1", port, timeout=20)
p.user("alice@example.org"); p.pass_("alice-secret")
out("list", " ".join(l.decode() for l in p.list()[1]))
u1 = [l.decode() for l in p.uidl()[1]]
out("uidl3", u1[2])
# "IMAP" renames message 2 into cur/ with a flag, removes nothing else.
os.rename(md + "/new/1700000002.M2P2Q2.host", md + "/cur/1700000002.M2P2Q2.host:2,R")
out("retr2", b"|".join(p.retr(2)[1]).decode())
os.unlink(md + "/new/1700000001.M1P1Q1.host,S=15,W=999")
try:
    p.retr(1); out("retr1", "ok?")
except poplib.error_proto as e:
    out("retr1", str(e))
p.retr(4)
p.quit()
p = poplib.POP3("127.0.0.1", port, timeout=20)
p.user("alice@example.org"); p.pass_("alice-secret")
u2 = [l.decode() for l in p.uidl()[1]]
out("uidl3b", [x for x in u2 if x.split()[1] == u1[2].split()[1]])
p.quit()
PYEOF
r=$(P_POP3=$P_POP3 MD=$MD "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get list)" "1 999 2 17 3 17 4 17" "LIST: ,W= size used; dot file not listed"
like "$(get uidl3)" "^3 x[0-9a-f]{32}$" "a too long unique name gets a hashed UIDL"
is "$(get uidl3b)" "['2 $(get uidl3 | cut -d' ' -f2)']" "the hashed UIDL is the same next session"
is "$(get retr2)" "Subject: w||w" "a message renamed under the session is still found"
like "$(get retr1)" "^b'-ERR" "a message removed under the session: -ERR"
ok "renamed message got S next to R" test -f "$MD/cur/1700000002.M2P2Q2.host:2,RS"
ok "a message in cur/ with F keeps it and gains S" test -f "$MD/cur/1700000004.M4P4Q4.host:2,FS"
ok "the lock file is still there, not listed" test -f "$MD/tern-pop3.lock"
ok "no crash or sanitizer report in the log" pop3_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
