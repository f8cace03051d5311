#!/bin/sh
# tern-lspawn delivers the recipients of one request side by side, one
# kept tern-local per account (doc/queue.md "Local delivery"): the
# results come back in the request's order; an account named twice
# gets its process twice, one delivery after the other; a delivery killed after its
# file is in new/ but before it answered (TERN_CRASH_AT) is reported
# deferred, never done, while the others in flight are reported as
# they went; the retry delivers it again (a duplicate, never a loss).
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
plan 12
. "$TERN_SRC/t/deliver/lspawn.sh"
ls_setup <<EOT
alice@example.org uid=5001
bob@example.org uid=5002
carol@example.org uid=5003
EOT
printf 'Subject: one\n\nhello\n' >"$SB/queue/msg/AB/Q1"
ls_stop() {
	kill "$LS_PID" 2>/dev/null
	_i=0; while kill -0 "$LS_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	rm -f "$SB/run/lspawn.sock"
}
# The pid of the tern-local line that delivered QID to ADDR.
pid_of() { sed -n "s/^tern-local\[\([0-9]*\)\]: $1 delivered to=$2 .*/\1/p" "$SB/log" | head -1; }
# The recipients' result words, in the order printed.
words() { printf '%s\n' "$1" | awk '{ printf "%s %s,", $1, $2 }'; }

ls_start
out=$("$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org bob@example.org alice@example.org carol@example.org 2>"$SB/client.err")
is "$?" 0 "client: one request, four recipients"
is "$(words "$out")" "alice@example.org ok,bob@example.org ok,alice@example.org ok,carol@example.org ok," "four ok results, in the request's order"
is "$(nmail alice@example.org) $(nmail bob@example.org) $(nmail carol@example.org)" "2 1 1" "alice twice, the others once"
a=$(pid_of Q1 alice@example.org); b=$(pid_of Q1 bob@example.org)
c=$(pid_of Q1 carol@example.org)
ok "a process per account" test -n "$a" -a -n "$b" -a -n "$c" -a "$a" != "$b" -a "$b" != "$c" -a "$a" != "$c"
is "$(grep -c "^tern-local\[$a\]: Q1 delivered to=alice@" "$SB/log")" 2 "alice's process delivered both of hers"
ok "each read the whole message" test "$(cat "$(maildir carol@example.org)"/new/* | grep -c hello)" = 1 -a "$(cat "$(maildir bob@example.org)"/new/* | grep -c hello)" = 1
ls_stop

# bob's delivery is killed after its file is in new/, before it answers.
TERN_CRASH_AT=after-deliver:bob@example.org ls_start
out=$("$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org bob@example.org carol@example.org 2>"$SB/client.err")
is "$?" 0 "client: the request with a delivery killed"
is "$(words "$out")" "alice@example.org ok,bob@example.org defer,carol@example.org ok," "the killed one deferred, the others done, in order"
like "$(printf '%s\n' "$out" | grep bob@)" "local delivery crashed" "bob: crashed"
is "$(nmail alice@example.org) $(nmail bob@example.org) $(nmail carol@example.org)" "3 2 2" "bob's file is in new/ all the same (never reported done)"
ls_stop

# The retry (tern-qmgr would send it): delivered again, a duplicate.
ls_start
out=$("$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" s@remote.example bob@example.org 2>"$SB/client.err")
is "$(words "$out") $(nmail bob@example.org)" "bob@example.org ok, 3" "the retry delivers bob: a duplicate, never a loss"
ls_stop
unlike "$(cat "$SB/log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
