#!/bin/sh
# tern-dkim: keys made by keygen (RSA and Ed25519), messages signed by
# tern-dkim sign and verified by dkimpy (Debian's python3-dkim, an
# independent implementation) through t/dkim/verify.py, with the public
# key taken from the TXT record keygen printed.  A changed body, Subject
# or an added From must fail; an added unsigned field must not.
. "${TERN_SRC:-.}/t/lib.sh"
[ -x "$TERN_BINDIR/tern-dkim" ] || skip_all "tern-dkim not built"
"$PY" -I -c 'import dkim, nacl' 2>/dev/null || skip_all "python3-dkim and python3-nacl not installed"
sandbox
plan 67
D=$TERN_BINDIR/tern-dkim
V="$PY $TERN_SRC/t/dkim/verify.py"
K=$SB/keys

# Messages: CRLF line ends unless the name says lf.
crlf() { sed 's/$/\r/'; }
cat <<'EOT' | crlf >"$SB/plain.eml"
From: Joe Example <joe@example.com>
To: Alice <alice@example.org>, bob@example.net
Subject: Lunch  tomorrow?
Date: Sun, 29 Nov 2026 18:00:00 +0000
Message-ID: <1234@example.com>

Hi Alice,

are you free for lunch tomorrow?   	
	Joe


EOT
cat <<'EOT' | crlf >"$SB/folded.eml"
Received: from mx.example.net by example.com; Sun, 29 Nov 2026 18:00:00 +0000
From: "Example, Joe" <joe@example.com>
To: a@example.org,
	b@example.org,
  c@example.org
Cc: d@example.org
Subject: A subject folded
 over two lines
List-Id: Friends <friends.example.com>
List-Unsubscribe: <mailto:leave@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"
X-Mailer: test

--b1
Content-Type: text/plain; charset=utf-8

Plain  text   with   runs    of blanks   
--b1
Content-Type: text/html

<p>html</p>
--b1--
EOT
printf 'From: joe@example.com\nTo: x@example.org\nSubject: bare LF\n\nline one  \nline two\n\n' >"$SB/lf.eml"
printf 'From: joe@example.com\r\nSubject: empty body\r\n\r\n' >"$SB/empty.eml"
printf 'From: joe@example.com\r\nSubject: no final newline\r\n\r\nlast line' >"$SB/nofinal.eml"
# More instances than are signed (DKIM_INSTANCES_MAX): the bottom ones are.
{
	printf 'From: joe@example.com\r\n'
	i=0; while [ $i -lt 40 ]; do printf 'To: r%d@example.org\r\nList-X%d: v\r\n' $i $i; i=$((i + 1)); done
	printf 'Subject: many\r\n\r\nbody\r\n'
} >"$SB/many.eml"
MSGS="plain folded lf empty nofinal many"

# keygen
out=$("$D" keygen -d "$K" example.com rsa1 2>/dev/null); rc=$?
is "$rc" 0 "keygen rsa exits 0"
printf '%s\n' "$out" >"$SB/rsa1.txt"
like "$out" '^rsa1\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=rsa; p=' "keygen prints the TXT record"
is "$(stat -c %a "$K/example.com.rsa1.key")" 600 "key file mode 0600"
is "$(stat -c %u "$K/example.com.rsa1.key")" "$(id -u)" "key file owned by the invoking user"
is "$(stat -c %a "$K")" 700 "key folder mode 0700"
ok "two strings of at most 255 bytes" test "$(printf '%s' "$out" | grep -o '"[^"]*"' | awk 'length > 257' | wc -l)" = 0
is "$(printf '%s' "$out" | grep -o '"[^"]*"' | wc -l)" 2 "a 2048-bit key needs two strings"
"$D" keygen -a ed25519 -d "$K" example.com ed1 >"$SB/ed1.txt" 2>/dev/null
is "$?" 0 "keygen ed25519 exits 0"
like "$(cat "$SB/ed1.txt")" '^ed1\._domainkey\.example\.com\. IN TXT \( "v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=" \)$' "Ed25519 record: the raw 32-byte key"
"$D" keygen -a ed25519 -d "$K" example.com ed1 >/dev/null 2>&1
is "$?" 100 "keygen refuses to overwrite"
cp "$K/example.com.ed1.key" "$SB/ed1.save"
"$D" keygen -f -a ed25519 -d "$K" example.com ed1 >"$SB/ed1.txt" 2>/dev/null
is "$?" 0 "keygen -f replaces"
ok "the key changed" sh -c "! cmp -s '$K/example.com.ed1.key' '$SB/ed1.save'"
"$D" txt "$K/example.com.ed1.key" example.com ed1 >"$SB/ed1.again" 2>/dev/null
ok "txt reprints the same record" cmp "$SB/ed1.txt" "$SB/ed1.again"
"$D" keygen -b 512 -d "$K" example.com small >/dev/null 2>&1
is "$?" 100 "512-bit RSA refused"
"$D" keygen -d "$K" "exa/mple.com" s >/dev/null 2>&1
is "$?" 100 "a domain with a slash refused"
"$D" keygen -b 1024 -d "$K" example.com rsa1024 >"$SB/rsa1024.txt" 2>/dev/null
is "$?" 0 "keygen -b 1024"

# Sign every message with each key; dkimpy checks them all in one run
# below (one Python start: machines are slow).
sign() { "$D" sign -d example.com -s "$1" -k "$K/example.com.$1.key" <"$SB/$2.eml" >"$SB/$2.$1.signed" 2>"$SB/err"; }
for sel in rsa1 ed1; do
	for m in $MSGS; do
		sign $sel $m
		is "$?" 0 "sign $m with $sel"
	done
done
sign rsa1024 plain
is "$?" 0 "sign with a 1024-bit RSA key"

# The field itself.
h=$(sed -n '1,/^[^ 	]*: /p' "$SB/folded.rsa1.signed" | tr -d '\r\n\t ' )
like "$h" 'h=from:from:to:cc:subject:mime-version:content-type:list-id:list-unsubscribe;' "h= lists what is present, From over-signed, List-*"
ok "no line of the field reaches 78 columns" sh -c "sed -n '1,/^From/p' '$SB/folded.rsa1.signed' | awk 'length > 78 { exit 1 }'"
ok "LF message: field printed with LF line ends" sh -c "! head -3 '$SB/lf.ed1.signed' | grep -q \"\$(printf '\r')\""

# Tampered copies: body, Subject, an added From must fail; an added
# unsigned field and changed blanks at a line end must not.
for sel in rsa1 ed1; do
	f=$SB/plain.$sel.signed
	sed 's/free for lunch/free for dinner/' "$f" >"$SB/$sel.body.tamp"
	sed 's/^Subject: Lunch/Subject: Munch/' "$f" >"$SB/$sel.subj.tamp"
	sed '/^Message-ID/a From: evil@example.net\r' "$f" >"$SB/$sel.from.tamp"
	sed '/^Message-ID/a X-Added: by a relay\r' "$f" >"$SB/$sel.added.tamp"
	sed 's/ 	\r$/   \r/' "$f" >"$SB/$sel.blank.tamp"
done

# Traditional ("BEGIN RSA PRIVATE KEY") keys load too.
if command -v openssl >/dev/null 2>&1; then
	openssl genrsa -traditional -out "$K/example.com.trad.key" 2048 2>/dev/null
	chmod 600 "$K/example.com.trad.key"
	like "$(head -1 "$K/example.com.trad.key")" 'BEGIN RSA PRIVATE KEY' "openssl wrote a traditional key"
	"$D" txt "$K/example.com.trad.key" example.com trad >"$SB/trad.txt" 2>/dev/null
	sign trad plain
	is "$?" 0 "traditional RSA key signs"
else
	skip "openssl not installed"; skip "openssl not installed"
fi

# Secret files: a key the group may write is refused (group read, 0640,
# is what tern-setup sets: the remote service and the queue user read it).
chmod 660 "$K/example.com.ed1.key"
cp "$SB/plain.eml" "$SB/mode.eml"
sign ed1 mode
is "$?" 100 "a group-writable key is refused"
like "$(cat "$SB/err")" 'chmod 600' "and the error says what to do"
chmod 600 "$K/example.com.ed1.key"

# Refusals.
printf 'To: x@example.org\r\n\r\nno from\r\n' >"$SB/nofrom.eml"
sign ed1 nofrom
is "$?" 100 "no From: refused"
printf 'From: a@example.com\r\nFrom: b@example.com\r\n\r\nx\r\n' >"$SB/twofrom.eml"
sign ed1 twofrom
is "$?" 100 "two From: refused"

# Key chosen from the configuration, as tern-remote does: the parent
# domain's key signs mail from a subdomain.
cat >"$SB/tern.conf" <<EOT
dkim_key_dir = $K
dkim_selector = ed1
EOT
sed 's/joe@example.com/joe@news.example.com/' "$SB/plain.eml" >"$SB/sub.eml"
"$D" sign -c "$SB/tern.conf" <"$SB/sub.eml" >"$SB/sub.signed" 2>"$SB/err"
is "$?" 0 "sign with the key the configuration gives"
like "$(tr -d '\r\n\t ' <"$SB/sub.signed")" 'd=example.com;s=ed1;' "d= is the parent domain, s= the configured selector"
sed 's/joe@example.com/joe@example.org/' "$SB/plain.eml" >"$SB/other.eml"
"$D" sign -c "$SB/tern.conf" <"$SB/other.eml" >/dev/null 2>&1
is "$?" 100 "no key for the From domain: not signed"

# The independent verifier, once for everything.
cd "$SB" || exit 1
recs=$(ls ./*.txt)
files=$(ls ./*.signed ./*.tamp)
# shellcheck disable=SC2086
res=$($V $recs -- $files 2>&1)
r() { printf '%s\n' "$res" | sed -n "s|^\./$1 ||p"; }
for sel in rsa1 ed1; do
	for m in $MSGS; do
		is "$(r $m.$sel.signed)" pass "dkimpy verifies $m signed with $sel"
	done
	like "$(r $sel.body.tamp)" '^fail: body hash mismatch' "$sel: changed body fails"
	like "$(r $sel.subj.tamp)" '^fail' "$sel: changed Subject fails"
	like "$(r $sel.from.tamp)" '^fail' "$sel: an added From fails (over-signed)"
	is "$(r $sel.added.tamp)" pass "$sel: an added unsigned field still verifies"
	is "$(r $sel.blank.tamp)" pass "$sel: other blanks at a line end still verify (relaxed)"
done
is "$(r plain.rsa1024.signed)" pass "1024-bit RSA verifies"
if [ -f plain.trad.signed ]; then
	is "$(r plain.trad.signed)" pass "traditional RSA key verifies"
else
	skip "openssl not installed"
fi
is "$(r sub.signed)" pass "the configuration's choice verifies"
ok "every signed message was checked" test "$(printf '%s\n' "$res" | grep -c '\.signed ')" = "$(ls ./*.signed | wc -l)"
done_testing
