#!/bin/sh
# tern-proxy, IMAP: the same greeting and capabilities as tern-imapd
# before the login and the backend's after it; LOGIN, STARTTLS, implicit
# TLS with AUTHENTICATE PLAIN and SASL-IR; mail read and IDLE through the
# proxy; routes choose backend B for bob; failures look alike; the master
# login is refused to clients (through the proxy, and directly from an
# untrusted address or with a wrong secret); the client's IP reaches
# tern-authd (ID x-originating-ip); the proxy's processes run neither as
# root nor as the account.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/proxy/proxy.sh"
sandbox
plan 29
proxy_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: x@example.net\nSubject: hello\n\nproxied body\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
MA=$(maildir alice@example.org); UA=$(uidof alice@example.org)
cat >"$SB/t.py" <<'PYEOF'
import os, socket, subprocess, sys, time
from proxyt import *
md, uid = sys.argv[1], int(sys.argv[2])

def strip(l):
    return l.split(" ", 1)[1] if " " in l else l

px, be = Raw(P["P_PXI"]), Raw(P["P_IMAP"])
out("greet_px", px.greet)
out("greet_be", be.greet)
out("capa_px", " | ".join(px.cmd("c1", "CAPABILITY")))
out("capa_be", " | ".join(be.cmd("c1", "CAPABILITY")))
out("login_px", strip(px.last("l1", "LOGIN alice@example.org alice-secret")))
out("login_be", strip(be.last("l1", "LOGIN alice@example.org alice-secret")))
out("capa2_px", " | ".join(px.cmd("c2", "CAPABILITY")))
out("capa2_be", " | ".join(be.cmd("c2", "CAPABILITY")))
out("select", " | ".join(px.cmd("s1", "SELECT INBOX")))
out("fetch", " | ".join(px.cmd("f1", "FETCH 1 BODY.PEEK[TEXT]")))
be.last("z", "LOGOUT"); be.close()
# IDLE through the proxy sees a delivery.
px.send("i1 IDLE")
out("idle", px.line())
tmp = os.path.join(md, "tmp", "1700000099.M99P99Q99.host")
with open(tmp, "w") as f:
    f.write("From: late@example.net\nSubject: late\n\nnew mail\n")
os.chown(tmp, uid, uid)
os.rename(tmp, os.path.join(md, "new", "1700000099.M99P99Q99.host"))
px.s.settimeout(20)
got = []
for _ in range(5):
    l = px.line()
    got.append(l)
    if "EXISTS" in l or l.startswith("ERR") or l == "EOF":
        break
out("idle_exists", " | ".join(got))
px.send("DONE")
out("done", px.upto("i1")[-1])
# The proxy's processes while a session runs: neither root nor alice
# (the fork server, TERN_FORKSERVER in its environment, serves no one: it
# starts as the service's user and forks the sessions).
# A connection's monitor is root for its first moments (it reads the
# master secret and builds the backend TLS context, then drops): a pid
# counts as root only if three snapshots 0.3 s apart all see it so.
import time
# Only this test's: make check runs two tests at a time, and another
# proxy test's tern-proxy processes are not this session's.
def ours(pid):
    for _ in range(16):
        try:
            pid = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1]
        except (OSError, IndexError):
            return False
        if pid == os.environ["SV_PID"]:
            return True
        if pid in ("0", "1"):
            return False
    return False
def snap():
    ps = subprocess.run(["ps", "-o", "pid=,uid=,args=", "-C", "tern-proxy"],
                        capture_output=True, text=True).stdout
    return "\n".join(l for l in ps.splitlines()
                     if l.strip() and ours(l.split()[0]))
ps = snap()
for _ in range(2):
    time.sleep(0.3)
    later = {l.split()[0]: l.split()[1] for l in snap().splitlines() if l.strip()}
    # keep every non-root line, and a root one only while still root
    ps = "\n".join(l for l in ps.splitlines() if l.strip() and
                   (l.split()[1] != "0" or later.get(l.split()[0]) == "0"))
def is_fs(pid):
    # Its parent is tern-supervise and it was started with TERN_FORKSERVER
    # (a forked session shares that start-up environment, not the parent).
    try:
        env = open("/proc/%s/environ" % pid, "rb").read()
        ppid = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[1]
        parent = open("/proc/%s/comm" % ppid).read().strip()
    except (OSError, IndexError):
        return False
    return b"TERN_FORKSERVER=" in env and parent == "tern-supervise"
uids = sorted(set(l.split()[1] for l in ps.splitlines()
                  if l.strip() and not is_fs(l.split()[0])))
out("px_uids", " ".join(uids))
# A plaintext login: the monitor took the client socket over (handoff),
# so the session is one tern-proxy process, the pre-auth child is gone.
# (A connection of an earlier step may still be ending on a loaded
# machine: wait, bounded, for the count to settle.)
def px_procs():
    return len([l for l in snap().splitlines()
                if l.strip() and not is_fs(l.split()[0])])
n = px_procs()
for _ in range(20):
    if n == 1:
        break
    time.sleep(0.25)
    n = px_procs()
out("px_procs", str(n))
out("logout", px.last("z", "LOGOUT"))
# STARTTLS then LOGIN.
m = imap(P["P_PXI"])
m.starttls(ssl_context=ctx())
out("starttls_login", m.login(*USERS["alice"])[0])
out("starttls_select", m.select("INBOX")[1][0])
m.logout()
# Implicit TLS, AUTHENTICATE PLAIN with SASL-IR, bob (backend B).
t = Raw(P["P_PXIS"], tls=True)
out("sasl_ir", t.last("a1", "AUTHENTICATE PLAIN " + plain("", *USERS["bob"])))
out("bob_select", " | ".join(t.cmd("a2", "SELECT INBOX")))
t.last("z", "LOGOUT"); t.close()
# imaplib's own AUTHENTICATE (continuation) through the proxy.
m = imap(P["P_PXIS"], tls=True)
out("imaplib_auth", m.authenticate("PLAIN", lambda _: ("\0%s\0%s" % USERS["alice"]).encode())[0])
m.logout()
# Failures look alike.
r = Raw(P["P_PXIS"], tls=True)
out("wrong_pw", strip(r.last("w1", "LOGIN alice@example.org wrong")))
out("unknown", strip(r.last("w2", "LOGIN nobody@example.org wrong")))
r.close()
# The master login is not for clients.
r = Raw(P["P_PXIS"], tls=True)
out("master_via_proxy", strip(r.last("m1", "AUTHENTICATE PLAIN " +
    plain("alice@example.org", "tern-proxy", SECRET))))
out("master_login_via_proxy", strip(r.last("m2", "LOGIN tern-proxy " + SECRET)))
r.close()
r = Raw(P["P_IMAP"])
out("master_direct", strip(r.last("m1", "AUTHENTICATE PLAIN " +
    plain("alice@example.org", "tern-proxy", SECRET))))
r.close()
# From the trusted address: a wrong secret fails, the right one works
# (the mechanism tern-proxy uses), and ID's client IP reaches tern-authd.
def raw_from(src, port):
    s = socket.socket()
    s.bind((src, 0))
    s.connect(("127.0.0.1", port))
    r = Raw.__new__(Raw)
    r.s = s; r.f = s.makefile("rb"); r.greet = r.line()
    return r
r = raw_from("127.0.0.3", P["P_IMAP"])
out("master_wrong", strip(r.last("m1", "AUTHENTICATE PLAIN " +
    plain("alice@example.org", "tern-proxy", "x" + SECRET))))
r.close()
r = raw_from("127.0.0.3", P["P_IMAP"])
r.last("i", 'ID ("x-originating-ip" "192.0.2.99")')
out("master_right", strip(r.last("m1", "AUTHENTICATE PLAIN " +
    plain("alice@example.org", "tern-proxy", SECRET))))
r.last("z", "LOGOUT"); r.close()
PYEOF
r=$(SV_PID=$SV_PID proxy_py "$SB/t.py" "$MA" "$UA")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get greet_px)" "$(get greet_be)" "greeting: the same as tern-imapd's"
like "$(get greet_px)" 'CAPABILITY IMAP4rev1' "... with capabilities"
is "$(get capa_px)" "$(get capa_be)" "pre-auth CAPABILITY: the same"
like "$(get login_px)" '^OK \[CAPABILITY .*\] ' "LOGIN through the proxy: OK with capabilities"
is "$(get login_px)" "$(get login_be)" "... the backend's own answer"
is "$(get capa2_px)" "$(get capa2_be)" "post-login CAPABILITY: the backend's"
like "$(get select)" '\* 1 EXISTS' "SELECT through the proxy"
like "$(get fetch)" 'proxied body' "FETCH through the proxy"
like "$(get idle)" '^\+ ' "IDLE through the proxy"
like "$(get idle_exists)" '\* 2 EXISTS' "IDLE sees a delivery through the proxy"
like "$(get done)" '^i1 OK' "DONE"
root_or_acct=no
for u in $(get px_uids); do
	case $u in 0|"$UA") root_or_acct=yes ;; esac
done
ok "tern-proxy processes seen: uids $(get px_uids)" [ -n "$(get px_uids)" ]
is "$root_or_acct" "no" "... none runs as root or as the account"
is "$(get px_procs)" "1" "a plaintext proxied session is one process (the monitor took the client socket over)"
like "$(get starttls_login)" 'OK' "STARTTLS, then LOGIN"
like "$(get starttls_select)" '^2$' "... SELECT"
like "$(get sasl_ir)" '^a1 OK \[CAPABILITY ' "imaps: AUTHENTICATE PLAIN with SASL-IR"
like "$(get imaplib_auth)" 'OK' "imaps: AUTHENTICATE PLAIN with a continuation"
ok "bob went to backend B (routes)" grep -q "login user=bob@example.org .*backend=127.0.0.2:$P_IMAPB" "$SB/log"
ok "alice went to backend A (no route: local)" grep -q "login user=alice@example.org .*backend=127.0.0.1:$P_IMAP" "$SB/log"
is "$(get wrong_pw)" "$(get unknown)" "wrong password and unknown user: the same answer"
like "$(get master_via_proxy) $(get master_login_via_proxy)" '^NO .*NO ' "the master login through the proxy: refused"
like "$(get master_direct)" '^NO ' "the master login from an untrusted address: refused"
like "$(get master_wrong)" '^NO ' "the master login with a wrong secret: refused"
like "$(get master_right)" '^OK ' "the master login from the trusted address: works"
ok "tern-authd logs the client IP sent by the trusted proxy" grep -q "auth ok service=imap user=alice@example.org ip=192.0.2.99" "$SB/log"
ok "the backend logs the account, the proxy and the client's IP" grep -q "tern-imapd.*auth user=alice@example.org proxy=tern-proxy ip=127.0.0.3 origin=127.0.0.1 status=ok" "$SB/log"
# A master login meets a moving account as a password does (tern-authd
# answers both through one verdict): a temporary refusal.
sed -i -e '/^alice@example.org /{s/ status=[a-z]*//;s/$/ status=moving/}' "$SB/accounts"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q >>"$SB/maps.log" 2>&1
cat >"$SB/mv.py" <<'PYEOF'
import socket
from proxyt import *
s = socket.socket(); s.bind(("127.0.0.3", 0)); s.connect(("127.0.0.1", P["P_IMAP"]))
r = Raw.__new__(Raw); r.s = s; r.f = s.makefile("rb"); r.greet = r.line()
print(r.last("m1", "AUTHENTICATE PLAIN " + plain("alice@example.org", "tern-proxy", SECRET)))
PYEOF
mv_ok() { proxy_py "$SB/mv.py" | grep -q "^m1 NO "; }
ok "the master login for a moving account: refused" wait_for 10 mv_ok
ok "no crash or sanitizer report in the log" proxy_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -40 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
