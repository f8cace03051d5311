#!/bin/sh
# tern-supervise, daemon services: a daemon that keeps crashing is started
# again each time, and the back-off doubles (read from the log lines, not
# measured).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 10
sv_outdir

sv_conf <<EOF
services = crashy
crashy.type = daemon
crashy.program = crash-svc
crashy.args = -o $SB/out/crashy 100
crashy.user = $SV_USER
crashy.restart_delay = 1s
EOF
ok "supervisor starts" sv_start
ok "daemon started" sv_log_wait 20 'start service=crashy type=daemon pid=[0-9]+$'
ok "its exit is logged with the status" sv_log_wait 20 'exit service=crashy pid=[0-9]+ status=3$'
ok "first restart after 1s" sv_log_wait 20 'restart service=crashy delay=1s reason=exit$'
ok "second after 2s" sv_log_wait 10 'restart service=crashy delay=2s reason=exit$'
ok "third after 4s" sv_log_wait 15 'restart service=crashy delay=4s reason=exit$'
delays=$(grep -o 'restart service=crashy delay=[0-9]*s' "$SB/sv.log" | sed 's/.*delay=//' | head -3 | tr '\n' ' ')
is "$delays" "1s 2s 4s " "back-off doubles in order"
starts=$(sv_count 'start service=crashy type=daemon')
ok "started at least three times" test "$starts" -ge 3
pids=$(grep -o '^start pid=[0-9]*' "$SB/out/crashy" | sort -u | wc -l)
ok "each start is a new process" test "$pids" -ge 3
like "$(head -1 "$SB/out/crashy")" "uid=$(id -u "$SV_USER")\$" "daemon runs as the service user"
sv_stop
done_testing
