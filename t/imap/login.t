#!/bin/sh
# tern-imapd's login path with Python's imaplib and a raw client: the
# greeting's CAPABILITY, CAPABILITY, NOOP, ID before login, LOGIN (the
# worker answers with the same tag and its capabilities), STARTTLS,
# implicit TLS (imaps), AUTHENTICATE PLAIN with SASL-IR and with a
# continuation, a wrong password and an unknown user alike, LOGOUT, and
# one log line per login and logout with the byte counts.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 17
# The exec path for plain imap, the fork server for imaps (imap.sh).
IMAP_FORKSERVER=imaps
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
import base64, imaplib
from imapt import *
r = Raw()
out("greet", r.greet)
out("capa", r.cmd("a1", "CAPABILITY")[0])
out("noop", r.last("a2", "NOOP"))
out("id", "|".join(r.cmd("a3", 'ID ("name" "test" "version" "1")')))
out("login", r.last("a4", 'LOGIN "alice@example.org" alice-secret'))
out("capa2", r.cmd("a5", "CAPABILITY")[0])
out("logout", "|".join(r.cmd("a6", "LOGOUT")))
out("eof", r.line())
m = imaplib.IMAP4("127.0.0.1", PORT, timeout=30)
out("stls", m.starttls(ssl_context=ctx())[0])
out("stls_capa", " ".join(m.capabilities))
out("stls_login", m.login("alice@example.org", "alice-secret")[0])
m.logout()
m = imaplib.IMAP4_SSL("127.0.0.1", SPORT, ssl_context=ctx(), timeout=30)
out("ssl_capa", " ".join(m.capabilities))
m.logout()
r = Raw(SPORT, tls=True)
ir = base64.b64encode(b"\0alice@example.org\0alice-secret").decode()
out("sasl_ir", r.last("b1", "AUTHENTICATE PLAIN " + ir))
r.close()
r = Raw()
r.send("c1 AUTHENTICATE PLAIN")
out("cont", r.line())
r.send(ir); out("cont_ok", r.upto("c1")[-1])
r.close()
res = []
for u, pw in (("alice@example.org", "wrong"), ("nobody@example.org", "alice-secret")):
    r = Raw()
    res.append(r.last("d1", "LOGIN %s %s" % (u, pw)))
    r.close()
out("bad_same", res[0] == res[1])
out("bad", res[0])
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get greet)" '^\* OK \[CAPABILITY IMAP4rev1 .*STARTTLS AUTH=PLAIN\] ' "greeting with CAPABILITY, STARTTLS, AUTH=PLAIN from 127.0.0.1"
like "$(get capa)" '^\* CAPABILITY IMAP4rev1( IMAP4rev2)? SASL-IR ID ENABLE IDLE LITERAL\+ STARTTLS AUTH=PLAIN$' "CAPABILITY before login"
is "$(get noop)" "a2 OK NOOP completed" "NOOP before login"
like "$(get id)" '^\* ID \(.*"name" "tern".*\)\|a3 OK' "ID before login"
like "$(get login)" '^a4 OK \[CAPABILITY IMAP4rev1 .*UIDPLUS.*\] Logged in' "LOGIN: the worker answers the LOGIN tag with its capabilities"
like "$(get capa2)" '^\* CAPABILITY IMAP4rev1 .*IDLE.*NAMESPACE.*UIDPLUS.*MOVE' "CAPABILITY after login"
unlike "$(get capa2)" 'STARTTLS|AUTH=|LOGINDISABLED' "no STARTTLS/AUTH= after login"
like "$(get logout)" '^\* BYE .*\|a6 OK' "LOGOUT: BYE then tagged OK"
is "$(get eof)" "EOF" "connection closed after LOGOUT"
is "$(get stls)" "OK" "STARTTLS"
unlike "$(get stls_capa)" 'STARTTLS' "no STARTTLS offered once TLS is on"
is "$(get stls_login)" "OK" "LOGIN over STARTTLS"
like "$(get ssl_capa)" 'AUTH=PLAIN' "imaps: implicit TLS"
like "$(get sasl_ir)" '^b1 OK \[CAPABILITY ' "AUTHENTICATE PLAIN with SASL-IR"
is "$(get cont)|$(get cont_ok | cut -c1-4)" "+ |c1 O" "AUTHENTICATE PLAIN with a continuation"
is "$(get bad_same) $(get bad)" "True d1 NO [AUTHENTICATIONFAILED] Authentication failed." "wrong password and unknown user: the same NO"
ok "log: login and logout lines with byte counts" log_wait 20 "logout account=alice@example.org ip=127.0.0.1 in=[0-9]+ out=[0-9]+"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
