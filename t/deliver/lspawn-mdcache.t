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
. "$TERN_SRC/t/deliver/lspawn.sh"
count() { ls "$1/new" 2>/dev/null | wc -l | tr -d ' '; }

ls_setup <<EOT
alice@example.org uid=5001
bob@example.org uid=5002
EOT
ls_start
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
