#!/bin/sh
# tern-enqueue: files, modes, hashed paths, the log line, exit codes, no
# partial files after a failure, the trigger FIFO, the id on a socket,
# and many enqueues at once (unique ids, all committed).
. "${TERN_SRC:-.}/t/lib.sh"
ENQ=$(tern_bin tern-enqueue)
QT=$TERN_BUILD/t/bin/queue-tool
MKENV="$PY $TERN_SRC/t/queue/mkenv.py"
[ -x "$ENQ" ] || skip_all "tern-enqueue not built"
sandbox
plan 45
export TERN_LOG=stderr
Q=$SB/queue
mkdir "$Q"
{
	echo "queue_dir = $Q"
	if [ "$(id -u)" = 0 ]; then echo "queue_user = nobody"; fi
} > "$SB/tern.conf"
[ "$(id -u)" = 0 ] && chown nobody "$Q"
cp "$SB/tern.conf" "$SB/small.conf"
echo "message_size_limit = 1k" >> "$SB/small.conf"

# enq ENVFILE MSGFILE [args]: run tern-enqueue, log to $SB/log; sets rc.
enq() {
	_e=$1; _m=$2; shift 2
	"$ENQ" "$@" <"$_m" 1<"$_e" 2>>"$SB/log"; rc=$?
}
# Files in the queue's folders (tmp msg env state), as one count.
nfiles() { find "$Q" -type f | wc -l | tr -d ' '; }
bucket() {
	"$PY" -c '
import sys
h = 2166136261
for c in sys.argv[1].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
h %= 1296
b = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
print(b[h // 36] + b[h % 36])' "$1"
}

printf 'Subject: test\n\nhello\n' > "$SB/msg"
$MKENV --sender alice@example.org bob@example.com 'carol@example.net|rfc822;carol@example.net|6|' > "$SB/env"
enq "$SB/env" "$SB/msg"
is "$rc" 0 "a message is enqueued (exit 0)"
line=$(grep ' enqueued ' "$SB/log" | tail -1)
like "$line" '^tern-enqueue\[[0-9]+\]: [0-9A-Z]{16} enqueued size=21 nrcpt=2 from=<alice@example.org> uid=[0-9]+$' "the log line"
id=$(echo "$line" | sed 's/.*: \([0-9A-Z]*\) enqueued.*/\1/')
b=$(bucket "$id")
ok "message in msg/$b/" test -f "$Q/msg/$b/$id"
ok "envelope in env/$b/" test -f "$Q/env/$b/$id"
is "$($QT path "$Q" msg "$id")" "$Q/msg/$b/$id" "qid_path agrees with the hash"
ok "message kept byte for byte" cmp "$SB/msg" "$Q/msg/$b/$id"
is "$(stat -c %a "$Q/msg/$b/$id") $(stat -c %a "$Q/env/$b/$id")" "600 600" "files are 0600"
is "$(stat -c %a "$Q/msg/$b") $(stat -c %a "$Q/env/$b") $(stat -c %a "$Q/tmp")" "700 700 700" "folders are 0700"
if [ "$(id -u)" = 0 ]; then
	is "$(stat -c %U "$Q/env/$b/$id")" nobody "as root: written as queue_user"
else
	is "$(stat -c %u "$Q/env/$b/$id")" "$(id -u)" "not root: written as the caller"
fi
env_read=$($QT read "$Q/env/$b/$id")
like "$env_read" "^qid=$id time=[1-9][0-9]* sender=<alice@example.org> ip=127.0.0.1 helo=client.example nrcpt=2" "stored envelope: id and time assigned"
like "$env_read" "rcpt=<carol@example.net> notify=6" "recipient and NOTIFY kept"
is "$(ls "$Q/tmp" | wc -l | tr -d ' ')" 0 "tmp/ is empty after a commit"
is "$($QT scan "$Q" 2>/dev/null)" "$id" "queue_scan lists it"
# One file: the envelope is the message file's attribute (user.tern.env),
# env/XX/ID a second name of msg/XX/ID (doc/queue.md).
is "$(stat -c '%h %i' "$Q/env/$b/$id")" "2 $(stat -c %i "$Q/msg/$b/$id")" "one file with two names (msg/ and env/)"
# An envelope too large for the attribute is a file of its own.
rcpts=$(i=0; while [ $i -lt 60 ]; do printf 'recipient-number-%02d-with-a-long-name@example.com ' $i; i=$((i + 1)); done)
# shellcheck disable=SC2086
$MKENV --sender alice@example.org $rcpts > "$SB/bigenv"
enq "$SB/bigenv" "$SB/msg"
id2=$(grep ' enqueued ' "$SB/log" | tail -1 | sed 's/.*: \([0-9A-Z]*\) enqueued.*/\1/')
is "$rc:$(stat -c %h "$($QT path "$Q" env "$id2")")" "0:1" "an envelope over 3 KiB: a file of its own"
like "$($QT read "$($QT path "$Q" env "$id2")")" "nrcpt=60" "and it reads back"

# Refusals: each leaves no file behind.
before=$(nfiles)
$MKENV --sender alice@example.org > "$SB/bad1"		# no recipient
enq "$SB/bad1" "$SB/msg"
is "$rc" 100 "no recipient: exit 100"
$MKENV bob@example.com --truncate 60 > "$SB/bad2"
enq "$SB/bad2" "$SB/msg"
is "$rc" 100 "truncated envelope: exit 100"
$MKENV bob@example.com --trail junk > "$SB/bad3"
enq "$SB/bad3" "$SB/msg"
is "$rc" 100 "bytes after END: exit 100"
$MKENV 'bob@example.com
x' > "$SB/bad4"
enq "$SB/bad4" "$SB/msg"
is "$rc" 100 "newline in a recipient: exit 100"
: > "$SB/empty"
enq "$SB/empty" "$SB/msg"
is "$rc" 100 "empty envelope: exit 100"
like "$(tail -1 "$SB/log")" "no envelope \(the caller gave up\): nothing queued" "logged as the caller giving up, not as fatal"
head -c 2048 /dev/zero | tr '\0' x > "$SB/big"
enq "$SB/env" "$SB/big" -c "$SB/small.conf"
is "$rc" 101 "larger than message_size_limit: exit 101"
head -c 1024 /dev/zero | tr '\0' x > "$SB/fits"
enq "$SB/env" "$SB/fits" -c "$SB/small.conf"
is "$rc" 0 "exactly message_size_limit: accepted"
before=$((before + 2))
is "$(nfiles)" "$before" "no partial files after the refusals"

# A temporary failure after the message was written: a fresh queue whose
# env/ cannot take the new bucket folder.
Q2=$SB/queue2
mkdir "$Q2" "$Q2/tmp" "$Q2/msg" "$Q2/env" "$Q2/state"
sed "s|^queue_dir = .*|queue_dir = $Q2|" "$SB/tern.conf" > "$SB/q2.conf"
[ "$(id -u)" = 0 ] && chown -R nobody "$Q2"
chmod 500 "$Q2/env"
enq "$SB/env" "$SB/msg" -c "$SB/q2.conf"
is "$rc" 111 "cannot create env/XX: exit 111"
is "$(find "$Q2" -type f | wc -l | tr -d ' ')" 0 "... and its partial files (tmp, msg) are removed"
$MKENV --many 1001 > "$SB/toomany"
enq "$SB/toomany" "$SB/msg"
is "$rc" 100 "1001 recipients: exit 100"
is "$(nfiles)" "$before" "no partial files after that either"
enq "$SB/env" "$SB/msg" -c "$SB/nonexistent.conf"
is "$rc" 111 "unreadable configuration: exit 111 (never a bounce)"

# UTF-8 sender: stored, and escaped in the log.
$MKENV --flags 1 --sender 'jörg@example.org' bob@example.com > "$SB/utf8"
enq "$SB/utf8" "$SB/msg"
is "$rc" 0 "SMTPUTF8 sender accepted"
like "$(tail -1 "$SB/log")" 'from=<j\\xc3\\xb6rg@example.org>' "escaped in the log"
$MKENV --sender 'jörg@example.org' bob@example.com > "$SB/utf8b"
enq "$SB/utf8b" "$SB/msg"
is "$rc" 100 "UTF-8 sender without SMTPUTF8: exit 100"

# The trigger FIFO is poked; without one the enqueue still succeeds.
like "$(grep 'cannot poke' "$SB/log" | tail -1)" "trigger" "missing FIFO: a warning"
mkfifo -m 600 "$Q/trigger"
[ "$(id -u)" = 0 ] && chown nobody "$Q/trigger"
out=$("$PY" - "$ENQ" "$SB/env" "$SB/msg" "$Q/trigger" <<'PYEOF'
import os, subprocess, sys
enq, env, msg, fifo = sys.argv[1:5]
r = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
with open(msg, "rb") as m, open(env, "rb") as e:
    rc = subprocess.call([enq], stdin=m, stdout=e, stderr=subprocess.DEVNULL)
try:
    got = os.read(r, 64)
except BlockingIOError:
    got = b""
ok = got[:1] == b"n" and got[1:].isalnum() and got[1:].lower() == got[1:]
print(rc, len(got), "n+id" if ok else repr(got))
PYEOF
)
is "$out" "0 17 n+id" "'n' and the queue id (lower case) written to the trigger FIFO, in one write"

# With fd 1 a socket, the id comes back on it.
out=$("$PY" - "$ENQ" "$SB/env" "$SB/msg" <<'PYEOF'
import socket, subprocess, sys
enq, env, msg = sys.argv[1:4]
a, b = socket.socketpair()
with open(msg, "rb") as m:
    p = subprocess.Popen([enq], stdin=m, stdout=b, stderr=subprocess.DEVNULL)
b.close()
a.sendall(open(env, "rb").read())
a.shutdown(socket.SHUT_WR)
a.settimeout(30)
data = b""
while True:
    d = a.recv(100)
    if not d:
        break
    data += d
print(p.wait(timeout=30), data.decode().strip())
PYEOF
)
like "$out" '^0 [0-9A-Z]{16}$' "the id is written back on a socket"
sid=${out#0 }
ok "... and it is a committed message" sh -c "$QT scan '$Q' 2>/dev/null | grep -qx '$sid'"

# queue_submit, the client side in lib/queue.
out=$($QT submit "$ENQ" "$SB/msg" alice@example.org bob@example.com 2>>"$SB/log")
like "$out" '^0 [0-9A-Z]{16}$' "queue_submit: status 0 and the id"
ok "... a committed message" sh -c "$QT scan '$Q' 2>/dev/null | grep -qx '${out#0 }'"
is "$($QT submit "$SB/no-such-program" "$SB/msg" a@example.org b@example.com 2>/dev/null)" "111 " "queue_submit: a program that cannot run is 111"

# Many at once: 200 enqueues, 25 at a time.
n0=$($QT scan "$Q" 2>/dev/null | wc -l | tr -d ' ')
: > "$SB/rcs"
i=0
while [ $i -lt 200 ]; do
	j=0
	while [ $j -lt 25 ]; do
		( "$ENQ" <"$SB/msg" 1<"$SB/env" 2>>"$SB/plog"; echo $? >> "$SB/rcs" ) &
		j=$((j + 1))
	done
	wait
	i=$((i + 25))
done
is "$(grep -c '^0$' "$SB/rcs")" 200 "200 parallel enqueues exit 0"
ids=$(sed -n 's/.*: \([0-9A-Z]*\) enqueued.*/\1/p' "$SB/plog")
is "$(echo "$ids" | sort -u | wc -l | tr -d ' ')" 200 "200 distinct ids logged"
is "$($QT scan "$Q" 2>/dev/null | wc -l | tr -d ' ')" $((n0 + 200)) "all 200 committed"
is "$(ls "$Q/tmp" | wc -l | tr -d ' ')" 0 "nothing left in tmp/"
bad=0
for x in $ids; do
	bx=$(bucket "$x")
	cmp -s "$SB/msg" "$Q/msg/$bx/$x" || bad=$((bad + 1))
done
is "$bad" 0 "every message file in its hashed folder, intact"
done_testing
