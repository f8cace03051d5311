#!/bin/sh
# tern-maps: compile the text maps, look them up with Debian's cdb tool,
# FILE:LINE errors keep the old maps, --tier mx has no hashes, and an open
# reader (lib/cdbmap) sees a recompiled map.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-maps" ] || skip_all "tern-maps not built"
command -v cdb >/dev/null || skip_all "cdb (Debian package tinycdb) not installed"
sandbox
plan 43
maps() { "$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" "$@"; }
q() { cdb -q "$SB/$1.cdb" "$2"; }
hashed() { h=$(printf %s "$1" | sha256sum); printf '%s/%s' "$(echo "$h" | cut -c1-2)" "$(echo "$h" | cut -c3-4)"; }

cat >"$SB/tern.conf" <<EOT
mail_dir = $SB/mail
account_uid_min = 5000
account_uid_max = 5100
EOT
printf 'example.org local\nvirt.example virtual\nrelay.example relay\n' >"$SB/domains"
H='$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/'
cat >"$SB/accounts" <<EOT
# the accounts
alice@example.org uid=5000 pass={SHA512-CRYPT}$H
Bob@Example.ORG   uid=5001 quota=10M host=store1.example.org
carol@virt.example uid=5002 home=/srv/carol status=disabled
EOT
printf 'postmaster@example.org: alice@example.org, bob@example.org\n@virt.example: carol@virt.example\n' >"$SB/aliases"
printf 'example.org lmtp:127.0.0.1:2424\nrelay.example smtp:[mx.relay.example]:2525\n' >"$SB/routes"

out=$(maps 2>&1); rc=$?
is "$rc" 0 "compiles"
like "$out" 'accounts=3 secrets=1 aliases=2 domains=3 routes=2' "counts logged"
md=$SB/mail
is "$(q accounts alice@example.org)" \
    "uid=5000 quota=0 status=active host=local home=$md/$(hashed alice@example.org)/alice@example.org/" \
    "alice: record with the hashed Maildir"
is "$(q accounts bob@example.org)" \
    "uid=5001 quota=10485760 status=active host=store1.example.org home=$md/$(hashed bob@example.org)/bob@example.org/" \
    "bob: key lowercased, quota and host"
is "$(q accounts carol@virt.example)" "uid=5002 quota=0 status=disabled host=local home=/srv/carol" \
    "carol: home and status"
ok "unknown address not found" sh -c "! cdb -q '$SB/accounts.cdb' nobody@example.org"
is "$(q secrets alice@example.org)" "$H" "secrets: prefix dropped, hash kept"
ok "no secret for an account without pass" sh -c "! cdb -q '$SB/secrets.cdb' bob@example.org"
unlike "$(cdb -d "$SB/accounts.cdb")" '\$6\$' "accounts.cdb holds no hash"
is "$(q aliases postmaster@example.org)" "alice@example.org,bob@example.org" "alias"
is "$(q aliases @virt.example)" "carol@virt.example" "catch-all alias"
is "$(q domains relay.example)" "relay" "domain kind"
is "$(q routes example.org)" "lmtp:127.0.0.1:2424" "route"
is "$(stat -c %a "$SB/secrets.cdb")" 640 "secrets.cdb is not world-readable"

# Bad lines: every error as FILE:LINE, exit 100, nothing replaced.
before=$(ls -i "$SB"/*.cdb | sort)
cp "$SB/accounts" "$SB/accounts.good"
cp "$SB/domains" "$SB/domains.good"
cp "$SB/routes" "$SB/routes.good"
cat >>"$SB/accounts" <<EOT
dave@example.org uid=5000
alice@EXAMPLE.org uid=5003
not-an-address uid=5004
erin@nowhere.example uid=5005
frank@example.org uid=9999
gina@example.org uid=5006 pass={PLAIN}secret
EOT
printf 'bad.example remote\n' >>"$SB/domains"
printf 'x.org ftp:h\n' >>"$SB/routes"
out=$(maps 2>&1); rc=$?
is "$rc" 100 "bad lines: exit 100"
like "$out" "$SB/accounts:5: uid 5000 already used \\(line 2\\)" "duplicate uid with both lines"
like "$out" "$SB/accounts:6: duplicate address \\(first at line 2\\)" "duplicate address (case-insensitive)"
like "$out" "$SB/accounts:7: not a valid address" "bad address"
like "$out" "$SB/accounts:8: domain nowhere.example is not listed" "unknown domain"
like "$out" "$SB/accounts:9: uid 9999 is outside" "uid out of range"
like "$out" "$SB/accounts:10: pass=" "{PLAIN} refused without allow_plain_passwords"
like "$out" "$SB/domains:4: kind is not local, virtual or relay" "bad domain kind"
like "$out" "$SB/routes:3: next hop" "bad route"
like "$out" "8 errors: no map was replaced" "error count"
is "$(ls -i "$SB"/*.cdb | sort)" "$before" "old maps kept (same inodes)"
is "$(ls "$SB" | grep -c '\.tmp')" 0 "no temp file left"
is "$(q accounts bob@example.org | cut -d' ' -f1)" "uid=5001" "old maps still answer"
for f in accounts domains routes; do mv "$SB/$f.good" "$SB/$f"; done

# Tiers.
mkdir "$SB/mx" && cp "$SB/secrets.cdb" "$SB/mx/"
ok "tier mx compiles" maps --tier mx -o "$SB/mx"
ok "tier mx: no secrets.cdb (an old one is removed)" test ! -e "$SB/mx/secrets.cdb"
ok "tier mx: accounts.cdb is there" test -s "$SB/mx/accounts.cdb"
is "$(cat "$SB"/mx/*.cdb | grep -ac '\$[0-9a-z]*\$')" 0 "tier mx: no '\$..\$' hash anywhere"
maps --tier storage -o "$SB/st" >/dev/null 2>&1
is "$(cdb -q "$SB/st/secrets.cdb" alice@example.org)" "$H" "tier storage keeps secrets"
is "$(maps --tier nonsense >/dev/null 2>&1; echo $?)" 100 "unknown tier: exit 100"

# A reader that is already open sees the recompiled map.
mkfifo "$SB/fifo"
"$TERN_BUILD/t/bin/cdblookup" -e "$SB/accounts.cdb" bob@example.org <"$SB/fifo" >"$SB/reader.out" 2>&1 &
track $!
exec 3>"$SB/fifo"
ok "reader answered" wait_for 10 test -s "$SB/reader.out"
sed -i 's/quota=10M/quota=20M/' "$SB/accounts"
maps >/dev/null 2>&1
echo again >&3
ok "reader answered again" wait_for 10 sh -c "[ \$(wc -l <'$SB/reader.out') -ge 2 ]"
like "$(sed -n 2p "$SB/reader.out")" 'quota=20971520' "the open reader sees the new map"
exec 3>&-
is "$("$TERN_BINDIR/tern-maps" -c "$SB/none.conf" >/dev/null 2>&1; echo $?)" 111 "missing tern.conf: exit 111"

# No source files at all: empty maps.  CRLF lines are fine; a line longer
# than 4096 bytes is an error of its own line.
mkdir "$SB/empty"
printf 'account_uid_min = 10\naccount_uid_max = 20\nmail_dir = /m\n' >"$SB/empty/tern.conf"
ok "no sources: compiles" "$TERN_BINDIR/tern-maps" -c "$SB/empty/tern.conf"
is "$(cdb -d "$SB/empty/accounts.cdb" | grep -c .)" 0 "empty accounts.cdb"
printf 'x.org local\r\n' >"$SB/empty/domains"
printf 'a@x.org uid=10\r\n' >"$SB/empty/accounts"
ok "CRLF lines compile" "$TERN_BINDIR/tern-maps" -c "$SB/empty/tern.conf"
is "$(cdb -q "$SB/empty/accounts.cdb" a@x.org)" "uid=10 quota=0 status=active host=local home=/m/$(printf %s a@x.org | sha256sum | cut -c1-2)/$(printf %s a@x.org | sha256sum | cut -c3-4)/a@x.org/" "CRLF record"
{ printf 'b@x.org uid=11 home=/'; head -c 5000 /dev/zero | tr '\0' a; printf '\nc@x.org uid=12 home=/ok\n'; } >>"$SB/empty/accounts"
out=$("$TERN_BINDIR/tern-maps" -c "$SB/empty/tern.conf" 2>&1); rc=$?
like "$rc $out" "^100 .*accounts:2: line too long" "a line over 4096 bytes: error on its line"
like "$out" "1 error:" "the next line is read normally"
done_testing
