#!/bin/sh
# tern-supervise killed -9: its daemons end with it (parent death signal),
# so a supervisor started again does not run a second qmgr, enqueue or
# authd beside the old ones.  Found by kill -9 of a make-run supervisor:
# the old tern-qmgr and the new one both scanned the queue.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 7
sv_outdir

sv_conf <<EOF2
services = stay
stay.type = daemon
stay.program = crash-svc
stay.args = -o $SB/out/stay 0
stay.user = $SV_USER
EOF2

# alive PID: the process exists and is a crash-svc of this sandbox.
alive() {
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q "crash-svc -o $SB/out/stay"
}
# If the test fails, do not leave orphans behind (they are not our children).
at_cleanup 'for p in $(grep -o "^start pid=[0-9]*" "$SB/out/stay" 2>/dev/null | cut -d= -f2); do alive "$p" && kill -9 "$p"; done'

ok "supervisor starts" sv_start
ok "daemon started" sv_log_wait 10 'start service=stay type=daemon pid=[0-9]+$'
wait_for 10 grep -q '^start pid=' "$SB/out/stay"
first=$(grep -o '^start pid=[0-9]*' "$SB/out/stay" | head -1 | cut -d= -f2)
ok "daemon is running" alive "$first"
kill -9 "$SV_PID"
wait "$SV_PID" 2>/dev/null
ok "the daemon ends with its supervisor" wait_for 5 sh -c "! { tr '\\0' ' ' <'/proc/$first/cmdline' 2>/dev/null | grep -q crash-svc; }"

ok "a new supervisor starts on the same run_dir" sv_start
wait_for 10 sh -c "[ \$(grep -c '^start pid=' '$SB/out/stay') -ge 2 ]"
n=0
for p in $(grep -o '^start pid=[0-9]*' "$SB/out/stay" | cut -d= -f2); do
	alive "$p" && n=$((n + 1))
done
is "$n" 1 "exactly one daemon runs after the restart"
sv_stop
second=$(grep -o '^start pid=[0-9]*' "$SB/out/stay" | tail -1 | cut -d= -f2)
ok "a clean stop ends it too" wait_for 5 sh -c "! { tr '\\0' ' ' <'/proc/$second/cmdline' 2>/dev/null | grep -q crash-svc; }"
done_testing
