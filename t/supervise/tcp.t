#!/bin/sh
# tern-supervise, tcp services: the UCSPI environment, IPv4 and IPv6
# listeners, the per-IP and global limits with the refuse line, and the
# log line of every connection, exit and refusal.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 22

p1=$(free_port); p2=$(free_port)
v6=""
if has_ipv6_loopback; then v6=" [::1]:$p1"; fi
sv_conf <<EOF
services = echo lim
echo.listen = 127.0.0.1:$p1$v6
echo.program = echo-svc
echo.user = $SV_USER
echo.max_per_ip = 2
echo.refuse = 421 4.7.0 too many connections from your address
lim.listen = 127.0.0.1:$p2
lim.program = echo-svc
lim.user = $SV_USER
lim.max_connections = 2
lim.max_per_ip = 0
lim.refuse = 421 4.3.2 busy
EOF
ok "supervisor starts" sv_start
ok "listening on $p1" wait_port "$p1"

out=$($SV_CLIENT greet 127.0.0.1 "$p1")
g=$(echo "$out" | head -1)
like "$g" '^hello proto=TCP rip=127\.0\.0\.1 rport=[0-9]+ lip=127\.0\.0\.1 ' "UCSPI variables set"
like "$g" " lport=$p1 " "TCPLOCALPORT is the listening port"
like "$g" " service=echo log=stderr conf=$SB/tern.conf " "TERN_SERVICE, TERN_LOG, TERN_CONF"
like "$g" " uid=$(id -u "$SV_USER") " "runs as the service user"
is "$(echo "$out" | tail -1)" "echo:ping" "fd 0 and 1 are the connection"
rport=$(echo "$g" | sed -n 's/.* rport=\([0-9]*\) .*/\1/p')
cpid=$(echo "$g" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
ok "connect logged" sv_log_wait 20 "connect service=echo ip=127\.0\.0\.1 port=$rport pid=$cpid\$"
ok "exit logged" sv_log_wait 20 "exit service=echo pid=$cpid status=0\$"

if [ -n "$v6" ]; then
	g6=$($SV_CLIENT greet ::1 "$p1"); g6=$(echo "$g6" | head -1)
	like "$g6" '^hello proto=TCP rip=::1 rport=[0-9]+ lip=::1 ' "IPv6 listener and UCSPI"
	ok "IPv6 connect logged" sv_log_wait 20 "connect service=echo ip=::1 port="
else
	skip "no ::1 on this host"
	skip "no ::1 on this host"
fi

# Per-IP limit: two held, the third hears the refuse line and is closed.
out=$($SV_CLIENT hold 127.0.0.1 "$p1" 2)
is "$(echo "$out" | grep -c '^held:hello')" 2 "two connections from one IP served"
is "$(echo "$out" | grep '^extra:')" "extra:421 4.7.0 too many connections from your address" "third gets the refuse line"
is "$(echo "$out" | tail -1)" "EOF" "and is closed"
ok "per-ip refusal logged" sv_log_wait 20 "refuse service=echo ip=127\.0\.0\.1 reason=per-ip-limit\$"

# Global limit on the other service.
out=$($SV_CLIENT hold 127.0.0.1 "$p2" 2)
is "$(echo "$out" | grep -c '^held:hello')" 2 "two connections served"
is "$(echo "$out" | grep '^extra:')" "extra:421 4.3.2 busy" "third refused at max_connections"
is "$(echo "$out" | tail -1)" "EOF" "and closed"
ok "global refusal logged" sv_log_wait 20 "refuse service=lim ip=127\.0\.0\.1 reason=max-connections\$"

# Once they are gone the slots are free again.
ok "held connections exit" wait_for 10 sh -c "[ \$(grep -c 'exit service=lim ' '$SB/sv.log') -ge 2 ]"
out=$($SV_CLIENT greet 127.0.0.1 "$p2")
like "$out" '^hello ' "served again after the others left"
n_conn=$(sv_count 'connect service=')
wait_for 20 sh -c "[ \$(grep -Ec 'exit service=(echo|lim) ' '$SB/sv.log') -ge $n_conn ]"
is "$(sv_count 'exit service=(echo|lim) ')" "$n_conn" "every connection's exit is logged"
sv_stop
done_testing
