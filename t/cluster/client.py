#!/usr/bin/python3
"""t/cluster/client.py - the mail clients of t/cluster (stdlib only).

  client.py COMMAND ARGS... [-- COMMAND ARGS...]...
  client.py -f FILE       the same words, one per line, from FILE
Runs each command in turn (one Python start-up for many: the test runs on
loaded machines) and prints exactly one line per command:
  smtp HOST PORT FROM TO[,TO...] ID
      one message over plain SMTP (X-Test-Id: ID): "250 ok" or the first
      refusal "CODE text"
  submit HOST PORT USER PASS FROM TO[,TO...] ID
      the same over implicit TLS (465) after AUTH PLAIN
  imap HOST PORT USER PASS [ssl|starttls|plain]
      LOGIN, SELECT INBOX, LOGOUT: the X-Test-Id of every message, sorted,
      space-separated ("-" for none)
  pop3 HOST PORT USER PASS [ssl|starttls|plain]
      USER/PASS, TOP n 0 of every message, QUIT: the same
  imapuids HOST PORT USER PASS
      LOGIN, EXAMINE INBOX, UID FETCH 1:* X-Test-Id, LOGOUT:
      "UIDVALIDITY uid=ID uid=ID ..." in UID order
  trickle HOST[,HOST...] PORT FROM TO PREFIX STOPFILE LOG MAX
      one message (X-Test-Id PREFIX-N) every 0.3 s, to the hosts in turn,
      until STOPFILE exists or MAX were tried; appends "ID ANSWER" to LOG
      after each; prints "tried=N ok=K"
  mx DOMAIN
      the domain's MX records from the first nameserver of
      /etc/resolv.conf (one UDP query): "PREF HOST PREF HOST ..." by
      preference
A failure prints "ERR type: text".  Certificates are not verified (the
hosts' are self-signed).  Every socket has a 30 s timeout.
"""
import email.parser
import imaplib
import os
import poplib
import smtplib
import socket
import ssl
import struct
import sys
import time

T = 30


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def message(sender, rcpts, mid):
    return ("From: %s\r\nTo: %s\r\nSubject: cluster %s\r\n"
            "Message-ID: <%s@cluster.test>\r\nX-Test-Id: %s\r\n\r\n"
            "body of %s\r\n" % (sender, rcpts[0], mid, mid, mid, mid)).encode()


def send(s, sender, rcpts, mid):
    try:
        s.sendmail(sender, rcpts, message(sender, rcpts, mid))
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        return "%d %s" % (code, text.decode(errors="replace"))
    except smtplib.SMTPResponseException as e:
        return "%d %s" % (e.smtp_code, e.smtp_error.decode(errors="replace"))
    s.quit()
    return "250 ok"


def ids(blobs):
    p = email.parser.BytesHeaderParser()
    out = []
    for b in blobs:
        v = p.parsebytes(b).get("X-Test-Id")
        if v:
            out.append(v.strip())
    return out


def imap(host, port, user, pw, mode):
    if mode == "ssl":
        c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx(), timeout=T)
    else:
        c = imaplib.IMAP4(host, port, timeout=T)
        if mode == "starttls":
            c.starttls(ssl_context=ctx())
    c.login(user, pw)
    typ, _ = c.select("INBOX", readonly=True)
    if typ != "OK":
        raise RuntimeError("SELECT failed")
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER])") \
        if int(_[0] or 0) > 0 else ("OK", [])
    blobs = [d[1] for d in data if isinstance(d, tuple)]
    c.logout()
    return ids(blobs)


def pop3(host, port, user, pw, mode):
    if mode == "ssl":
        c = poplib.POP3_SSL(host, port, context=ctx(), timeout=T)
    else:
        c = poplib.POP3(host, port, timeout=T)
        if mode == "starttls":
            c.stls(context=ctx())
    c.user(user)
    c.pass_(pw)
    n, _ = c.stat()
    blobs = []
    for i in range(1, n + 1):
        _, lines, _ = c.top(i, 0)
        blobs.append(b"\r\n".join(lines) + b"\r\n")
    c.quit()
    return ids(blobs)


def imapuids(host, port, user, pw):
    c = imaplib.IMAP4_SSL(host, port, ssl_context=ctx(), timeout=T)
    c.login(user, pw)
    typ, _ = c.select("INBOX", readonly=True)
    if typ != "OK":
        raise RuntimeError("EXAMINE failed")
    uv = c.untagged_responses.get("UIDVALIDITY", [b"?"])[0].decode()
    typ, data = c.uid("FETCH", "1:*",
                      "(UID BODY.PEEK[HEADER.FIELDS (X-Test-Id)])")
    out = []
    p = email.parser.BytesHeaderParser()
    for d in data:
        if isinstance(d, tuple):
            uid = int(d[0].split(b"UID ")[1].split()[0])
            out.append((uid, (p.parsebytes(d[1]).get("X-Test-Id") or "").strip()))
    c.logout()
    return uv + "".join(" %d=%s" % x for x in sorted(out))


def trickle(hosts, port, sender, rcpt, prefix, stop, log, most):
    ok = n = 0
    while n < most and not os.path.exists(stop):
        n += 1
        mid = "%s-%d" % (prefix, n)
        try:
            s = smtplib.SMTP(hosts[n % len(hosts)], port, timeout=T)
            s.ehlo("outside.test")
            r = send(s, sender, [rcpt], mid)
        except Exception as e:  # noqa: BLE001 - logged, the loop goes on
            r = "ERR %s" % e
        ok += r == "250 ok"
        with open(log, "a") as f:
            f.write("%s %s\n" % (mid, r))
        time.sleep(0.3)
    return "tried=%d ok=%d" % (n, ok)


def name(pkt, i):
    """Decode a (possibly compressed) domain name at i; return (name, next)."""
    labels, end, hops = [], None, 0
    while hops < 64:
        n = pkt[i]
        if n & 0xC0 == 0xC0:
            if end is None:
                end = i + 2
            i = ((n & 0x3F) << 8) | pkt[i + 1]
            hops += 1
            continue
        if n == 0:
            return ".".join(labels), (end if end is not None else i + 1)
        labels.append(pkt[i + 1:i + 1 + n].decode())
        i += 1 + n
    raise ValueError("name loop")


def mx(domain):
    ns = [l.split()[1] for l in open("/etc/resolv.conf")
          if l.startswith("nameserver")][0]
    q = struct.pack(">HHHHHH", 0x7E57, 0x0100, 1, 0, 0, 0)
    q += b"".join(bytes([len(x)]) + x.encode() for x in domain.split("."))
    q += b"\0" + struct.pack(">HH", 15, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(T)
    s.sendto(q, (ns, 53))
    pkt = s.recv(4096)
    qd, an = struct.unpack(">HH", pkt[4:8])
    i = 12
    for _ in range(qd):
        _, i = name(pkt, i)
        i += 4
    out = []
    for _ in range(an):
        _, i = name(pkt, i)
        typ, _, _, rdlen = struct.unpack(">HHIH", pkt[i:i + 10])
        i += 10
        if typ == 15:
            pref = struct.unpack(">H", pkt[i:i + 2])[0]
            out.append((pref, name(pkt, i + 2)[0]))
        i += rdlen
    return sorted(out)


def run(a):
    if a[0] == "smtp":
        host, port, sender, rcpts, mid = a[1:6]
        s = smtplib.SMTP(host, int(port), timeout=T)
        s.ehlo("outside.test")
        return send(s, sender, rcpts.split(","), mid)
    if a[0] == "submit":
        host, port, user, pw, sender, rcpts, mid = a[1:8]
        s = smtplib.SMTP_SSL(host, int(port), context=ctx(), timeout=T)
        s.ehlo("client.test")
        s.login(user, pw)
        return send(s, sender, rcpts.split(","), mid)
    if a[0] in ("imap", "pop3"):
        host, port, user, pw = a[1:5]
        mode = a[5] if len(a) > 5 else "ssl"
        f = imap if a[0] == "imap" else pop3
        return " ".join(sorted(f(host, int(port), user, pw, mode))) or "-"
    if a[0] == "imapuids":
        return imapuids(a[1], int(a[2]), a[3], a[4])
    if a[0] == "trickle":
        return trickle(a[1].split(","), int(a[2]), a[3], a[4], a[5], a[6],
                       a[7], int(a[8]))
    if a[0] == "mx":
        return " ".join("%d %s" % r for r in mx(a[1])) or "-"
    raise SystemExit("usage: see the header of client.py")


def main(argv):
    socket.setdefaulttimeout(T)
    if argv[:1] == ["-f"]:
        argv = [w for w in open(argv[1]).read().split("\n") if w != ""]
    cmds, cur = [], []
    for w in argv:
        if w == "--":
            cmds.append(cur)
            cur = []
        else:
            cur.append(w)
    cmds.append(cur)
    for c in cmds:
        if not c:
            continue
        try:
            print(run(c), flush=True)
        except Exception as e:  # noqa: BLE001 - the test reads the reason
            print("ERR %s: %s" % (type(e).__name__, str(e).replace("\n", " ")),
                  flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
