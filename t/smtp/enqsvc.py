#!/usr/bin/python3
"""A DATA cut in two for t/smtp/enqsvc.t.

enqsvc.py PORT FLAGDIR MODE: MAIL, RCPT, DATA and the first half of a
message; then touch FLAGDIR/sent and, in MODE "finish", wait (bounded) for
FLAGDIR/go, send the rest and print the final reply; in MODE "drop", close
the connection with the message unfinished and print "dropped".
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import client  # noqa: E402


def main():
    port, flags, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    c = client.Client(port)
    c.reply()
    c.cmd("EHLO client.example")
    c.cmd("MAIL FROM:<x@foo.example>")
    c.cmd("RCPT TO:<alice@example.org>")
    r = c.cmd("DATA")
    if not r.startswith("354"):
        print("DATA: " + r)
        return
    c.send("Subject: cut\r\n\r\n" + "first half\r\n" * 50)
    open(os.path.join(flags, "sent"), "w").close()
    if mode == "drop":
        time.sleep(0.2)
        c.close()
        print("dropped")
        return
    end = time.time() + 30
    while not os.path.exists(os.path.join(flags, "go")) and time.time() < end:
        time.sleep(0.05)
    try:
        c.send("second half\r\n.\r\n")
        print(c.reply())
        c.cmd("QUIT")
    except (OSError, EOFError) as e:
        print("error: %s" % e)
    c.close()


main()
