#!/usr/bin/python3
"""t/user/mvimap.py - IMAP and POP3 probes for t/user/move.t.

  mvimap.py snap HOST PORT USER PASS
      SELECT INBOX; prints "uidvalidity N", then "UID X-Test-Id FLAGS" per
      message (sorted by UID), then the same for the folder Archive.
  mvimap.py prepare HOST PORT USER PASS
      flags the first INBOX message \\Flagged and creates Archive with one
      APPENDed message (X-Test-Id: archived).
  mvimap.py login HOST PORT USER PASS      the tagged LOGIN answer
  mvimap.py pop3 HOST PORT USER PASS       the answer to PASS
  mvimap.py hold HOST PORT USER PASS FILE  log in, SELECT, wait (at most
      120 s) for FILE, then print "closed" if the server ended the
      session meanwhile, else "open".
"""
import imaplib, os, re, socket, sys, time

mode, host, port, user, pw = sys.argv[1:6]
port = int(port)


def connect():
    return imaplib.IMAP4(host, port, timeout=60)


def listing(m, box):
    typ, data = m.select('"%s"' % box, readonly=True)
    if typ != 'OK':
        return
    uv = m.untagged_responses.get('UIDVALIDITY', [b'?'])[0].decode()
    print('%s uidvalidity %s' % (box, uv))
    typ, data = m.uid('FETCH', '1:*', '(FLAGS BODY.PEEK[HEADER.FIELDS (X-TEST-ID)])')
    rows = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta = item[0].decode()
        uid = re.search(r'UID (\d+)', meta)
        flags = re.search(r'FLAGS \(([^)]*)\)', meta)
        tid = re.search(rb'X-Test-Id: *(\S+)', item[1], re.I)
        rows.append((int(uid.group(1)) if uid else -1,
                     tid.group(1).decode() if tid else '-',
                     ' '.join(sorted(f for f in (flags.group(1) if flags else '').split() if f != '\\Recent'))))
    for r in sorted(rows):
        print('%s %d %s %s' % (box, r[0], r[1], r[2]))


if mode == 'snap':
    m = connect()
    m.login(user, pw)
    listing(m, 'INBOX')
    listing(m, 'Archive')
    m.logout()
elif mode == 'prepare':
    m = connect()
    m.login(user, pw)
    m.select('INBOX')
    m.store('1', '+FLAGS', '(\\Flagged)')
    m.create('Archive')
    msg = (b'From: a@example.net\r\nSubject: kept\r\nX-Test-Id: archived\r\n'
           b'\r\nkept in a folder\r\n')
    m.append('Archive', '(\\Seen)', None, msg)
    m.logout()
elif mode == 'login':
    m = connect()
    try:
        m.login(user, pw)
        print('OK')
    except imaplib.IMAP4.error as e:
        print(str(e))
elif mode == 'pop3':
    s = socket.create_connection((host, port), 60)
    f = s.makefile('rb')
    f.readline()
    s.sendall(('USER %s\r\n' % user).encode())
    f.readline()
    s.sendall(('PASS %s\r\n' % pw).encode())
    print(f.readline().decode().strip())
    s.close()
elif mode == 'hold':
    m = connect()
    m.login(user, pw)
    m.select('INBOX')
    print('held', flush=True)
    end = time.time() + 120
    while not os.path.exists(sys.argv[6]) and time.time() < end:
        time.sleep(0.1)
    try:
        m.noop()
        m.noop()
        print('open')
    except Exception:
        print('closed')
