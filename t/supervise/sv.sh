# t/supervise/sv.sh - helpers for the tern-supervise tests (sourced after
# t/lib.sh).  sv_conf writes $SB/tern.conf from stdin plus the common
# settings; sv_start runs the supervisor in the background with its log
# in $SB/sv.log; sv_log_wait waits (bounded) for a log line.
SV_BIN=$TERN_BINDIR/tern-supervise
SV_STUBS=$TERN_BUILD/t/bin
SV_CLIENT="$PY $TERN_SRC/t/supervise/client.py"
[ -x "$SV_BIN" ] || skip_all "tern-supervise not built"
[ -x "$SV_STUBS/echo-svc" ] || skip_all "t/bin/echo-svc not built"
# As root every service needs a user that exists: nobody.
if [ "$(id -u)" = 0 ]; then SV_USER=nobody; else SV_USER=$(id -un); fi

sv_conf() {
	{
		echo "run_dir = $SB/run"
		echo "program_dir = $SV_STUBS"
		echo "log = stderr"
		cat
	} >"$SB/tern.conf.tmp" && mv "$SB/tern.conf.tmp" "$SB/tern.conf"
}

sv_start() {
	"$SV_BIN" -c "$SB/tern.conf" >>"$SB/sv.log" 2>&1 &
	SV_PID=$!
	track $SV_PID
	wait_for 10 grep -q "tern-supervise\[$SV_PID\]: started" "$SB/sv.log"
}

# sv_log_wait SECONDS REGEX: until the log has a matching line.
sv_log_wait() {
	wait_for "$1" grep -Eq -- "$2" "$SB/sv.log"
}

# sv_count REGEX: matching log lines.
sv_count() {
	grep -Ec -- "$1" "$SB/sv.log"
}

sv_stop() {
	kill -TERM "$SV_PID" 2>/dev/null
	wait_for 15 sh -c "! kill -0 $SV_PID 2>/dev/null"
}

# A world-writable folder for what stubs running as nobody record.
sv_outdir() {
	mkdir -p "$SB/out" && chmod 1777 "$SB/out"
}

has_ipv6_loopback() {
	"$PY" -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1",0))' 2>/dev/null
}
