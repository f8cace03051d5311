#!/bin/sh
# make run's script: starts the suite under tern-supervise with a generated
# config, demo domain and accounts; stops cleanly on SIGTERM; a second run
# on the same TERN_HOME keeps the accounts.
. "${TERN_SRC:-.}/t/lib.sh"
for p in tern-supervise tern-user tern-maps tern-conf; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"
sandbox
plan 14

base=$(free_base)

start_run() {
	( cd "$TERN_SRC" && TERN_HOME="$SB/home" TERN_PORT_BASE=$base \
	    exec sh mk/run.sh ) >"$SB/run$1.log" 2>&1 &
	runpid=$!
	track $runpid
}

start_run 1
ok "banner printed" wait_for 20 grep -q 'Ctrl-C stops everything' "$SB/run1.log"
ok "supervisor is running" wait_for 20 kill -0 $runpid
ok "generated tern.conf is valid" "$TERN_BINDIR/tern-conf" -c "$SB/home/tern.conf"
is "$(wc -l <"$SB/home/demo-passwords" | tr -d ' ')" 2 "two demo accounts"
list1=$("$TERN_BINDIR/tern-user" -c "$SB/home/tern.conf" list 2>&1)
like "$list1" 'alice@example.test' "alice exists"
like "$list1" 'bob@example.test' "bob exists"
like "$(cat "$SB/run1.log")" "alice@example.test password [0-9a-f]{24}" "banner prints alice's password"
md=$(find "$SB/home/mail" -type d -name 'alice@example.test' | head -1)
ok "alice has a Maildir" test -d "$md/new"
is "$(stat -c %a "$md" 2>/dev/null)" 700 "Maildir is mode 0700"

kill -TERM $runpid
ok "SIGTERM stops make run" wait_for 10 sh -c "! kill -0 $runpid 2>/dev/null"
left=$(pgrep -f "$SB/home/tern.conf" 2>/dev/null | wc -l)
is "$left" 0 "no process left behind"

pw1=$(cat "$SB/home/demo-passwords")
start_run 2
ok "second run starts" wait_for 20 grep -q 'Ctrl-C stops everything' "$SB/run2.log"
list2=$("$TERN_BINDIR/tern-user" -c "$SB/home/tern.conf" list 2>&1)
is "$list2" "$list1" "accounts kept across runs"
is "$(cat "$SB/home/demo-passwords")" "$pw1" "passwords kept across runs"
kill -TERM $runpid
wait_for 10 sh -c "! kill -0 $runpid 2>/dev/null"
done_testing
