#!/bin/sh
# ESEARCH (RFC 4731), SEARCHRES (RFC 5182), SORT (RFC 5256, RFC 5957) and
# THREAD (RFC 5256) in tern-imapd.  Six messages whose subjects, dates,
# addresses and references are chosen so that each rule changes an
# answer: base subjects (Re:, [blob], (fwd), [fwd: ...], RFC 2047),
# the Date header with the internal date as fallback, ties by sequence
# number, REVERSE, the first address's mailbox and display name,
# References, In-Reply-To, dummy parents, merging by subject; "$" in
# FETCH, STORE, COPY, SEARCH, cleared by SELECT and by a failed SAVE,
# and expunged messages leaving it.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 45
imap_start || { echo "Bail out! set-up failed"; exit 1; }
T=1700000000
mk() {	# mk N MTIME-OFFSET HEADER-LINES...
	n=$1 off=$2
	shift 2
	: >"$SB/m$n"
	for l in "$@"; do printf '%s\n' "$l" >>"$SB/m$n"; done
	printf '\nbody of message %s\n' "$n" >>"$SB/m$n"
	put_mail alice@example.org "$((T + n)).M${n}P${n}Q$n.host" "$SB/m$n" || return 1
	touch -d "@$((T + off))" "$(maildir alice@example.org)/new/$((T + n)).M${n}P${n}Q$n.host"
}
mk 1 5 'From: "Zed" <bob@b.org>' 'To: carol@c.org' 'Cc: x@y.org' \
    'Subject: Re: [list] Apple' 'Date: Wed, 3 Jan 2024 10:00:00 +0000' \
    'Message-ID: <m1@x>'
mk 2 1 'From: Ann <zack@a.org>' 'To: "Zoe" <alice@d.org>' \
    'Subject: apple (fwd)' 'Date: Mon, 1 Jan 2024 10:00:00 +0000' \
    'Message-ID: <m2@x>'
mk 3 3 'From: =?utf-8?q?=C3=89mile?= <eve@e.org>' 'Subject: Banana' \
    'References: <m2@x>' 'Message-ID: <m3@x>'
{
	mk 4 2 'From: mike@m.org' 'Subject: [fwd: banana]' \
	    'Date: Tue, 2 Jan 2024 10:00:00 +0000' 'In-Reply-To: <m3@x>' \
	    'Message-ID: <m4@x>'
	i=0; while [ $i -lt 100 ]; do echo "padding line $i to make message four the largest"; i=$((i+1)); done >>"$SB/m4x"
}
mk 5 4 'From: Amy <amy@a.org>' 'Subject: =?iso-8859-1?q?cherry?=' \
    'Date: Tue, 2 Jan 2024 10:00:00 +0000' 'References: <missing@x>' \
    'Message-ID: <m5@x>'
mk 6 6 'From: <BOB@b.org>' 'Subject: Re: cherry' \
    'Date: Fri, 5 Jan 2024 10:00:00 +0000' 'References: <missing@x>' \
    'Message-ID: <m6@x>'
d=$(maildir alice@example.org)/new
cat "$SB/m4x" >>"$d/$((T + 4)).M4P4Q4.host" && touch -d "@$((T + 2))" "$d/$((T + 4)).M4P4Q4.host"
cat >"$SB/t.py" <<'PYEOF'
from imapt import *
r = Raw()
def cmd(k, c):
    ls = r.cmd("t", c)
    out(k, " | ".join(l for l in ls if not l.startswith("* OK") and
        not l.endswith("EXISTS") and not l.endswith("RECENT") and
        not l.startswith("* FLAGS")))
r.cmd("a", "LOGIN alice@example.org alice-secret")
cmd("capa", "CAPABILITY")
cmd("sel", "SELECT INBOX")
for k, c in [
    ("subject", "SORT (SUBJECT REVERSE DATE) UTF-8 ALL"),
    ("date", "SORT (DATE) UTF-8 ALL"),
    ("arrival", "SORT (ARRIVAL) US-ASCII ALL"),
    ("revarrival", "SORT (REVERSE ARRIVAL) UTF-8 ALL"),
    ("from", "SORT (FROM) UTF-8 ALL"),
    ("dfrom", "SORT (DISPLAYFROM) UTF-8 ALL"),
    ("to", "SORT (TO) UTF-8 ALL"),
    ("dto", "SORT (DISPLAYTO) UTF-8 ALL"),
    ("cc", "SORT (CC) UTF-8 ALL"),
    ("size", "SORT (REVERSE SIZE) UTF-8 ALL"),
    ("sortkey", "SORT (ARRIVAL) UTF-8 SUBJECT banana"),
    ("sortcs", "SORT (ARRIVAL) KOI8-R ALL"),
    ("sortbad", "SORT (BOGUS) UTF-8 ALL"),
    ("refs", "THREAD REFERENCES UTF-8 ALL"),
    ("osubj", "THREAD ORDEREDSUBJECT UTF-8 ALL"),
    ("thrnone", "THREAD REFERENCES UTF-8 SUBJECT nothing-here"),
    ("thrkey", "THREAD REFERENCES UTF-8 NOT SUBJECT apple"),
    ("uidthr", "UID THREAD ORDEREDSUBJECT UTF-8 ALL"),
    ("es1", "SEARCH RETURN (MIN MAX ALL COUNT) OR SUBJECT apple SUBJECT cherry"),
    ("es2", "UID SEARCH RETURN (COUNT) ALL"),
    ("es3", "SEARCH RETURN () SUBJECT nothing-here"),
    ("es4", "SEARCH RETURN (COUNT MIN) SUBJECT nothing-here"),
    ("es5", "SEARCH RETURN () ALL"),
    ("save", "SEARCH RETURN (SAVE) SUBJECT banana"),
    ("fetch", "FETCH $ (UID)"),
    ("search", "SEARCH $"),
    ("uidsearch", "UID SEARCH UID $ SUBJECT banana"),
    ("store", "STORE $ +FLAGS.SILENT (\\Flagged)"),
    ("flagged", "SEARCH FLAGGED"),
    ("copy", "COPY $ Trash"),
    ("savemin", "SEARCH RETURN (SAVE MIN) SUBJECT cherry"),
    ("search2", "SEARCH $"),
    ("savefail", "SEARCH RETURN (SAVE) CHARSET KOI8-Z ALL"),
    ("search3", "SEARCH $"),
    ("save4", "SEARCH RETURN (SAVE) SUBJECT apple"),
    ("sel2", "SELECT INBOX"),
    ("search4", "SEARCH $"),
    ("save5", "SEARCH RETURN (SAVE COUNT) SUBJECT apple"),
    ("del", "STORE 1 +FLAGS.SILENT (\\Deleted)"),
    ("expunge", "EXPUNGE"),
    ("search5", "SEARCH $"),
    ("uidsort", "UID SORT (ARRIVAL) UTF-8 ALL"),
    ("seqsort", "SORT (ARRIVAL) UTF-8 ALL"),
]:
    cmd(k, c)
r.cmd("z", "LOGOUT")
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get capa)" " ESEARCH SEARCHRES SORT SORT=DISPLAY THREAD=ORDEREDSUBJECT THREAD=REFERENCES" "CAPABILITY lists them"
is "$(get subject)" "* SORT 1 2 4 3 6 5 | t OK SORT completed" "SORT (SUBJECT REVERSE DATE): base subjects, REVERSE"
is "$(get date)" "* SORT 3 2 4 5 1 6 | t OK SORT completed" "SORT (DATE): internal date without Date, ties by seq"
is "$(get arrival)" "* SORT 2 4 3 5 1 6 | t OK SORT completed" "SORT (ARRIVAL), US-ASCII"
is "$(get revarrival)" "* SORT 6 1 5 3 4 2 | t OK SORT completed" "SORT (REVERSE ARRIVAL)"
is "$(get from)" "* SORT 5 1 6 3 4 2 | t OK SORT completed" "SORT (FROM): mailbox, any case"
is "$(get dfrom)" "* SORT 5 2 6 3 4 1 | t OK SORT completed" "SORT (DISPLAYFROM): RFC 2047 name, else the address"
is "$(get to)" "* SORT 3 4 5 6 2 1 | t OK SORT completed" "SORT (TO): missing first"
is "$(get dto)" "* SORT 3 4 5 6 1 2 | t OK SORT completed" "SORT (DISPLAYTO)"
is "$(get cc)" "* SORT 2 3 4 5 6 1 | t OK SORT completed" "SORT (CC)"
like "$(get size)" "^\\* SORT 4 " "SORT (REVERSE SIZE): the largest first"
is "$(get sortkey)" "* SORT 4 3 | t OK SORT completed" "SORT with a search key"
like "$(get sortcs)" "^t NO \\[BADCHARSET" "SORT with an unknown charset: NO [BADCHARSET]"
like "$(get sortbad)" "^t BAD" "SORT with an unknown criterion: BAD"
is "$(get refs)" "* THREAD ((2 3 4)(1))((5)(6)) | t OK THREAD completed" "THREAD REFERENCES: References, In-Reply-To, dummies, subjects merged"
is "$(get osubj)" "* THREAD (3 4)(2 1)(5 6) | t OK THREAD completed" "THREAD ORDEREDSUBJECT"
is "$(get thrnone)" "* THREAD | t OK THREAD completed" "THREAD with no match"
is "$(get thrkey)" "* THREAD (3 4)((5)(6)) | t OK THREAD completed" "THREAD with a search key"
is "$(get uidthr)" "* THREAD (3 4)(2 1)(5 6) | t OK UID THREAD completed" "UID THREAD"
is "$(get es1)" '* ESEARCH (TAG "t") MIN 1 MAX 6 ALL 1:2,5:6 COUNT 4 | t OK SEARCH completed' "ESEARCH MIN MAX ALL COUNT"
is "$(get es2)" '* ESEARCH (TAG "t") UID COUNT 6 | t OK UID SEARCH completed' "UID SEARCH RETURN (COUNT)"
is "$(get es3)" '* ESEARCH (TAG "t") | t OK SEARCH completed' "RETURN () with no match"
is "$(get es4)" '* ESEARCH (TAG "t") COUNT 0 | t OK SEARCH completed' "no match: COUNT 0 and no MIN"
is "$(get es5)" '* ESEARCH (TAG "t") ALL 1:6 | t OK SEARCH completed' "RETURN () means ALL"
is "$(get save)" "t OK SEARCH completed" "RETURN (SAVE) alone: no untagged answer"
is "$(get fetch)" "* 3 FETCH (UID 3) | * 4 FETCH (UID 4) | t OK FETCH completed" "FETCH \$"
is "$(get search)" "* SEARCH 3 4 | t OK SEARCH completed" "SEARCH \$"
is "$(get uidsearch)" "* SEARCH 3 4 | t OK UID SEARCH completed" "UID SEARCH UID \$"
like "$(get store)" "^t OK" "STORE \$"
is "$(get flagged)" "* SEARCH 3 4 | t OK SEARCH completed" "STORE \$ changed the saved messages"
like "$(get copy)" "^t OK \\[COPYUID [0-9]+ 3[:,]4 " "COPY \$"
is "$(get savemin)" '* ESEARCH (TAG "t") MIN 5 | t OK SEARCH completed' "RETURN (SAVE MIN)"
is "$(get search2)" "* SEARCH 5 | t OK SEARCH completed" "SAVE with MIN saves only the minimum"
like "$(get savefail)" "^t NO \\[BADCHARSET" "a failed SEARCH with SAVE"
is "$(get search3)" "* SEARCH | t OK SEARCH completed" "... empties \$"
is "$(get save4)" "t OK SEARCH completed" "SAVE again"
like "$(get sel2)" "t OK \\[READ-WRITE\\]" "SELECT"
is "$(get search4)" "* SEARCH | t OK SEARCH completed" "SELECT empties \$"
is "$(get save5)" '* ESEARCH (TAG "t") COUNT 2 | t OK SEARCH completed' "RETURN (SAVE COUNT)"
like "$(get del)" "^t OK" "STORE \\Deleted on message 1"
is "$(get expunge)" "* 1 EXPUNGE | t OK EXPUNGE completed" "EXPUNGE"
is "$(get search5)" "* SEARCH 1 | t OK SEARCH completed" "an expunged message leaves \$"
is "$(get uidsort)" "* SORT 2 4 3 5 6 | t OK UID SORT completed" "UID SORT gives UIDs"
is "$(get seqsort)" "* SORT 1 3 2 4 5 | t OK SORT completed" "SORT after an expunge gives seqs"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
