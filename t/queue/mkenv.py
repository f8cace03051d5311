#!/usr/bin/python3
"""Write a tern envelope (doc/queue.md, lib/envelope.h) to stdout.

mkenv.py [options] RCPT...     RCPT may be "addr" or "addr|orcpt|notify|orig"
  --sender S   (default "", the null sender)   --ip IP   --helo H   --auth U
  --body N --flags N --envid E --ret N --qid Q --time T
  --many N     add N recipients rN@example.org
  --truncate N keep only the first N bytes     --trail BYTES  append bytes
  --no-end     leave out the END record        --version N
"""
import argparse
import struct
import sys


def rec(t, v):
    if isinstance(v, str):
        v = v.encode()
    return t.encode() + struct.pack(">I", len(v)) + v


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sender", default="")
    p.add_argument("--ip", default="127.0.0.1")
    p.add_argument("--helo", default="client.example")
    p.add_argument("--auth", default="")
    p.add_argument("--body", type=int, default=0)
    p.add_argument("--flags", type=int, default=0)
    p.add_argument("--envid", default="")
    p.add_argument("--ret", type=int, default=0)
    p.add_argument("--qid", default="")
    p.add_argument("--time", type=int, default=0)
    p.add_argument("--version", type=int, default=1)
    p.add_argument("--many", type=int, default=0)
    p.add_argument("--truncate", type=int, default=-1)
    p.add_argument("--trail", default="")
    p.add_argument("--no-end", action="store_true")
    p.add_argument("rcpt", nargs="*")
    a = p.parse_args()
    out = rec("V", bytes([a.version])) + rec("Q", a.qid)
    out += rec("T", struct.pack(">Q", a.time))
    out += rec("B", bytes([a.body])) + rec("F", bytes([a.flags]))
    out += rec("E", a.envid) + rec("X", bytes([a.ret]))
    out += rec("S", a.sender) + rec("I", a.ip) + rec("H", a.helo)
    out += rec("U", a.auth)
    rcpts = list(a.rcpt) + ["r%d@example.org" % i for i in range(a.many)]
    for r in rcpts:
        f = (r.split("|") + ["", "0", ""])[:4]
        out += rec("R", f[0]) + rec("O", f[1]) + rec("N", bytes([int(f[2] or "0")]))
        out += rec("A", f[3])
    if not a.no_end:
        out += rec("Z", b"")
    out += a.trail.encode()
    if a.truncate >= 0:
        out = out[:a.truncate]
    sys.stdout.buffer.write(out)


main()
