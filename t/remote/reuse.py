#!/usr/bin/python3
"""t/remote/reuse.py - several messages through one tern-remote, as
tern-qmgr's workers hand them over (lib/remote.h, tern-remote(8)).

    reuse.py TERN-REMOTE MSGFILE SOCKET LOCKFILE HOP TLS SENDER RCPTS...
RCPTS is one argument per message: its recipients, comma-separated.  The
first message goes to a new tern-remote -s SOCKET (LOCKFILE locked as its
fd 4) over fd 3; each further one to SOCKET, an abstract socket name (the
message descriptor
passed with the byte 'M', the request, the acknowledgement, the results).
Prints "N STATUS RELAY | DIAG" per recipient of message N (from 1), then
"exit RC" once tern-remote has ended (after its idle time) and "socket
gone" or "socket left".  Every wait is bounded.
"""
import fcntl, os, socket, struct, subprocess, sys, time

prog, msg, sock, lockf, hop, tls, sender = sys.argv[1:8]
msgs = [a.split(',') for a in sys.argv[8:]]
tlsv = {'none': 0, 'may': 1, 'must': 2, 'verify': 3}[tls]


def b36(n, w):
    s = ''
    for _ in range(w):
        s = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 36] + s
        n //= 36
    return s


def rec(t, v):
    if isinstance(v, str):
        v = v.encode()
    return t.encode() + struct.pack('>I', len(v)) + v


def request(i, rcpts):
    qid = b36(int(time.time()), 7) + b36(i, 4) + b36(os.getpid(), 5)
    r = rec('Q', qid) + rec('H', hop) + rec('T', bytes([tlsv])) + \
        rec('S', sender) + rec('B', bytes([0])) + rec('F', bytes([0]))
    for x in rcpts:
        r += rec('R', x)
    return r + rec('E', b'')


def read_exact(s, n):
    data = b''
    while len(data) < n:
        c = s.recv(n - len(data))
        if not c:
            return None
        data += c
    return data


def results(s):
    out, cur = [], {}
    while True:
        h = read_exact(s, 5)
        if h is None:
            return None
        t = chr(h[0])
        n = struct.unpack('>I', h[1:5])[0]
        v = read_exact(s, n) if n else b''
        if t == 'E':
            return out
        if t == 'K':
            cur = {'K': v.decode()}
        elif t == 'H':
            cur['H'] = v.decode()
        elif t == 'D':
            out.append('%s %s | %s' % (cur['K'], cur.get('H', ''), v.decode()))


def listening(name):
    """Is the abstract socket @name listening (/proc/net/unix)?"""
    with open('/proc/net/unix') as f:
        return any(l.split()[-1] == '@' + name for l in f
                   if len(l.split()) >= 8)


def show(i, res):
    if res is None:
        print('%d none | no results' % i)
    for line in res or []:
        print('%d %s' % (i, line))
    sys.stdout.flush()


lock = open(lockf, 'a+')
fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
a, b = socket.socketpair()
a.settimeout(60)
bfd, lfd = b.fileno(), lock.fileno()


def child():
    os.dup2(bfd, 3)
    os.dup2(lfd, 4)


with open(msg, 'rb') as m:
    p = subprocess.Popen([prog, '-s', sock], stdin=m, preexec_fn=child,
                         pass_fds=(bfd, lfd, 3, 4))
b.close()
lock.close()        # tern-remote holds the slot now
a.sendall(request(1, msgs[0]))
show(1, results(a))
a.close()
for i, rcpts in enumerate(msgs[1:], 2):
    for _ in range(100):
        if listening(sock):
            break
        time.sleep(0.1)
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(60)
    try:
        c.connect('\0' + sock)
        with open(msg, 'rb') as m:
            socket.send_fds(c, [b'M'], [m.fileno()])
        c.sendall(request(i, rcpts))
        ack = read_exact(c, 5)
        show(i, results(c) if ack == b'A\0\0\0\0' else None)
    except OSError as e:
        print('%d none | %s' % (i, e))
    c.close()
try:
    rc = p.wait(timeout=60)
except subprocess.TimeoutExpired:
    p.kill()
    rc = p.wait()
print('exit %d' % rc)
print('socket %s' % ('left' if listening(sock) else 'gone'))
