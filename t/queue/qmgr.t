#!/bin/sh
# tern-qmgr end to end (no smtpd): delivery to an account, alias fan-out,
# an unknown recipient bounced with an RFC 3464 DSN, a temporary failure
# retried until fixed, a restart that does not redeliver, expiry at
# queue_lifetime, no bounce to <> (a double bounce to postmaster, and a
# failed double bounce dropped), NOTIFY=NEVER.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 50
qm_setup
qm_start

# dsn_parse FILE: the fields the tests check, through Python's email parser.
dsn_parse() {
	"$PY" - "$1" <<'PYEOF'
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.compat32)
print("type=%s report=%s" % (m.get_content_type(), m.get_param("report-type")))
for p in m.walk():
    if p.get_content_type() == "message/delivery-status":
        blocks = p.get_payload()
        print("reporting=%s envid=%s" % (blocks[0].get("Reporting-MTA"), blocks[0].get("Original-Envelope-Id")))
        r = blocks[1]
        print("final=%s orig=%s action=%s status=%s" % (r.get("Final-Recipient"), r.get("Original-Recipient"), r.get("Action"), r.get("Status")))
    if p.get_content_type() == "message/rfc822":
        print("returned=%s" % p.get_payload()[0].get("Subject"))
    if p.get_content_type() == "text/rfc822-headers":
        print("headers=%s" % email.message_from_string(p.get_payload()).get("Subject"))
print("to=%s subject=%s" % (m.get("To"), m.get("Subject")))
PYEOF
}
newest() { ls -t "$(maildir "$1")/new/"* | head -1; }
msg() { printf 'From: sender@example.org\r\nSubject: %s\r\nMessage-ID: <%s@example.org>\r\n\r\nhello\r\n' "$1" "$1"; }

# 1. One message to one account.
id=$(msg one | qm_enqueue sender@example.org alice@example.org)
ok "delivered to alice's Maildir" wait_for 20 mail_is alice@example.org 1
ok "the queue drains" wait_for 20 queue_is 0
like "$(qlog "$id")" "$id to=<alice@example.org> relay=local delay=[0-9.]+ status=sent dsn=2.0.0" "sent line logged"
# "removed" is logged after the queue entry is gone: wait for the line.
wait_for 10 log_count "$id" "$id removed" 1
like "$(qlog "$id")" "$id removed" "removed line logged"
f=$(ls "$(maildir alice@example.org)/new/"* | head -1)
like "$(cat "$f")" "Subject: one" "the message is in the Maildir"

# 2. Alias fan-out to three accounts.
id=$(msg team | qm_enqueue sender@example.org team@example.org)
ok "fan-out: carol got it" wait_for 20 mail_is carol@example.org 1
ok "fan-out: queue drains" wait_for 20 queue_is 0
is "$(nmail alice@example.org) $(nmail bob@example.org) $(nmail carol@example.org)" "2 1 1" "fan-out: alice, bob, carol got one each"
like "$(qlog "$id")" "to=<team@example.org> expanded=3" "expansion logged"
like "$(qlog "$id")" "to=<bob@example.org> orig_to=<team@example.org> relay=local" "orig_to logged"

# 3. Unknown recipient: a DSN to the sender.
id=$(msg unknown | qm_enqueue sender@example.org 'ghost@example.org|rfc822;ghost@example.org|0|')
ok "DSN in the sender's Maildir" wait_for 20 mail_is sender@example.org 1
ok "queue drains after the bounce" wait_for 20 queue_is 0
like "$(qlog "$id")" "$id bounce=[0-9A-Z]{16}" "bounce=NEWID logged"
like "$(qlog "$id")" "to=<ghost@example.org> relay=none .*status=bounced dsn=5.1.1" "bounced line logged"
dsn=$(ls "$(maildir sender@example.org)/new/"* | head -1)
out=$(dsn_parse "$dsn")
like "$out" "type=multipart/report report=delivery-status" "DSN is multipart/report; report-type=delivery-status"
like "$out" "reporting=dns; mx.example.org" "Reporting-MTA"
like "$out" "final=rfc822; ghost@example.org orig=rfc822;ghost@example.org action=failed status=5.1.1" "per-recipient fields, Status 5.1.1"
like "$out" "returned=unknown" "the original message is returned"
like "$out" "to=<sender@example.org>" "DSN addressed to the sender"

# 3b. RET=HDRS and ENVID in a failure DSN; NOTIFY=SUCCESS.
id=$(msg hdrs | qm_enqueue sender@example.org --ret 2 --envid ENV-42 ghost@example.org)
ok "RET=HDRS: DSN arrives" wait_for 20 mail_is sender@example.org 2
out=$(dsn_parse "$(newest sender@example.org)")
like "$out" "headers=hdrs" "RET=HDRS: only the header is returned"
unlike "$out" "returned=" "RET=HDRS: no message/rfc822 part"
like "$out" "envid=ENV-42" "Original-Envelope-Id"
id=$(msg success | qm_enqueue sender@example.org 'carol@example.org||6|')
ok "NOTIFY=SUCCESS: a DSN arrives" wait_for 20 mail_is sender@example.org 3
out=$(dsn_parse "$(newest sender@example.org)")
like "$out" "final=rfc822; carol@example.org orig=None action=delivered status=2.0.0" "NOTIFY=SUCCESS: Action delivered, Status 2.0.0"
# The line follows the DSN's enqueue, which another worker may deliver first.
wait_for 10 log_count "$id" "$id success-dsn=" 1
like "$(qlog "$id")" "$id success-dsn=[0-9A-Z]{16}" "success-dsn logged"
ok "queue drains" wait_for 20 queue_is 0

# 4. Temporary failure (over quota) retried, delivered once fixed.
id=$(msg quota | qm_enqueue sender@example.org full@example.org)
ok "over quota: deferred, then retried" wait_for 20 log_count "$id" 'status=deferred dsn=4.2.2' 2
is "$(queued)" 1 "still queued while deferred"
sed -i 's/^full@example.org uid=5005 quota=10$/full@example.org uid=5005/' "$SB/accounts"
qm_maps
ok "delivered once the quota is fixed" wait_for 20 mail_is full@example.org 1
ok "queue drains" wait_for 20 queue_is 0

# 5. A restart mid-queue does not redeliver done recipients.
before=$(nmail bob@example.org)
id=$(msg restart | qm_enqueue sender@example.org bob@example.org full2@example.org)
ok "bob delivered, full2 deferred" wait_for 20 log_count "$id" 'to=<full2@example.org>.*status=deferred' 1
qm_stop
qm_start
ok "after the restart full2 is retried" wait_for 20 log_count "$id" 'to=<full2@example.org>.*status=deferred' 2
sed -i 's/^full2@example.org uid=5006 quota=10$/full2@example.org uid=5006/' "$SB/accounts"
qm_maps
ok "full2 delivered after the fix" wait_for 20 mail_is full2@example.org 1
ok "queue drains" wait_for 20 queue_is 0
is "$(nmail bob@example.org)" "$((before + 1))" "bob got it exactly once"
is "$(qlog "$id" | grep -c 'to=<bob@example.org>.*status=sent')" 1 "bob's delivery logged once"

# 6. Expiry, <> and NOTIFY=NEVER, with a short lifetime.
qm_stop
qm_conf "queue_lifetime = 3s" "double_bounce_to = nobody-here@example.org" \
    "relay_host = smtp:[127.0.0.1]:$(free_port)" "remote_connect_timeout = 2s"
sed -i 's/^full@example.org uid=5005$/full@example.org uid=5005 quota=10/' "$SB/accounts"
qm_maps
qm_start
s0=$(nmail sender@example.org)
id=$(msg expire | qm_enqueue sender@example.org full@example.org)
ok "expired: a DSN reaches the sender" wait_for 30 mail_is sender@example.org $((s0 + 1))
like "$(qlog "$id")" "to=<full@example.org> .*status=bounced dsn=4.4.7" "expiry logged with 4.4.7"
id=$(msg remote | qm_enqueue sender@example.org x@remote.example)
ok "remote: bounced at queue_lifetime" wait_for 30 mail_is sender@example.org $((s0 + 2))
like "$(qlog "$id")" "tern-remote\[[0-9]+\]: $id to=<x@remote.example> relay=127.0.0.1 .*status=deferred dsn=4.4.1" "remote: tern-remote ran (relay_host, nobody listening)"
like "$(qlog "$id")" "tern-qmgr\[[0-9]+\]: $id to=<x@remote.example> relay=127.0.0.1 .*status=deferred dsn=4.4.1 \(4.4.1 cannot connect" "remote: deferred line"
id=$(msg nullsender | qm_enqueue '' ghost@example.org)
ok "null sender: failed double bounce dropped" wait_for 30 sh -c "grep -q 'bounce dropped: a failed double bounce' '$SB/qmgr.log'"
id2=$(msg never | qm_enqueue sender@example.org 'ghost@example.org||1|')
ok "queue drains" wait_for 30 queue_is 0
unlike "$(qlog "$id2")" "bounce=" "NOTIFY=NEVER: no DSN"
is "$(nmail sender@example.org)" $((s0 + 2)) "no further DSN to the sender"

# 7. Mail to the bare <postmaster> (RFC 5321 4.5.1) on a host that has the
# compiled maps only (the text maps live on the admin host, or are not
# readable by the queue's user): postmaster at the first local domain of
# domains.cdb, not at the hostname, which is no local domain.
qm_stop
qm_conf
mv "$SB/domains" "$SB/domains.src"
qm_start
p0=$(nmail postmaster@example.org)
id=$(msg pm | qm_enqueue sender@example.org postmaster)
ok "bare postmaster: delivered to postmaster@example.org" wait_for 30 mail_is postmaster@example.org $((p0 + 1))
unlike "$(qlog "$id")" "mx.example.org" "not sent to postmaster at the hostname"
mv "$SB/domains.src" "$SB/domains"
qm_stop
like "$(tail -1 "$SB/qmgr.log")" "stopped" "SIGTERM: a clean stop"
unlike "$(cat "$SB/qmgr.log" "$SB/lspawn.log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
