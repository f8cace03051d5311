#!/bin/sh
# tern-smtpd CHUNKING (RFC 3030): chunks stored byte for byte (no dot
# handling), pipelined BDAT, BDAT 0 LAST, a refused BDAT still consumes
# its bytes, size limit while reading, bare LF refused, DATA during BDAT.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
sandbox
plan 14
echo "message_size_limit = 10k" >"$SB/extra.conf"
smtp_start || { echo "Bail out! set-up failed"; exit 1; }

cat >"$SB/t.py" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from client import Client, port
def out(k, v): print("%s=%s" % (k, v))
c = Client(port())
c.reply(); c.cmd("EHLO b.example")
p1 = b"Subject: bdat\r\n\r\nline one\r\n.\r\n"
p2 = b"..dots stay\r\nend\r\n"
c.send(b"MAIL FROM:<b@foo.example>\r\nRCPT TO:<alice@example.org>\r\n"
       b"BDAT %d\r\n%sBDAT %d LAST\r\n%sNOOP\r\n" % (len(p1), p1, len(p2), p2))
for k in ("mail", "rcpt", "c1", "c2", "noop"):
    out(k, c.reply())
# A BDAT without a transaction: refused, its bytes read and dropped.
out("nomail", c.cmd("BDAT 12\r\nQUIT\r\nQUIT\r\n"[:-2]))
out("after_nomail", c.cmd("NOOP"))
# BDAT 0 LAST with an earlier chunk.
c.cmd("MAIL FROM:<z@foo.example>"); c.cmd("RCPT TO:<bob@example.org>")
c.send("BDAT 12\r\nSubject: z\r\n")
out("z1", c.reply())
out("datamid", c.cmd("DATA"))
out("z2", c.cmd("BDAT 0 LAST"))
# Too big: refused at the chunk that crosses the limit.
c.cmd("MAIL FROM:<big@foo.example>"); c.cmd("RCPT TO:<bob@example.org>")
c.send("BDAT 20000 LAST\r\n" + "x" * 20000)
out("big", c.reply())
out("after_big", c.cmd("NOOP"))
# Bare LF inside a chunk.
c.cmd("MAIL FROM:<lf@foo.example>"); c.cmd("RCPT TO:<bob@example.org>")
c.send("BDAT 14 LAST\r\nSubject: x\n\nb\n")
out("lf", c.reply())
out("quit", c.cmd("QUIT"))
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get c1)" "250 2.0.0 30 octets received" "first chunk acknowledged"
like "$(get c2)" '^250 2.0.0 Ok: queued as [0-9A-Z]{16}$' "BDAT LAST queues"
is "$(get noop)" "250 2.0.0 Ok" "pipelined NOOP after the chunk"
id=$(get c2 | sed 's/.*queued as //')
m=$(msgfile "$id")
printf 'Subject: bdat\r\n\r\nline one\r\n.\r\n..dots stay\r\nend\r\n' >"$SB/want"
sed '1,3d' "$m" >"$SB/got"
ok "chunks stored byte for byte after Received: (dots untouched)" cmp "$SB/want" "$SB/got"
like "$(head -2 "$m" | tr -d '\r' | tr '\n' ' ')" "with ESMTP id $id" "Received: names the id"
like "$(get nomail)" '^503 5.5.1' "BDAT without MAIL: 503"
is "$(get after_nomail)" "250 2.0.0 Ok" "its bytes were consumed, not run"
is "$(get z1) / $(get datamid)" "250 2.0.0 12 octets received / 503 5.5.1 Error: DATA during BDAT" "DATA during BDAT refused"
like "$(get z2)" '^250 2.0.0 Ok: queued as ' "BDAT 0 LAST ends the message"
like "$(get big) / $(get after_big)" '^552 5.3.4 .* / 250 2.0.0 Ok' "over message_size_limit: 552, session goes on"
like "$(get lf)" '^550 5.6.0' "bare LF in a chunk: 550 5.6.0"
is "$(nqueued)" 2 "only the two good messages are queued"
ok "log: reject line" grep -Eq 'reject: BDAT from 127.0.0.1: 552 5.3.4' "$SB/log"
ok "no crash or sanitizer report in the log" smtp_clean_log
done_testing
