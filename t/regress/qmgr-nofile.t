#!/bin/sh
# rt-full (2026-12): under a low open-files limit tern-qmgr gave poll()
# more entries than RLIMIT_NOFILE (one per worker slot, qmgr_concurrency
# 20): EINVAL, 'fatal: poll: Invalid argument', exit 111, restarted by
# tern-supervise in a loop and nothing delivered.  It now lowers its
# concurrency to what the limit allows, says so once, and delivers.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 4
qm_setup "qmgr_concurrency = 20"
# The limit is inherited by tern-qmgr (qm_start runs it in the background).
ulimit -n 24 || skip_all "cannot lower the open files limit"
qm_start
id=$(printf 'Subject: x\r\n\r\nhello\r\n' | qm_enqueue sender@example.org alice@example.org)
ok "delivered under an open files limit of 24" wait_for 20 mail_is alice@example.org 1
ok "the concurrency was lowered, with one line" log_count "" 'qmgr_concurrency 20 lowered to 8: open files limit 24' 1
ok "tern-qmgr is still running" kill -0 "$QM_PID"
qm_stop
unlike "$(cat "$SB/qmgr.log")" "fatal: poll|Sanitizer|runtime error" "no poll failure, no sanitizer report"
done_testing
