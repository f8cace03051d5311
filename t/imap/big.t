#!/bin/sh
# Large messages: a 20 MB message (LF line ends) is fetched whole with
# BODY.PEEK[] byte for byte as CRLF text and in a partial from its
# middle; its RFC822.SIZE matches; a 10 MB APPEND (synchronizing literal)
# is stored and reads back the same; while the worker's anonymous memory
# stays well under the message size (the file is streamed, not copied).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 6
imap_start || { echo "Bail out! set-up failed"; exit 1; }
"$PY" -c "
import sys
with open(sys.argv[1], 'w') as f:
    f.write('From: big@example.net\nSubject: big\n\n')
    for i in range(250000):
        f.write('line %07d of a large message body, long enough to matter\n' % i)
" "$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
cat >"$SB/t.py" <<'PYEOF'
import hashlib, os, sys
from imapt import *
raw = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n")
m = login()
m.select("INBOX")
typ, d = m.fetch("1", "(RFC822.SIZE)")
out("size", d[0].decode().split("RFC822.SIZE ")[1].rstrip(")") == str(len(raw)))
typ, d = m.fetch("1", "(BODY.PEEK[])")
out("whole", d[0][1] == raw)
typ, d = m.fetch("1", "(BODY.PEEK[]<10000000.1000>)")
out("partial", d[0][1] == raw[10000000:10001000])
# The worker's anonymous memory (the session's process after login):
# this test's worker, in a Maildir of this sandbox, not another test's.
pid = None
for p in os.listdir("/proc"):
    try:
        if open("/proc/%s/comm" % p).read().strip() == "tern-imapd-work" and \
            os.readlink("/proc/%s/cwd" % p).startswith(os.environ["SB"] + "/"):
            pid = p
    except OSError:
        pass
anon = 0
if pid:
    for l in open("/proc/%s/status" % pid):
        if l.startswith("RssAnon:"):
            anon = int(l.split()[1])
out("anon_kb", anon)
big = b"From: me@example.org\r\nSubject: up\r\n\r\n" + b"x" * 76 + b"\r\n"
big = big + (b"y" * 78 + b"\r\n") * 125000
typ, d = m.append("INBOX", None, None, big)
out("append", typ)
typ, d = m.fetch("2", "(BODY.PEEK[])")
out("append_back", d[0][1] == big)
m.logout()
PYEOF
r=$(imap_py "$SB/t.py" "$SB/m1")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get size)" "True" "RFC822.SIZE of a 20 MB LF message: its CRLF size"
is "$(get whole)" "True" "BODY.PEEK[]: byte for byte, CRLF"
is "$(get partial)" "True" "BODY.PEEK[]<10000000.1000>"
a=$(get anon_kb)
if ldd "$TERN_BINDIR/tern-imapd-worker" 2>/dev/null | grep -q libasan; then
	skip "sanitizer build: its shadow memory is no measure"
else
	ok "worker's anonymous memory under 12 MB after the fetch (${a} kB)" test "${a:-0}" -gt 0 -a "${a:-0}" -lt 12000
fi
is "$(get append)" "OK" "APPEND of 10 MB"
is "$(get append_back)" "True" "... reads back the same"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
