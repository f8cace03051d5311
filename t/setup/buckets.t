#!/bin/sh
# tern-setup makes every bucket of the queue's msg/ and env/ once (1296
# each, named as lib/qid's qid_bucket names them, owned by ternq, mode
# 0700), marks msg/, env/ and the mail root "top of a directory
# hierarchy" where the file system has the flag (chattr +T), and a second
# run changes nothing.  Root only (tern-setup creates system users).
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "tern-setup runs as root"
[ -x "$(tern_bin tern-conf)" ] || skip_all "tern-conf not built"
sandbox
plan 12
# The programs tern-setup looks at: tern-conf only (no tern-enqueue, so
# the build's copy is never made set-id).
mkdir "$SB/bin" "$SB/etc"
cp "$(tern_bin tern-conf)" "$SB/bin/tern-conf"
{
	echo "queue_dir = $SB/queue"
	echo "mail_dir = $SB/mail"
	echo "run_dir = $SB/run"
	echo "map_dir = $SB/etc"
} >"$SB/etc/tern.conf"
setup() {
	sh "$TERN_SRC/setup/tern-setup" -c "$SB/etc/tern.conf" \
	    --program-dir "$SB/bin" >>"$SB/setup.log" 2>&1
}
buckets() { find "$SB/queue/$1" -mindepth 1 -maxdepth 1 -type d | wc -l | tr -d ' '; }
setup
is "$?" 0 "tern-setup succeeds" || diag "$(tail -5 "$SB/setup.log")"
is "$(buckets msg)" 1296 "msg/ has 1296 buckets"
is "$(buckets env)" 1296 "env/ has 1296 buckets"
bad=$(ls "$SB/queue/msg" "$SB/queue/env" | grep -v ':$' | grep -v '^$' |
    grep -vc '^[0-9A-Z][0-9A-Z]$')
is "$bad" 0 "every bucket is named [0-9A-Z][0-9A-Z]"
is "$(find "$SB/queue/msg" "$SB/queue/env" ! -user ternq | wc -l | tr -d ' ')" 0 \
    "every bucket and both folders belong to ternq"
is "$(find "$SB/queue/msg" "$SB/queue/env" -mindepth 1 ! -perm 0700 | wc -l | tr -d ' ')" 0 \
    "every bucket is mode 0700"
ok "the first and the last bucket exist" \
    test -d "$SB/queue/msg/00" -a -d "$SB/queue/env/ZZ"
# A bucket's own contents are kept by a second run.
touch "$SB/queue/msg/7Q/keep"
chown ternq "$SB/queue/msg/7Q/keep"
setup
is "$?" 0 "a second run succeeds" || diag "$(tail -5 "$SB/setup.log")"
is "$(buckets msg)/$(buckets env)" 1296/1296 "and leaves 1296 buckets each"
ok "and keeps what is in them" test -f "$SB/queue/msg/7Q/keep"
# The +T flag: only where the file system supports it (ext2/3/4).
if lsattr -d "$SB/queue/msg" >/dev/null 2>&1; then
	like "$(lsattr -d "$SB/queue/msg" 2>&1)" '^[^ ]*T' "msg/ is marked +T"
	like "$(lsattr -d "$SB/mail" 2>&1)" '^[^ ]*T' "the mail root is marked +T"
else
	skip "no file attributes here"
	skip "no file attributes here"
fi
