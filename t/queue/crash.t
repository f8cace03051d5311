#!/bin/sh
# Crash tests: tern-enqueue killed (SIGKILL, TERN_CRASH_AT) at each named
# step leaves the queue either without the message (leftovers only, all
# removed by queue_clean once old) or with all of it (committed, intact,
# left alone by the cleaner) -- never half.  Each way of writing
# (doc/queue.md): one anonymous file (O_TMPFILE) holding the message with
# the envelope in its extended attribute, linked as msg/XX/ID and env/XX/ID
# (the default where it works); an envelope in an anonymous file of its
# own (TERN_ENQUEUE_NO_XATTR=1: a file system without user xattrs, or an
# envelope too large for one); temp files in tmp/ renamed into place
# (TERN_ENQUEUE_NO_TMPFILE=1, the fallback, and what an older tern-enqueue
# left behind).
. "${TERN_SRC:-.}/t/lib.sh"
ENQ=$(tern_bin tern-enqueue)
QT=$TERN_BUILD/t/bin/queue-tool
MKENV="$PY $TERN_SRC/t/queue/mkenv.py"
[ -x "$ENQ" ] || skip_all "tern-enqueue not built"
sandbox
plan 100
export TERN_LOG=stderr
printf 'Subject: crash\n\nbody\n' > "$SB/msg"
$MKENV --sender a@example.org b@example.com > "$SB/env"

# files DIR: the queue's files relative to DIR, ids replaced by ID.
files() {
	(cd "$1" && find . -type f ! -name trigger | sed 's|^\./||; s|[0-9A-Z]\{16\}|ID|; s|/[0-9A-Z][0-9A-Z]/|/XX/|' | sort | tr '\n' ' ')
}

crash() {
	step=$1 want=$2 committed=$3
	Q=$SB/q-$way-$step
	mkdir "$Q"
	{ echo "queue_dir = $Q"; [ "$(id -u)" = 0 ] && echo "queue_user = nobody"; } > "$SB/$step.conf"
	[ "$(id -u)" = 0 ] && chown nobody "$Q"
	TERN_CRASH_AT=$step "$ENQ" -c "$SB/$step.conf" <"$SB/msg" 1<"$SB/env" 2>>"$SB/log"
	rc=$?
	step="$way $step"
	is "$rc" 137 "$step: killed by SIGKILL"
	is "$(files "$Q")" "$want" "$step: files left: ${want:-none}"
	now=$(date +%s)
	# A fresh leftover may be an enqueue in progress: left alone.
	$QT clean "$Q" 129600 "$now" > /dev/null
	is "$(files "$Q")" "$want" "$step: the cleaner spares fresh files"
	# Old enough, it goes; a committed message never does.
	$QT clean "$Q" 10 $((now + 100)) > /dev/null
	if [ "$committed" = yes ]; then
		id=$($QT scan "$Q" 2>/dev/null)
		like "$id" '^[0-9A-Z]{16}$' "$step: committed, queue_scan lists it"
		is "$(files "$Q")" "env/XX/ID msg/XX/ID " "$step: the cleaner keeps it whole"
		ok "$step: message intact" cmp "$SB/msg" "$($QT path "$Q" msg "$id")"
	else
		is "$($QT scan "$Q" 2>/dev/null)" "" "$step: not committed"
		is "$(files "$Q")" "" "$step: the cleaner removed every leftover"
	fi
}

# One anonymous file: nothing has a name before the message's link.
way=one
crash after-msg-write "" no
crash after-msg-link "msg/XX/ID " no
crash after-env-write "msg/XX/ID " no
crash after-msg-fsync "msg/XX/ID " no
crash after-env-link "env/XX/ID msg/XX/ID " yes
crash before-dir-fsync "env/XX/ID msg/XX/ID " yes
id=$($QT scan "$Q" 2>/dev/null)
is "$(stat -c %i "$($QT path "$Q" msg "$id")")" "$(stat -c %i "$($QT path "$Q" env "$id")")" \
    "one: env/XX/ID and msg/XX/ID are one file"

# Two anonymous files.
way=two
export TERN_ENQUEUE_NO_XATTR=1
crash after-msg-write "" no
crash after-msg-link "msg/XX/ID " no
crash after-env-write "msg/XX/ID " no
crash after-msg-fsync "msg/XX/ID " no
crash after-env-link "env/XX/ID msg/XX/ID " yes
crash before-dir-fsync "env/XX/ID msg/XX/ID " yes
unset TERN_ENQUEUE_NO_XATTR

# The tmp/ path (and an older tern-enqueue's leftovers).
way=tmp
export TERN_ENQUEUE_NO_TMPFILE=1
crash after-msg-write "tmp/ID.msg " no
crash after-msg-fsync "tmp/ID.msg " no
crash after-env-write "tmp/ID.env tmp/ID.msg " no
crash after-msg-link "msg/XX/ID tmp/ID.env " no
crash after-env-link "env/XX/ID msg/XX/ID " yes
crash before-dir-fsync "env/XX/ID msg/XX/ID " yes
unset TERN_ENQUEUE_NO_TMPFILE

# An unknown step name is no crash.
Q=$SB/q-none
mkdir "$Q"
{ echo "queue_dir = $Q"; [ "$(id -u)" = 0 ] && echo "queue_user = nobody"; } > "$SB/none.conf"
[ "$(id -u)" = 0 ] && chown nobody "$Q"
TERN_CRASH_AT=no-such-step "$ENQ" -c "$SB/none.conf" <"$SB/msg" 1<"$SB/env" 2>>"$SB/log"
is "$?" 0 "an unknown step: no crash, committed"

# Set-id: the hook is ignored and the caller's configuration is read only
# when root owns it and nobody else can write it (root only: a set-uid
# copy owned by nobody, run by root, is set-id).
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then
	cp "$ENQ" "$SB/enq-suid" && chown nobody "$SB/enq-suid" && chmod 4755 "$SB/enq-suid"
	cp "$SB/none.conf" "$SB/tern.conf"	# root-owned, in TERN_HOME
	# (LeakSanitizer cannot run set-id: a sanitizer build exits 1 after.)
	TERN_CRASH_AT=after-msg-write "$SB/enq-suid" <"$SB/msg" 1<"$SB/env" 2>"$SB/suid.log"
	rc=$?
	grep -q LeakSanitizer "$SB/suid.log" && [ "$rc" = 1 ] && rc=0
	if [ "$rc" = 137 ] && ! [ -u "$SB/enq-suid" ]; then
		skip "set-uid bit not kept"
	else
		like "$rc:$(tr "\n" " " < "$SB/suid.log")" '^0:.*enqueued' "set-id: TERN_CRASH_AT ignored, root-owned TERN_HOME config read"
	fi
	cp "$SB/none.conf" "$SB/mine.conf" && chown nobody "$SB/mine.conf"
	"$SB/enq-suid" -c "$SB/mine.conf" <"$SB/msg" 1<"$SB/env" 2>"$SB/suid.log"
	rc=$?
	grep -q LeakSanitizer "$SB/suid.log" && [ "$rc" = 1 ] && rc=100
	like "$rc:$(tr "\n" " " < "$SB/suid.log")" '^100:.*refused when set-id: not owned by root' "set-id: a config the caller owns is refused"
else
	skip "needs root"
	skip "needs root"
fi
done_testing
