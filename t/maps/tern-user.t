#!/bin/sh
# tern-user: add/list/show/passwd/del, uid allocation, Maildir modes and
# owner, --password-stdin, the stored hash checked with passwd_verify,
# Dovecot hash import, and what must be refused.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-user" ] || skip_all "tern-user not built"
command -v cdb >/dev/null || skip_all "cdb (Debian package tinycdb) not installed"
sandbox
plan 52
user() { "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" "$@"; }
verify() { printf '%s\n' "$2" | "$TERN_BUILD/t/bin/pwverify" ${3:-} "$SB/secrets.cdb" "$1" 2>&1; }
maildir() { h=$(printf %s "$1" | sha256sum); printf '%s/mail/%s/%s/%s/' "$SB" "$(echo "$h" | cut -c1-2)" "$(echo "$h" | cut -c3-4)" "$1"; }

cat >"$SB/tern.conf" <<EOT
mail_dir = $SB/mail
account_uid_min = 5000
account_uid_max = 5003
EOT
printf 'example.org local\nvirt.example virtual\nrelay.example relay\n' >"$SB/domains"

out=$(printf 'first secret\n' | user add alice@example.org --password-stdin 2>&1); rc=$?
is "$rc" 0 "add alice"
like "$out" "added alice@example.org uid=5000 " "lowest uid given"
like "$(user list)" "^alice@example.org uid=5000 status=active host=local$" "list shows alice"
is "$(cdb -q "$SB/accounts.cdb" alice@example.org | cut -d' ' -f1)" "uid=5000" "maps recompiled"
md=$(maildir alice@example.org)
ok "Maildir at the hashed path" test -d "$md"
is "$(stat -c %a "$md") $(stat -c %a "$md/cur") $(stat -c %a "$md/new") $(stat -c %a "$md/tmp")" \
    "700 700 700 700" "Maildir and cur/new/tmp are 0700"
if [ "$(id -u)" = 0 ]; then
	is "$(stat -c %u:%g "$md") $(stat -c %u "$md/new")" "5000:5000 5000" "as root: owned by the account uid"
else
	is "$(stat -c %u "$md")" "$(id -u)" "not root: owned by the current user"
fi
is "$(stat -c %a "$SB/accounts")" 640 "accounts file is 0640"
is "$(verify alice@example.org 'first secret')" MATCH "stored hash verifies"
is "$(verify alice@example.org 'wrong')" NOMATCH "wrong password refused"
like "$(grep '^alice' "$SB/accounts")" 'pass=\$y\$' "hashed with yescrypt (password_scheme default)"

# More accounts: uid allocation fills the lowest gap.
ok "add bob" sh -c "printf 'pw\n' | '$TERN_BINDIR/tern-user' -c '$SB/tern.conf' add Bob@Example.org --password-stdin --quota 1G --host store1.example.org"
like "$(user list)" "Bob@Example.org uid=5001 status=active host=store1.example.org" "bob: next uid, host"
is "$(cdb -q "$SB/accounts.cdb" bob@example.org | cut -d' ' -f2)" "quota=1073741824" "bob: quota"
# bob lives on store1 (INSTALL 7.3: added on the admin host): his Maildir
# is made there at his first delivery or login, not on this host.
ok "bob (another host): no Maildir here" test ! -e "$(maildir bob@example.org)"
out=$(printf 'pw\n' | user add dan@example.org --password-stdin --host "$(hostname)" 2>&1)
like "$out" "^added dan@example.org uid=5002 maildir=[^ ]*\$" "--host this host: added"
ok "--host this host (the system's name): Maildir made" test -d "$(maildir dan@example.org)/new"
user del dan@example.org --purge >/dev/null 2>&1

# Refusals.
is "$(printf 'x\n' | user add ALICE@example.org --password-stdin >/dev/null 2>&1; echo $?)" 100 "duplicate refused (any case)"
is "$(printf 'x\n' | user add not-an-address --password-stdin >/dev/null 2>&1; echo $?)" 100 "bad address refused"
is "$(printf 'x\n' | user add a@nowhere.example --password-stdin >/dev/null 2>&1; echo $?)" 100 "domain not in domains refused"
is "$(printf 'x\n' | user add a@relay.example --password-stdin >/dev/null 2>&1; echo $?)" 100 "relay domain refused"
is "$(user add a@example.org --hash '{PLAIN}secret' >/dev/null 2>&1; echo $?)" 100 "{PLAIN} refused by default"
is "$(user add a@example.org --hash '$1$abc$def' >/dev/null 2>&1; echo $?)" 100 "MD5 crypt refused"
is "$(user add a@example.org </dev/null >/dev/null 2>&1; echo $?)" 100 "no terminal and no --password-stdin"
is "$(printf '\n' | user add a@example.org --password-stdin >/dev/null 2>&1; echo $?)" 100 "empty password refused"
is "$(grep -c . "$SB/accounts")" 2 "refusals changed nothing"

# Dovecot hash import.
D='$6$saltsalt$n4PZ9SKuazjWRZh6UKAPA.YwYlG0DufPeIxz.tw7GVEnVj/odJBkshSTfPZiT3Zy/hr3rdNjKi9SxMhRwDgLA1'
out=$(user add carol@virt.example --hash "{SHA512-CRYPT}$D" 2>&1); rc=$?
is "$rc" 0 "add with a Dovecot {SHA512-CRYPT} hash"
like "$out" "uid=5002" "third uid"
is "$(cdb -q "$SB/secrets.cdb" carol@virt.example)" "$D" "prefix dropped in secrets.cdb"
is "$(verify carol@virt.example 'dovecot pw')" MATCH "imported hash verifies"

# show never prints the hash.
out=$(user show alice@example.org 2>&1)
like "$out" "^address: alice@example.org" "show: address"
like "$out" "uid: 5000" "show: uid"
like "$out" "password: set" "show: says a password is set"
like "$out" "maildir: $md" "show: Maildir"
unlike "$out" '\$' "show: no hash"
is "$(user show nobody@example.org >/dev/null 2>&1; echo $?)" 100 "show unknown: 100"

# passwd.
ok "passwd" sh -c "printf 'second secret\n' | '$TERN_BINDIR/tern-user' -c '$SB/tern.conf' passwd alice@example.org --password-stdin"
is "$(verify alice@example.org 'second secret')" MATCH "new password verifies"
is "$(verify alice@example.org 'first secret')" NOMATCH "old password no longer"
is "$(grep -c 'pass=' "$SB/accounts")" 3 "one pass= per account"

# del, then the freed uid is reused; --purge removes the Maildir.
ok "del alice (Maildir kept)" user del alice@example.org
ok "Maildir kept without --purge" test -d "$md"
is "$(cdb -q "$SB/accounts.cdb" alice@example.org >/dev/null 2>&1; echo $?)" 100 "alice gone from the maps"
out=$(printf 'pw\n' | user add dave@example.org --password-stdin 2>&1)
like "$out" "uid=5000" "freed uid 5000 given again"
ok "uid 5003 still free" sh -c "printf 'pw\n' | '$TERN_BINDIR/tern-user' -c '$SB/tern.conf' add erin@example.org --password-stdin"
is "$(printf 'pw\n' | user add frank@example.org --password-stdin >/dev/null 2>&1; echo $?)" 100 "uid range exhausted: 100"
bmd=$(maildir bob@example.org)
# (as his storage host makes it at the first delivery)
mkdir -m 700 -p "$bmd/cur" "$bmd/new" "$bmd/tmp" && chmod 700 "$bmd"
[ "$(id -u)" = 0 ] && chown -R 5001:5001 "$bmd"
ok "bob has a Maildir" test -d "$bmd/new"
ok "del --purge" user del bob@example.org --purge
ok "Maildir removed" test ! -e "$bmd"
is "$(user del bob@example.org >/dev/null 2>&1; echo $?)" 100 "del unknown: 100"

# {PLAIN} when allowed.
echo "allow_plain_passwords = yes" >>"$SB/tern.conf"
ok "{PLAIN} accepted with allow_plain_passwords" user passwd dave@example.org --hash '{PLAIN}opensesame'
is "$(verify dave@example.org opensesame -p)" MATCH "{PLAIN} verifies"
done_testing
