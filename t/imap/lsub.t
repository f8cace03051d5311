#!/bin/sh
# Regression: LSUB marked every subscribed folder \Noselect (the mask that
# keeps LSUB's attributes dropped \Subscribed before it was tested), so
# clients that build their folder list from LSUB (Roundcube, Thunderbird)
# saw no selectable folder.  A subscribed folder is selectable; only an
# unsubscribed parent shown for a subscribed child is \Noselect.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/imap/imap.sh"
sandbox
plan 6
imap_start || { echo "Bail out! set-up failed"; exit 1; }
cat >"$SB/t.py" <<'PYEOF'
from imapt import *
m = login()
m.create("Lists/Tern")
m.subscribe("Lists/Tern")
typ, d = m.lsub('""', '"*"')
for l in d:
    l = l.decode()
    out("lsub " + l.split('"/"')[-1].strip().strip('"'), l)
m.logout()
PYEOF
r=$(imap_py "$SB/t.py")
get() { printf "%s\n" "$r" | sed -n "s|^lsub $1=||p" | head -1; }
like "$(get INBOX)" '^\(\) "/" INBOX$' "LSUB: INBOX has no \\Noselect"
like "$(get Sent)" '^\(\\Sent\) "/" Sent$' "LSUB: Sent keeps \\Sent, no \\Noselect"
like "$(get Lists/Tern)" '^\(\) "/" Lists/Tern$' "LSUB: a subscribed subfolder is selectable"
like "$(get Lists)" '^\(\\Noselect\) "/" Lists$' "LSUB: its unsubscribed parent is \\Noselect"
unlike "$r" 'Noselect[^"]*"/" (INBOX|Sent|Lists/Tern)' "LSUB: no \\Noselect on a subscribed folder"
ok "no crash or sanitizer report in the log" imap_clean_log
[ "$_tap_fail" = 0 ] || diag "$r"
done_testing
