# bench/mailbench.sh - what bench/pop3 and bench/imap share (sourced, bash):
# Dovecot from Debian (installed without starting its service), private
# Dovecot instances ("stock" and "fast"), a tern home made by mk/run.sh,
# the accounts (same passwords and hashes on every system), copies of the
# same Maildirs, cgroup CPU accounting, PSS memory of a process tree.
#
# The caller sets BENCH (its name, for messages), src (the checkout), PROTO
# (pop3 or imap), and then calls, in order: mb_install, mb_workdir,
# mb_accounts N, (fills $W/tmpl/ADDRESS/{cur,new,tmp}), mb_start_all.
# Every system is a name in SYSTEMS: dovecot-stock dovecot-fast tern.

PY=/usr/bin/python3
say() { printf '%s: %s\n' "$BENCH" "$*"; }
die() { say "$*" >&2; exit 1; }
now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
DOMAIN=bench.test
declare -A CG PID_OF PORT_OF TLSPORT_OF
CG_KIND=""
W=""
ok=0
TERN_FAIL=""

# --- Dovecot from Debian ---------------------------------------------------------
mb_install() {
	if [ -x /usr/sbin/dovecot ] && [ -x /usr/lib/dovecot/pop3 ] &&
	    [ -x /usr/lib/dovecot/imap ]; then
		return 0
	fi
	say "installing dovecot-pop3d and dovecot-imapd (no service started)"
	local made_policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		made_policy=1
	fi
	local rc=0
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	    --no-install-recommends dovecot-pop3d dovecot-imapd >/dev/null || rc=$?
	if [ -n "$made_policy" ]; then rm -f /usr/sbin/policy-rc.d; fi
	[ "$rc" = 0 ] || die "apt-get install dovecot failed ($rc)"
}

# --- work folder, cleanup ----------------------------------------------------------
mb_cleanup() {
	set +e
	local s
	for s in $ALL_SYSTEMS; do mb_stop "$s"; done
	for s in $ALL_SYSTEMS; do
		[ -n "${CG[$s]:-}" ] && rmdir "${CG[$s]}" 2>/dev/null
	done
	if [ -n "$W" ]; then
		if [ "$ok" = 1 ] && [ -z "${KEEP:-}" ]; then rm -rf "$W"
		else say "kept the work folder (logs): $W" >&2; fi
	fi
}
mb_workdir() {
	W=$(mktemp -d "/var/tmp/tern-bench-$PROTO.XXXXXX")
	chmod 755 "$W"
	mkdir -p "$W/tls" "$W/tmpl"
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=localhost \
	    -keyout "$W/tls/key.pem" -out "$W/tls/cert.pem" >/dev/null 2>&1 ||
	    die "openssl req failed"
	chmod 600 "$W/tls/key.pem"
}

# --- cgroups (as bench/smtp) ----------------------------------------------------------
cg_setup() {
	local name=$1 base
	if [ -w /sys/fs/cgroup/cpuacct ] && [ -f /sys/fs/cgroup/cpuacct/cpuacct.usage ]; then
		CG_KIND=v1; base=/sys/fs/cgroup/cpuacct
	elif [ -f /sys/fs/cgroup/cgroup.controllers ]; then
		CG_KIND=v2; base=/sys/fs/cgroup
	else
		CG_KIND=proc; CG[$name]=""; return 0
	fi
	CG[$name]=$base/tern-bench-$PROTO-$name-$$
	mkdir "${CG[$name]}" || { CG_KIND=proc; CG[$name]=""; }
	if [ "$CG_KIND" = v2 ] && [ ! -f "${CG[$name]}/cpu.stat" ]; then
		rmdir "${CG[$name]}"; CG_KIND=proc; CG[$name]=""
	fi
}
cg_enter() {
	[ -n "${CG[$1]:-}" ] || return 0
	echo "$BASHPID" >"${CG[$1]}/cgroup.procs"
}
cpu_ns() {
	local g=${CG[$1]:-}
	case $CG_KIND in
	v1) cat "$g/cpuacct.usage" ;;
	v2) awk '$1 == "usage_usec" { printf "%.0f\n", $2 * 1000 }' "$g/cpu.stat" ;;
	*) awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" {
		printf "%.0f\n", ($2 + $3 + $4 + $7 + $8) * 1e9 / hz }' /proc/stat ;;
	esac
}
cgnote() {
	case $CG_KIND in
	v1) echo "cgroup v1 cpuacct (cpuacct.usage)" ;;
	v2) echo "cgroup v2 cpu.stat usage_usec" ;;
	*) echo "/proc/stat totals of the whole machine (no usable cgroup)" ;;
	esac
}

free_port() {
	"$PY" - <<'PY'
import random, socket
for _ in range(200):
    p = random.randrange(20000, 60000)
    try:
        s = socket.socket(); s.bind(("127.0.0.1", p)); s.close(); print(p); break
    except OSError:
        pass
PY
}
wait_port() {	# wait_port PORT: up to 10 s
	local i
	for i in $(seq 1 100); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# --- accounts: the same passwords and SHA512-CRYPT hashes everywhere ---------------
# $W/users: "address password" lines; $W/hashes: "address hash".
mb_accounts() {	# mb_accounts COUNT [PREFIX]
	"$PY" -W ignore::DeprecationWarning - "$1" "${2:-bench}" "$DOMAIN" "$W" <<'PY'
import crypt, os, sys
n, prefix, dom, w = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
with open(w + "/users", "a") as u, open(w + "/hashes", "a") as h:
    for i in range(1, n + 1):
        a = "%s%d@%s" % (prefix, i, dom)
        pw = os.urandom(9).hex()
        u.write("%s %s\n" % (a, pw))
        h.write("%s %s\n" % (a, crypt.crypt(pw, crypt.mksalt(crypt.METHOD_SHA512))))
PY
}

# --- Dovecot ----------------------------------------------------------------------------
# mb_dovecot MODE (stock|fast): a private instance in $W/MODE with a copy of
# $W/tmpl as its mail, owned by nobody.
mb_dovecot() {
	local mode=$1 sys=dovecot-$1 d=$W/dovecot-$1 port tport vuid vgid
	vuid=$(id -u nobody); vgid=$(id -g nobody)
	port=$(free_port); tport=$(free_port)
	PORT_OF[$sys]=$port; TLSPORT_OF[$sys]=$tport
	mkdir -p "$d/run" "$d/state"
	cp -a "$W/tmpl" "$d/mail"
	# Files linked into many accounts (bench/imap) stay root's, 0644.
	find "$d/mail" \( -type d -o -links 1 \) -exec chown "$vuid:$vgid" {} +
	awk -v d="$d" -v u="$vuid" -v g="$vgid" '{
	    printf "%s:{SHA512-CRYPT}%s:%s:%s::%s/mail/%s::\n", $1, $2, u, g, d, $1 }' \
	    "$W/hashes" >"$d/passwd"
	chmod 640 "$d/passwd"; chown root:dovecot "$d/passwd"
	local login_svc mail_svc
	if [ "$mode" = fast ]; then
		# doc.dovecot.org, "Login processes": high-performance mode:
		# login processes serve many connections (service_count = 0)
		# with process_min_avail = number of cores; mail processes are
		# reused for further sessions (service_count = 100, as the
		# "Service configuration" page describes for imap/pop3).
		login_svc="service_count = 0
  process_min_avail = $(nproc)
  client_limit = 1000
  vsz_limit = 1G"
		mail_svc="service_count = 100
  process_min_avail = $(nproc)"
	else
		login_svc="# stock: service_count = 1 (one login process per connection)"
		mail_svc="# stock: one mail process per session"
	fi
	cat >"$d/dovecot.conf" <<EOF
# $BENCH: a private Dovecot instance ($mode), 127.0.0.1 only.
instance_name = tern-bench-$PROTO-$mode-$$
base_dir = $d/run
state_dir = $d/state
listen = 127.0.0.1
protocols = $PROTO
log_path = $d/log
info_log_path = $d/log
ssl = yes
ssl_cert = <$W/tls/cert.pem
ssl_key = <$W/tls/key.pem
ssl_min_protocol = TLSv1.2
# Plain passwords from 127.0.0.1 as tern's login_plaintext_networks allows.
disable_plaintext_auth = no
auth_mechanisms = plain
passdb {
  driver = passwd-file
  args = $d/passwd
}
userdb {
  driver = passwd-file
  args = $d/passwd
}
mail_location = maildir:~
first_valid_uid = 1
# Limits raised so they never throttle the benchmark (defaults 100 / 1000).
default_process_limit = 5000
default_client_limit = 20000
mail_max_userip_connections = 10000
service anvil {
  client_limit = 20000
}
service auth {
  client_limit = 20000
}
service $PROTO-login {
  inet_listener $PROTO {
    address = 127.0.0.1
    port = $port
  }
  inet_listener ${PROTO}s {
    address = 127.0.0.1
    port = $tport
    ssl = yes
  }
  $login_svc
}
service $PROTO {
  # Built-in default 1024 (not default_process_limit).
  process_limit = 5000
  $mail_svc
}
service stats {
  client_limit = 20000
}
EOF
	doveconf -c "$d/dovecot.conf" -n >"$d/doveconf.out" 2>&1 ||
	    { cat "$d/doveconf.out" >&2; die "doveconf rejects $d/dovecot.conf"; }
	( cg_enter "$sys"; ulimit -n "$(ulimit -Hn)"; exec dovecot -F -c "$d/dovecot.conf" ) \
	    >"$d/stderr" 2>&1 &
	PID_OF[$sys]=$!
	wait_port "$port" || die "Dovecot ($mode) does not listen on 127.0.0.1:$port: $(tail -3 "$d/log" "$d/stderr" 2>/dev/null)"
	say "Dovecot $(dovecot --version | cut -d' ' -f1) ($mode) on 127.0.0.1:$port and :$tport (master pid ${PID_OF[$sys]})"
}

# --- tern ------------------------------------------------------------------------------
TH=""
TBIN=""
mb_tern() {
	TH=$W/tern
	local base conf a h uid home
	base=$("$PY" - <<'PY'
import random, socket
for _ in range(200):
    b = random.randrange(20000, 60000, 1000)
    try:
        for p in (24, 25, 110, 143, 465, 587, 993, 995):
            s = socket.socket(); s.bind(("127.0.0.1", b + p)); s.close()
        print(b); break
    except OSError:
        pass
PY
)
	if [ "$PROTO" = pop3 ]; then
		PORT_OF[tern]=$((base + 110)); TLSPORT_OF[tern]=$((base + 995))
	else
		PORT_OF[tern]=$((base + 143)); TLSPORT_OF[tern]=$((base + 993))
	fi
	mkdir -p "$TH/tls"
	cp "$W/tls/cert.pem" "$W/tls/key.pem" "$TH/tls/"
	start_tern_run "$base" 1 || return 1
	stop_tern
	conf=$TH/tern.conf
	TBIN=$TH/bin
	grep -q "^$DOMAIN" "$TH/domains" 2>/dev/null || echo "$DOMAIN local" >>"$TH/domains"
	{
		echo "# $BENCH: limits raised so they never throttle the benchmark"
		for s in pop3 pop3s imap imaps; do
			echo "$s.max_connections = 5000"
			echo "$s.max_per_ip = 5000"
		done
		echo "auth_max_clients = 4096"
	} >>"$TH/local.conf"
	# The accounts, with the hashes Dovecot got (tern-user add --hash).
	say "tern: adding $(wc -l <"$W/hashes") accounts with tern-user"
	while read -r a h; do
		"$TBIN/tern-user" -c "$conf" add "$a" --hash "$h" >>"$TH/setup.log" 2>&1 ||
		    { tern_fail "tern-user add $a failed: $(tail -1 "$TH/setup.log")"; return 1; }
	done <"$W/hashes"
	"$TBIN/tern-maps" -c "$conf" >>"$TH/setup.log" 2>&1 ||
	    { tern_fail "tern-maps failed: $(tail -1 "$TH/setup.log")"; return 1; }
	# The same mail into each account's Maildir, owned by its uid (the
	# Maildir from tern-user add's "added ADDRESS uid=N maildir=PATH").
	declare -A HOME_OF
	while read -r w1 a w3 w4; do
		[ "$w1" = added ] && HOME_OF[$a]=${w4#maildir=}
	done <"$TH/setup.log"
	while read -r a h; do
		home=${HOME_OF[$a]:-}
		[ -n "$home" ] || home=$(tern_home "$a")
		[ -n "$home" ] && [ -d "$home" ] ||
		    { tern_fail "no Maildir for $a (tern-user show: $home)"; return 1; }
		uid=$(stat -c %u "$home")
		cp -a "$W/tmpl/$a/." "$home/"
		find "$home" \( -type d -o -links 1 \) -exec chown "$uid:$uid" {} +
		chmod 700 "$home"
	done <"$W/hashes"
	start_tern_run "$base" 2 || return 1
	grep -q "^$PROTO.program" "$conf" ||
	    { tern_fail "this build has no tern-${PROTO}d (no $PROTO service in tern.conf)"; return 1; }
	wait_port "${PORT_OF[tern]}" ||
	    { tern_fail "tern does not listen on 127.0.0.1:${PORT_OF[tern]}"; return 1; }
	say "tern on 127.0.0.1:${PORT_OF[tern]} and :${TLSPORT_OF[tern]} (supervisor pid ${PID_OF[tern]})"
}
tern_home() {	# the Maildir of an account, from tern-user show
	"$TBIN/tern-user" -c "$TH/tern.conf" show "$1" 2>/dev/null |
	    sed -n "s/^maildir: //p" | head -1
}
start_tern_run() {	# start_tern_run PORTBASE N
	( cg_enter tern; cd "$src" && TERN_HOME="$TH" TERN_PORT_BASE=$1 \
	    exec sh mk/run.sh ) >>"$TH/log" 2>&1 &
	PID_OF[tern]=$!
	local i
	for i in $(seq 1 300); do
		[ "$(grep -c 'Ctrl-C stops everything' "$TH/log" 2>/dev/null)" -ge "$2" ] && return 0
		kill -0 "${PID_OF[tern]}" 2>/dev/null ||
		    { tern_fail "make run (mk/run.sh) failed: $(tail -1 "$TH/log")"; return 1; }
		sleep 0.1
	done
	tern_fail "make run did not start within 30 s: $(tail -1 "$TH/log")"
	return 1
}
tern_fail() { TERN_FAIL=$*; say "$*" >&2; }
stop_tern() {
	[ -n "${PID_OF[tern]:-}" ] || return 0
	kill -TERM "${PID_OF[tern]}" 2>/dev/null || true
	local i
	for i in $(seq 1 150); do
		kill -0 "${PID_OF[tern]}" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "${PID_OF[tern]}" 2>/dev/null; then
		say "tern-supervise did not stop within 15 s; killing it" >&2
		kill -KILL "${PID_OF[tern]}" 2>/dev/null || true
	fi
	wait "${PID_OF[tern]}" 2>/dev/null || true
	PID_OF[tern]=""
}
mb_stop() {	# mb_stop SYS
	local p=${PID_OF[$1]:-} i
	[ -n "$p" ] || return 0
	if [ "$1" = tern ]; then stop_tern; return 0; fi
	kill -TERM "$p" 2>/dev/null || true
	for i in $(seq 1 100); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$p" 2>/dev/null && kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null || true
	PID_OF[$1]=""
}

# --- memory -------------------------------------------------------------------------------
tree_pids() {	# tree_pids PID: PID and all its descendants
	ps -e -o pid=,ppid= | awk -v root="$1" '
	    { kids[$2] = kids[$2] " " $1 }
	    END { n = split(root, q, " "); out = ""
		while (n > 0) { p = q[n--]; out = out " " p
		    m = split(kids[p], k, " "); for (i = 1; i <= m; i++) q[++n] = k[i] }
		print out }'
}
pss_kib() {	# pss_kib PID: total PSS (KiB) and process count of the tree
	local p total=0 n=0 v
	for p in $(tree_pids "$1"); do
		v=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null) || continue
		[ -n "$v" ] || continue
		total=$((total + v)); n=$((n + 1))
	done
	echo "$total $n"
}

# --- one driver run ----------------------------------------------------------------------
# drive SYS ARGS...: runs mailclient.py (accounts from MB_USERS, default
# $W/users) against SYS's plain port (--tls:
# its TLS port), measures the system's CPU; prints the JSON with cpu_ns.
drive() {
	local sys=$1 c0 c1 out port=${PORT_OF[$1]} a
	shift
	for a in "$@"; do [ "$a" = --tls ] && port=${TLSPORT_OF[$sys]}; done
	c0=$(cpu_ns "$sys")
	out=$(timeout "$ROW_LIMIT" "$PY" "$src/bench/mailclient.py" "$PROTO" "$@" \
	    --port "$port" --users "${MB_USERS:-$W/users}" --limit $((ROW_LIMIT * 3 / 4)) 2>>"$W/driver.err") ||
	    out="{\"ok\": 0, \"err\": 1, \"error\": \"driver failed or timed out (exit $?)\", \"secs\": 0}"
	c1=$(cpu_ns "$sys")
	printf '%s\n' "$out" | "$PY" -c '
import json, sys
d = json.loads(sys.stdin.read() or "{}")
d["cpu_ns"] = int(sys.argv[1]) - int(sys.argv[2])
print(json.dumps(d))' "$c1" "$c0"
}
jget() {	# jget JSON EXPR: a Python expression over d (the JSON)
	"$PY" -c '
import json, sys
d = json.loads(sys.argv[1])
try:
    v = eval(sys.argv[2])
except Exception:
    v = "-"
print(v)' "$1" "$2"
}

# hold SYS COUNT [PAR]: opens COUNT idle sessions; prints
#   "sessions errors pss_before_kib pss_after_kib procs_before procs_after error"
hold() {
	local sys=$1 k=$2 par=${3:-50} root=${PID_OF[$1]} before after hp i line=""
	sleep 2
	before=$(pss_kib "$root")
	"$PY" "$src/bench/mailclient.py" "$PROTO" hold --port "${PORT_OF[$sys]}" \
	    --users "${MB_USERS:-$W/users}" --count "$k" --par "$par" --limit "$ROW_LIMIT" \
	    --hold-secs "$ROW_LIMIT" >"$W/hold-$sys.out" 2>>"$W/driver.err" &
	hp=$!
	for ((i = 0; i < ROW_LIMIT * 10; i++)); do
		line=$(grep '^READY' "$W/hold-$sys.out" 2>/dev/null || true)
		[ -n "$line" ] && break
		kill -0 "$hp" 2>/dev/null || break
		sleep 0.1
	done
	sleep 2
	after=$(pss_kib "$root")
	kill -TERM "$hp" 2>/dev/null || true
	wait "$hp" 2>/dev/null || true
	[ -n "$line" ] || line="READY 0 $k \"the driver did not get ready\""
	set -- $line
	local err_text=${*:4}
	# Let the server reap the sessions before the next row.
	sleep 3
	echo "$2 $3 ${before% *} ${after% *} ${before#* } ${after#* } $err_text"
}

# tern_breakdown: where tern's CPU went over the whole run, from /proc
# (seconds): each long-running process itself, the children it reaped
# (short-lived: tern-supervise's are the sessions, monitor + pre-auth child +
# worker) and its live children (tern-authd's hash workers).
tern_breakdown() {
	local sv=${PID_OF[tern]:-} hz p k kids
	[ -n "$sv" ] && [ -r "/proc/$sv/stat" ] || return 0
	hz=$(getconf CLK_TCK)
	cpu_of() {	# cpu_of PID: "self reaped" seconds
		sed 's/^.*) //' "/proc/$1/stat" | awk -v hz="$hz" '{
		    printf "%.2f %.2f", ($12 + $13) / hz, ($14 + $15) / hz }'
	}
	name_of() {
		tr '\0' ' ' <"/proc/$1/cmdline" | awk '{ n = split($1, a, "/"); print a[n] }'
	}
	# shellcheck disable=SC2046
	set -- $(cpu_of "$sv")
	echo "| tern-supervise | $1 | $2 (the sessions) | - |"
	for p in $(pgrep -P "$sv"); do
		kids=0
		for k in $(pgrep -P "$p"); do
			kids=$(awk -v a="$kids" -v b="$(cpu_of "$k" | awk '{ print $1 + $2 }')" 'BEGIN { printf "%.2f", a + b }')
		done
		# shellcheck disable=SC2046
		set -- $(cpu_of "$p")
		echo "| $(name_of "$p") | $1 | $2 | $kids |"
	done
}
