#!/usr/bin/python3
"""t/submit/subc.py - submission client for t/submit (smtplib + raw lines).

  subc.py PORT MODE USER PASS FROM TO[,TO...] [HEADER-FROM] [ID]
      MODE: starttls (587), ssl (465), none (port 25, no AUTH).  Logs in
      (USER "-": no AUTH), sends one message; prints "250 QID" or the
      first refusal "CODE text" (AUTH, MAIL, RCPT or DATA).
  subc.py PORT dialog [--tls] LINE...
      raw lines after EHLO (STARTTLS first with --tls); prints each reply
      on one line, multi-line replies joined with '|'.
"""
import base64
import re
import smtplib
import socket
import ssl
import sys


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def send(port, mode, user, pw, sender, rcpts, hfrom, mid):
    if mode == "ssl":
        s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx(), timeout=60)
    else:
        s = smtplib.SMTP("127.0.0.1", port, timeout=60)
    s.ehlo("client.test")
    if mode == "starttls":
        s.starttls(context=ctx())
        s.ehlo("client.test")
    try:
        if user != "-":
            s.login(user, pw)
        s.sendmail(sender, rcpts,
                   ("From: %s\r\nTo: %s\r\nSubject: submit %s\r\n"
                    "X-Test-Id: %s\r\n\r\nbody %s\r\n" %
                    (hfrom, rcpts[0], mid, mid, mid)).encode())
    except smtplib.SMTPRecipientsRefused as e:
        code, text = list(e.recipients.values())[0]
        print(code, text.decode(errors="replace"))
        return
    except smtplib.SMTPResponseException as e:
        print(e.smtp_code, e.smtp_error.decode(errors="replace"))
        return
    print("250 %s" % (last_qid[0] if last_qid else "?"))
    s.quit()


last_qid = []


def patch():
    orig = smtplib.SMTP.data

    def data(self, msg):
        code, text = orig(self, msg)
        m = re.search(rb"queued as ([0-9A-Z]+)", text)
        if m:
            last_qid.append(m.group(1).decode())
        return code, text
    smtplib.SMTP.data = data


class Raw:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), 30)
        self.f = self.sock.makefile("rb")

    def reply(self):
        lines = []
        while True:
            l = self.f.readline()
            if not l:
                lines.append("EOF")
                break
            l = l.decode(errors="replace").rstrip("\r\n")
            lines.append(l)
            if len(l) < 4 or l[3] != "-":
                break
        return "|".join(lines)

    def cmd(self, line):
        self.sock.sendall(line.encode() + b"\r\n")
        return self.reply()

    def starttls(self):
        self.sock = ctx().wrap_socket(self.sock)
        self.f = self.sock.makefile("rb")


def dialog(port, args):
    tls = False
    if args and args[0] == "--tls":
        tls = True
        args = args[1:]
    c = Raw(port)
    c.reply()
    r = c.cmd("EHLO client.test")
    if tls:
        c.cmd("STARTTLS")
        c.starttls()
        r = c.cmd("EHLO client.test")
    print(r)
    for a in args:
        print(c.cmd(a))


def main():
    port = int(sys.argv[1])
    if sys.argv[2] == "dialog":
        dialog(port, sys.argv[3:])
        return
    patch()
    mode, user, pw, sender, rcpts = sys.argv[2:7]
    hfrom = sys.argv[7] if len(sys.argv) > 7 else sender
    mid = sys.argv[8] if len(sys.argv) > 8 else "x"
    send(port, mode, user, pw, sender, rcpts.split(","), hfrom, mid)


main()
