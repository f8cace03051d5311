#!/bin/sh
# tern-smtpd's fork servers copy their code's page-table entries to each
# child (lib/forkserver.h: forkserver_share_text) on the submission ports
# only: on port 25 and on LMTP, where most sessions are plain and run
# little of libcrypto, the program's code mapping keeps no private page;
# on 587 and 465 it has the one the share wrote.  Each still serves.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
[ -e /sys/fs/selinux/enforce ] && skip_all "SELinux: the code is never shared"
sandbox
plan 8
SMTP_FORKSERVER="smtp submission submissions lmtp"
smtp_start || { echo "Bail out! set-up failed"; exit 1; }

# The pid of MODE's fork server (tern-supervise's tern-smtpd child).
fs_pid() {
	for p in $(pgrep -P "$SV_PID" -x tern-smtpd); do
		case "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" in
		*"-m $1 ") echo "$p"; return ;;
		esac
	done
}
# kB of private pages in the tern-smtpd code mapping of process PID.
text_anon() {
	awk '/^[0-9a-f]+-[0-9a-f]+ / {
		t = ($2 == "r-xp" && $NF ~ /\/tern-smtpd$/) }
	    t && /^Anonymous:/ { print $2; exit }' "/proc/$1/smaps" 2>/dev/null
}
# One session on PORTVAR: exit 0 when, greeted, it is a child of PID
# (the fork server forked it, so it had made its choice and said ready:
# the supervisor execs the program until then).
cat >"$SB/forked.py" <<'PYEOF'
import os, socket, sys
port, fs = int(os.environ[sys.argv[1]]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), 20)
f = s.makefile("rb")
f.readline()
def ppid(d):
    try:
        st = open("/proc/%s/stat" % d).read()
    except OSError:
        return None
    return st[st.rindex(")") + 2:].split()[1]
forked = any(ppid(d) == fs for d in os.listdir("/proc") if d.isdigit())
s.sendall(b"QUIT\r\n")
f.readline()
sys.exit(0 if forked else 1)
PYEOF
forked() { "$PY" "$SB/forked.py" "$2" "$(fs_pid "$1")"; }
fs_anon() { [ "$(text_anon "$(fs_pid "$1")")" -gt 0 ] 2>/dev/null; }

ok "port 25: a session forked by the fork server" wait_for 30 forked smtp P_SMTP
ok "LMTP: a session forked by the fork server" wait_for 30 forked lmtp P_LMTP
S=$(fs_pid smtp); L=$(fs_pid lmtp)
is "$(text_anon "$S")" 0 "port 25: the code's entries are not shared"
is "$(text_anon "$L")" 0 "LMTP: the code's entries are not shared"
ok "587: the code's entries are shared (a private page)" \
    wait_for 30 fs_anon submission
ok "465: the code's entries are shared (a private page)" \
    wait_for 30 fs_anon submissions

cat >"$SB/t.py" <<'PYEOF'
import sys
sys.path.insert(0, sys.argv[1])
from client import Client, port
for name in ("P_SMTP", "P_LMTP"):
    c = Client(port(name))
    print("%s=%s" % (name, c.reply()))
    c.cmd("QUIT")
PYEOF
r=$("$PY" "$SB/t.py" "$TERN_SRC/t/smtp" 2>&1)
like "$(printf '%s\n' "$r" | sed -n 's/^P_SMTP=//p')" '^220 ' "port 25 serves"
like "$(printf '%s\n' "$r" | sed -n 's/^P_LMTP=//p')" '^220 ' "LMTP serves"
