#!/usr/bin/python3
"""Open real sessions against a `make run` suite started as root, then read
the uids of every process under its tern-supervise from /proc and print
one line per check: "0 name" (held) or "1 name: why" (failed)."""
import imaplib, os, poplib, pwd, smtplib, socket, ssl, sys, time

base, home, svpid, alice_pw, bob_pw = (int(sys.argv[1]), sys.argv[2],
                                       sys.argv[3], sys.argv[4], sys.argv[5])
H = '127.0.0.1'
out = []


def check(cond, name, why=''):
    out.append((0 if cond else 1, name + ('' if cond else ': ' + why)))


def uid_of(user):
    return pwd.getpwnam(user).pw_uid


def procs():
    """pid -> (ppid, comm, [ruid, euid, suid, fsuid], root link)."""
    res = {}
    for p in os.listdir('/proc'):
        if not p.isdigit():
            continue
        try:
            with open('/proc/%s/status' % p) as f:
                st = dict(l.rstrip('\n').split(':\t', 1) for l in f if ':\t' in l)
            try:
                root = os.readlink('/proc/%s/root' % p)
            except OSError:
                root = '?'
            res[p] = (st['PPid'], st['Name'], [int(x) for x in st['Uid'].split()], root)
        except (OSError, KeyError, ValueError):
            continue
    return res


def tree(ps, top):
    kids, todo, seen = {}, [top], []
    for pid, (pp, _, _, _) in ps.items():
        kids.setdefault(pp, []).append(pid)
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(kids.get(p, []))
    return seen


def maildir_uid(addr):
    for dp, dn, fn in os.walk(os.path.join(home, 'mail')):
        if os.path.basename(dp) == addr:
            return os.stat(dp).st_uid
    return None


ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE

# A message for alice, so a delivery has happened; then sessions held open.
s = smtplib.SMTP(H, base + 25, timeout=30)
s.sendmail('x@example.org', ['alice@example.test'], b'Subject: uids\r\n\r\nhi\r\n')
s.quit()
smtp_open = smtplib.SMTP(H, base + 25, timeout=30)
smtp_open.ehlo('uids.test')
imap = imaplib.IMAP4(H, base + 143, timeout=30)
imap.login('alice@example.test', alice_pw)
imap.select('INBOX')
imaps = imaplib.IMAP4_SSL(H, base + 993, ssl_context=ctx, timeout=30)
imaps.login('alice@example.test', alice_pw)
imaps.select('INBOX')
imaps_pre = imaplib.IMAP4_SSL(H, base + 993, ssl_context=ctx, timeout=30)
pop = poplib.POP3(H, base + 110, timeout=30)
pop.user('bob@example.test')
pop.pass_(bob_pw)
pop_pre = poplib.POP3(H, base + 110, timeout=30)
sub = smtplib.SMTP(H, base + 587, timeout=30)
sub.ehlo('uids.test')

# The sessions' processes may still be settling: poll until each expected
# kind shows (bounded), then judge one snapshot.
want = ('tern-imapd-work', 'tern-pop3d-work')
for _ in range(100):
    ps = procs()
    mine = tree(ps, svpid)
    names = [ps[p][1] for p in mine if p in ps]
    if all(w in names for w in want):
        break
    time.sleep(0.1)

u_tern, u_q, u_auth, u_login = (uid_of('tern'), uid_of('ternq'),
                                uid_of('ternauth'), uid_of('ternlogin'))
u_alice, u_bob = maildir_uid('alice@example.test'), maildir_uid('bob@example.test')
check(u_alice is not None and u_bob is not None and u_alice != u_bob and
      u_alice >= 1000 and u_bob >= 1000, 'accounts have uids of their own',
      '%s %s' % (u_alice, u_bob))

by = {}
for p in mine:
    if p in ps:
        by.setdefault(ps[p][1], []).append(p)


def all_uids(pids, uid):
    return [p for p in pids if ps[p][2] != [uid] * 4]


def parent_name(p):
    pp = ps[p][0]
    return ps[pp][1] if pp in ps else '?'


check(ps[svpid][2][1] == 0, 'tern-supervise runs as root')
# tern-smtpd: the fork servers are the supervisor's children; the sessions
# (their children) have dropped to tern before reading from the client.
smtpd = by.get('tern-smtpd', [])


def sid_of(p):
    try:
        with open('/proc/%s/stat' % p) as f:
            return f.read().rsplit(')', 1)[1].split()[3]
    except (OSError, IndexError):
        return None


# A fork server's spare (lib/forkserver.h, forkserver_serve_text) is its
# copy waiting for a connection: its server's uids and session, reading
# nothing but its server.  A session has called setsid() and dropped.
kids = [p for p in smtpd if parent_name(p) == 'tern-smtpd']
sess = [p for p in kids if sid_of(p) == p]
spares = [p for p in kids if p not in sess]
check(len(sess) >= 2, 'tern-smtpd sessions are running', 'saw %d' % len(sess))
per = {}
for p in spares:
    per[ps[p][0]] = per.get(ps[p][0], 0) + 1
check(all(n == 1 for n in per.values()) and
      all(ps[p][2] == ps[ps[p][0]][2] and sid_of(p) == sid_of(ps[p][0])
          for p in spares),
      'a tern-smtpd fork server has at most one spare, a copy of it',
      str([(p, ps[p][0], ps[p][2], sid_of(p)) for p in spares]))
bad = all_uids(sess, u_tern)
check(not bad, 'every tern-smtpd session runs as tern (all four uids)', str(bad))
q = by.get('tern-qmgr', []) + by.get('tern-enqueue', []) + by.get('tern-enqueue-w', [])
check(len(q) >= 2, 'tern-qmgr and the enqueue service are running', str(q))
bad = all_uids(q, u_q)
check(not bad, 'tern-qmgr, tern-enqueue and its workers run as ternq', str(bad))
a = by.get('tern-authd', [])
check(a and not all_uids(a, u_auth), 'tern-authd runs as ternauth', str(a))
# IMAP and POP3: workers as the account, pre-auth parts as ternlogin in a
# chroot, nothing of the account's but its own worker.
# A pre-auth connection's monitor is the worker program too (root until
# its login, tern-login(8)): the workers are the ones not root.
mons = [p for p in by.get('tern-imapd-work', []) + by.get('tern-pop3d-work', [])
        if ps[p][2] == [0] * 4]
iw = [p for p in by.get('tern-imapd-work', []) if p not in mons]
check(len(iw) == 2 and not all_uids(iw, u_alice),
      "alice's two IMAP workers run as alice's uid", str([(p, ps[p][2]) for p in iw]))
pw_ = [p for p in by.get('tern-pop3d-work', []) if p not in mons]
check(len(pw_) == 1 and not all_uids(pw_, u_bob),
      "bob's POP3 worker runs as bob's uid", str([(p, ps[p][2]) for p in pw_]))
pre = [p for p in by.get('tern-imapd', []) + by.get('tern-pop3d', [])
       if ps[p][2][1] != 0]
check(len(pre) >= 2, 'pre-auth IMAP/POP3 processes are running (not root)',
      str(pre))
bad = [p for p in pre if ps[p][2] != [u_login] * 4 or ps[p][3] == '/']
check(not bad, 'each pre-auth process runs as ternlogin, chrooted',
      str([(p, ps[p][2], ps[p][3]) for p in bad]))
# Root only where DESIGN says: the supervisor, the delivery launcher, and
# the per-connection starters (fork servers, the IMAP/POP3 monitors of
# connections not logged in yet) that read nothing from the network.
root_ok = {'tern-supervise', 'tern-lspawn', 'tern-smtpd', 'tern-imapd', 'tern-pop3d',
           'tern-zygote'}
# The monitor zygote (doc/login.md): one per IMAP/POP3 fork server, its
# child, root (its copies are monitors), the worker program exec'd once.
fsrv = [p for p in by.get('tern-imapd', []) + by.get('tern-pop3d', [])
        if ps[p][0] == svpid]
zy = by.get('tern-zygote', [])
check(len(zy) == len(fsrv) and len(zy) > 0 and
      sorted(ps[p][0] for p in zy) == sorted(fsrv) and
      not all_uids(zy, 0),
      'each IMAP/POP3 fork server has one monitor zygote, its child, root',
      str([(p, ps[p][0], ps[p][2]) for p in zy]) + ' servers ' + str(fsrv))
bad = [(p, ps[p][1]) for p in mine if p in ps and 0 in ps[p][2] and ps[p][1] not in root_ok
       and p not in mons]
check(not bad, 'no other process has uid 0', str(bad))
bad = [p for p in sess if 0 in ps[p][2]]
check(not bad, 'no tern-smtpd session keeps root in any uid', str(bad))
local = by.get('tern-local', [])
check(not [p for p in local if ps[p][2][1] in (0, u_tern, u_q)],
      'a kept delivery child (if any) runs as an account',
      str([(p, ps[p][2]) for p in local]))

rm = by.get('tern-remote', [])
check(not all_uids(rm, u_tern), 'tern-remote processes (if any) run as tern',
      str([(p, ps[p][2]) for p in rm]))

for c in (imap, imaps):
    c.logout()
pop.quit()
for c in (smtp_open, sub):
    c.quit()
for c in (imaps_pre, pop_pre):
    try:
        c.shutdown() if hasattr(c, 'shutdown') else c.close()
    except Exception:
        pass
for st, name in out:
    print(st, name)
