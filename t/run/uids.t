#!/bin/sh
# The whole suite as `make run` starts it as root, with real sessions open
# (SMTP, submission, IMAP, IMAPS, POP3, pre-auth connections held): the
# uids of every running process, read from /proc, are the ones DESIGN.md's
# process table gives (t/run/uids.py says which).
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
for p in tern-supervise tern-user tern-maps tern-conf tern-imapd tern-pop3d; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"
sandbox
plan 17

base=$(free_base)
( cd "$TERN_SRC" && TERN_HOME="$SB/home" TERN_PORT_BASE=$base \
    exec sh mk/run.sh ) >"$SB/run.log" 2>&1 &
runpid=$!
track $runpid
ok "make run starts" wait_for 30 grep -q 'Ctrl-C stops everything' "$SB/run.log" ||
	{ cat "$SB/run.log" >&2; echo "Bail out! make run did not start"; exit 1; }
wait_port $((base + 995)) >/dev/null 2>&1
pw() { grep -o "$1 password [0-9a-f]*" "$SB/run.log" | head -1 | awk '{print $3}'; }
sv=$(pgrep -f "tern-supervise.*$SB/home/tern.conf" | head -1)
res=$(timeout 120 /usr/bin/python3 "$TERN_SRC/t/run/uids.py" "$base" "$SB/home" \
    "$sv" "$(pw alice@example.test)" "$(pw bob@example.test)" 2>"$SB/py.err")
n=0
while read -r st name; do
	[ -n "$st" ] || continue
	n=$((n + 1))
	ok "$name" test "$st" = 0 || diag "$name"
done <<EOT
$res
EOT
[ "$n" = 16 ] || { diag "uids.py gave $n results"; cat "$SB/py.err" >&2; }
kill -TERM $runpid
wait_for 15 sh -c "! kill -0 $runpid 2>/dev/null"
done_testing
