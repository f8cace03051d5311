#!/usr/bin/python3
"""t/remote/strict.py - an SMTP server that answers a pipelined group only
once the whole group is in: MAIL, the RCPTs and DATA (RFC 2920 3.1).

    strict.py PORT LOG [data354]

Offers PIPELINING.  After MAIL it reads commands without answering until
a DATA line arrives (or GROUP_MAX commands: a client's group of RCPTs),
then answers them all in one write; a client that waits for the RCPT
replies before it sends DATA gets them only after GROUP_WAIT seconds,
and the group is logged without DATA.  Replies: a
sender or recipient "bad-*" gets 550, RCPTs after a refused MAIL 503;
DATA 354 when MAIL and some RCPT were taken, else 554 ("data354": 354
anyway, as a sloppy server might).  The body is read to its dot; a body
after a 554-worthy envelope (no recipient) is logged as "dot-only" when
it is just the dot, and answered 250 (sloppy) in data354 mode.
LOG gets one line per event: "group MAIL RCPT ... [DATA]",
"data bytes=N rcpts=N", "rset", "quit".  Connections are served one at a
time; prints "ready" once listening.
"""
import socket, sys

port, logf = int(sys.argv[1]), sys.argv[2]
data354 = len(sys.argv) > 3 and sys.argv[3] == 'data354'
GROUP_WAIT = 20
GROUP_MAX = 101	# MAIL and 100 RCPTs: tern-remote's RMT_GROUP


def log(s):
    with open(logf, 'a') as f:
        f.write(s + '\n')


def serve(c):
    f = c.makefile('rb')
    c.sendall(b'220 strict.test ESMTP\r\n')

    def line(timeout=60):
        c.settimeout(timeout)
        try:
            l = f.readline(4096)
        except socket.timeout:
            return None
        if not l:
            raise EOFError
        return l.rstrip(b'\r\n')

    while True:
        l = line()
        if l is None:
            return
        verb = l[:4].upper()
        if verb in (b'EHLO', b'HELO'):
            c.sendall(b'250-strict.test\r\n250-PIPELINING\r\n'
                      b'250 8BITMIME\r\n')
        elif verb == b'RSET':
            log('rset')
            c.sendall(b'250 2.0.0 reset\r\n')
        elif verb == b'QUIT':
            log('quit')
            c.sendall(b'221 2.0.0 bye\r\n')
            return
        elif verb == b'MAIL':
            transaction(c, l, line)
        else:
            c.sendall(b'502 5.5.2 not here\r\n')


def transaction(c, mail, line):
    mail_ok = b'<bad-' not in mail
    rcpts, cmd, go = 0, mail, False
    while True:
        # One group: up to DATA, or GROUP_MAX commands (a client's
        # group of RCPTs: tern-remote's RMT_GROUP), or GROUP_WAIT.
        group = [cmd]
        while (group[-1][:4].upper() != b'DATA' and
               len(group) < GROUP_MAX):
            l = line(GROUP_WAIT)
            if l is None:
                break		# not pipelined: answer what came
            group.append(l)
        log('group ' + ' '.join(g[:4].upper().decode() for g in group))
        out, datagot = [], False
        for g in group:
            v = g[:4].upper()
            if v == b'MAIL':
                out.append(b'250 2.1.0 ok' if mail_ok else
                           b'550 5.7.1 sender refused')
            elif v == b'RCPT':
                if not mail_ok:
                    out.append(b'503 5.5.1 MAIL first')
                elif b'<bad-' in g:
                    out.append(b'550 5.1.1 no such user')
                else:
                    rcpts += 1
                    out.append(b'250 2.1.5 ok')
            elif v == b'DATA':
                datagot = True
                go = (mail_ok and rcpts > 0) or data354
                out.append(b'354 go on' if go else
                           b'554 5.5.1 no valid recipients')
            else:
                out.append(b'503 5.5.1 not now')
        c.sendall(b''.join(o + b'\r\n' for o in out))
        if datagot:
            break
        cmd = line()
        if cmd is None or cmd[:4].upper() not in (b'RCPT', b'DATA'):
            return
    if not go:
        return
    n = 0
    while True:
        l = line()
        if l is None:
            return
        if l == b'.':
            break
        n += len(l) + 2
    if rcpts > 0 and mail_ok:
        log('data bytes=%d rcpts=%d' % (n, rcpts))
        c.sendall(b'250 2.0.0 taken\r\n')
    else:
        log('dot-only' if n == 0 else 'data without recipients')
        c.sendall(b'250 2.0.0 sloppy\r\n')


s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(8)
print('ready', flush=True)
while True:
    c, _ = s.accept()
    try:
        serve(c)
    except (EOFError, OSError):
        pass
    c.close()
