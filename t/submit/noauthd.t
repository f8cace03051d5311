#!/bin/sh
# Submission without a reachable tern-authd: AUTH gets 454 4.7.0, never a
# success.  Also the plaintext exception: from login_plaintext_networks
# AUTH is offered and taken before TLS.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/smtp/smtp.sh"
sandbox
plan 6
printf 'auth_socket = %s/run/nothing.sock\nlogin_plaintext_networks = 127.0.0.0/8\n' "$SB" >"$SB/extra.conf"
ok "tern-smtpd runs" smtp_start
PLAIN=$(printf '\0alice@example.org\0secret' | base64 -w0)
r=$($PY "$TERN_SRC/t/submit/subc.py" "$P_SUB" dialog "AUTH PLAIN $PLAIN" "MAIL FROM:<alice@example.org>" "QUIT")
like "$(printf '%s\n' "$r" | sed -n 1p)" 'AUTH PLAIN LOGIN' "a plaintext network sees AUTH before TLS"
like "$(printf '%s\n' "$r" | sed -n 2p)" '^454 4\.7\.0' "tern-authd unreachable: 454 4.7.0"
like "$(printf '%s\n' "$r" | sed -n 3p)" '^530 5\.7\.0' "and still not authenticated"
ok "log: cannot ask tern-authd" grep -q 'auth: cannot ask tern-authd' "$SB/log"
ok "no crash or sanitizer report" smtp_clean_log
done_testing
