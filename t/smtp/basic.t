#!/bin/sh
# tern-smtpd, plain SMTP under tern-supervise: a message reaches the queue
# (envelope and message, Received: with the queue id) and 250 names the
# id; EHLO capabilities; a pipelined dialogue; recipients checked in the
# dialogue (unknown 550 5.1.1, relay 554 5.7.1, disabled 550 5.2.1);
# SIZE (parameter and real size 552); dot-stuffing; command order; the
# log lines.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
command -v swaks >/dev/null || skip_all "swaks not installed"
sandbox
plan 47
smtp_setup || { echo "Bail out! set-up failed"; exit 1; }
echo "message_size_limit = 64k" >"$SB/extra.conf"
smtp_conf
"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
SV_PID=$!; track $SV_PID
wait_port "$P_SMTP"; wait_port "$P_SUB"
ok "tern-supervise runs tern-smtpd on its ports" wait_port "$P_LMTP"

# 1. swaks, one recipient.
out=$(swaks --server 127.0.0.1:$P_SMTP --from x@foo.example --to alice@example.org \
    --helo client.example --body 'Hello' 2>&1)
like "$out" '<-  250 2.0.0 Ok: queued as [0-9A-Z]{16}' "swaks: 250 names the queue id"
id=$(printf '%s\n' "$out" | sed -n 's/.*queued as \([0-9A-Z]*\).*/\1/p' | head -1)
is "$(queued)" "$id" "the queue holds exactly that message"
m=$(msgfile "$id")
ok "message file exists" test -f "$m"
is "$(head -1 "$m" | tr -d '\r')" "Received: from client.example (unknown [127.0.0.1])" "Received: first, HELO and IP"
like "$(sed -n 2p "$m" | tr -d '\r')" "^	by mx.example.org \\(tern\\) with ESMTP id $id\$" "Received: names the host, protocol and queue id"
like "$(sed -n 3p "$m" | tr -d '\r')" '^	for <alice@example.org>; [A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} ' "Received: for clause and date"
ok "CR LF line ends stored" sh -c "[ \$(grep -c \$(printf '\r')\$ '$m') = \$(wc -l < '$m') ]"
e=$(envread "$id")
like "$e" "^qid=$id time=[1-9][0-9]* sender=<x@foo.example> ip=127.0.0.1 helo=client.example nrcpt=1" "envelope: id, sender, ip, helo"
like "$e" 'rcpt=<alice@example.org>' "envelope: recipient"
ok "log: queued line" log_wait 20 "tern-smtpd\\[[0-9]+\\]: $id from=<x@foo.example> size=[0-9]+ nrcpt=1 proto=ESMTP ip=127.0.0.1"
ok "log: disconnect with command counts" log_wait 20 'disconnect from 127.0.0.1 ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5 errors=0 queued=1'

# 2. Dialogues over a raw socket.
cat >"$SB/t.py" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from client import Client, port
def out(k, v): print("%s=%s" % (k, v))
c = Client(port())
out("greet", c.reply())
out("ehlo", c.cmd("EHLO client.example"))
out("mail0", c.cmd("RSET"))
out("vrfy", c.cmd("VRFY alice"))
out("expn", c.cmd("EXPN sales"))
out("junk", c.cmd("FROB x"))
out("rcpt_nomail", c.cmd("RCPT TO:<alice@example.org>"))
out("data_nomail", c.cmd("DATA"))
out("mail_notify", c.cmd("MAIL FROM:<a@foo.example> AUTH=<>"))
out("mail_size", c.cmd("MAIL FROM:<a@foo.example> SIZE=100000"))
out("mail_ok", c.cmd("MAIL FROM:<a@foo.example> SIZE=1000 BODY=8BITMIME"))
out("mail_nested", c.cmd("MAIL FROM:<a@foo.example>"))
out("data_norcpt", c.cmd("DATA"))
out("unknown", c.cmd("RCPT TO:<nobody@example.org>"))
out("virt_unknown", c.cmd("RCPT TO:<nobody@virt.example>"))
out("relay", c.cmd("RCPT TO:<someone@elsewhere.example>"))
out("relaydom", c.cmd("RCPT TO:<x@relay.example>"))
out("disabled", c.cmd("RCPT TO:<dis@example.org>"))
out("notify", c.cmd("RCPT TO:<alice@example.org> NOTIFY=NEVER,SUCCESS"))
out("postmaster", c.cmd("RCPT TO:<Postmaster>"))
out("plus", c.cmd("RCPT TO:<alice+tag@example.org>"))
out("rset", c.cmd("RSET"))
# Pipelined: all in one write.
c.send("MAIL FROM:<p@foo.example>\r\nRCPT TO:<alice@example.org>\r\n"
       "RCPT TO:<ghost@example.org>\r\nRCPT TO:<sales@example.org>\r\nDATA\r\n")
out("p_mail", c.reply()); out("p_r1", c.reply()); out("p_r2", c.reply())
out("p_r3", c.reply()); out("p_data", c.reply())
c.send("Subject: pipelined\r\n\r\nbody\r\n..dotted\r\n...two\r\n.\r\nNOOP\r\n")
out("p_end", c.reply()); out("p_noop", c.reply())
# A real size over message_size_limit (64k).
c.cmd("MAIL FROM:<big@foo.example>"); c.cmd("RCPT TO:<bob@example.org>")
out("big_data", c.cmd("DATA"))
c.send(("x" * 998 + "\r\n") * 80 + ".\r\n")
out("big_end", c.reply())
out("after_big", c.cmd("NOOP"))
out("quit", c.cmd("QUIT"))
out("closed", c.closed())
c = Client(port())
c.reply()
out("helo", c.cmd("HELO old.example"))
out("helo_param", c.cmd("MAIL FROM:<a@foo.example> SIZE=10"))
out("utf8_nohelo", c.cmd("MAIL FROM:<a@foo.example>"))
c.cmd("QUIT")
c = Client(port())
c.reply(); c.cmd("EHLO u.example")
out("utf8_mail", c.cmd("MAIL FROM:<j\u00fcrg@foo.example> SMTPUTF8"))
out("utf8_rcpt", c.cmd("RCPT TO:<alice@example.org>"))
c.cmd("DATA")
c.send("Subject: utf8\r\n\r\nGr\u00fc\u00dfe\r\n.\r\n")
out("utf8_end", c.reply())
c.cmd("QUIT")
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get greet)" '^220 mx.example.org ESMTP' "greeting"
like "$(get ehlo)" '^250-mx.example.org\|250-PIPELINING\|250-SIZE 65536\|250-8BITMIME\|250-ENHANCEDSTATUSCODES\|250-SMTPUTF8\|250-CHUNKING\|250-DSN\|250 STARTTLS$' "EHLO capabilities"
like "$(get vrfy)" '^252 2.5.2' "VRFY tells nothing (252)"
like "$(get expn)" '^502 5.5.1' "EXPN 502"
like "$(get junk)" '^500 5.5.1' "unknown command 500 5.5.1"
like "$(get rcpt_nomail) $(get data_nomail)" '^503 5.5.1 .* 503 5.5.1' "RCPT and DATA before MAIL: 503"
like "$(get mail_notify)" '^555 5.5.4' "unadvertised MAIL parameter (AUTH= on port 25): 555"
like "$(get mail_size)" '^552 5.3.4' "SIZE= over the limit: 552 5.3.4"
like "$(get mail_ok) $(get mail_nested)" '^250 2.1.0 Ok 503 5.5.1' "MAIL, nested MAIL 503"
like "$(get data_norcpt)" '^554 5.5.1' "DATA without recipients: 554"
like "$(get unknown)" '^550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown' "unknown local user: 550 5.1.1"
like "$(get virt_unknown)" '^550 5.1.1' "unknown virtual user: 550 5.1.1"
like "$(get relay)" '^554 5.7.1 <someone@elsewhere.example>: Recipient address rejected: Relay access denied' "foreign domain: 554 5.7.1 (no open relay)"
like "$(get relaydom)" '^250 2.1.5' "relay domain accepted"
like "$(get disabled)" '^550 5.2.1' "disabled account: 550 5.2.1"
like "$(get notify)" '^501 5.5.4' "NOTIFY=NEVER with another value: 501"
like "$(get postmaster) $(get plus)" '^250 2.1.5 Ok 250 2.1.5 Ok' "bare Postmaster and user+tag accepted"
like "$(get p_mail) $(get p_r1) $(get p_r2) $(get p_r3) $(get p_data)" '^250 2.1.0 Ok 250 2.1.5 Ok 550 5.1.1 .* 250 2.1.5 Ok 354 ' "pipelined: replies in order"
like "$(get p_end) / $(get p_noop)" '^250 2.0.0 Ok: queued as [0-9A-Z]{16} / 250 2.0.0 Ok$' "pipelined: queued, and the NOOP after the dot"
pid=$(get p_end | sed 's/.*queued as //')
like "$(envread "$pid" | tr '\n' ' ')" 'nrcpt=2.*rcpt=<alice@example.org>.*rcpt=<sales@example.org>' "pipelined: envelope has the two accepted recipients"
pm=$(msgfile "$pid")
is "$(grep -a 'dotted' "$pm" | tr -d '\r')" ".dotted" "dot-stuffing undone"
is "$(grep -a 'two' "$pm" | tr -d '\r')" "..two" "only the first dot removed"
like "$(get big_data) $(get big_end)" '^354 .* 552 5.3.4' "message over message_size_limit: 552 5.3.4 after the dot"
like "$(get after_big)" '^250 ' "session goes on after 552"
like "$(get quit) $(get closed)" '^221 2.0.0 Bye True$' "QUIT: 221 and close"
is "$(get helo)" "250 mx.example.org" "HELO"
like "$(get helo_param) $(get utf8_nohelo)" '^555 5.5.4 .* 250 2.1.0' "HELO session: no ESMTP parameters"
like "$(get utf8_mail) $(get utf8_rcpt) $(get utf8_end)" '^250 2.1.0 Ok 250 2.1.5 Ok 250 2.0.0 Ok: queued' "SMTPUTF8 sender"
uid=$(get utf8_end | sed 's/.*queued as //')
like "$(sed -n 2p "$(msgfile "$uid")" | tr -d '\r')" "with UTF8SMTP id $uid\$" "SMTPUTF8: Received: says UTF8SMTP (RFC 6531)"
like "$(envread "$uid")" 'sender=<j\\xc3\\xbcrg@foo.example>|sender=<jürg@foo.example>' "SMTPUTF8: sender kept"
ok "log: reject line for the unknown user" grep -Eq 'tern-smtpd\[[0-9]+\]: reject: RCPT from 127.0.0.1: 550 5.1.1 <nobody@example.org>: User unknown' "$SB/log"
ok "log: reject line for the 552" grep -Eq 'reject: DATA from 127.0.0.1: 552 5.3.4 ' "$SB/log"
is "$(nqueued)" 3 "queue: the swaks, pipelined and SMTPUTF8 messages only"

# 3. Submission port (AUTH comes later): like smtp for now.
out=$(swaks --server 127.0.0.1:$P_SUB --from x@foo.example --to bob@example.org --helo c.example 2>&1)
like "$out" '<\*\* 530 5\.7\.0 Authentication required' "submission port: MAIL needs AUTH"
ok "no crash or sanitizer report in the log" smtp_clean_log
done_testing
