#!/bin/sh
# tern-pop3d with Python's poplib: USER/PASS from 127.0.0.1, STAT, LIST,
# UIDL, TOP, RETR (CRLF and dot-stuffing from an LF file), CAPA, STLS,
# implicit TLS (995-style), AUTH PLAIN both forms, DELE + RSET keeps,
# DELE + QUIT removes, new/ -> cur/ with S, UIDLs stable across sessions.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 22
# The exec path for pop3s, the fork server for pop3 (pop3.sh).
POP3_FORKSERVER=pop3
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: one\n\nline 1\n.dot line\nline 3\n' >"$SB/m1"
printf 'From: b@example.net\r\nSubject: two\r\n\r\nbody two\r\n' >"$SB/m2"
printf 'Subject: three\n\nno final newline' >"$SB/m3"
put_mail alice@example.org 1700000001.M1P1Q1.host,S=58 "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host,S=47 "$SB/m2"
put_mail alice@example.org 1700000003.M3P3Q3.host "$SB/m3"
MD=$(maildir alice@example.org)

cat >"$SB/t.py" <<'PYEOF'
import poplib, ssl, sys, os, base64
port = int(os.environ["P_POP3"]); sport = int(os.environ["P_POP3S"])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def out(k, v): print("%s=%s" % (k, v))
p = poplib.POP3("127.0.0.1", port, timeout=20)
out("greet", p.getwelcome().decode())
caps = p.capa()
out("capa", ",".join(sorted(caps.keys())))
out("impl", " ".join(caps.get("IMPLEMENTATION", [])))
p.user("alice@example.org")
out("pass", p.pass_("alice-secret").decode())
out("stat", p.stat())
resp, lines, _ = p.list()
out("list", " ".join(l.decode() for l in lines))
resp, lines, _ = p.uidl()
out("uidl", " ".join(l.decode() for l in lines))
resp, lines, octets = p.retr(1)
out("retr1", "|".join(l.decode() for l in lines))
out("retr1_octets", octets)
resp, lines, _ = p.top(2, 0)
out("top2", "|".join(l.decode() for l in lines))
resp, lines, _ = p.retr(3)
out("retr3", "|".join(l.decode() for l in lines))
out("dele", p.dele(2).decode())
try:
    p.retr(2)
    out("retr_deleted", "ok?")
except poplib.error_proto as e:
    out("retr_deleted", str(e))
out("rset", p.rset().decode())
out("quit", p.quit().decode())
# Second session: UIDLs the same; delete 2, quit.
p = poplib.POP3("127.0.0.1", port, timeout=20)
p.user("alice@example.org"); p.pass_("alice-secret")
resp, lines, _ = p.uidl()
out("uidl2", " ".join(l.decode() for l in lines))
p.dele(2)
p.quit()
# STLS
p = poplib.POP3("127.0.0.1", port, timeout=20)
out("stls", p.stls(context=ctx).decode())
out("stls_capa", ",".join(sorted(p.capa().keys())))
p.user("alice@example.org"); p.pass_("alice-secret")
out("stls_stat", p.stat())
p.quit()
# Implicit TLS
p = poplib.POP3_SSL("127.0.0.1", sport, context=ctx, timeout=20)
r = p._shortcmd("AUTH PLAIN " + base64.b64encode(b"\0alice@example.org\0alice-secret").decode())
out("auth_ir", r.decode())
out("ssl_stat", p.stat())
p.quit()
# AUTH PLAIN, continuation form, over plain from 127.0.0.1
p = poplib.POP3("127.0.0.1", port, timeout=20)
r = p._shortcmd("AUTH PLAIN")
out("auth_cont1", r.decode())
r = p._shortcmd(base64.b64encode(b"\0alice@example.org\0alice-secret").decode())
out("auth_cont2", r.decode())
p.quit()
# Wrong password and unknown user give the same answer.
for u, pw in (("alice@example.org", "wrong"), ("nobody@example.org", "alice-secret")):
    p = poplib.POP3("127.0.0.1", port, timeout=30)
    p.user(u)
    try:
        p.pass_(pw); out("bad_" + u.split("@")[0], "accepted?")
    except poplib.error_proto as e:
        out("bad_" + u.split("@")[0], str(e))
    p.quit()
PYEOF
r=$(P_POP3=$P_POP3 P_POP3S=$P_POP3S "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get greet)" "+OK tern POP3 server ready" "greeting"
is "$(get capa)" "AUTH-RESP-CODE,IMPLEMENTATION,PIPELINING,RESP-CODES,SASL,STLS,TOP,UIDL,USER" "CAPA before login from 127.0.0.1"
is "$(get pass)" "+OK Logged in." "USER/PASS from 127.0.0.1"
is "$(get stat)" "(3, 147)" "STAT: count and CRLF sizes"
is "$(get list)" "1 64 2 47 3 36" "LIST: CRLF sizes (LF file counted)"
is "$(get uidl)" "1 1700000001.M1P1Q1.host 2 1700000002.M2P2Q2.host 3 1700000003.M3P3Q3.host" "UIDL = Maildir unique names"
is "$(get retr1)" "From: a@example.net|Subject: one||line 1|.dot line|line 3" "RETR: lines (poplib un-stuffs the dot)"
is "$(get top2)" "From: b@example.net|Subject: two|" "TOP n 0: headers and the blank line"
is "$(get retr3)" "Subject: three||no final newline" "RETR: a file without a final newline"
like "$(get retr_deleted)" "-ERR No such message" "RETR of a deleted message"
like "$(get rset)" "^\+OK maildrop has 3 messages" "RSET"
like "$(get quit)" "^\+OK" "QUIT"
is "$(get uidl2)" "$(get uidl)" "UIDLs identical in the next session (after new/ -> cur/)"
ok "RETR moved message 1 to cur/ with S" test -f "$MD/cur/1700000001.M1P1Q1.host,S=58:2,S"
ok "message 3 too" test -f "$MD/cur/1700000003.M3P3Q3.host:2,S"
ok "DELE + QUIT removed message 2" test ! -e "$MD/new/1700000002.M2P2Q2.host,S=47"
like "$(get stls) $(get stls_capa)" "^\+OK Begin TLS.* .*USER" "STLS, then CAPA without STLS"
is "$(get stls_stat)" "(2, 100)" "login over STLS"
is "$(get auth_ir) $(get ssl_stat)" "+OK Logged in. (2, 100)" "implicit TLS + AUTH PLAIN with initial response"
is "$(get auth_cont1)|$(get auth_cont2)" "+ |+OK Logged in." "AUTH PLAIN continuation form"
is "$(get bad_alice)" "$(get bad_nobody)" "same answer for a wrong password and an unknown user"
ok "no crash or sanitizer report in the log" pop3_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
