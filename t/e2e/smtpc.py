#!/usr/bin/python3
"""t/e2e/smtpc.py - a small SMTP client for the end-to-end tests.

  smtpc.py PORT send FROM TO[,TO...] [--size N] [--tls] [--id ID] [--bdat]
      prints "250 QID" when the message was accepted, else "CODE text" of
      the first refusal (RCPT or DATA); exit 0 in both cases.
  smtpc.py PORT pipeline FROM TO ID
      the whole dialogue in one write; prints every reply code.
"""
import re
import socket
import smtplib
import ssl
import sys


def message(mid, size):
    body = "This is test message %s.\r\n" % mid
    line = "x" * 76 + "\r\n"
    while len(body) < size:
        body += line
    return ("From: sender <sender@example.net>\r\n"
            "To: someone\r\n"
            "Subject: test %s\r\n"
            "Message-ID: <%s@test.example>\r\n"
            "X-Test-Id: %s\r\n"
            "\r\n" % (mid, mid, mid)) + body


def qid_of(reply):
    m = re.search(r"queued as ([0-9A-Z]+)", reply)
    return m.group(1) if m else "?"


def send(port, sender, rcpts, size, tls, mid, bdat):
    s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.test")
    if tls:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        s.starttls(context=ctx)
        s.ehlo("client.test")
    code, text = s.mail(sender)
    if code != 250:
        print(code, text.decode(errors="replace"))
        return
    for r in rcpts:
        code, text = s.rcpt(r)
        if code != 250:
            print(code, text.decode(errors="replace"))
            s.quit()
            return
    data = message(mid, size).encode()
    if bdat:
        s.send(b"BDAT %d LAST\r\n" % len(data))
        s.send(data)
        code, text = s.getreply()
    else:
        code, text = s.data(data)
    text = text.decode(errors="replace")
    print(code, qid_of(text) if code == 250 else text)
    try:
        s.quit()
    except smtplib.SMTPServerDisconnected:
        pass


def pipeline(port, sender, rcpt, mid):
    c = socket.create_connection(("127.0.0.1", port), timeout=30)
    f = c.makefile("rb")
    f.readline()
    data = message(mid, 100).replace("\r\n.", "\r\n..")
    c.sendall(("EHLO client.test\r\nMAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n"
               % (sender, rcpt)).encode())
    codes = []
    while len(codes) < 4:
        line = f.readline().decode()
        if not line:
            break
        if line[3:4] == " ":
            codes.append(line[:3])
    c.sendall((data + "\r\n.\r\nQUIT\r\n").encode())
    for _ in range(2):
        line = f.readline().decode()
        codes.append(line[:3])
    print(" ".join(codes))


def main():
    port = int(sys.argv[1])
    verb = sys.argv[2]
    if verb == "send":
        args = sys.argv[3:]
        sender, rcpts = args[0], args[1].split(",")
        size, tls, mid, bdat = 200, False, "m1", False
        i = 2
        while i < len(args):
            if args[i] == "--size":
                size = int(args[i + 1]); i += 2
            elif args[i] == "--tls":
                tls = True; i += 1
            elif args[i] == "--bdat":
                bdat = True; i += 1
            elif args[i] == "--id":
                mid = args[i + 1]; i += 2
            else:
                raise SystemExit("unknown option " + args[i])
        send(port, sender, rcpts, size, tls, mid, bdat)
    elif verb == "pipeline":
        pipeline(port, sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        raise SystemExit("unknown verb")


if __name__ == "__main__":
    main()
