#!/bin/sh
# tern-user move (issue 8, doc/move.md): an account moves from storage host
# st1 (127.0.0.1) to st2 (127.0.0.2), two suites as make run starts them,
# while a sender keeps mailing it through st1.  During the move logins on
# either host get a temporary error and an open session is ended; after
# it every message accepted is in the new Maildir exactly once, the old
# UIDs, UIDVALIDITY, flags and folders are the same over IMAP on st2, and
# st1 relays what arrived meanwhile.  As root with OpenSSH's sshd, the
# stream goes over a real ssh to an sshd on 127.0.0.2, as an admin's
# move_command does (doc/move.md); otherwise straight into st2's
# tern-user receive.
. "${TERN_SRC:-.}/t/lib.sh"
for p in tern-supervise tern-smtpd tern-qmgr tern-lspawn tern-local tern-user \
    tern-maps tern-imapd tern-pop3d tern-authd tern-remote; do
	[ -x "$TERN_BINDIR/$p" ] || skip_all "$p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"
"$PY" -c 'import socket; socket.socket().bind(("127.0.0.2", 0))' 2>/dev/null ||
    skip_all "127.0.0.2 is not usable"
sandbox
plan 26
C="$PY $TERN_SRC/t/e2e/smtpc.py"
M="$PY $TERN_SRC/t/user/mvimap.py"
A=$SB/a
B=$SB/b

# ssh_setup: an sshd on 127.0.0.2 that lets root in with a key made here,
# and a client configuration naming it st2; sets MOVE_CMD and VIA.
MOVE_CMD="$SB/mvcmd %a"
VIA=direct
ssh_setup() {
	[ "$(id -u)" = 0 ] && [ -x /usr/sbin/sshd ] && command -v ssh >/dev/null || return 1
	_sp=$(free_port)
	ssh-keygen -q -t ed25519 -N '' -f "$SB/hostkey" >/dev/null 2>&1 &&
	    ssh-keygen -q -t ed25519 -N '' -f "$SB/userkey" >/dev/null 2>&1 || return 1
	cp "$SB/userkey.pub" "$SB/authorized_keys"
	mkdir -p /run/sshd
	cat >"$SB/sshd_config" <<SSHD
ListenAddress 127.0.0.2:$_sp
HostKey $SB/hostkey
PidFile $SB/sshd.pid
AuthorizedKeysFile $SB/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowUsers root
SSHD
	/usr/sbin/sshd -D -e -f "$SB/sshd_config" 2>"$SB/sshd.log" &
	track $!
	wait_for 10 grep -q 'Server listening' "$SB/sshd.log" || return 1
	echo "[127.0.0.2]:$_sp $(cat "$SB/hostkey.pub")" >"$SB/known_hosts"
	cat >"$SB/ssh_config" <<SSHC
Host st2
	HostName 127.0.0.2
	Port $_sp
	User root
	IdentityFile $SB/userkey
	IdentitiesOnly yes
	UserKnownHostsFile $SB/known_hosts
	StrictHostKeyChecking yes
	BatchMode yes
SSHC
	ssh -F "$SB/ssh_config" st2 true 2>>"$SB/sshd.log" || return 1
	MOVE_CMD="/usr/bin/ssh -F $SB/ssh_config st2 $SB/mvcmd %a"
	VIA=ssh
}
ssh_setup
note "move_command over: $VIA"

pick_base() { free_base "$1"; }
# start_host HOME IP NAME PORTBASE: make run on IP with hostname NAME.
start_host() {
	mkdir -p "$1"
	{
		echo "hostname = $3"
		# Not 100000 up, the uids other tests' accounts get: the
		# move's quiesce ends every process of the account's uid on
		# this machine, which is right on a real host and killed
		# another test's session of a carol with the same uid here.
		# From the port base, so two move.t runs side by side (two
		# checkouts on one machine) do not end each other's sessions.
		echo "account_uid_min = $((200000 + PA * 4))"
		echo "queue_retry_schedule = 1s"
		echo "move_command = $MOVE_CMD"
		echo "maps_publish_command = $SB/publish"
		echo "move_quiesce_timeout = 60s"
	} >"$1/local.conf"
	( cd "$TERN_SRC" && TERN_HOME="$1" TERN_PORT_BASE=$4 TERN_LISTEN=$2 \
	    exec sh mk/run.sh ) >"$1.log" 2>&1 &
	track $!
	wait_for 40 grep -q 'Ctrl-C stops everything' "$1.log"
}
bin() { if [ -d "$1/bin" ]; then echo "$1/bin/$2"; else echo "$TERN_BINDIR/$2"; fi; }
port_up() { "$PY" -c "import socket; socket.create_connection(('$1', $2), 1)"; }
PA=$(pick_base 127.0.0.1)
PBB=$(pick_base 127.0.0.2)
ok "st1 starts on 127.0.0.1" start_host "$A" 127.0.0.1 st1.test "$PA"
ok "st2 starts on 127.0.0.2" start_host "$B" 127.0.0.2 st2.test "$PBB"
wait_for 20 port_up 127.0.0.1 $((PA + 143))
wait_for 20 port_up 127.0.0.2 $((PBB + 143))

# The admin host is st1: its text maps, published to st2 (the same
# accounts; st2 has its own mail_dir).
TMAPS_B=$(bin "$B" tern-maps)
TUSER_A=$(bin "$A" tern-user)
TUSER_B=$(bin "$B" tern-user)
printf '#!/bin/sh\ncp "%s/accounts" "%s/aliases" "%s/domains" "%s/routes" "%s/" &&\nexec "%s" -c "%s/tern.conf" -q\n' \
    "$A" "$A" "$A" "$A" "$B" "$TMAPS_B" "$B" >"$SB/publish"
# The transport: st2's tern-user receive, once the test says go.
printf '#!/bin/sh\ntouch "%s/in-move"\ni=0\nwhile [ ! -e "%s/go" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done\nexec "%s" -c "%s/tern.conf" receive "$1"\n' \
    "$SB" "$SB" "$TUSER_B" "$B" >"$SB/mvcmd"
chmod 755 "$SB/publish" "$SB/mvcmd"
echo pw-carol | "$TUSER_A" -c "$A/tern.conf" add carol@example.test --password-stdin --host st1.test >>"$SB/admin.log" 2>&1
ok "carol is published to st2" "$SB/publish"
maildir() { find "$1/mail" -mindepth 3 -maxdepth 3 -type d -name 'carol@example.test' 2>/dev/null | head -1; }
count_m() {
	_d=$(maildir "$1")
	[ -n "$_d" ] || { echo 0; return; }
	cat "$_d"/new/* "$_d"/cur/* 2>/dev/null | grep -c '^X-Test-Id: m'
}
at_least() { [ "$(count_m "$1")" -ge "$2" ]; }

# The sender: m1, m2, ... to carol through st1 until told to stop.
(
	i=0
	while [ ! -e "$SB/stop" ] && [ $i -lt 400 ]; do
		i=$((i + 1))
		r=$($C $((PA + 25)) send s@example.net carol@example.test --id m$i)
		case $r in
		250*) echo m$i >>"$SB/sent" ;;
		*) echo "m$i $r" >>"$SB/refused" ;;
		esac
		sleep 0.05
	done
) &
SENDER=$!
track $SENDER
ok "mail reaches carol on st1" wait_for 60 at_least "$A" 5
ok "flag a message, make a folder (IMAP on st1)" $M prepare 127.0.0.1 $((PA + 143)) carol@example.test pw-carol
$M snap 127.0.0.1 $((PA + 143)) carol@example.test pw-carol >"$SB/before" 2>&1
like "$(head -1 "$SB/before")" '^INBOX uidvalidity [0-9]+$' "UIDVALIDITY on st1"
# A session left open across the move.
$M hold 127.0.0.1 $((PA + 143)) carol@example.test pw-carol "$SB/done" >"$SB/hold" 2>&1 &
HOLD=$!
track $HOLD
wait_for 20 grep -q held "$SB/hold"

"$TUSER_A" -c "$A/tern.conf" move carol@example.test st2.test \
    --route "lmtp:127.0.0.2:$((PBB + 24))" >"$SB/move.out" 2>"$SB/move.err" &
MOVE=$!
ok "the copy starts" wait_for 90 test -e "$SB/in-move"
like "$($M login 127.0.0.1 $((PA + 143)) carol@example.test pw-carol 2>&1)" 'UNAVAILABLE' "IMAP login on st1 during the move: NO [UNAVAILABLE]"
like "$($M pop3 127.0.0.1 $((PA + 110)) carol@example.test pw-carol 2>&1)" '^-ERR \[SYS/TEMP\]' "POP3 login on st1 during the move: -ERR [SYS/TEMP]"
like "$($M login 127.0.0.2 $((PBB + 143)) carol@example.test pw-carol 2>&1)" 'UNAVAILABLE' "IMAP login on st2 during the move: NO [UNAVAILABLE]"
deferred421() { grep 'to=<carol@example.test>' "$A.log" | grep 'status=deferred' | grep -q 'dsn=4\.2\.1'; }
ok "a delivery during the move is deferred with 4.2.1" wait_for 30 deferred421
touch "$SB/go"
wait $MOVE
rc=$?
is "$rc" 0 "tern-user move exits 0 (the stream over $VIA)"
[ "$rc" = 0 ] || diag "$(cat "$SB/move.err")"
like "$(cat "$SB/move.out")" 'moved carol@example.test to st2.test: [0-9]+ files' "it says what it moved"
touch "$SB/done"
wait $HOLD
is "$(tail -1 "$SB/hold")" closed "the session open on st1 was ended"
ok "the old Maildir is set aside on st1" test -n "$(find "$A/mail" -mindepth 3 -maxdepth 3 -name 'carol@example.test.moved')"

# A few more after the switch, then stop.
n0=$(wc -l <"$SB/sent")
more() { [ "$(wc -l <"$SB/sent")" -ge $((n0 + 5)) ]; }
wait_for 60 more
touch "$SB/stop"
wait $SENDER
sent=$(wc -l <"$SB/sent" | tr -d ' ')
note "sent=$sent refused=$(cat "$SB/refused" 2>/dev/null | wc -l)"
qempty() { [ -z "$(find "$1/queue/env" -type f 2>/dev/null | head -1)" ]; }
ok "st1's queue drains (what arrived meanwhile is relayed)" wait_for 120 qempty "$A"
ok "st2's queue drains" wait_for 120 qempty "$B"
like "$(cat "$A.log")" 'to=<carol@example.test> moved to host=st2.test: relayed' "st1 relays what it deferred during the move"
newd=$(maildir "$B")
cat "$newd"/new/* "$newd"/cur/* 2>/dev/null | sed -n 's/^X-Test-Id: \(m[0-9]*\).*/\1/p' | tr -d '\r' | sort >"$SB/got"
dups=$(uniq -d "$SB/got" | wc -l | tr -d ' ')
sort -u "$SB/got" >"$SB/got1"
sort "$SB/sent" >"$SB/sent1"
missing=$(comm -23 "$SB/sent1" "$SB/got1" | wc -l | tr -d ' ')
note "on st2: $(wc -l <"$SB/got") copies of $sent messages: duplicates=$dups missing=$missing"
ok "at least 10 messages were sent" test "$sent" -ge 10
is "$missing" 0 "every accepted message is on st2"
is "$dups" 0 "none twice"
is "$(find "$A/mail" -path '*/carol@example.test/new/*' -o -path '*/carol@example.test/cur/*' 2>/dev/null | wc -l | tr -d ' ')" 0 "no live Maildir for carol left on st1"

$M snap 127.0.0.2 $((PBB + 143)) carol@example.test pw-carol >"$SB/after" 2>&1
is "$(head -1 "$SB/after")" "$(head -1 "$SB/before")" "same UIDVALIDITY on st2"
is "$(grep -vxF -f "$SB/after" "$SB/before")" "" "every UID keeps its message and flags (INBOX and Archive)"
like "$(cat "$SB/before")" 'INBOX 1 m[0-9]+ .*Flagged' "(the flag was there before)"
like "$(cat "$SB/after")" 'Archive [0-9]+ archived .*Seen' "the folder came along"
done_testing
