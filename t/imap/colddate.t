#!/bin/sh
# A folder indexed for the first time (300 messages whose names carry
# ,S=): the cold SELECT does not stat the files, so their INTERNALDATEs
# (the files' mtimes) are learnt when first asked for.  FETCH INTERNALDATE,
# SEARCH SINCE/BEFORE, SORT (ARRIVAL) and COPY give the mtimes, also for a
# file renamed meanwhile; a later session finds them in the index.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 10
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
import os, time
from imapt import *
MA = os.environ["MA"]
uid = os.stat(MA).st_uid
T0 = 1600000000
for i in range(300):
    body = b"From: x@example.net\nSubject: m %d\n\nbody\n" % i
    p = "%s/cur/%d.M%dP1.host,S=%d:2,S" % (MA, 1700000000 + i, i, len(body))
    with open(p, "wb") as f:
        f.write(body)
    os.chown(p, uid, -1)
    os.utime(p, (T0 + i * 86400, T0 + i * 86400))

def idate(i):
    return time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(T0 + i * 86400))

def dates(m, rng):
    typ, d = m.fetch(rng, "(INTERNALDATE)")
    return [x.decode().split('"')[1] for x in d if b"INTERNALDATE" in x]

m = login()
typ, d = m.select("INBOX")
out("exists", d[0].decode())
# Renamed by another program before any date was asked for.
n = sorted(x for x in os.listdir(MA + "/cur") if x.startswith("1700000007."))[0]
os.rename(MA + "/cur/" + n, MA + "/cur/" + n.split(":2,")[0] + ":2,FS")
out("three", " / ".join(dates(m, "1:3")))
out("renamed", dates(m, "8")[0] == idate(7))
typ, d = m.search(None, "SINCE", time.strftime("%d-%b-%Y", time.gmtime(T0 + 100 * 86400)))
out("since", len(d[0].split()))
typ, d = m.search(None, "BEFORE", time.strftime("%d-%b-%Y", time.gmtime(T0 + 10 * 86400)))
out("before", d[0].decode())
typ, d = m.sort("(REVERSE ARRIVAL)", "UTF-8", "ALL")
out("sort", " ".join(d[0].decode().split()[:3]))
m.create("Copies")
m.copy("5", "Copies")
all_ok = dates(m, "1:*") == [idate(i) for i in range(300)]
out("all", all_ok)
m.noop()
m.logout()
m = login()
m.select("INBOX")
out("again", dates(m, "1:*") == [idate(i) for i in range(300)])
m.select("Copies")
out("copy", dates(m, "1")[0] == idate(4))
m.logout()
PYEOF
MA=$(maildir alice@example.org); export MA
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get exists)" "300" "cold SELECT: 300 messages"
d0=$(TZ=UTC date -d @1600000000 '+%d-%b-%Y %H:%M:%S +0000')
d2=$(TZ=UTC date -d @$((1600000000 + 2 * 86400)) '+%d-%b-%Y %H:%M:%S +0000')
is "$(get three)" "$d0 / $(TZ=UTC date -d @$((1600000000 + 86400)) '+%d-%b-%Y %H:%M:%S +0000') / $d2" "FETCH INTERNALDATE: the files' mtimes"
is "$(get renamed)" "True" "the date of a file renamed behind tern's back"
is "$(get since)" "200" "SEARCH SINCE by the files' mtimes"
is "$(get before)" "1 2 3 4 5 6 7 8 9 10" "SEARCH BEFORE by the files' mtimes"
is "$(get sort)" "300 299 298" "SORT (REVERSE ARRIVAL)"
is "$(get all)" "True" "every INTERNALDATE right"
is "$(get again)" "True" "a later session: every INTERNALDATE right (from the index)"
is "$(get copy)" "True" "COPY keeps the internal date"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
