#!/bin/sh
# tern-smtpd and TLS: STARTTLS with Python's ssl and with swaks -tls,
# implicit TLS on the submissions port, what the Received: header says,
# and commands pipelined after STARTTLS are dropped, never run inside TLS.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
command -v swaks >/dev/null || skip_all "swaks not installed"
sandbox
plan 15
smtp_start || { echo "Bail out! set-up failed"; exit 1; }

cat >"$SB/t.py" <<'PYEOF'
import smtplib, ssl, sys
sys.path.insert(0, sys.argv[1])
from client import Client, port, tls_ctx
def out(k, v): print("%s=%s" % (k, v))
s = smtplib.SMTP("127.0.0.1", port(), timeout=20)
s.ehlo("tls.example")
out("before", s.has_extn("starttls"))
code, _ = s.starttls(context=tls_ctx())
out("starttls", code)
out("version", s.sock.version())
s.ehlo("tls.example")
out("after", s.has_extn("starttls"))
r = s.sendmail("t@foo.example", ["alice@example.org"], b"Subject: tls\r\n\r\nsecret\r\n")
out("sent", r == {})
s.quit()
s = smtplib.SMTP_SSL("127.0.0.1", port("P_SUBS"), context=tls_ctx(), timeout=20)
s.ehlo("subs.example")
out("subs_caps", s.has_extn("starttls"), )
out("subs_size", s.has_extn("size"))
try:
    s.sendmail("s@foo.example", ["bob@example.org"], b"Subject: implicit\r\n\r\nx\r\n")
    out("subs_sent", "sent")
except smtplib.SMTPSenderRefused as e:
    out("subs_sent", e.smtp_code)
s.quit()
# Pipelined after STARTTLS: must be dropped.
c = Client(port())
c.reply()
c.cmd("EHLO p.example")
c.send("STARTTLS\r\nEHLO evil.example\r\nMAIL FROM:<evil@evil.example>\r\n")
out("p_220", c.reply())
try:
    c.starttls()
    out("p_after", c.cmd("MAIL FROM:<good@foo.example>"))
    out("p_quit", c.cmd("QUIT"))
except Exception as e:
    out("p_after", "handshake failed: %s" % e)
# A second STARTTLS inside TLS is refused.
c = Client(port())
c.reply(); c.cmd("EHLO x.example"); c.cmd("STARTTLS"); c.starttls()
c.cmd("EHLO x.example")
out("again", c.cmd("STARTTLS"))
c.cmd("QUIT")
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get before) $(get starttls)" "True 220" "STARTTLS offered and accepted"
like "$(get version)" '^TLSv1\.[23]$' "TLS 1.2 or later"
is "$(get after)" "False" "not offered again inside TLS"
is "$(get sent)" "True" "mail sent over STARTTLS"
is "$(get subs_caps) $(get subs_size)" "False True" "submissions: TLS from the first byte, no STARTTLS"
is "$(get subs_sent)" "530" "submissions: MAIL without AUTH refused (t/submit has the rest)"
is "$(get p_220)" "220 2.0.0 Ready to start TLS" "pipelined STARTTLS: 220"
like "$(get p_after)" '^503 5.5.1 Error: send HELO/EHLO first' "the pipelined EHLO and MAIL were not run inside TLS"
ok "log: dropped bytes" grep -Eq 'tls: dropped [0-9]+ bytes pipelined after STARTTLS from 127.0.0.1' "$SB/log"
like "$(get again)" '^503 5.5.1' "second STARTTLS refused"
ok "log: tls line" grep -Eq 'tern-smtpd\[[0-9]+\]: tls from 127.0.0.1: tls=TLSv1\.[23] cipher=' "$SB/log"
id=$(grep -a -l 'Subject: tls' $(find "$Q/msg" -type f) | head -1)
like "$(head -2 "$id" | tr -d '\r' | tr '\n' ' ')" 'with ESMTPS \(tls=TLSv1\.[23] cipher=[A-Z0-9_-]+ verify=none\) id [0-9A-Z]{16}' "Received: says ESMTPS and the cipher"

out=$(swaks -tls --server 127.0.0.1:$P_SMTP --from x@foo.example --to alice@example.org --helo c.example 2>&1)
like "$out" '<~  250 2.0.0 Ok: queued as [0-9A-Z]{16}' "swaks -tls: queued over TLS"
is "$(nqueued)" 2 "two messages queued"
ok "no crash or sanitizer report in the log" smtp_clean_log
done_testing
