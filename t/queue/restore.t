#!/bin/sh
# A one-file message (doc/queue.md, "One anonymous file") is committed by
# the fsyncs of its file and of env/XX, not of msg/XX: a crash may lose
# the name msg/XX/ID while env/XX/ID, a name of the same file, stays.
# tern-qmgr must link the name again and deliver the message, once.  A
# separate envelope file without its message is not the message: left
# for the admin, never delivered or removed.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
qm_setup
msg() { printf 'From: sender@example.org\r\nSubject: %s\r\n\r\nhello\r\n' "$1"; }
bucket_path() { find "$SB/queue/$1" -type f -name "$2"; }

# One file, its msg/ name removed before tern-qmgr starts: what a crash
# that never wrote msg/XX leaves.
id=$(msg lost-name | qm_enqueue sender@example.org alice@example.org)
[ -n "$id" ] || { echo "Bail out! enqueue failed"; exit 1; }
env=$(bucket_path env "$id"); m=$(bucket_path msg "$id")
if [ -z "$(getfattr --only-values -n user.tern.env "$env" 2>/dev/null)" ] &&
    ! "$PY" -c 'import os,sys; os.getxattr(sys.argv[1], "user.tern.env")' "$env" 2>/dev/null; then
	skip_all "no user extended attributes here: no one-file messages"
fi
plan 9
is "$(stat -c %i "$env")" "$(stat -c %i "$m")" "one file: env/XX/ID and msg/XX/ID are one inode"
rm -f "$m"
ok "msg/XX/ID is gone, env/XX/ID stays" test ! -e "$m" -a -f "$env"

# Two files (TERN_ENQUEUE_NO_XATTR=1): the envelope is a file of its own.
id2=$(msg two-files | TERN_ENQUEUE_NO_XATTR=1 qm_enqueue sender@example.org bob@example.org)
env2=$(bucket_path env "$id2"); m2=$(bucket_path msg "$id2")
ok "two files: different inodes" test "$(stat -c %i "$env2")" != "$(stat -c %i "$m2")"
rm -f "$m2"

qm_start
ok "the one-file message is delivered to alice" wait_for 20 mail_is alice@example.org 1
like "$(qlog "$id")" "$id message name restored from its envelope's" "the restore is logged"
ok "its queue entry is removed" wait_for 20 sh -c "test ! -e '$env' -a ! -e '$m'"
ok "the envelope without its message is left for the admin" wait_for 20 log_count "$id2" "envelope without its message, left for the admin" 1
ok "and still queued" test -f "$env2"
is "$(nmail bob@example.org)" 0 "and nothing delivered for it"
qm_stop
