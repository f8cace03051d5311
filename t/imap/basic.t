#!/bin/sh
# tern-imapd after login with Python's imaplib: LIST with the special-use
# folders made at first login, SELECT (FLAGS, PERMANENTFLAGS, EXISTS,
# RECENT, UIDVALIDITY, UIDNEXT, UNSEEN, READ-WRITE), FETCH of FLAGS,
# UID, RFC822.SIZE, INTERNALDATE, ENVELOPE, BODYSTRUCTURE, BODY[] and
# sections, partials, BODY.PEEK not setting \Seen and BODY[] setting it,
# EXAMINE read-only, STATUS, NAMESPACE, ID, ENABLE, NOOP, CHECK, CLOSE.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 32
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: Ann <a@example.net>\nTo: alice@example.org\nSubject: one\nDate: Mon, 2 Jan 2023 10:00:00 +0100\nMessage-ID: <m1@example.net>\n\nline 1\nline 2\n' >"$SB/m1"
printf 'From: b@example.net\r\nSubject: two\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="XX"\r\n\r\npre\r\n--XX\r\nContent-Type: text/plain; charset=utf-8\r\n\r\npart one\r\n--XX\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--XX--\r\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
cat >"$SB/t.py" <<'PYEOF'
import imaplib, re
from imapt import *
m = login()
typ, d = m.list()
out("list", " | ".join(x.decode() for x in d))
typ, d = m.select("INBOX")
out("select", typ + " " + d[0].decode())
out("sel_untagged", " ".join("%s=%s" % (k, m.untagged_responses.get(k)) for k in ("FLAGS", "PERMANENTFLAGS", "RECENT", "UIDVALIDITY", "UIDNEXT", "UNSEEN", "READ-WRITE")))
typ, d = m.fetch("1:*", "(FLAGS UID RFC822.SIZE)")
out("fetch_fast", " | ".join(x.decode() for x in d))
typ, d = m.fetch("1", "(ENVELOPE)")
out("envelope", d[0].decode())
typ, d = m.fetch("2", "(BODYSTRUCTURE)")
out("bodystructure", d[0].decode())
typ, d = m.fetch("1", "(INTERNALDATE)")
out("internaldate", d[0].decode())
typ, d = m.fetch("1", "(BODY.PEEK[])")
out("peek", d[0][1])
typ, d = m.fetch("1", "(FLAGS)")
out("after_peek", d[0].decode())
typ, d = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (Subject From)])")
out("fields", d[0][0].decode() + "|" + d[0][1].decode())
typ, d = m.fetch("2", "(BODY.PEEK[1] BODY.PEEK[2.MIME] BODY.PEEK[TEXT]<0.10>)")
out("parts", repr(d))
typ, d = m.fetch("1", "(BODY[])")
out("body_seen", repr(d))
typ, d = m.fetch("1", "(FLAGS)")
out("after_body", d[0].decode())
typ, d = m.uid("FETCH", "1:*", "(FLAGS)")
out("uid_fetch", " | ".join(x.decode() for x in d))
typ, d = m.fetch("1", "(RFC822.HEADER)")
out("rfc822_header", repr(d[0][1]))
out("status", m.status("INBOX", "(MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN)")[1][0].decode())
out("status_sent", m.status("Sent", "(MESSAGES)")[1][0].decode())
out("namespace", m.namespace()[1][0].decode())
out("noop", m.noop()[0])
out("check", m.check()[0])
out("close", m.close()[0])
typ, d = m.select("INBOX", readonly=True)
out("examine", typ + " " + str("READ-ONLY" in m.untagged_responses))
typ, d = m.fetch("2", "(BODY[])")
typ, d = m.fetch("2", "(FLAGS)")
out("ro_flags", d[0].decode())
typ, d = m.select("INBOX")
typ, d = m.fetch("1:*", "(RFC822.TEXT)")
out("multi_seen", " ".join(x.decode() for x in d if isinstance(x, bytes) and b"FLAGS" in x) + " | " + " ".join(x[0].decode() for x in d if isinstance(x, tuple)))
typ, d = m.fetch("1:*", "(FLAGS)")
out("multi_after", " | ".join(x.decode() for x in d))
out("ro_store", m.store("2", "+FLAGS", "\\Flagged")[0] if False else "skip")
m.logout()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get list)" '^\(\\HasNoChildren\) "/" INBOX \| ' "LIST: INBOX first"
like "$(get list)" '\(\\HasNoChildren \\Sent\) "/" Sent' "LIST: Sent with \\Sent (SPECIAL-USE)"
like "$(get list)" '\\Trash\) "/" Trash' "LIST: Trash"
like "$(get list)" '\\Drafts\) "/" Drafts' "LIST: Drafts"
is "$(get select)" "OK 2" "SELECT INBOX: 2 messages"
like "$(get sel_untagged)" "PERMANENTFLAGS=\[b'\(.*Seen.*\\\\\\\\\*\)'\]" "PERMANENTFLAGS with \\*"
like "$(get sel_untagged)" "RECENT=\[b'2'\] UIDVALIDITY=\[b'[0-9]+'\] UIDNEXT=\[b'3'\] UNSEEN=\[b'1'\] READ-WRITE" "RECENT, UIDVALIDITY, UIDNEXT, UNSEEN, READ-WRITE"
like "$(get fetch_fast)" '^1 \(FLAGS \(\\Recent\) UID 1 RFC822.SIZE 150\) \| 2 \(FLAGS \(\\Recent\) UID 2 RFC822.SIZE [0-9]+\)$' "FETCH FLAGS UID RFC822.SIZE (CRLF size)"
like "$(get envelope)" '^1 \(ENVELOPE \("Mon, 2 Jan 2023 10:00:00 \+0100" "one" \(\("Ann" NIL "a" "example.net"\)\) .*"<m1@example.net>"\)\)$' "ENVELOPE"
like "$(get bodystructure)" '^2 \(BODYSTRUCTURE \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "7bit" 8 0 NIL NIL NIL NIL\)\("application" "octet-stream" NIL NIL NIL "base64" 4 NIL NIL NIL NIL\) "mixed" \("boundary" "XX"\)' "BODYSTRUCTURE of a multipart"
like "$(get internaldate)" '^1 \(INTERNALDATE "[0-9]{2}-[A-Z][a-z]{2}-[0-9]{4} [0-9:]{8} \+0000"\)$' "INTERNALDATE"
like "$(get peek)" 'Subject: one\\r\\nDate: .*\\r\\n\\r\\nline 1\\r\\nline 2\\r\\n$' "BODY.PEEK[]: the message with CRLF line ends"
is "$(get after_peek)" '1 (FLAGS (\Recent))' "BODY.PEEK does not set \\Seen"
is "$(get fields)" '1 (BODY[HEADER.FIELDS (Subject From)] {43}|From: Ann <a@example.net>\r\nSubject: one\r\n\r\n' "BODY[HEADER.FIELDS (...)]"
like "$(get parts)" "b'part one'.*BODY\[2.MIME\] \{[0-9]+\}', b'Content-Type: application/octet-stream\\\\r\\\\nContent-Transfer-Encoding: base64\\\\r\\\\n\\\\r\\\\n'" "BODY[1] and BODY[2.MIME]"
like "$(get parts)" "BODY\[TEXT\]<0> \{10\}', b'pre\\\\r\\\\n--XX\\\\r'" "BODY[TEXT]<0.10> partial"
like "$(get body_seen)" 'FLAGS \(\\\\Seen \\\\Recent\)' "BODY[] sets \\Seen and reports the flags"
is "$(get after_body)" '1 (FLAGS (\Seen \Recent))' "\\Seen kept"
like "$(get multi_seen)" "^ FLAGS \\(\\\\Seen\\)\\) [|] 1 \\(RFC822.TEXT [{]16[}] 2 \\(RFC822.TEXT" "FETCH 1:* RFC822.TEXT: FLAGS (\\Seen) sent for the message it set, not the other"
is "$(get multi_after)" '1 (FLAGS (\Seen)) | 2 (FLAGS (\Seen))' "both messages seen after one FETCH"
is "$(get uid_fetch)" '1 (UID 1 FLAGS (\Seen \Recent)) | 2 (UID 2 FLAGS (\Recent))' "UID FETCH: UID in every answer"
like "$(get rfc822_header)" "^b'From: Ann.*Message-ID: <m1@example.net>\\\\r\\\\n\\\\r\\\\n'$" "RFC822.HEADER"
like "$(get status)" '^"?INBOX"? \(MESSAGES 2 RECENT [0-9] UIDNEXT 3 UIDVALIDITY [0-9]+ UNSEEN 1\)$' "STATUS INBOX"
like "$(get status_sent)" '^"?Sent"? \(MESSAGES 0\)$' "STATUS Sent"
is "$(get namespace)" '(("" "/")) NIL NIL' "NAMESPACE"
is "$(get noop) $(get check) $(get close)" "OK OK OK" "NOOP, CHECK, CLOSE"
is "$(get examine)" "OK True" "EXAMINE: READ-ONLY"
is "$(get ro_flags)" '2 (FLAGS ())' "EXAMINE: BODY[] does not set \\Seen; \\Recent taken by the first session"
ok "Maildir: message 1 in cur/ with S" sh -c "ls '$(maildir alice@example.org)/cur/' | grep -q '^1700000001.M1P1Q1.host.*:2,S$'"
ok "Maildir: Sent folder made at first login" test -d "$(maildir alice@example.org)/.Sent/cur"
ok "log: logout line" log_wait 20 "logout account=alice@example.org ip=127.0.0.1 in=[0-9]+ out=[0-9]+"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
