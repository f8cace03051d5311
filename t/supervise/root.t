#!/bin/sh
# tern-supervise as root: a service with user=nobody runs with uid 65534
# (as the stub reports it and as /proc shows the live process); a service
# whose user does not exist is not started; a service whose user is empty
# is not run as root.  Then, run as nobody: the privilege steps are
# skipped with one log line and services run as that user.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/supervise/sv.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
sandbox
plan 13
sv_outdir

p1=$(free_port); p2=$(free_port); p3=$(free_port)
sv_conf <<EOF
services = n ghost dflt
n.listen = 127.0.0.1:$p1
n.program = echo-svc
n.user = nobody
ghost.listen = 127.0.0.1:$p2
ghost.program = echo-svc
ghost.user = no-such-user-tern
dflt.listen = 127.0.0.1:$p3
dflt.program = echo-svc
dflt.user =
EOF
ok "supervisor starts" sv_start
ok "n listens" wait_port "$p1"
$SV_CLIENT keep 127.0.0.1 "$p1" "$SB/greet" &
track $!
ok "connection served" wait_for 20 test -s "$SB/greet"
g=$(cat "$SB/greet")
like "$g" " uid=65534 " "the stub reports uid 65534"
cpid=$(echo "$g" | sed -n 's/.* pid=\([0-9]*\) .*/\1/p')
is "$(awk '/^Uid:/ { print $2, $3, $4, $5 }' "/proc/$cpid/status")" "65534 65534 65534 65534" "/proc: real, effective, saved, fs uid"
is "$(awk '/^Gid:/ { print $2 }' "/proc/$cpid/status")" "$(id -g nobody)" "/proc: gid of nobody"
is "$(awk '/^Groups:/ { print $2 }' "/proc/$cpid/status")" "$(id -g nobody)" "/proc: no supplementary groups of root"
ok "missing user: not started, logged" sv_log_wait 20 "service=ghost not started: no user no-such-user-tern"
ok "its port is not bound" sh -c "! $SV_CLIENT greet 127.0.0.1 $p2"
ok "an empty user never means root" sv_log_wait 20 "service=dflt not started: dflt.user is not set"
unlike "$(cat "$SB/sv.log")" "privilege steps skipped" "as root the privilege steps run"
sv_stop

# The same host run by nobody: one log line, services run as nobody.
mkdir "$SB/nb" && chown nobody "$SB/nb"
cat >"$SB/nb/tern.conf" <<EOF
run_dir = $SB/nb/run
program_dir = $SV_STUBS
log = stderr
services = n
n.listen = 127.0.0.1:$p1
n.program = echo-svc
EOF
setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
    "$SV_BIN" -c "$SB/nb/tern.conf" >"$SB/nb.log" 2>&1 &
nbpid=$!
track $nbpid
ok "non-root run logs the skipped privilege steps" wait_for 10 grep -q 'privilege steps skipped' "$SB/nb.log"
wait_port "$p1"
out=$($SV_CLIENT greet 127.0.0.1 "$p1")
like "$out" " uid=65534 " "and runs the service as that user"
kill -TERM $nbpid
done_testing
