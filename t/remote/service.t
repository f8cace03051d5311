#!/bin/sh
# The remote delivery service (tern-remote -S, tern-remote(8)): as root,
# the suite relays through tern-remote processes that all run as "user"
# (tern), never as the queue user or root; tern-qmgr hands them the
# message descriptor over the service socket, whose folder is tern's with
# group ternq, mode 0710; several messages to one destination go over one
# connection; a connection from another uid than the queue user's
# (tern's own: tern-smtpd's uid) is refused, another user cannot even
# reach the socket, and a malformed hello is refused.  Stopping the suite
# removes the socket.
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root: the service runs as its own user"
id tern >/dev/null 2>&1 && id ternq >/dev/null 2>&1 ||
    skip_all "no users tern and ternq (tern-setup --users-only)"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
plan 17

P1=$(free_port)
ok "sink starts" rt_sink "$SB/out" 127.0.0.1:$P1
peers() { cat "$SB/out"/*.env 2>/dev/null | grep -c '^peer=' ; }
conns() { cat "$SB/out"/*.env 2>/dev/null | sed -n 's/^peer=//p' | sort -u | wc -l | tr -d ' '; }

ok "suite starts" e2e_start "remote_idle_time = 30s" "remote_concurrency = 2" "queue_retry_schedule = 1s 2s"
S=$H/state/remote-svc/socket
ok "the service listens on remote_socket" wait_for 20 test -S "$S"
is "$(stat -c '%U:%G %a' "$H/state/remote-svc")" "tern:ternq 710" \
    "its folder: tern's, group ternq, 0710"
ok "it says so" wait_for 10 grep -Eq "tern-remote\[[0-9]+\]: service: listening socket=$S workers=" "$SB/run.log"

e2e_user carol@example.test --host st2.test
printf 'carol@example.test smtp:[127.0.0.1]:%s\n' "$P1" >>"$H/routes"
"$(e2e_bin tern-maps)" -c "$H/tern.conf" -q
C="$PY $TERN_SRC/t/e2e/smtpc.py"
for i in 1 2 3 4 5 6; do
	$C $P_SMTP send alice@example.test carol@example.test --id s$i >/dev/null
done
got6() { [ "$(peers)" -ge 6 ]; }
ok "six messages relayed" wait_for 60 got6 || e2e_why carol@example.test
n=$(conns)
ok "over fewer connections ($n)" test "$n" -lt 6

# Every running tern-remote: the master, its idle workers and the kept
# ones (remote_idle_time 30 s), by the program they run.
remotes() {
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/exe" 2>/dev/null)" = "$H/bin/tern-remote" ] &&
		    echo "${d#/proc/}"
	done
}
pids=$(remotes)
ok "tern-remote processes are running" test -n "$pids"
tuid=$(id -u tern)
bad=""
for p in $pids; do
	u=$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$p/status" 2>/dev/null)
	[ -z "$u" ] || [ "$u" = "$tuid $tuid $tuid $tuid" ] || bad="$bad $p:$u"
done
is "$bad" "" "each runs as tern (real, effective, saved, fs uid $tuid)"
# The pids of the delivery log lines are among them, or were tern's.
# (A line is written after the sink's 250, so after its file: wait.)
wait_for 20 grep -q 'tern-remote\[[0-9]*\]: [0-9A-Z]* to=<carol@example.test> .*status=sent' "$SB/run.log"
lp=$(sed -n 's/.*tern-remote\[\([0-9]*\)\]: [0-9A-Z]* to=<carol@example.test> .*status=sent.*/\1/p' "$SB/run.log" | sort -u | head -1)
ok "a delivery was logged by a tern-remote process" test -n "$lp"
ok "which is one of the service's" sh -c "echo ' $(echo $pids) ' | grep -q ' $lp '"
ok "kept processes listen on their slots' abstract sockets" \
    grep -q "@$H/state/remote-svc/[0-9a-f]*\.[0-9]*\.s\$" /proc/net/unix

# Another uid: tern's own (tern-smtpd's) reaches the socket, is refused.
cat >"$SB/hello.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
try:
    s.connect(sys.argv[1])
except OSError as e:
    print("connect:", e.strerror); sys.exit(0)
fd = os.open("/dev/null" if sys.argv[2] == "dev" else sys.argv[3], os.O_RDONLY)
hello = b"N\xff\xff\xff\xff" if sys.argv[2] != "bad" else b"X\xff\xff\xff\xff"
s.settimeout(20)
try:
    socket.send_fds(s, [hello], [fd])
    a = s.recv(5)
    print("answer:", repr(a) if a else "closed")
except (ConnectionResetError, BrokenPipeError):
    print("answer: closed")
except OSError as e:
    print("answer error:", e)
EOF
chmod 644 "$SB/hello.py"
printf 'x\r\n' >"$SB/f" && chmod 644 "$SB/f"
as() { _u=$1; shift; setpriv --reuid="$_u" --regid="$(id -g "$_u")" --clear-groups "$@"; }
out=$(as tern "$PY" "$SB/hello.py" "$S" ok "$SB/f" 2>&1)
is "$out" "answer: closed" "a connection from tern's uid is closed unanswered"
ok "and logged as refused" wait_for 10 grep -q "service: connection from uid $tuid refused" "$SB/run.log"
out=$(as nobody "$PY" "$SB/hello.py" "$S" ok "$SB/f" 2>&1)
is "$out" "connect: Permission denied" "another user cannot reach the socket"
out=$(as ternq "$PY" "$SB/hello.py" "$S" bad "$SB/f" 2>&1)
ok "a malformed hello from the queue user is refused ($out)" wait_for 10 grep -q "service: malformed hello refused" "$SB/run.log"

e2e_stop
ok "stopped: the socket is gone" test ! -e "$S"
