#!/usr/bin/python3
"""t/remote/sink.py - SMTP/LMTP sinks for tern-remote's tests (aiosmtpd).

    sink.py OUTDIR SPEC...      SPEC = ADDR:PORT[:FLAG,FLAG...]
      flags: tls (STARTTLS with OUTDIR/../ca/server.{crt,key}),
             lmtp (LMTP instead of SMTP), greet4 (421 greeting),
             pipelining (announce PIPELINING), slow (greet after 5 s),
             dsn (announce DSN: RET, ENVID, NOTIFY and ORCPT are taken
             and written as given to N.env: "mailraw=", "rcptraw="),
             name=HOST (greet and answer EHLO as HOST)
Recipients decide the answer to RCPT: "bad-*" gets 550 5.1.1,
"tempN-*" gets 451 4.3.0 the first N times, "hangup-*" has the
connection cut (no reply), anything else 250.  Each
message is written to OUTDIR/N.eml (bytes as received, dot-unstuffed)
with OUTDIR/N.env: "listen=SPEC", "tls=yes|no", "from=", "body=",
"peer=IP:PORT" (the client's end: one per connection), "rsets=N" (RSETs
on that connection so far), "to=".
Prints "ready" once every listener accepts connections.  IPv6 addresses
are written [ADDR]:PORT.
"""
import asyncio, os, ssl, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
from aiosmtpd.lmtp import LMTP

out = sys.argv[1]
lock = threading.Lock()
tries = {}
count = [0]


class Handler:
    def __init__(self, spec):
        self.spec = spec

    async def handle_RCPT(self, server, session, envelope, address, opts):
        local = address.split('@')[0]
        if local.startswith('bad-'):
            return '550 5.1.1 no such user here'
        if local.startswith('hangup-'):
            server.transport.abort()
            return '250 2.1.5 never sent'
        if local.startswith('temp'):
            n = int(''.join(c for c in local[4:].split('-')[0] if c.isdigit()) or '1')
            with lock:
                tries[address] = tries.get(address, 0) + 1
                if tries[address] <= n:
                    return '451 4.3.0 try again later'
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(opts)
        return '250 2.1.5 ok'

    async def handle_RSET(self, server, session, envelope):
        session.tern_rsets = getattr(session, 'tern_rsets', 0) + 1
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        with lock:
            count[0] += 1
            n = count[0]
        base = os.path.join(out, '%d' % n)
        with open(base + '.eml.tmp', 'wb') as f:
            f.write(envelope.original_content)
        with open(base + '.env', 'w') as f:
            f.write('listen=%s\ntls=%s\nfrom=%s\nbody=%s\npeer=%s:%s\n' % (
                self.spec, 'yes' if session.ssl is not None else 'no',
                envelope.mail_from, ' '.join(envelope.mail_options),
                session.peer[0], session.peer[1]))
            f.write('rsets=%d\n' % getattr(session, 'tern_rsets', 0))
            for r in envelope.rcpt_tos:
                f.write('to=%s\n' % r)
            if hasattr(envelope, 'raw_mail'):
                f.write('mailraw=%s\n' % envelope.raw_mail)
            for r in getattr(envelope, 'raw_rcpt', []):
                f.write('rcptraw=%s\n' % r)
        os.rename(base + '.eml.tmp', base + '.eml')
        if isinstance(server, LMTP):
            return '\r\n'.join('250 2.0.0 <%s> delivered as %d' % (r, n)
                               for r in envelope.rcpt_tos)
        return '250 2.0.0 queued as %d' % n


class Greet4(SMTP):
    async def _handle_client(self):
        await self.push('421 4.3.2 not now')
        self.transport.close()


class Slow(SMTP):
    async def _handle_client(self):
        await asyncio.sleep(5)
        await super()._handle_client()


class Pipe(SMTP):
    async def smtp_EHLO(self, hostname):
        orig = self.push
        async def push(status):
            if status.startswith('250 '):
                await orig('250-PIPELINING')
            await orig(status)
        self.push = push
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self.push = orig


def split_dsn(arg, keys):
    """arg without the DSN parameters (keys), and those as given."""
    words = arg.split(' ')
    keep = [w for w in words if w.split('=')[0].upper() not in keys]
    dsn = [w for w in words if w.split('=')[0].upper() in keys]
    return ' '.join(keep), ' '.join(dsn)


class Dsn(SMTP):
    async def smtp_EHLO(self, hostname):
        orig = self.push
        async def push(status):
            if status.startswith('250 '):
                await orig('250-DSN')
            await orig(status)
        self.push = push
        try:
            await super().smtp_EHLO(hostname)
        finally:
            self.push = orig

    async def smtp_MAIL(self, arg):
        if arg is not None:
            arg, raw = split_dsn(arg, ('RET', 'ENVID'))
            self.envelope.raw_mail = raw
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        if arg is not None:
            arg, raw = split_dsn(arg, ('NOTIFY', 'ORCPT'))
            if not hasattr(self.envelope, 'raw_rcpt'):
                self.envelope.raw_rcpt = []
            self.envelope.raw_rcpt.append(raw)
        await super().smtp_RCPT(arg)


class Sink(Controller):
    def __init__(self, spec, host, port, flags, ctx):
        self.flags = flags
        kw = {'tls_context': ctx} if ctx else {}
        super().__init__(Handler(spec), hostname=host, port=port,
                         decode_data=False, enable_SMTPUTF8=True,
                         ready_timeout=10, **kw)

    def factory(self):
        if 'lmtp' in self.flags:
            return LMTP(self.handler, **self.SMTP_kwargs)
        if 'greet4' in self.flags:
            return Greet4(self.handler, **self.SMTP_kwargs)
        if 'slow' in self.flags:
            return Slow(self.handler, **self.SMTP_kwargs)
        kw = dict(self.SMTP_kwargs)
        for f in self.flags:
            if f.startswith('name='):
                kw['hostname'] = f[5:]
        if 'pipelining' in self.flags:
            return Pipe(self.handler, **kw)
        if 'dsn' in self.flags:
            return Dsn(self.handler, **kw)
        return SMTP(self.handler, **kw)


ctls = None
def tls_ctx():
    global ctls
    if ctls is None:
        ca = os.path.join(os.path.dirname(os.path.abspath(out)), 'ca')
        ctls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctls.load_cert_chain(os.path.join(ca, 'server.crt'),
                             os.path.join(ca, 'server.key'))
    return ctls


sinks = []
for spec in sys.argv[2:]:
    if spec.startswith('['):
        host, rest = spec[1:].split(']:', 1)
    else:
        host, rest = spec.split(':', 1)
    port, _, flags = rest.partition(':')
    flags = flags.split(',') if flags else []
    s = Sink(spec, host, int(port), flags,
             tls_ctx() if 'tls' in flags else None)
    s.start()
    sinks.append(s)
print('ready', flush=True)
try:
    threading.Event().wait()
except KeyboardInterrupt:
    pass
