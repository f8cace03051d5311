# t/queue/qmgr.sh - sourced by the tern-qmgr tests after t/lib.sh: a
# sandbox with maps, a queue, a local delivery launcher (the real
# tern-lspawn when built, else t/bin/lspawn-stub) and helpers.
#   qm_setup [extra conf lines]   write tern.conf, maps; start the launcher
#   qm_start / qm_stop            run / stop tern-qmgr (log in $SB/qmgr.log)
#   qm_enqueue SENDER RCPT... <message     (RCPT as mkenv.py takes it)
#   maildir ADDR                  the account's Maildir
#   nmail ADDR                    messages in its new/
#   queued                        committed messages in the queue
ENQ=$(tern_bin tern-enqueue)
QMGR=$(tern_bin tern-qmgr)
MAILQ=$(tern_bin tern-mailq)
MKENV="$PY $TERN_SRC/t/queue/mkenv.py"
STUB=$TERN_BUILD/t/bin/lspawn-stub
export TERN_LOG=stderr
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1

maildir() {
	h=$(printf %s "$1" | sha256sum)
	printf '%s/mail/%s/%s/%s' "$SB" "$(echo "$h" | cut -c1-2)" "$(echo "$h" | cut -c3-4)" "$1"
}
nmail() { ls "$(maildir "$1")/new" 2>/dev/null | wc -l | tr -d ' '; }
queued() { find "$SB/queue/env" -type f 2>/dev/null | wc -l | tr -d ' '; }

qm_conf() {
	{
		echo "queue_dir = $SB/queue"
		echo "run_dir = $SB/run"
		echo "mail_dir = $SB/mail"
		echo "program_dir = $TERN_BINDIR"
		echo "hostname = mx.example.org"
		echo "account_uid_min = 5000"
		echo "account_uid_max = 5100"
		echo "queue_retry_schedule = 1s 2s"
		echo "queue_rescan_interval = 2s"
		[ $ROOT = 1 ] && echo "queue_user = nobody"
		for l in "$@"; do echo "$l"; done
	} >"$SB/tern.conf"
	chmod 644 "$SB/tern.conf"
}

qm_maps() {
	"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" >"$SB/maps.log" 2>&1 || { diag "tern-maps failed"; cat "$SB/maps.log"; exit 1; }
	chmod 644 "$SB"/*.cdb
}

qm_setup() {
	mkdir -p "$SB/queue" "$SB/run" "$SB/mail"
	chmod 755 "$SB/run" "$SB/mail"
	[ $ROOT = 1 ] && chown nobody "$SB/queue"
	qm_conf "$@"
	printf 'example.org local\n' >"$SB/domains"
	cat >"$SB/accounts" <<EOT
sender@example.org uid=5000
alice@example.org uid=5001
bob@example.org uid=5002
carol@example.org uid=5003
postmaster@example.org uid=5004
full@example.org uid=5005 quota=10
full2@example.org uid=5006 quota=10
EOT
	printf 'team@example.org: alice@example.org, bob@example.org, carol@example.org\n' >"$SB/aliases"
	qm_maps
	if [ -x "$TERN_BINDIR/tern-lspawn" ] && [ -z "${QM_STUB:-}" ]; then
		note "local delivery: tern-lspawn and tern-local"
		"$TERN_BINDIR/tern-lspawn" -c "$SB/tern.conf" 2>"$SB/lspawn.log" &
	else
		note "local delivery: t/bin/lspawn-stub"
		"$STUB" "$SB/run/lspawn.sock" "$SB/accounts.cdb" 2>"$SB/lspawn.log" &
	fi
	track $!
	wait_for 10 test -S "$SB/run/lspawn.sock" || { diag "no launcher socket"; cat "$SB/lspawn.log"; exit 1; }
}

QM_PID=""
qm_start() {
	"$QMGR" -c "$SB/tern.conf" 2>>"$SB/qmgr.log" &
	QM_PID=$!
	track $QM_PID
	wait_for 10 test -p "$SB/queue/trigger"
}
qm_stop() {
	[ -n "$QM_PID" ] || return 0
	kill "$QM_PID" 2>/dev/null
	_i=0; while kill -0 "$QM_PID" 2>/dev/null && [ $_i -lt 100 ]; do sleep 0.1; _i=$((_i + 1)); done
	QM_PID=""
}

# qm_enqueue SENDER RCPT... < message: prints the queue id.
qm_enqueue() {
	_s=$1; shift
	$MKENV --sender "$_s" "$@" >"$SB/env.tmp"
	"$ENQ" -c "$SB/tern.conf" 1<"$SB/env.tmp" 2>"$SB/enq.log" || { diag "enqueue failed: $(cat "$SB/enq.log")"; return 1; }
	sed -n 's/.*: \([0-9A-Z]\{16\}\) enqueued.*/\1/p' "$SB/enq.log"
}
# log lines of tern-qmgr about one id
qlog() { grep "$1" "$SB/qmgr.log"; }
# Predicates for wait_for (evaluated at each try).
mail_is() { test "$(nmail "$1")" = "$2"; }
queue_is() { test "$(queued)" = "$1"; }
# log_count ID REGEX MIN: at least MIN lines about ID match REGEX
log_count() { test "$(grep "$1" "$SB/qmgr.log" | grep -Ec -- "$2")" -ge "$3"; }
