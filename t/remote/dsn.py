#!/usr/bin/python3
"""t/remote/dsn.py - the DSN tests' client (smtplib) and report reader.

  dsn.py PORT send FROM TO MAILOPTS RCPTOPTS ID
      one message; MAILOPTS and RCPTOPTS are space-separated ESMTP
      parameters ("-" for none).  Prints the reply to the last command
      ("250 ..." when queued, else the refusal: "CODE text").
  dsn.py PORT ehlo
      prints the EHLO keywords, one a line.
  dsn.py - report FILE
      parses a DSN with python's email package and prints, one a line:
      "subject=", "type=" (the top content type), "report-type=", then
      the per-message fields ("envid=") and per-recipient fields
      ("action=", "status=", "final=", "orig=") and "returned=" (the
      type of the third part).
"""
import email
import email.policy
import smtplib
import sys


def opts(s):
    return [] if s == '-' else s.split(' ')


def send(port, frm, to, mopts, ropts, mid):
    msg = ("From: <%s>\r\nTo: <%s>\r\nSubject: dsn test %s\r\n"
           "Message-ID: <%s@dsn.test>\r\nX-Test-Id: %s\r\n\r\n"
           "body of %s\r\n" % (frm, to, mid, mid, mid, mid))
    s = smtplib.SMTP('127.0.0.1', int(port), timeout=60)
    s.ehlo('client.test')
    try:
        code, text = s.mail(frm, opts(mopts))
        if code != 250:
            print(code, text.decode())
            return
        code, text = s.rcpt(to, opts(ropts))
        if code != 250:
            print(code, text.decode())
            return
        code, text = s.data(msg.encode())
        print(code, text.decode())
    finally:
        try:
            s.quit()
        except smtplib.SMTPException:
            pass


def ehlo(port):
    s = smtplib.SMTP('127.0.0.1', int(port), timeout=60)
    s.ehlo('client.test')
    for k in s.esmtp_features:
        print(k.upper())
    s.quit()


def report(path):
    with open(path, 'rb') as f:
        m = email.message_from_binary_file(f, policy=email.policy.compat32)
    print('subject=%s' % m['Subject'])
    print('type=%s' % m.get_content_type())
    print('report-type=%s' % m.get_param('report-type'))
    parts = m.get_payload()
    st = [p for p in parts if p.get_content_type() == 'message/delivery-status']
    if st:
        groups = st[0].get_payload()
        if groups:
            print('envid=%s' % (groups[0]['Original-Envelope-Id'] or ''))
        for g in groups[1:]:
            print('action=%s' % g['Action'])
            print('status=%s' % g['Status'])
            print('final=%s' % g['Final-Recipient'])
            print('orig=%s' % (g['Original-Recipient'] or ''))
    if len(parts) >= 3:
        print('returned=%s' % parts[2].get_content_type())


if sys.argv[2] == 'send':
    send(*sys.argv[1:2], *sys.argv[3:8])
elif sys.argv[2] == 'ehlo':
    ehlo(sys.argv[1])
elif sys.argv[2] == 'report':
    report(sys.argv[3])
