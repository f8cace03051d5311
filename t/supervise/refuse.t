#!/bin/sh
# tern-supervise: the line a refused client hears when NAME.refuse is not
# set (one its protocol understands as "busy": SMTP 421, IMAP BYE
# [UNAVAILABLE], POP3 -ERR [SYS/TEMP]; nothing on implicit-TLS ports; an
# explicitly empty refuse closes silently), and max_per_ip_exempt (a front
# end or webmail host is not held to max_per_ip).  The programs are the
# echo stub under the names tern-supervise looks at.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
sandbox
plan 20

mkdir -p "$SB/stubs" && chmod 755 "$SB/stubs"
for n in tern-smtpd tern-imapd tern-pop3d tern-proxy; do
	ln -s "$SV_STUBS/echo-svc" "$SB/stubs/$n"
done
p1=$(free_port); p2=$(free_port); p3=$(free_port); p4=$(free_port)
p5=$(free_port); p6=$(free_port); p7=$(free_port)
sv_conf <<EOF
hostname = busy.test
services = sm sm0 im ims pp ex other
sm.listen = 127.0.0.1:$p1
sm.program = $SB/stubs/tern-smtpd
sm.args = -m smtp
sm.max_per_ip = 1
sm0.listen = 127.0.0.1:$p2
sm0.program = $SB/stubs/tern-smtpd
sm0.args = -m submission
sm0.max_per_ip = 1
sm0.refuse =
im.listen = 127.0.0.1:$p3
im.program = $SB/stubs/tern-imapd
im.args = -mimap
im.max_per_ip = 1
ims.listen = 127.0.0.1:$p4
ims.program = $SB/stubs/tern-imapd
ims.args = -m imaps
ims.max_per_ip = 1
pp.listen = 127.0.0.1:$p5
pp.program = $SB/stubs/tern-proxy
pp.args = -m pop3
pp.max_per_ip = 1
ex.listen = 127.0.0.1:$p6
ex.program = echo-svc
ex.max_per_ip = 1
ex.max_per_ip_exempt = 10.0.0.0/8 127.0.0.0/8
other.listen = 127.0.0.1:$p7
other.program = echo-svc
other.max_per_ip = 1
EOF
for s in sm sm0 im ims pp ex other; do echo "$s.user = $SV_USER" >>"$SB/tern.conf"; done
ok "supervisor starts" sv_start
ok "listening" wait_port "$p7"

extra() { $SV_CLIENT hold 127.0.0.1 "$1" 1 | sed -n 's/^extra://p'; }
last() { $SV_CLIENT hold 127.0.0.1 "$1" 1 | tail -1; }
is "$(extra "$p1")" "421 4.7.0 busy.test Error: too many connections, try again later" \
    "tern-smtpd: 421 with the host name"
is "$(last "$p1")" "EOF" "and closed"
is "$(extra "$p2")" "" "refuse set empty: not a word"
is "$(last "$p2")" "EOF" "just closed"
is "$(extra "$p3")" "* BYE [UNAVAILABLE] Too many connections, try again later" \
    "tern-imapd -mimap: BYE [UNAVAILABLE]"
is "$(extra "$p4")" "" "imaps: nothing in clear on a TLS port"
is "$(last "$p4")" "EOF" "just closed"
is "$(extra "$p5")" "-ERR [SYS/TEMP] Too many connections, try again later" \
    "tern-proxy -m pop3: -ERR [SYS/TEMP]"
is "$(extra "$p7")" "" "a program tern-supervise does not know: nothing"
ok "refusals logged" sv_log_wait 20 "refuse service=pp ip=127\.0\.0\.1 reason=per-ip-limit\$"

# The limits in force are logged; IMAP/POP3 programs default to 1000.
ok "limits logged" sv_log_wait 20 "start service=sm type=tcp listeners=1 max_connections=100 max_per_ip=1\$"
ok "tern-imapd: 1000 connections by default" sv_log_wait 20 "start service=im type=tcp listeners=1 max_connections=1000 max_per_ip=1\$"
ok "tern-proxy: 1000 too" sv_log_wait 20 "start service=pp type=tcp listeners=1 max_connections=1000 "

# Exempt networks: the second (and third) connection is served.
out=$($SV_CLIENT hold 127.0.0.1 "$p6" 2)
is "$(echo "$out" | grep -c '^held:hello')" 2 "exempt: two connections from one IP served"
like "$(echo "$out" | grep '^extra:')" '^extra:hello ' "and a third"
is "$(sv_count 'refuse service=ex ')" 0 "no refusal logged for the exempt network"
sv_stop

# A network that does not parse is a configuration error.
sed -i 's|^ex.max_per_ip_exempt = .*|ex.max_per_ip_exempt = 10.0.0.0/99|' "$SB/tern.conf"
out=$("$SV_BIN" -c "$SB/tern.conf" 2>&1); rc=$?
ok "a bad network: tern-supervise refuses to start" test "$rc" != 0
like "$out" 'max_per_ip_exempt.*10\.0\.0\.0/99' "and names it"
done_testing
