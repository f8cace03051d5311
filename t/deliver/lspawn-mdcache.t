#!/bin/sh
# tern-lspawn's worker keeps the Maildirs it opened (deliver/tern-lspawn.c
# md_cache) and checks, before each reuse, that the path still names the
# same folder: a Maildir moved away between two requests on one kept
# connection gets the second message in a new Maildir at its path (the
# moved one keeps one); one replaced by a symlink to another folder is
# refused (deferred), and nothing lands in the symlink's target.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
plan 9
TOOL=$TERN_BUILD/t/bin/lspawn-tool
maildir() { h=$(printf %s "$1" | sha256sum); printf '%s/mail/%s/%s/%s' "$SB" "$(echo "$h" | cut -c1-2)" "$(echo "$h" | cut -c3-4)" "$1"; }
count() { ls "$1/new" 2>/dev/null | wc -l | tr -d ' '; }

mkdir -p "$SB/queue/msg/AB" "$SB/run"
chmod 755 "$SB/queue" "$SB/queue/msg" "$SB/queue/msg/AB"
cat >"$SB/tern.conf" <<EOT
mail_dir = $SB/mail
queue_dir = $SB/queue
run_dir = $SB/run
program_dir = $TERN_BINDIR
queue_user = root
account_uid_min = 5000
account_uid_max = 5100
local_timeout = 20s
EOT
chmod 644 "$SB/tern.conf"
printf 'alice@example.org uid=5001\nbob@example.org uid=5002\n' >"$SB/accounts"
printf "example.org local\n" >"$SB/domains"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" >/dev/null 2>&1 || { diag "tern-maps failed"; exit 1; }
chmod 644 "$SB/accounts.cdb"
TERN_LOG=stderr "$TERN_BINDIR/tern-lspawn" -c "$SB/tern.conf" 2>"$SB/log" &
track $!
wait_for 10 test -S "$SB/run/lspawn.sock" || { diag "no socket"; cat "$SB/log"; exit 1; }
printf 'Subject: one\n\nhello\n' >"$SB/queue/msg/AB/Q1"
A=$(maildir alice@example.org)

# 1. Moved away between the two requests of one connection.
"$TOOL" kept "$SB/run/lspawn.sock" "$SB/go1" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org >"$SB/out1" 2>"$SB/client.err" &
cl=$!
ok "the first delivery is answered" wait_for 20 grep -q 'alice@example.org ok ' "$SB/out1"
mv "$A" "$A.old"
: >"$SB/go1"
wait "$cl"; rc=$?
is "$rc" 0 "client: two requests over one connection"
is "$(grep -c 'alice@example.org ok ' "$SB/out1")" 2 "both delivered"
is "$(count "$A.old") $(count "$A")" "1 1" "the second went to a new Maildir at the path, not the moved one"

# 2. Replaced by a symlink to another folder between two requests.
mkdir -p "$SB/elsewhere/new" "$SB/elsewhere/cur" "$SB/elsewhere/tmp"
"$TOOL" kept "$SB/run/lspawn.sock" "$SB/go2" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org >"$SB/out2" 2>"$SB/client.err" &
cl=$!
ok "the first delivery is answered" wait_for 20 grep -q 'alice@example.org ok ' "$SB/out2"
rm -rf "$A.gone"; mv "$A" "$A.gone" && ln -s "$SB/elsewhere" "$A"
: >"$SB/go2"
wait "$cl"; rc=$?
is "$rc" 0 "client: two requests over one connection"
like "$(sed -n 2p "$SB/out2")" '^alice@example.org defer ' "a Maildir that became a symlink is refused"
is "$(count "$SB/elsewhere")" 0 "nothing in the symlink's target"
unlike "$(cat "$SB/log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
