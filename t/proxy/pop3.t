#!/bin/sh
# tern-proxy, POP3: the same CAPA as tern-pop3d before the login and the
# backend's after it; USER/PASS, STLS, implicit TLS with AUTH PLAIN and an
# initial response; mail read through the proxy; routes choose backend B
# for bob; failures look alike; the master login is refused to clients;
# XCLIENT's client IP reaches tern-authd from the trusted address only.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/proxy/proxy.sh"
sandbox
plan 19
proxy_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: x@example.net\nSubject: hello\n\npop body\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
cat >"$SB/t.py" <<'PYEOF'
import socket, sys
from proxyt import *

def err(p, cmd):
    try:
        return p._shortcmd(cmd)
    except poplib.error_proto as e:
        return e.args[0]

def lines(p, cmd):
    p._putcmd(cmd)
    resp, ls, _ = p._getlongresp()
    return " | ".join(x.decode() for x in [resp] + ls)

# One POP3 session per mailbox: the backend directly first, then the proxy.
be = pop(P["P_POP3"])
out("capa_be", lines(be, "CAPA"))
be.user("alice@example.org")
out("pass_be", be.pass_("alice-secret"))
out("capa2_be", lines(be, "CAPA"))
be.quit()
px = pop(P["P_PXP"])
out("greet", px.getwelcome())
out("capa_px", lines(px, "CAPA"))
px.user("alice@example.org")
out("pass_px", px.pass_("alice-secret"))
out("capa2_px", lines(px, "CAPA"))
# A second session of the same mailbox gets the backend's IN-USE.
p2 = pop(P["P_PXP"])
p2.user("alice@example.org")
out("in_use", err(p2, "PASS alice-secret"))
# ... and stays the proxy's pre-auth session: the backend (which trusts
# the proxy's XCLIENT) is never reached before a login.
out("after_in_use", err(p2, "XCLIENT ADDR=10.9.8.7"))
p2.close()
out("stat", px.stat())
out("retr", b" | ".join(px.retr(1)[1]))
out("quit", px.quit())
p = pop(P["P_PXP"])
p.stls(context=ctx())
p.user("alice@example.org")
out("stls_pass", p.pass_("alice-secret"))
p.quit()
p = pop(P["P_PXPS"], tls=True)
out("auth_ir", p._shortcmd("AUTH PLAIN " + plain("", *USERS["bob"])))
out("bob_stat", p.stat())
p.quit()

p = pop(P["P_PXPS"], tls=True)
p._shortcmd("USER alice@example.org")
out("wrong_pw", err(p, "PASS wrong"))
p._shortcmd("USER nobody@example.org")
out("unknown", err(p, "PASS wrong"))
p.close()
p = pop(P["P_PXPS"], tls=True)
out("master_via_proxy", err(p, "AUTH PLAIN " + plain("alice@example.org", "tern-proxy", SECRET)))
out("xclient_via_proxy", err(p, "XCLIENT ADDR=192.0.2.1"))
p.close()
p = pop(P["P_POP3"])
out("master_direct", err(p, "AUTH PLAIN " + plain("alice@example.org", "tern-proxy", SECRET)))
p.close()
s = socket.socket(); s.bind(("127.0.0.3", 0)); s.connect(("127.0.0.1", P["P_POP3"]))
p = poplib.POP3.__new__(poplib.POP3)
p.host, p.port, p.sock, p._tls_established = "127.0.0.1", P["P_POP3"], s, False
p.file = s.makefile("rb"); p._debugging = 0; p.welcome = p._getresp()
out("xclient", err(p, "XCLIENT ADDR=192.0.2.98"))
out("master_right", err(p, "AUTH PLAIN " + plain("alice@example.org", "tern-proxy", SECRET)))
p.quit()
PYEOF
r=$(proxy_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get greet)" "^\+OK" "greeting"
is "$(get capa_px)" "$(get capa_be)" "pre-auth CAPA: the same as tern-pop3d's"
like "$(get capa_px)" 'USER' "... with USER (plaintext allowed from 127.0.0.1)"
is "$(get pass_px)" "$(get pass_be)" "USER/PASS through the proxy: the backend's answer"
like "$(get pass_px)" "^\+OK" "... +OK"
is "$(get capa2_px)" "$(get capa2_be)" "post-login CAPA: the backend's"
like "$(get in_use)" '^-ERR \[IN-USE\]' "a second session: the backend's -ERR [IN-USE] reaches the client"
like "$(get after_in_use)" '^-ERR' "after IN-USE the client is still the proxy's, not relayed to the backend before a login"
like "$(get stat)" '^\(1, ' "STAT through the proxy"
like "$(get retr)" 'pop body' "RETR through the proxy"
like "$(get stls_pass)" "^\+OK" "STLS, then USER/PASS"
like "$(get auth_ir)" "^\+OK" "pop3s: AUTH PLAIN with an initial response"
ok "bob went to backend B (routes)" grep -q "login user=bob@example.org .*backend=127.0.0.2:$P_POP3B" "$SB/log"
is "$(get wrong_pw)" "$(get unknown)" "wrong password and unknown user: the same answer"
like "$(get master_via_proxy) $(get xclient_via_proxy)" "^-ERR.* -ERR" "master login and XCLIENT through the proxy: refused"
like "$(get master_direct)" "^-ERR" "the master login from an untrusted address: refused"
like "$(get xclient) $(get master_right)" "^\+OK.* \+OK" "from the trusted address: XCLIENT and the master login work"
ok "tern-authd logs the client IP sent by XCLIENT" grep -q "auth ok service=pop3 user=alice@example.org ip=192.0.2.98" "$SB/log"
ok "no crash or sanitizer report in the log" proxy_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -40 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
