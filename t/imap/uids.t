#!/bin/sh
# Who runs as whom during an IMAP session (as root only): the monitor is
# root, the pre-auth child is login_user (not root, not the account) in
# its chroot, the worker is the account's uid (gid too) in its Maildir
# and its memory never held the key (a fresh execve: no shared parent).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
sandbox
plan 12
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
import imaplib, os, sys
port = int(os.environ["P_IMAP"]); sv = os.environ["SV_PID"]
p = imaplib.IMAP4("127.0.0.1", port, timeout=20)
p.login("alice@example.org", "alice-secret")
p.noop()
procs = {}
for d in os.listdir("/proc"):
    if not d.isdigit(): continue
    try:
        st = open("/proc/%s/status" % d).read()
        args = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
    except OSError:
        continue
    f = dict(l.split(":\t", 1) for l in st.splitlines() if ":\t" in l)
    if f.get("Name") != "tern-imapd": continue
    try: root = os.readlink("/proc/%s/root" % d)
    except OSError: root = "?"
    try: cwd = os.readlink("/proc/%s/cwd" % d)
    except OSError: cwd = "?"
    procs[d] = (f["PPid"], f["Uid"].split(), f["Gid"].split(), b" ".join(args).decode(), root, cwd)
mon = [k for k, v in procs.items() if v[0] == sv]
print("monitors=%d" % len(mon))
m = mon[0]
print("monitor_uid=%s" % ",".join(procs[m][1]))
kids = [k for k, v in procs.items() if v[0] == m]
for k in kids:
    v = procs[k]
    kind = "worker" if "-W" in v[3] else "child"
    print("%s_uid=%s" % (kind, ",".join(v[1])))
    print("%s_gid=%s" % (kind, ",".join(v[2])))
    print("%s_root=%s" % (kind, v[4]))
    print("%s_cwd=%s" % (kind, v[5]))
p.logout()
PYEOF
r=$(SV_PID=$SV_PID P_IMAP=$P_IMAP "$PY" "$SB/t.py" 2>&1)
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
U=$(uidof alice@example.org); N=$(id -u nobody)
is "$(get monitors)" "1" "one monitor, child of tern-supervise"
is "$(get monitor_uid)" "0,0,0,0" "monitor: root"
is "$(get child_uid)" "$N,$N,$N,$N" "pre-auth child: login_user (nobody), all ids"
ok "pre-auth child: neither root nor the account" test "$N" != 0 -a "$N" != "$U"
is "$(get child_root)" "$SB/run/empty" "pre-auth child: chrooted into run_dir/empty"
is "$(get worker_uid)" "$U,$U,$U,$U" "worker: the account's uid, all ids"
is "$(get worker_gid)" "$U,$U,$U,$U" "worker: gid = uid"
is "$(get worker_cwd)" "$(maildir alice@example.org)" "worker: in the account's Maildir"

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
ok "log: the worker refused the wrong owner" log_wait 5 "worker account=bob@example.org uid=[0-9]+ failed: the Maildir has the wrong owner"
ok "the session still ended with status 0" log_wait 5 "end ip=127.0.0.1 status=0"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || diag "$r"
done_testing
