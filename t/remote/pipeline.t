#!/bin/sh
# RFC 2920: with PIPELINING offered, tern-remote sends MAIL, the RCPTs and
# DATA as one group (t/remote/strict.py answers a group only once its
# DATA is in, and logs what the group held): the message goes out after
# one round trip for the envelope; per-recipient results as before; no
# RCPT taken: the DATA reply is read all the same and nothing is sent, a
# 354 to it anyway gets a lone dot and the recipients stay bounced; a
# refused MAIL bounces everyone, with its own reply, and nothing is sent.
. "${TERN_SRC:-.}/t/lib.sh"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
plan 19

P1=$(free_port); P2=$(free_port)
for p in "$P1" "$P2:data354"; do
	port=${p%%:*}; mode=${p#"$port"}; mode=${mode#:}
	"$PY" "$TERN_SRC/t/remote/strict.py" "$port" "$SB/strict-$port.log" $mode \
	    >"$SB/strict-$port.out" 2>&1 &
	track $!
done
ok "servers start" wait_for 20 sh -c "grep -q ready '$SB/strict-$P1.out' && grep -q ready '$SB/strict-$P2.out'"
cat >"$SB/tern.conf" <<EOT
hostname = client.test
remote_connect_timeout = 20s
remote_command_timeout = 60s
EOT
chmod 644 "$SB/tern.conf"
export TERN_LOG=stderr
RT="$TERN_BINDIR/tern-remote"
printf 'Subject: pipelined\r\n\r\nbody\r\n.dot\r\n' >"$SB/msg"
chmod 644 "$SB/msg"
touch "$SB/strict-$P1.log" "$SB/strict-$P2.log"
chmod 666 "$SB/strict-$P1.log" "$SB/strict-$P2.log"
req() { rt_as_user "$PY" "$(rt_req_py)" "$RT" "$SB/msg" "$@" 2>>"$SB/remote.log"; }
slog() { cat "$SB/strict-$1.log"; }

out=$(req "smtp:[127.0.0.1]:$P1" none s@example.org a@example.net bad-b@example.net c@example.net)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "sbs" "results per recipient"
is "$(slog "$P1" | grep '^group')" "group MAIL RCPT RCPT RCPT DATA" "MAIL, the RCPTs and DATA in one group"
like "$(slog "$P1")" "data bytes=[0-9]+ rcpts=2" "the message sent once, for the two taken"
like "$(echo "$out" | sed -n 2p)" "5\.1\.1 .*550 5\.1\.1 no such user \(in reply to RCPT TO\)" "the refused one has its 550"

: >"$SB/strict-$P1.log"
out=$(req "smtp:[127.0.0.1]:$P1" none s@example.org bad-a@example.net bad-b@example.net)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "bb" "no RCPT taken: both bounced"
is "$(slog "$P1" | grep '^group')" "group MAIL RCPT RCPT DATA" "DATA went with them"
unlike "$(slog "$P1")" "data|dot-only" "the 554 to DATA read: nothing sent"
like "$(slog "$P1")" "quit" "and the session ended cleanly (QUIT)"

: >"$SB/strict-$P2.log"
out=$(req "smtp:[127.0.0.1]:$P2" none s@example.org bad-a@example.net)
is "$(echo "$out" | cut -c1)" "b" "a sloppy 354 without recipients: still bounced"
like "$(slog "$P2")" "dot-only" "and it got a lone dot, no message"
like "$(slog "$P2")" "quit" "then QUIT"

: >"$SB/strict-$P1.log"
out=$(req "smtp:[127.0.0.1]:$P1" none bad-s@example.org a@example.net b@example.net)
is "$(echo "$out" | cut -c1 | tr -d '\n')" "bb" "MAIL refused: every recipient bounced"
like "$(echo "$out" | sed -n 1p)" "550 5\.7\.1 sender refused \(in reply to MAIL FROM\)" "with MAIL's reply"
is "$(slog "$P1" | grep '^group')" "group MAIL RCPT RCPT DATA" "the whole group was read"
unlike "$(slog "$P1")" "data|dot-only" "nothing sent"

# More recipients than one group (RMT_GROUP, 100): DATA only with the last.
: >"$SB/strict-$P1.log"
rcpts=$(i=0; while [ $i -lt 150 ]; do echo "r$i@example.net"; i=$((i + 1)); done)
# shellcheck disable=SC2086
out=$(req "smtp:[127.0.0.1]:$P1" none s@example.org $rcpts)
is "$(echo "$out" | grep -c '^s ')" 150 "150 recipients sent"
is "$(slog "$P1" | grep -c 'DATA')" 1 "DATA once"
like "$(slog "$P1" | grep '^group' | tail -1)" "^group( RCPT){50} DATA$" "with the last group's 50 RCPTs"
done_testing
