#!/bin/sh
# tern-smtpd with the enqueue service (tern-enqueue -S): the message goes
# to a worker over enqueue_socket, 250 names the id it committed; a worker
# killed in the middle of the transfer gives 451 and commits nothing; a
# client gone mid-DATA and a message over the size limit leave nothing;
# without the service tern-smtpd executes tern-enqueue (the fallback).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
command -v swaks >/dev/null || skip_all "swaks not installed"
ENQ=$TERN_BINDIR/tern-enqueue
sandbox
plan 19
smtp_setup || { echo "Bail out! set-up failed"; exit 1; }
echo "message_size_limit = 8k" >"$SB/extra.conf"
smtp_conf
S=$SB/run/enqueue/socket
if [ "$(id -u)" = 0 ]; then
	mkdir -m 0700 "$SB/run/enqueue" && chown nobody "$SB/run/enqueue"
fi
export TERN_LOG=stderr
svc_start() {
	"$ENQ" -S -c "$SB/tern.conf" </dev/null >/dev/null 2>>"$SB/svc.log" &
	SVC=$!; track $SVC
	wait_for 10 test -S "$S"
}
svc_stop() { kill -TERM "$SVC" 2>/dev/null; wait "$SVC" 2>/dev/null; }
# The worker holding a message: its fd 0 is the message pipe (an idle
# worker's is /dev/null, the service's own).
busy_worker() {
	for _p in $(pgrep -P "$SVC"); do
		case $(readlink "/proc/$_p/fd/0" 2>/dev/null) in pipe:*) echo "$_p"; return 0 ;; esac
	done
	return 1
}
ntmp() { find "$Q/tmp" -type f 2>/dev/null | wc -l | tr -d ' '; }

ok "the service starts" svc_start
"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
SV_PID=$!; track $SV_PID
ok "tern-supervise runs tern-smtpd" wait_port "$P_SMTP"

out=$(swaks --server 127.0.0.1:$P_SMTP --from x@foo.example --to alice@example.org \
    --helo client.example --body 'Hello' 2>&1)
like "$out" '<-  250 2.0.0 Ok: queued as [0-9A-Z]{16}' "250 names the queue id"
id=$(printf '%s\n' "$out" | sed -n 's/.*queued as \([0-9A-Z]*\).*/\1/p' | head -1)
is "$(queued)" "$id" "the queue holds that message"
like "$(grep " $id enqueued " "$SB/svc.log")" "nrcpt=1 from=<x@foo.example> uid=[0-9]+ via=service\$" \
    "a service worker committed it"
like "$(head -2 "$(msgfile "$id")" | tr -d '\r' | tail -1)" "with ESMTP id $id\$" "Received: names the same id"

# A worker killed while the message streams in.
n0=$(nqueued)
mkdir "$SB/f1"
"$PY" "$TERN_SRC/t/smtp/enqsvc.py" "$P_SMTP" "$SB/f1" finish >"$SB/f1/out" 2>&1 &
CL=$!; track $CL
wait_for 30 test -e "$SB/f1/sent"
ok "a worker holds the message" wait_for 10 busy_worker
w=$(busy_worker)
kill -KILL "$w"
touch "$SB/f1/go"
wait "$CL"
like "$(cat "$SB/f1/out")" '^451 4\.3\.0 ' "the worker killed mid-transfer: 451, not 250"
is "$(nqueued)" "$n0" "nothing committed"
ok "the service replaced the worker and still serves" sh -c "swaks --server 127.0.0.1:$P_SMTP --from x@foo.example --to alice@example.org --body again 2>&1 | grep -q '<-  250 '"

# The client goes away in the middle of DATA.  (The worker killed above
# left its temp file, for queue_clean: killed, it could not remove it.)
n0=$(nqueued); t0=$(ntmp); r0=$(grep -c 'no envelope (the caller gave up): nothing queued' "$SB/svc.log")
mkdir "$SB/f2"
"$PY" "$TERN_SRC/t/smtp/enqsvc.py" "$P_SMTP" "$SB/f2" drop >"$SB/f2/out" 2>&1
is "$(cat "$SB/f2/out")" dropped "a client drops mid-DATA"
ok "its worker says it got no envelope" wait_for 20 sh -c "[ \$(grep -c 'no envelope (the caller gave up)' '$SB/svc.log') -gt $r0 ]"
unlike "$(grep -i 'fatal' "$SB/svc.log")" "envelope" "a client gone is not a fatal error of the worker"
is "$(ntmp)" "$t0" "and removes the partial message"
is "$(nqueued)" "$n0" "nothing committed"

# Over message_size_limit (8k): refused, nothing committed.
head -c 12000 /dev/zero | tr '\0' 'x' | fold -w 76 >"$SB/big"
out=$(swaks --server 127.0.0.1:$P_SMTP --from x@foo.example --to alice@example.org \
    --body "$SB/big" 2>&1)
like "$out" '<\*\* +552 5\.3\.4 ' "too big: 552"
is "$(nqueued)" "$n0" "nothing committed"

# Without the service: tern-smtpd executes tern-enqueue.
svc_stop
out=$(swaks --server 127.0.0.1:$P_SMTP --from y@foo.example --to alice@example.org \
    --body 'fallback' 2>&1)
id=$(printf '%s\n' "$out" | sed -n 's/.*queued as \([0-9A-Z]*\).*/\1/p' | head -1)
like "$(grep " $id enqueued " "$SB/log")" "from=<y@foo.example> uid=[0-9]+\$" \
    "no service: 250 all the same, from an exec'd tern-enqueue"
ok "no sanitizer report, no crash" smtp_clean_log
done_testing
