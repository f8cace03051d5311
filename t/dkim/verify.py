#!/usr/bin/python3
"""Verify the DKIM signatures of the message on stdin with dkimpy (Debian's
python3-dkim), an implementation independent of tern.  The public keys come
from zone-file TXT records (as tern-dkim prints them) in the files named on
the command line, instead of DNS.  Prints "pass" or "fail: why" and exits 0
or 1.  With -v, prints dkimpy's debug log to stderr.

    verify.py [-v] RECORD... [-- MESSAGE...]

With messages named after --, checks each file and prints "FILE pass" or
"FILE fail: why" per line (one Python start for many checks)."""
import logging
import re
import sys

import dkim


def load_records(paths):
    recs = {}
    for path in paths:
        text = open(path, encoding="ascii").read()
        m = re.match(r"\s*(\S+)\s+IN\s+TXT\s+\((.*)\)\s*$", text, re.S)
        if not m:
            sys.exit("%s: not a TXT record" % path)
        recs[m.group(1).lower()] = "".join(re.findall(r'"([^"]*)"',
                                                    m.group(2)))
    return recs


def check(msg, dnsfunc, logger):
    d = dkim.DKIM(msg, logger=logger)
    try:
        good = d.verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        return "fail: %s" % e
    return "pass" if good else "fail: signature did not verify"


def main():
    args = sys.argv[1:]
    verbose = bool(args) and args[0] == "-v"
    if verbose:
        args = args[1:]
    files = []
    if "--" in args:
        files = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    recs = load_records(args)

    def dnsfunc(name, timeout=5):
        n = name.decode("ascii") if isinstance(name, bytes) else name
        r = recs.get(n.lower())
        return r.encode("ascii") if r is not None else None

    logger = logging.getLogger("dkim")
    logging.basicConfig(level=logging.DEBUG if verbose else logging.CRITICAL,
                        stream=sys.stderr)
    if not files:
        res = check(sys.stdin.buffer.read(), dnsfunc, logger)
        print(res)
        return 0 if res == "pass" else 1
    bad = 0
    for f in files:
        with open(f, "rb") as fh:
            res = check(fh.read(), dnsfunc, logger)
        print("%s %s" % (f, res))
        bad += res != "pass"
    return 1 if bad else 0


sys.exit(main())
