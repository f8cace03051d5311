#!/bin/sh
# Regression: FETCH answers bigger than the worker's 64 KB line buffer.
# The ENVELOPE of a mail to 1,200 people (about 80 KB) and the
# BODYSTRUCTURE of one with 600 attachments (about 70 KB) were refused
# with "NO [EXPUNGEISSUED]" though nothing was expunged, so no client
# could list those messages; ENVELOPE and BODYSTRUCTURE asked together
# passed the buffer sooner still.  They now go out after the line so
# far.  A hostile header whose ENVELOPE would pass MBOX_CACHE_MAX (1 MB)
# gets an all-NIL ENVELOPE instead of a failed FETCH.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 9
imap_start || { echo "Bail out! set-up failed"; exit 1; }
"$PY" -c "
import sys
to = ', '.join('\"Employee Number %d\" <employee.number%d@bigcorp.example>'
    % (i, i) for i in range(1200))
open(sys.argv[1], 'w').write('From: ceo@bigcorp.example\nTo: ' + to +
    '\nSubject: all staff\n\nhello\n')
att = ''.join('--b\nContent-Type: image/jpeg; name=\"IMG_%04d.jpg\"\n'
    'Content-Disposition: attachment; filename=\"IMG_%04d.jpg\"\n'
    'Content-Transfer-Encoding: base64\n\nAAAA\n' % (i, i)
    for i in range(600))
open(sys.argv[2], 'w').write('From: a@example.net\nSubject: photos\n'
    'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n' +
    att + '--b--\n')
open(sys.argv[3], 'w').write('From: ' + '@, ' * 200000 + '\nSubject: x\n\nx\n')
" "$SB/m1" "$SB/m2" "$SB/m3"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
put_mail alice@example.org 1700000002.M1P1Q1.host "$SB/m2"
put_mail alice@example.org 1700000003.M1P1Q1.host "$SB/m3"
cat >"$SB/t.py" <<'PYEOF'
from imapt import *
m = login()
m.select("INBOX")
typ, d = m.fetch("1", "(ENVELOPE)")
out("env", typ)
out("env_last", b"employee.number1199" in d[0] and d[0].endswith(b"NIL NIL NIL NIL))"))
typ, d = m.fetch("2", "(BODYSTRUCTURE)")
out("bs", typ)
out("bs_last", b"IMG_0599.jpg" in d[0] and b'"mixed" ("boundary" "b")' in d[0])
typ, d = m.fetch("1:2", "(UID ENVELOPE BODYSTRUCTURE)")
out("both", typ)
out("both_n", len([x for x in d if x != b")"]))
typ, d = m.fetch("3", "(UID ENVELOPE)")
out("stub", typ)
out("stub_env", d[0])
typ, d = m.noop()
out("alive", typ)
m.logout()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
is "$(get env)" "OK" "ENVELOPE of 1,200 recipients (80 KB): OK"
is "$(get env_last)" "True" "... whole, to the last address"
is "$(get bs)" "OK" "BODYSTRUCTURE of 600 attachments (70 KB): OK"
is "$(get bs_last)" "True" "... whole, to the multipart's end"
is "$(get both)" "OK" "ENVELOPE and BODYSTRUCTURE of both in one FETCH: OK"
is "$(get both_n)" "2" "... one answer per message"
is "$(get stub)" "OK" "ENVELOPE over 1 MB: FETCH still OK"
is "$(get stub_env)" "3 (UID 3 ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))" \
    "... an all-NIL ENVELOPE"
is "$(get alive)" "OK" "session alive"
