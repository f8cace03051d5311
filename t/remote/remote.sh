# t/remote/remote.sh - sourced by tern-remote's tests after t/lib.sh.
#   rt_ca DIR SAN           a test CA (DIR/ca.crt) and a server certificate
#                           (DIR/server.crt, server.key) for SAN
#                           ("DNS:x,IP:y"), signed by it
#   rt_sink OUTDIR SPEC...  start t/remote/sink.py (waits for "ready")
#   rt_as_user CMD...       run CMD as nobody when root (tern-remote
#                           refuses root), else as is
command -v openssl >/dev/null || skip_all "openssl not installed"
"$PY" -I -c 'import aiosmtpd' 2>/dev/null || skip_all "python3-aiosmtpd not installed"
[ -x "$TERN_BINDIR/tern-remote" ] || skip_all "tern-remote not built"

rt_ca() {
	mkdir -p "$1"
	(
		cd "$1" || exit 1
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -days 2 -subj "/CN=tern test CA" -keyout ca.key \
		    -out ca.crt -addext basicConstraints=critical,CA:TRUE \
		    -addext keyUsage=critical,keyCertSign,cRLSign &&
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		    -subj "/CN=tern test server" -keyout server.key -out server.csr &&
		printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' "$2" >ext &&
		openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key \
		    -CAcreateserial -days 2 -extfile ext -out server.crt
	) >/dev/null 2>&1
	chmod 644 "$1"/*
}

rt_sink() {
	_out=$1; shift
	mkdir -p "$_out"
	chmod 777 "$_out"
	"$PY" "$TERN_SRC/t/remote/sink.py" "$_out" "$@" >"$_out.log" 2>&1 &
	track $!
	wait_for 20 grep -q ready "$_out.log"
}

# req.py where the unprivileged user can read it: the checkout may sit in a
# folder only root enters (a mktemp -d clone, /root).
rt_req_py() {
	if [ ! -f "$SB/req.py" ]; then
		cp "$TERN_SRC/t/remote/req.py" "$SB/req.py" && chmod 644 "$SB/req.py"
	fi
	echo "$SB/req.py"
}

rt_as_user() {
	if [ "$(id -u)" = 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
