#!/usr/bin/python3
"""Verify the DKIM signatures of the message on stdin with dkimpy (Debian's
python3-dkim), an implementation independent of tern.  The public keys come
from zone-file TXT records (as tern-dkim prints them) in the files named on
the command line, instead of DNS.  Prints "pass" or "fail: why" and exits 0
or 1.  With -v, prints dkimpy's debug log to stderr."""
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


def main():
    args = sys.argv[1:]
    verbose = bool(args) and args[0] == "-v"
    if verbose:
        args = args[1:]
    recs = load_records(args)
    asked = []

    def dnsfunc(name, timeout=5):
        n = name.decode("ascii") if isinstance(name, bytes) else name
        asked.append(n)
        r = recs.get(n.lower())
        return r.encode("ascii") if r is not None else None

    logger = logging.getLogger("dkim")
    logging.basicConfig(level=logging.DEBUG if verbose else logging.ERROR,
                        stream=sys.stderr)
    msg = sys.stdin.buffer.read()
    d = dkim.DKIM(msg, logger=logger)
    try:
        good = d.verify(dnsfunc=dnsfunc)
    except dkim.DKIMException as e:
        print("fail: %s" % e)
        return 1
    if not good:
        print("fail: signature did not verify (asked %s)" % asked)
        return 1
    print("pass")
    return 0


sys.exit(main())
