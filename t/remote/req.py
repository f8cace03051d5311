#!/usr/bin/python3
"""t/remote/req.py - run tern-remote once as tern-qmgr would (lib/remote.h).

    req.py TERN-REMOTE MSGFILE HOP TLS SENDER RCPT... [--qid ID] [--body N]
Prints one line per recipient: "STATUS RELAY | DIAG" (s, d or b); exit
status is tern-remote's.
"""
import os, socket, struct, subprocess, sys, time

args = sys.argv[1:]
qid, body = None, 0
if '--qid' in args:
    i = args.index('--qid'); qid = args[i + 1]; del args[i:i + 2]
if '--body' in args:
    i = args.index('--body'); body = int(args[i + 1]); del args[i:i + 2]
prog, msg, hop, tls, sender = args[:5]
rcpts = args[5:]
if qid is None:
    # A valid id: 7 base-36 seconds, 4 microseconds, 5 pid (lib/qid.h).
    def b36(n, w):
        s = ''
        for _ in range(w):
            s = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'[n % 36] + s; n //= 36
        return s
    qid = b36(int(time.time()), 7) + b36(0, 4) + b36(os.getpid(), 5)
tlsv = {'none': 0, 'may': 1, 'must': 2, 'verify': 3}[tls]

def rec(t, v):
    if isinstance(v, str):
        v = v.encode()
    return t.encode() + struct.pack('>I', len(v)) + v

req = rec('Q', qid) + rec('H', hop) + rec('T', bytes([tlsv])) + \
    rec('S', sender) + rec('B', bytes([body])) + rec('F', bytes([0]))
for r in rcpts:
    req += rec('R', r)
req += rec('E', b'')
a, b = socket.socketpair()
bfd = b.fileno()
def child():
    os.dup2(bfd, 3)
with open(msg, 'rb') as m:
    p = subprocess.Popen([prog], stdin=m, preexec_fn=child, pass_fds=(bfd, 3))
b.close()
a.sendall(req)
data = b''
while True:
    chunk = a.recv(65536)
    if not chunk:
        break
    data += chunk
rc = p.wait()
off, cur = 0, {}
while off + 5 <= len(data):
    t = chr(data[off]); n = struct.unpack('>I', data[off + 1:off + 5])[0]
    v = data[off + 5:off + 5 + n]; off += 5 + n
    if t == 'K':
        cur = {'K': v.decode()}
    elif t == 'H':
        cur['H'] = v.decode()
    elif t == 'D':
        print('%s %s | %s' % (cur['K'], cur.get('H', ''), v.decode()))
sys.exit(rc)
