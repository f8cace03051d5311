#!/bin/sh
# tern-lspawn with a stand-in tern-local (local_exec = yes, program_dir
# points at a script):
# a delivery running past local_timeout is killed and deferred; a result
# line that disagrees with the exit code, or none, is a deferral.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
plan 5
TOOL=$TERN_BUILD/t/bin/lspawn-tool
mkdir -p "$SB/queue/msg/AB" "$SB/run" "$SB/prog"
chmod 755 "$SB/queue" "$SB/queue/msg" "$SB/queue/msg/AB" "$SB/prog"
cat >"$SB/tern.conf" <<EOT
mail_dir = $SB/mail
queue_dir = $SB/queue
run_dir = $SB/run
program_dir = $SB/prog
queue_user = root
account_uid_min = 5000
account_uid_max = 5100
local_timeout = 1s
local_exec = yes
EOT
chmod 644 "$SB/tern.conf"
printf 'example.org local\n' >"$SB/domains"
printf 'alice@example.org uid=5001\n' >"$SB/accounts"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" >/dev/null 2>&1 || { diag "tern-maps failed"; exit 1; }
chmod 644 "$SB/accounts.cdb"
printf 'sleep\n' >"$SB/mode"; chmod 644 "$SB/mode"
cat >"$SB/prog/tern-local" <<EOT
#!/bin/sh
# Stand-in for tern-local: behaves as $SB/mode says.
case \$(cat "$SB/mode") in
sleep) exec sleep 30 ;;
liar) echo "ok fake-name"; exit 111 ;;
silent) exit 0 ;;
uid) echo "ok uid-\$(id -u)"; exit 0 ;;
esac
EOT
chmod 755 "$SB/prog/tern-local"
printf 'Subject: t\n\nx\n' >"$SB/queue/msg/AB/Q1"
ls_start() {
	rm -f "$SB/run/lspawn.sock"
	TERN_LOG=stderr "$TERN_BINDIR/tern-lspawn" -c "$SB/tern.conf" 2>>"$SB/log" &
	LS_PID=$!
	track $LS_PID
	wait_for 10 test -S "$SB/run/lspawn.sock" || { diag "no socket"; cat "$SB/log"; exit 1; }
}
ls_start
send() { "$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" "" alice@example.org 2>/dev/null; }

is "$(send)" "alice@example.org defer 4.3.0 local delivery timed out" "slow delivery killed and deferred"
ok "sleep child is gone" wait_for 10 sh -c "! pgrep -u 5001 -x sleep"
# The other stand-ins run a shell, cat and id: on a loaded machine that
# can take longer than 1 s.  They get a timeout they cannot reach.
kill "$LS_PID"
wait_for 10 sh -c "! kill -0 $LS_PID 2>/dev/null"
sed -i 's/^local_timeout = 1s$/local_timeout = 120s/' "$SB/tern.conf"
ls_start
printf 'liar\n' >"$SB/mode"
is "$(send)" "alice@example.org defer 4.3.0 local delivery result inconsistent" "ok line with exit 111 is a deferral"
printf 'silent\n' >"$SB/mode"
is "$(send)" "alice@example.org defer 4.3.0 local delivery said nothing" "exit 0 without a line is a deferral"
printf 'uid\n' >"$SB/mode"
if [ "$(id -u)" = 0 ]; then
	is "$(send)" "alice@example.org ok uid-5001" "as root: the program runs as the account uid"
else
	is "$(send)" "alice@example.org ok uid-$(id -u)" "not root: runs as the current user"
fi
done_testing
