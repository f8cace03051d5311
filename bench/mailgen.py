#!/usr/bin/python3
"""bench/mailgen.py - messages for bench/pop3 and bench/imap.

    mailgen.py DIR COUNT [SEED]

Writes COUNT messages into DIR (a Maildir's new/ or cur/ folder, which must
exist) with LF line ends (as delivery agents write them) under Maildir names
with Dovecot's ,S=SIZE,W=CRLF-SIZE.  Sizes follow a
log-normal law (median about 10 KiB) clipped to 2..200 KiB, as a mail store
of people's mail looks; about a third are multipart/mixed with a base64
attachment, the rest text/plain, some quoted-printable.  About 1 message in
100 contains the word "zebrafish" (the SEARCH TEXT row).  The same SEED
gives the same bytes, so every system gets identical mail.
"""
import base64
import os
import random
import sys

WORDS = ("the of and to in is that for it as was with be by on not he this "
         "are or his from at which but have an they you were her she there "
         "meeting budget report project quarter invoice schedule review "
         "customer contract delivery server network release update holiday "
         "office team please thanks regards attached draft final version "
         "monday tuesday friday morning afternoon tomorrow agenda minutes "
         "straße café naïve résumé").split()


def text(rng, size):
    out = []
    n = 0
    line = []
    while n < size:
        w = rng.choice(WORDS)
        line.append(w)
        n += len(w) + 1
        if len(line) >= 12:
            out.append(" ".join(line))
            line = []
    if line:
        out.append(" ".join(line))
    return "\r\n".join(out) + "\r\n"


def message(rng, i):
    size = int(min(200 * 1024, max(2 * 1024, rng.lognormvariate(9.2, 1.0))))
    needle = rng.random() < 0.01
    hdr = ("Return-Path: <sender%d@example.org>\r\n"
           "Received: from mx.example.org (mx.example.org [192.0.2.%d])\r\n"
           "\tby bench.test with ESMTPS id B%06d; Sun, 29 Nov 2026 10:%02d:%02d +0000\r\n"
           "From: Sender %d <sender%d@example.org>\r\n"
           "To: bench <bench@bench.test>\r\n"
           "Subject: %s %d\r\n"
           "Date: Sun, 29 Nov 2026 10:%02d:%02d +0000\r\n"
           "Message-ID: <bench-%d-%d@example.org>\r\n"
           "MIME-Version: 1.0\r\n"
           % (i % 97, i % 250, i, i % 60, i % 59, i % 97, i % 97,
              rng.choice(WORDS).capitalize() + " " + rng.choice(WORDS), i,
              i % 60, i % 59, i, rng.randrange(1 << 30)))
    body_size = max(256, size - len(hdr) - 200)
    kind = rng.random()
    if kind < 0.35 and body_size > 4096:
        att = rng.randbytes(int((body_size - 1024) * 3 / 4))
        b = "=_bench_%d" % i
        t = text(rng, 800)
        if needle:
            t += "The zebrafish results are attached.\r\n"
        enc = base64.encodebytes(att).decode().replace("\n", "\r\n")
        body = ("Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n"
                "This is a multi-part message in MIME format.\r\n"
                "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
                "--%s\r\nContent-Type: application/pdf; name=\"report%d.pdf\"\r\n"
                "Content-Disposition: attachment; filename=\"report%d.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n%s--%s--\r\n"
                % (b, b, t, b, i, i, enc, b))
    else:
        t = text(rng, body_size)
        if needle:
            t += "Note on the zebrafish experiment.\r\n"
        body = ("Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + t)
    return (hdr + body).encode()


def main():
    d, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    total = 0
    for i in range(count):
        m = message(rng, i).replace(b"\r\n", b"\n")
        total += len(m)
        name = "%d.M%dP1.bench.test,S=%d,W=%d" % (1795000000 + i, i, len(m),
                                                  len(m) + m.count(b"\n"))
        with open(os.path.join(d, name), "wb") as f:
            f.write(m)
    print("%d messages, %d bytes" % (count, total))


if __name__ == "__main__":
    main()
