#!/bin/sh
# tern-conf: defaults, -n, KEY lookup, -h, exit codes, TERN_HOME, -c.
. "${TERN_SRC:-.}/t/lib.sh"
TC=$(tern_bin tern-conf)
[ -x "$TC" ] || skip_all "tern-conf not built"
plan 38
sandbox

# No file at all: cannot be read -> 111.
out=$("$TC" 2>&1); rc=$?
is "$rc" 111 "missing TERN_HOME/tern.conf exits 111"
like "$out" "^$SB/tern.conf:0: No such file" "names the file"

cat > "$SB/tern.conf" <<'CONF'
# a test configuration
hostname = mx.test
services = smtp
smtp.listen = 127.0.0.1:2525
   [::1]:2525
smtp.program = tern-smtpd
queue_dir = ${conf_dir}/queue
CONF

out=$("$TC"); rc=$?
is "$rc" 0 "valid file exits 0"
like "$out" "^conf_dir = $SB\$" "conf_dir is the TERN_HOME folder"
like "$out" "^mail_dir = /var/mail/tern\$" "defaults printed"
like "$out" "^queue_dir = $SB/queue\$" "\${conf_dir} expanded"
like "$out" "^smtp.user = tern\$" "service default"
like "$out" "^smtp.listen = 127.0.0.1:2525 \[::1\]:2525\$" "continuation joined"
sorted=$(printf '%s\n' "$out" | sed 1d | LC_ALL=C sort)
is "$(printf '%s\n' "$out" | sed 1d)" "$sorted" "sorted by key"

out=$("$TC" -n); rc=$?
is "$rc" 0 "-n exits 0"
is "$out" "hostname = mx.test
queue_dir = $SB/queue
services = smtp
smtp.listen = 127.0.0.1:2525 [::1]:2525
smtp.program = tern-smtpd" "-n prints only the set keys"

is "$("$TC" hostname queue_user)" "hostname = mx.test
queue_user = ternq" "KEY lookup"
is "$("$TC" -h smtp.listen)" "127.0.0.1:2525 [::1]:2525" "-h prints the value only"
is "$("$TC" smtp.refuse)" "smtp.refuse =" "empty value"
"$TC" no_such_key >/dev/null 2>&1; rc=$?
is "$rc" 100 "unknown KEY exits 100"

# -c wins over TERN_HOME.
mkdir "$SB/other"
printf 'hostname = other.test\n' > "$SB/other/x.conf"
is "$("$TC" -c "$SB/other/x.conf" -h hostname)" "other.test" "-c wins over TERN_HOME"
is "$("$TC" -c "$SB/other/x.conf" -h map_dir)" "$SB/other" "map_dir defaults to the folder of -c"

# A bad file: exit 100, FILE:LINE on stderr, nothing on stdout.
printf 'hostname = x\n\nbogus = 1\nsmtp.max_per_ip = many\n' > "$SB/bad.conf"
out=$("$TC" -c "$SB/bad.conf" 2>"$SB/err"); rc=$?
is "$rc" 100 "unknown key exits 100"
is "$(cat "$SB/err")" "$SB/bad.conf:3: unknown key 'bogus'" "file:line on stderr"
is "$out" "" "nothing on stdout"
printf 'hostname = x\nsmtp.max_per_ip = many\nqueue_dir = q\n' > "$SB/bad.conf"
"$TC" -c "$SB/bad.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 100 "type error exits 100"
like "$(cat "$SB/err")" "^$SB/bad.conf:2: smtp.max_per_ip: 'many' is not a number" "type error at its line"
like "$(cat "$SB/err")" "$SB/bad.conf:3: queue_dir: 'q' is not an absolute path" "relative path"

# The sample configuration loads cleanly (its programs are looked up in
# program_dir: the build's here, PREFIX/sbin once installed).
{ cat "$TERN_SRC/conf/tern.conf.sample"; echo "program_dir = $TERN_BINDIR"; } >"$SB/sample.conf"
"$TC" -c "$SB/sample.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 0 "conf/tern.conf.sample is valid"
[ "$rc" = 0 ] || diag "$(cat "$SB/err")"
# It runs every role (INSTALL 7.1): tern-setup installs it as the host's
# tern.conf, and an empty services line started nothing.
is "$("$TC" -c "$SB/sample.conf" -h services)" \
    "smtp submission submissions lmtp imap imaps pop3 pop3s qmgr enqueue remote lspawn authd" \
    "the sample lists the services of INSTALL 7.1"
# And so does it with every example block uncommented.
sed -e 's/^#\([a-z0-9]*\.[a-z_]* = \)/\1/' -e 's/^#services = /services = /' \
    -e 's/^services =$//' "$SB/sample.conf" > "$SB/full.conf"
"$TC" -c "$SB/full.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 0 "the sample with its service blocks uncommented is valid"
[ "$rc" = 0 ] || diag "$(cat "$SB/err")"
# A service listed without its block, or whose program is not there, is
# refused as tern-supervise refuses it (the old sample with INSTALL 7.1's
# services line passed tern-conf, then the supervisor said "lspawn: type
# tcp needs lspawn.listen").
printf 'program_dir = %s\nservices = qmgr lspawn\nqmgr.type = daemon\nqmgr.program = tern-qmgr\n' \
    "$TERN_BINDIR" >"$SB/noblock.conf"
"$TC" -c "$SB/noblock.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 100 "a listed service without its block: exit 100"
like "$(cat "$SB/err")" "lspawn.program is not set" "named with its missing key"
printf 'program_dir = %s\nservices = smtp\nsmtp.program = tern-smtpd\nsmtp.type = tcp\n' \
    "$TERN_BINDIR" >"$SB/nolisten.conf"
"$TC" -c "$SB/nolisten.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 100 "a tcp service without listen: exit 100"
printf 'program_dir = %s\nservices = smtp\nsmtp.program = tern-nosuch\nsmtp.enable = no\n' \
    "$TERN_BINDIR" >"$SB/off.conf"
"$TC" -c "$SB/off.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 0 "a disabled service is not checked"

# Every key tern-conf knows is documented in tern.conf(5).
missing=""
for k in $("$TC" | sed 1d | cut -d' ' -f1); do
	case $k in
	smtp.*) grep -q "^\.IB name \.${k#smtp.}\$" "$TERN_SRC/conf/tern.conf.5" || missing="$missing $k" ;;
	*) grep -q "^\.B $k\$" "$TERN_SRC/conf/tern.conf.5" || missing="$missing $k" ;;
	esac
done
is "$missing" "" "every key is in tern.conf(5)"

# A service's listen addresses are checked like the supervisor parses them.
printf 'services = smtp\nsmtp.program = tern-smtpd\nsmtp.listen = 127.0.0.1:25 1.2.3:99 [::1]:x\n' >"$SB/listen.conf"
"$TC" -c "$SB/listen.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 100 "bad listen addresses: exit 100"
like "$(cat "$SB/err")" "smtp.listen: '1.2.3:99': bad IPv4" "names the bad IPv4 address"
like "$(cat "$SB/err")" "smtp.listen: '\[::1\]:x': bad port" "names the bad port"
printf 'services = smtp\nsmtp.program = tern-smtpd\nsmtp.listen = 127.0.0.1:25 [::1]:25\n' >"$SB/listen.conf"
"$TC" -c "$SB/listen.conf" >/dev/null 2>"$SB/err"
is "$?" 0 "good listen addresses pass"

# relay_host as tern-qmgr parses it (it exits 100 at start on a bad one).
printf 'relay_host = [10.0.0.5]:25\n' >"$SB/relay.conf"
"$TC" -c "$SB/relay.conf" >/dev/null 2>"$SB/err"; rc=$?
is "$rc" 100 "relay_host without smtp: is refused"
like "$(cat "$SB/err")" "relay_host: '\[10.0.0.5\]:25': not a next hop" "and named"
printf 'relay_host = smtp:[10.0.0.5]:25\n' >"$SB/relay.conf"
"$TC" -c "$SB/relay.conf" >/dev/null 2>"$SB/err"
is "$?" 0 "relay_host = smtp:[10.0.0.5]:25 passes"
done_testing
