# t/login/uids.sh - sourced by t/imap/uids.t and t/pop3/uids.t (after
# t/lib.sh): the parts of "who runs as whom" that are the same for every
# split service (doc/login.md).  Each test writes its Python script from
# these pieces and its own dialogue.
#
#   uids_py_procs NAME   Python: snap() (the processes named NAME and its
#                        worker, "NAME-work" in /proc's 15 characters),
#                        show(kind, proc), servers(procs) (the fork
#                        servers, children of $SV_PID), settle(pred) and
#                        pre_settled(procs) (a monitor and its pre-auth child)
#   uids_py_worker_fds   Python: what the worker (top[0], w) holds open;
#                        prints worker_bad= and worker_sockets=
#   uids_worker_fds_ok BAD SOCKETS   the two assertions on those

uids_py_procs() {
	sed "s/@NAME@/$1/g" <<'PYEOF'
import os, sys
def snap():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit(): continue
        try:
            st = open("/proc/%s/status" % d).read()
            args = open("/proc/%s/cmdline" % d, "rb").read().split(b"\0")
        except OSError:
            continue
        f = dict(l.split(":\t", 1) for l in st.splitlines() if ":\t" in l)
        if f.get("Name") not in ("@NAME@", "@NAME@-work"): continue
        try: root = os.readlink("/proc/%s/root" % d)
        except OSError: root = "?"
        try: cwd = os.readlink("/proc/%s/cwd" % d)
        except OSError: cwd = "?"
        procs[d] = (f["PPid"], f["Uid"].split(), f["Gid"].split(), b" ".join(args).decode(), root, cwd, f["Name"], f["State"][0])
    return procs
def show(kind, v):
    print("%s_uid=%s" % (kind, ",".join(v[1])))
    print("%s_gid=%s" % (kind, ",".join(v[2])))
    print("%s_root=%s" % (kind, v[4]))
    print("%s_cwd=%s" % (kind, v[5]))
# The service's fork server is a child of tern-supervise (started
# before the session: already there).  Per connection it forks the
# pre-auth child and spawns the monitor, both its children.
def servers(procs):
    return [k for k, v in procs.items() if v[0] == os.environ["SV_PID"] and v[6] == "@NAME@"]
# A snapshot of /proc is one instant: the fork server spawns the monitor
# after it forked the child, which may greet (and answer) first, and the
# child ends after the login asynchronously.  Take snapshots until the
# state asserted is there (bounded: 10 s), then assert on that one.
import time
def settle(pred):
    end = time.time() + 10
    while True:
        procs = snap()
        if pred(procs) or time.time() > end:
            return procs
        time.sleep(0.05)
# Before the password: one monitor and one live pre-auth child.
def pre_settled(procs):
    fs = servers(procs)
    mon = [k for k, v in procs.items() if v[0] in fs and v[6] == "@NAME@-work"]
    kids = [k for k, v in procs.items() if v[0] in fs and k not in fs and v[6] == "@NAME@" and v[7] != "Z"]
    return len(mon) == 1 and len(kids) == 1
PYEOF
}

# The monitor's image became the worker, so nothing of the monitor's may
# stay open (tern.conf, a map, the key, tern-authd's socket): only the
# client socket, the log, pipes, anonymous inodes (inotify), /dev/null,
# files in its Maildir, and its session slot (run_dir/userip/PROTO.slots,
# read-only: max_userip_connections, lib/userip.h).
uids_py_worker_fds() {
	cat <<'PYEOF'
import re
bad = []; socks = 0
for fd in sorted(os.listdir("/proc/%s/fd" % top[0]), key=int):
    if fd == "2": continue      # stderr: the log, by design
    try: t = os.readlink("/proc/%s/fd/%s" % (top[0], fd))
    except OSError: continue
    if t.startswith("socket:"): socks += 1
    elif t.startswith("pipe:") or t.startswith("anon_inode:") or t == "/dev/null": pass
    elif re.search(r"/userip/[a-z0-9]+\.slots$", t) and \
            int(open("/proc/%s/fdinfo/%s" % (top[0], fd)).read().split("flags:")[1].split()[0], 8) & 3 == 0: pass
    elif not t.startswith(w[5] + "/") and t != w[5]: bad.append("%s=%s" % (fd, t))
print("worker_bad=%s" % ",".join(bad))
print("worker_sockets=%d" % socks)
PYEOF
}

uids_worker_fds_ok() {
	is "$1" "" "worker: no file of the monitor's left open (only its Maildir, sockets, pipes, /dev/null)"
	ok "worker: at most two sockets (the client, the log): $2" test "$2" -ge 1 -a "$2" -le 2
}
