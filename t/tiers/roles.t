#!/bin/sh
# Roles per host (issue 8): make run with TERN_ROLES starts exactly the
# services of each role (ports listening, daemons running under the
# supervisor); tern-conf and tern-supervise refuse a tern.conf whose
# services contradict its roles, naming the service and the role.
. "${TERN_SRC:-.}/t/lib.sh"
for p in tern-supervise tern-user tern-maps tern-conf tern-smtpd tern-qmgr \
    tern-lspawn tern-authd tern-imapd tern-pop3d tern-proxy; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"
sandbox
plan 50

base=$(free_base)

# port of each tcp service in make run
port_of() {
	case $1 in
	smtp) echo $((base + 25)) ;; submission) echo $((base + 587)) ;;
	submissions) echo $((base + 465)) ;; lmtp) echo $((base + 24)) ;;
	imap) echo $((base + 143)) ;; imaps) echo $((base + 993)) ;;
	pop3) echo $((base + 110)) ;; pop3s) echo $((base + 995)) ;;
	esac
}
listening() {
	"$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)"
}
# As root, make run adds the remote delivery service (tern-remote -S).
RM=""
[ "$(id -u)" = 0 ] && RM=" remote"
ALLSVC="smtp submission submissions lmtp imap imaps pop3 pop3s qmgr enqueue$RM lspawn authd"

# run_role ROLES EXPECTED: one make run with TERN_ROLES=ROLES.
run_role() {
	roles=$1 want=$2
	( cd "$TERN_SRC" && TERN_HOME="$SB/home" TERN_PORT_BASE=$base \
	    TERN_ROLES="$roles" exec sh mk/run.sh ) >"$SB/run-$roles.log" 2>&1 &
	runpid=$!
	track $runpid
	ok "roles=$roles: make run starts" wait_for 30 grep -q 'Ctrl-C stops everything' "$SB/run-$roles.log"
	got=$("$TERN_BINDIR/tern-conf" -c "$SB/home/tern.conf" -h services | tr -s ' ' | sed 's/ $//')
	is "$got" "$want" "roles=$roles: services = $want"
	bad=""
	for s in $want; do
		p=$(port_of "$s")
		if [ -n "$p" ]; then
			wait_port "$p" || bad="$bad $s"
		else
			wait_for 10 pgrep -P "$runpid" -f "tern-$s" || bad="$bad $s"
		fi
	done
	is "$bad" "" "roles=$roles: every service of the role runs"
	extra=""
	for s in $ALLSVC; do
		case " $want " in *" $s "*) continue ;; esac
		p=$(port_of "$s")
		if [ -n "$p" ]; then
			listening "$p" 2>/dev/null && extra="$extra $s"
		else
			pgrep -P "$runpid" -f "tern-$s" >/dev/null && extra="$extra $s"
		fi
	done
	is "$extra" "" "roles=$roles: no service of another role runs"
	kill -TERM $runpid
	ok "roles=$roles: stops" wait_for 15 sh -c "! kill -0 $runpid 2>/dev/null"
}

run_role mx "smtp qmgr enqueue$RM"
ok "mx: no secrets.cdb (the mx tier holds no hashes)" test ! -e "$SB/home/secrets.cdb"
run_role storage "lmtp imap imaps pop3 pop3s qmgr enqueue$RM lspawn authd"
run_role front "authd imap imaps pop3 pop3s"
run_role submission "submission submissions qmgr enqueue$RM authd"
run_role all "$ALLSVC"
run_role "mx,storage" "smtp lmtp imap imaps pop3 pop3s qmgr enqueue$RM lspawn authd"

# --- tern-conf: contradictions refused ------------------------------------
TC=$TERN_BINDIR/tern-conf
SV=$TERN_BINDIR/tern-supervise
mkdir "$SB/c"
defs() {
	cat <<CONF
run_dir = $SB/c
smtp.program = tern-smtpd
smtp.args = -m smtp
lmtp.program = tern-smtpd
lmtp.args = -m lmtp
sub.program = tern-smtpd
sub.args = -msubmission
imap.program = /usr/sbin/tern-imapd
pop3.program = tern-pop3d
qmgr.program = tern-qmgr
qmgr.type = daemon
lspawn.program = tern-lspawn
lspawn.type = daemon
authd.program = tern-authd
authd.type = daemon
proxy.program = tern-proxy
other.program = /bin/true
other.type = daemon
CONF
}
# check ROLES SERVICES: tern-conf's exit code and stderr into rc / err
check() {
	{ defs; echo "roles = $1"; echo "services = $2"; } >"$SB/c/tern.conf"
	"$TC" -c "$SB/c/tern.conf" >/dev/null 2>"$SB/c/err"; rc=$?
	err=$(cat "$SB/c/err")
}
check mx "smtp qmgr other"
is "$rc" 0 "mx: smtp qmgr and a foreign program are accepted"
check mx "smtp qmgr authd"
is "$rc" 100 "mx with authd is refused"
is "$err" "$SB/c/tern.conf:20: services: 'authd' runs tern-authd (the password checker: the mx tier holds no hashes), a service of the storage front submission roles; roles = mx does not include any of them" "the message names the service, what it is and the roles"
check mx "smtp imap lspawn"
is "$rc" 100 "mx with imap and lspawn is refused"
is "$(grep -c 'does not include' "$SB/c/err")" 2 "one message per contradicting service"
like "$err" "'imap' runs /usr/sbin/tern-imapd \(the IMAP backend\), a service of the storage role; roles = mx does not include it" "imap: storage only"
check storage "lmtp smtp imap pop3 qmgr lspawn authd"
is "$rc" 0 "storage: lmtp, smtp, imap, pop3, qmgr, lspawn, authd accepted"
check storage "lmtp sub"
is "$rc" 100 "storage with submission is refused"
like "$err" "'sub' runs tern-smtpd \(submission \(587\)\), a service of the submission role" "submission found by -m in one word"
check storage "lmtp proxy"
is "$rc" 100 "storage with tern-proxy is refused"
check front "proxy authd"
is "$rc" 0 "front: proxy and authd"
check front "proxy qmgr"
is "$rc" 100 "front with qmgr is refused"
check submission "sub qmgr authd"
is "$rc" 0 "submission: submission, qmgr, authd"
check submission "sub smtp"
is "$rc" 100 "submission with smtp on 25 is refused"
check "mx submission" "smtp sub qmgr authd"
is "$rc" 0 "two roles: the union of their services"
check all "smtp lmtp sub imap pop3 qmgr lspawn authd proxy"
is "$rc" 0 "all: everything"
{ defs; echo "roles = mx"; echo "services = smtp imap"; echo "imap.enable = no"; } >"$SB/c/tern.conf"
ok "a disabled service does not count" "$TC" -c "$SB/c/tern.conf"

# --- tern-supervise refuses too -----------------------------------------
check mx "smtp imap"
"$SV" -c "$SB/c/tern.conf" -d >/dev/null 2>"$SB/c/sverr" </dev/null; rc=$?
is "$rc" 100 "tern-supervise refuses roles = mx with imap"
like "$(cat "$SB/c/sverr")" "'imap' runs /usr/sbin/tern-imapd \(the IMAP backend\).*roles = mx does not include it" "and says why"
done_testing
