# t/lib.sh - shell TAP helpers and a sandbox for each test.  Source it:
#     . "${TERN_SRC:-.}/t/lib.sh"
# Gives: plan N | ok COND NAME | is GOT WANT NAME | like STR REGEX NAME |
# diag MSG | note MSG | skip_all WHY | done_testing; sandbox (creates $SB, removed on
# success, kept with its path printed on failure); free_port; tern_bin NAME.
# Tests never leave 127.0.0.1 and never need root (they skip what needs it).
set -u
TERN_SRC=${TERN_SRC:-$(cd "$(dirname "$0")/../.." 2>/dev/null && pwd)}
TERN_BUILD=${TERN_BUILD:-$TERN_SRC/build}
TERN_BINDIR=$TERN_BUILD/bin
PY=${PY:-/usr/bin/python3}
export TERN_SRC TERN_BUILD TERN_BINDIR PY

_tap_n=0
_tap_fail=0
_tap_plan=""
SB=""
_pids=""

plan() { _tap_plan=$1; echo "1..$1"; }
# diag goes to stderr, which prove shows (a failure's reasons reach the CI
# log); note goes to stdout, seen only with prove -v.
diag() { printf '%s\n' "$*" | sed 's/^/# /' >&2; }
note() { printf '%s\n' "$*" | sed 's/^/# /'; }
_report() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = 0 ]; then echo "ok $_tap_n - $2"
	else echo "not ok $_tap_n - $2"; _tap_fail=$((_tap_fail + 1)); fi
}
# ok NAME COMMAND... : runs the command; its status is the test's.  It
# returns that status too, so "ok ... || explain" can say why.
ok() {
	_name=$1; shift
	if "$@" >/dev/null 2>&1; then _report 0 "$_name"; else _report 1 "$_name"; return 1; fi
}
is() {
	if [ "$1" = "$2" ]; then _report 0 "$3"
	else _report 1 "$3"; diag "  got: '$1'"; diag " want: '$2'"; fi
}
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then _report 0 "$3"
	else _report 1 "$3"; diag "  got: '$(printf '%s' "$1" | head -c 400)'"; diag " want match: '$2'"; fi
}
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then _report 1 "$3"
	diag "  got: '$(printf '%s' "$1" | head -c 400)'"; diag " unwanted: '$2'"
	else _report 0 "$3"; fi
}
skip_all() { echo "1..0 # SKIP $*"; _tap_plan=0; exit 0; }
skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }

# Remember a background pid (a child of this shell: `cmd & track $!`); it
# is killed when the test ends, if it is still ours.
track() { _pids="$_pids $1"; }
# at_cleanup COMMAND: run (eval) when the test ends, before the kills;
# for what is not our child (a tmux server, a namespace).
_hooks=""
at_cleanup() { _hooks="$_hooks
$*"; }

# _ours PID: the process is still our child.  A tracked process that ended
# long ago has had its pid reused, by now perhaps by another test's server
# (pid_max is 32768 here and make check forks many thousands): killing it
# blindly killed other tests' IMAP sessions and deliveries.
_ours() {
	_st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	_st=${_st##*) }
	# shellcheck disable=SC2086
	set -- $_st
	[ "${2:-}" = "$$" ]
}

_cleanup() {
	rc=$?
	eval "$_hooks"
	for p in $_pids; do _ours "$p" && kill "$p" 2>/dev/null; done
	for p in $_pids; do
		i=0; while _ours "$p" && kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
		_ours "$p" && kill -9 "$p" 2>/dev/null
	done
	if [ -n "$SB" ] && [ -f "$SB/.ports" ]; then
		while read -r _p; do rmdir "$_PORTS/$_p" 2>/dev/null; done <"$SB/.ports"
	fi
	if [ -n "$SB" ] && [ -d "$SB" ]; then
		if [ "$_tap_fail" = 0 ] && [ "$rc" = 0 ]; then rm -rf "$SB"
		else echo "# sandbox kept: $SB" >&2; fi
	fi
}
trap _cleanup EXIT
# A signal ends the test through _cleanup, so its servers never outlive
# it: prove closing the pipe after a bail-out elsewhere (PIPE), a lost
# terminal (HUP), ^C, kill.
trap 'exit 1' INT TERM HUP PIPE

done_testing() {
	[ -z "$_tap_plan" ] && echo "1..$_tap_n"
	if [ -n "$_tap_plan" ] && [ "$_tap_plan" != "$_tap_n" ]; then
		diag "planned $_tap_plan tests but ran $_tap_n"; exit 1
	fi
	[ "$_tap_fail" = 0 ] || exit 1
	exit 0
}

sandbox() {
	SB=$(mktemp -d "${TMPDIR:-/tmp}/tern-test.XXXXXX") || exit 1
	chmod 755 "$SB"
	export TERN_HOME="$SB"
	_public_build
}

# As root, services run under other uids (tern, nobody, each account's),
# which must be able to reach the programs.  When the build folder is not
# reachable by them (a checkout under /root, mode 0700), run copies from
# the sandbox instead.
_public_build() {
	[ "$(id -u)" = 0 ] || return 0
	command -v setpriv >/dev/null 2>&1 || return 0
	setpriv --reuid=65534 --regid=65534 --clear-groups \
	    test -x "$TERN_BINDIR/." 2>/dev/null && return 0
	mkdir -p "$SB/build/t" || exit 1
	cp -a "$TERN_BINDIR" "$SB/build/bin" || exit 1
	[ -d "$TERN_BUILD/t/bin" ] && { cp -a "$TERN_BUILD/t/bin" "$SB/build/t/bin" || exit 1; }
	chmod -R go+rX "$SB/build"
	TERN_BUILD=$SB/build
	TERN_BINDIR=$SB/build/bin
	export TERN_BUILD TERN_BINDIR
	SV_STUBS=$TERN_BUILD/t/bin
}

# A free TCP port for this test.  Chosen at random below the kernel's
# ephemeral range, so no client connection's local port (anywhere on the
# machine) takes it between now and the server's bind, and claimed in a
# folder every test shares (mkdir is atomic), so two tests running at once
# never get the same one: the kernel's bind(0) gave both races.  The
# claims are dropped at cleanup; one older than an hour is stale.
#
# free_base [IP]: a port base for a whole suite as make run starts it
# (TERN_PORT_BASE: base+24, 25, 110, 143, 465, 587, 993, 995 on IP, by
# default 127.0.0.1), every one of those ports claimed the same way: a
# base merely tried and let go was taken by another test's suite, whose
# SMTP port then answered this test's clients.
_PORTS=${TMPDIR:-/tmp}/tern-test-ports
free_port() { _claim_ports 127.0.0.1 0; }
free_base() { _claim_ports "${1:-127.0.0.1}" 24 25 110 143 465 587 993 995; }
_claim_ports() {
	"$PY" - "$_PORTS" "${SB:-}" "$@" <<'PYEOF'
import os, random, socket, sys, time
d, sb, ip = sys.argv[1], sys.argv[2], sys.argv[3]
offs = [int(x) for x in sys.argv[4:]]
try:
    os.mkdir(d)
    os.chmod(d, 0o1777)
except FileExistsError:
    pass
lo, hi = 20000, 32767
try:
    eph = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
    if eph - 1 - lo >= 2000:
        hi = min(hi, eph - 1)
except (OSError, ValueError, IndexError):
    pass
hi -= max(offs)


def claim(p):
    """Claim port p: its folder made (None without a shared folder) and
    its bind free; the folder path, None, or False when taken."""
    c = os.path.join(d, str(p))
    try:
        os.mkdir(c)
    except FileExistsError:
        try:
            if time.time() - os.stat(c).st_mtime > 3600:
                os.rmdir(c)
        except OSError:
            pass
        return False
    except OSError:
        c = None        # no shared folder: fall back on the bind check
    s = socket.socket()
    try:
        s.bind((ip, p))
    except OSError:
        if c:
            os.rmdir(c)
        return False
    finally:
        s.close()
    return c


for _ in range(500):
    base = random.randint(lo, hi)
    got = []
    for o in offs:
        c = claim(base + o)
        if c is False:
            break
        got.append((base + o, c))
    if len(got) < len(offs):
        for _p, c in got:
            if c:
                os.rmdir(c)
        continue
    if sb and os.path.isdir(sb):
        with open(os.path.join(sb, ".ports"), "a") as f:
            for p, c in got:
                if c:
                    f.write("%d\n" % p)
    print(base)
    sys.exit(0)
sys.exit("free_port: no free port")
PYEOF
}

tern_bin() { printf '%s/%s' "$TERN_BINDIR" "$1"; }

# wait_for SECONDS COMMAND... : poll until the command succeeds (bounded).
wait_for() {
	_t=$1; shift; _i=0
	while [ $_i -lt $((_t * 10)) ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1; _i=$((_i + 1))
	done
	return 1
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s max).
wait_port() {
	wait_for 10 "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)"
}
