#!/usr/bin/python3
"""t/e2e/crash.py - send many messages from concurrent SMTP clients while
SIGKILLing tern's processes at random moments; then (verify mode) check
that every message that got a 250 is in each recipient's Maildir.

  crash.py send PORT SUPERVISOR_PID ACKFILE NMSGS NCLIENTS MINKILLS RCPT...
  crash.py verify ACKFILE MAILDIR_OF_RCPT...   (pairs: rcpt=maildir)
"""
import os
import random
import signal
import smtplib
import sys
import threading
import time

# tern-enqueue: the enqueue service (tern-enqueue -S) or, while it is
# down, the program tern-smtpd executes; tern-enqueue-w: the service's
# workers, each with one message or waiting for one.
TARGETS = ["tern-smtpd", "tern-enqueue", "tern-enqueue-w", "tern-qmgr",
           "tern-local"]


def descendants(root):
    """Pids and names of every process below root (by ppid)."""
    kids = {}
    names = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
        names[int(d)] = name
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for k in kids.get(p, []):
            # A child with its parent's name is not a tern process but a
            # helper clone (LeakSanitizer's tracer in SAN=1 builds): killing
            # it would hang its parent, not test tern.
            if names.get(p) != names[k]:
                out.append((k, names[k]))
            todo.append(k)
    return out


def client(port, n, rcpts, acks, lock, cid, stats):
    i = 0
    deadline = time.time() + 600
    while i < n and time.time() < deadline:
        mid = "c%d-%d" % (cid, i)
        to = random.sample(rcpts, random.choice([1, 1, 2]))
        body = ("Subject: crash %s\r\nX-Test-Id: %s\r\n\r\n" % (mid, mid)
                + "line of text\r\n" * random.randint(1, 60))
        try:
            s = smtplib.SMTP("127.0.0.1", port, timeout=30)
            s.sendmail("load@example.net", to, body)
            try:
                s.quit()
            except Exception:
                pass
            with lock:
                acks.append((mid, to))
            i += 1
        except smtplib.SMTPRecipientsRefused:
            stats["refused"] += 1
            i += 1
        except Exception:
            # Killed mid-session: no 250, so nothing is promised. Go on.
            stats["errors"] += 1
            i += 1
            time.sleep(0.05)


def killer(sv, done, kills, minkills):
    n = 0
    end = time.time() + 900
    while time.time() < end and (not done.is_set() or sum(kills.values()) < minkills):
        time.sleep(random.uniform(0.05, 0.35))
        want = TARGETS[n % len(TARGETS)]
        n += 1
        procs = [p for p, name in descendants(sv) if name == want]
        if not procs:
            continue
        if want == "tern-qmgr" and kills[want] >= 6:
            continue	# each qmgr kill costs a growing restart back-off
        try:
            os.kill(random.choice(procs), signal.SIGKILL)
            kills[want] += 1
        except ProcessLookupError:
            pass
        if done.is_set() and sum(kills.values()) >= minkills:
            break


def send(argv):
    port, sv, ackfile = int(argv[0]), int(argv[1]), argv[2]
    nmsgs, nclients, minkills = int(argv[3]), int(argv[4]), int(argv[5])
    rcpts = argv[6:]
    acks, lock = [], threading.Lock()
    stats = {"errors": 0, "refused": 0}
    kills = {t: 0 for t in TARGETS}
    done = threading.Event()
    k = threading.Thread(target=killer, args=(sv, done, kills, minkills))
    k.start()
    per = nmsgs // nclients
    ts = [threading.Thread(target=client,
                           args=(port, per, rcpts, acks, lock, c, stats))
          for c in range(nclients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    done.set()
    k.join()
    with open(ackfile, "w") as f:
        for mid, to in acks:
            f.write("%s %s\n" % (mid, ",".join(to)))
    print("acked=%d errors=%d refused=%d kills=%d %s" % (
        len(acks), stats["errors"], stats["refused"], sum(kills.values()),
        " ".join("%s=%d" % kv for kv in sorted(kills.items()))))


def verify(argv):
    ackfile = argv[0]
    where = dict(a.split("=", 1) for a in argv[1:])
    seen = {}
    for rcpt, md in where.items():
        for sub in ("new", "cur"):
            d = os.path.join(md, sub)
            for name in os.listdir(d) if os.path.isdir(d) else []:
                with open(os.path.join(d, name), "rb") as f:
                    head = f.read(4096).split(b"\n\n")[0].split(b"\r\n\r\n")[0]
                for line in head.splitlines():
                    if line.startswith(b"X-Test-Id: "):
                        mid = line[11:].strip().decode()
                        seen[(mid, rcpt)] = seen.get((mid, rcpt), 0) + 1
    lost, dups, total = [], 0, 0
    with open(ackfile) as f:
        for line in f:
            mid, to = line.split()
            for r in to.split(","):
                total += 1
                c = seen.get((mid, r), 0)
                if c == 0:
                    lost.append("%s->%s" % (mid, r))
                dups += max(0, c - 1)
    print("deliveries=%d lost=%d duplicates=%d %s" % (
        total, len(lost), dups, " ".join(lost[:20])))


if __name__ == "__main__":
    {"send": send, "verify": verify}[sys.argv[1]](sys.argv[2:])
