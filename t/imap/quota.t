#!/bin/sh
# QUOTA (RFC 9208) with tern-imapd: GETQUOTAROOT and GETQUOTA report the
# account map's quota (the limit tern-local enforces) and maildirsize's
# usage in KiB; Trash has no quota root; SETQUOTA is refused; APPEND and
# COPY over the quota say [OVERQUOTA].  Also the capabilities STATUS=SIZE
# (STATUS SIZE) and APPENDLIMIT=n from imap_literal_max (RFC 7889).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 15
echo "imap_literal_max = 200k" >"$SB/extra.conf"
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf '%s\n' "carol-pw" | "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" \
    add carol@example.org --quota 20k --password-stdin >>"$SB/maps.log" 2>&1
MC=$(maildir carol@example.org); export MC
cat >"$SB/t.py" <<'PYEOF'
import imaplib, os, time
from imapt import *
m = login()
typ, d = m.capability()
out("capa", d[0].decode())
typ, d = m._simple_command("GETQUOTAROOT", "INBOX")
out("alice_root", typ + " " + repr(m.untagged_responses.pop("QUOTAROOT", None)) + " " + repr(m.untagged_responses.pop("QUOTA", None)))
typ, d = m._simple_command("GETQUOTA", '""')
out("alice_quota", typ + " " + d[0].decode())
typ, d = m.status("INBOX", "(MESSAGES SIZE)")
out("status_size", d[0].decode())
m.logout()
# The new account reaches tern-authd once it reloads its map: retry
# (bounded) until the login works.
c = None
for i in range(40):
    try:
        c = imaplib.IMAP4("127.0.0.1", PORT, timeout=30)
        c.login("carol@example.org", "carol-pw")
        break
    except imaplib.IMAP4.error:
        c = None
        time.sleep(0.5)
if c is None:
    out("carol", "no login")
    raise SystemExit(0)
msg = b"Subject: small\r\n\r\n" + b"x" * 3000 + b"\r\n"
typ, d = c.append("INBOX", None, None, msg)
out("append_small", typ)
typ, d = c._simple_command("GETQUOTAROOT", "inbox")
out("root", typ + " " + repr(c.untagged_responses.pop("QUOTAROOT", None)) + " " + repr(c.untagged_responses.pop("QUOTA", None)))
typ, d = c._simple_command("GETQUOTA", '""')
out("quota", typ + " " + repr(c.untagged_responses.pop("QUOTA", None)))
typ, d = c._simple_command("GETQUOTAROOT", "Trash")
out("trash_root", typ + " " + repr(c.untagged_responses.pop("QUOTAROOT", None)) + " " + repr(c.untagged_responses.pop("QUOTA", None)))
typ, d = c._simple_command("GETQUOTAROOT", "Nope")
out("nope_root", typ + " " + d[0].decode())
typ, d = c._simple_command("GETQUOTA", "other")
out("other_quota", typ + " " + d[0].decode())
typ, d = c._simple_command("SETQUOTA", '""', "(STORAGE 100000)")
out("setquota", typ + " " + d[0].decode())
big = b"Subject: big\r\n\r\n" + (b"y" * 76 + b"\r\n") * 300
typ, d = c.append("INBOX", None, None, big)
out("append_big", typ + " " + d[0].decode())
c.select("INBOX")
for i in range(6):
    c.copy("1", "Archive")
typ, d = c.copy("1", "Archive")
out("copy_over", typ + " " + d[0].decode())
c.logout()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get capa)" ' QUOTA QUOTA=RES-STORAGE' "CAPABILITY: QUOTA QUOTA=RES-STORAGE"
like "$(get capa)" ' STATUS=SIZE' "CAPABILITY: STATUS=SIZE"
like "$(get capa)" ' APPENDLIMIT=204800( |$)' "CAPABILITY: APPENDLIMIT from imap_literal_max"
like "$(get alice_root)" "^OK \[b'INBOX'\] None" "no quota: GETQUOTAROOT names no root"
like "$(get alice_quota)" '^NO \[NONEXISTENT\]' "no quota: GETQUOTA \"\" is NO [NONEXISTENT]"
like "$(get status_size)" 'SIZE 0\)' "STATUS SIZE of an empty INBOX"
is "$(get append_small)" "OK" "APPEND under the quota"
like "$(get root)" "^OK \[b'INBOX \"\"'\] \[b'\"\" \(STORAGE 3 20\)'\]" "GETQUOTAROOT: root \"\" with STORAGE used/limit in KiB"
like "$(get quota)" "^OK \[b'\"\" \(STORAGE 3 20\)'\]" "GETQUOTA \"\""
like "$(get trash_root)" "^OK \[b'Trash'\] None" "Trash is outside the quota root"
like "$(get nope_root)" '^NO \[NONEXISTENT\]' "GETQUOTAROOT of a missing mailbox"
like "$(get other_quota)" '^NO \[NONEXISTENT\]' "GETQUOTA of an unknown root"
like "$(get setquota)" '^NO \[NOPERM\]' "SETQUOTA refused"
like "$(get append_big)" '^NO \[OVERQUOTA\]' "APPEND over the quota: [OVERQUOTA]"
like "$(get copy_over)" '^NO \[OVERQUOTA\]' "COPY over the quota: [OVERQUOTA]"
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -30 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
