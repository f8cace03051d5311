#!/bin/sh
# Who runs as whom during an IMAP session (as root only): the monitor
# (the worker program started with arguments by the fork server, by
# vfork+exec: it never held the key) is root until the login, the pre-auth child (forked by the
# fork server, a sibling of the monitor) is login_user (not root, not
# the account) in its chroot, and after the login the monitor's process
# has become the worker (in the same image) as the account's uid (gid too) in its
# Maildir; no zombie is left.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
. "$TERN_SRC/t/login/uids.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
sandbox
plan 21
imap_start || { echo "Bail out! set-up failed"; exit 1; }
{
uids_py_procs tern-imapd
cat <<'PYEOF'
import imaplib
port = int(os.environ["P_IMAP"]); sv = os.environ["SV_PID"]
p = imaplib.IMAP4("127.0.0.1", port, timeout=20)
procs = settle(pre_settled)     # before the password: monitor + child
fs = servers(procs)
print("servers=%d" % len(fs))
mon = [k for k, v in procs.items() if v[0] in fs and v[6] == "tern-imapd-work"]
print("monitors=%d" % len(mon))
show("monitor", procs[mon[0]])
print("monitor_args=%s" % procs[mon[0]][3].split(" ")[0])
kids = [k for k, v in procs.items() if v[0] in fs and k not in fs and v[6] == "tern-imapd" and v[7] != "Z"]
print("prekids=%d" % len(kids))
show("child", procs[kids[0]])
p.login("alice@example.org", "alice-secret")
p.noop()
def post_settled(procs):
    top = [k for k, v in procs.items() if v[0] in fs and v[6] != "tern-imapd"]
    kids = [k for k, v in procs.items() if (v[0] in fs or v[0] in top) and k not in fs and v[6] == "tern-imapd" and v[7] != "Z"]
    return len(top) == 1 and len(kids) == 0
procs = settle(post_settled)    # after: the monitor became the worker
top = [k for k, v in procs.items() if v[0] in fs and v[6] != "tern-imapd"]
print("tops=%d" % len(top))
print("same_pid=%d" % (top[0] == mon[0]))
w = procs[top[0]]
print("worker_args=%s" % w[3])
show("worker", w)
PYEOF
uids_py_worker_fds
cat <<'PYEOF'
kids = [k for k, v in procs.items() if (v[0] in fs or v[0] == top[0]) and k not in fs and v[6] == "tern-imapd" and v[7] != "Z"]
print("postkids=%d" % len(kids))
print("total=%d" % (1 + len(kids)))
# The worker's client socket has TCP_NODELAY (set before the fork, so
# whoever holds the socket has it): pidfd_getfd (438) fetches a copy.
import ctypes, socket
libc = ctypes.CDLL(None, use_errno=True)
pfd = os.pidfd_open(int(top[0]))
fd = libc.syscall(438, pfd, 0, 0)
if fd >= 0:
    s = socket.socket(fileno=fd)
    print("nodelay=%d" % (s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0))
    s.detach(); os.close(fd)
else:
    print("nodelay=getfd failed: %d" % ctypes.get_errno())
os.close(pfd)
p.logout()
PYEOF
} >"$SB/t.py"
r=$(SV_PID=$SV_PID P_IMAP=$P_IMAP "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
U=$(uidof alice@example.org); N=$(id -u nobody)
ok "the fork servers are children of tern-supervise" test "$(get servers)" -ge 1
is "$(get monitors)" "1" "one monitor, child of the fork server"
is "$(get monitor_args)" "tern-imapd-worker" "the monitor is tern-imapd-worker with arguments (vfork+exec: no OpenSSL, never held the key)"
is "$(get monitor_uid)" "0,0,0,0" "monitor: root until the login"
is "$(get child_uid)" "$N,$N,$N,$N" "pre-auth child: login_user (nobody), all ids"
ok "pre-auth child: neither root nor the account" test "$N" != 0 -a "$N" != "$U"
is "$(get child_root)" "$SB/run/empty" "pre-auth child: chrooted into run_dir/empty"

is "$(get same_pid)" "1" "after the login the monitor's process is the worker (same image, no fork)"
like "$(get worker_args)" "^tern-imapd-worker( |$)" "worker: tern-imapd-worker (the monitor's image: no OpenSSL, never held the key)"
is "$(get worker_uid)" "$U,$U,$U,$U" "worker: the account's uid, all ids"
is "$(get worker_gid)" "$U,$U,$U,$U" "worker: gid = uid"
is "$(get worker_cwd)" "$(maildir alice@example.org)" "worker: in the account's Maildir"
uids_worker_fds_ok "$(get worker_bad)" "$(get worker_sockets)"
is "$(get postkids)" "0" "plaintext: the pre-auth child handed the socket over and ended"
is "$(get total)" "1" "one process per plaintext session after the login"
is "$(get nodelay)" "1" "the client socket has TCP_NODELAY (no answer waits for a delayed ACK)"

# A Maildir that does not belong to the account: the worker refuses it.
MB=$(maildir bob@example.org)
chown "$U" "$MB"; chmod 755 "$MB"	# enterable: the owner check must refuse
r=$("$PY" -c "
import imaplib
p = imaplib.IMAP4('127.0.0.1', $P_IMAP, timeout=20)
try:
    p.login('bob@example.org', 'bob secret'); print('accepted?')
except imaplib.IMAP4.error as e:
    print(e)
" 2>&1)
like "$r" "UNAVAILABLE" "bob's Maildir owned by alice's uid: NO [UNAVAILABLE], no session"
ok "log: the worker refused the wrong owner" log_wait 20 "worker account=bob@example.org uid=[0-9]+ failed: the Maildir has the wrong owner"
ok "the session still ended with status 0" log_wait 20 "end ip=127.0.0.1 status=0"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || diag "$r"
done_testing
