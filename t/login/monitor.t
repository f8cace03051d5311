#!/bin/sh
# The split login path (doc/login.md): the monitor (tern-pop3d-worker
# started with arguments: the worker after the login) and the pre-auth
# child.  A killed monitor takes its pre-auth child with it (the
# child's death watch on the request socket), in plaintext and under
# TLS, whoever the child's parent is (the fork server, or the monitor
# itself on the exec path); after 50 sessions of every kind (logins,
# refused passwords, clients that leave early, TLS) no monitor, pre-auth
# child or worker is left and no process of the service is a zombie.
# Both paths: fork servers (as make run has them), then fork and exec.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
sandbox
plan 17
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
import os, signal, socket, ssl, sys, time
sv = os.environ["SV_PID"]; port = int(os.environ["P_POP3"])
sport = int(os.environ["P_POP3S"]); mode = sys.argv[1]
ctx = ssl.create_default_context(); ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def snap():
    procs = {}
    for d in os.listdir("/proc"):
        if not d.isdigit(): continue
        try: st = open("/proc/%s/status" % d).read()
        except OSError: continue
        f = dict(l.split(":\t", 1) for l in st.splitlines() if ":\t" in l)
        procs[d] = (f.get("PPid"), f.get("Name"), f.get("State", "?")[0])
    return procs
def tree():
    # tern-supervise's descendants: (pid -> (ppid, name, state))
    procs = snap(); out = {}; todo = [sv]
    while todo:
        p = todo.pop()
        for k, v in procs.items():
            if v[0] == p and k not in out:
                out[k] = v; todo.append(k)
    return out
def parts(t):
    servers = [k for k, v in t.items() if v[0] == sv and v[1] == "tern-pop3d"
               and mode == "fs"]
    # the monitor, or after the login the worker: the same process
    mon = [k for k, v in t.items() if v[1] == "tern-pop3d-work"]
    kids = [k for k, v in t.items() if v[1] == "tern-pop3d" and k not in servers
            and v[2] != "Z"]
    work = []
    zomb = [k for k, v in t.items() if v[2] == "Z"]
    return servers, mon, kids, work, zomb
def line(f):
    l = f.readline()
    return l.decode("latin-1").rstrip("\r\n")
def connect(tls):
    s = socket.create_connection(("127.0.0.1", sport if tls else port), 20)
    s.settimeout(20)
    if tls: s = ctx.wrap_socket(s)
    return s, s.makefile("rb")
def close(s, f):
    # the file object holds the socket open too
    f.close(); s.close()
def cmd(s, f, c):
    s.sendall(c.encode() + b"\r\n"); return line(f)
def settle(cond, limit=15.0):
    # bounded: until cond() holds or limit seconds pass
    end = time.time() + limit
    while time.time() < end:
        if cond(): return True
        time.sleep(0.05)
    return cond()
def kill_test(tls):
    name = "tls" if tls else "plain"
    s, f = connect(tls)
    line(f); cmd(s, f, "USER alice@example.org")
    ok = settle(lambda: len(parts(tree())[1]) == 1 and len(parts(tree())[2]) == 1, 10)
    _, mon, kids, _, _ = parts(tree())
    print("%s_found=%d" % (name, ok and len(mon) == 1 and len(kids) == 1))
    if not (mon and kids): return
    os.kill(int(mon[0]), signal.SIGKILL)
    gone = settle(lambda: not os.path.exists("/proc/" + kids[0]) or
                  snap().get(kids[0], ("", "", "Z"))[2] == "Z")
    gone = gone and settle(lambda: kids[0] not in tree())
    print("%s_child_gone=%d" % (name, gone))
    try: closed = f.read(1) == b""
    except (OSError, ssl.SSLError): closed = True
    print("%s_client_closed=%d" % (name, closed))
    close(s, f)
good = 0
for i in range(50):
    k = i % 5
    s, f = connect(k == 3)
    if not line(f).startswith("+OK"): close(s, f); continue
    r = cmd(s, f, "USER alice@example.org")
    if k == 2:                      # the client leaves before its password
        close(s, f); good += 1; continue
    if k == 1 and i < 15:           # refused (few: tern-authd throttles)
        r = cmd(s, f, "PASS wrong")
        if r.startswith("-ERR"): good += 1
        cmd(s, f, "QUIT"); close(s, f); continue
    r = cmd(s, f, "PASS alice-secret")
    if not r.startswith("+OK"): close(s, f); continue
    if k == 4:                      # the client leaves after the login
        close(s, f); good += 1
        # Its worker holds the maildrop lock until it reads the end of
        # the connection: the next login waits for it to end, or may be
        # refused [IN-USE] on a loaded machine.
        settle(lambda: not parts(tree())[1])
        continue
    r = cmd(s, f, "STAT")
    if r.startswith("+OK") and cmd(s, f, "QUIT").startswith("+OK"): good += 1
    close(s, f)
print("good=%d" % good)
left = lambda: sum(len(x) for x in parts(tree())[1:]) == 0
settle(left, 20)
_, mon, kids, work, zomb = parts(tree())
print("left=%d/%d/%d/%d" % (len(mon), len(kids), len(work), len(zomb)))
kill_test(False)
kill_test(True)
PYEOF
run() {
	r=$(SV_PID=$SV_PID P_POP3=$P_POP3 P_POP3S=$P_POP3S "$PY" "$SB/t.py" "$1" 2>&1)
	get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
	is "$(get good)" "50" "$2: 50 sessions (logins, refused, left early, TLS) as expected"
	is "$(get left)" "0/0/0/0" "$2: no monitor or worker, pre-auth child or zombie left after them"
	for k in plain tls; do
		is "$(get ${k}_found)" "1" "$2, $k: one monitor and one pre-auth child for the session"
		is "$(get ${k}_child_gone)" "1" "$2, $k: the monitor killed, its pre-auth child is gone too"
		is "$(get ${k}_client_closed)" "1" "$2, $k: the client's connection is closed"
	done
	[ "$_tap_fail" = 0 ] || diag "$r"
}
run fs "fork server"
# The same by fork and exec (no fork server): the monitor is exec'd in
# place by the connection's process, the pre-auth child is its child.
kill -TERM "$SV_PID"
wait_for 20 sh -c "! kill -0 $SV_PID"
POP3_FORKSERVER="" pop3_conf
"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
SV_PID=$!
track $SV_PID
wait_port "$P_POP3" && wait_port "$P_POP3S" || diag "no supervisor after the restart"
run exec "fork and exec"
ok "no sanitizer report or crash in the log" sh -c "! grep -Eq 'Sanitizer|runtime error' '$SB/log'"
done_testing
