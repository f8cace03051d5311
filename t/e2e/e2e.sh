# t/e2e/e2e.sh - the whole single-host suite, started the way an admin
# starts it (mk/run.sh, what `make run` runs), in a sandbox TERN_HOME on
# free ports.  Sourced after t/lib.sh.  As root it runs with real
# privilege separation (tern, ternq, account uids); otherwise as the caller.
for p in tern-supervise tern-smtpd tern-enqueue tern-qmgr tern-lspawn tern-local tern-user tern-maps; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"

# e2e_start [LOCAL.CONF LINES...]: start the suite; sets H (home), PB (port
# base), P_SMTP, P_LMTP, RUN_PID.
e2e_start() {
	H=$SB/home
	mkdir -p "$H"
	for l in "$@"; do printf '%s\n' "$l"; done >"$H/local.conf"
	PB=$(free_base)
	P_SMTP=$((PB + 25)); P_LMTP=$((PB + 24))
	( cd "$TERN_SRC" && TERN_HOME="$H" TERN_PORT_BASE=$PB \
	    exec sh mk/run.sh ) >"$SB/run.log" 2>&1 &
	RUN_PID=$!
	track $RUN_PID
	wait_for 30 grep -q 'Ctrl-C stops everything' "$SB/run.log" &&
	    wait_port "$P_SMTP" &&
	    wait_for 10 test -S "$H/state/lspawn.sock"
}

# The programs as make run installed them (as root: copies in $H/bin).
e2e_bin() { if [ -d "$H/bin" ]; then echo "$H/bin/$1"; else echo "$TERN_BINDIR/$1"; fi; }

# e2e_user ADDRESS [tern-user add options]: add an account.
e2e_user() {
	_a=$1; shift
	echo "pw-$_a" | "$(e2e_bin tern-user)" -c "$H/tern.conf" add "$_a" --password-stdin "$@" >>"$SB/admin.log" 2>&1
}

# e2e_maildir ADDRESS: the account's Maildir.
e2e_maildir() {
	"$(e2e_bin tern-user)" -c "$H/tern.conf" show "$1" 2>/dev/null | sed -n 's/^maildir: *//p' | head -1
}

# e2e_count ADDRESS: messages in new/ and cur/.
e2e_count() {
	_m=$(e2e_maildir "$1")
	[ -n "$_m" ] || { echo 0; return; }
	find "$_m/new" "$_m/cur" -type f 2>/dev/null | wc -l | tr -d ' '
}

# e2e_has ADDRESS ID...: every X-Test-Id is in the account's Maildir.
e2e_has() {
	_m=$(e2e_maildir "$1"); shift
	[ -n "$_m" ] || return 1
	for _id in "$@"; do
		grep -lqs "^X-Test-Id: $_id" "$_m"/new/* "$_m"/cur/* || return 1
	done
}

# e2e_queue_empty: no committed message left.
e2e_queue_empty() {
	[ -z "$(find "$H/queue/env" -type f 2>/dev/null | head -1)" ]
}

e2e_stop() {
	kill -TERM "$RUN_PID" 2>/dev/null
	wait_for 15 sh -c "! kill -0 $RUN_PID 2>/dev/null"
}

# Sanitizer reports or crashes in the suite's log.
e2e_clean_log() {
	! grep -Eq 'Sanitizer|runtime error|signal=(SEGV|ABRT|BUS|ILL)' "$SB/run.log"
}

# e2e_why ADDRESS: after a delivery did not happen, say why on stderr
# (prove shows it, so a CI log carries it): what the SMTP client got, the
# queue, and the suite's log lines about the address or any refusal.
e2e_why() {
	[ -f "$SB/smtpc.log" ] && tail -8 "$SB/smtpc.log" | while read -r _l; do diag "smtpc: $_l"; done
	diag "queue: $(find "$H/queue/env" -type f 2>/dev/null | wc -l) message(s) waiting"
	grep -E "$1|defer|bounce|warn|error|died|refus|not served|status=[1-9]" "$SB/run.log" 2>/dev/null |
	    grep -v 'errors=0' | tail -25 | while read -r _l; do diag "log: $_l"; done
}
