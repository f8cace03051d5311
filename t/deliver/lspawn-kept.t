#!/bin/sh
# tern-lspawn's kept connections and kept delivery children: two requests
# over one connection (lspawn_deliver_kept) are delivered by one worker
# and, for one account, by one tern-local process (no fork per delivery);
# two accounts in one request get a process each, as their own uid; a
# kept tern-local killed while idle is replaced and the next delivery
# succeeds; a killed worker makes the kept client connect afresh.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
plan 13
. "$TERN_SRC/t/deliver/lspawn.sh"
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
ls_setup <<EOT
alice@example.org uid=5001
bob@example.org uid=5002
EOT
ls_start
printf 'Subject: one\n\nhello\n' >"$SB/queue/msg/AB/Q1"
# The pids of the tern-local lines that delivered QID to ADDR, in order.
pids() { sed -n "s/^tern-local\[\([0-9]*\)\]: $1 delivered to=$2 .*/\1/p" "$SB/log" | tr '\n' ' '; }

# Two requests on one connection, nothing in between.
out=$("$TOOL" kept "$SB/run/lspawn.sock" - Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org bob@example.org 2>"$SB/client.err"); rc=$?
is "$rc" 0 "client: two requests over one connection"
is "$(printf '%s\n' "$out" | grep -c ' ok ')" 4 "four ok results"
is "$(nmail alice@example.org) $(nmail bob@example.org)" "2 2" "two messages in each Maildir"
set -- $(pids Q1 alice@example.org)
ok "alice's two deliveries by one process" test -n "$1" -a "$1" = "${2:-}"
a=$1
set -- $(pids Q1 bob@example.org)
ok "bob's two deliveries by one process" test -n "$1" -a "$1" = "${2:-}"
ok "a process per account" test "$a" != "$1"
if [ $ROOT = 1 ]; then
	like "$(grep 'Q1 delivered to=bob' "$SB/log" | tail -1)" 'uid=5002( |$)' "as root: bob's delivery ran as uid 5002"
else
	skip "not root"
fi

# Kill alice's kept tern-local between two requests: replaced.
mark=$(wc -l <"$SB/log")
pids() { tail -n +$((mark + 1)) "$SB/log" | sed -n "s/^tern-local\[\([0-9]*\)\]: $1 delivered to=$2 .*/\1/p" | tr '\n' ' '; }
"$TOOL" kept "$SB/run/lspawn.sock" "$SB/go" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org >"$SB/out2" 2>"$SB/client.err" &
cl=$!
has_pid() { test -n "$(pids Q1 alice@example.org)"; }
# The kill comes after the first result reached the client: the child
# logs its delivery before it answers, and a kill in between is a failed
# delivery (retried by tern-qmgr), not what this test is about.
wait_for 20 grep -q 'alice@example.org ok ' "$SB/out2"
wait_for 20 has_pid
set -- $(pids Q1 alice@example.org)
kill -KILL "$1" 2>/dev/null
first=$1
# The request goes only once the killed process has exited (a zombie or
# gone: its socket is closed), or it could take the request into its
# socket before it closes, a delivery that "crashed" (slow to exit under
# the sanitizers).
dead() { _s=$(sed -n 's/^State:[[:space:]]*\(.\).*/\1/p' "/proc/$1/status" 2>/dev/null); [ -z "$_s" ] || [ "$_s" = Z ]; }
wait_for 20 dead "$first"
: >"$SB/go"
wait "$cl"; rc=$?
is "$rc" 0 "client: the second request after the kill"
is "$(grep -c 'alice@example.org ok ' "$SB/out2")" 2 "both delivered"
set -- $(pids Q1 alice@example.org)
ok "the second by a new process" test -n "${2:-}" -a "${2:-}" != "$first"
is "$(nmail alice@example.org)" 4 "four messages for alice in all"
# A SIGHUP (tern-supervise's reload reaches tern-lspawn's whole group) does
# not end a kept tern-local: one killed between its Maildir link and its
# report made the message be delivered twice in a storm of reloads.
mark=$(wc -l <"$SB/log")
"$TOOL" kept "$SB/run/lspawn.sock" "$SB/go2" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org >"$SB/out3" 2>"$SB/client.err" &
cl=$!
wait_for 20 grep -q 'alice@example.org ok ' "$SB/out3"
wait_for 20 has_pid
set -- $(pids Q1 alice@example.org)
hup=$1
kill -HUP "$hup" 2>/dev/null
sleep 0.3
: >"$SB/go2"
wait "$cl"
set -- $(pids Q1 alice@example.org)
is "$*" "$hup $hup" "a kept tern-local survives SIGHUP and delivers the next message"
unlike "$(cat "$SB/log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
