#!/bin/sh
# tern-setup --run-dir remakes run_dir's folders with their owners, as at
# boot (run_dir is on tmpfs; tern.service runs it as ExecStartPre): after
# a reboot tern-supervise made run_dir 0700 root alone, so tern-smtpd (as
# tern) could not reach tern-authd's socket and the enqueue and remote
# services restarted in a loop ("mkdir .../remote-svc: Permission
# denied").  It touches nothing else (no queue, no config).
. "${TERN_SRC:-.}/t/lib.sh"
[ "$(id -u)" = 0 ] || skip_all "tern-setup runs as root"
[ -x "$(tern_bin tern-conf)" ] || skip_all "tern-conf not built"
id tern >/dev/null 2>&1 && id ternq >/dev/null 2>&1 ||
    skip_all "needs the users tern and ternq (tern-setup)"
sandbox
plan 8
mkdir "$SB/bin" "$SB/etc"
cp "$(tern_bin tern-conf)" "$SB/bin/tern-conf"
{
	echo "queue_dir = $SB/queue"
	echo "mail_dir = $SB/mail"
	echo "run_dir = $SB/run"
	echo "map_dir = $SB/etc"
} >"$SB/etc/tern.conf"
sh "$TERN_SRC/setup/tern-setup" -c "$SB/etc/tern.conf" --program-dir "$SB/bin" \
    --run-dir >"$SB/setup.log" 2>&1
is "$?" 0 "tern-setup --run-dir succeeds" || diag "$(cat "$SB/setup.log")"
tg=$(id -gn tern)
is "$(stat -c '%a %U' "$SB/run")" "755 root" "run_dir 0755 root"
is "$(stat -c '%a %U %G' "$SB/run/enqueue")" "710 ternq $tg" "enqueue/ ternq, tern's group, 0710"
is "$(stat -c '%a %U %G' "$SB/run/remote-svc")" "710 tern ternq" "remote-svc/ tern, group ternq, 0710"
is "$(stat -c '%a %U' "$SB/run/submit")" "700 tern" "submit/ tern's"
is "$(stat -c '%a %U' "$SB/run/remote")" "700 ternq" "remote/ ternq's"
ok "no queue made" test ! -e "$SB/queue"
ok "no config or maps written" test ! -e "$SB/etc/accounts"
done_testing
