#!/bin/sh
# Connection reuse (tern-remote -s, driven by t/remote/reuse.py as
# tern-qmgr's workers drive it): several messages to one destination go
# over one connection (RSET between them) with per-recipient results per
# message; a 4xx on one message defers only that one; a connection cut
# in the middle of a message defers that message and the next one goes
# over a new connection, nothing lost; the process ends after
# remote_idle_time and removes its socket.  Then the whole suite:
# tern-qmgr hands messages for one next hop to the idle tern-remote.
. "${TERN_SRC:-.}/t/lib.sh"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
plan 22

P1=$(free_port); P2=$(free_port)
ok "sinks start" rt_sink "$SB/out" 127.0.0.1:$P1 127.0.0.1:$P2:pipelining
cat >"$SB/tern.conf" <<EOT
hostname = client.test
remote_connect_timeout = 5s
remote_command_timeout = 20s
remote_idle_time = 2s
EOT
chmod 644 "$SB/tern.conf"
mkdir -p "$SB/run"
chmod 777 "$SB/run"
export TERN_LOG=stderr TERN_DEBUG=1
printf 'Subject: reuse\r\n\r\nbody\r\n' >"$SB/msg"
chmod 644 "$SB/msg"
cp "$TERN_SRC/t/remote/reuse.py" "$SB/reuse.py" && chmod 644 "$SB/reuse.py"
reuse() {
	rt_as_user "$PY" "$SB/reuse.py" "$TERN_BINDIR/tern-remote" "$SB/msg" \
	    "$SB/run/slot.s" "$SB/run/slot" "$@" 2>>"$SB/remote.log"
}
peers() { cat "$SB/out"/*.env 2>/dev/null | grep -c '^peer=' ; }
rsets() { cat "$SB/out"/*.env 2>/dev/null | sed -n 's/^rsets=//p' | sort -n | tail -1; }
conns() { cat "$SB/out"/*.env 2>/dev/null | sed -n 's/^peer=//p' | sort -u | wc -l | tr -d ' '; }

touch "$SB/run/slot" && chmod 666 "$SB/run/slot"
out=$(reuse "smtp:[127.0.0.1]:$P1" none s@example.org a@example.net b@example.net,bad-c@example.net d@example.net e@example.net)
is "$(echo "$out" | grep -c '^[1-4] s ')" 4 "four messages sent"
like "$(echo "$out" | grep '^2 b ')" "5\.1\.1 .*550" "the 550 of message 2 reported for its recipient only"
is "$(peers)" 4 "the sink got four messages"
is "$(conns)" 1 "over one connection"
is "$(rsets)" 0 "no RSET between transactions that ended with their end-of-data reply"
like "$(cat "$SB/remote.log")" "connection to 127\.0\.0\.1\[127\.0\.0\.1\]:$P1 reused" "reuse logged"
like "$out" "exit 0" "tern-remote ended by itself"
like "$out" "socket gone" "and removed its socket"

# Every RCPT of message 2 refused: its transaction stays open (MAIL taken),
# so the next one is sent after an RSET, still over the same connection.
rm -f "$SB/out"/*
out=$(reuse "smtp:[127.0.0.1]:$P1" none s@example.org a@example.net bad-b@example.net c@example.net)
is "$(echo "$out" | grep "^[0-9] " | cut -c1-3 | tr -d "\n")" "1 s2 b3 s" "message 2 bounced, 1 and 3 sent"
is "$(conns)" 1 "one connection for the three"
is "$(rsets)" 1 "one RSET: before message 3, after the open transaction"

rm -f "$SB/out"/*
out=$(reuse "smtp:[127.0.0.1]:$P2" none s@example.org a@example.net temp1-b@example.net c@example.net)
is "$(echo "$out" | grep "^[0-9] " | cut -c1-3 | tr -d "\n")" "1 s2 d3 s" "PIPELINING: a 4xx on message 2 defers only that one"
is "$(conns)" 1 "one connection for the three"

rm -f "$SB/out"/*
out=$(reuse "smtp:[127.0.0.1]:$P1" none s@example.org a@example.net hangup-b@example.net c@example.net d@example.net)
is "$(echo "$out" | grep '^[0-9] ' | cut -c1-3 | tr -d '\n')" "1 s2 d3 s4 s" "a connection cut in message 2 defers message 2 only"
like "$(echo "$out" | grep '^2 d ')" "4\.4\.2 lost connection" "lost connection reported"
is "$(peers)" 3 "the other three arrived"
is "$(conns)" 2 "over two connections: a new one after the cut"
like "$out" "socket gone" "socket removed"

# The whole suite: carol's mail goes to the sink by a route.
. "$TERN_SRC/t/e2e/e2e.sh"
rm -f "$SB/out"/*
ok "suite starts" e2e_start "remote_idle_time = 30s" "remote_concurrency = 1" "queue_retry_schedule = 1s 2s"
e2e_user carol@example.test --host st2.test
printf 'carol@example.test smtp:[127.0.0.1]:%s\n' "$P1" >>"$H/routes"
"$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
C="$PY $TERN_SRC/t/e2e/smtpc.py"
for i in 1 2 3 4 5 6; do
	$C $P_SMTP send alice@example.test carol@example.test --id r$i >/dev/null
done
got6() { [ "$(peers)" -ge 6 ]; }
ok "six messages relayed" wait_for 60 got6
n=$(conns)
ok "over fewer connections ($n)" test "$n" -lt 6
