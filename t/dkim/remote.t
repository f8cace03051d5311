#!/bin/sh
# tern-remote signs with DKIM: driven as tern-qmgr drives it (t/remote/
# req.py) against an aiosmtpd sink, with keys made by tern-dkim keygen; what
# the sink received is verified by dkimpy (t/dkim/verify.py).  A subdomain
# is signed with its parent's key, a domain without a key goes unsigned, a
# key open to others defers the message, dkim_sign = no turns it off.
. "${TERN_SRC:-.}/t/lib.sh"
"$PY" -I -c 'import dkim, nacl' 2>/dev/null || skip_all "python3-dkim and python3-nacl not installed"
[ -x "$TERN_BINDIR/tern-dkim" ] || skip_all "tern-dkim not built"
sandbox
. "$TERN_SRC/t/remote/remote.sh"
plan 22
V="$PY $TERN_SRC/t/dkim/verify.py"
RT="$TERN_BINDIR/tern-remote"
P1=$(free_port)
ok "sink starts" rt_sink "$SB/out" 127.0.0.1:$P1

# Keys belong to the user tern-remote runs as.
mkdir "$SB/dkim"
[ "$(id -u)" = 0 ] && chown 65534:65534 "$SB/dkim"
rt_as_user "$TERN_BINDIR/tern-dkim" keygen -a ed25519 -d "$SB/dkim" example.com tern >"$SB/ed.txt" 2>/dev/null
is "$?" 0 "Ed25519 key for example.com"
rt_as_user "$TERN_BINDIR/tern-dkim" keygen -d "$SB/dkim" example.org tern >"$SB/rsa.txt" 2>/dev/null
is "$?" 0 "RSA key for example.org"
cat >"$SB/tern.conf" <<EOT
hostname = client.test
remote_connect_timeout = 5s
remote_command_timeout = 20s
dkim_key_dir = $SB/dkim
dkim_selector = tern
EOT
chmod 644 "$SB/tern.conf"
export TERN_LOG=stderr
msg() {
	printf 'From: Joe <joe@%s>\r\nTo: a@example.net\r\nSubject: %s\r\nMessage-ID: <%s@test>\r\n\r\nHello  there \r\n..dot line\r\n\r\n' "$1" "$2" "$2" >"$SB/msg"
	chmod 644 "$SB/msg"
}
req() { rt_as_user "$PY" "$(rt_req_py)" "$RT" "$SB/msg" "smtp:[127.0.0.1]:$P1" none s@example.com a@example.net 2>>"$SB/remote.log"; }
last_eml() { ls -t "$SB/out"/*.eml 2>/dev/null | head -1; }
n() { ls "$SB/out"/*.eml 2>/dev/null | wc -l; }

msg example.com ed
like "$(req)" "^s " "example.com: delivered"
cp "$(last_eml)" "$SB/ed.got"
like "$(head -1 "$SB/ed.got")" '^DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed; d=example.com;' "the signature is the first field"
like "$(cat "$SB/remote.log")" "dkim=signed d=example\.com s=tern" "signing logged"

msg news.example.org rsa
like "$(req)" "^s " "news.example.org: delivered"
cp "$(last_eml)" "$SB/rsa.got"
like "$(tr -d '\r\n\t ' <"$SB/rsa.got")" '^DKIM-Signature:v=1;a=rsa-sha256;c=relaxed/relaxed;d=example.org;s=tern;' "a subdomain is signed with its parent's key"
like "$(head -c 200 "$(last_eml | sed 's/eml$/env/')")" "body=SIZE=" "SIZE sent"

msg example.net none
like "$(req)" "^s " "example.net (no key): delivered"
unlike "$(cat "$(last_eml)")" "DKIM-Signature" "and not signed"

sed 's/^Subject: ed/Subject: changed/' "$SB/ed.got" >"$SB/ed.tampered"
res=$(cd "$SB" && $V ed.txt rsa.txt -- ed.got rsa.got ed.tampered 2>&1)
like "$res" "ed.got pass" "dkimpy verifies the Ed25519 signature tern-remote sent"
like "$res" "rsa.got pass" "dkimpy verifies the RSA signature tern-remote sent"
like "$res" "ed.tampered fail" "and a changed Subject fails"

# INSTALL 4: tern-setup hands keys over as user:ternq 0640; such a key
# signs (it deferred every message with "chmod 600" before).
chmod 640 "$SB/dkim/example.com.tern.key"
msg example.com grp
like "$(req)" "^s " "a 0640 key (tern-setup's mode): delivered"
like "$(head -1 "$(last_eml)")" '^DKIM-Signature: .*d=example.com;' "and signed"

# A key open to others: deferred, nothing sent.
chmod 644 "$SB/dkim/example.com.tern.key"
msg example.com open
before=$(n)
like "$(req)" "^d .*4\.7\.0 .*DKIM key" "a key open to others defers"
is "$(n)" "$before" "and nothing was sent"
like "$(cat "$SB/remote.log")" "dkim=fail status=deferred reason=.*chmod 600" "logged with the reason"

printf 'dkim_sign = no\n' >>"$SB/tern.conf"
like "$(req)" "^s " "dkim_sign = no: delivered unsigned, the bad key not read"
unlike "$(cat "$(last_eml)")" "DKIM-Signature" "and not signed"
unlike "$(cat "$SB/remote.log")" "Sanitizer|runtime error" "no sanitizer report"
done_testing
