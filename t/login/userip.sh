# t/login/userip.sh - sourced by t/imap/userip.t and t/pop3/userip.t
# (after t/lib.sh and the service's set-up): max_userip_connections,
# driven by t/login/userip.py, 12 assertions.
#
#   userip_test PROTO PORT MAX REFUSAL_RE OTHER_IP_RE
#       after PROTO_start with "PROTO.max_userip_connections = MAX";
#       OTHER_IP_RE: what alice from 127.0.0.2 gets (past the limit)

# The log is clean but for the worker the test killed.
userip_clean_log() {
	grep -v 'status=signal:9$' "$SB/log" | { ! grep -Eq 'Sanitizer|runtime error|exit service=[a-z0-9]+ pid=[0-9]+ status=[^0]|signal='; }
}

userip_test() {
	_r=$("$PY" "$TERN_SRC/t/login/userip.py" "$1" "$2" "$3" \
	    alice@example.org "$PW_ALICE" bob@example.org "$PW_BOB" 2>&1)
	_get() { printf '%s\n' "$_r" | sed -n "s/^$1=//p" | head -1; }
	is "$(_get held)" "$3" "$3 sessions of alice from 127.0.0.1"
	like "$(_get refused)" "$4" "one more is refused: $4"
	is "$(_get continued)" "ok" "its connection goes on: bob logs in on it"
	like "$(_get other_ip)" "$5" "alice from 127.0.0.2: past the limit (its own slots): $5"
	_uid=$(uidof alice@example.org)
	[ "$(id -u)" = 0 ] || _uid=$(id -u)	# not root: every part as us
	is "$(_get worker_uid)" "$_uid" "a worker runs as alice's uid (not root: ours)"
	is "$(_get slot_mode)" "ro" "and holds its slot read-only"
	is "$(_get after_logout)" "ok" "a logout frees a slot"
	is "$(_get after_kill)" "ok" "a worker killed with SIGKILL frees its slot"
	ok "log: the refusal, with user and address" log_wait 10 "refused user=alice@example.org ip=127.0.0.1 why=max_userip_connections max=$3"
	unlike "$(cat "$SB/log")" "refused user=alice@example.org ip=127.0.0.2" "127.0.0.2 never refused for the limit"
	unlike "$(cat "$SB/log")" "userip user=" "no slot error (none let in unlimited)"
	ok "no crash or sanitizer report in the log (but the killed worker)" userip_clean_log
	[ "$_tap_fail" = 0 ] || diag "$_r"
}
