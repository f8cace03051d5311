#!/bin/sh
# tern-maps --tier (issue 8): what each tier's output folder holds.  The
# mx tier holds no password hash: no secrets.cdb, and no byte of any hash
# (nor any value that looks like a crypt string) in any of its cdb files,
# read back with Debian's cdb -d.  The other tiers carry every map.  On a
# host whose roles are only mx, tern-maps without --tier writes the mx tier.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
command -v cdb >/dev/null || skip_all "cdb (Debian package tinycdb) not installed"
sandbox
plan 19
H1='$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'
H2='$y$j9T$abcdefghijklmnopqrstu.$ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg'
cat >"$SB/tern.conf" <<EOT
mail_dir = $SB/mail
account_uid_min = 5000
account_uid_max = 5100
EOT
printf 'example.org local\n' >"$SB/domains"
cat >"$SB/accounts" <<EOT
alice@example.org uid=5000 host=st1.example.org pass={SHA512-CRYPT}$H1
bob@example.org uid=5001 host=st2.example.org pass=$H2
EOT
printf 'postmaster@example.org: alice@example.org\n' >"$SB/aliases"
printf 'alice@example.org lmtp:st1.example.org:24\nbob@example.org lmtp:st2.example.org:24\n' >"$SB/routes"
printf 'sales@example.org: alice@example.org\n' >"$SB/sender_login"

for t in mx storage front submission all; do
	"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q --tier $t -o "$SB/$t" 2>>"$SB/err" ||
	    echo "tier $t failed" >>"$SB/err"
done
is "$(cat "$SB/err")" "" "every tier compiles"
is "$(cd "$SB/mx" && ls *.cdb | tr '\n' ' ')" "accounts.cdb aliases.cdb domains.cdb routes.cdb sender_login.cdb " "mx: every map but secrets.cdb"
for t in storage front submission all; do
	ok "$t: secrets.cdb" test -s "$SB/$t/secrets.cdb"
done
is "$(cdb -q "$SB/storage/secrets.cdb" bob@example.org)" "$H2" "storage: bob's hash"

# Every record of every mx map, dumped.
dump=$(for f in "$SB"/mx/*.cdb; do cdb -d "$f"; done)
ok "the mx maps are not empty" test -n "$dump"
unlike "$dump" 'qFmFH|ABCDEFGHIJ' "no part of either hash in any mx map"
unlike "$dump" '\$(6|y|2[aby]|5|1)\$' "no crypt string in any mx map"
unlike "$dump" '\{[A-Z0-9-]+\}' "no {SCHEME} prefix in any mx map"
ok "no mx file holds a hash byte string (grep -F)" sh -c "! grep -qF 'qFmFH.bQmmtXzyBY0s9' '$SB'/mx/*.cdb && ! grep -qF 'ABCDEFGHIJKLMNOP' '$SB'/mx/*.cdb"
is "$(cdb -q "$SB/mx/routes.cdb" bob@example.org)" "lmtp:st2.example.org:24" "mx: routes to the storage hosts"
like "$(cdb -q "$SB/mx/accounts.cdb" alice@example.org)" "host=st1.example.org" "mx: accounts (for RCPT checks) with their host"

# An old secrets.cdb in the mx folder is removed.
cp "$SB/all/secrets.cdb" "$SB/mx/secrets.cdb"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q --tier mx -o "$SB/mx"
ok "mx: a stale secrets.cdb is removed" test ! -e "$SB/mx/secrets.cdb"

# roles = mx: the default tier is mx.
cp "$SB/tern.conf" "$SB/tern.conf.all"
printf 'roles = mx\n' >>"$SB/tern.conf"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q -o "$SB/mxhost"
ok "roles = mx: tern-maps writes no secrets.cdb" test ! -e "$SB/mxhost/secrets.cdb"
ok "roles = mx: but the rest" test -s "$SB/mxhost/accounts.cdb"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q --tier storage -o "$SB/mxhost2"
ok "roles = mx, --tier storage: as asked" test -s "$SB/mxhost2/secrets.cdb"
printf 'roles = mx storage\n' >>"$SB/tern.conf"
"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q -o "$SB/both"
ok "roles = mx storage: secrets.cdb" test -s "$SB/both/secrets.cdb"
done_testing
