#!/usr/bin/python3
"""bench/relaysink.py - the SMTP sink of bench/relay: cheap, so that it
caps neither relaying system.

    relaysink.py COUNTFILE PORT PROCS [nopipelining]

PROCS processes each listen on 127.0.0.1:PORT with SO_REUSEPORT (the
kernel spreads connections over them) and each runs one asyncio loop.
Every message taken (the reply to its end of data is 250) appends one
byte to COUNTFILE (O_APPEND), so its size is the number of messages
received: the harness reads a size, not a folder.  Nothing is stored.

EHLO offers PIPELINING (unless "nopipelining"), SIZE, 8BITMIME and
ENHANCEDSTATUSCODES, as most servers do; no STARTTLS, no AUTH.  Every
MAIL, RCPT and RSET gets 250, DATA 354, QUIT 221; pipelined commands
are answered in order with one write.  The end of data is found by
searching each read (and the 4 bytes before it) for CR LF . CR LF; the
body is neither kept nor parsed line by line: this costs the sink far
less per message than aiosmtpd (t/remote/sink.py), which reads DATA one
line at a time and writes two files per message.

Prints "ready" once every process listens.  SIGTERM to the first
process ends them all.
"""
import asyncio, os, signal, socket, sys, time

count_path, port, procs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pipelining = not (len(sys.argv) > 4 and sys.argv[4] == 'nopipelining')
EHLO = (b'250-bench-sink\r\n' +
        (b'250-PIPELINING\r\n' if pipelining else b'') +
        b'250-SIZE 209715200\r\n250-8BITMIME\r\n'
        b'250 ENHANCEDSTATUSCODES\r\n')
END = b'\r\n.\r\n'
LINE_MAX = 4096


class Session(asyncio.Protocol):
    def __init__(self, countfd):
        self.countfd = countfd
        self.buf = b''
        self.indata = False
        self.tail = b''
        self.t = None

    def connection_made(self, t):
        self.t = t
        t.write(b'220 bench-sink ESMTP\r\n')

    def data_received(self, d):
        out = []
        while d:
            if self.indata:
                s = self.tail + d
                i = s.find(END)
                if i < 0:
                    self.tail = s[-4:]
                    break
                self.indata = False
                os.write(self.countfd, b'.')
                out.append(b'250 2.0.0 Ok: queued\r\n')
                d = s[i + len(END):]
                continue
            self.buf += d
            d = b''
            while not self.indata:
                i = self.buf.find(b'\r\n')
                if i < 0:
                    if len(self.buf) > LINE_MAX:
                        self.t.write(b''.join(out) +
                                     b'500 5.5.2 line too long\r\n')
                        self.t.close()
                        return
                    break
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                verb = line[:4].upper()
                if verb == b'DATA':
                    out.append(b'354 End data with <CR><LF>.<CR><LF>\r\n')
                    self.indata = True
                    self.tail = b'\r\n'	# an empty body ends at once
                    d, self.buf = self.buf, b''
                elif verb in (b'MAIL', b'RCPT', b'RSET', b'NOOP', b'HELO'):
                    out.append(b'250 2.0.0 Ok\r\n')
                elif verb == b'EHLO':
                    out.append(EHLO)
                elif verb == b'QUIT':
                    self.t.write(b''.join(out) + b'221 2.0.0 Bye\r\n')
                    self.t.close()
                    return
                else:
                    out.append(b'502 5.5.2 not here\r\n')
        if out:
            self.t.write(b''.join(out))


def serve(sock, countfd, parent):
    async def main():
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: Session(countfd),
                                          sock=sock, backlog=256)
        async with server:
            while os.getppid() == parent:	# end with the first process
                await asyncio.sleep(1)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    asyncio.run(main())


socks = []
for _ in range(procs):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(('127.0.0.1', port))
    s.listen(256)
    socks.append(s)
countfd = os.open(count_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
me = os.getpid()
kids = []
for s in socks:
    pid = os.fork()
    if pid == 0:
        for o in socks:
            if o is not s:
                o.close()
        serve(s, countfd, me)
        os._exit(0)
    kids.append(pid)
for s in socks:
    s.close()


def stop(sig, frame):
    for k in kids:
        try:
            os.kill(k, signal.SIGTERM)
        except ProcessLookupError:
            pass
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
print('ready', flush=True)
while kids:
    try:
        pid, _ = os.wait()
        kids.remove(pid)
    except ChildProcessError:
        break
