#!/bin/sh
# LIST-EXTENDED (RFC 5258), LIST-STATUS (RFC 5819) and CREATE-SPECIAL-USE
# (RFC 6154 3) with tern-imapd: several patterns (each name once), the
# SUBSCRIBED selection (\Subscribed, \NonExistent for a subscribed name
# that does not exist), RECURSIVEMATCH with CHILDINFO, the SPECIAL-USE
# selection, RETURN (SUBSCRIBED) and RETURN (STATUS (...)) with a STATUS
# after each selectable name only; CREATE ... (USE (\Sent)) kept in the
# Maildir and carried by RENAME, [USEATTR] for an attribute tern does not
# store; LSUB and plain LIST unchanged.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 24
imap_start || { echo "Bail out! set-up failed"; exit 1; }
MA=$(maildir alice@example.org); export MA
printf 'Subject: one\n\nbody\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1.host "$SB/m1"
cat >"$SB/t.py" <<'PYEOF'
import os
from imapt import *
r = Raw()
def j(ls): return " | ".join(ls)
capa = r.cmd("a0", 'LOGIN alice@example.org "alice-secret"')[-1]
out("capa", capa)
# A folder whose parent exists only as a hierarchy level.
uid = os.stat(os.environ["MA"]).st_uid
base = os.path.join(os.environ["MA"], ".Only.Child")
for sub in ("", "/cur", "/new", "/tmp"):
    os.mkdir(base + sub, 0o700)
    os.chown(base + sub, uid, -1)
for c in ("CREATE Fruit/Apple", "CREATE Fruit/Banana", "CREATE Tofu",
          "SUBSCRIBE Fruit/Banana", "SUBSCRIBE Gone"):
    r.cmd("s", c)
out("multi", j(r.cmd("a1", 'LIST "" ("INBOX" "Dr*" "*ox")')))
out("subscribed", j(r.cmd("a2", 'LIST (SUBSCRIBED) "" "*"')))
out("recursive", j(r.cmd("a3", 'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')))
out("ret_sub", j(r.cmd("a4", 'LIST "" "*" RETURN (SUBSCRIBED CHILDREN)')))
out("special", j(r.cmd("a5", 'LIST (SPECIAL-USE) "" "*"')))
out("status", j(r.cmd("a6", 'LIST "" "%" RETURN (STATUS (MESSAGES UIDNEXT SIZE))')))
out("ext_nonexist", j(r.cmd("a7", 'LIST () "" "Only"')))
out("plain_nonexist", j(r.cmd("a8", 'LIST "" "Only"')))
out("lsub", j(r.cmd("a9", 'LSUB "" "*"')))
out("lsub_ext", r.cmd("a10", 'LSUB (SUBSCRIBED) "" "*"')[-1])
out("create_use", r.cmd("b1", 'CREATE "Sent Items" (USE (\\Sent))')[-1])
out("list_use", j(r.cmd("b2", 'LIST "" "Sent Items"')))
out("rename", r.cmd("b3", 'RENAME "Sent Items" "Old Sent"')[-1])
out("list_renamed", j(r.cmd("b4", 'LIST (SPECIAL-USE) "" "Old*"')))
out("useattr", r.cmd("b5", 'CREATE Stars (USE (\\Flagged))')[-1])
out("not_created", j(r.cmd("b6", 'LIST "" "Stars"')))
out("bad_param", r.cmd("b7", 'CREATE X (FOO (bar))')[-1])
out("status_size", r.cmd("b8", 'STATUS INBOX (SIZE MESSAGES)')[0])
out("root", j(r.cmd("b9", 'LIST "" ""')))
out("capa_limit", " ".join(w for w in r.cmd("c0", "CAPABILITY")[0].split() if w.startswith("APPENDLIMIT=")))
out("status_limit", r.cmd("c1", 'STATUS Tofu (APPENDLIMIT UIDNEXT)')[0])
r.cmd("z", "LOGOUT")
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get capa)" 'LIST-EXTENDED LIST-STATUS CREATE-SPECIAL-USE' "CAPABILITY: LIST-EXTENDED LIST-STATUS CREATE-SPECIAL-USE"
like "$(get multi)" '^\* LIST \(\\HasNoChildren\) "/" INBOX \| \* LIST \(\\HasNoChildren \\Drafts\) "/" Drafts \| a1 OK' "several patterns: each name once, in order"
like "$(get subscribed)" '\* LIST \(\\HasNoChildren \\Subscribed\) "/" Fruit/Banana' "SUBSCRIBED: a subscribed name with \\Subscribed"
like "$(get subscribed)" '\* LIST \(\\NonExistent \\HasNoChildren \\Subscribed\) "/" Gone' "SUBSCRIBED: a missing subscribed name is \\NonExistent"
unlike "$(get subscribed)" '"/" (Tofu|Fruit/Apple|Fruit) ' "SUBSCRIBED: names not subscribed are left out"
like "$(get recursive)" '\* LIST \(\\HasChildren\) "/" Fruit \("CHILDINFO" \("SUBSCRIBED"\)\)' "RECURSIVEMATCH: a parent with CHILDINFO (SUBSCRIBED)"
unlike "$(get recursive)" 'Tofu|Banana' "RECURSIVEMATCH: % stops at the level; unsubscribed names out"
like "$(get ret_sub)" '\(\\HasNoChildren \\Subscribed\) "/" Fruit/Banana.*\(\\HasNoChildren\) "/" Tofu' "RETURN (SUBSCRIBED): \\Subscribed only where subscribed"
is "$(get special)" '* LIST (\HasNoChildren \Archive) "/" Archive | * LIST (\HasNoChildren \Drafts) "/" Drafts | * LIST (\HasNoChildren \Junk) "/" Junk | * LIST (\HasNoChildren \Sent) "/" Sent | * LIST (\HasNoChildren \Trash) "/" Trash | a5 OK LIST completed' "SPECIAL-USE selection: the special-use folders only"
like "$(get status)" '^\* LIST \(\\HasNoChildren\) "/" INBOX \| \* STATUS INBOX \(MESSAGES 1 UIDNEXT 2 SIZE [0-9]+\) \|' "LIST-STATUS: STATUS right after the name"
like "$(get status)" '\* LIST \(\\NonExistent \\HasChildren\) "/" Only \| \* LIST' "LIST-STATUS: no STATUS for a \\NonExistent name"
like "$(get status)" '"/" Tofu \| \* STATUS Tofu \(MESSAGES 0 UIDNEXT 1 SIZE 0\)' "LIST-STATUS for an empty folder"
is "$(get ext_nonexist)" '* LIST (\NonExistent \HasChildren) "/" Only | a7 OK LIST completed' "LIST-EXTENDED: \\NonExistent alone"
is "$(get plain_nonexist)" '* LIST (\Noselect \NonExistent \HasChildren) "/" Only | a8 OK LIST completed' "plain LIST: \\Noselect \\NonExistent as before"
like "$(get lsub)" '\* LSUB \(\\Noselect\) "/" Fruit \| \* LSUB \(\) "/" Fruit/Banana' "LSUB unchanged"
like "$(get lsub_ext)" '^a10 BAD' "LSUB with LIST-EXTENDED options: BAD"
is "$(get create_use) | $(get list_use)" 'b1 OK CREATE completed | * LIST (\HasNoChildren \Sent) "/" "Sent Items" | b2 OK LIST completed' "CREATE (USE (\\Sent)): the folder is \\Sent"
like "$(get list_renamed)" '^\* LIST \(\\HasNoChildren \\Sent\) "/" "Old Sent" \| b4 OK' "RENAME keeps the special use"
ok "the special use is kept in the folder's directory" grep -q Sent "$MA/.Old Sent/tern-special-use"
is "$(get useattr) | $(get not_created)" 'b5 NO [USEATTR] Unsupported special-use attribute | b6 OK LIST completed' "CREATE (USE (\\Flagged)): NO [USEATTR], nothing created"
like "$(get bad_param)" '^b7 BAD' "CREATE with an unknown parameter: BAD"
like "$(get status_size)" '^\* STATUS INBOX \(MESSAGES 1 SIZE [1-9][0-9]*\)$' "STATUS SIZE"
limit=$(get capa_limit | sed -n "s/.*APPENDLIMIT=\([0-9]*\).*/\1/p")
like "$limit" '^[1-9][0-9]*$' "APPENDLIMIT=n in CAPABILITY"
is "$(get status_limit)" "* STATUS Tofu (UIDNEXT 1 APPENDLIMIT $limit)" "STATUS APPENDLIMIT (RFC 7889): the limit CAPABILITY gives"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
