#!/bin/sh
# tern-lspawn: requests through the lib client (t/bin/lspawn-tool): one
# recipient, three with the single-instance store (one inode, mode 0444),
# unknown/disabled accounts, a message path outside queue_dir, a symlinked
# tmp/, and as root: owners, the uid tern-local ran as, the peer check;
# the delivery runs tern-local's code in lspawn's child (no exec: it logs
# as tern-local, and an edit of quota_exceeded reaches the next request).
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-lspawn" ] || skip_all "tern-lspawn not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
plan 37
. "$TERN_SRC/t/deliver/lspawn.sh"
ROOT=0; [ "$(id -u)" = 0 ] && ROOT=1
ls_setup "sis_min_size = 1k" <<EOT
alice@example.org uid=5001
bob@example.org uid=5002
carol@example.org uid=5003
dave@example.org uid=5004 status=disabled
erin@example.org uid=5005
frank@example.org uid=5006
gina@example.org uid=5007 quota=100
EOT
ls_start
is "$(stat -c %a "$SB/run/lspawn.sock")" 600 "socket mode 0600"
send() { "$TOOL" deliver "$SB/run/lspawn.sock" "$@" 2>"$SB/client.err"; }

printf 'Subject: one\n\nhello\n' >"$SB/queue/msg/AB/Q1"
out=$(send Q1 "$SB/queue/msg/AB/Q1" s@remote.example alice@example.org); rc=$?
is "$rc" 0 "client: one recipient"
like "$out" '^alice@example.org ok [0-9]+\..*,S=[0-9]+$' "result: ok NAME"
A=$(maildir alice@example.org)
f=$A/new/${out#alice@example.org ok }
ok "file in alice's new/" test -f "$f"
is "$(sed -n 2p "$f")" "Delivered-To: alice@example.org" "Delivered-To added"
is "$(stat -c %a "$A")" 700 "Maildir created 0700"
like "$(cat "$SB/log")" 'Q1 delivered to=alice@example.org .*uid=' "tern-local logged"
like "$(grep 'Q1 delivered' "$SB/log")" '^tern-local\[[0-9]+\]: ' "the delivery logs as tern-local"
if [ $ROOT = 1 ]; then
	is "$(stat -c %u:%g "$A") $(stat -c %u "$f")" "5001:5001 5001" "as root: Maildir and file owned by alice"
	like "$(grep 'Q1 delivered' "$SB/log")" 'uid=5001( |$)' "as root: tern-local ran as uid 5001"
else
	skip "not root"; skip "not root"
fi

# Three recipients, a large message: one shared copy.
{ printf 'Subject: big\n\n'; i=0; while [ $i -lt 100 ]; do printf '%080d\n' $i; i=$((i + 1)); done; } >"$SB/queue/msg/AB/Q2"
out=$(send Q2 "$SB/queue/msg/AB/Q2" s@remote.example alice@example.org bob@example.org carol@example.org); rc=$?
is "$rc" 0 "client: three recipients"
is "$(printf '%s\n' "$out" | grep -c ' ok ')" 3 "three ok results"
is "$(printf '%s\n' "$out" | cut -d' ' -f1 | tr '\n' ' ')" "alice@example.org bob@example.org carol@example.org " "results in request order"
inodes=""
for r in alice bob carol; do
	n=$(printf '%s\n' "$out" | grep "^$r@" | sed 's/.* ok //')
	p=$(maildir $r@example.org)/new/$n
	inodes="$inodes $(stat -c %i "$p" 2>/dev/null)"
	last=$p
done
is "$(echo $inodes | tr ' ' '\n' | sort -u | wc -l | tr -d ' ')" 1 "one inode in three Maildirs"
is "$(stat -c %a "$last")" 444 "shared copy mode 0444"
is "$(stat -c %h "$last")" 4 "four links: three Maildirs and the store"
is "$(sed -n 1p "$last")" "Return-Path: <s@remote.example>" "Return-Path in the shared copy"
is "$(grep -c '^Delivered-To:' "$last")" 0 "no Delivered-To in the shared copy"
is "$(find "$SB/mail/.sis" -type f | wc -l | tr -d ' ')" 1 "one file in the store"
[ $ROOT = 1 ] && is "$(stat -c %u "$last")" 0 "as root: shared copy owned by root" || skip "not root"
# The same content again reuses the stored file.
out=$(send Q2 "$SB/queue/msg/AB/Q2" s@remote.example alice@example.org bob@example.org)
is "$(stat -c %h "$last")" 6 "second delivery links the same file"

# Unknown and disabled accounts.
out=$(send Q3 "$SB/queue/msg/AB/Q1" "" nobody@example.org dave@example.org alice@example.org); rc=$?
is "$rc" 0 "client: mixed request"
like "$out" 'nobody@example.org bounce 5\.1\.1 ' "unknown account bounces 5.1.1"
like "$out" 'dave@example.org bounce 5\.2\.1 ' "disabled account bounces 5.2.1"
like "$out" 'alice@example.org ok ' "the good one delivered"

# Message paths outside queue_dir or through a symlink are refused.
out=$(send Q4 /etc/hostname "" alice@example.org)
like "$out" '^alice@example.org defer 4\.3\.0 ' "path outside queue_dir refused"
out=$(send Q4 "$SB/queue/msg/AB/../../../tern.conf" "" alice@example.org)
like "$out" '^alice@example.org defer 4\.3\.0 ' "path with .. refused"
ln -s "$SB/tern.conf" "$SB/queue/msg/AB/Q5"
out=$(send Q5 "$SB/queue/msg/AB/Q5" "" alice@example.org)
like "$out" '^alice@example.org defer 4\.3\.0 ' "symlinked message refused"
like "$(cat "$SB/log")" 'Q5 message .* refused' "refusal logged"

# A symlinked tmp/ in a Maildir: nothing is written through it.
send Q1 "$SB/queue/msg/AB/Q1" "" erin@example.org >/dev/null
E=$(maildir erin@example.org)
mkdir "$SB/elsewhere"; [ $ROOT = 1 ] && chown 5005 "$SB/elsewhere"
rm -rf "$E/tmp"; ln -s "$SB/elsewhere" "$E/tmp"
out=$(send Q2 "$SB/queue/msg/AB/Q2" s@remote.example erin@example.org bob@example.org)
like "$out" 'erin@example.org defer 4\.' "symlinked tmp/ refused"
is "$(ls "$SB/elsewhere" | wc -l | tr -d ' ')" 0 "nothing written through the symlink"

# Over quota: deferred, then bounced once tern.conf says so (no restart).
{ printf 'Subject: q\n\n'; printf '%0200d\n' 0; } >"$SB/queue/msg/AB/Q6"
out=$(send Q6 "$SB/queue/msg/AB/Q6" "" gina@example.org)
is "$out" "gina@example.org defer 4.2.2 mailbox full" "over quota: deferred (quota_exceeded = defer)"
G=$(maildir gina@example.org)
is "$(ls "$G/new" | wc -l | tr -d ' ')" 0 "nothing delivered over quota"
printf 'quota_exceeded = bounce\n' >>"$SB/tern.conf"
out=$(send Q6 "$SB/queue/msg/AB/Q6" "" gina@example.org)
is "$out" "gina@example.org bounce 5.2.2 mailbox full" "tern.conf edited: bounced"
is "$(ls "$G/tmp" | wc -l | tr -d ' ')" 0 "tmp/ cleaned"

if [ $ROOT = 1 ]; then
	send Q1 "$SB/queue/msg/AB/Q1" "" frank@example.org >/dev/null
	chown 5099 "$(maildir frank@example.org)"
	out=$(send Q1 "$SB/queue/msg/AB/Q1" "" frank@example.org)
	like "$out" 'frank@example.org defer 4\.3\.5 mailbox owner mismatch' "Maildir of another uid refused"
	setpriv --reuid=5050 --regid=5050 --clear-groups -- "$TOOL" deliver "$SB/run/lspawn.sock" Q1 "$SB/queue/msg/AB/Q1" "" alice@example.org >/dev/null 2>&1; rc=$?
	is "$rc" 111 "another uid cannot use the socket"
else
	skip "not root"; skip "not root"
fi
done_testing
