#!/usr/bin/python3
"""bench/mailclient.py - the POP3/IMAP load driver of bench/pop3 and bench/imap.

    mailclient.py PROTO OP --port P [--tls] --users FILE [options]

PROTO is pop3 or imap.  FILE holds "address password" lines.  Every
operation prints one line of JSON: what it did, how long it took (wall),
the driver's own CPU seconds (so a reader can see it was not the
bottleneck) and the first error seen.  Errors are counted, never fatal.

Operations:
  login   --count N --par P       N sessions (connect, greeting, log in,
                                  log out), P worker processes in parallel
  retr    --par P --accounts K    POP3: K accounts, each logged in and every
                                  message RETRieved (P at a time); IMAP: the
                                  same with UID FETCH 1:* BODY.PEEK[]
  hold    --count K               open K logged-in sessions (IMAP: SELECT
                                  INBOX and IDLE), print "READY ok err" on
                                  stdout, then keep them until killed or
                                  --hold-secs pass
  select  --user ADDR --repeat R  IMAP: R x (log in, SELECT INBOX, log out),
                                  the SELECT timed alone
  fetchflags / search / fetchbody --user ADDR --repeat R
                                  IMAP: R x the command on a SELECTed INBOX
  append  --user ADDR --count N --size BYTES --par P
                                  IMAP: N APPENDs to INBOX (P sessions)

Sockets are plain blocking ones (one per worker process, so no GIL and no
event loop between the driver and the server), except for hold, which uses
asyncio to keep thousands of idle sessions.  Every read has a timeout.
"""
import argparse
import asyncio
import json
import multiprocessing as mp
import os
import socket
import ssl
import sys
import time

TIMEOUT = 60.0


def tls_context():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Conn:
    """A line-oriented client connection with a read buffer."""

    def __init__(self, port, use_tls, ctx):
        s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if use_tls:
            s = ctx.wrap_socket(s)
        self.s = s
        self.buf = b""
        self.pos = 0    # bytes of buf already consumed

    def send(self, data):
        self.s.sendall(data)

    # buf is consumed by moving pos, not by slicing it after every line:
    # a slice copies the rest of the buffer, so a 256 KiB read of 40-byte
    # FETCH lines cost the driver O(n^2) (UID FETCH 1:* (FLAGS) of 10,000
    # messages: 18 ms of parsing with 4 KiB reads, 76 ms with 256 KiB
    # ones), and the faster a server wrote, the bigger the reads and the
    # longer the row took.
    def fill(self):
        d = self.s.recv(262144)
        if not d:
            raise EOFError("server closed the connection")
        if self.pos:
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            if i >= 0:
                ln = self.buf[self.pos:i]
                self.pos = i + 2
                return ln
            if len(self.buf) - self.pos > 1 << 20:
                raise ValueError("line over 1 MiB")
            self.fill()

    def read_exact(self, n):
        while len(self.buf) - self.pos < n:
            self.fill()
        d = self.buf[self.pos:self.pos + n]
        self.pos += n
        return d

    def pop3_multiline(self):
        """Bytes of a POP3 multi-line answer up to the final dot."""
        n = 0
        self.buf = self.buf[self.pos:]
        self.pos = 0
        while True:
            i = self.buf.find(b"\r\n.\r\n")
            if i >= 0:
                n += i + 5
                self.buf = self.buf[i + 5:]
                return n
            # Keep a tail that could hold the start of the terminator.
            if len(self.buf) > 8:
                n += len(self.buf) - 4
                self.buf = self.buf[-4:]
            self.fill()

    def imap_until(self, tag):
        """Read an IMAP answer up to the tagged line; literals are skipped
        by size.  Returns (tagged line, bytes read, untagged lines)."""
        n = 0
        lines = []
        t = tag.encode() + b" "
        while True:
            ln = self.line()
            n += len(ln) + 2
            while ln.endswith(b"}") and b"{" in ln:
                size = int(ln[ln.rindex(b"{") + 1:-1].rstrip(b"+"))
                self.read_exact(size)
                n += size
                rest = self.line()
                n += len(rest) + 2
                ln = ln + b"<literal>" + rest
            if ln.startswith(t):
                return ln, n, lines
            lines.append(ln)

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass


def pop3_login(c, user, pw):
    g = c.line()
    if not g.startswith(b"+OK"):
        raise RuntimeError("greeting: %r" % g[:80])
    c.send(b"USER %s\r\nPASS %s\r\n" % (user.encode(), pw.encode()))
    a = c.line()
    if not a.startswith(b"+OK"):
        raise RuntimeError("USER: %r" % a[:80])
    a = c.line()
    if not a.startswith(b"+OK"):
        raise RuntimeError("PASS: %r" % a[:80])


def pop3_quit(c):
    c.send(b"QUIT\r\n")
    a = c.line()
    if not a.startswith(b"+OK"):
        raise RuntimeError("QUIT: %r" % a[:80])


def imap_cmd(c, tag, cmd):
    c.send(tag.encode() + b" " + cmd + b"\r\n")
    ln, n, lines = c.imap_until(tag)
    if not ln.startswith(tag.encode() + b" OK"):
        raise RuntimeError("%s: %r" % (cmd[:30].decode(errors="replace"),
                                       ln[:100]))
    return n, lines


def imap_login(c, user, pw):
    g = c.line()
    if not g.startswith(b"* OK"):
        raise RuntimeError("greeting: %r" % g[:80])
    imap_cmd(c, "a", b'LOGIN "%s" "%s"' % (user.encode(), pw.encode()))


def imap_logout(c):
    imap_cmd(c, "z", b"LOGOUT")


def login_session(a, user, pw, ctx):
    c = Conn(a.port, a.tls, ctx)
    try:
        if a.proto == "pop3":
            pop3_login(c, user, pw)
            pop3_quit(c)
        else:
            imap_login(c, user, pw)
            imap_logout(c)
    finally:
        c.close()


def retr_account(a, user, pw, ctx):
    """Returns (bytes of message data, messages)."""
    c = Conn(a.port, a.tls, ctx)
    total = msgs = 0
    try:
        if a.proto == "pop3":
            pop3_login(c, user, pw)
            c.send(b"STAT\r\n")
            st = c.line()
            if not st.startswith(b"+OK"):
                raise RuntimeError("STAT: %r" % st[:80])
            count = int(st.split()[1])
            # Pipelined, a window of 8 commands at a time.
            sent = 0
            for i in range(1, count + 1):
                while sent < count and sent < i + 8:
                    sent += 1
                    c.send(b"RETR %d\r\n" % sent)
                ok = c.line()
                if not ok.startswith(b"+OK"):
                    raise RuntimeError("RETR: %r" % ok[:80])
                total += c.pop3_multiline()
                msgs += 1
            pop3_quit(c)
        else:
            imap_login(c, user, pw)
            imap_cmd(c, "s", b"EXAMINE INBOX")
            n, lines = imap_cmd(c, "f", b"UID FETCH 1:* (BODY.PEEK[])")
            total = n
            msgs = sum(1 for ln in lines if b" FETCH " in ln)
            imap_logout(c)
    finally:
        c.close()
    return total, msgs


def read_users(path):
    out = []
    with open(path) as f:
        for ln in f:
            p = ln.split()
            if len(p) == 2:
                out.append((p[0], p[1]))
    return out


def worker(a, wid, jobs, q):
    """Process jobs (indexes) of one worker; puts a result dict in q."""
    ctx = tls_context()
    users = read_users(a.users)
    r = {"ok": 0, "err": 0, "bytes": 0, "msgs": 0, "error": ""}
    for j in jobs:
        u, p = users[j % len(users)]
        try:
            if a.op == "login":
                login_session(a, u, p, ctx)
            else:
                b, m = retr_account(a, u, p, ctx)
                r["bytes"] += b
                r["msgs"] += m
            r["ok"] += 1
        except Exception as e:  # counted, reported once
            r["err"] += 1
            if not r["error"]:
                r["error"] = "%s: %s" % (type(e).__name__, str(e)[:150])
    q.put(r)


def run_parallel(a, total):
    """Job i goes to worker i % par, so parallel workers use distinct
    accounts at any one time when the account count is a multiple of par."""
    q = mp.Queue()
    procs = []
    t0 = time.monotonic()
    for w in range(a.par):
        jobs = range(w, total, a.par)
        p = mp.Process(target=worker, args=(a, w, jobs, q))
        p.start()
        procs.append(p)
    res = []
    for _ in procs:
        try:
            res.append(q.get(timeout=a.limit))
        except Exception:
            break
    t1 = time.monotonic()
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join()
    out = {"ok": 0, "err": 0, "bytes": 0, "msgs": 0, "error": ""}
    for r in res:
        for k in ("ok", "err", "bytes", "msgs"):
            out[k] += r[k]
        if r["error"] and not out["error"]:
            out["error"] = r["error"]
    missing = a.par - len(res)
    if missing:
        out["err"] += missing
        out["error"] = out["error"] or "%d workers timed out" % missing
    out["secs"] = t1 - t0
    return out


# --- hold: many idle sessions (asyncio) ---------------------------------------

async def hold_one(a, user, pw, ctx, sem, conns, stats):
    async with sem:
        try:
            r, w = await asyncio.wait_for(asyncio.open_connection(
                "127.0.0.1", a.port, ssl=ctx if a.tls else None,
                limit=1 << 20), TIMEOUT)
            conns.append(w)

            async def line():
                ln = await asyncio.wait_for(r.readline(), TIMEOUT)
                if not ln:
                    raise EOFError("server closed the connection")
                return ln

            async def until(tag):
                while True:
                    ln = await line()
                    while ln.rstrip().endswith(b"}") and b"{" in ln:
                        size = int(ln[ln.rindex(b"{") + 1:].rstrip()[:-1]
                                   .rstrip(b"+"))
                        await asyncio.wait_for(r.readexactly(size), TIMEOUT)
                        ln = await line()
                    if ln.startswith(tag):
                        return ln

            g = await line()
            if a.proto == "pop3":
                w.write(b"USER %s\r\nPASS %s\r\n" % (user.encode(),
                                                     pw.encode()))
                await line()
                ok = await line()
                if not ok.startswith(b"+OK"):
                    raise RuntimeError("PASS: %r" % ok[:80])
                w.write(b"STAT\r\n")
                ok = await line()
                if not ok.startswith(b"+OK"):
                    raise RuntimeError("STAT: %r" % ok[:80])
            else:
                if not g.startswith(b"* OK"):
                    raise RuntimeError("greeting: %r" % g[:80])
                w.write(b'a LOGIN "%s" "%s"\r\n' % (user.encode(),
                                                    pw.encode()))
                ok = await until(b"a ")
                if not ok.startswith(b"a OK"):
                    raise RuntimeError("LOGIN: %r" % ok[:80])
                w.write(b"b SELECT INBOX\r\n")
                ok = await until(b"b ")
                if not ok.startswith(b"b OK"):
                    raise RuntimeError("SELECT: %r" % ok[:80])
                w.write(b"c IDLE\r\n")
                ok = await line()
                if not ok.startswith(b"+"):
                    raise RuntimeError("IDLE: %r" % ok[:80])
            stats["ok"] += 1
        except Exception as e:
            stats["err"] += 1
            if not stats["error"]:
                stats["error"] = "%s: %s" % (type(e).__name__, str(e)[:150])


async def hold(a):
    ctx = tls_context()
    users = read_users(a.users)
    sem = asyncio.Semaphore(a.par)
    conns = []
    stats = {"ok": 0, "err": 0, "error": ""}
    t0 = time.monotonic()
    tasks = [hold_one(a, *users[i % len(users)], ctx, sem, conns, stats)
             for i in range(a.count)]
    try:
        await asyncio.wait_for(asyncio.gather(*tasks), a.limit)
    except asyncio.TimeoutError:
        stats["error"] = stats["error"] or "not all sessions within the limit"
    stats["secs"] = time.monotonic() - t0
    print("READY %d %d %s" % (stats["ok"], stats["err"],
                              json.dumps(stats["error"])), flush=True)
    await asyncio.sleep(a.hold_secs)
    for w in conns:
        w.close()


# --- single-session IMAP measurements -----------------------------------------

def imap_timed(a):
    ctx = tls_context()
    users = dict(read_users(a.users))
    pw = users[a.user]
    times = []
    out = {"ok": 0, "err": 0, "bytes": 0, "error": "", "answer": ""}
    t_all = time.monotonic()
    c = None
    for i in range(a.repeat):
        try:
            if c is None or a.op == "select":
                c = Conn(a.port, a.tls, ctx)
                imap_login(c, a.user, pw)
                if a.op != "select":
                    imap_cmd(c, "s", b"SELECT INBOX")
            t0 = time.monotonic()
            if a.op == "select":
                n, lines = imap_cmd(c, "s", b"SELECT INBOX")
                ans = [ln for ln in lines if ln.endswith(b"EXISTS")]
            elif a.op == "fetchflags":
                n, lines = imap_cmd(c, "f", b"UID FETCH 1:* (FLAGS)")
                ans = ["%d FETCH lines" % sum(1 for ln in lines
                                              if b" FETCH " in ln)]
            elif a.op == "fetchbody":
                n, lines = imap_cmd(c, "f", b"UID FETCH 1:%d (BODY.PEEK[])"
                                    % a.max_uid)
                ans = ["%d FETCH lines" % sum(1 for ln in lines
                                              if b" FETCH " in ln)]
            elif a.op == "command":
                n, lines = imap_cmd(c, "q", a.command.encode())
                ans = [command_summary(lines)]
            elif a.op == "search":
                n, lines = imap_cmd(c, "q", b"SEARCH TEXT " +
                                    a.text.encode())
                ans = ["%d hits" % sum(len(ln.split()) - 2 for ln in lines
                                       if ln.startswith(b"* SEARCH"))]
            times.append(time.monotonic() - t0)
            out["bytes"] += n
            out["ok"] += 1
            out["answer"] = str(ans[0] if ans else "")[:80]
            if a.op == "select":
                imap_logout(c)
                c.close()
        except Exception as e:
            out["err"] += 1
            out["error"] = out["error"] or "%s: %s" % (type(e).__name__,
                                                       str(e)[:150])
            if c is not None:
                c.close()
            c = None
        if time.monotonic() - t_all > a.limit:
            out["error"] = out["error"] or "over the time limit"
            break
    if c is not None and a.op != "select":
        try:
            imap_logout(c)
        except Exception:
            pass
        c.close()
    out["times"] = times
    out["secs"] = sum(times)
    return out


def command_summary(lines):
    """SORT: how many numbers and the first three; THREAD: how many
    numbers and top-level threads (the same everywhere if both agree)."""
    for ln in lines:
        if ln.startswith(b"* SORT"):
            v = ln.split()[2:]
            return "%d numbers, first %s" % (len(v), b",".join(v[:3]).decode())
        if ln.startswith(b"* THREAD"):
            depth = top = 0
            for ch in ln[8:]:
                if ch == 40:
                    if depth == 0:
                        top += 1
                    depth += 1
                elif ch == 41:
                    depth -= 1
            nums = len(ln[8:].replace(b"(", b" ").replace(b")", b" ").split())
            return "%d numbers, %d threads" % (nums, top)
    return "no answer"


def qresync(a):
    """SELECT INBOX (QRESYNC (uidvalidity modseq)) in a new session after
    another session changed the flags of --count messages; the time of
    the SELECT alone, and how many FETCH lines it sent."""
    ctx = tls_context()
    users = dict(read_users(a.users))
    pw = users[a.user]
    out = {"ok": 0, "err": 0, "bytes": 0, "error": "", "answer": ""}
    times = []
    t_all = time.monotonic()
    try:
        w = Conn(a.port, a.tls, ctx)
        imap_login(w, a.user, pw)
        imap_cmd(w, "e", b"ENABLE QRESYNC")
        n, lines = imap_cmd(w, "s", b"SELECT INBOX (CONDSTORE)")
        uv = ms = exists = 0
        for ln in lines:
            if b"UIDVALIDITY" in ln:
                uv = int(ln.split(b"UIDVALIDITY ")[1].split(b"]")[0])
            if b"HIGHESTMODSEQ" in ln:
                ms = int(ln.split(b"HIGHESTMODSEQ ")[1].split(b"]")[0])
            if ln.endswith(b"EXISTS"):
                exists = int(ln.split()[1])
        if not uv or not ms:
            raise RuntimeError("no UIDVALIDITY/HIGHESTMODSEQ in SELECT")
        for i in range(a.repeat):
            step = max(1, exists // a.count)
            seqs = b",".join(b"%d" % (1 + (j * step + i) % exists)
                             for j in range(a.count))
            imap_cmd(w, "f", b"STORE " + seqs + (b" +FLAGS.SILENT (\\Flagged)"
                     if i % 2 == 0 else b" -FLAGS.SILENT (\\Flagged)"))
            c = Conn(a.port, a.tls, ctx)
            imap_login(c, a.user, pw)
            imap_cmd(c, "e", b"ENABLE QRESYNC")
            t0 = time.monotonic()
            n, lines = imap_cmd(c, "s", b"SELECT INBOX (QRESYNC (%d %d))"
                                % (uv, ms))
            times.append(time.monotonic() - t0)
            out["bytes"] += n
            out["ok"] += 1
            out["answer"] = "%d FETCH lines" % sum(1 for ln in lines
                                                   if b" FETCH " in ln)
            for ln in lines:
                if b"HIGHESTMODSEQ" in ln:
                    ms = int(ln.split(b"HIGHESTMODSEQ ")[1].split(b"]")[0])
            imap_logout(c)
            c.close()
            if time.monotonic() - t_all > a.limit:
                break
        imap_logout(w)
        w.close()
    except Exception as e:
        out["err"] += 1
        out["error"] = "%s: %s" % (type(e).__name__, str(e)[:150])
    out["times"] = times
    out["secs"] = sum(times)
    return out


def append_worker(a, wid, n, q):
    ctx = tls_context()
    users = dict(read_users(a.users))
    r = {"ok": 0, "err": 0, "bytes": 0, "msgs": 0, "error": ""}
    body = (b"From: bench@bench.test\r\nTo: %s\r\nSubject: append %d\r\n"
            b"Message-ID: <append-%d@bench.test>\r\n"
            b"Date: Sun, 29 Nov 2026 12:00:00 +0000\r\n\r\n"
            % (a.user.encode(), wid, wid))
    line = b"The quick brown fox jumps over the lazy dog 0123456789.\r\n"
    body += line * max(1, (a.size - len(body)) // len(line))
    try:
        c = Conn(a.port, a.tls, ctx)
        imap_login(c, a.user, users[a.user])
        for i in range(n):
            try:
                c.send(b"p APPEND INBOX (\\Seen) {%d}\r\n" % len(body))
                cont = c.line()
                if not cont.startswith(b"+"):
                    raise RuntimeError("APPEND: %r" % cont[:80])
                c.send(body + b"\r\n")
                ln, _, _ = c.imap_until("p")
                if not ln.startswith(b"p OK"):
                    raise RuntimeError("APPEND: %r" % ln[:100])
                r["ok"] += 1
                r["bytes"] += len(body)
            except Exception as e:
                r["err"] += 1
                r["error"] = r["error"] or "%s: %s" % (type(e).__name__,
                                                       str(e)[:150])
                break
        imap_logout(c)
        c.close()
    except Exception as e:
        r["err"] += 1
        r["error"] = r["error"] or "%s: %s" % (type(e).__name__, str(e)[:150])
    q.put(r)


def append(a):
    q = mp.Queue()
    procs = []
    t0 = time.monotonic()
    per = a.count // a.par
    for w in range(a.par):
        p = mp.Process(target=append_worker, args=(a, w, per, q))
        p.start()
        procs.append(p)
    out = {"ok": 0, "err": 0, "bytes": 0, "msgs": 0, "error": ""}
    for _ in procs:
        try:
            r = q.get(timeout=a.limit)
        except Exception:
            out["err"] += 1
            out["error"] = out["error"] or "a worker timed out"
            continue
        for k in ("ok", "err", "bytes"):
            out[k] += r[k]
        out["error"] = out["error"] or r["error"]
    out["secs"] = time.monotonic() - t0
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("proto", choices=["pop3", "imap"])
    ap.add_argument("op", choices=["login", "retr", "hold", "select",
                                   "fetchflags", "fetchbody", "search",
                                   "append", "command", "qresync"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--users", required=True)
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--par", type=int, default=10)
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--user", default="")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--text", default="zebrafish")
    ap.add_argument("--command", default="NOOP")
    ap.add_argument("--max-uid", type=int, default=2000)
    ap.add_argument("--size", type=int, default=10240)
    ap.add_argument("--limit", type=float, default=300.0)
    ap.add_argument("--hold-secs", type=float, default=600.0)
    a = ap.parse_args()
    if a.op in ("command", "qresync"):
        # A first SORT or THREAD of a large folder may take minutes.
        global TIMEOUT
        TIMEOUT = max(TIMEOUT, a.limit)
    t0 = os.times()
    if a.op == "login":
        out = run_parallel(a, a.count)
    elif a.op == "retr":
        out = run_parallel(a, a.accounts)
    elif a.op == "hold":
        asyncio.run(hold(a))
        return
    elif a.op == "append":
        out = append(a)
    elif a.op == "qresync":
        out = qresync(a)
    else:
        out = imap_timed(a)
    t1 = os.times()
    out["driver_cpu"] = (t1.user - t0.user + t1.system - t0.system +
                         t1.children_user - t0.children_user +
                         t1.children_system - t0.children_system)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
