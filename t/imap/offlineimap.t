#!/bin/sh
# offlineimap3 (Debian package offlineimap3) against tern-imapd over imaps
# (the certificate pinned by fingerprint): the account synced down to a
# local Maildir, then changes both ways in one sync - a flag set locally
# goes up, a flag set on the server comes down, a message made locally
# goes up, a message appended on the server comes down - and a third sync
# finds nothing left to do.  Checked in both Maildirs.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
command -v offlineimap >/dev/null || skip_all "offlineimap not installed (Debian package offlineimap3)"
sandbox
plan 15
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: oi one\nMessage-ID: <oi1@example.net>\n\nbody one\n' >"$SB/m1"
printf 'From: b@example.net\nSubject: oi two\nMessage-ID: <oi2@example.net>\n\nbody two\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"

L=$SB/local
fp=$(openssl x509 -in "$SB/tls/cert.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')
cat >"$SB/oirc" <<EOF
[general]
accounts = t
metadata = $SB/oi-meta
ui = basic
maxsyncaccounts = 1

[Account t]
localrepository = local
remoterepository = remote
autorefresh = 0

[Repository local]
type = Maildir
localfolders = $L
sep = .

[Repository remote]
type = IMAP
remotehost = 127.0.0.1
remoteport = $P_IMAPS
ssl = yes
cert_fingerprint = $fp
remoteuser = alice@example.org
remotepass = alice-secret
maxconnections = 1
holdconnectionopen = no
folderfilter = lambda f: f in ('INBOX', 'Sent')
EOF
sync() { HOME=$SB timeout -k 5 120 offlineimap -c "$SB/oirc" -o -u basic >"$SB/oi$1.log" 2>&1; }
sync 1; rc=$?
is "$rc" 0 "offlineimap: first sync"
ok "client: both messages down" test "$(find "$L/INBOX/cur" "$L/INBOX/new" -type f 2>/dev/null | wc -l)" = 2
ok "client: Sent synced too (empty)" test -d "$L/Sent/cur"

# Changes on both sides.
f=$(grep -l "Subject: oi one" "$L"/INBOX/cur/* "$L"/INBOX/new/* 2>/dev/null | head -1)
mv "$f" "$L/INBOX/cur/$(basename "$f" | sed 's/:2,.*//'):2,S"
printf 'From: me@example.org\nSubject: oi made locally\nMessage-ID: <oi3@example.org>\n\nlocal\n' \
    >"$L/INBOX/new/1700000100.local.host"
cat >"$SB/srv.py" <<'PYEOF'
from imapt import *
m = login(tls=True)
m.select("INBOX")
typ, d = m.search(None, "SUBJECT", '"oi two"')
out("flag", m.store(d[0].decode(), "+FLAGS", "(\\Flagged)")[0])
msg = b"From: x@example.net\r\nSubject: oi appended\r\nMessage-ID: <oi4@example.net>\r\n\r\nfrom the server\r\n"
out("append", m.append("INBOX", None, None, msg)[0])
m.logout()
PYEOF
r=$(imap_py "$SB/srv.py")
like "$r" "flag=OK" "server: oi two flagged"
like "$r" "append=OK" "server: a message appended"

sync 2; rc=$?
is "$rc" 0 "offlineimap: second sync"
M=$(maildir alice@example.org)
g=$(grep -ls "Subject: oi one" "$M"/cur/* "$M"/new/* | head -1)
like "$g" ':2,[A-Z]*S[A-Z]*$' "server: \\Seen set locally went up"
ok "server: the local message went up" grep -lqs "Subject: oi made locally" "$M"/cur/* "$M"/new/*
g=$(grep -ls "Subject: oi two" "$L"/INBOX/cur/* "$L"/INBOX/new/* | head -1)
like "$g" ':2,[A-Z]*F[A-Z]*$' "client: \\Flagged set on the server came down"
ok "client: the appended message came down" grep -lqs "Subject: oi appended" "$L"/INBOX/cur/* "$L"/INBOX/new/*
ok "client: four messages, no duplicate" test "$(find "$L/INBOX/cur" "$L/INBOX/new" -type f | wc -l)" = 4
ok "server: four messages, no duplicate" test "$(find "$M/cur" "$M/new" -type f | wc -l)" = 4

sync 3; rc=$?
is "$rc" 0 "offlineimap: third sync"
ok "offlineimap reported no error or warning" sh -c "! grep -Eiq 'error|warning' '$SB'/oi1.log '$SB'/oi2.log '$SB'/oi3.log"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || { cat "$SB"/oi*.log 2>/dev/null | tail -20 | while read -r l; do diag "$l"; done; tail -20 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
