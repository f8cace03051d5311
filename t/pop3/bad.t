#!/bin/sh
# tern-pop3d and bad input: a configuration without loopback in
# login_plaintext_networks (so 127.0.0.1 counts as remote): USER, PASS and
# AUTH PLAIN refused before TLS with -ERR [AUTH], CAPA without USER/SASL;
# after STLS they work.  Over-long lines, NUL bytes, unknown commands,
# transaction commands before login, the pre-auth command limit, the
# failed-login limit, path tricks and out-of-range numbers after login;
# a second session on a mailbox gets -ERR [IN-USE]; a connection dropped
# without QUIT deletes nothing; 200 idle pre-auth connections do not stop
# another client from logging in and reading mail.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 22
printf 'login_plaintext_networks = 192.0.2.0/24\nlogin_max_failures = 2\n' >"$SB/extra.conf"
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'Subject: a\n\nalice one\n' >"$SB/m1"
printf 'Subject: b\n\nbob secret mail\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail bob@example.org 1700000009.M9P9Q9.host "$SB/m2"
MDA=$(maildir alice@example.org)

cat >"$SB/t.py" <<'PYEOF'
import poplib, socket, ssl, sys, os, base64, time
port = int(os.environ["P_POP3"])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def out(k, v): print("%s=%s" % (k, str(v).replace("\n", "\\n")))
class Raw:
    def __init__(self):
        self.s = socket.create_connection(("127.0.0.1", port), 20)
        self.f = self.s.makefile("rb")
        self.greet = self.line()
    def line(self):
        l = self.f.readline()
        if not l: return "EOF"
        return l.decode("latin-1").rstrip("\r\n")
    def cmd(self, c):
        self.s.sendall(c if isinstance(c, bytes) else (c + "\r\n").encode())
        return self.line()
    def multi(self):
        ls = []
        while True:
            l = self.line()
            if l in (".", "EOF"): return ls
            ls.append(l)
r = Raw()
out("user", r.cmd("USER alice@example.org"))
out("pass", r.cmd("PASS alice-secret"))
out("auth", r.cmd("AUTH PLAIN " + base64.b64encode(b"\0alice@example.org\0alice-secret").decode()))
r.cmd("CAPA"); out("capa", ",".join(r.multi()))
out("auth_list", r.cmd("AUTH") + "," + ",".join(r.multi()))
out("stat_pre", r.cmd("STAT"))
out("long", r.cmd("NOOP " + "x" * 5000))
out("nul", r.cmd(b"US\0ER x\r\n"))
out("unknown", r.cmd("XYZZY"))
out("alive", r.cmd("QUIT"))
# Command limit before login.
r = Raw()
last = ""
try:
    for i in range(40):
        last = r.cmd("CAPA")
        if last.startswith("+OK"): r.multi()
        else: break
    out("cmdlimit", last + " " + r.line() + " %d" % i)
except Exception as e:
    out("cmdlimit", "exception %s" % e)
# After STLS plaintext rules no longer apply; failures limited to 2.
p = poplib.POP3("127.0.0.1", port, timeout=30)
p.stls(context=ctx)
res = []
for i in range(3):
    try:
        p.user("alice@example.org"); p.pass_("wrong%d" % i); res.append("ok?")
    except poplib.error_proto as e:
        res.append(str(e))
    except Exception as e:
        res.append("closed")
out("failures", "|".join(res))
# Isolation: logged in as alice, try to reach bob's message.
p = poplib.POP3("127.0.0.1", port, timeout=30)
p.stls(context=ctx)
p.user("alice@example.org"); p.pass_("alice-secret")
res = []
for c in ("RETR 2", "RETR 0", "RETR -1", "RETR 99999999999", "RETR ../../bob", "TOP 1 -1",
          "RETR 1700000009.M9P9Q9.host", "UIDL 2", "LIST 2", "DELE 2", "USER bob@example.org",
          "PASS bob secret", "RETR 1/../../x"):
    try:
        res.append(p._shortcmd(c).decode()[:3])
    except poplib.error_proto as e:
        res.append("ERR")
out("isolation", ",".join(res))
resp, lines, _ = p.retr(1)
out("own", b"|".join(lines).decode())
# Second session while the first holds the lock.
q = poplib.POP3("127.0.0.1", port, timeout=30)
q.stls(context=ctx)
q.user("alice@example.org")
try:
    q.pass_("alice-secret"); out("inuse", "accepted?")
except poplib.error_proto as e:
    out("inuse", str(e))
# Drop the first without QUIT after DELE.
p.dele(1)
p.sock.close()
time.sleep(1)
PYEOF
r=$(P_POP3=$P_POP3 "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get user)" '^-ERR \[AUTH\] Plaintext authentication disallowed' "USER refused before TLS (not in login_plaintext_networks)"
like "$(get pass)" '^-ERR \[AUTH\] Plaintext' "PASS refused before TLS"
like "$(get auth)" '^-ERR \[AUTH\] Plaintext' "AUTH PLAIN refused before TLS"
is "$(get auth_list)" "+OK," "bare AUTH lists no mechanism before TLS, like CAPA"
is "$(get capa)" "TOP,UIDL,RESP-CODES,AUTH-RESP-CODE,PIPELINING,STLS,IMPLEMENTATION tern" "CAPA offers STLS, not USER or SASL"
like "$(get stat_pre)" '^-ERR' "STAT before login refused"
is "$(get long)" "-ERR Line too long" "over-long line answered, session goes on"
like "$(get nul)" '^-ERR' "NUL byte refused"
like "$(get unknown)" '^-ERR' "unknown command"
like "$(get alive)" '^\+OK' "session still usable after the bad lines"
like "$(get cmdlimit)" '^-ERR Too many commands before login EOF 30$' "pre-auth command limit, then closed"
like "$(get failures)" "^b'-ERR \\[AUTH\\] Authentication failed.'\\|b'-ERR \\[AUTH\\] Authentication failed.'\\|(closed|-ERR EOF)\$" "after login_max_failures the connection is closed"
is "$(get isolation)" "ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR,ERR" "no command reaches beyond alice's one message"
is "$(get own)" "Subject: a||alice one" "alice reads her own mail"
like "$(get inuse)" "-ERR \\[IN-USE\\]" "second session: -ERR [IN-USE]"
ok "dropped without QUIT: the DELE'd message is still there" test -f "$MDA/cur/1700000001.M1P1Q1.host:2,S"
ok "log: refused plaintext" grep -q 'refused plaintext login before TLS ip=127.0.0.1' "$SB/log"

# 200 idle pre-auth connections, then a full login and RETR.
cat >"$SB/idle.py" <<'PYEOF'
import poplib, socket, ssl, os, time
port = int(os.environ["P_POP3"])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
held = []
for i in range(200):
    s = socket.create_connection(("127.0.0.1", port), 20)
    held.append(s)
greets = 0
for s in held:
    s.settimeout(20)
    if s.recv(100).startswith(b"+OK"): greets += 1
print("greets=%d" % greets)
p = poplib.POP3("127.0.0.1", port, timeout=30)
p.stls(context=ctx)
p.user("bob@example.org"); p.pass_("bob secret")
resp, lines, _ = p.retr(1)
print("bob=" + b"|".join(lines).decode())
p.quit()
for s in held: s.close()
PYEOF
r=$(P_POP3=$P_POP3 "$PY" "$SB/idle.py" 2>&1)
is "$(get greets)" "200" "200 idle pre-auth connections each greeted"
is "$(get bob)" "Subject: b||bob secret mail" "another client still logs in (password with a blank) and reads mail"
ok "bob's RETR moved his message to cur/" test -f "$(maildir bob@example.org)/cur/1700000009.M9P9Q9.host:2,S"
n=$(grep -c 'connect ip=127.0.0.1 tls=no' "$SB/log")
ok "the idle connections were real sessions ($n)" test "$n" -ge 200
ok "no crash or sanitizer report in the log" pop3_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
