#!/bin/sh
# Outbound mail between network namespaces: tern (make run's suite) in one,
# a "remote" world in the other with dnsmasq serving MX, A and AAAA
# records and aiosmtpd sinks.  Mail enters tern by SMTP to local aliases
# that point at remote addresses.  Covers: the second MX when the first is
# down; a 4xx retried on the schedule and delivered later; a 5xx bounced
# with a DSN in the sender's Maildir; STARTTLS used, verified and logged; a
# must-tls domain deferred when the remote offers no TLS; a route to an
# LMTP next hop; the implicit MX; IPv6; no such domain; a null MX; dot-stuffing and
# 8-bit bytes preserved; tern-remote's uid; an MX that is tern's own host
# (bounced 5.4.6 when it is the best MX, deferred when a better one is
# down: Postfix's "loops back to myself").  Needs root and `ip netns`.
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
command -v ip >/dev/null 2>&1 || skip_all "no ip (iproute2)"
command -v dnsmasq >/dev/null 2>&1 || skip_all "no dnsmasq"
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
. "$TERN_SRC/t/e2e/e2e.sh"

NR=ternr$$; NT=ternt$$; VR=vr$$; VT=vt$$
ip netns add "$NR" 2>/dev/null || skip_all "ip netns add failed (no privilege?)"
netns_cleanup() {
	ip netns pids "$NT" 2>/dev/null | xargs -r kill 2>/dev/null
	ip netns pids "$NR" 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.5
	ip netns pids "$NT" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns pids "$NR" 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del "$NT" 2>/dev/null
	ip netns del "$NR" 2>/dev/null
	rm -rf "/etc/netns/$NT"
}
trap 'rc0=$?; netns_cleanup; (exit $rc0); _cleanup' EXIT
ip netns add "$NT" || skip_all "ip netns add failed"
ip link add "$VR" type veth peer name "$VT" &&
    ip link set "$VR" netns "$NR" && ip link set "$VT" netns "$NT" ||
    skip_all "cannot make a veth pair"
inr() { ip netns exec "$NR" "$@"; }
int() { ip netns exec "$NT" "$@"; }
inr ip link set lo up; int ip link set lo up
for a in 1 2 3 4 5 6 53; do inr ip addr add 10.77.0.$a/24 dev "$VR"; done
inr ip -6 addr add fd77::2/64 dev "$VR" nodad
int ip addr add 10.77.0.10/24 dev "$VT"
int ip -6 addr add fd77::10/64 dev "$VT" nodad
inr ip link set "$VR" up; int ip link set "$VT" up
mkdir -p "/etc/netns/$NT"
printf 'nameserver 10.77.0.53\noptions timeout:1 attempts:2\n' >"/etc/netns/$NT/resolv.conf"

plan 35

# The remote world: DNS and sinks.
inr dnsmasq --conf-file=/dev/null --no-resolv --no-hosts --keep-in-foreground \
    --bind-interfaces --listen-address=10.77.0.53 --pid-file= \
    --local=/test/ --local=/example.net/ \
    --mx-host=example.net,mx1.example.net,10 --mx-host=example.net,mx2.example.net,20 \
    --host-record=mx1.example.net,10.77.0.1 --host-record=mx2.example.net,10.77.0.2 \
    --mx-host=tls.test,mx.tls.test,10 --host-record=mx.tls.test,10.77.0.3 \
    --mx-host=plain.test,mx.plain.test,10 --host-record=mx.plain.test,10.77.0.4 \
    --host-record=nomx.test,10.77.0.2 \
    --mx-host=v6.test,mx.v6.test,10 --host-record=mx.v6.test,fd77::2 \
    --mx-host=slow.test,mx.slow.test,10 --host-record=mx.slow.test,10.77.0.6 \
    --mx-host=nullmx.test,.,0 \
    --mx-host=loop.test,mx.loop.test,10 --host-record=mx.loop.test,10.77.0.10 \
    --mx-host=backup.test,mx1.example.net,10 --mx-host=backup.test,mx.loop.test,20 \
    >"$SB/dnsmasq.log" 2>&1 &
track $!
rt_ca "$SB/ca" "DNS:mx.tls.test"
mkdir -p "$SB/out" && chmod 777 "$SB/out"
inr "$PY" "$TERN_SRC/t/remote/sink.py" "$SB/out" 10.77.0.2:25 10.77.0.3:25:tls \
    10.77.0.4:25 "[fd77::2]:25" 10.77.0.5:24:lmtp 10.77.0.6:25:slow \
    >"$SB/out.log" 2>&1 &
track $!
ok "sinks start in the remote namespace" wait_for 20 grep -q ready "$SB/out.log"

# tern in its own namespace, as make run starts it.
H=$SB/home
mkdir -p "$H"
cat >"$H/local.conf" <<EOT
queue_retry_schedule = 3s 3s
remote_ca_file = $SB/ca/ca.crt
tls_policy = plain.test:must
remote_connect_timeout = 3s
remote_command_timeout = 20s
smtp.listen = 127.0.0.1:10025 0.0.0.0:25
EOT
( cd "$TERN_SRC" && TERN_HOME="$H" TERN_PORT_BASE=10000 \
    exec ip netns exec "$NT" sh mk/run.sh ) >"$SB/run.log" 2>&1 &
track $!
P_SMTP=10025
ok "tern starts in its namespace" wait_for 40 grep -q 'Ctrl-C stops everything' "$SB/run.log"
wait_for 10 int "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $P_SMTP), 1)"
ok "DNS answers in tern's namespace" int "$PY" -c "
import socket; socket.getaddrinfo('mx2.example.net', 25)"

cat >>"$H/aliases" <<EOT
mxf@example.test: a@example.net
tmp@example.test: temp1-b@example.net
bad@example.test: bad-c@example.net
tls@example.test: d@tls.test
must@example.test: e@plain.test
lm@example.test: f@lmtp.test, g@lmtp.test
nomx@example.test: h@nomx.test
six@example.test: i@v6.test
nx@example.test: j@nosuch.test
slow@example.test: k@slow.test
null@example.test: l@nullmx.test
two@example.test: m@example.net, n@tls.test, o@example.net
loop@example.test: p@loop.test
backup@example.test: q@backup.test
EOT
echo "lmtp.test lmtp:10.77.0.5:24" >>"$H/routes"
ok "maps compiled" "$(e2e_bin tern-maps)" -c "$H/tern.conf" -q

printf 'From: alice@example.test\r\nSubject: %s\r\nX-Test-Id: %s\r\n\r\n.a line with a leading dot\r\n..two\r\n.\r\n8-bit: \303\251t\303\251\r\nend\r\n' x x >"$SB/body"
send() {
	sed "s/^Subject: x/Subject: $1/; s/^X-Test-Id: x/X-Test-Id: $1/" "$SB/body" >"$SB/msg.$1"
	int "$PY" "$TERN_SRC/t/remote/send.py" $P_SMTP alice@example.test "$2" "$SB/msg.$1"
}
for c in mxf tmp bad tls must lm nomx six nx slow null two loop backup; do
	r=$(send $c $c@example.test)
	[ "$r" = "250 ok" ] || diag "$c: $r"
done

# got ID: the sink's .env of the message with X-Test-Id ID.
got() {
	f=$(grep -l "^X-Test-Id: $1" "$SB/out"/*.eml 2>/dev/null | head -1)
	[ -n "$f" ] && cat "${f%.eml}.env"
}
has() { got "$1" | grep -q "$2"; }
log() { cat "$SB/run.log"; }
# tern-remote logs a delivery after the server's 250, which comes after
# the sink wrote the message: a test that waited for the message waits
# for the line too (logs REGEX: the log has a matching line).
logs() { grep -Eq "$1" "$SB/run.log"; }

# The uid of tern-remote while it waits for the slow server's greeting.
# Only this namespace's: another test's tern-remote (t/remote/reuse.t's
# idle one runs as nobody) may be running at the same time.
remote_users() {
	u=$(for p in $(ip netns pids "$NT" 2>/dev/null); do
		ps -o user=,comm= -p "$p" 2>/dev/null
	done | awk '$2 == "tern-remote" { print $1 }' | sort -u | tr '\n' ' ')
	[ -n "$u" ]
}
ok "tern-remote runs while the slow server greets" wait_for 20 remote_users
is "$u" "tern " "tern-remote runs as tern (the service), not the queue user or root"

ok "first MX down: delivered by the second" wait_for 20 has mxf 'listen=10.77.0.2:25'
wait_for 20 logs "tern-remote\[[0-9]+\]: [0-9A-Z]+ to=<a@example.net> relay=mx2.example.net\[10.77.0.2\]:25 .*status=sent"
like "$(log)" "tern-remote\[[0-9]+\]: [0-9A-Z]+ to=<a@example.net> relay=mx2.example.net\[10.77.0.2\]:25 .*status=sent" "relay is mx2 in the log"
f=$(grep -l "^X-Test-Id: mxf" "$SB/out"/*.eml | head -1)
ok "the message arrives byte for byte after tern's Received: (dots, 8-bit)" "$PY" -c "
import sys
a = open(sys.argv[1], 'rb').read(); b = open(sys.argv[2], 'rb').read()
sys.exit(0 if a.endswith(b) and a.startswith(b'Received: ') else 1)" "$f" "$SB/msg.mxf"
like "$(got mxf)" "BODY=8BITMIME" "BODY=8BITMIME passed on"

ok "4xx: delivered on a later attempt" wait_for 30 has tmp 'to=temp1-b@example.net'
like "$(log)" "to=<temp1-b@example.net> .*status=deferred dsn=4.3.0" "the 451 was deferred first"

dsn() { grep -qs 'Status: 5.1.1' "$(e2e_maildir alice@example.test)"/new/*; }
ok "5xx: a DSN reaches the sender" wait_for 30 dsn
like "$(log)" "to=<bad-c@example.net> .*status=bounced dsn=5.1.1" "the 550 bounced"

ok "STARTTLS: delivered" wait_for 20 has tls 'tls=yes'
wait_for 20 logs "to=<d@tls.test> relay=mx.tls.test\[10.77.0.3\]:25 .* tls=TLSv1\.[23] cipher=[^ ]+ verify=ok peer=tern[^ ]*server status=sent"
like "$(log)" "to=<d@tls.test> relay=mx.tls.test\[10.77.0.3\]:25 .* tls=TLSv1\.[23] cipher=[^ ]+ verify=ok peer=tern[^ ]*server status=sent" "TLS and a verified certificate logged"

both_lm() { has lm to=f@lmtp.test && has lm to=g@lmtp.test; }
ok "LMTP route: both recipients" wait_for 20 both_lm
wait_for 20 logs "to=<g@lmtp.test> relay=10.77.0.5\[10.77.0.5\]:24 .*status=sent"
like "$(log)" "to=<g@lmtp.test> relay=10.77.0.5\[10.77.0.5\]:24 .*status=sent" "LMTP relay logged"

two_dest() {
	n=$(grep -l '^X-Test-Id: two' "$SB/out"/*.eml 2>/dev/null | wc -l)
	[ "$n" = 2 ] && grep -qs 'to=n@tls.test' "$SB/out"/*.env &&
	    grep -l 'to=m@example.net' "$SB/out"/*.env | xargs grep -q 'to=o@example.net'
}
ok "one message, two destinations: one run each, recipients grouped" wait_for 20 two_dest
ok "no MX: the domain's address is used" wait_for 20 has nomx 'to=h@nomx.test'
ok "IPv6: delivered" wait_for 20 has six 'listen=\[fd77::2\]:25'
ok "no such domain: bounced" wait_for 20 logs 'to=<j@nosuch.test> .*status=bounced dsn=5.1.2'
ok "null MX (RFC 7505): bounced with 5.1.10" wait_for 20 logs 'to=<l@nullmx.test> .*status=bounced dsn=5.1.10'
ok "slow greeting: delivered in the end" wait_for 30 has slow 'to=k@slow.test'
ok "the best MX is this host: bounced with 5.4.6" wait_for 20 logs 'to=<p@loop.test> .*status=bounced dsn=5.4.6'
like "$(log)" "5\.4\.6 mail for loop\.test loops back to myself \(host mx\.loop\.test is this host\)" "the loop logged"
ok "a lower MX is this host, the better one down: deferred" wait_for 20 logs 'to=<q@backup.test> .*status=deferred dsn=4\.4\.1'
unlike "$(log)" "to=<q@backup.test> .*status=bounced" "and not bounced"

ok "must-tls: deferred" wait_for 20 logs 'to=<e@plain.test> .*status=deferred dsn=4.7.4'
twice() { test "$(grep -c 'tern-remote.*to=<e@plain.test> .*status=deferred' "$SB/run.log")" -ge 2; }
ok "must-tls: retried on the schedule" wait_for 20 twice
ok "must-tls: nothing sent in clear" test -z "$(got must)"
like "$(grep 'e@plain.test' "$SB/run.log" | head -1)" "TLS is required, but STARTTLS was not offered" "must-tls: the reason"
ok "per-destination slots are lock files under run_dir/remote" test -n "$(ls "$H/state/remote" 2>/dev/null)"
unlike "$(log)" "no per-destination limit" "the slots could be used"
unlike "$(log)" "Sanitizer|runtime error|signal=(SEGV|ABRT)" "no crash or sanitizer report"
done_testing
