#!/bin/sh
# The queue id in the trigger (doc/queue.md "Waking the queue manager"):
# tern-enqueue writes 'n' and the id (in lower case) of the message it
# just committed,
# and tern-qmgr takes that message at once, without a scan.  Here the
# periodic rescan is an hour away and a message is committed while the
# FIFO is hidden (no poke): it stays queued until its id is written to
# the FIFO.  The same id written twice in one write is delivered once;
# an id of no message is harmless.  A full FIFO refuses a writer
# (EAGAIN): tern-qmgr, finding it nearly full, scans and still finds
# that message.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-qmgr" ] || skip_all "tern-qmgr not built"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
sandbox
. "$TERN_SRC/t/queue/qmgr.sh"
plan 10
qm_setup
# No rescan during the test: only the trigger tells tern-qmgr of mail.
sed -i 's/^queue_rescan_interval = .*/queue_rescan_interval = 1h/' "$SB/tern.conf"
msg() { printf 'Subject: %s\r\n\r\nhello\r\n' "$1"; }
FIFO=$SB/queue/trigger
# Write bytes to the FIFO in one write (the id commands of tern-enqueue).
poke() {
	$PY - "$FIFO" "$1" <<'EOT'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
data = sys.argv[2].encode()
assert os.write(fd, data) == len(data)
os.close(fd)
EOT
}
# Enqueue with the FIFO moved aside: committed, tern-qmgr not told.
hidden_enqueue() {
	mv "$FIFO" "$FIFO.away" || return 1
	_id=$(qm_enqueue "$@")
	mv "$FIFO.away" "$FIFO"
	printf '%s\n' "$_id"
}

TERN_DEBUG=1 qm_start
id1=$(msg one | qm_enqueue sender@example.org alice@example.org)
ok "a message named in the trigger is delivered" wait_for 20 mail_is alice@example.org 1
ok "tern-qmgr took it from the trigger, not from a scan" \
    test "$(grep -c 'scan (new mail)' "$SB/qmgr.log")" = 0

id2=$(msg two | hidden_enqueue sender@example.org bob@example.org)
ok "a message committed without a poke stays queued" test -n "$id2" -a "$(queued)" = 1 -a "$(nmail bob@example.org)" = 0
lc() { printf %s "$1" | tr A-Z a-z; }
poke "n$(lc "$id2")n$(lc "$id2")"
ok "its id in the trigger (twice) delivers it" wait_for 20 queue_is 0
is "$(nmail bob@example.org)" 1 "once"
is "$(grep "$id2" "$SB/qmgr.log" | grep -c 'status=sent')" 1 "one attempt sent it"

# An id of no message: the attempt finds nothing, nothing is logged bad.
poke "n0tp9vy37t6w008c0"
id3=$(msg three | qm_enqueue sender@example.org carol@example.org)
ok "the next message still goes" wait_for 20 mail_is carol@example.org 1

# A full FIFO: tern-qmgr stopped, the FIFO filled with wake-free id
# commands (an id of no message, again and again), then a message is
# committed whose poke finds the FIFO full.
kill -STOP "$QM_PID"
$PY - "$FIFO" <<'EOT'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
cmd = b"n0tp9vy37t6w008c0"
n = 0
while n < 100000:
    try:
        os.write(fd, cmd)
    except BlockingIOError:
        break
    n += 1
os.close(fd)
EOT
id4=$(msg four | qm_enqueue sender@example.org alice@example.org)
kill -CONT "$QM_PID"
ok "a message whose poke found the FIFO full is found by a scan" wait_for 30 mail_is alice@example.org 2
qm_stop
ok "nothing is left queued" queue_is 0
unlike "$(cat "$SB/qmgr.log")" "Sanitizer|runtime error|bad envelope|left for the admin" "no sanitizer report, nothing broken"
done_testing
