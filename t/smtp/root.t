#!/bin/sh
# tern-smtpd started as root (service user root): it loads a key only
# root can read, then drops to "user" before serving, so tern-enqueue runs
# as that user; with "user = root" it refuses to serve at all.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
[ "$(id -u)" = 0 ] || skip_all "needs root"
command -v swaks >/dev/null || skip_all "swaks not installed"
id nobody >/dev/null 2>&1 || skip_all "no user nobody"
sandbox
plan 5
SMTP_USER=root
echo "user = nobody" >"$SB/extra.conf"
smtp_start || { echo "Bail out! set-up failed"; exit 1; }
chmod 600 "$SB/tls/key.pem"; chown root "$SB/tls/key.pem"
out=$(swaks -tls --server 127.0.0.1:$P_SMTP --from r@foo.example --to alice@example.org --helo r.example 2>&1)
like "$out" '<~  250 2.0.0 Ok: queued as' "STARTTLS with a root-only key, message queued"
ok "tern-enqueue ran as nobody (tern-smtpd had dropped)" log_wait 20 "tern-enqueue\\[[0-9]+\\]: [0-9A-Z]{16} enqueued .* uid=$(id -u nobody)\$"
ok "the session ended normally" log_wait 20 'exit service=smtp pid=[0-9]+ status=0$'

# user = root: refused.
echo "user = root" >"$SB/extra.conf"
smtp_conf
kill -HUP "$SV_PID"
log_wait 10 "tern-supervise\\[$SV_PID\\]: reload config="
out=$("$PY" -c "
import sys; sys.path.insert(0, '$TERN_SRC/t/smtp')
from client import Client, port
c = Client(port())
try:
    print(c.reply())
except EOFError:
    print('EOF')
" 2>&1)
is "$out" "EOF" "user = root: no greeting, closed"
ok "and it says why" log_wait 20 'tern-smtpd\[[0-9]+\]: .*(refusing to run as root|cannot become root)'
done_testing
