#!/bin/sh
# make run: start the whole single-host suite in the foreground.
#
# State lives in $TERN_HOME (default ./run): tern.conf (regenerated each run
# so services added by newer builds appear), local.conf (yours, included
# last, never overwritten), the maps, the queue, the Maildirs, a self-signed
# certificate and the demo accounts.  Running again keeps accounts and mail.
# Ctrl-C or SIGTERM stops everything.  No terminal is needed.
set -eu
src=$(pwd)
build=${TERN_BUILD:-$src/build}
bin=$build/bin
[ -n "${TERN_HOME:-}" ] && TERN_HOME_GIVEN=1
home=${TERN_HOME:-$src/run}
base=${TERN_PORT_BASE:-10000}
host=${TERN_LISTEN:-127.0.0.1}
mkdir -p "$home"
home=$(cd "$home" && pwd)
export TERN_HOME="$home"

say() { printf 'tern: %s\n' "$*"; }

# Can an unprivileged uid reach this folder?  (As root, services and
# Maildir writers run as other uids.)
reachable() {
	setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$1/." 2>/dev/null
}

if [ "$(id -u)" = 0 ]; then
	# Real privilege separation: system users and modes for this TERN_HOME.
	chmod 755 "$home"
	if ! reachable "$home" && [ -z "${TERN_HOME_GIVEN:-}" ]; then
		# ./run under a private folder (a checkout in /root): use a
		# public place instead of failing.
		rmdir "$home" 2>/dev/null || true
		home=/var/lib/tern-run
		mkdir -p "$home" && chmod 755 "$home"
		export TERN_HOME="$home"
		say "./run is not reachable by the tern users; using $home"
	fi
	if ! reachable "$home"; then
		say "as root, TERN_HOME must be reachable by the tern users and the"
		say "accounts, and $home is not (a parent folder is private)."
		say "Try: TERN_HOME=/var/lib/tern-run make run"
		exit 1
	fi
	# Run copies of the programs, installed the way tern-setup wants them
	# (tern-enqueue set-id ternq): the build folder stays the user's, and
	# a checkout under a private folder still works.
	rm -rf "$home/bin.new" && cp -a "$bin" "$home/bin.new" &&
	    chmod -R go+rX "$home/bin.new" && rm -rf "$home/bin" &&
	    mv "$home/bin.new" "$home/bin"
	bin=$home/bin
	# The sendmail names, as make install makes them.
	if [ -x "$bin/tern-sendmail" ]; then
		for n in sendmail mailq newaliases; do ln -sf tern-sendmail "$bin/$n"; done
	fi
	privnote="as root, with one uid per role and per account"
else
	privnote="as $(id -un): every role runs as you (privilege steps skipped)"
fi

mkdir -p "$home/queue" "$home/mail" "$home/state" "$home/tls"
chmod 700 "$home/tls"

# --- certificate -----------------------------------------------------------
if [ ! -s "$home/tls/cert.pem" ] || [ ! -s "$home/tls/key.pem" ]; then
	say "generating a self-signed certificate for localhost"
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 \
	    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
	    -keyout "$home/tls/key.pem" -out "$home/tls/cert.pem" >/dev/null 2>&1
	chmod 600 "$home/tls/key.pem"
fi

# --- services: every one whose program this build has ----------------------
# name  program  port  type  args  user  roles (- : the default, "user").
# Network programs start as root only to load the TLS key; each drops to
# "user" itself before it reads a byte from the network (tern-smtpd(8)).
# TERN_ROLES (default all) picks the roles of this run (tern.conf(5)
# "roles", INSTALL section 7): only the services of those roles start.
roles=${TERN_ROLES:-all}
svc_table="smtp tern-smtpd 25 tcp -m_smtp root mx
submission tern-smtpd 587 tcp -m_submission root submission
submissions tern-smtpd 465 tcp -m_submissions root submission
lmtp tern-smtpd 24 tcp -m_lmtp root storage
imap tern-imapd 143 tcp -m_imap root storage
imaps tern-imapd 993 tcp -m_imaps root storage
pop3 tern-pop3d 110 tcp -m_pop3 root storage
pop3s tern-pop3d 995 tcp -m_pop3s root storage
qmgr tern-qmgr - daemon - \${queue_user} mx,storage,submission
enqueue tern-enqueue - daemon -S \${queue_user} mx,storage,submission
remote tern-remote - daemon -S \${user} mx,storage,submission
lspawn tern-lspawn - daemon - root storage
authd tern-authd - daemon - root storage,front,submission
imap tern-proxy 143 tcp -m_imap root front
imaps tern-proxy 993 tcp -m_imaps root front
pop3 tern-proxy 110 tcp -m_pop3 root front
pop3s tern-proxy 995 tcp -m_pop3s root front"
# Keep the lines whose program is built and whose roles meet $roles; a
# name already kept wins (a storage host serves IMAP itself, a front end
# only through tern-proxy).
svc_table=$(seen=" "; echo "$svc_table" | while read -r name prog port type args user rl; do
	[ -x "$bin/$prog" ] || continue
	# The remote delivery service runs as another user than tern-qmgr;
	# a non-root run has one user only: tern-qmgr executes tern-remote.
	[ "$name" = remote ] && [ "$(id -u)" != 0 ] && continue
	case $seen in *" $name "*) continue ;; esac
	want=
	for r in $(echo "$roles" | tr ',' ' '); do
		case ",$rl," in *",$r,"*) want=1 ;; esac
		[ "$r" = all ] && want=1
	done
	if [ -n "$want" ]; then echo "$name $prog $port $type $args $user"; seen="$seen$name "; fi
done)

conf="$home/tern.conf"
tmp="$conf.tmp.$$"
{
	echo "# Generated by 'make run' at each start; put your changes in local.conf."
	echo "map_dir = \${conf_dir}"
	echo "queue_dir = $home/queue"
	echo "mail_dir = $home/mail"
	echo "run_dir = $home/state"
	echo "program_dir = $bin"
	echo "tls_cert = $home/tls/cert.pem"
	echo "tls_key = $home/tls/key.pem"
	echo "log = stderr"
	echo "hostname = localhost"
	echo "roles = $roles"
	services=""
	echo "$svc_table" | while read -r name prog port type args user; do
		[ -x "$bin/$prog" ] || continue
		echo ""
		echo "$name.program = $prog"
		echo "$name.type = $type"
		if [ "$port" != - ]; then echo "$name.listen = $host:$((base + port))"; fi
		if [ "$args" != - ]; then echo "$name.args = $args" | tr _ ' '; fi
		if [ "$user" != - ]; then echo "$name.user = $user"; fi
		# Programs that can be fork servers (tern-supervise(8)): started
		# once, forked per connection, no exec per session.
		case $prog in
		tern-smtpd|tern-imapd|tern-pop3d|tern-proxy) echo "$name.forkserver = yes" ;;
		esac
	done
	names=$(echo "$svc_table" | while read -r name prog port type args; do
		if [ -x "$bin/$prog" ]; then printf '%s ' "$name"; fi; done)
	echo ""
	echo "services = $names"
	echo ""
	echo "include local.conf"
} >"$tmp"
[ -f "$home/local.conf" ] || printf '# Your settings for this make run home; they override tern.conf.\n' >"$home/local.conf"
mv "$tmp" "$conf"
"$bin/tern-conf" -c "$conf" >/dev/null || { say "invalid configuration in $conf"; exit 1; }
if [ "$(id -u)" = 0 ]; then
	# System users, folder owners and modes, the queue's FIFO, set-id bits.
	PATH="$bin:$PATH" sh "$src/setup/tern-setup" -c "$conf" --program-dir "$bin" >/dev/null
fi

# --- demo domain and accounts ---------------------------------------------
touch "$home/accounts" "$home/aliases" "$home/routes"
grep -q '^example.test' "$home/domains" 2>/dev/null || echo "example.test local" >>"$home/domains"
grep -q '^postmaster@example.test' "$home/aliases" || echo "postmaster@example.test: alice@example.test" >>"$home/aliases"
pwfile="$home/demo-passwords"
if [ ! -s "$pwfile" ]; then
	umask 077
	for u in alice bob; do
		pw=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
		echo "$u@example.test $pw" >>"$pwfile"
	done
fi
while read -r addr pw; do
	if ! grep -q "^$addr[[:space:]]" "$home/accounts"; then
		printf '%s\n' "$pw" | "$bin/tern-user" -c "$conf" add "$addr" --password-stdin >/dev/null
	fi
done <"$pwfile"
"$bin/tern-maps" -c "$conf" >/dev/null

# --- banner ----------------------------------------------------------------
echo "tern $privnote"
echo "  home:     $home   (config: $conf, your settings: $home/local.conf)"
echo "  accounts: $(tr '\n' ';' <"$pwfile" | sed 's/;$//; s/;/  |  /g; s/ \([0-9a-f]\{24\}\)/ password \1/g')"
echo "$svc_table" | while read -r name prog port type args; do
	[ -x "$bin/$prog" ] || continue
	[ "$port" = - ] && continue
	p=$((base + port))
	case $name in
	smtp) echo "  SMTP        $host:$p   swaks --server $host:$p --to bob@example.test" ;;
	submission) echo "  submission  $host:$p   swaks --server $host:$p -tls --auth PLAIN --auth-user alice@example.test --auth-password PASSWORD --to bob@example.test" ;;
	submissions) echo "  submissions $host:$p   (implicit TLS) swaks --server $host:$p -tlsc ..." ;;
	lmtp) echo "  LMTP        $host:$p" ;;
	imap) echo "  IMAP        $host:$p   curl -u alice@example.test:PASSWORD imap://$host:$p/INBOX  (Thunderbird: STARTTLS, normal password)" ;;
	imaps) echo "  IMAPS       $host:$p   openssl s_client -connect $host:$p ; mutt -f imaps://alice@example.test@$host:$p/" ;;
	pop3) echo "  POP3        $host:$p   curl -u alice@example.test:PASSWORD pop3://$host:$p/" ;;
	pop3s) echo "  POP3S       $host:$p   curl -k -u alice@example.test:PASSWORD pop3s://$host:$p/" ;;
	esac
done
[ -z "$(echo "$svc_table" | while read -r n p rest; do [ -x "$bin/$p" ] && echo x; done)" ] &&
	echo "  (no protocol servers are built yet: the supervisor runs with no services)"
[ -x "$bin/tern-sendmail" ] &&
	echo "  sendmail    echo hi | TERN_HOME=$home $bin/tern-sendmail bob@example.test"
echo "  Ctrl-C stops everything. Logs follow."
exec "$bin/tern-supervise" -c "$conf" -d
