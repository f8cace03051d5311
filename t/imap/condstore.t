#!/bin/sh
# CONDSTORE and QRESYNC (RFC 7162) in tern-imapd: HIGHESTMODSEQ on SELECT,
# the enabling commands, FETCH MODSEQ and (CHANGEDSINCE), MODSEQ in every
# flag FETCH once enabled, STORE (UNCHANGEDSINCE) with [MODIFIED],
# SEARCH MODSEQ, STATUS HIGHESTMODSEQ; ENABLE QRESYNC, VANISHED instead
# of EXPUNGE (EXPUNGE, MOVE, IDLE, another session's changes), [CLOSED],
# SELECT (QRESYNC ...) after a session was away, UID FETCH (CHANGEDSINCE n
# VANISHED); modseqs and expunges kept across a restart of tern-imapd, and
# a tern-local delivery's new modseq.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 52
imap_start || { echo "Bail out! set-up failed"; exit 1; }
for i in 1 2 3 4 5 6; do
	printf 'From: x%s@example.net\nSubject: msg %s\n\nbody %s\n' $i $i $i >"$SB/m$i"
	put_mail alice@example.org 170000000$i.M${i}P${i}Q$i.host "$SB/m$i"
done
cat >"$SB/t1.py" <<'PYEOF'
import re, os
from imapt import *

def login_raw():
    c = Raw()
    c.cmd("l", "LOGIN alice@example.org alice-secret")
    return c

def j(ls):
    return " | ".join(ls)

def hms(ls):
    for l in ls:
        m = re.search(r"\[HIGHESTMODSEQ (\d+)\]", l)
        if m:
            return int(m.group(1))
    return -1

a = login_raw()
out("capa", j(a.cmd("c", "CAPABILITY")))
r = a.cmd("s1", "SELECT INBOX")
out("select", j(r))
h0 = hms(r)
out("h0", h0)
r = a.cmd("f0", "FETCH 1:* (UID MODSEQ)")
out("fetch_modseq", j(r))
ms = [int(x) for x in re.findall(r"MODSEQ \((\d+)\)", j(r))]
out("modseqs_ok", int(len(ms) == 6 and len(set(ms)) == 6 and max(ms) == h0))
out("first_enable_hms", int(hms(r) == h0))
r = a.cmd("st1", "STORE 1 +FLAGS (\\Flagged)")
out("store_enabled", j(r))
m1 = int(re.search(r"MODSEQ \((\d+)\)", j(r)).group(1))
out("m1_gt_h0", int(m1 > h0))
r = a.cmd("st2", "STORE 2 +FLAGS (\\Seen)")
m2 = int(re.search(r"MODSEQ \((\d+)\)", j(r)).group(1))
r = a.cmd("f1", "FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % h0)
out("changedsince", j(r))
r = a.cmd("f2", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % m1)
out("uid_changedsince", j(r))
r = a.cmd("f3", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")
out("vanished_needs_qresync", r[-1])
# UNCHANGEDSINCE m1: 1 (=m1) and 3 (<m1) pass, 2 (m2 > m1) fails.
r = a.cmd("u1", "STORE 1:3 (UNCHANGEDSINCE %d) +FLAGS.SILENT (\\Answered)" % m1)
out("unchanged", j(r))
r = a.cmd("u2", "UID STORE 4,5 (UNCHANGEDSINCE 0) +FLAGS (\\Answered)")
out("unchanged0", j(r))
r = a.cmd("f4", "FETCH 2,4 (FLAGS)")
out("after_unchanged", j(r))
r = a.cmd("se1", "SEARCH MODSEQ %d" % m2)
out("search_modseq", j(r))
r = a.cmd("se2", 'UID SEARCH MODSEQ "/flags/\\\\answered" all %d' % (m2 + 1))
out("search_entry", j(r))
r = a.cmd("se3", "SEARCH MODSEQ 99999999")
out("search_none", j(r))
r = a.cmd("se4", "SEARCH RETURN (ALL COUNT) MODSEQ %d" % m2)
out("esearch_modseq", j(r))
r = a.cmd("stat", "STATUS Trash (MESSAGES HIGHESTMODSEQ)")
out("status", j(r))

# A second session with QRESYNC: sees a's changes with MODSEQ and VANISHED.
b = login_raw()
out("b_enable", j(b.cmd("e", "ENABLE QRESYNC")))
r = b.cmd("bs", "SELECT INBOX (CONDSTORE)")
hb = hms(r)
uv = re.search(r"\[UIDVALIDITY (\d+)\]", j(r)).group(1)
out("b_select", j(r))
a.cmd("x1", "STORE 4 +FLAGS (\\Draft)")
out("b_sees_flags", j(b.cmd("n1", "NOOP")))
a.cmd("x2", "STORE 5 +FLAGS.SILENT (\\Deleted)")
r = a.cmd("x3", "EXPUNGE")
out("a_expunge", j(r))
out("b_sees_vanished", j(b.cmd("n2", "NOOP")))
r = b.cmd("bx", "UID STORE 6 +FLAGS.SILENT (\\Deleted)")
out("b_store_silent", j(r))
out("b_own_expunge", j(b.cmd("bx2", "EXPUNGE")))
out("a_sees_expunge", j(a.cmd("n3", "NOOP")))
# IDLE: a's expunge reaches b as VANISHED.
b.send("i IDLE")
out("b_idle", b.line())
a.cmd("x4", "STORE 3 +FLAGS.SILENT (\\Deleted)")
a.cmd("x5", "EXPUNGE")
seen = []
for _ in range(10):
    l = b.line()
    seen.append(l)
    if l.startswith("* VANISHED") or l.startswith("EOF") or l.startswith("ERR"):
        break
out("b_idle_vanished", j(seen))
b.send("DONE")
out("b_idle_done", j(b.upto("i")))
# MOVE in b: the expunge as VANISHED.
r = b.cmd("mv", "UID MOVE 4 Archive")
out("b_move", j(r))
r = b.cmd("bf", "UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d VANISHED)" % hb)
out("b_fetch_vanished", j(r))
r = b.cmd("bs2", "SELECT Trash")
out("b_closed", j(r))
b.cmd("lo", "LOGOUT")
# While b is away: flag changes on 1 and 2.
a.cmd("y1", "STORE 1 +FLAGS (\\Seen)")
a.cmd("y2", "STORE 2 -FLAGS (\\Seen)")
a.cmd("lo", "LOGOUT")
open(os.environ["SB"] + "/state", "w").write("%s %d\n" % (uv, hb))
PYEOF
MA=$(maildir alice@example.org); export MA
r=$(imap_py "$SB/t1.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get capa)" 'CAPABILITY .*CONDSTORE QRESYNC' "CAPABILITY lists CONDSTORE QRESYNC"
like "$(get select)" '\* OK \[HIGHESTMODSEQ [0-9]+\]' "SELECT: OK [HIGHESTMODSEQ n]"
unlike "$(get select)" 'NOMODSEQ|CLOSED' "no NOMODSEQ, no CLOSED on a first SELECT"
like "$(get fetch_modseq)" '\* 1 FETCH \(UID 1 MODSEQ \([0-9]+\)\)' "FETCH MODSEQ"
is "$(get modseqs_ok)" 1 "six messages, six modseqs, the highest is HIGHESTMODSEQ"
is "$(get first_enable_hms)" 1 "the first enabling command (FETCH MODSEQ) says HIGHESTMODSEQ"
like "$(get store_enabled)" '\* 1 FETCH \(UID 1 FLAGS \(\\Flagged( \\Recent)?\) MODSEQ \([0-9]+\)\)' "once enabled, STORE's FETCH has UID and MODSEQ"
is "$(get m1_gt_h0)" 1 "a STORE gives a higher modseq"
like "$(get changedsince)" '^\* 1 FETCH \(FLAGS \([^)]*\) MODSEQ \([0-9]+\)\) \| \* 2 FETCH \(FLAGS .* MODSEQ .* \| f1 OK' "FETCH (CHANGEDSINCE): only messages 1 and 2, with MODSEQ"
like "$(get uid_changedsince)" '^\* 2 FETCH \(UID 2 FLAGS .*MODSEQ \([0-9]+\)\) \| f2 OK' "UID FETCH (CHANGEDSINCE m1): only message 2"
like "$(get vanished_needs_qresync)" '^f3 BAD' "VANISHED without ENABLE QRESYNC: BAD"
like "$(get unchanged)" '\* 1 FETCH \(UID 1 MODSEQ \([0-9]+\)\) \| \* 3 FETCH \(UID 3 MODSEQ \([0-9]+\)\) \| u1 OK \[MODIFIED 2\]' "STORE (UNCHANGEDSINCE): [MODIFIED 2], FETCH UID MODSEQ even with .SILENT"
like "$(get unchanged0)" '^u2 OK \[MODIFIED 4:5\]' "UID STORE (UNCHANGEDSINCE 0): every UID modified"
like "$(get after_unchanged)" '\* 2 FETCH \(FLAGS \(\\Seen( \\Recent)?\)\) \| \* 4 FETCH \(FLAGS \((\\Recent)?\)\)' "the messages that failed are unchanged"
like "$(get search_modseq)" '^\* SEARCH 1 2 3 \(MODSEQ [0-9]+\) \|' "SEARCH MODSEQ: the messages and (MODSEQ highest)"
like "$(get search_entry)" '^\* SEARCH 1 3 \(MODSEQ [0-9]+\)' "UID SEARCH MODSEQ with an entry name"
like "$(get search_none)" '^\* SEARCH \| se3 OK' "SEARCH MODSEQ matching nothing: no (MODSEQ)"
like "$(get esearch_modseq)" '^\* ESEARCH \(TAG "se4"\) ALL 1:3 COUNT 3 MODSEQ [0-9]+ \| se4 OK' "ESEARCH with MODSEQ"
like "$(get status)" '\* STATUS Trash \(MESSAGES 0 HIGHESTMODSEQ [0-9]+\)' "STATUS HIGHESTMODSEQ"
like "$(get b_enable)" '^\* ENABLED QRESYNC \| e OK' "ENABLE QRESYNC"
like "$(get b_select)" 'HIGHESTMODSEQ' "b: SELECT (CONDSTORE)"
like "$(get b_sees_flags)" '^\* 4 FETCH \(UID 4 FLAGS \(\\Draft\) MODSEQ \([0-9]+\)\) \| n1 OK' "another session's flag change reaches b with MODSEQ"
like "$(get a_expunge)" '^\* 5 EXPUNGE \|.* x3 OK' "a (no QRESYNC): EXPUNGE"
like "$(get b_sees_vanished)" '^\* VANISHED 5 \| n2 OK' "b (QRESYNC): VANISHED, not EXPUNGE"
like "$(get b_store_silent)" '^\* 5 FETCH \(UID 6 MODSEQ \([0-9]+\)\) \| bx OK' "b: STORE .SILENT with CONDSTORE still says MODSEQ"
like "$(get b_own_expunge)" '^\* VANISHED 6 \| bx2 OK' "b: its own EXPUNGE as VANISHED"
like "$(get a_sees_expunge)" '^\* 5 EXPUNGE \|.* n3 OK' "a sees b's expunge as EXPUNGE"
is "$(get b_idle)" "+ idling" "b: IDLE"
like "$(get b_idle_vanished)" '\* VANISHED 3$' "b: an expunge during IDLE as VANISHED"
like "$(get b_idle_done)" '^i OK' "b: DONE"
like "$(get b_move)" 'COPYUID .* \| \* VANISHED 4 \| mv OK' "b: MOVE announces VANISHED"
like "$(get b_fetch_vanished)" '^\* VANISHED \(EARLIER\) 3:6 \| bf OK' "UID FETCH (CHANGEDSINCE n VANISHED): VANISHED (EARLIER) of what left since"
like "$(get b_closed)" '^\* OK \[CLOSED\]' "SELECT of another mailbox: OK [CLOSED] first"
read -r UV HB <"$SB/state"

# tern-local delivers one message while nobody is connected.
TOOL=$TERN_BUILD/t/bin/lspawn-tool
printf 'Subject: local\n\nlocal\n' >"$SB/lmsg"
"$TOOL" req Q1 bob@remote.example alice@example.org >"$SB/req"
if [ "$(id -u)" = 0 ]; then
	AU=$(uidof alice@example.org)
	(cd "$MA" && TERN_LOG=stderr setpriv --reuid="$AU" --regid="$AU" --clear-groups -- "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/lmsg" >"$SB/lout" 2>"$SB/lerr")
else
	(cd "$MA" && TERN_LOG=stderr "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/lmsg" >"$SB/lout" 2>"$SB/lerr")
fi
like "$(cat "$SB/lout")" '^ok ' "tern-local delivered"

# Restart tern-imapd (the supervisor and all): everything is on disk.
kill "$SV_PID"
wait_for 20 sh -c "! kill -0 $SV_PID 2>/dev/null"
"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
SV_PID=$!
track $SV_PID
ok "tern-imapd restarted" wait_port "$P_IMAP"

cat >"$SB/t2.py" <<'PYEOF'
import re, os, sys
from imapt import *
uv, hb = open(os.environ["SB"] + "/state").read().split()
hb = int(hb)
def j(ls): return " | ".join(ls)
def hms(ls):
    for l in ls:
        m = re.search(r"\[HIGHESTMODSEQ (\d+)\]", l)
        if m:
            return int(m.group(1))
    return -1
c = Raw()
c.cmd("l", "LOGIN alice@example.org alice-secret")
out("qresync_bad", c.last("q0", "SELECT INBOX (QRESYNC (%s %d))" % (uv, hb)))
out("enable", j(c.cmd("e", "ENABLE QRESYNC")))
r = c.cmd("q1", "EXAMINE INBOX (QRESYNC (%s %d))" % (uv, hb))
out("resync", j(r))
h = hms(r)
out("h_above", int(h > hb))
r = c.cmd("q2", "EXAMINE INBOX (QRESYNC (%s %d 1:2,6))" % (uv, hb))
out("resync_known", j([x for x in r if "VANISHED" in x or "FETCH" in x or x.startswith("q2 ")]))
r = c.cmd("q3", "EXAMINE INBOX (QRESYNC (%s %d))" % (uv, h))
out("resync_none", j([x for x in r if "VANISHED" in x or "FETCH" in x]))
r = c.cmd("q4", "EXAMINE INBOX (QRESYNC (%d %d))" % (int(uv) + 1, hb))
out("resync_uv", j([x for x in r if "VANISHED" in x or "FETCH" in x]))
r = c.cmd("q5", "EXAMINE INBOX (QRESYNC (%s 1 1:20 (1:2 1:2)))" % uv)
out("resync_seqmatch", j([x for x in r if "VANISHED" in x]))
r = c.cmd("f", "FETCH 1:* (UID MODSEQ)")
out("all", j(r))
ms = {}
for m in re.finditer(r"UID (\d+) MODSEQ \((\d+)\)", j(r)):
    ms[int(m.group(1))] = int(m.group(2))
out("local_modseq", int(max(ms) == 7 and ms[7] > hb and ms[7] == max(ms.values())))
out("status", j(c.cmd("st", "STATUS Archive (HIGHESTMODSEQ)")))
c.cmd("lo", "LOGOUT")
PYEOF
r=$(imap_py "$SB/t2.py")
like "$(get qresync_bad)" '^q0 BAD' "SELECT (QRESYNC) before ENABLE QRESYNC: BAD"
like "$(get enable)" '^\* ENABLED QRESYNC' "ENABLE QRESYNC after the restart"
like "$(get resync)" '\* OK \[HIGHESTMODSEQ [0-9]+\].* \| \* VANISHED \(EARLIER\) 3:6 \| \* 1 FETCH \(UID 1 FLAGS \([^)]*\) MODSEQ \([0-9]+\)\) \| \* 2 FETCH \(UID 2 FLAGS \([^)]*\) MODSEQ \([0-9]+\)\) \| \* 3 FETCH \(UID 7 FLAGS \([^)]*\) MODSEQ \([0-9]+\)\) \| q1 OK' "QRESYNC after being away: VANISHED (EARLIER) of the expunges, FETCH of the changes and the delivery"
is "$(get h_above)" 1 "HIGHESTMODSEQ grew while b was away"
like "$(get resync_known)" '\* 1 FETCH \(UID 1 .* \| \* 2 FETCH \(UID 2 [^|]* \| q2 OK' "known UIDs 1:2,6: FETCH of the changed known ones"
unlike "$(get resync_known)" 'UID 7' "... not of the message the client did not know"
like "$(get resync_known)" '^\* VANISHED \(EARLIER\) 6 \|' "... VANISHED (EARLIER) limited to the known UIDs"
is "$(get resync_none)" "" "QRESYNC with the current HIGHESTMODSEQ: nothing to say"
is "$(get resync_uv)" "" "QRESYNC with another UIDVALIDITY: a plain SELECT"
like "$(get resync_seqmatch)" '^\* VANISHED \(EARLIER\) 3:6$' "QRESYNC from modseq 1 with seq-match-data"
like "$(get all)" 'UID 7 MODSEQ' "the delivered message has a UID and MODSEQ"
is "$(get local_modseq)" 1 "tern-local's delivery got the highest modseq, above the old HIGHESTMODSEQ"
like "$(get status)" 'HIGHESTMODSEQ [1-9]' "STATUS HIGHESTMODSEQ of Archive"

# mbsync against a server that advertises CONDSTORE and QRESYNC.
if command -v mbsync >/dev/null 2>&1; then
	mkdir -p "$SB/mbs"
	cat >"$SB/mbsyncrc" <<EOF
IMAPAccount t
Host 127.0.0.1
Port $P_IMAP
User alice@example.org
Pass $PW_ALICE
SSLType None
AuthMechs LOGIN

IMAPStore t-remote
Account t

MaildirStore t-local
Path $SB/mbs/
Inbox $SB/mbs/INBOX

Channel t
Far :t-remote:
Near :t-local:
Patterns INBOX
Create Near
Sync All
SyncState *
EOF
	HOME=$SB timeout 60 mbsync -c "$SB/mbsyncrc" -a >"$SB/mbsync.out" 2>&1; rc=$?
	is "$rc" 0 "mbsync syncs with CONDSTORE advertised"
	is "$(ls "$SB/mbs/INBOX/cur" "$SB/mbs/INBOX/new" 2>/dev/null | grep -c ',')" 3 "mbsync fetched the 3 messages"
	HOME=$SB timeout 60 mbsync -c "$SB/mbsyncrc" -a >>"$SB/mbsync.out" 2>&1; rc=$?
	is "$rc" 0 "a second mbsync run"
else
	skip "mbsync not installed"; skip "mbsync not installed"; skip "mbsync not installed"
fi
# The restart's TERM is ours; anything else is not.
ok "no crash or sanitizer report in the log" sh -c "! grep -v 'shutdown signal=TERM' '$SB/log' | grep -Eq 'Sanitizer|runtime error|exit service=[a-z0-9]+ pid=[0-9]+ status=[^0]|signal='"
[ "$_tap_fail" = 0 ] || { diag "$r"; cat "$SB/mbsync.out" 2>/dev/null | while read -r l; do diag "$l"; done; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
