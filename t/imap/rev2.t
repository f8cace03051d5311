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
plan 38
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: one\n\nbody one\n' >"$SB/m1"
printf 'From: b@example.net\nSubject: two\n\nbody two\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
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
unlike "$(get v1_reselect)" "CLOSED" "rev1 SELECT again: no CLOSED"
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
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
