#!/bin/sh
# IMAP4rev2 (RFC 9051) after ENABLE IMAP4rev2, and UTF8=ACCEPT (RFC 6855):
# each difference from IMAP4rev1 checked both ways (a client that enables
# nothing sees IMAP4rev1 unchanged): no RECENT / \Recent / UNSEEN code,
# SELECT's LIST and CLOSED, RECENT/NEW/OLD and STATUS RECENT refused,
# STATUS DELETED, UTF-8 mailbox names in and out (kept as modified UTF-7
# on disk, inside the account), SEARCH CHARSET refused after UTF8=ACCEPT.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 56
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: one\n\nbody one\n' >"$SB/m1"
printf 'From: b@example.net\nSubject: two\n\nbody two\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
printf 'From: d@example.net\nSubject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Transfer-Encoding: quoted-printable\n\na=3Db soft=\nbreak\nline2=0Aend\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC/w==\n--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\ncaf\303\251\nx\n--b\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n--b--\n' >"$SB/m4"
put_mail bob@example.org 1700000004.M4P4Q4.host "$SB/m4"
cat >"$SB/t.py" <<'PYEOF'
import os, subprocess
from imapt import *

def u(l):
    return l.encode("latin-1").decode("utf-8", "replace")

def j(ls):
    return " | ".join(u(l) for l in ls)

def session(enable=None):
    r = Raw()
    r.cmd("L", "LOGIN alice@example.org alice-secret")
    if enable:
        out("enable_" + enable.replace("=", "_"), j(r.cmd("E", "ENABLE " + enable)))
    return r

r = Raw()
out("greeting", r.greet)
out("precapa", j(r.cmd("C", "CAPABILITY")))
r.cmd("L", "LOGIN alice@example.org alice-secret")
out("capa", j(r.cmd("C", "CAPABILITY")))
r.close()

# A rev1 session takes the \Recent of the two messages.
v1 = session()
out("v1_select", j(v1.cmd("S", "SELECT INBOX")))
out("v1_fetch", j(v1.cmd("F", "FETCH 1 FLAGS")))
out("v1_search", j(v1.cmd("Q1", "SEARCH ALL")))
out("v1_recent", j(v1.cmd("R", "SEARCH RECENT")))
out("v1_new", j(v1.cmd("N", "SEARCH NEW")))
v1.cmd("D", "STORE 2 +FLAGS (\\Deleted)")
out("v1_status", j(v1.cmd("T", "STATUS INBOX (MESSAGES RECENT DELETED)")))
out("v1_reselect", j(v1.cmd("S2", "SELECT INBOX")))

v2 = session("IMAP4rev2")
out("v2_select", j(v2.cmd("S", "SELECT INBOX")))
out("v2_fetch", j(v2.cmd("F", "FETCH 1 FLAGS")))
out("v2_recent", v2.last("R", "SEARCH RECENT"))
out("v2_new", v2.last("N", "SEARCH NEW"))
out("v2_old", v2.last("O", "SEARCH NOT OLD"))
out("v2_search", j(v2.cmd("Q1", "SEARCH ALL") + v2.cmd("Q2", "UID SEARCH 1:* NOT DELETED") + v2.cmd("Q3", "SEARCH SUBJECT nomatch")))
out("v2_status_recent", v2.last("T", "STATUS INBOX (RECENT)"))
out("v2_status", j(v2.cmd("T2", "STATUS INBOX (MESSAGES DELETED)")))
out("v2_reselect", j(v2.cmd("S2", "EXAMINE INBOX")))
out("v2_unselect_select", j(v2.cmd("U", "UNSELECT") + v2.cmd("S3", "SELECT INBOX")))

# New mail: both sessions see EXISTS; only the rev1 one hears RECENT.
d = os.environ["MD"]
with open(os.path.join(d, "new", "1700000003.M3P3Q3.host"), "w") as f:
    f.write("From: c@example.net\nSubject: three\n\nbody three\n")
out("v1_noop", j(v1.cmd("N1", "NOOP")))
out("v2_noop", j(v2.cmd("N2", "NOOP")))
v1.close()
v2.close()

# UTF-8 mailbox names (UTF8=ACCEPT; IMAP4rev2 gives the same).
n8 = session("UTF8=ACCEPT")
out("n8_create", n8.last("C", 'CREATE "Grüße"'))
out("n8_create_amp", n8.last("C2", 'CREATE "R&D/Ünter"'))
out("n8_list", j(n8.cmd("L", 'LIST "" "*"')))
out("n8_list_pat", j(n8.cmd("L2", 'LIST "" "Gr*"')))
out("n8_status", j(n8.cmd("T", 'STATUS "Grüße" (MESSAGES)')))
out("n8_select", j(n8.cmd("S", 'SELECT "R&D/Ünter"')))
n8.send(b'A1 APPEND "Gr\xc3\xbc\xc3\x9fe" {20+}\r\nSubject: x\r\n\r\nhello\r\n')
out("n8_append", u(n8.upto("A1")[-1]))
out("n8_liststatus", j(n8.cmd("L4", 'LIST "" "Gr*" RETURN (STATUS (MESSAGES DELETED))')))
n8.send(b'B CREATE "bad\xff"\r\n')
out("n8_bad_utf8", n8.upto("B")[-1])
out("n8_escape", n8.last("X", 'CREATE "ü/../../etc"') + " " + n8.last("X2", 'CREATE "~ü"') + " " + n8.last("X3", 'SELECT "/ü"'))
out("n8_mutf7_literal", n8.last("M", 'CREATE "&AOQ-"'))
out("n8_ls2", j(n8.cmd("L3", 'LIST "" "&*"')))
n8.close()
v2 = session("IMAP4rev2")
out("v2_list", j(v2.cmd("L", 'LIST "" "Gr*"')))
out("v2_select_utf8", j(v2.cmd("S", 'SELECT "R&D/Ünter"')))
v2.close()

v1 = session()
out("v1_list", j(v1.cmd("L", 'LIST "" "*"')))
out("v1_8bit", v1.last("B", 'CREATE "Straße"'))
out("v1_status_mutf7", j(v1.cmd("T", 'STATUS "Gr&APwA3w-e" (MESSAGES)')))
v1.close()

u8 = session("UTF8=ACCEPT")
out("u8_list", j(u8.cmd("L", 'LIST "" "Gr*"')))
out("u8_select", j(u8.cmd("S", "SELECT INBOX")))
out("u8_charset", u8.last("C", "SEARCH CHARSET UTF-8 ALL"))
out("u8_search", u8.last("A", "SEARCH ALL"))
out("u8_fetchflags", j(u8.cmd("F", "FETCH 1 FLAGS")))
u8.close()

# BINARY (RFC 3516), for any client.
def rawall(r, tag):
    return "\n".join(r.upto(tag))
b = Raw()
b.cmd("L", "LOGIN bob@example.org \"bob secret\"")
b.cmd("S", "SELECT INBOX")
def bf(tag, items):
    b.send(tag + " FETCH 1 " + items)
    return rawall(b, tag)
out("b_b64", bf("F1", "BINARY.PEEK[2]").encode("latin-1").hex())
out("b_sizes", bf("F2", "(BINARY.SIZE[1] BINARY.SIZE[2] BINARY.SIZE[3])"))
out("b_qp", bf("F3", "BINARY.PEEK[1]"))
out("b_8bit", u(bf("F4", "BINARY.PEEK[3]")))
out("b_partial", bf("F5", "BINARY.PEEK[2]<1.2>").encode("latin-1").hex())
out("b_partial_far", bf("F6", "BINARY.PEEK[2]<9.2>"))
out("b_unknown", bf("F7", "BINARY.PEEK[4]") + " / " + bf("F8", "BINARY.SIZE[4]"))
out("b_missing", bf("F9", "(BINARY.PEEK[9] BINARY.SIZE[9])"))
w1 = bf("F10", "BINARY.PEEK[]").replace("BINARY[]", "X")
w2 = bf("F11", "BODY.PEEK[]").replace("BODY[]", "X").replace("F11 ", "F10 ")
out("b_whole", str(w1 == w2) + " " + w1[:40] + " " + w2[:40])
out("b_flags0", bf("F12", "FLAGS"))
out("b_seen", bf("F13", "BINARY[3]<0.3>"))
b.send(b"A1 APPEND INBOX ~{54}\r\nSubject: n\r\nContent-Transfer-Encoding: binary\r\n\r\nx\0y\r\n\r\n")
out("b_append8", b.upto("A1")[-1])
b.send("A2 FETCH 2 (BINARY.PEEK[1] RFC822.SIZE)")
out("b_append8_fetch", rawall(b, "A2").encode("latin-1").hex())
b.send(b"A3 APPEND INBOX UTF8 (~{29}\r\nSubject: caf\xc3\xa9\r\n\r\nutf8 body\r\n)\r\n")
out("b_append_utf8", b.upto("A3")[-1])
b.send("A4 FETCH 3 BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
out("b_append_utf8_fetch", u(rawall(b, "A4")))
b.send(b"A5 APPEND INBOX UTF8 ({3}\r\nabc)\r\n")
out("b_append_utf8_bad", b.upto("A5")[-1])
b.close()
PYEOF
MD=$(maildir alice@example.org)
r=$(MD=$MD imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
# r2 TEST...: an IMAP4rev2 check, skipped while IMAP4rev2 is not
# advertised (then ENABLE IMAP4rev2 must enable nothing).
REV2=0
case "$(get capa)" in *" IMAP4rev2 "*) REV2=1 ;; esac
r2() { if [ "$REV2" = 1 ]; then "$@"; else skip "IMAP4rev2 not advertised"; fi; }

r2 like "$(get greeting)" "CAPABILITY IMAP4rev1 IMAP4rev2 " "greeting: IMAP4rev2 advertised before login"
r2 like "$(get precapa)" "IMAP4rev2" "CAPABILITY before login: IMAP4rev2"
r2 like "$(get capa)" "IMAP4rev1 IMAP4rev2 .*UTF8=ACCEPT" "CAPABILITY after login: IMAP4rev2, UTF8=ACCEPT"
like "$(get v1_select)" "\* 2 RECENT .*\[UNSEEN 1\]" "rev1 SELECT: RECENT and UNSEEN"
unlike "$(get v1_select)" "\* LIST" "rev1 SELECT: no LIST"
like "$(get v1_fetch)" 'FLAGS \(\\Recent\)' "rev1 FETCH FLAGS: \\Recent"
like "$(get v1_recent)" "\* SEARCH 1 2 \| R OK" "rev1 SEARCH RECENT"
like "$(get v1_new)" "\* SEARCH 1 2 \| N OK" "rev1 SEARCH NEW"
like "$(get v1_status)" "MESSAGES 2 RECENT [0-9] DELETED 1" "rev1 STATUS RECENT and DELETED"
like "$(get v1_reselect)" "RECENT .*\[UNSEEN 1\]" "rev1 SELECT again: RECENT and UNSEEN still"
if [ "$REV2" = 1 ]; then
	like "$(get enable_IMAP4rev2)" "^\* ENABLED IMAP4rev2 \| E OK" "ENABLE IMAP4rev2"
else
	like "$(get enable_IMAP4rev2)" "^\* ENABLED \| E OK" "ENABLE IMAP4rev2 enables nothing while not advertised"
fi
r2 unlike "$(get v2_select)" "RECENT|UNSEEN" "rev2 SELECT: no RECENT, no UNSEEN"
r2 like "$(get v2_select)" '\* LIST \(.HasNoChildren\) "/" INBOX \| .*UIDNEXT' "rev2 SELECT: LIST INBOX"
r2 like "$(get v2_fetch)" 'FLAGS \(\)\)' "rev2 FETCH FLAGS: no \\Recent"
r2 like "$(get v2_recent)" "^R BAD" "rev2 SEARCH RECENT: BAD"
r2 like "$(get v2_new)$(get v2_old)" "^N BAD.*O BAD" "rev2 SEARCH NEW, OLD: BAD"
like "$(get v1_search)" "^\* SEARCH 1 2 \| Q1 OK" "rev1 SEARCH: a SEARCH response"
r2 is "$(get v2_search)" '* ESEARCH (TAG "Q1") ALL 1:2 | Q1 OK SEARCH completed | * ESEARCH (TAG "Q2") UID ALL 1 | Q2 OK UID SEARCH completed | * ESEARCH (TAG "Q3") | Q3 OK SEARCH completed' "rev2 SEARCH: ESEARCH (ALL assumed, UID, nothing found)"
r2 like "$(get v2_status_recent)" "^T BAD" "rev2 STATUS RECENT: BAD"
r2 like "$(get v2_status)" "MESSAGES 2 DELETED 1" "rev2 STATUS DELETED"
r2 like "$(get v2_reselect)" "^\* OK \[CLOSED\].*\* LIST.*READ-ONLY" "rev2 EXAMINE after SELECT: CLOSED first"
r2 unlike "$(get v2_unselect_select)" "CLOSED" "rev2 SELECT after UNSELECT: no CLOSED"
like "$(get v1_noop)" "\* 3 EXISTS \| \* 1 RECENT" "rev1 new mail: EXISTS and RECENT"
r2 is "$(get v2_noop)" "* 3 EXISTS | N2 OK NOOP completed" "rev2 new mail: EXISTS only"
like "$(get n8_create)$(get n8_create_amp)" "^C OK.*C2 OK" "UTF-8 names: CREATE"
like "$(get n8_list)" '"/" "Grüße" .*"/" "R&D/Ünter"' "UTF-8 names: LIST"
like "$(get n8_list_pat)" '"Grüße" \| L2 OK' "UTF-8 names: LIST with a pattern"
like "$(get n8_status)$(get n8_select)" 'STATUS "Grüße" \(MESSAGES 0\).*S OK' "UTF-8 names: STATUS and SELECT"
like "$(get n8_append)" "A1 OK \[APPENDUID" "UTF-8 names: APPEND"
like "$(get n8_liststatus)" '"/" "Grüße" \| \* STATUS "Grüße" \(MESSAGES 1 DELETED 0\) \| L4 OK' "UTF-8 names: LIST-STATUS"
like "$(get n8_bad_utf8)" "^B BAD" "UTF-8 names: invalid UTF-8 is BAD (RFC 6855 3)"
like "$(get n8_escape)" "^X NO .*X2 NO .*X3 NO" "UTF-8 names: .., ~ and / refused"
ok "on disk: modified UTF-7 names in the account's Maildir" test -d "$MD/.Gr&APwA3w-e/cur" -a -d "$MD/.R&-D.&ANw-nter/cur"
ok "on disk: nothing made outside the Maildir" test ! -e "$MD/../etc" -a ! -e "$SB/etc"
like "$(get n8_mutf7_literal)$(get n8_ls2)" '^M OK.*"/" "?&AOQ-"? ' "UTF-8 names: an mUTF-7-looking name is taken literally"
r2 like "$(get v2_list)" '"/" "Grüße" \| L OK' "rev2 LIST: UTF-8 names"
r2 like "$(get v2_select_utf8)" '\* LIST \(.HasNoChildren\) "/" "R&D/Ünter".*S OK' "rev2 SELECT by UTF-8 name: LIST with it"
like "$(get v1_list)" '"/" &-AOQ- .*"/" "?Gr&APwA3w-e"? .*R&-D/&ANw-nter' "rev1 LIST: modified UTF-7"
like "$(get v1_8bit)$(get v1_status_mutf7)" '^B (BAD|NO).*MESSAGES 1' "rev1: 8-bit name refused, mUTF-7 name works"
like "$(get u8_list)$(get u8_select)" '"Grüße".* RECENT ' "UTF8=ACCEPT: UTF-8 LIST, IMAP4rev1 otherwise"
like "$(get u8_charset)$(get u8_search)" "^C BAD.*A OK" "UTF8=ACCEPT: SEARCH CHARSET refused (RFC 6855 3)"
like "$(get capa)" " BINARY( |$)" "CAPABILITY after login: BINARY"
like "$(get b_b64)" "^2a2031204645544348202842494e4152595b325d207e7b347d0a000102ff290a4631204f4b" "BINARY[2] of base64 with a NUL: literal8 ~{4}, decoded"
like "$(get b_sizes)" "BINARY.SIZE\[1\] 24 BINARY.SIZE\[2\] 4 BINARY.SIZE\[3\] 8\)" "BINARY.SIZE: the decoded sizes"
like "$(get b_qp)" "BINARY\[1\] \{24\}.na=b softbreak.nline2.nend\)" "BINARY[1] of quoted-printable: decoded, a string"
like "$(get b_8bit)" "BINARY\[3\] \{8\}.ncafé.nx\)" "BINARY[3] of 8bit: as it is, CRLF, a string"
like "$(get b_partial)" "5b325d3c313e207b327d0a010229" "BINARY[2]<1.2>: partial on the decoded data"
like "$(get b_partial_far)" "BINARY\[2\]<9> \{0\}" "BINARY partial beyond the end: empty"
like "$(get b_unknown)" "^F7 NO \[UNKNOWN-CTE\].*F8 NO \[UNKNOWN-CTE\]" "x-uuencode: NO [UNKNOWN-CTE] for BINARY and BINARY.SIZE"
like "$(get b_missing)" "BINARY\[9\] NIL BINARY.SIZE\[9\] 0\)" "a part that does not exist: NIL, size 0"
like "$(get b_whole)" "^True " "BINARY[] is BODY[]"
like "$(get b_flags0)$(get b_seen)" "FLAGS \(.Recent\).*BINARY\[3\]<0> \{3\}.ncaf FLAGS \(.Seen" "BINARY sets \\Seen, BINARY.PEEK does not"
like "$(get b_append8)$(get b_append8_fetch)" "^A1 OK \[APPENDUID.*7e7b357d0a7800790a" "APPEND of a literal8 with a NUL; BINARY gives it back"
like "$(get b_append_utf8)$(get b_append_utf8_fetch)" "^A3 OK \[APPENDUID.*Subject: café" "APPEND UTF8 (~{n}) (RFC 6855 4)"
like "$(get b_append_utf8_bad)" "^A5 BAD" "APPEND UTF8 with a plain literal: BAD"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] && [ -z "${REV2_DEBUG:-}" ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
