#!/bin/sh
# Webmail end to end: the whole suite as make run starts it (SMTP, queue,
# qmgr, local delivery, IMAP, submission), Roundcube (Debian's) configured
# by conf/webmail/install-roundcube for IMAP over TLS (imaps, certificate
# verified) and submission with STARTTLS + AUTH, served by PHP's built-in
# server, driven in headless Chromium (t/webmail/roundcube.js): log in, the
# inbox list, open a message, send one, move one, delete one, search, log
# out.  The server side is checked in the Maildirs.  Skips when Roundcube,
# PHP, Chromium or playwright-core is missing (mk/deps.sh check installs them).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
. "$TERN_SRC/t/webmail/webmail.sh"
webmail_can_run
sandbox
plan 34
C="$PY $TERN_SRC/t/e2e/smtpc.py"

ok "suite starts" e2e_start
e2e_user carol@example.test
e2e_user dave@example.test
for id in alpha bravo charlie delta; do
	$C "$P_SMTP" send sender@example.net carol@example.test --id "$id" >>"$SB/smtpc.log" 2>&1
done
ok "four messages delivered to carol" wait_for 30 e2e_has carol@example.test alpha bravo charlie delta ||
    e2e_why carol@example.test
# browse PREFIX MODE STEP...: run roundcube.js in MODE against RC_URL as
# carol; one TAP line per expected step.
browse() {
	_p=$1; _m=$2; shift 2
	_out=$(SB=$SB MODE=$_m RC_USER=carol@example.test RC_PASS=pw-carol@example.test \
	    TO=dave@example.test SEND_SUBJECT="$subj" \
	    webmail_browse "$TERN_SRC/t/webmail/roundcube.js" 2>>"$SB/node.err")
	printf '%s\n' "$_out" >>"$SB/browser.log"
	printf '%s\n' "$_out" | grep "^note " | while read -r _l; do note "$_l"; done
	for _s in "$@"; do
		if printf '%s\n' "$_out" | grep -qxF "pass $_s"; then
			_report 0 "$_p: $_s"
		else
			_report 1 "$_p: $_s"
			diag "$(printf '%s\n' "$_out" | grep -F "fail $_s" | head -1)"
		fi
	done
}
subj="hello dave $$"

# IMAP with STARTTLS (tls://, port 143): log in, the list, log out.
ok "Roundcube (IMAP STARTTLS) configured and served" webmail_start starttls "tls://127.0.0.1:$((PB + 143))"
browse "STARTTLS" login "login page" "log in" "inbox lists the delivered messages" "log out"
# A CA that did not sign tern's certificate: the login must fail.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$SB/other-key.pem" -out "$SB/other-ca.pem" -days 2 \
    -subj /CN=localhost >/dev/null 2>&1
ok "Roundcube (untrusted CA) configured and served" webmail_start badca "" "$SB/other-ca.pem"
browse "untrusted CA" refused "login page" "login refused"
like "$(cat "$RC_DIR/logs/errors.log" 2>/dev/null)" 'certificate verify failed' \
    "untrusted CA: Roundcube logs the failed verification"

# imaps (993) and everything a user does.
ok "Roundcube (imaps) configured and served" webmail_start main
like "$(cat "$RC_DIR/config/config.inc.php" 2>/dev/null)" \
    "'imap_host'\] = 'ssl://127\.0\.0\.1:$((PB + 993))'" "config: imaps to tern-imapd"
like "$(cat "$RC_DIR/config/config.inc.php" 2>/dev/null)" "'verify_peer' => true" "config: the certificate is verified"
browse "browser" full "login page" "log in" "inbox lists the delivered messages" \
    "open a message: its body shows" "send a message" \
    "move a message to Archive" "delete a message (to Trash)" \
    "search the inbox" "log out"

# The server side.
M=$(e2e_maildir carol@example.test); M=${M%/}
D=$(e2e_maildir dave@example.test); D=${D%/}
ok "the sent message reached dave's Maildir" \
    wait_for 30 grep -lqs "^Subject: $subj" "$D"/new/* "$D"/cur/*
f=$(grep -ls "^Subject: $subj" "$D"/new/* "$D"/cur/* | head -1)
like "$(sed -n '/^$/q;p' "$f" 2>/dev/null)" '^From: .*carol@example\.test' "it is from carol"
like "$(cat "$f" 2>/dev/null)" "Sent from Roundcube through tern" "with the body typed"
ok "a copy is in carol's Sent" grep -lqs "^Subject: $subj" "$M"/.Sent/cur/* "$M"/.Sent/new/*
ok "bravo moved: in .Archive, not in INBOX" sh -c "grep -lqs '^X-Test-Id: bravo' '$M'/.Archive/cur/* '$M'/.Archive/new/* &&
    ! grep -lqs '^X-Test-Id: bravo' '$M'/cur/* '$M'/new/*"
ok "charlie deleted: in .Trash, not in INBOX" sh -c "grep -lqs '^X-Test-Id: charlie' '$M'/.Trash/cur/* '$M'/.Trash/new/* &&
    ! grep -lqs '^X-Test-Id: charlie' '$M'/cur/* '$M'/new/*"
f=$(grep -ls '^X-Test-Id: alpha' "$M"/cur/* | head -1)
like "$f" ':2,[A-Z]*S[A-Z]*$' "alpha, opened, is \\Seen in the Maildir"
clean_logs() { webmail_clean_logs main && webmail_clean_logs starttls; }
ok "no PHP, IMAP or SMTP error in Roundcube's logs" clean_logs
ok "tern answered every IMAP command Roundcube sent with OK (imaps)" webmail_imap_clean main
ok "tern answered every IMAP command Roundcube sent with OK (STARTTLS)" webmail_imap_clean starttls
ok "no crash or sanitizer report in tern's log" e2e_clean_log
if [ "$_tap_fail" != 0 ]; then
	grep -hE '\] S: A[0-9]+ (NO|BAD) ' "$SB"/rc-*/logs/imap.log 2>/dev/null | head -5 | while read -r x; do diag "$x"; done
	grep -v 'dbus\|<launch' "$SB/node.err" 2>/dev/null | tail -5 | while read -r x; do diag "$x"; done
	for l in "$SB"/rc-*/logs/errors.log "$SB"/php-server-*.log; do
		[ -f "$l" ] && tail -5 "$l" | while read -r x; do diag "$x"; done
	done
fi
e2e_stop
done_testing
