#!/bin/sh
# A recompiled map takes effect without a restart (issue 8): with the
# suite running and its long-lived readers warm (tern-authd's workers hold
# accounts.cdb and secrets.cdb, tern-lspawn holds accounts.cdb), an account
# added, a password changed, an account removed and a map copied over in
# place are all answered from the new maps, by the same processes.
. "${TERN_SRC:-.}/t/lib.sh"
. "$TERN_SRC/t/e2e/e2e.sh"
[ -x "$TERN_BINDIR/tern-pop3d" ] || skip_all "tern-pop3d not built"
[ -x "$TERN_BINDIR/tern-authd" ] || skip_all "tern-authd not built"
command -v curl >/dev/null || skip_all "curl not installed"
sandbox
plan 14
C="$PY $TERN_SRC/t/e2e/smtpc.py"

ok "suite starts" e2e_start "queue_retry_schedule = 1s"
P_POP3=$((PB + 110))
wait_port $P_POP3
# pop3 ADDRESS PASSWORD: log in and list (curl's exit status: 0 = logged in).
pop3() {
	curl -s --max-time 20 -u "$1:$2" "pop3://127.0.0.1:$P_POP3/" >/dev/null 2>&1
}
alicepw=$(sed -n 's/^alice@example.test //p' "$H/demo-passwords")
ok "alice logs in (tern-authd has its maps open)" wait_for 20 pop3 alice@example.test "$alicepw"
r=$($C $P_SMTP send s@example.net alice@example.test --id warm)
ok "a delivery to alice (tern-lspawn has accounts.cdb open)" wait_for 20 e2e_has alice@example.test warm
pids() { pgrep -P "$RUN_PID" -f 'tern-(authd|lspawn|qmgr)' | sort | tr '\n' ' '; }
before=$(pids)

# A new account: tern-user add recompiles the maps (rename into place).
e2e_user carol@example.test
r=$($C $P_SMTP send s@example.net carol@example.test --id new)
like "$r" '^250 ' "carol is accepted"
ok "carol's mail is delivered by the running tern-lspawn" wait_for 30 e2e_has carol@example.test new
ok "carol logs in through the running tern-authd" wait_for 30 pop3 carol@example.test pw-carol@example.test

# A new password.
echo newsecret | "$(e2e_bin tern-user)" -c "$H/tern.conf" passwd carol@example.test --password-stdin >>"$SB/admin.log" 2>&1
ok "the new password works" wait_for 30 pop3 carol@example.test newsecret
ok "the old one no longer does" sh -c "! curl -s --max-time 20 -u carol@example.test:pw-carol@example.test pop3://127.0.0.1:$P_POP3/"

# A map compiled elsewhere and copied in: rename into place (as rsync does).
mkdir "$SB/admin"
cp "$H/accounts" "$H/domains" "$H/aliases" "$H/routes" "$SB/admin/"
grep -v '^carol@' "$SB/admin/accounts" >"$SB/admin/accounts.new" && mv "$SB/admin/accounts.new" "$SB/admin/accounts"
cp "$H/tern.conf" "$SB/admin/tern.conf"
printf 'map_dir = %s\n' "$SB/admin" >>"$SB/admin/tern.conf"
sed -i '/^include local.conf/d' "$SB/admin/tern.conf"
ok "admin host compiles" "$(e2e_bin tern-maps)" -c "$SB/admin/tern.conf" -q
cp -p "$SB/admin/accounts.cdb" "$H/accounts.cdb.copy" && mv "$H/accounts.cdb.copy" "$H/accounts.cdb"
cp -p "$SB/admin/secrets.cdb" "$H/secrets.cdb.copy" && mv "$H/secrets.cdb.copy" "$H/secrets.cdb"
ok "carol, removed on the admin host, can no longer log in" wait_for 30 sh -c "! curl -s --max-time 20 -u carol@example.test:newsecret pop3://127.0.0.1:$P_POP3/"
r=$($C $P_SMTP send s@example.net carol@example.test --id gone)
like "$r" '^5' "and her address is refused"
ok "alice still logs in" pop3 alice@example.test "$alicepw"
is "$(pids)" "$before" "tern-authd, tern-lspawn and tern-qmgr were not restarted"
e2e_stop
ok "no crash or sanitizer report" e2e_clean_log
done_testing
