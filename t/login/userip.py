# t/login/userip.py - the session driver of t/imap/userip.t and
# t/pop3/userip.t (max_userip_connections, lib/userip.h):
#
#   userip.py imap|pop3 PORT MAX USER PASS OTHER OTHERPASS
#
# MAX sessions of USER from 127.0.0.1, one more refused (its connection
# goes on: OTHER logs in on it), one from 127.0.0.2 past the limit (POP3
# then refuses it for its mailbox lock: one session an account), a
# logout frees a slot, a worker killed with SIGKILL frees one.  Prints key=value
# lines for the test to assert.  Every wait is a bounded retry of the
# condition itself (a fresh login), never a sleep alone.
import imaplib, os, poplib, signal, socket, sys, time

proto, port, nmax = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
user, pw, other, opw = sys.argv[4:8]


def connect(src):
    base = imaplib.IMAP4 if proto == "imap" else poplib.POP3

    class C(base):
        def _create_socket(self, timeout):
            return socket.create_connection((self.host, self.port), timeout,
                                            source_address=(src, 0))
    return C("127.0.0.1", port, timeout=20)


def login(c, u, p):
    """("ok", "") or ("no", the server's text)."""
    try:
        if proto == "imap":
            c.login(u, p)
            c.noop()
        else:
            c.user(u)
            c.pass_(p)
            c.stat()
        return ("ok", "")
    except (imaplib.IMAP4.error, poplib.error_proto) as e:
        a = e.args[0] if e.args else ""
        return ("no", a.decode() if isinstance(a, bytes) else str(a))


def bye(c):
    try:
        c.logout() if proto == "imap" else c.quit()
    except Exception:
        pass


def admitted(src, tries=200):
    """A fresh session of user from src until one is let in (bounded)."""
    for i in range(tries):
        c = connect(src)
        r = login(c, user, pw)
        if r[0] == "ok":
            return c, i + 1
        bye(c)
        time.sleep(0.05)
    return None, tries


def hexaddr(ip, port):
    a = socket.inet_aton(ip)
    return "%08X:%04X" % (int.from_bytes(a, "little"), port)


def worker_of(c):
    """The pid of the worker process holding c's connection."""
    lip, lport = c.sock.getsockname()
    want_l, want_r = hexaddr("127.0.0.1", port), hexaddr(lip, lport)
    inode = None
    for line in open("/proc/net/tcp").read().splitlines()[1:]:
        f = line.split()
        if f[1] == want_l and f[2] == want_r:
            inode = f[9]
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            name = open("/proc/%s/comm" % d).read().strip()
            if not name.endswith("-work"):
                continue
            for fd in os.listdir("/proc/%s/fd" % d):
                if os.readlink("/proc/%s/fd/%s" % (d, fd)) == \
                        "socket:[%s]" % inode:
                    return int(d)
        except OSError:
            continue
    return None


def slot_info(pid):
    """The worker's uid, and how it holds its slot file: ro, rw or none."""
    st = open("/proc/%d/status" % pid).read()
    uid = [l.split()[1] for l in st.splitlines() if l.startswith("Uid:")][0]
    mode = "none"
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if t.endswith("/userip/%s.slots" % proto):
            fl = [l.split()[1] for l in
                  open("/proc/%d/fdinfo/%s" % (pid, fd)).read().splitlines()
                  if l.startswith("flags:")][0]
            mode = "ro" if int(fl, 8) & 3 == 0 else "rw"
    return uid, mode


held = []
for i in range(nmax):
    c = connect("127.0.0.1")
    if login(c, user, pw)[0] == "ok":
        held.append(c)
print("held=%d" % len(held))
extra = connect("127.0.0.1")
print("refused=%s %s" % login(extra, user, pw))
print("continued=%s" % login(extra, other, opw)[0])
bye(extra)

# Another address: past the limit (POP3: then its mailbox lock says no).
c = connect("127.0.0.2")
print("other_ip=%s %s" % login(c, user, pw))
bye(c)

if held:
    bye(held[0])
c, n = admitted("127.0.0.1")
print("after_logout=%s" % ("ok" if c else "no"))
if held:
    held[0] = c

pid = worker_of(held[-1]) if held and held[-1] else None
if pid:
    uid, mode = slot_info(pid)
    print("worker_uid=%s" % uid)
    print("slot_mode=%s" % mode)
    os.kill(pid, signal.SIGKILL)
c, n = admitted("127.0.0.1")
print("after_kill=%s" % ("ok" if c else "no"))
held.append(c)
for c in held:
    if c:
        bye(c)
