#!/bin/sh
# SIGHUPs close together: each reload replaces the fork server, and one
# stopped by the next reload before it said ready was taken for a program
# that "did not start as a fork server", so the service served by fork and
# exec until yet another reload (found with 50 SIGHUPs while mail flowed:
# imap, lmtp and pop3s were left without their fork servers).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 5

p1=$(free_port)
sv_conf <<EOF2
services = fs
fs.listen = 127.0.0.1:$p1
fs.program = echo-svc
fs.args = -s
fs.user = $SV_USER
fs.forkserver = yes
EOF2
ok "supervisor starts" sv_start
ok "fork server started" sv_log_wait 10 'start service=fs forkserver pid=[0-9]+$'
# Each SIGHUP comes while the fork server the last one started is still
# starting up (echo-svc -s: 300 ms).
i=0
while [ $i -lt 5 ]; do
	kill -HUP "$SV_PID"
	sleep 0.1
	i=$((i + 1))
done
sleep 3
is "$(sv_count 'did not start as a fork server')" 0 "no fork server condemned for a reload's stop"
last=$(sed -n 's/.*start service=fs forkserver pid=\([0-9]*\)$/\1/p' "$SB/sv.log" | tail -1)
ok "a fork server runs after the storm" kill -0 "$last"
out=$($SV_CLIENT greet 127.0.0.1 "$p1" | head -1)
like "$out" " ppid=$last " "and the next connection goes through it"
sv_stop
done_testing
