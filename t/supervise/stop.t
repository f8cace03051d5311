#!/bin/sh
# tern-supervise, SIGTERM: every child and grandchild (connection and
# daemon) is gone when the supervisor exits 0; a second supervisor on the
# same run_dir refuses to start; the pid file names the supervisor.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 14
sv_outdir

p1=$(free_port)
sv_conf <<EOF
services = e d
e.listen = 127.0.0.1:$p1
e.program = echo-svc
e.args = -f
e.user = $SV_USER
d.type = daemon
d.program = crash-svc
d.args = -f -o $SB/out/d 0
d.user = $SV_USER
EOF
ok "supervisor starts" sv_start
is "$(cat "$SB/run/supervise.pid" 2>/dev/null)" "$SV_PID" "pid file names the supervisor"
ok "lock file exists" test -f "$SB/run/supervise.lock"

# A second supervisor on the same run_dir refuses.
"$SV_BIN" -c "$SB/tern.conf" >"$SB/second.log" 2>&1
is "$?" 111 "second supervisor exits 111"
like "$(cat "$SB/second.log")" "another tern-supervise holds .*supervise\.lock" "and says why"

ok "e listens" wait_port "$p1"
$SV_CLIENT keep 127.0.0.1 "$p1" "$SB/greet" &
cli=$!
track $cli
ok "connection served" wait_for 20 test -s "$SB/greet"
ok "daemon and its grandchild run" wait_for 20 grep -q '^grandchild' "$SB/out/d"
g=$(cat "$SB/greet")
cpid=$(echo "$g" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
cgc=$(echo "$g" | sed -n 's/.* gc=\([0-9]*\) .*/\1/p')
dpid=$(sed -n 's/^start pid=\([0-9]*\) .*/\1/p' "$SB/out/d")
dgc=$(sed -n 's/^grandchild pid=\([0-9]*\) .*/\1/p' "$SB/out/d")
all="$cpid $cgc $dpid $dgc"
ok "four processes recorded ($all)" test "$(echo $all | wc -w)" = 4
alive=0
for p in $all; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
is "$alive" 4 "all four alive before the stop"

kill -TERM "$SV_PID"
wait "$SV_PID"
is "$?" 0 "supervisor exits 0 on SIGTERM"
left=""
for p in $all; do
	if kill -0 "$p" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$p/status" 2>/dev/null; then
		left="$left $p"
	fi
done
is "$left" "" "no child or grandchild left behind"
is "$(pgrep -s "$cpid,$dpid" 2>/dev/null | wc -l)" 0 "no process left in their sessions"
ok "stop logged" grep -q ': stopped$' "$SB/sv.log"
done_testing
