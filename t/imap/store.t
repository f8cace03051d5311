#!/bin/sh
# Changing mail with tern-imapd: APPEND with flags and date (APPENDUID,
# TRYCREATE, LITERAL+), STORE FLAGS/+FLAGS/-FLAGS(.SILENT) with keywords,
# COPY (COPYUID), MOVE (COPYUID then EXPUNGE), EXPUNGE and UID EXPUNGE,
# CREATE/RENAME/DELETE/SUBSCRIBE/LSUB; the Maildir file names carry the
# flags (:2,FS) as Dovecot would write them.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 28
imap_start || { echo "Bail out! set-up failed"; exit 1; }
for i in 1 2 3; do
	printf 'From: x%s@example.net\nSubject: msg %s\n\nbody %s\n' $i $i $i >"$SB/m$i"
	put_mail alice@example.org 170000000$i.M${i}P${i}Q$i.host "$SB/m$i"
done
cat >"$SB/t.py" <<'PYEOF'
import imaplib, os, re
from imapt import *
m = login()
msg = b"From: me@example.org\r\nSubject: appended\r\n\r\nhello\r\n"
typ, d = m.append("INBOX", "(\\Seen $Label1)", '"01-Feb-2024 12:34:56 +0100"', msg)
out("append", typ + " " + d[0].decode())
typ, d = m.append("Nope", None, None, msg)
out("append_nope", typ + " " + d[0].decode())
typ, d = m.select("INBOX")
out("exists", d[0].decode())
out("flags", m.untagged_responses.get("FLAGS", [b""])[0].decode() if m.untagged_responses.get("FLAGS") else "")
typ, d = m.fetch("4", "(FLAGS INTERNALDATE BODY.PEEK[])")
out("appended", repr(d))
typ, d = m.store("1", "+FLAGS", "(\\Flagged)")
out("store_add", d[0].decode())
typ, d = m.store("1", "+FLAGS", "($Work)")
out("store_kw", d[0].decode())
typ, d = m.store("1", "-FLAGS.SILENT", "(\\Flagged)")
out("store_silent", repr(d))
typ, d = m.store("2", "FLAGS", "(\\Answered \\Seen)")
out("store_set", d[0].decode())
typ, d = m.uid("STORE", "3", "+FLAGS", "(\\Draft)")
out("uid_store", d[0].decode())
typ, d = m.copy("1:2", "Trash")
out("copy", typ + " " + d[0].decode())
typ, d = m.copy("1", "Nope")
out("copy_nope", typ + " " + d[0].decode())
typ, d = m._simple_command("MOVE", "3", "Archive")
out("move", typ + " " + d[0].decode() + " untagged=" + repr(m.untagged_responses.get("OK")) + " exp=" + repr(m.untagged_responses.get("EXPUNGE")))
m.untagged_responses.clear()
typ, d = m.store("1", "+FLAGS", "(\\Deleted)")
typ, d = m.expunge()
out("expunge", typ + " " + repr(d))
typ, d = m.fetch("1:*", "(UID FLAGS)")
out("left", " | ".join(x.decode() for x in d))
typ, d = m.store("1:2", "+FLAGS.SILENT", "(\\Deleted)")
typ, d = m.uid("EXPUNGE", "5")
out("uid_expunge_none", typ + " " + repr(d))
typ, d = m.uid("EXPUNGE", "2")
out("uid_expunge", typ + " " + repr(m.untagged_responses.get("EXPUNGE")))
m.unselect()
typ, d = m.select("Trash")
typ, d = m.fetch("1:*", "(UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out("trash", repr(d))
out("create", m.create("Work/Projects/2024")[0])
out("create_again", " ".join(x.decode() if isinstance(x, bytes) else str(x) for x in m.create("Work")[1]))
out("rename", m.rename("Work", "Jobs")[0])
typ, d = m.list("\"\"", "Jobs*")
out("list_jobs", " | ".join(x.decode() for x in d))
out("subscribe", m.subscribe("Jobs/Projects")[0])
typ, d = m.lsub("\"\"", "*")
out("lsub", " | ".join(x.decode() for x in d))
out("delete_parent", m.delete("Jobs")[0])
typ, d = m.list("\"\"", "Jobs*")
out("list_after_delete", " | ".join(x.decode() for x in d))
typ, d = m.delete("INBOX")
out("delete_inbox", typ)
m.logout()
out("files_before_close", len(os.listdir(os.environ["MA"] + "/cur")))
out("names", " ".join(sorted(os.listdir(os.environ["MA"] + "/cur")) + sorted(os.listdir(os.environ["MA"] + "/.Trash/cur"))))
m = login()
m.select("INBOX")
out("close", m.close()[0])
out("files_after_close", len(os.listdir(os.environ["MA"] + "/cur")))
m.logout()
PYEOF
MA=$(maildir alice@example.org); export MA
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get append)" '^OK \[APPENDUID [0-9]+ 4\] APPEND completed' "APPEND: APPENDUID with the new UID"
like "$(get append_nope)" '^NO \[TRYCREATE\]' "APPEND to a missing mailbox: TRYCREATE"
is "$(get exists)" "4" "SELECT sees the appended message"
like "$(get flags)" '\$Label1' "FLAGS lists the keyword"
like "$(get appended)" 'FLAGS \(\\\\Seen \$Label1.*INTERNALDATE "01-Feb-2024 11:34:56 \+0000".*appended\\r\\n\\r\\nhello\\r\\n' "appended message: flags, date, body"
like "$(get store_add)" '^1 \(FLAGS \(\\Flagged \\Recent\)\)$' "STORE +FLAGS: untagged FETCH FLAGS"
like "$(get store_kw)" '^1 \(FLAGS \(\\Flagged \$Work \\Recent\)\)$' "STORE of a new keyword"
is "$(get store_silent)" "[None]" "STORE .SILENT: no FETCH"
like "$(get store_set)" '^2 \(FLAGS \(\\Answered \\Seen \\Recent\)\)$' "STORE FLAGS replaces"
like "$(get uid_store)" '^3 \(UID 3 FLAGS \(\\Draft \\Recent\)\)$' "UID STORE: UID in the answer"
like "$(get copy)" '^OK \[COPYUID [0-9]+ 1,2 1,2\] COPY completed' "COPY: COPYUID"
like "$(get copy_nope)" '^NO \[TRYCREATE\]' "COPY to a missing mailbox: TRYCREATE"
like "$(get move)" "^OK MOVE completed untagged=.*COPYUID [0-9]+ 3 1.* exp=\[b'3'\]" "MOVE: COPYUID, then EXPUNGE"
like "$(get expunge)" "^OK \[b'1'\]" "EXPUNGE of the \\Deleted message"
like "$(get left)" '^1 \(UID 2 FLAGS .*\) \| 2 \(UID 4 FLAGS' "what is left, renumbered"
like "$(get uid_expunge_none)" '^OK \[None\]' "UID EXPUNGE of a UID not \\Deleted or absent: nothing"
like "$(get uid_expunge)" "^OK \[b'1'\]" "UID EXPUNGE only the given UID"
like "$(get trash)" "Subject: msg 1.*Subject: msg 2" "Trash holds the copies"
is "$(get create)" "OK" "CREATE with missing parents"
like "$(get create_again)" 'ALREADYEXISTS' "CREATE of an existing name: [ALREADYEXISTS]"
is "$(get rename)" "OK" "RENAME with children"
like "$(get list_jobs)" 'Jobs/Projects/2024' "children renamed too"
like "$(get lsub)" '"/" "?Jobs/Projects"?' "LSUB shows the subscription"
is "$(get delete_inbox)" "NO" "DELETE INBOX refused"
like "$(get names)" ':2,STa .*:2,RS' "Maildir: flags in the file names (\\Seen \\Deleted \$Label1: STa; a copy in Trash: RS)"
is "$(get files_before_close) $(get close) $(get files_after_close)" "1 OK 0" "CLOSE expunges the \\Deleted message"
ok "Maildir: folder .Jobs.Projects.2024 exists" test -d "$MA/.Jobs.Projects.2024/cur"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; diag "$(ls "$MA/cur" "$MA/.Trash/cur")"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
