# t/deliver/lspawn.sh - the set-up the tern-lspawn tests share (sourced
# after t/lib.sh and sandbox):
#   ls_setup [CONF_LINE...]  queue and run folders, tern.conf (plus the
#                            given lines), the accounts read from stdin
#                            (one "address uid=N ..." a line), the
#                            example.org domain, the maps compiled
#   ls_start                 tern-lspawn in the background (LS_PID),
#                            logging to $SB/log, once its socket is there
#   maildir ADDR, nmail ADDR the account's Maildir, the files in its new/
TOOL=$TERN_BUILD/t/bin/lspawn-tool
LS_PID=""

maildir() { h=$(printf %s "$1" | sha256sum); printf '%s/mail/%s/%s/%s' "$SB" "$(echo "$h" | cut -c1-2)" "$(echo "$h" | cut -c3-4)" "$1"; }
nmail() { ls "$(maildir "$1")/new" 2>/dev/null | wc -l | tr -d ' '; }

ls_setup() {
	mkdir -p "$SB/queue/msg/AB" "$SB/run"
	chmod 755 "$SB/queue" "$SB/queue/msg" "$SB/queue/msg/AB"
	{
		echo "mail_dir = $SB/mail"
		echo "queue_dir = $SB/queue"
		echo "run_dir = $SB/run"
		echo "program_dir = $TERN_BINDIR"
		echo "queue_user = root"
		echo "account_uid_min = 5000"
		echo "account_uid_max = 5100"
		echo "local_timeout = 20s"
		for l in "$@"; do echo "$l"; done
	} >"$SB/tern.conf"
	chmod 644 "$SB/tern.conf"
	cat >"$SB/accounts"
	printf "example.org local\n" >"$SB/domains"
	"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" >/dev/null 2>&1 ||
	    { diag "tern-maps failed"; exit 1; }
	chmod 644 "$SB/accounts.cdb"
}

ls_start() {
	TERN_LOG=stderr "$TERN_BINDIR/tern-lspawn" -c "$SB/tern.conf" 2>>"$SB/log" &
	LS_PID=$!
	track $LS_PID
	wait_for 20 test -S "$SB/run/lspawn.sock" ||
	    { diag "no socket"; cat "$SB/log"; exit 1; }
}
