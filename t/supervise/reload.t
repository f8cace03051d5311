#!/bin/sh
# tern-supervise, SIGHUP: a new service starts, a removed one stops, a
# changed listen address is rebound, running daemons get SIGHUP, and an
# invalid tern.conf is logged (file:line) while the old one keeps running.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 17
sv_outdir

p1=$(free_port); p2=$(free_port); p3=$(free_port)
common="d.type = daemon
d.program = crash-svc
d.args = -o $SB/out/d 0
d.user = $SV_USER"
sv_conf <<EOF
services = a d
a.listen = 127.0.0.1:$p1
a.program = echo-svc
a.user = $SV_USER
$common
EOF
ok "supervisor starts" sv_start
ok "a listens" wait_port "$p1"
ok "daemon d runs" wait_for 20 grep -q '^start pid=' "$SB/out/d"
dpid=$(sed -n 's/^start pid=\([0-9]*\) .*/\1/p' "$SB/out/d" | head -1)

# Remove a, add b.
sv_conf <<EOF
services = b d
b.listen = 127.0.0.1:$p2
b.program = echo-svc
b.args = -x
b.user = $SV_USER
$common
EOF
kill -HUP "$SV_PID"
ok "reload logged" sv_log_wait 20 'reload config=.* services=2$'
ok "b listens after SIGHUP" wait_port "$p2"
out=$($SV_CLIENT greet 127.0.0.1 "$p2")
like "$out" "service=b " "b serves"
ok "a stopped" sv_log_wait 20 'stop service=a type=tcp$'
ok "a no longer accepts" sh -c "! $SV_CLIENT greet 127.0.0.1 $p1"
ok "the daemon got SIGHUP" wait_for 20 grep -q "^hup pid=$dpid " "$SB/out/d"
is "$(grep -c '^start pid=' "$SB/out/d")" 1 "and was not restarted"

# Move b to another port.
sed "s/127.0.0.1:$p2/127.0.0.1:$p3/" "$SB/tern.conf" >"$SB/t" && mv "$SB/t" "$SB/tern.conf"
kill -HUP "$SV_PID"
ok "b rebound to the new port" wait_port "$p3"
ok "old port closed" wait_for 20 sh -c "! $SV_CLIENT greet 127.0.0.1 $p2"

# An invalid file: logged with file:line, old configuration kept.
cp "$SB/tern.conf" "$SB/good.conf"
printf 'no_such_key = 1\nservices = d\n' >>"$SB/tern.conf"
kill -HUP "$SV_PID"
ok "invalid config logged with file:line" sv_log_wait 20 "reload failed.*tern\.conf:[0-9]+"
sleep 0.5
out=$($SV_CLIENT greet 127.0.0.1 "$p3")
like "$out" "service=b " "b still serves"
is "$(grep -c '^start pid=' "$SB/out/d")" 1 "daemon untouched"
kill -0 "$SV_PID" 2>/dev/null
is "$?" 0 "supervisor still running"

# A changed daemon is restarted with its new arguments.
sed 's/^d.args = .*/d.args = -o '"$(echo "$SB" | sed 's/[\/&]/\\&/g')"'\/out\/d2 0/' "$SB/good.conf" >"$SB/tern.conf"
kill -HUP "$SV_PID"
ok "changed daemon restarted with new args" wait_for 10 grep -q '^start pid=' "$SB/out/d2"
sv_stop
done_testing
