#!/bin/sh
# SELECT with a warm index (lib/mstore's lazy view: when the index is
# current the SELECT answers from a summary of it and the view is decoded
# later): the counts it gives (EXISTS, RECENT, UNSEEN, UIDNEXT), and the
# changes made while a session holds such a view, by another session
# (STORE, EXPUNGE, APPEND) and behind tern's back (a rename in cur/, a
# delivery to new/), announced at the next command as they would be
# without it.  cur/'s mtime is set into the past by hand (an index records
# it only once it has settled): no timing is involved.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 16
imap_start || { echo "Bail out! set-up failed"; exit 1; }
for i in 1 2 3 4 5; do
	printf 'From: x%s@example.net\nSubject: msg %s\n\nbody %s\n' $i $i $i >"$SB/m$i"
	put_mail alice@example.org 170000000$i.M${i}P${i}Q$i.host "$SB/m$i"
done
cat >"$SB/t.py" <<'PYEOF'
import os, time
from imapt import *
MA = os.environ["MA"]
t0 = int(time.time()) - 1000

def settle(k):
    # cur/ mtime well in the past: the next sync records it in the index.
    os.utime(MA + "/cur", (t0 + k, t0 + k))

def sel(m, box="INBOX", ro=False):
    m.untagged_responses.clear()
    typ, d = m.select(box, readonly=ro)
    u = m.untagged_responses
    ok = [x.decode() for x in u.get("OK", [])]
    return "%s exists=%s recent=%s %s" % (typ, d[0].decode(),
        u.get("RECENT", [b"-"])[0].decode(),
        " ".join(x.split("]")[0] + "]" for x in ok if x.startswith("[UNSEEN") or x.startswith("[UIDNEXT")))

def noop(m):
    m.untagged_responses.clear()
    m.noop()
    u = m.untagged_responses
    return "exp=%s fetch=%s exists=%s recent=%s" % (
        ",".join(x.decode() for x in u.get("EXPUNGE", [])),
        ",".join(x.decode() for x in u.get("FETCH", [])),
        ",".join(x.decode() for x in u.get("EXISTS", [])),
        ",".join(x.decode() for x in u.get("RECENT", [])))

m = login()
out("cold", sel(m))
m.store("2,4", "+FLAGS.SILENT", "(\\Seen)")
settle(0)
m.noop()                      # records the settled mtime
m.logout()
m = login()
out("warm", sel(m))
out("warm_again", sel(m))
typ, d = m.fetch("1:*", "(FLAGS)")
out("warm_fetch", " ".join(x.decode() for x in d))
m.logout()

# Another session changes the folder under a warm one.
a = login()
out("a", sel(a))
b = login()
b.select("INBOX")
b.store("1", "+FLAGS.SILENT", "(\\Seen)")
b.store("3", "+FLAGS.SILENT", "(\\Deleted)")
b.expunge()
b.append("INBOX", None, None, b"From: y@example.net\r\nSubject: new\r\n\r\nnew\r\n")
b.logout()
out("a_noop", noop(a))
a.untagged_responses.clear()
typ, d = a.fetch("1:*", "(UID FLAGS)")
out("a_fetch", " ".join(x.decode() for x in d))
settle(10)
a.noop()
a.logout()

# Behind tern's back: a rename in cur/ (another program flags a
# message), then a delivery into new/.
c = login()
out("c", sel(c))
name = sorted(n for n in os.listdir(MA + "/cur") if n.startswith("1700000004."))[0]
os.rename(MA + "/cur/" + name, MA + "/cur/" + name.split(":2,")[0] + ":2,FS")
settle(20)
out("c_rename", noop(c))
with open(MA + "/new/1800000000.M9P9Q9.host", "wb") as f:
    f.write(b"From: z@example.net\nSubject: late\n\nlate\n")
out("c_deliver", noop(c))
settle(30)
c.noop()
c.logout()
e = login()
out("examine", sel(e, ro=True))
e.logout()
d = login()
out("final", sel(d))
typ, x = d.fetch("1:*", "(UID FLAGS)")
out("final_fetch", " ".join(y.decode() for y in x))
d.logout()
PYEOF
MA=$(maildir alice@example.org); export MA
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get cold)" "OK exists=5 recent=5 [UNSEEN 1] [UIDNEXT 6]" "cold SELECT: 5 messages, 5 recent"
is "$(get warm)" "OK exists=5 recent=0 [UNSEEN 1] [UIDNEXT 6]" "warm SELECT: the same counts, none recent"
is "$(get warm_again)" "OK exists=5 recent=0 [UNSEEN 1] [UIDNEXT 6]" "SELECT again in the same session"
is "$(get warm_fetch)" '1 (FLAGS ()) 2 (FLAGS (\Seen)) 3 (FLAGS ()) 4 (FLAGS (\Seen)) 5 (FLAGS ())' "FETCH after a warm SELECT: the flags"
is "$(get a)" "OK exists=5 recent=0 [UNSEEN 1] [UIDNEXT 6]" "session a: warm SELECT"
is "$(get a_noop)" "exp=3 fetch=1 (UID 1 FLAGS (\\Seen)) exists=5 recent=0" "session a: another session's STORE, EXPUNGE and APPEND announced (the appending session took \\Recent)"
is "$(get a_fetch)" '1 (UID 1 FLAGS (\Seen)) 2 (UID 2 FLAGS (\Seen)) 3 (UID 4 FLAGS (\Seen)) 4 (UID 5 FLAGS ()) 5 (UID 6 FLAGS ())' "session a: its view after"
is "$(get c)" "OK exists=5 recent=0 [UNSEEN 4] [UIDNEXT 7]" "session c: warm SELECT after the changes"
is "$(get c_rename)" "exp= fetch=3 (UID 4 FLAGS (\\Flagged \\Seen)) exists= recent=" "session c: a rename behind tern's back announced"
is "$(get c_deliver)" "exp= fetch= exists=6 recent=1" "session c: a delivery to new/ announced"
is "$(get examine)" "OK exists=6 recent=0 [UNSEEN 4] [UIDNEXT 8]" "EXAMINE with a warm index"
is "$(get final)" "OK exists=6 recent=0 [UNSEEN 4] [UIDNEXT 8]" "final SELECT"
is "$(get final_fetch)" '1 (UID 1 FLAGS (\Seen)) 2 (UID 2 FLAGS (\Seen)) 3 (UID 4 FLAGS (\Flagged \Seen)) 4 (UID 5 FLAGS ()) 5 (UID 6 FLAGS ()) 6 (UID 7 FLAGS ())' "final FETCH: every change kept"
ok "the flags are in the file name" sh -c 'ls "$1/cur" | grep -q "^1700000004\..*:2,FS$"' sh "$MA"
ok "the index exists" test -f "$MA/tern-index"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
