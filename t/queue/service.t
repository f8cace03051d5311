#!/bin/sh
# tern-enqueue -S, the enqueue service (lib/enqsvc.h): a message handed
# over the socket is committed and its id comes back; concurrent messages;
# a worker serves many messages and keeps no descriptor of them; a worker
# that failed a message ends;
# a refused envelope says "!100" and leaves nothing; a worker that dies
# before the commit (TERN_CRASH_AT) answers nothing and commits nothing;
# a stopped service removes its socket (the caller falls back to the
# exec); as root, a process of another uid is refused (SO_PEERCRED).
. "${TERN_SRC:-.}/t/lib.sh"
ENQ=$(tern_bin tern-enqueue)
CL=$TERN_BUILD/t/bin/enqsvc-client
QT=$TERN_BUILD/t/bin/queue-tool
MKENV="$PY $TERN_SRC/t/queue/mkenv.py"
[ -x "$ENQ" ] || skip_all "tern-enqueue not built"
[ -x "$CL" ] || skip_all "t/bin/enqsvc-client not built"
sandbox
plan 26
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
	# As tern-setup would, but reachable by anyone: the uid check is
	# what this test shows refusing a stranger.
	mkdir -m 0711 "$SB/run/enqueue"
	chown nobody "$Q" "$SB/run/enqueue"
fi
queued() { "$QT" scan "$Q" 2>/dev/null | grep -c . | tr -d ' '; }
svc_start() {
	"$ENQ" -S -c "$SB/tern.conf" 2>>"$SB/svc.log" &
	SVC=$!; track $SVC
	wait_for 10 test -S "$S"
}
svc_stop() {
	kill -TERM "$SVC" 2>/dev/null
	wait "$SVC" 2>/dev/null
}

printf 'Subject: service\n\nhello\n' >"$SB/msg"
$MKENV --sender alice@example.org bob@example.com >"$SB/env"
$MKENV --sender alice@example.org >"$SB/noenv"

ok "the service listens on enqueue_socket" svc_start
# The socket is bound before the line is written.
wait_for 10 grep -q 'service: listening' "$SB/svc.log"
like "$(cat "$SB/svc.log")" 'service: listening socket=.*/run/enqueue/socket' "it says so"
out=$("$CL" "$S" "$SB/msg" "$SB/env" 2>&1)
like "$out" '^[0-9A-Z]{16}$' "the reply is the queue id"
is "$("$QT" scan "$Q" 2>/dev/null)" "$out" "and that message is committed"
ok "message kept byte for byte" cmp "$SB/msg" "$("$QT" path "$Q" msg "$out")"
like "$(grep " $out enqueued " "$SB/svc.log")" "enqueued size=24 nrcpt=1 from=<alice@example.org> uid=$(id -u) via=service\$" \
    "the log line: the caller's uid, via=service"
wpid=$(sed -n "s/^tern-enqueue\[\([0-9]*\)\]: $out enqueued.*/\1/p" "$SB/svc.log")
ok "a worker, not the master, committed it" test -n "$wpid" -a "$wpid" != "$SVC"

# Ten at once: more than the idle workers.
i=0
while [ $i -lt 10 ]; do
	"$CL" "$S" "$SB/msg" "$SB/env" >"$SB/par.$i" 2>&1 &
	i=$((i + 1))
done
wait_for 60 sh -c "[ \$(cat $SB/par.* | grep -Ec '^[0-9A-Z]{16}\$') -eq 10 ]"
is "$(cat "$SB"/par.* | grep -E '^[0-9A-Z]{16}$' | sort -u | wc -l | tr -d ' ')" 10 "ten at once: ten distinct ids"
is "$(queued)" 11 "eleven committed"

# Workers serve message after message, and keep nothing of them: every
# waiting worker holds the same descriptors before and after 20 messages.
workers() { pgrep -P "$SVC" | sort; }
fds() { for w in $(workers); do ls "/proc/$w/fd" 2>/dev/null | wc -l; done | sort -u | tr -d ' ' | tr '\n' ' '; }
# A worker still finishing a message (or one just forked) holds other
# descriptors for a moment: wait until every worker is back waiting.
same_fds() { fds | grep -Eq '^[0-9]+ $'; }
fds_are() { [ "$(fds)" = "$1" ]; }
wait_for 10 same_fds
fd0=$(fds)
i=0
while [ $i -lt 20 ]; do "$CL" "$S" "$SB/msg" "$SB/env" >/dev/null 2>&1; i=$((i + 1)); done
is "$(queued)" 31 "twenty more, one after the other"
wait_for 10 fds_are "$fd0"
like "$fd0" '^[0-9]+ $' "the waiting workers hold the same number of descriptors ($fd0)"
is "$(fds)" "$fd0" "and still do after twenty messages (no descriptor kept)"
most=$(sed -n 's/^tern-enqueue\[\([0-9]*\)\]: [0-9A-Z]* enqueued .*/\1/p' "$SB/svc.log" | sort | uniq -c | sort -rn | awk 'NR == 1 { print $1 }')
ok "a worker committed several messages (at most $most by one)" test "${most:-0}" -ge 2

out=$("$CL" "$S" "$SB/msg" "$SB/noenv" 2>&1)
is "$out" "!100" "an envelope without recipients: !100"
bad=$(sed -n 's/^tern-enqueue\[\([0-9]*\)\]: .*envelope refused.*/\1/p' "$SB/svc.log" | tail -1)
ok "the worker that refused it ends (pid ${bad:-none})" wait_for 10 sh -c "[ -n '$bad' ] && ! kill -0 '$bad' 2>/dev/null"
is "$(queued)" 31 "nothing more committed"
is "$(find "$Q/tmp" -type f | wc -l | tr -d ' ')" 0 "and nothing left in tmp/"
ok "the service still serves" sh -c "'$CL' '$S' '$SB/msg' '$SB/env' | grep -Eq '^[0-9A-Z]{16}\$'"

svc_stop
ok "a stopped service removes its socket" test ! -e "$S"
out=$("$CL" "$S" "$SB/msg" "$SB/env" 2>&1); rc=$?
is "$rc:$out" "1:connect: No such file or directory" "then the client cannot connect (and falls back)"
ok "no worker outlives the master" wait_for 10 sh -c "! pgrep -f '^$ENQ -S -c $SB/'"

# A worker killed before the commit (the crash-test hook).
n0=$(queued)
TERN_CRASH_AT=after-msg-fsync svc_start
out=$("$CL" "$S" "$SB/msg" "$SB/env" 2>&1)
is "$out" "none" "a worker killed after the message fsync answers nothing"
is "$(queued)" "$n0" "and nothing is committed"
svc_stop
TERN_CRASH_AT=after-env-link svc_start
out=$("$CL" "$S" "$SB/msg" "$SB/env" 2>&1)
is "$out:$(queued)" "none:$((n0 + 1))" "killed just after the commit: no reply, yet committed (a duplicate, never a loss)"
svc_stop

if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	svc_start
	n0=$(queued)
	out=$(setpriv --reuid=65533 --regid=65533 --clear-groups "$CL" "$S" "$SB/msg" "$SB/env" 2>&1)
	# Refused before or after its sendmsg: EPIPE, or no reply.
	like "$out:$(queued)" "^(none|connect: .*):$n0\$" "another uid: no reply, nothing committed"
	like "$(cat "$SB/svc.log")" 'service: connection from uid 65533 refused' "the refusal is logged"
	svc_stop
else
	skip "not root: no other uid"
	skip "not root: no other uid"
fi
done_testing
