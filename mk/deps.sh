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
	/usr/bin/python3 -c 'import aiosmtpd' >/dev/null 2>&1 || need python3-aiosmtpd
	command -v dnsmasq >/dev/null 2>&1 || [ -x /usr/sbin/dnsmasq ] || need dnsmasq-base
	command -v mbsync >/dev/null 2>&1 || need isync
	/usr/bin/python3 -c 'import dkim' >/dev/null 2>&1 || need python3-dkim
	/usr/bin/python3 -c 'import nacl' >/dev/null 2>&1 || need python3-nacl
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
