#!/bin/sh
# tern-remote alone, driven as tern-qmgr drives it (t/remote/req.py) against
# aiosmtpd sinks on 127.0.0.1: per-recipient results, the message bytes
# (dot-stuffing, 8BITMIME), LMTP's reply per recipient, PIPELINING, a 421
# greeting, a refused connection, STARTTLS (verified against a test CA and
# logged), must/verify policies deferring rather than sending in clear, and
# the refusal to run as root.
. "${TERN_SRC:-.}/t/lib.sh"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
plan 31

rt_ca "$SB/ca" "DNS:localhost,IP:127.0.0.1"
P1=$(free_port); P2=$(free_port); P3=$(free_port); P4=$(free_port)
P5=$(free_port); PX=$(free_port)
ok "sinks start" rt_sink "$SB/out" 127.0.0.1:$P1 127.0.0.1:$P2:lmtp \
    127.0.0.1:$P3:greet4 127.0.0.1:$P4:pipelining 127.0.0.1:$P5:tls
cat >"$SB/tern.conf" <<EOT
hostname = client.test
remote_connect_timeout = 5s
remote_command_timeout = 20s
remote_ca_file = $SB/ca/ca.crt
EOT
chmod 644 "$SB/tern.conf"
export TERN_LOG=stderr
RT="$TERN_BINDIR/tern-remote"
printf 'Subject: dots\r\nX-Test: 8bit \303\251\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nend\r\n' >"$SB/msg"
chmod 644 "$SB/msg"
req() { rt_as_user "$PY" "$(rt_req_py)" "$RT" "$SB/msg" "$@" 2>>"$SB/remote.log"; }
last_eml() { ls -t "$SB/out"/*.eml 2>/dev/null | head -1; }

out=$(req "smtp:[127.0.0.1]:$P1" may s@example.org a@example.net bad-x@example.net temp1-y@example.net --body 2)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "sbd" "sent, bounced, deferred per recipient"
like "$(echo "$out" | sed -n 2p)" "5\.1\.1 host 127\.0\.0\.1\[127\.0\.0\.1\]:$P1 said: 550 5\.1\.1 no such user here \(in reply to RCPT TO\)" "the 550 reported with the relay"
like "$(echo "$out" | sed -n 3p)" "^d .*4\.3\.0 .*451" "the 451 deferred"
f=$(last_eml)
ok "one message received" test -n "$f"
ok "bytes identical (dot-stuffing undone by the server, 8-bit kept)" cmp "$SB/msg" "$f"
env=$(cat "${f%.eml}.env")
like "$env" "body=SIZE=[0-9]+ BODY=8BITMIME" "MAIL FROM with SIZE and BODY=8BITMIME"
like "$env" "from=s@example.org" "sender"
is "$(echo "$env" | grep -c '^to=')" 1 "only the accepted recipient"
like "$(cat "$SB/remote.log")" "tern-remote\[[0-9]+\]: [0-9A-Z]{16} to=<a@example.net> relay=127.0.0.1\[127.0.0.1\]:$P1 delay=[0-9.]+ delays=[0-9.]+ status=sent dsn=2.0.0" "one log line per recipient"

out=$(req "smtp:[127.0.0.1]:$P1" may s@example.org temp1-y@example.net)
like "$out" "^s " "the deferred recipient goes through on the next try"

out=$(req "lmtp:127.0.0.1:$P2" none '' a@example.net bad-b@example.net c@example.net)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "sbs" "LMTP: a result per recipient"
like "$(echo "$out" | sed -n 3p)" "<c@example.net> delivered" "LMTP: each recipient its own reply"
like "$(cat "$(last_eml | sed 's/eml$/env/')")" "from=
" "LMTP: the null sender"

out=$(req "smtp:[127.0.0.1]:$P4" none s@example.org a@example.net b@example.net bad-c@example.net)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "ssb" "PIPELINING: results in order"

out=$(req "smtp:[127.0.0.1]:$P3" may s@example.org a@example.net)
like "$out" "^d .*4\.3\.2 .*said: 421 4\.3\.2 not now \(in reply to the greeting\)" "421 greeting: deferred"
out=$(req "smtp:[127.0.0.1]:$PX" may s@example.org a@example.net)
like "$out" "^d .*4\.4\.1 cannot connect to 127\.0\.0\.1\[127\.0\.0\.1\]:$PX" "refused connection: deferred"

n0=$(ls "$SB/out"/*.eml | wc -l)
out=$(req "smtp:[127.0.0.1]:$P5" may s@example.org a@example.net)
like "$out" "^s " "STARTTLS: delivered"
like "$(cat "$(last_eml | sed 's/eml$/env/')")" "tls=yes" "the sink saw TLS"
like "$(tail -1 "$SB/remote.log")" "tls=TLSv1\.[23] cipher=[^ ]+ verify=ok" "TLS logged, certificate verified"
out=$(req "smtp:[127.0.0.1]:$P5" verify s@example.org a@example.net)
like "$out" "^s " "verify: delivered with a verified certificate"
out=$(req "smtp:[127.0.0.1]:$P1" must s@example.org a@example.net)
like "$out" "^d .*4\.7\.4 TLS is required, but STARTTLS was not offered" "must without STARTTLS: deferred"
out=$(req "smtp:[127.0.0.1]:$P1" verify s@example.org a@example.net)
like "$out" "^d .*4\.7\.4" "verify without STARTTLS: deferred"
n1=$(ls "$SB/out"/*.eml | wc -l)
is "$n1" "$((n0 + 2))" "nothing sent in clear under must/verify"

sed -i "s|^remote_ca_file = .*|remote_ca_file = $SB/ca/server.crt|" "$SB/tern.conf"
out=$(req "smtp:[127.0.0.1]:$P5" verify s@example.org a@example.net)
like "$out" "^d .*4\.7\.5 TLS handshake with 127\.0\.0\.1\[127\.0\.0\.1\]:$P5 failed" "verify with an untrusted certificate: deferred"
out=$(req "smtp:[127.0.0.1]:$P5" may s@example.org a@example.net)
like "$out" "^s " "may with an untrusted certificate: delivered"
like "$(tail -1 "$SB/remote.log")" "verify=fail" "and the failed verification logged"
is "$(ls "$SB/out"/*.eml | wc -l)" "$((n1 + 1))" "one more message, none under verify"

if [ "$(id -u)" = 0 ]; then
	"$PY" "$TERN_SRC/t/remote/req.py" "$RT" "$SB/msg" "smtp:[127.0.0.1]:$P1" may s@example.org a@example.net >/dev/null 2>"$SB/root.log"
	like "$(cat "$SB/root.log")" "refusing to run as root" "refuses to run as root"
	ok "and sent nothing" test "$(ls "$SB/out"/*.eml | wc -l)" = "$((n1 + 1))"
else
	skip "not root"
	skip "not root"
fi
unlike "$(cat "$SB/remote.log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
