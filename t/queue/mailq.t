#!/bin/sh
# tern-mailq: list (text and JSON) with recipient states and the last
# error, delete without a queue manager, delete and flush through a
# running tern-qmgr.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-mailq" ] || skip_all "tern-mailq not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 17
qm_setup "queue_retry_schedule = 1h"
mq() { "$MAILQ" -c "$SB/tern.conf" "$@"; }
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }

is "$(mq)" "Mail queue is empty" "empty queue"
id1=$(msg one | qm_enqueue sender@example.org alice@example.org team@example.org)
id2=$(msg two | qm_enqueue '' bob@example.org)
out=$(mq)
like "$out" "^$id1 +[0-9]+ +[0-9]+s <sender@example.org>" "list: id, size, age, sender"
like "$out" "    <team@example.org> pending" "list: recipients pending"
like "$out" "$id2 +[0-9]+ +[0-9]+s <>" "list: null sender"
like "$out" "-- 2 messages" "list: summary"
json=$(mq -j)
is "$(printf '%s' "$json" | "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(len(d), sorted(r["address"] for m in d for r in m["recipients"]))')" \
    "2 ['alice@example.org', 'bob@example.org', 'team@example.org']" "JSON lists both messages"

# Delete with no queue manager running: done by tern-mailq itself.
is "$(mq -d "$id2")" "$id2 deleted" "delete without tern-qmgr"
is "$(queued)" 1 "one message left"
mq -d 0000000000000000 >/dev/null 2>&1; is "$?" 100 "delete: unknown id exits 100"
mq -d ../../etc >/dev/null 2>&1; is "$?" 100 "delete: not an id exits 100"
mq -f >/dev/null 2>&1; is "$?" 111 "flush without tern-qmgr exits 111"

# With tern-qmgr: a deferred message is retried only after a flush.
qm_start
ok "delivered to alice and the team" wait_for 20 mail_is bob@example.org 1
id3=$(msg three | qm_enqueue sender@example.org full@example.org)
ok "deferred" wait_for 20 log_count "$id3" 'status=deferred' 1
# The log line comes just before the state file is written: poll.
listed() { mq | grep -Eq '<full@example.org> pending attempts=1 next=[0-9]+m \(4.2.2 mailbox full\)'; }
ok "list: attempts, next try and last error" wait_for 20 listed
is "$(mq -f)" "flush requested" "flush"
ok "flush retries at once" wait_for 20 log_count "$id3" 'status=deferred' 2
is "$(mq -d "$id3")" "$id3 deleted" "delete through tern-qmgr"
done_testing
