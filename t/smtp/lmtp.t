#!/bin/sh
# tern-smtpd -m lmtp (RFC 2033): LHLO only, one reply per accepted
# recipient after the final dot and after BDAT LAST, foreign domains
# refused by the maps.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
sandbox
plan 12
smtp_start || { echo "Bail out! set-up failed"; exit 1; }

cat >"$SB/t.py" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from client import Client, port
def out(k, v): print("%s=%s" % (k, v))
c = Client(port("P_LMTP"))
out("greet", c.reply())
out("ehlo", c.cmd("EHLO x.example"))
out("lhlo", c.cmd("LHLO x.example"))
c.send("MAIL FROM:<l@foo.example>\r\nRCPT TO:<alice@example.org>\r\n"
       "RCPT TO:<ghost@example.org>\r\nRCPT TO:<x@elsewhere.example>\r\n"
       "RCPT TO:<bob@example.org>\r\nDATA\r\n")
for k in ("mail", "r1", "r2", "r3", "r4", "data"):
    out(k, c.reply())
c.send("Subject: lmtp\r\n\r\nhi\r\n.\r\nNOOP\r\n")
out("d1", c.reply()); out("d2", c.reply()); out("noop", c.reply())
c.send("MAIL FROM:<l@foo.example>\r\nRCPT TO:<carol@virt.example>\r\n"
       "RCPT TO:<sales@example.org>\r\nBDAT 20 LAST\r\nSubject: b\r\n\r\nbdat\r\n")
for k in ("bmail", "b1", "b2", "b3", "b4"):
    out(k, c.reply())
out("quit", c.cmd("QUIT"))
c = Client(port())
c.reply()
out("lhlo_smtp", c.cmd("LHLO x.example"))
c.cmd("QUIT")
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get greet)" '^220 mx.example.org LMTP' "LMTP greeting"
like "$(get ehlo)" '^500 5.5.1' "EHLO refused in LMTP"
like "$(get lhlo)" '^250-mx.example.org\|250-PIPELINING' "LHLO"
like "$(get r2)" '^550 5.1.1' "unknown user refused"
like "$(get r3)" '^550 5.1.2' "foreign domain refused by the maps"
like "$(get r1) $(get r4) $(get data)" '^250 .* 250 .* 354 ' "accepted recipients, DATA"
like "$(get d1)" '^250 2.0.0 <alice@example.org> Ok: queued as [0-9A-Z]{16}$' "first reply: alice"
like "$(get d2)" '^250 2.0.0 <bob@example.org> Ok: queued as [0-9A-Z]{16}$' "second reply: bob"
like "$(get noop)" '^250 2.0.0 Ok$' "then the NOOP: exactly one reply per recipient"
like "$(get b3) | $(get b4)" '^250 2.0.0 <carol@virt.example> Ok: queued as .* \| 250 2.0.0 <sales@example.org> Ok: queued as ' "BDAT LAST: one reply per recipient"
like "$(get lhlo_smtp)" '^500 5.5.1' "LHLO refused in SMTP"
is "$(nqueued)" 2 "two messages queued"
done_testing
