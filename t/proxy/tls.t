#!/bin/sh
# tern-proxy with proxy_backend_tls: TLS from the first byte to the
# backends' imaps/pop3s ports, the certificate verified against
# proxy_backend_ca_file; IMAP and POP3 sessions work through it and the
# login line says backend_tls=yes.  With a CA that did not sign the
# backend's certificate the login gets NO [UNAVAILABLE].  Clients outside
# login_plaintext_networks get tern-imapd's / tern-pop3d's refusals of
# passwords before TLS.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/proxy/proxy.sh"
sandbox
plan 11
mkdir -p "$SB/other"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$SB/other/key.pem" -out "$SB/other/cert.pem" -days 2 \
    -subj /CN=other >/dev/null 2>&1
# The ports are chosen in proxy_setup: the conf refers to them by name.
cat >"$SB/extra.conf" <<'EOF2'
login_plaintext_networks = 192.0.2.0/24
proxy_backend_tls = yes
proxy_backend_ca_file = ${conf_dir}/tls/cert.pem
EOF2
proxy_start || { echo "Bail out! set-up failed"; exit 1; }
{ cat "$SB/extra.conf"; echo "proxy_imap_port = $P_IMAPS"; echo "proxy_pop3_port = $P_POP3S"; } >"$SB/extra2.conf"
mv "$SB/extra2.conf" "$SB/extra.conf"
proxy_conf	# tern-proxy reads tern.conf at every connection
printf 'From: x@example.net\nSubject: hello\n\ntls body\n' >"$SB/m1"
put_mail alice@example.org 1700000001.M1P1Q1.host "$SB/m1"
cat >"$SB/t.py" <<'PYEOF'
import sys
from proxyt import *
if len(sys.argv) > 1:
    r = Raw(P["P_PXIS"], tls=True)
    out("imap_badca", r.last("a1", "LOGIN alice@example.org alice-secret"))
    sys.exit(0)
# Passwords in the clear are refused before TLS (127.0.0.1 is not in
# login_plaintext_networks here), as tern-imapd/tern-pop3d do.
r = Raw(P["P_PXI"])
out("plain_greet", r.greet)
out("plain_login", r.last("p1", "LOGIN alice@example.org alice-secret"))
r.close()
r = Raw(P["P_PXP"])
r.send("USER alice@example.org")
out("plain_user", r.line())
r.close()
m = imap(P["P_PXIS"], tls=True)
out("imap_login", m.login(*USERS["alice"])[0])
out("imap_fetch", m.select("INBOX")[1][0] + b" " + m.fetch("1", "(BODY.PEEK[TEXT])")[1][0][1])
m.logout()
p = pop(P["P_PXPS"], tls=True)
p.user("alice@example.org")
out("pop_pass", p.pass_("alice-secret"))
out("pop_retr", b" ".join(p.retr(1)[1]))
p.quit()
PYEOF
r=$(proxy_py "$SB/t.py")
get() { printf '%s\n' "$r" | sed -n "s/^$1=//p" | head -1; }
like "$(get plain_greet)" 'LOGINDISABLED' "IMAP before TLS, client outside login_plaintext_networks: LOGINDISABLED"
like "$(get plain_login)" '^p1 NO \[PRIVACYREQUIRED\]' "... LOGIN refused"
like "$(get plain_user)" '^-ERR \[AUTH\] Plaintext' "... POP3 USER refused"
is "$(get imap_login)" "OK" "IMAP login through a TLS backend link"
like "$(get imap_fetch)" 'tls body' "... reads mail"
like "$(get pop_pass)" '^\+OK' "POP3 login through a TLS backend link"
like "$(get pop_retr)" 'tls body' "... reads mail"
ok "the login line says backend_tls=yes" grep -q "login user=alice@example.org .*backend=127.0.0.1:$P_IMAPS backend_tls=yes" "$SB/log"
sed -i "s,^proxy_backend_ca_file = .*,proxy_backend_ca_file = $SB/other/cert.pem," "$SB/extra.conf"
proxy_conf
r=$(proxy_py "$SB/t.py" badca)
like "$(get imap_badca)" '^a1 NO \[UNAVAILABLE\]' "a backend certificate that does not verify: NO [UNAVAILABLE]"
ok "the verification failure is logged" grep -q "backend 127.0.0.1:$P_IMAPS: TLS:" "$SB/log"
ok "no crash or sanitizer report in the log" proxy_clean_log
[ "$_tap_fail" = 0 ] || { diag "$r"; tail -40 "$SB/log" | while read -r l; do diag "$l"; done; }
done_testing
