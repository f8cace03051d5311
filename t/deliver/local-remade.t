#!/bin/sh
# tern-local makes tmp/ new/ cur/ only when a delivery finds one missing
# (deliver/local_deliver.c): a fresh Maildir, a removed new/, a removed
# tmp/ and new/ with the message on a pipe (no second read possible: the
# folders are made first), and a pre-linked (single-instance) file whose
# new/ is gone are all delivered whole, once, with nothing left in tmp/;
# new/ replaced by a symlink is refused and nothing is written through it.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-local" ] || skip_all "tern-local not built"
sandbox
plan 20
TOOL=$TERN_BUILD/t/bin/lspawn-tool
UID_A=5001
export TERN_LOG=stderr
printf 'mail_dir = %s/mail\n' "$SB" >"$SB/tern.conf"
chmod 644 "$SB/tern.conf"
md=$SB/md
mkdir -m 700 "$md" "$SB/elsewhere"
asuser() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=$UID_A --regid=$UID_A --clear-groups -- "$@"
	else
		"$@"
	fi
}
if [ "$(id -u)" = 0 ]; then
	chown $UID_A:$UID_A "$md"
	chmod 777 "$SB/elsewhere"
fi
# run QID [-L NAME] : tern-local in $md, the message in $SB/msg (a file)
run() {
	_q=$1; shift
	"$TOOL" req "$_q" s@remote.example alice@example.org "$@" >"$SB/req" || return 100
	(cd "$md" && asuser "$TERN_BINDIR/tern-local" 3<"$SB/req" <"$SB/msg" \
	    >"$SB/out" 2>"$SB/err")
}
# The body of the delivered file named in $SB/out (after the two headers).
body() { tail -n +3 "$md/new/$(sed 's/^ok //' "$SB/out")"; }
count() { ls "$md/$1" 2>/dev/null | wc -l | tr -d ' '; }
printf 'Subject: remade\n\nline one\nline two\n' >"$SB/msg"

run Q1; rc=$?
is "$rc" 0 "a fresh Maildir: delivered" || diag "$(cat "$SB/out" "$SB/err")"
ok "tmp/ new/ cur/ made" test -d "$md/tmp" -a -d "$md/new" -a -d "$md/cur"
is "$(count new)/$(count tmp)" "1/0" "one file in new/, tmp/ empty"
is "$(body)" "$(cat "$SB/msg")" "the message whole"

rm -rf "$md/new"
run Q2; rc=$?
is "$rc" 0 "new/ removed: delivered" || diag "$(cat "$SB/out" "$SB/err")"
is "$(count new)/$(count tmp)" "1/0" "new/ made again: one file there, tmp/ empty"
is "$(body)" "$(cat "$SB/msg")" "the message whole, once"

rm -rf "$md/new" "$md/tmp"
"$TOOL" req Q3 s@remote.example alice@example.org >"$SB/req"
(cd "$md" && cat "$SB/msg" | asuser "$TERN_BINDIR/tern-local" 3<"$SB/req" \
    >"$SB/out" 2>"$SB/err"); rc=$?
is "$rc" 0 "on a pipe, tmp/ and new/ removed: delivered" || diag "$(cat "$SB/out" "$SB/err")"
is "$(count new)/$(count tmp)" "1/0" "one file in new/, tmp/ empty"
is "$(body)" "$(cat "$SB/msg")" "the message whole"

# A pre-linked file in tmp/ (tern-lspawn's single-instance store), new/ gone.
printf 'Return-Path: <x@y>\n\nshared\n' >"$md/tmp/123.M1P1Q1.test"
[ "$(id -u)" = 0 ] && chown $UID_A "$md/tmp/123.M1P1Q1.test"
ino=$(stat -c %i "$md/tmp/123.M1P1Q1.test")
sz=$(wc -c <"$md/tmp/123.M1P1Q1.test" | tr -d ' ')
rm -rf "$md/new"
run Q4 -L 123.M1P1Q1.test; rc=$?
is "$rc" 0 "linked file, new/ removed: committed" || diag "$(cat "$SB/out" "$SB/err")"
is "$(cat "$SB/out")" "ok 123.M1P1Q1.test,S=$sz" "its name"
is "$(stat -c %i "$md/new/123.M1P1Q1.test,S=$sz" 2>/dev/null)" "$ino" "renamed into the new new/"
is "$(count tmp)" 0 "tmp/ empty"

# A linked file that is not there: deferred, no second try makes it.
run Q5 -L 999.M1P1Q1.test; rc=$?
is "$rc" 111 "a missing linked file: deferred"

# new/ replaced by a symlink: refused, nothing written through it.
rm -rf "$md/new"
ln -s "$SB/elsewhere" "$md/new"
run Q6; rc=$?
is "$rc" 111 "new/ a symlink: deferred"
like "$(cat "$SB/out")" '^defer 4\.3\.0 ' "defer 4.3.0"
is "$(ls "$SB/elsewhere" | wc -l | tr -d ' ')" 0 "nothing written through the symlink"
is "$(count tmp)" 0 "tmp/ cleaned"
unlike "$(cat "$SB/err")" "Sanitizer|runtime error" "no sanitizer report"
