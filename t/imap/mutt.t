#!/bin/sh
# mutt (Debian package mutt) against tern-imapd over imaps, driven in a
# detached tmux session (its own socket in the sandbox): the index lists
# the INBOX, a message opens in the pager with its body, `s` saves (moves)
# it to another folder and `$` expunges it from the INBOX.  Checked on
# the screen and in the Maildirs.  Every wait is bounded.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
command -v mutt >/dev/null || skip_all "mutt not installed (Debian package mutt)"
command -v tmux >/dev/null || skip_all "tmux not installed"
sandbox
plan 13
imap_start || { echo "Bail out! set-up failed"; exit 1; }
printf 'From: Ann <ann@example.net>\nTo: alice@example.org\nSubject: mutt one\nMessage-ID: <m1@example.net>\n\nthe body of mutt one\n' >"$SB/m1"
printf 'From: Ben <ben@example.net>\nTo: alice@example.org\nSubject: mutt two\nMessage-ID: <m2@example.net>\n\nthe body of mutt two\n' >"$SB/m2"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M2P2Q2.host "$SB/m2"
printf 'from imapt import *\nm = login()\nout("create", m.create("Saved")[0])\nm.logout()\n' >"$SB/mk.py"
like "$(imap_py "$SB/mk.py")" "create=OK" "folder Saved created"

# The server's certificate is pinned (certificate_file); the name in it
# (localhost) is not the address connected to, so only the host check is
# off.  No cache: every screen comes from the server.
cat >"$SB/muttrc" <<EOF
set folder="imaps://127.0.0.1:$P_IMAPS/"
set spoolfile="+INBOX"
set imap_user="alice@example.org"
set imap_pass="alice-secret"
set imap_check_subscribed=no
set certificate_file="$SB/tls/cert.pem"
set ssl_verify_host=no
set ssl_force_tls=yes
set header_cache=""
set message_cachedir=""
set record=""
set postponed="+Drafts"
set move=no
set delete=yes
set quit=yes
set confirmappend=no
set confirmcreate=no
set mark_old=no
set wait_key=no
set pager_stop=yes
set sort=date-sent
set index_format="%4C %Z %-20.20F %s"
set timeout=5
set mail_check=5
EOF
TM="tmux -S $SB/tmux.sock"
# screen: the visible pane.  until_screen SECONDS REGEX: bounded wait.
screen() { $TM capture-pane -p -t mutt 2>/dev/null; }
on_screen() { screen | grep -Eq -- "$1"; }
until_screen() { wait_for "$1" on_screen "$2"; }
keys() { $TM send-keys -t mutt "$@"; }

HOME=$SB $TM -f /dev/null new-session -d -s mutt -x 120 -y 30 \
    "env HOME=$SB TERM=screen mutt -n -F $SB/muttrc 2>$SB/mutt.err; echo mutt exit \$?; sleep 30" 2>>"$SB/tmux.err"
at_cleanup "$TM kill-server 2>/dev/null"

ok "mutt shows the INBOX with both messages" until_screen 30 'mutt two'
like "$(screen)" 'Ann +mutt one' "the index has sender and subject"
keys -l '/'; keys -l 'mutt one'; keys Enter
wait_for 10 on_screen '^ *[0-9]+ .*mutt one' >/dev/null
keys Enter
ok "the pager shows the body" until_screen 20 'the body of mutt one'
like "$(screen)" 'Subject: mutt one' "with its Subject"
keys -l 'i'
until_screen 10 'Ben +mutt two' >/dev/null
# Save (move) the current message to =Saved, then expunge.
keys -l 's'
ok "save prompt" until_screen 10 'Save to mailbox'
keys C-u; keys -l '=Saved'; keys Enter
ok "mutt marks the saved message deleted" until_screen 20 '^ *[0-9]+ +D.* Ann +mutt one'
keys -l '$'
M=$(maildir alice@example.org)
gone() {
	! grep -lqs 'Subject: mutt one' "$M"/cur/* "$M"/new/* &&
	    grep -lqs 'Subject: mutt one' "$M"/.Saved/cur/* "$M"/.Saved/new/*
}
ok "server: the message moved to .Saved" wait_for 20 gone
ok "server: mutt two stays in the INBOX" grep -lqs 'Subject: mutt two' "$M"/cur/* "$M"/new/*
f=$(grep -ls 'Subject: mutt one' "$M"/.Saved/cur/* | head -1)
like "$f" ':2,[A-Z]*S[A-Z]*$' "server: the moved message is \\Seen (it was read)"
ok "mutt's index no longer lists it" wait_for 20 sh -c "$TM capture-pane -p -t mutt | grep -q 'mutt two' && ! $TM capture-pane -p -t mutt | grep -q 'mutt one'"
keys -l 'q'
ok "mutt quits (exit 0)" until_screen 20 '^mutt exit 0$'
ok "no crash or sanitizer report in the log" imap_clean_log
if [ "$_tap_fail" != 0 ]; then
	screen | while read -r l; do diag "$l"; done
	cat "$SB/mutt.err" "$SB/tmux.err" 2>/dev/null | tail -5 | while read -r l; do diag "$l"; done
	tail -20 "$SB/log" | while read -r l; do diag "$l"; done
fi
$TM kill-server 2>/dev/null
done_testing
