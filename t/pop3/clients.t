#!/bin/sh
# Real POP3 clients against tern-pop3d: curl pop3:// (plain, and STLS with
# --ssl-reqd) and pop3s://; fetchmail and getmail6 when installed (Debian
# packages fetchmail, getmail6).
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/pop3/pop3.sh"
command -v curl >/dev/null || skip_all "curl not installed"
sandbox
plan 9
pop3_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: a@example.net\nSubject: curl one\n\nbody one\n' >"$SB/m1"
printf 'From: b@example.net\nSubject: curl two\n\n.leading dot\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
U=alice@example.org:alice-secret
out=$(curl -s --max-time 20 -u "$U" "pop3://127.0.0.1:$P_POP3/" 2>&1)
is "$(printf '%s' "$out" | tr -d '\r' | tr '\n' ' ')" "1 52 2 56" "curl pop3:// LIST"
out=$(curl -s --max-time 20 -u "$U" "pop3://127.0.0.1:$P_POP3/1" 2>&1 | tr -d '\r')
like "$out" "Subject: curl one" "curl pop3:// RETR 1"
out=$(curl -s --max-time 20 --ssl-reqd -k -u "$U" "pop3://127.0.0.1:$P_POP3/2" 2>&1 | tr -d '\r')
like "$(printf "%s" "$out" | grep -c "^\.leading dot$")" "^1$" "curl pop3:// with STLS (--ssl-reqd), RETR 2 un-stuffed"
out=$(curl -s --max-time 20 -k -u "$U" "pop3s://127.0.0.1:$P_POP3S/1" 2>&1 | tr -d '\r')
like "$out" "Subject: curl one" "curl pop3s:// RETR 1"
out=$(curl -s --max-time 20 -k -u "alice@example.org:wrong" "pop3s://127.0.0.1:$P_POP3S/1" 2>&1; echo "rc=$?")
like "$out" "rc=67" "curl: a wrong password is a login failure (67)"

if command -v fetchmail >/dev/null; then
	mkdir -p "$SB/fm"
	cat >"$SB/fetchmailrc" <<FMEOF
poll 127.0.0.1 service $P_POP3 protocol pop3 uidl
  user "alice@example.org" password "alice-secret"
  keep no sslcertck mda "cat >>$SB/fm/out"
FMEOF
	chmod 600 "$SB/fetchmailrc"
	HOME=$SB/fm FETCHMAILHOME=$SB/fm fetchmail -f "$SB/fetchmailrc" --nosyslog -v >"$SB/fm.log" 2>&1
	ok "fetchmail fetched both messages" test "$(grep -c '^Subject: curl' "$SB/fm/out")" = 2
	ok "fetchmail used STLS" grep -q 'STLS' "$SB/fm.log"
else
	skip "fetchmail not installed (Debian package fetchmail)"
	skip "fetchmail not installed"
fi
if command -v getmail >/dev/null; then
	mkdir -p "$SB/gm/Maildir/new" "$SB/gm/Maildir/cur" "$SB/gm/Maildir/tmp"
	cat >"$SB/gm/getmailrc" <<GMEOF
[retriever]
type = SimplePOP3SSLRetriever
server = 127.0.0.1
port = $P_POP3S
username = alice@example.org
password = alice-secret
[options]
delete = false
read_all = true
[destination]
type = Maildir
path = $SB/gm/Maildir/
GMEOF
	if [ "$(id -u)" = 0 ]; then
		echo "user = nobody" >>"$SB/gm/getmailrc"	# getmail will not deliver as root
		chown -R nobody "$SB/gm/Maildir"
	fi
	getmail --getmaildir "$SB/gm" --rcfile getmailrc >"$SB/gm.log" 2>&1
	ok "getmail6 (POP3 over TLS) fetched both messages" test "$(ls "$SB/gm/Maildir/new" | wc -l)" = 2
else
	skip "getmail6 not installed (Debian package getmail6)"
fi
ok "no crash or sanitizer report in the log" pop3_clean_log
done_testing
