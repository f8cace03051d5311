#!/bin/sh
# tern-proxy with its backend down: bob's backend (routes: 127.0.0.2, on
# ports where nothing listens yet) gives IMAP "NO [UNAVAILABLE]" and POP3
# "-ERR [SYS/TEMP]"; the client may try again on the same connection;
# once the backend is up the next login (same connection) works: no
# sticky state.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/proxy/proxy.sh"
sandbox
plan 9
P_LATEI=$(free_port); P_LATEP=$(free_port)
{ echo "proxy_backend_ports = 127.0.0.2=$P_LATEI/$P_LATEP"
  # Also the bound of the whole backend login once the backend is up: on
  # a loaded machine (a SAN build) that login can take seconds.  10 s,
  # the default, is still short of the client's 30 s for the mute case.
  echo "proxy_connect_timeout = 10s"; } >"$SB/extra.conf"
proxy_start || { echo "Bail out! set-up failed"; exit 1; }
# The late backend: a second tern-supervise with its own run_dir and
# services, the same maps, mail and tern-authd.
mkdir -p "$SB/late/run"
sed -e "s,^run_dir = .*,run_dir = $SB/late/run," \
    -e "s,^services = .*,services = latei latep," "$SB/tern.conf" >"$SB/late/tern.conf"
{
	echo "map_dir = $SB"
	echo "auth_socket = $SB/run/authd.sock"
	for m in latei:tern-imapd:imap:$P_LATEI latep:tern-pop3d:pop3:$P_LATEP; do
		IFS=: read -r n prog mode p <<EOF2
$m
EOF2
		echo "$n.listen = 127.0.0.2:$p"
		echo "$n.program = $prog"
		echo "$n.args = -m $mode"
		echo "$n.user = root"
	done
} >>"$SB/late/tern.conf"
chmod 755 "$SB/late/run"
cat >"$SB/t.py" <<'PYEOF'
import os, subprocess, sys, time
from proxyt import *
pi = Raw(P["P_PXIS"], tls=True)
out("imap_down", pi.last("a1", "LOGIN bob@example.org \"bob secret\""))
out("imap_down2", pi.last("a2", "LOGIN bob@example.org \"bob secret\""))
pp = Raw(P["P_PXPS"], tls=True)
pp.send("USER bob@example.org"); pp.line()
pp.send("PASS bob secret")
out("pop_down", pp.line())
# A backend that accepts and never speaks: the login ends after
# proxy_connect_timeout with the same answer.
import socket
mute = socket.socket()
mute.bind(("127.0.0.2", int(os.environ["P_LATEI"])))
mute.listen(8)
out("imap_mute", pi.last("a2b", "LOGIN bob@example.org \"bob secret\""))
mute.close()
# Start the late backend and wait for it (bounded).
sv = subprocess.Popen([os.environ["SV_BIN"], "-c", os.environ["SB"] + "/late/tern.conf"],
                      stdout=open(os.environ["SB"] + "/log", "a"), stderr=subprocess.STDOUT)
print("svpid=%d" % sv.pid); sys.stdout.flush()
import socket
for port in (int(os.environ["P_LATEI"]), int(os.environ["P_LATEP"])):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.2", port), 1).close()
            break
        except OSError:
            time.sleep(0.1)
out("imap_up", pi.last("a3", "LOGIN bob@example.org \"bob secret\""))
out("imap_select", " | ".join(pi.cmd("a4", "SELECT INBOX")))
pi.last("z", "LOGOUT"); pi.close()
pp.send("USER bob@example.org"); pp.line()
pp.send("PASS bob secret")
out("pop_up", pp.line())
pp.send("QUIT"); pp.line(); pp.close()
PYEOF
r=$(SV_BIN=$SV_BIN P_LATEI=$P_LATEI P_LATEP=$P_LATEP proxy_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
svp=$(get svpid); [ -n "$svp" ] && track "$svp"
like "$(get imap_down)" '^a1 NO \[UNAVAILABLE\]' "IMAP, backend down: NO [UNAVAILABLE]"
like "$(get imap_down2)" '^a2 NO \[UNAVAILABLE\]' "... again on the same connection"
like "$(get imap_mute)" '^a2b NO \[UNAVAILABLE\]' "IMAP, backend mute: NO [UNAVAILABLE] after proxy_connect_timeout"
like "$(get pop_down)" '^-ERR \[SYS/TEMP\]' "POP3, backend down: -ERR [SYS/TEMP]"
like "$(get imap_up)" '^a3 OK \[CAPABILITY ' "IMAP: backend up, the next login works"
like "$(get imap_select)" 'a4 OK' "... and the session too"
like "$(get pop_up)" '^\+OK Logged in' "POP3: backend up, the next login works"
ok "the failure is logged with the backend" grep -q "backend 127.0.0.2:$P_LATEI for bob@example.org" "$SB/log"
ok "no crash or sanitizer report in the log" proxy_clean_log
# The late backend is no child of this shell (Python started it), so
# t/lib.sh's cleanup, which kills only its own children, leaves it: stop
# it here, after the log check, if that pid is still the late backend.
if [ -n "$svp" ] && grep -q 'late/tern.conf' "/proc/$svp/cmdline" 2>/dev/null; then
	kill "$svp" 2>/dev/null
fi
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -40 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
