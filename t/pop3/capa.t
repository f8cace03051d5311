#!/bin/sh
# CAPA with EXPIRE and LOGIN-DELAY configured (RFC 2449), before and
# after login; commands pipelined after STLS are dropped, never run
# inside TLS (RFC 2595, CVE-2011-0411); a second STLS is refused; the
# idle autologout (pop3_timeout) ends a session without UPDATE, and
# login_timeout ends a session that never logs in.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 12
# Short enough to wait for, long enough that a loaded machine finishes
# the pre-auth part (STLS, a TLS handshake) within login_timeout.
printf 'pop3_expire = 30\npop3_login_delay = 60\npop3_timeout = 5s\nlogin_timeout = 10s\n' >"$SB/extra.conf"
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'Subject: x\n\nx\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
MD=$(maildir alice@example.org)
cat >"$SB/t.py" <<'PYEOF'
import poplib, socket, ssl, os, time
port = int(os.environ["P_POP3"])
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def out(k, v): print("%s=%s" % (k, v))
p = poplib.POP3("127.0.0.1", port, timeout=20)
c = p.capa()
out("pre", " ".join("%s:%s" % (k, ",".join(v)) for k, v in sorted(c.items())))
p.user("alice@example.org"); p.pass_("alice-secret")
c = p.capa()
out("post", " ".join("%s:%s" % (k, ",".join(v)) for k, v in sorted(c.items())))
p.dele(1)
# Idle past pop3_timeout: the worker says goodbye and deletes nothing.
# (No sleep: the read below waits, up to 20 s, for the goodbye.)
try:
    out("idle", p._getline()[0].decode())
except Exception as e:
    out("idle", "exc %s" % e)
# Pipelined after STLS.
s = socket.create_connection(("127.0.0.1", port), 20)
f = s.makefile("rb")
f.readline()
s.sendall(b"USER alice@example.org\r\nSTLS\r\nUSER evil@example.org\r\nPASS x\r\n")
out("user", f.readline().decode().strip())
out("stls", f.readline().decode().strip())
t = ctx.wrap_socket(s, server_hostname="localhost")
tf = t.makefile("rb")
t.sendall(b"PASS alice-secret\r\n")
out("after", tf.readline().decode().strip())
t.sendall(b"STLS\r\n")
out("again", tf.readline().decode().strip())
t.sendall(b"QUIT\r\n")
t.close()
# Never logging in: closed after login_timeout.
s = socket.create_connection(("127.0.0.1", port), 20)
f = s.makefile("rb")
f.readline()
s.settimeout(30)
out("preauth_idle", f.readline().decode().strip() or "EOF")
PYEOF
r=$(P_POP3=$P_POP3 "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get pre)" "EXPIRE:30 .*LOGIN-DELAY:60 " "CAPA before login: EXPIRE and LOGIN-DELAY"
like "$(get pre)" "STLS: .*USER:" "CAPA before login: STLS and USER"
like "$(get post)" "EXPIRE:30 .*LOGIN-DELAY:60 " "CAPA after login: EXPIRE and LOGIN-DELAY"
unlike "$(get post)" "STLS|USER|SASL" "CAPA after login: no STLS, USER or SASL"
is "$(get idle)" "-ERR Autologout; idle for too long" "idle past pop3_timeout: autologout"
ok "autologout deleted nothing" test -f "$MD/new/1700000001.M1P1Q1.host"
is "$(get user) | $(get stls)" "+OK | +OK Begin TLS negotiation now" "USER, then STLS with pipelined commands"
is "$(get after)" "-ERR No username given" "the pipelined USER/PASS were dropped, USER state forgotten"
is "$(get again)" "-ERR Command not permitted when TLS active" "second STLS refused"
like "$(get preauth_idle)" "^(EOF|-ERR Disconnected for inactivity)$" "no login within login_timeout: closed"
ok "log: bytes dropped after STLS" grep -Eq 'tls: dropped [0-9]+ bytes pipelined after STLS from 127.0.0.1' "$SB/log"
ok "no crash or sanitizer report in the log" pop3_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
