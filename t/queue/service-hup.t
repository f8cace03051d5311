#!/bin/sh
# tern-enqueue -S: a worker that has accepted a client does not die of a
# SIGHUP before it is done.  tern-supervise passes a reload to the whole
# process group; a worker killed between its accept and its answer made
# tern-smtpd say "451 queue file write error" (1 of 300 messages during 50
# reloads).  Idle workers still die of it (they are replaced).
. "${TERN_SRC:-.}/t/lib.sh"
ENQ=$(tern_bin tern-enqueue)
[ -x "$ENQ" ] || skip_all "tern-enqueue not built"
sandbox
plan 4
export TERN_LOG=stderr
Q=$SB/queue
S=$SB/run/enqueue/socket
mkdir -p "$Q" "$SB/run"
{
	echo "queue_dir = $Q"
	echo "run_dir = $SB/run"
	if [ "$(id -u)" = 0 ]; then echo "queue_user = nobody"; echo "user = nobody"; fi
} >"$SB/tern.conf"
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0711 "$SB/run/enqueue"
	chown nobody "$Q" "$SB/run/enqueue"
fi
"$ENQ" -S -c "$SB/tern.conf" 2>>"$SB/svc.log" &
SVC=$!; track $SVC
ok "the service listens" wait_for 10 test -S "$S"
sleep 0.5	# the idle workers are forked

# A client that connects and says nothing yet: one worker holds it.
"$PY" - "$S" >"$SB/client.out" 2>&1 <<'PYEOF' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
time.sleep(1.5)		# the SIGHUPs come meanwhile
s.settimeout(1.0)
try:
    d = s.recv(1)
    print("eof" if d == b"" else "data")
except socket.timeout:
    print("open")
PYEOF
CL=$!
sleep 0.5
for w in $(ps -o pid= --ppid "$SVC"); do kill -HUP "$w" 2>/dev/null; done
wait $CL
is "$(cat "$SB/client.out")" "open" "the worker holding a client survives SIGHUP"
ok "the master is still there" kill -0 "$SVC"
ok "idle workers are replaced" wait_for 5 sh -c "[ \$(ps -o pid= --ppid $SVC | wc -l) -ge 1 ]"
kill -TERM "$SVC" 2>/dev/null
wait "$SVC" 2>/dev/null
done_testing
