#!/bin/sh
# Regression: with syslog (a /dev/log to connect to, as on every real
# host), tern-authd and tern-lspawn called log_init (openlog, LOG_NDELAY)
# before proc_init, which closed the syslog socket behind glibc's back.
# glibc kept its number; the next file opened took it (tern-lspawn's
# accounts.cdb, tern-authd's listening socket), and the first log line
# failed on it, closed it and reconnected: every delivery was deferred
# "4.3.0 account map unreadable" and every login was "tern-authd
# unreachable".  The tests log to stderr and have no /dev/log, so none
# saw it.  Here a private /dev (mount namespace) holds a /dev/log.
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root (a mount namespace for /dev/log)"
command -v unshare >/dev/null 2>&1 || skip_all "no unshare (util-linux)"
id ternauth >/dev/null 2>&1 || skip_all "as root this needs the user ternauth (tern-setup)"
for p in tern-authd tern-lspawn tern-user tern-maps; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
unshare -m true 2>/dev/null || skip_all "unshare -m refused"
sandbox
plan 4
. "$TERN_SRC/t/deliver/lspawn.sh"
ls_setup "auth_timeout = 2s" </dev/null
printf 'alice pw\n' | "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" add alice@example.org \
    --password-stdin >/dev/null || { echo "Bail out! tern-user failed"; exit 1; }
chmod 644 "$SB/accounts.cdb"
printf 'Subject: one\n\nhello\n' >"$SB/queue/msg/AB/Q1"

cat >"$SB/syslogd.py" <<'EOT'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); os.chmod(sys.argv[1], 0o666)
f = open(sys.argv[2], "ab", buffering=0)
while True:
    f.write(s.recv(65536).rstrip(b"\0\n") + b"\n")
EOT
# Inside the namespace: /dev is a tmpfs with the few devices needed and
# our /dev/log; the daemons log to syslog (no -d, no TERN_LOG).
cat >"$SB/inner.sh" <<EOT
set -u
mkdir "$SB/dev"
mount --make-rprivate / && mount --bind /dev "$SB/dev" &&
    mount -t tmpfs -o mode=0755 tmpfs /dev || exit 1
for d in null zero full random urandom; do
	touch /dev/\$d && mount --bind "$SB/dev/\$d" /dev/\$d || exit 1
done
umount -l "$SB/dev"
"$PY" "$SB/syslogd.py" /dev/log "$SB/syslog" & L=\$!
i=0; while [ ! -S /dev/log ] && [ \$i -lt 100 ]; do sleep 0.1; i=\$((i + 1)); done
unset TERN_LOG
"$TERN_BINDIR/tern-authd" -c "$SB/tern.conf" 2>>"$SB/err" & A=\$!
"$TERN_BINDIR/tern-lspawn" -c "$SB/tern.conf" 2>>"$SB/err" & S=\$!
i=0
while [ \$i -lt 100 ]; do
	grep -q 'tern-authd.*listening' "$SB/syslog" 2>/dev/null &&
	    grep -q 'tern-lspawn.*listening' "$SB/syslog" 2>/dev/null && break
	sleep 0.1; i=\$((i + 1))
done
sleep 0.3
printf 'alice pw\n' | "$TERN_BUILD/t/bin/authc-client" "$SB/run/authd.sock" \
    imap 127.0.0.1 alice@example.org >"$SB/auth.out" 2>&1
"$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" \
    s@remote.example alice@example.org >"$SB/deliver.out" 2>&1
kill \$A \$S; sleep 0.3; kill \$L
wait
EOT
timeout 60 unshare -m sh "$SB/inner.sh"
like "$(cat "$SB/syslog" 2>/dev/null)" 'tern-authd\[[0-9]+\]: listening' "tern-authd logs to syslog"
like "$(cat "$SB/syslog" 2>/dev/null)" 'tern-lspawn\[[0-9]+\]: listening' "tern-lspawn logs to syslog"
like "$(cat "$SB/auth.out" 2>/dev/null)" '^ok alice@example.org ' \
    "tern-authd answers after logging to syslog"
like "$(cat "$SB/deliver.out" 2>/dev/null)" '^alice@example.org ok ' \
    "tern-lspawn reads its accounts map after logging to syslog"
[ "$_tap_fail" = 0 ] || { diag "$(cat "$SB/syslog" "$SB/err" "$SB/auth.out" "$SB/deliver.out" 2>&1)"; }
done_testing
