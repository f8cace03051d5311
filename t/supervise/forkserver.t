#!/bin/sh
# tern-supervise fork servers (NAME.forkserver = yes, lib/forkserver.h):
# the program is started once and forks per connection; the connection's
# process gets the same environment and user as with a fork and exec; the
# per-IP limit still counts; a killed fork server is replaced and
# connections are served meanwhile; SIGHUP replaces it without ending live
# sessions; a stop leaves nothing behind; the option is refused where it
# cannot work.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 29

p1=$(free_port); p2=$(free_port)
sv_conf <<EOF2
services = fs nf
nf.listen = 127.0.0.1:$p2
nf.program = echo-svc
nf.args = -n
nf.user = $SV_USER
nf.forkserver = yes
fs.listen = 127.0.0.1:$p1
fs.program = echo-svc
fs.user = $SV_USER
fs.forkserver = yes
fs.max_per_ip = 2
fs.refuse = 421 4.7.0 too many connections from your address
EOF2
ok "supervisor starts" sv_start
ok "listening on $p1" wait_port "$p1"
ok "fork server started" sv_log_wait 10 'start service=fs forkserver pid=[0-9]+$'
fspid=$(sed -n 's/.*start service=fs forkserver pid=\([0-9]*\)$/\1/p' "$SB/sv.log" | head -1)
like "$(ps -o user= -p "$fspid" 2>/dev/null | tr -d ' ')" "^($SV_USER|$(id -u "$SV_USER"))\$" "fork server runs as the service user"

# One connection through it.
out=$($SV_CLIENT greet 127.0.0.1 "$p1")
g=$(echo "$out" | head -1)
like "$g" '^hello proto=TCP rip=127\.0\.0\.1 rport=[0-9]+ lip=127\.0\.0\.1 ' "UCSPI variables set in the forked child"
like "$g" " lport=$p1 " "TCPLOCALPORT is the listening port"
like "$g" " ppid=$fspid " "the fork server forked it"
like "$g" " uid=$(id -u "$SV_USER") " "runs as the service user"
like "$g" " service=fs log=stderr conf=$SB/tern.conf " "TERN_SERVICE, TERN_LOG, TERN_CONF kept"
is "$(echo "$out" | tail -1)" "echo:ping" "fd 0 and 1 are the connection"
rport=$(echo "$g" | sed -n 's/.* rport=\([0-9]*\) .*/\1/p')
cpid=$(echo "$g" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
ok "connect logged with its id" sv_log_wait 20 "connect service=fs ip=127\.0\.0\.1 port=$rport fs=[0-9]+\$"
ok "exit logged with the child's pid" sv_log_wait 20 "exit service=fs pid=$cpid status=0\$"

# The per-IP limit counts connections served by the fork server.
out=$($SV_CLIENT hold 127.0.0.1 "$p1" 2)
is "$(echo "$out" | grep -c '^held:hello .* ppid='"$fspid"' ')" 2 "two held connections, both forked"
like "$(echo "$out" | grep '^extra:')" "^extra:421 4\.7\.0 too many connections" "the third is refused"
ok "refusal logged" sv_log_wait 20 "refuse service=fs ip=127\.0\.0\.1 reason=per-ip-limit"

# Ends the fork server reported are counted before a new connection: two
# sessions end while the supervisor is stopped (the fork server reaps them
# and its reports wait on the socket) and a third client connects; resumed,
# the supervisor must not refuse it on the two ended sessions' count.
$SV_CLIENT keep 127.0.0.1 "$p1" "$SB/k1" & k1=$!
$SV_CLIENT keep 127.0.0.1 "$p1" "$SB/k2" & k2=$!
wait_for 10 test -s "$SB/k1"
wait_for 10 test -s "$SB/k2"
s1=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' "$SB/k1")
s2=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' "$SB/k2")
kill -STOP "$SV_PID"
kill "$k1" "$k2"; wait "$k1" "$k2" 2>/dev/null
wait_for 10 sh -c "! kill -0 $s1 2>/dev/null && ! kill -0 $s2 2>/dev/null"
$SV_CLIENT greet 127.0.0.1 "$p1" >"$SB/late" 2>&1 & g=$!
wait_for 10 sh -c "ss -Htn state established '( dport = :$p1 )' | grep -q ."
kill -CONT "$SV_PID"
wait "$g"
is "$(tail -1 "$SB/late")" "echo:ping" "a connection after sessions ended unseen is served, not refused"

# A program that does not speak the protocol is never handed a connection.
ok "a program that is no fork server is noticed" sv_log_wait 10 "service=nf forkserver: .*echo-svc did not start as a fork server"
for i in 1 2 3; do
	$SV_CLIENT greet 127.0.0.1 "$p2" >>"$SB/nf.out" 2>&1
done
is "$(grep -c '^echo:ping$' "$SB/nf.out")" 3 "its connections are all served by fork and exec"
is "$(grep -c 'start service=nf forkserver' "$SB/sv.log")" 1 "and it is not started again"

# A killed fork server: connections are still served, and a new one starts.
kill -KILL "$fspid"
ok "its death is noticed" sv_log_wait 10 "exit service=fs forkserver pid=$fspid status=signal:9"
out=$($SV_CLIENT greet 127.0.0.1 "$p1")
is "$(echo "$out" | tail -1)" "echo:ping" "served while the fork server is away"
ok "a new fork server" wait_for 10 sh -c "[ \$(grep -c 'start service=fs forkserver pid=' '$SB/sv.log') -ge 2 ]"
fs2=$(sed -n 's/.*start service=fs forkserver pid=\([0-9]*\)$/\1/p' "$SB/sv.log" | tail -1)
wait_for 20 sh -c "$SV_CLIENT greet 127.0.0.1 $p1 2>/dev/null | grep -q ' ppid=$fs2 '"
like "$($SV_CLIENT greet 127.0.0.1 "$p1" 2>/dev/null | head -1)" " ppid=$fs2 " "the new fork server serves"

# SIGHUP: a new fork server (tern.conf may have changed); a live session stays.
$SV_CLIENT keep 127.0.0.1 "$p1" "$SB/kept" &
kp=$!
wait_for 10 test -s "$SB/kept"
kpid=$(sed -n 's/.* pid=\([0-9]*\) .*/\1/p' "$SB/kept")
kill -HUP "$SV_PID"
ok "replaced after SIGHUP" wait_for 10 sh -c "[ \$(grep -c 'start service=fs forkserver pid=' '$SB/sv.log') -ge 3 ]"
ok "the live session survives the reload" kill -0 "$kpid"

# Stop: the fork server and the sessions it forked are gone.
fs3=$(sed -n 's/.*start service=fs forkserver pid=\([0-9]*\)$/\1/p' "$SB/sv.log" | tail -1)
ok "supervisor stops" sv_stop
ok "no session left after the stop" sh -c "! kill -0 $kpid 2>/dev/null"
ok "no fork server left" sh -c "! kill -0 $fs3 2>/dev/null"
_ours "$kp" && kill "$kp" 2>/dev/null

# Only a tcp service can have one.
cat >"$SB/bad.conf" <<EOF2
run_dir = $SB/run2
program_dir = $SV_STUBS
log = stderr
services = d
d.program = echo-svc
d.type = daemon
d.user = $SV_USER
d.forkserver = yes
EOF2
mkdir -p "$SB/run2"
TERN_LOG=stderr "$SV_BIN" -c "$SB/bad.conf" >"$SB/bad.log" 2>&1 &
bp=$!
track $bp
wait_for 10 sh -c "! kill -0 $bp 2>/dev/null"
like "$(cat "$SB/bad.log")" "forkserver: want yes, no or auto, and yes only for a tcp service" "a daemon with a fork server is refused"
