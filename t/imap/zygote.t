#!/bin/sh
# The monitor zygote (doc/login.md, tern-login(8) -Z): the IMAP fork
# server keeps one, root, the worker program started with -Z ("tern-zygote"
# in /proc); a connection's monitor is its copy made with CLONE_PARENT,
# so the monitor (and the worker it becomes) is the fork server's child,
# runs the worker program's image and is not the zygote's child.  A
# zygote killed with SIGKILL (and gone) costs no login: the next ones
# are spawned the old way until a new zygote is started (a second later).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
sandbox
plan 9
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/z.py" <<'PYEOF'
import imaplib, os, signal, time
port = int(os.environ["P_IMAP"]); sv = os.environ["SV_PID"]
def procs():
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit(): continue
        try:
            st = open("/proc/%s/status" % d).read()
            args = open("/proc/%s/cmdline" % d, "rb").read().rstrip(b"\0").split(b"\0")
        except OSError:
            continue
        f = dict(l.split(":\t", 1) for l in st.splitlines() if ":\t" in l)
        out[d] = (f["PPid"], f["Name"], f["Uid"].split()[0], [a.decode() for a in args], f["State"][0])
    return out
def server(p):
    s = [k for k, v in p.items() if v[0] == sv and v[1] == "tern-imapd" and v[3][-1:] == ["imap"]]
    return s[0] if len(s) == 1 else None
def zygotes(p, fs):
    return [k for k, v in p.items() if v[0] == fs and v[1] == "tern-zygote" and v[4] != "Z"]
def wait(pred, limit=20.0):
    end = time.time() + limit
    while True:
        p = procs()
        if pred(p) or time.time() > end:
            return p
        time.sleep(0.05)
p = wait(lambda p: server(p) is not None and len(zygotes(p, server(p))) == 1)
fs = server(p)
z = zygotes(p, fs) if fs else []
print("zygotes=%d" % len(z))
if z:
    v = p[z[0]]
    print("zygote_uid=%s" % v[2])
    print("zygote_args=%s" % " ".join(v[3][:2]))
c = imaplib.IMAP4("127.0.0.1", port, timeout=20)
c.login("alice@example.org", "alice-secret")
c.noop()
def worker(p):
    return [k for k, v in p.items() if v[1] == "tern-imapd-work" and v[2] != "0" and v[4] != "Z"]
p = wait(lambda p: len(worker(p)) == 1)
w = worker(p)
if w:
    v = p[w[0]]
    print("worker_parent_fs=%d" % (v[0] == fs))
    print("worker_arg0=%s" % os.path.basename(v[3][0]))
c.logout()
# Kill the zygote and wait for it to be gone (a connection meeting a
# dying zygote is lost, doc/login.md): logins go on, a new zygote comes.
if z:
    os.kill(int(z[0]), signal.SIGKILL)
    wait(lambda p: z[0] not in p or p[z[0]][4] == "Z")
oks = 0; tries = 0; newz = []
end = time.time() + 30
while time.time() < end and tries < 200:
    tries += 1
    c = imaplib.IMAP4("127.0.0.1", port, timeout=20)
    typ, _ = c.login("alice@example.org", "alice-secret")
    oks += typ == "OK"
    c.logout()
    newz = [k for k in zygotes(procs(), fs) if k not in z]
    if newz and tries >= 2:
        break
print("logins_ok=%d" % (oks == tries))
print("new_zygote=%d" % len(newz))
PYEOF
r=$(SV_PID=$SV_PID imap_py "$SB/z.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get zygotes)" "1" "one monitor zygote, child of the IMAP fork server"
is "$(get zygote_uid)" "0" "the zygote is root (each monitor needs it until the login)"
is "$(get zygote_args)" "tern-imapd-worker -Z" "the zygote is the worker program started with -Z"
is "$(get worker_parent_fs)" "1" "the worker's parent is the fork server (CLONE_PARENT), not the zygote"
is "$(get worker_arg0)" "tern-imapd-worker" "the worker runs the worker program's image"
is "$(get logins_ok)" "1" "after the zygote was killed, every login went through"
is "$(get new_zygote)" "1" "a new zygote was started"
ok "the lost zygote was logged" grep -q "monitor zygote: gone\|monitor zygote: no monitor" "$SB/log"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$(get zygotes)" = 1 ] || diag "$r"
done_testing
