#!/bin/sh
# A tern cluster in network namespaces joined by one bridge (t/netns.sh):
# two MX hosts, two storage hosts, a front end (tern-proxy), a submission
# host, dnsmasq serving the MX records, and an outside SMTP host
# (aiosmtpd).  Each host is its own tern, started by make run (mk/run.sh:
# own tern.conf, state folder, tern-supervise) with its role (TERN_ROLES)
# inside its namespace.  Accounts are split over the storage hosts by the
# accounts map's host= field and the routes map (MX and submission hosts
# relay by LMTP, the front end picks the backend).  The admin keeps the
# text maps and copies them to every host, which compiles its tier.
# Checks: mail from outside reaches each account through either MX; each
# account reads it over IMAP and POP3 through the front end; each account
# sends through submission to outside (by MX) and to an account on the
# other shard; a storage host stopped and restarted loses nothing (mail
# sent while it is down arrives after; the front end answers a temporary
# error meanwhile).  Needs root; every wait is bounded.
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (network namespaces)"
command -v dnsmasq >/dev/null 2>&1 || skip_all "no dnsmasq"
command -v setpriv >/dev/null 2>&1 || skip_all "no setpriv"
"$PY" -I -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
for p in tern-proxy tern-supervise tern-smtpd tern-qmgr tern-remote tern-local tern-imapd tern-pop3d tern-authd tern-maps tern-user; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
sandbox
T0=$(date +%s)
phase() { note "$1 at $(($(date +%s) - T0)) s"; }
. "$TERN_SRC/t/netns.sh"
ns_init tc

NET=10.88.0
IP_DNS=$NET.53; IP_OUT=$NET.90
IP_MX1=$NET.11; IP_MX2=$NET.12; IP_ST1=$NET.21; IP_ST2=$NET.22
IP_FRONT=$NET.31; IP_SUB=$NET.41
HOSTS="mx1 mx2 st1 st2 front sub"
ip_of() { eval "echo \$IP_$(echo "$1" | tr a-z A-Z)"; }
for h in dns out $HOSTS; do
	ns_host "$h" "$(ip_of "$h")" || skip_all "cannot make namespace $h"
	ns_resolver "$h" "$IP_DNS"
done

plan 50
CL=$SB/client.py
cp "$TERN_SRC/t/cluster/client.py" "$CL" && chmod 644 "$CL"
cl() { _h=$1; shift; ns_exec "$_h" "$PY" "$CL" "$@"; }
# q CMD ARGS...: queue a client command; qrun HOST: run the queue there
# (one Python start-up), the answers in $SB/r, one line each; res N.
q() { printf '%s\n' "$@" -- >>"$SB/q"; }
qrun() { ns_exec "$1" "$PY" "$CL" -f "$SB/q" >"$SB/r" 2>&1; rm -f "$SB/q"; }
res() { sed -n "${1}p" "$SB/r"; }

# --- DNS and the outside world --------------------------------------------
ns_exec dns dnsmasq --conf-file=/dev/null --no-resolv --no-hosts \
    --keep-in-foreground --bind-interfaces --listen-address="$IP_DNS" \
    --pid-file= --local=/test/ \
    --mx-host=a.test,mx1.clu.test,10 --mx-host=a.test,mx2.clu.test,20 \
    --mx-host=b.test,mx2.clu.test,10 --mx-host=b.test,mx1.clu.test,20 \
    --host-record=mx1.clu.test,$IP_MX1 --host-record=mx2.clu.test,$IP_MX2 \
    --host-record=st1.clu.test,$IP_ST1 --host-record=st2.clu.test,$IP_ST2 \
    --host-record=front.clu.test,$IP_FRONT --host-record=sub.clu.test,$IP_SUB \
    --mx-host=outside.test,mx.outside.test,10 \
    --host-record=mx.outside.test,$IP_OUT \
    >"$SB/dnsmasq.log" 2>&1 &
track $!
mkdir -p "$SB/out" && chmod 777 "$SB/out"
ns_exec out "$PY" "$TERN_SRC/t/remote/sink.py" "$SB/out" "$IP_OUT:25" \
    >"$SB/out.log" 2>&1 &
track $!
ok "the outside host's SMTP server starts" wait_for 20 grep -q ready "$SB/out.log"
ok "DNS answers in the hosts' namespaces" wait_for 10 ns_exec sub "$PY" -c "
import socket; socket.getaddrinfo('mx.outside.test', 25)"
q mx a.test; q mx b.test; qrun out
is "$(res 1)" "10 mx1.clu.test 20 mx2.clu.test" "DNS: a.test's MX records name both MX hosts"
is "$(res 2)" "10 mx2.clu.test 20 mx1.clu.test" "DNS: b.test prefers the other MX"

phase "the tern hosts"
# --- the tern hosts --------------------------------------------------------
# host_conf NAME ROLE: local.conf of a host (kept across restarts); the
# role goes to make run (TERN_ROLES), which starts that role's services.
host_conf() {
	mkdir -p "$SB/$1"
	echo "$2" >"$SB/$1.role"
	cat >"$SB/$1/local.conf" <<EOT
hostname = $1.clu.test
queue_retry_schedule = 2s 2s
remote_connect_timeout = 3s
remote_command_timeout = 20s
account_uid_min = 150000
account_uid_max = 150999
EOT
}
host_conf mx1 mx
host_conf mx2 mx
host_conf st1 storage
host_conf st2 storage
host_conf sub submission
host_conf front front
for h in st1 st2; do echo "login_trusted_proxies = $IP_FRONT/32" >>"$SB/$h/local.conf"; done
# The master secret, the same on the front end and the backends.
for h in front st1 st2; do
	(umask 077 && echo "cluster-master-secret-$$-0123456789" >"$SB/$h/proxy.secret")
done

# host_start NAME: mk/run.sh in the namespace, listening on the host's own
# address with the standard ports; waits for the banner.
host_launch() {
	: >"$SB/$1.log"
	( cd "$TERN_SRC" && TERN_HOME="$SB/$1" TERN_PORT_BASE=0 \
	    TERN_ROLES="$(cat "$SB/$1.role")" TERN_LISTEN="$(ip_of "$1")" exec ip netns exec "$NS_TAG-$1" \
	    sh mk/run.sh ) >>"$SB/$1.log" 2>&1 &
	eval "PID_$1=$!"
	track $!
}
host_wait() { wait_for 60 grep -q 'Ctrl-C stops everything' "$SB/$1.log"; }
host_start() { host_launch "$1" && host_wait "$1"; }
host_stop() {
	eval "_p=\$PID_$1"
	kill -TERM "$_p" 2>/dev/null
	wait_for 20 sh -c "! kill -0 $_p 2>/dev/null"
}
# up HOST PORT: something listens on the host's address.
up() {
	ns_exec "$1" "$PY" -c "import socket; socket.create_connection(('$(ip_of "$1")', $2), 1)"
}
not() { ! "$@"; }
hbin() { echo "$SB/$1/bin/$2"; }

# One certificate for every host (mk/run.sh would make an RSA key each).
mkdir -p "$SB/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -days 2 -subj "/CN=clu.test" -addext "subjectAltName=DNS:*.clu.test" \
    -keyout "$SB/tls/key.pem" -out "$SB/tls/cert.pem" >/dev/null 2>&1
for h in $HOSTS; do
	mkdir -p "$SB/$h/tls" && chmod 700 "$SB/$h/tls" &&
	    cp "$SB/tls/key.pem" "$SB/tls/cert.pem" "$SB/$h/tls/" &&
	    chmod 600 "$SB/$h/tls/key.pem"
done
# The first host alone (tern-setup may create the system users), then the
# other five at once.
started=0
host_start mx1 && started=1
for h in $HOSTS; do [ "$h" = mx1 ] || host_launch "$h"; done
for h in $HOSTS; do
	[ "$h" = mx1 ] || { host_wait "$h" && started=$((started + 1)); }
done
is "$started" 6 "six tern hosts start in their namespaces"

phase "accounts"
# --- accounts, sharded; the admin compiles and copies the maps ------------
A=$SB/admin
mkdir -p "$A"
cat >"$A/tern.conf" <<EOT
mail_dir = $A/mail
account_uid_min = 150000
account_uid_max = 150999
EOT
printf 'a.test local\nb.test local\n' >"$A/domains"
: >"$A/aliases"
: >"$A/routes"
ACCTS="alice@a.test:st1 bob@a.test:st2 carol@b.test:st1 dave@b.test:st2"
for x in $ACCTS; do
	a=${x%:*}; s=${x#*:}
	echo "pw-$a" | "$(hbin st1 tern-user)" -c "$A/tern.conf" add "$a" \
	    --password-stdin --host "$s.clu.test" >>"$SB/admin.log" 2>&1
	echo "$a lmtp:$(ip_of "$s"):24" >>"$A/routes"
done
mpids=""
for h in $HOSTS; do
	for m in accounts domains aliases routes; do
		cp "$A/$m" "$SB/$h/$m.new" && mv "$SB/$h/$m.new" "$SB/$h/$m"
	done
	( "$(hbin "$h" tern-maps)" -c "$SB/$h/tern.conf" -q >"$SB/maps.$h.log" 2>&1 &&
	    touch "$SB/maps.$h.ok" ) &
	mpids="$mpids $!"
done
for p in $mpids; do wait "$p"; done
compiled=$(ls "$SB"/maps.*.ok 2>/dev/null | wc -l | tr -d ' ')
is "$compiled" 6 "the maps compile on every host"
ok "the MX hosts' maps hold no password hash" not grep -aqs '[$]y[$]' "$SB"/mx1/*.cdb "$SB"/mx2/*.cdb
ok "the front end's maps hold them (it checks passwords)" grep -aqs '[$]y[$]' "$SB"/front/secrets.cdb
roles_ok() {
	grep -q '^roles = mx$' "$SB/mx1/tern.conf" && grep -q '^roles = storage$' "$SB/st1/tern.conf" &&
	    grep -q '^roles = front$' "$SB/front/tern.conf" && grep -q '^roles = submission$' "$SB/sub/tern.conf"
}
ok "each host runs its own role (make run, TERN_ROLES)" roles_ok
unlike "$(cat "$A/accounts")" "home=" "the accounts map holds no host-local path"

listening() {
	up mx1 25 && up mx2 25 && up st1 24 && up st1 993 && up st1 995 &&
	    up st2 24 && up st2 993 && up sub 465 && up front 993 && up front 995
}
ok "every service listens on its host's address" wait_for 20 listening

phase "inbound"
# --- inbound: outside -> each MX -> the account's storage host ------------
for x in $ACCTS; do
	for mx in mx1 mx2; do
		q smtp "$(ip_of $mx)" 25 sender@outside.test "${x%:*}" "in-$mx-${x%:*}"
	done
done
q smtp "$IP_MX1" 25 sender@outside.test nobody@a.test in-nobody
qrun out
is "$(head -8 "$SB/r" | grep -c '^250 ok$')" 8 "both MX hosts accept mail for every account"
like "$(res 9)" "^550" "an MX host rejects an unknown account during the dialogue"

# maildir_has HOST ADDRESS ID...: in the account's Maildir on that host.
maildir_has() {
	_h=$1; _a=$2; shift 2
	_m=$("$(hbin "$_h" tern-user)" -c "$SB/$_h/tern.conf" show "$_a" 2>/dev/null |
	    sed -n 's/^maildir: *//p' | head -1)
	[ -n "$_m" ] || return 1
	for _id in "$@"; do
		grep -lqs "^X-Test-Id: $_id" "$_m"/new/* "$_m"/cur/* || return 1
	done
}
shard_of() { for _x in $ACCTS; do [ "${_x%:*}" = "$1" ] && echo "${_x#*:}"; done; }
all_in() {
	for x in $ACCTS; do
		maildir_has "${x#*:}" "${x%:*}" "in-mx1-${x%:*}" "in-mx2-${x%:*}" || return 1
	done
}
ok "mail through either MX reaches every account on its shard" wait_for 40 all_in
misplaced() {
	for x in $ACCTS; do
		a=${x%:*}; s=${x#*:}
		o=st1; [ "$s" = st1 ] && o=st2
		maildir_has "$o" "$a" "in-mx1-$a" && return 0
	done
	return 1
}
ok "no message lands on the other storage host" not misplaced
# The relay logs "sent" after the storage host's 250, which follows the
# file in the Maildir: wait for the line too.
wait_for 20 grep -Eq "to=<bob@a.test> relay=$IP_ST2\[$IP_ST2\]:24 .*status=sent" "$SB/mx1.log"
like "$(cat "$SB/mx1.log")" "to=<bob@a.test> relay=$IP_ST2\[$IP_ST2\]:24 .*status=sent" "mx1 relays by LMTP to the account's storage host"

phase "reading"
# --- reading: IMAP and POP3 ------------------------------------------------
# Clients read through the front end (tern-proxy) only.
READ_VIA=proxy
reader() { echo front; }
for x in $ACCTS; do
	a=${x%:*}; h=$(reader "$a")
	q imap "$(ip_of "$h")" 993 "$a" "pw-$a" ssl
	q pop3 "$(ip_of "$h")" 995 "$a" "pw-$a" ssl
done
q imap "$(ip_of "$(reader alice@a.test)")" 993 alice@a.test wrong ssl
qrun out
imap_ok=0; pop_ok=0; i=0
for x in $ACCTS; do
	a=${x%:*}; i=$((i + 2))
	[ "$(res $((i - 1)))" = "in-mx1-$a in-mx2-$a" ] && imap_ok=$((imap_ok + 1)) || diag "imap $a: $(res $((i - 1)))"
	[ "$(res $i)" = "in-mx1-$a in-mx2-$a" ] && pop_ok=$((pop_ok + 1)) || diag "pop3 $a: $(res $i)"
done
is "$imap_ok" 4 "every account reads its two messages over IMAP ($READ_VIA)"
is "$pop_ok" 4 "every account reads its two messages over POP3 ($READ_VIA)"
like "$(res 9)" "^ERR" "a wrong password is refused"
like "$(cat "$SB/front.log")" "login user=bob@a.test .*backend=$IP_ST2:143" "the front end sends bob to st2"
like "$(cat "$SB/front.log")" "login user=carol@b.test .*backend=$IP_ST1:143" "the front end sends carol to st1"

phase "sending through"
# --- sending through the submission host ----------------------------------
peer() { case $1 in alice@a.test) echo bob@a.test ;; bob@a.test) echo alice@a.test ;;
	carol@b.test) echo dave@b.test ;; dave@b.test) echo carol@b.test ;; esac; }
for x in $ACCTS; do
	a=${x%:*}
	q submit "$IP_SUB" 465 "$a" "pw-$a" "$a" "friend@outside.test" "out-$a"
	q submit "$IP_SUB" 465 "$a" "pw-$a" "$a" "$(peer "$a")" "sub-$a"
done
q submit "$IP_SUB" 465 alice@a.test wrong alice@a.test x@outside.test bad
qrun out
is "$(head -8 "$SB/r" | grep -c '^250 ok$')" 8 "the submission host accepts each account's two messages"
like "$(res 9)" "^ERR.*(535|Authentication)" "submission refuses a wrong password"
outside_all() {
	for x in $ACCTS; do
		grep -lqs "^X-Test-Id: out-${x%:*}" "$SB/out"/*.eml || return 1
	done
}
ok "mail to outside arrives by MX at the outside host" wait_for 40 outside_all
wait_for 20 grep -Eq "to=<friend@outside.test> relay=mx.outside.test\[$IP_OUT\]:25 .*status=sent" "$SB/sub.log"
like "$(cat "$SB/sub.log")" "to=<friend@outside.test> relay=mx.outside.test\[$IP_OUT\]:25 .*status=sent" "the submission host used the outside domain's MX"
peers_all() {
	for x in $ACCTS; do
		a=${x%:*}; p=$(peer "$a")
		maildir_has "$(shard_of "$p")" "$p" "sub-$a" || return 1
	done
}
ok "mail to an account on the other shard arrives on its storage host" wait_for 40 peers_all
r=$(cl out imap "$(ip_of "$(reader bob@a.test)")" 993 bob@a.test pw-bob@a.test ssl)
like "$r" "sub-alice@a.test" "bob reads alice's message over IMAP"

phase "a storage host stopped"
# --- a storage host stopped and restarted ---------------------------------
ok "st2 stops" host_stop st2
ok "st2 no longer answers" not up st2 24
for a in bob@a.test dave@b.test; do
	for mx in mx1 mx2; do
		q smtp "$(ip_of $mx)" 25 sender@outside.test "$a" "down-$mx-$a"
	done
done
q submit "$IP_SUB" 465 alice@a.test pw-alice@a.test alice@a.test bob@a.test down-sub
q imap "$IP_FRONT" 993 bob@a.test pw-bob@a.test ssl
q pop3 "$IP_FRONT" 995 bob@a.test pw-bob@a.test ssl
q imap "$IP_FRONT" 993 alice@a.test pw-alice@a.test ssl
qrun out
is "$(head -5 "$SB/r" | grep -c '^250 ok$')" 5 "mail for st2's accounts is accepted while st2 is down"
like "$(res 6)" "UNAVAILABLE" "IMAP through the proxy: a temporary error while st2 is down"
like "$(res 7)" "SYS/TEMP" "POP3 through the proxy: a temporary error while st2 is down"
like "$(res 8)" "in-mx1-alice@a.test" "accounts on st1 still read through the proxy"
deferred() { grep -q "to=<bob@a.test> relay=.*status=deferred" "$SB/mx1.log"; }
ok "the MX host defers it (queued, not bounced)" wait_for 30 deferred
ok "st2 restarts" host_start st2
ok "st2 listens again" wait_for 20 up st2 24
drained() {
	maildir_has st2 bob@a.test down-mx1-bob@a.test down-mx2-bob@a.test down-sub &&
	    maildir_has st2 dave@b.test down-mx1-dave@b.test down-mx2-dave@b.test
}
ok "everything sent while st2 was down arrives after it returns" wait_for 40 drained
r=$(cl out imap "$(ip_of "$(reader bob@a.test)")" 993 bob@a.test pw-bob@a.test ssl)
like "$r" "down-mx1-bob@a.test down-mx2-bob@a.test down-sub( |$)" "bob reads them over IMAP ($READ_VIA)"
phase "moving an account"
# --- carol moves from st1 to st2 while mail for her keeps arriving -------
# tern-user move runs on her storage host; publishing the maps is the
# admin's copy of st1's text maps to every host (one file system here),
# and the copy goes into st2's tern-user receive (no ssh needed).
MOVE=""
grep -aq move_command "$TERN_BINDIR/tern-conf" && MOVE=1
if [ -n "$MOVE" ]; then
	cat >"$SB/publish.sh" <<EOT
#!/bin/sh
for h in mx1 mx2 st2 front sub; do
	for m in accounts domains aliases routes; do
		cp "$SB/st1/\$m" "$SB/\$h/\$m.new" && mv "$SB/\$h/\$m.new" "$SB/\$h/\$m" || exit 1
	done
	"$SB/\$h/bin/tern-maps" -c "$SB/\$h/tern.conf" -q || exit 1
done
EOT
	chmod 755 "$SB/publish.sh"
	cat >>"$SB/st1/local.conf" <<EOT
move_command = $SB/st2/bin/tern-user -c $SB/st2/tern.conf receive %a
maps_publish_command = $SB/publish.sh
EOT
	before=$(cl out imapuids "$IP_FRONT" 993 carol@b.test pw-carol@b.test)
	ns_exec out "$PY" "$CL" trickle "$IP_MX1,$IP_MX2" 25 sender@outside.test \
	    carol@b.test mv "$SB/mv.stop" "$SB/mv.log" 150 >"$SB/mv.out" 2>&1 &
	track $!
	sent_at_least() { [ "$(wc -l <"$SB/mv.log" 2>/dev/null || echo 0)" -ge "$1" ]; }
	wait_for 30 sent_at_least 3
	move() {
		ns_exec st1 timeout 150 "$(hbin st1 tern-user)" -c "$SB/st1/tern.conf" \
		    move carol@b.test st2.clu.test --route "lmtp:$IP_ST2:24" >"$SB/move.log" 2>&1
	}
	ok "tern-user move carol@b.test to st2 while mail arrives" move
	n0=$(wc -l <"$SB/mv.log")
	wait_for 30 sent_at_least $((n0 + 3))
	touch "$SB/mv.stop"
	wait_for 30 test -s "$SB/mv.out"
	like "$(cat "$SB/mv.out")" "tried=([0-9]+) ok=\1$" "the MX hosts accepted every message during the move"
	ids=$(sed -n 's/ 250 ok$//p' "$SB/mv.log")
	md2() { "$(hbin st2 tern-user)" -c "$SB/st2/tern.conf" show carol@b.test | sed -n 's/^maildir: *//p'; }
	once_on_st2() {
		_m=$(md2)
		for _id in $ids; do
			[ "$(grep -ls "^X-Test-Id: $_id[[:space:]]*\$" "$_m"/new/* "$_m"/cur/* | wc -l)" = 1 ] || return 1
		done
	}
	ok "every message sent during the move is on st2, exactly once" wait_for 60 once_on_st2
	like "$(grep carol "$SB/st1.log")" "to=<carol@b.test> .*4\.2\.1" "deliveries during the move were deferred (4.2.1), not bounced"
	like "$(grep '^carol@b.test' "$SB/mx1/accounts")" "host=st2.clu.test" "the MX hosts got the new maps"
	after=$(cl out imapuids "$IP_FRONT" 993 carol@b.test pw-carol@b.test)
	kept() { case $after in "$before"*) return 0 ;; esac; return 1; }
	ok "UIDVALIDITY and UIDs survive the move (IMAP through the proxy)" kept
	like "$after" "in-mx1-carol@b.test" "the old mail moved too"
	like "$(cat "$SB/front.log")" "login user=carol@b.test .*backend=$IP_ST2:143" "the front end now sends carol to st2"
else
	for i in 1 2 3 4 5 6 7 8; do skip "tern-user move is not in this build"; done
fi

phase "the queues"
queues_empty() {
	for h in mx1 mx2 sub st1; do
		[ -z "$(find "$SB/$h/queue/env" -type f 2>/dev/null | head -1)" ] || return 1
	done
}
ok "the MX, submission and storage queues drain" wait_for 60 queues_empty
unlike "$(cat "$SB"/mx1.log "$SB"/mx2.log "$SB"/sub.log "$SB"/st1.log)" "status=bounced" "nothing bounced"
ok "no bounce reached the outside sender" not grep -lqs "^To: .*sender@outside.test" "$SB"/out/*.eml

phase "end"
unlike "$(cat "$SB"/*.log)" "Sanitizer|runtime error|signal=(SEGV|ABRT|BUS|ILL)" "no crash or sanitizer report on any host"
done_testing
