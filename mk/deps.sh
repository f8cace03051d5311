#!/bin/sh
# Check what tern needs and, as root on Debian, install what is missing.
#   deps.sh build   compiler, pkg-config modules (make)
#   deps.sh check   build + test tools (make check)
#   deps.sh run     build + what make run needs (openssl for the certificate)
# Otherwise print the exact apt-get line and fail.
set -u
what=${1:-build}

pkgs=""
need() { pkgs="$pkgs $1"; }

command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
command -v pkg-config >/dev/null 2>&1 || need pkg-config
for m in "openssl:libssl-dev" "libcdb:libcdb-dev" "libbsd:libbsd-dev" "libcrypt:libcrypt-dev"; do
	mod=${m%%:*}; deb=${m#*:}
	pkg-config --exists "$mod" 2>/dev/null || need "$deb"
done
pkg-config --exists zlib 2>/dev/null || need zlib1g-dev	# tern-imapd-worker: COMPRESS
case "${CC:-cc}" in *clang*) command -v clang >/dev/null 2>&1 || need clang ;; esac

if [ "$what" = check ] || [ "$what" = run ]; then
	command -v openssl >/dev/null 2>&1 || need openssl
fi
if [ "$what" = check ]; then
	command -v prove >/dev/null 2>&1 || need perl
	[ -x /usr/bin/python3 ] || need python3
	command -v swaks >/dev/null 2>&1 || need swaks
	command -v cdb >/dev/null 2>&1 || need tinycdb
	command -v curl >/dev/null 2>&1 || need curl
	command -v ip >/dev/null 2>&1 || need iproute2
	command -v fetchmail >/dev/null 2>&1 || need fetchmail
	command -v getmail >/dev/null 2>&1 || need getmail6
	# -I: not from the current folder, where tern's own dkim/ would
	# pass for the dkim module (a namespace package) and keep
	# python3-dkim from being installed.
	/usr/bin/python3 -I -c 'import aiosmtpd' >/dev/null 2>&1 || need python3-aiosmtpd
	command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need dnsmasq-base
	command -v mbsync >/dev/null 2>&1 || need isync
	/usr/bin/python3 -I -c 'import dkim' >/dev/null 2>&1 || need python3-dkim
	/usr/bin/python3 -I -c 'import nacl' >/dev/null 2>&1 || need python3-nacl
	command -v ps >/dev/null 2>&1 || need procps
	# t/user/move.t: tern-user move's stream over a real ssh
	[ -x /usr/sbin/sshd ] || need openssh-server
	command -v ssh >/dev/null 2>&1 || need openssh-client
fi

# Webmail and more real IMAP clients (t/webmail, t/imap/mutt.t,
# t/imap/offlineimap.t): optional, those tests skip without them.  As root
# on Debian: the packages without recommends (no apache2: the test serves
# Roundcube with php -S), then playwright-core from npm into
# /usr/local/lib/tern-webmail; any failure only warns (offline, no npm).
if [ "$what" = check ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	opt=""
	[ -f /usr/share/roundcube/index.php ] || opt="$opt roundcube"
	php -m 2>/dev/null | grep -qx pdo_sqlite || opt="$opt roundcube-sqlite3"
	command -v php >/dev/null 2>&1 || opt="$opt php-cli"
	[ -x /usr/lib/chromium/chromium ] || opt="$opt chromium"
	command -v mutt >/dev/null 2>&1 || opt="$opt mutt"
	command -v tmux >/dev/null 2>&1 || opt="$opt tmux"
	command -v offlineimap >/dev/null 2>&1 || opt="$opt offlineimap3"
	command -v npm >/dev/null 2>&1 || command -v node >/dev/null 2>&1 || opt="$opt nodejs npm"
	if [ -n "$opt" ]; then
		echo "tern: installing optional test packages:$opt" >&2
		apt-get update -qq >/dev/null 2>&1 || true
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $opt >/dev/null 2>&1 ||
		    echo "tern: could not install$opt (those tests will skip)" >&2
	fi
	pw=/usr/local/lib/tern-webmail
	if [ ! -f "$pw/node_modules/playwright-core/package.json" ] && command -v npm >/dev/null 2>&1; then
		mkdir -p "$pw" && timeout 300 npm install --silent --no-audit --no-fund \
		    --prefix "$pw" playwright-core@1.65.1 >/dev/null 2>&1 ||
		    echo "tern: npm could not install playwright-core (t/webmail will skip)" >&2
	fi
fi

[ -z "$pkgs" ] && exit 0

line="apt-get install -y$pkgs"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "tern: installing missing packages:$pkgs" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null 2>&1 || true
	# shellcheck disable=SC2086
	apt-get install -y -qq $pkgs >/dev/null || { echo "tern: $line failed" >&2; exit 1; }
	exit 0
fi
echo "tern: missing build or test dependencies. As root, run:" >&2
echo "    $line" >&2
exit 1
