#!/bin/sh
# SEARCH and UID SEARCH: header keys on RFC 2047-decoded values, BODY on
# base64 and quoted-printable text decoded, TEXT, OR/NOT/parentheses,
# sequence and UID sets, sizes, SENT* dates, flags and keywords, HEADER,
# CHARSET UTF-8 with a literal, an unknown charset refused.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 17
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: "Ann Example" <ann@example.net>\nSubject: =?ISO-8859-1?Q?caf=E9_meeting?=\nDate: Sun, 1 Jan 2023 10:00:00 +0000\nX-Tag: blue\n\nthe quick brown fox\n' >"$SB/m1"
printf 'From: bob@example.com\nSubject: report\nDate: Wed, 1 Jan 2025 10:00:00 +0000\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nc2VjcmV0IHdvcmQgemVicmEK\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\nsoft=\nbreak word\n--b--\n' >"$SB/m2"
{ printf 'From: carl@example.org\nSubject: hello\nDate: Wed, 1 Jan 2025 11:00:00 +0000\n\n'; i=0; while [ $i -lt 40 ]; do echo "filler line number $i of a longer body"; i=$((i+1)); done; } >"$SB/m3"
for i in 1 2 3; do put_mail alice@example.org 170000000$i.M${i}P${i}Q$i.host "$SB/m$i"; done
cat >"$SB/t.py" <<'PYEOF'
import imaplib
from imapt import *
m = login()
m.select("INBOX")
def s(*a, uid=False):
    try:
        typ, d = m.uid("SEARCH", *a) if uid else m.search(None, *a)
        return typ + " " + (d[0].decode() if d and d[0] is not None else "")
    except imaplib.IMAP4.error as e:
        return "ERR " + str(e)
out("all", s("ALL"))
out("from", s("FROM", "ann"))
out("subject_ascii", s("SUBJECT", "meeting"))
m.literal = "café".encode()
out("subject_utf8", s("CHARSET", "UTF-8", "SUBJECT"))
out("body_b64", s("BODY", "zebra"))
out("body_qp", s("BODY", "softbreak"))
out("text", s("TEXT", "QUICK"))
out("or", s("OR", "FROM", "bob", "SUBJECT", "hello"))
out("not", s("NOT", "FROM", "ann"))
out("larger", s("LARGER", "1000"))
out("sentbefore", s("SENTBEFORE", "1-Jan-2024"))
out("header", s("HEADER", "X-Tag", "blue"))
m.store("2", "+FLAGS", "(\\Seen $Work)")
out("flags", s("SEEN") + " / " + s("UNSEEN") + " / " + s("KEYWORD", "$Work"))
out("set", s("2:3", "SUBJECT", "hello") + " / " + s("(FROM carl)", "OR", "1", "3"))
out("uid", s("UID", "2:*", "NOT", "SEEN", uid=True))
out("badcharset", s("CHARSET", "KOI8-Z", "ALL"))
m.logout()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get all)" "OK 1 2 3" "SEARCH ALL"
is "$(get from)" "OK 1" "FROM (display name and address)"
is "$(get subject_ascii)" "OK 1" "SUBJECT in an RFC 2047 word"
is "$(get subject_utf8)" "OK 1" "CHARSET UTF-8 SUBJECT with a literal: decoded ISO-8859-1"
is "$(get body_b64)" "OK 2" "BODY in a base64 part"
is "$(get body_qp)" "OK 2" "BODY in a quoted-printable part (soft line break)"
is "$(get text)" "OK 1" "TEXT, case-insensitive"
is "$(get or)" "OK 2 3" "OR"
is "$(get not)" "OK 2 3" "NOT"
is "$(get larger)" "OK 3" "LARGER"
is "$(get sentbefore)" "OK 1" "SENTBEFORE"
is "$(get header)" "OK 1" "HEADER X-Tag"
is "$(get flags)" "OK 2 / OK 1 3 / OK 2" "SEEN, UNSEEN, KEYWORD"
is "$(get set)" "OK 3 / OK 3" "sequence sets and parentheses"
is "$(get uid)" "OK 3" "UID SEARCH with a UID set: UIDs"
like "$(get badcharset)" "BADCHARSET" "an unknown charset: NO [BADCHARSET]"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
