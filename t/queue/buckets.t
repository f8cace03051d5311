#!/bin/sh
# tern-qmgr makes every bucket of msg/ and env/ at its start
# (queue_prepare_buckets, lib/queue.h): 36 x 36 folders each, mode 0700.
# A bucket left at mode 0 (made, maybe not durable yet: a crash in the
# middle of that) is one tern-enqueue does not trust: it makes it durable
# and 0700 before it commits a message into it, and the next tern-qmgr
# start repairs the others.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 9
qm_setup
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }
nbuckets() { find "$SB/queue/$1" -mindepth 1 -maxdepth 1 -type d -name '[0-9A-Z][0-9A-Z]' -perm "$2" | wc -l | tr -d ' '; }
# Predicates for wait_for (counted again at each try).
all_made() { test "$(nbuckets msg 0700)" = 1296 -a "$(nbuckets env 0700)" = 1296; }

qm_start
ok "msg/ and env/ have every bucket, 0700" wait_for 20 all_made
is "$(nbuckets env 0700)" 1296 "1296 in env/"
qm_stop

# Every bucket back to mode 0, as a crash before the fsync would leave them.
find "$SB/queue/msg" "$SB/queue/env" -mindepth 1 -maxdepth 1 -type d -exec chmod 000 {} +
id=$(msg one | qm_enqueue sender@example.org alice@example.org)
ok "an enqueue into a bucket at mode 0 commits" test -n "$id"
b=$(ls "$SB/queue/env" | while read -r d; do [ -e "$SB/queue/env/$d/$id" ] && echo "$d"; done)
ok "the message is in an env/ bucket" test -n "$b"
is "$(stat -c %a "$SB/queue/env/$b")" 700 "that bucket was made 0700 first"
is "$(nbuckets env 0000)" 1295 "the others are left for tern-qmgr"
qm_start
ok "tern-qmgr repairs them at its start" wait_for 20 all_made
ok "the message is delivered" wait_for 20 mail_is alice@example.org 1
qm_stop
unlike "$(cat "$SB/qmgr.log" "$SB/enq.log")" "Sanitizer|runtime error|cannot make the buckets" "no sanitizer report, no bucket error"
done_testing
