#!/bin/sh
# tern-local run directly: request on fd 3, message on fd 0, Maildir as
# the working folder.  Headers added, file in new/, result line and exit
# codes, quota defer/bounce, a pre-linked (single-instance) file, bad
# requests.  As root, tern-local runs through setpriv as an account uid.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-local" ] || skip_all "tern-local not built"
sandbox
plan 29
TOOL=$TERN_BUILD/t/bin/lspawn-tool
UID_A=5001
export TERN_LOG=stderr
printf 'mail_dir = %s/mail\n' "$SB" >"$SB/tern.conf"
chmod 644 "$SB/tern.conf"
md=$SB/md
mkdir -m 700 "$md"
asuser() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=$UID_A --regid=$UID_A --clear-groups -- "$@"
	else
		"$@"
	fi
}
[ "$(id -u)" = 0 ] && chown $UID_A:$UID_A "$md"
# run REQ-ARGS... : tern-local in $md with the message in $SB/msg
run() {
	"$TOOL" req "$@" >"$SB/req" || return 100
	(cd "$md" && asuser "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/msg" \
	    >"$SB/out" 2>"$SB/err")
}
newcount() { ls "$md/new" | wc -l | tr -d ' '; }

printf 'Subject: hi\n\nbody\n' >"$SB/msg"
run Q1 bob@remote.example alice@example.org; rc=$?
is "$rc" 0 "delivered: exit 0"
out=$(cat "$SB/out")
like "$out" '^ok [0-9]+\.M[0-9]+P[0-9]+Q[0-9]+\..+,S=[0-9]+$' "result line: ok NAME"
f=$md/new/${out#ok }
ok "file in new/" test -f "$f"
is "$(sed -n 1p "$f")" "Return-Path: <bob@remote.example>" "Return-Path first"
is "$(sed -n 2p "$f")" "Delivered-To: alice@example.org" "Delivered-To second"
is "$(sed -n 3,5p "$f")" "$(cat "$SB/msg")" "message follows unchanged"
size=$(wc -c <"$f" | tr -d ' ')
like "$out" ",S=$size\$" ",S= is the file size"
is "$(ls "$md/tmp" | wc -l | tr -d ' ')" 0 "tmp/ empty"
like "$(cat "$SB/err")" "Q1 delivered to=alice@example.org maildir=.* size=$size" "log line"
if [ "$(id -u)" = 0 ]; then
	like "$(cat "$SB/err")" "uid=$UID_A" "ran as the account uid"
	is "$(stat -c %u "$f")" $UID_A "file owned by the account"
else
	skip "not root: uid"; skip "not root: owner"
fi

# CRLF message: the added headers follow its line ends.
printf 'Subject: crlf\r\n\r\nbody\r\n' >"$SB/msg"
run Q2 "" alice@example.org; rc=$?
is "$rc" 0 "CRLF message delivered"
f=$md/new/$(sed 's/^ok //' "$SB/out")
is "$(head -c 16 "$f" | od -An -c | tr -s ' ')" " R e t u r n - P a t h : < > \r" \
    "null sender, CRLF header"

# Quota: 3 messages so far; a 100-byte quota is exceeded.
printf 'Subject: q\n\n%0200d\n' 0 >"$SB/msg"
n=$(newcount)
run Q3 a@b.example alice@example.org -U 100; rc=$?
is "$rc" 111 "over quota: exit 111 (defer by default)"
is "$(cat "$SB/out")" "defer 4.2.2 mailbox full" "defer 4.2.2"
is "$(newcount)" "$n" "nothing delivered"
is "$(ls "$md/tmp" | wc -l | tr -d ' ')" 0 "tmp/ cleaned"
ok "maildirsize written" test -f "$md/maildirsize"
printf 'quota_exceeded = bounce\n' >>"$SB/tern.conf"
run Q4 a@b.example alice@example.org -U 100; rc=$?
is "$rc" 100 "quota_exceeded = bounce: exit 100"
is "$(cat "$SB/out")" "bounce 5.2.2 mailbox full" "bounce 5.2.2"
run Q5 a@b.example alice@example.org -U 100000; rc=$?
is "$rc" 0 "under a larger quota: delivered"
like "$(tail -n 1 "$md/maildirsize")" '^[0-9]+ 1$' "maildirsize got a line"

# A pre-linked file in tmp/ (what tern-lspawn's single-instance store does).
printf 'Return-Path: <x@y>\n\nshared\n' >"$SB/shared"
ln "$SB/shared" "$md/tmp/123.M1P1Q1.test" 2>/dev/null || cp "$SB/shared" "$md/tmp/123.M1P1Q1.test"
[ "$(id -u)" = 0 ] && chown $UID_A "$md/tmp/123.M1P1Q1.test" 2>/dev/null
ino=$(stat -c %i "$md/tmp/123.M1P1Q1.test")
run Q6 x@y alice@example.org -L 123.M1P1Q1.test; rc=$?
is "$rc" 0 "linked file committed"
sz=$(wc -c <"$SB/shared" | tr -d ' ')
is "$(cat "$SB/out")" "ok 123.M1P1Q1.test,S=$sz" "name gets ,S="
is "$(stat -c %i "$md/new/123.M1P1Q1.test,S=$sz")" "$ino" "same inode: renamed, not copied"

# Bad requests.
printf 'garbage' >"$SB/req"
(cd "$md" && asuser "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/msg" >"$SB/out" 2>"$SB/err"); rc=$?
is "$rc" 111 "garbage on fd 3: exit 111"
like "$(cat "$SB/out")" '^defer 4\.3\.0 ' "defer 4.3.0"
"$PY" - "$SB/req2" <<'PY'
import struct, sys
def rec(t, v=b''): return t.encode() + struct.pack('>I', len(v)) + v
open(sys.argv[1], 'wb').write(rec('Q', b'Q7') + rec('S', b'') + rec('R', b'a@x') + rec('R', b'b@x') + rec('E'))
PY
(cd "$md" && asuser "$TERN_BINDIR/tern-local" 3<"$SB/req2" <"$SB/msg" >"$SB/out" 2>"$SB/err"); rc=$?
is "$rc" 111 "two recipients refused"
if [ "$(id -u)" = 0 ]; then
	"$TOOL" req Q8 "" alice@example.org >"$SB/req"
	(cd "$md" && "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/msg" >"$SB/out" 2>"$SB/err"); rc=$?
	is "$rc" 111 "as root: refused"
else
	skip "not root"
fi
done_testing
