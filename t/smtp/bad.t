#!/bin/sh
# tern-smtpd against bad input: over-long command lines, NUL bytes, bare
# LF commands, every SMTP smuggling variant (none ends a message early or
# injects a second one), the recipient limit, too many errors (421),
# too many junk commands (NOOP flood: 421),
# an idle client (timeout), an idle DATA, the hop count; after each bad
# session a normal one still works, and the queue holds exactly what it
# should.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
command -v swaks >/dev/null || skip_all "swaks not installed"
sandbox
plan 29
printf 'smtpd_timeout = 3s\nsmtpd_data_timeout = 3s\nhop_count_limit = 5\n' >"$SB/extra.conf"
smtp_start || { echo "Bail out! set-up failed"; exit 1; }

normal() {
	swaks --server 127.0.0.1:$P_SMTP --from n@foo.example --to bob@example.org \
	    --helo n.example --body "normal $1" 2>&1 | grep -c '<-  250 2.0.0 Ok: queued as'
}

cat >"$SB/t.py" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from client import Client, port
def out(k, v): print("%s=%s" % (k, v))
c = Client(port())
c.reply(); c.cmd("EHLO bad.example")
out("long", c.cmd("NOOP " + "a" * 3000))
out("long_after", c.cmd("NOOP"))
out("nul", c.cmd("MAIL FROM:<a\0b@foo.example>"))
c.send("NOOP\n")
out("bare_lf", c.reply())
out("cr_in", c.cmd("NOOP a\rb"))
out("alive", c.cmd("NOOP"))
c.cmd("QUIT")
# Smuggling: each variant inside one message, followed by what would be
# a second transaction if the server took it for the end of data.
variants = {"lf": "\n.\n", "cr": "\r.\r", "lfcrlf": "\n.\r\n",
            "crlflf": "\r\n.\n", "crlfcr": "\r\n.\r"}
for name, v in variants.items():
    c = Client(port())
    c.reply(); c.cmd("EHLO s.example")
    c.cmd("MAIL FROM:<outer@foo.example>"); c.cmd("RCPT TO:<alice@example.org>")
    c.cmd("DATA")
    c.send("Subject: outer\r\n\r\nbefore" + v +
           "MAIL FROM:<smuggle@evil.example>\r\nRCPT TO:<bob@example.org>\r\n"
           "DATA\r\nSubject: smuggled\r\n\r\nx\r\n.\r\nNOOP\r\n")
    out("sm_" + name, c.reply())
    out("sm_" + name + "_next", c.reply())
    c.cmd("QUIT")
# A DATA line over 16384 bytes: refused after the real end.
c = Client(port())
c.reply(); c.cmd("EHLO long.example")
c.cmd("MAIL FROM:<l@foo.example>"); c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send("Subject: long\r\n\r\n" + "y" * 20000 + "\r\nshort\r\n.\r\nNOOP\r\n")
out("longdata", c.reply())
out("longdata_next", c.reply())
c.cmd("QUIT")
# 1000 recipients (the limit), then 50 more pipelined: their 452s are
# more than smtpd_hard_error_limit, but not errors that end the session.
c = Client(port())
c.reply(); c.cmd("EHLO many.example"); c.cmd("MAIL FROM:<m@foo.example>")
c.send("".join("RCPT TO:<alice+%d@example.org>\r\n" % i for i in range(1050)))
r = [c.reply() for i in range(1050)]
out("many_ok", sum(1 for x in r if x.startswith("250 2.1.5")))
out("many_last", r[-1])
out("many_data", c.cmd("DATA"))
c.send("Subject: many\r\n\r\nx\r\n.\r\n")
out("many_end", c.reply())
c.cmd("QUIT")
# Hop count: 5 Received: fields (hop_count_limit = 5) refused, 4 accepted.
for n in (5, 4):
    c = Client(port())
    c.reply(); c.cmd("EHLO hop.example")
    c.cmd("MAIL FROM:<h@foo.example>"); c.cmd("RCPT TO:<alice@example.org>")
    c.cmd("DATA")
    c.send("".join("Received: from x%d by y; Thu, 1 Jan 2026 00:00:00 +0000\r\n" % i
                   for i in range(n)) + "Subject: hop %d\r\n\r\nx\r\n.\r\n" % n)
    out("hop%d" % n, c.reply())
    c.cmd("QUIT")
# Too many errors: 421 after smtpd_hard_error_limit (20), then close.
c = Client(port())
c.reply()
c.send("FROB\r\n" * 25)
r = []
try:
    while True:
        r.append(c.reply())
except EOFError:
    pass
out("errs_500", sum(1 for x in r if x.startswith("500 5.5.1")))
out("errs_last", r[-1])
# Junk commands: 100 since the last message queued are free, then each
# counts as an error: the 20th such ends the session.
c = Client(port())
c.reply(); c.cmd("EHLO junk.example")
c.send("NOOP\r\nRSET\r\nVRFY x\r\nHELP\r\n" * 40)
r = []
try:
    while True:
        r.append(c.reply())
except EOFError:
    pass
out("junk_n", len(r))
out("junk_last", r[-1])
# Idle client: 421 4.4.2 after smtpd_timeout (3s), then close.
c = Client(port())
c.reply(); c.cmd("EHLO idle.example")
out("idle", c.reply())
out("idle_closed", c.closed())
# Idle in DATA: 421, nothing queued.
c = Client(port())
c.reply(); c.cmd("EHLO idle.example")
c.cmd("MAIL FROM:<i@foo.example>"); c.cmd("RCPT TO:<alice@example.org>")
c.cmd("DATA")
c.send("Subject: idle data\r\n\r\npartial")
out("idle_data", c.reply())
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get long)" '^500 5.5.2 Error: line too long' "over-long command line: 500 5.5.2"
is "$(get long_after)" "250 2.0.0 Ok" "its rest was not run as a command"
like "$(get nul)" '^500 5.5.2' "NUL byte in a command: 500 5.5.2"
like "$(get bare_lf)" '^500 5.5.2 Error: bare LF' "command ended by a bare LF: 500 5.5.2"
like "$(get cr_in)" '^500 5.5.2' "bare CR inside a command: 500 5.5.2"
is "$(get alive)" "250 2.0.0 Ok" "session still usable"
for v in lf cr lfcrlf crlflf crlfcr; do
	is "$(get sm_$v) / $(get sm_${v}_next)" "550 5.6.0 Error: bare CR or LF in message; lines must end in CR LF / 250 2.0.0 Ok" "smuggling $v: one 550 at the real end, the next command is the NOOP"
done
is "$(get longdata) / $(get longdata_next)" "554 5.6.0 Error: message line too long / 250 2.0.0 Ok" "a DATA line over 16384 bytes: 554 5.6.0 at the end"
is "$(grep -rl 'smuggled' "$Q" 2>/dev/null | wc -l | tr -d ' ')" 0 "no smuggled message anywhere in the queue"
ok "no smuggled sender was ever accepted" sh -c "! grep -q 'from=<smuggle@evil.example>' '$SB/log'"
is "$(get many_ok) $(get many_last)" "1000 452 4.5.3 Error: too many recipients" "1000 recipients accepted, 50 more 452 4.5.3"
like "$(get many_data) $(get many_end)" '^354 .* 250 2.0.0 Ok: queued as ' "the message for 1000 recipients is queued all the same"
like "$(get hop5)" '^554 5.4.6' "hop_count_limit Received: fields: 554 5.4.6"
like "$(get hop4)" '^250 2.0.0 Ok: queued' "one fewer: accepted"
is "$(get errs_500) / $(get errs_last)" "20 / 421 4.7.0 mx.example.org Error: too many errors" "20 errors, then 421 4.7.0 and close"
is "$(get junk_n) / $(get junk_last)" "121 / 421 4.7.0 mx.example.org Error: too many errors" "120 junk commands, then 421 4.7.0 and close"
is "$(get idle)" "421 4.4.2 mx.example.org Error: timeout exceeded" "idle client: 421 4.4.2"
is "$(get idle_closed)" "True" "and the connection is closed"
is "$(get idle_data)" "421 4.4.2 mx.example.org Error: timeout exceeded" "idle in DATA: 421 4.4.2"
ok "log: timeout in DATA" log_wait 20 'timeout in DATA from 127.0.0.1'
is "$(normal 1)" 1 "a normal session still works afterwards"
is "$(find "$Q/tmp" -type f | wc -l | tr -d ' ')" 0 "no temp file left in the queue"
is "$(nqueued)" 3 "queue: the 1000-recipient, hop-4 and normal messages only"
n=0; for id in $(queued); do n=$((n + $(envread "$id" | grep -c '^rcpt='))); done
is "$n" 1002 "queued recipients: 1000 + 1 + 1"
ok "no crash or sanitizer report in the log" smtp_clean_log
done_testing
