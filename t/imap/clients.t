#!/bin/sh
# Real IMAP clients against tern-imapd: curl imap:// (LIST, fetch by UID,
# STARTTLS with --ssl-reqd, APPEND by upload) and imaps://; mbsync (Debian
# package isync) syncing the account with a local Maildir both ways:
# messages down, flags and a new folder with a message up, a deletion on
# the server down.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
command -v curl >/dev/null || skip_all "curl not installed"
sandbox
plan 14
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: curl one\n\nbody one\n' >"$SB/m1"
printf 'From: b@example.net\nSubject: curl two\n\nbody two\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
U=alice@example.org:alice-secret
B="imap://127.0.0.1:$P_IMAP"
out=$(curl -s --max-time 20 -u "$U" "$B/" 2>&1 | tr -d '\r')
like "$out" '\* LIST \(.*\) "/" Sent' "curl imap:// LIST"
out=$(curl -s --max-time 20 -u "$U" "$B/INBOX;UID=1" 2>&1 | tr -d '\r')
like "$out" "Subject: curl one" "curl imap:// fetch UID 1"
out=$(curl -s --max-time 20 --ssl-reqd -k -u "$U" "$B/INBOX;UID=2" 2>&1 | tr -d '\r')
like "$out" "Subject: curl two" "curl imap:// with STARTTLS (--ssl-reqd)"
out=$(curl -s --max-time 20 -k -u "$U" "imaps://127.0.0.1:$P_IMAPS/INBOX;UID=1" 2>&1 | tr -d '\r')
like "$out" "Subject: curl one" "curl imaps:// fetch"
printf 'From: curl@example.net\r\nSubject: uploaded\r\n\r\nup\r\n' >"$SB/up"
curl -s --max-time 20 -u "$U" -T "$SB/up" "$B/Sent" >/dev/null 2>&1; rc=$?
is "$rc" 0 "curl upload (APPEND) to Sent"
out=$(curl -s --max-time 20 -u "$U" "$B/Sent;UID=1" 2>&1 | tr -d '\r')
like "$out" "Subject: uploaded" "the uploaded message is in Sent"
out=$(curl -s --max-time 20 -k -u "alice@example.org:wrong" "imaps://127.0.0.1:$P_IMAPS/" 2>&1; echo "rc=$?")
like "$out" "rc=67" "curl: a wrong password is a login failure (67)"

if command -v mbsync >/dev/null; then
	L=$SB/local
	mkdir -p "$L"
	cat >"$SB/mbsyncrc" <<MBEOF
IMAPAccount t
Host 127.0.0.1
Port $P_IMAP
User alice@example.org
Pass alice-secret
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account t

MaildirStore local
Path $L/
Inbox $L/INBOX
SubFolders Verbatim

Channel c
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
MBEOF
	# curl's fetches set \Seen: start from unseen mail.
	printf 'from imapt import *\nm = login()\nm.select("INBOX")\nm.store("1:*", "-FLAGS", "(\\\\Seen)")\nm.logout()\n' >"$SB/unseen.py"
	imap_py "$SB/unseen.py" >/dev/null
	HOME=$SB mbsync -c "$SB/mbsyncrc" -a >"$SB/mbsync1.log" 2>&1; rc=$?
	is "$rc" 0 "mbsync: first sync"
	ok "mbsync: both messages down" test "$(ls "$L/INBOX/cur" "$L/INBOX/new" 2>/dev/null | grep -c ,U=)" = 2
	# Local changes: message 1 seen, a new folder with a message.
	f=$(grep -l "curl one" "$L"/INBOX/cur/* "$L"/INBOX/new/* 2>/dev/null | head -1)
	mv "$f" "$L/INBOX/cur/$(basename "$f" | sed 's/:2,.*//'):2,S"
	mkdir -p "$L/Local/cur" "$L/Local/new" "$L/Local/tmp"
	printf 'From: me@example.org\nSubject: made locally\n\nlocal\n' >"$L/Local/new/1700000100.local.host"
	HOME=$SB mbsync -c "$SB/mbsyncrc" -a >"$SB/mbsync2.log" 2>&1; rc=$?
	is "$rc" 0 "mbsync: second sync"
	cat >"$SB/t.py" <<'PYEOF'
from imapt import *
m = login()
m.select("INBOX")
typ, d = m.search(None, "SEEN")
out("seen", d[0].decode())
typ, d = m.select("Local")
out("local", typ + " " + d[0].decode())
m.select("INBOX")
m.store("2", "+FLAGS", "(\\Deleted)")
m.expunge()
m.logout()
PYEOF
	r=$(imap_py "$SB/t.py")
	get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
	is "$(get seen)" "1" "mbsync: \\Seen went up"
	is "$(get local)" "OK 1" "mbsync: the new folder and its message went up"
	HOME=$SB mbsync -c "$SB/mbsyncrc" -a >"$SB/mbsync3.log" 2>&1
	ok "mbsync: the deletion on the server came down" test "$(grep -l "curl two" "$L"/INBOX/cur/* "$L"/INBOX/new/* 2>/dev/null | wc -l)" = 0
else
	for i in 1 2 3 4 5 6; do skip "mbsync not installed (Debian package isync)"; done
fi
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { cat "$SB"/mbsync*.log 2>/dev/null | tail -20 | while read -r l; do diag "$l"; done; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
