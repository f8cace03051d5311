#!/bin/sh
# tern-enqueue: a queue id proposed in the envelope's Q record (as
# tern-smtpd does) is taken when it is free, and refused with exit 111,
# leaving nothing behind, when it is in the queue or its temp file exists.
# An envelope that never comes (the caller aborts) commits nothing.
. "${TERN_SRC:-.}/t/lib.sh"
ENQ=$(tern_bin tern-enqueue)
QT=$TERN_BUILD/t/bin/queue-tool
MKENV="$PY $TERN_SRC/t/queue/mkenv.py"
[ -x "$ENQ" ] || skip_all "tern-enqueue not built"
[ -x "$QT" ] || skip_all "t/bin/queue-tool not built"
sandbox
plan 12
export TERN_LOG=stderr
Q=$SB/queue
mkdir "$Q"
{
	echo "queue_dir = $Q"
	if [ "$(id -u)" = 0 ]; then echo "queue_user = nobody"; fi
} > "$SB/tern.conf"
[ "$(id -u)" = 0 ] && chown nobody "$Q"
enq() { "$ENQ" <"$2" 1<"$1" 2>>"$SB/log"; rc=$?; }
nfiles() { find "$Q" -type f | wc -l | tr -d ' '; }
printf 'Subject: p\r\n\r\nbody\r\n' > "$SB/msg"

ID=0TP9Z00000000ABC
$MKENV --sender a@example.org --qid $ID b@example.org > "$SB/env1"
enq "$SB/env1" "$SB/msg"
is "$rc" 0 "a proposed free id is taken (exit 0)"
ok "message under the proposed id" test -f "$($QT path "$Q" msg $ID)"
ok "envelope under the proposed id" test -f "$($QT path "$Q" env $ID)"
like "$($QT read "$($QT path "$Q" env $ID)")" "^qid=$ID time=[1-9]" "stored envelope names it, time assigned"
is "$(ls "$Q/tmp" | wc -l | tr -d ' ')" 0 "tmp/ is empty"

before=$(nfiles)
enq "$SB/env1" "$SB/msg"
is "$rc" 111 "the same id again (queued): exit 111"
is "$(nfiles)" "$before" "nothing left behind"

ID2=0TP9Z00000000ABD
: > "$Q/tmp/$ID2.msg"
$MKENV --sender a@example.org --qid $ID2 b@example.org > "$SB/env2"
enq "$SB/env2" "$SB/msg"
is "$rc" 111 "an id whose temp file exists: exit 111"
is "$(ls "$Q/tmp")" "$ID2.msg" "only the foreign temp file remains"
rm -f "$Q/tmp/$ID2.msg"

$MKENV --sender a@example.org --qid BADID b@example.org > "$SB/env3"
enq "$SB/env3" "$SB/msg"
is "$rc" 100 "a malformed id: exit 100"

before=$(nfiles)
enq /dev/null "$SB/msg"
is "$rc" 100 "no envelope at all (an aborted caller): exit 100"
is "$(nfiles)" "$before" "and nothing committed or left"
done_testing
