#!/bin/sh
# End to end as make run starts the suite: a message sent by SMTP reaches
# alice's INBOX over IMAP (port base + 143, and IMAPS + 993), an IMAP
# session in IDLE is told of the next one as it is delivered, and the
# messages read back byte for byte (CRLF) with the headers tern added.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-imapd" ] || skip_all "tern-imapd not built"
sandbox
plan 11
C="$PY $TERN_SRC/t/e2e/smtpc.py"
ok "suite starts" e2e_start
P_IMAP=$((PB + 143)); P_IMAPS=$((PB + 993))
ok "IMAP listens" wait_port "$P_IMAP"
PW=$(sed -n 's/^alice@example.test //p' "$H/demo-passwords")
like "$($C $P_SMTP send sender@example.net alice@example.test --id e2e-one)" '^250 ' "SMTP: accepted"
ok "delivered" wait_for 20 e2e_has alice@example.test e2e-one
cat >"$SB/t.py" <<'PYEOF'
import imaplib, os, ssl, subprocess, sys
port, sport, pw = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
smtpc, smtp = sys.argv[4], sys.argv[5]
def out(k, v): print("%s=%s" % (k, str(v).replace("\r", "\\r").replace("\n", "\\n"))); sys.stdout.flush()
c = ssl.create_default_context(); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
m = imaplib.IMAP4_SSL("127.0.0.1", sport, ssl_context=c, timeout=30)
m.login("alice@example.test", pw)
typ, d = m.select("INBOX")
out("exists", d[0].decode())
typ, d = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (X-TEST-ID DELIVERED-TO)])")
out("hdr", d[0][1].decode())
# IDLE while the next message travels through SMTP.
tag = m._new_tag().decode()
m.send(("%s IDLE\r\n" % tag).encode())
out("idle", m.readline().decode().strip())
r = subprocess.run([sys.executable, smtpc, smtp, "send", "s@example.net", "alice@example.test", "--id", "e2e-two"], capture_output=True, text=True)
out("smtp2", r.stdout.strip())
m.sock.settimeout(30)
got = []
for _ in range(5):
    l = m.readline().decode().strip()
    got.append(l)
    if "EXISTS" in l or not l:
        break
out("idle_exists", " | ".join(got))
m.send(b"DONE\r\n")
while True:
    l = m.readline().decode()
    if l.startswith(tag) or not l:
        break
out("done", l.strip())
typ, d = m.fetch("2", "(BODY.PEEK[HEADER.FIELDS (X-TEST-ID)])")
out("hdr2", d[0][1].decode())
m.logout()
PYEOF
r=$("$PY" "$SB/t.py" "$P_IMAP" "$P_IMAPS" "$PW" "$TERN_SRC/t/e2e/smtpc.py" "$P_SMTP" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get exists)" "1" "IMAPS: INBOX holds the SMTP message"
like "$(get hdr)" 'Delivered-To: alice@example.test\\r\\nX-Test-Id: e2e-one\\r\\n' "its headers, CRLF"
like "$(get idle_exists)" '\* 2 EXISTS' "IDLE: the next SMTP message is announced"
like "$(get hdr2)" 'X-Test-Id: e2e-two' "... and reads back"

# The account's quota (from tern-authd, as tern-local applies it) holds
# for APPEND too.
e2e_user quota@example.test --quota 4k
sleep 2		# tern-authd looks for a recompiled map at most once a second
r2=$("$PY" - "$P_IMAP" <<'PYEOF'
import imaplib, sys
m = imaplib.IMAP4("127.0.0.1", int(sys.argv[1]), timeout=30)
m.login("quota@example.test", "pw-quota@example.test")
small = b"Subject: small\r\n\r\n" + b"x" * 100 + b"\r\n"
big = b"Subject: big\r\n\r\n" + (b"y" * 76 + b"\r\n") * 100
for name, msg in (("small", small), ("big", big)):
    try:
        typ, d = m.append("INBOX", None, None, msg)
        print("%s=%s %s" % (name, typ, d[0].decode()))
    except imaplib.IMAP4.error as e:
        print("%s=ERR %s" % (name, e))
m.logout()
PYEOF
)
like "$(printf '%s\n' "$r2" | sed -n 's/^small=//p')" "^OK " "APPEND under the quota: OK"
like "$(printf '%s\n' "$r2" | sed -n 's/^big=//p')" "OVERQUOTA" "APPEND over the account's quota: NO [OVERQUOTA]"
ok "no crash or sanitizer report" e2e_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; diag "$r2"; tail -40 "$SB/run.log" | while read -r l; do diag "$l"; done; }
e2e_stop
done_testing
