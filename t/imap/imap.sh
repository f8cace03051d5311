# t/imap/imap.sh - common set-up for the tern-imapd tests (sourced after
# t/lib.sh): accounts made with tern-user (alice, bob), a self-signed
# certificate, tern-authd (or, while it is not built, the stand-in
# t/bin/authd-stub) on auth_socket, and tern-supervise running tern-imapd as "imap" and "imaps" on free
# ports (P_IMAP, P_IMAPS).  imap_start; extra tern.conf lines go in $SB/extra.conf first.
IMAPD=$TERN_BINDIR/tern-imapd
SV_BIN=$TERN_BINDIR/tern-supervise
STUB=$TERN_BUILD/t/bin/authd-stub
[ -x "$IMAPD" ] || skip_all "tern-imapd not built"
[ -x "$SV_BIN" ] || skip_all "tern-supervise not built"
[ -x "$STUB" ] || skip_all "t/bin/authd-stub not built"
command -v openssl >/dev/null || skip_all "openssl not installed"
if [ "$(id -u)" = 0 ]; then
	id nobody >/dev/null 2>&1 || skip_all "no user nobody"
	LOGIN_USER=nobody
else
	LOGIN_USER=$(id -un)
fi
# The real tern-authd when built (as root it needs the users tern-setup
# makes); IMAP_STUB=1 forces the stand-in.
AUTHD=$TERN_BINDIR/tern-authd
USE_AUTHD=0
if [ -x "$AUTHD" ] && [ "${IMAP_STUB:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || { id ternauth >/dev/null 2>&1 && id tern >/dev/null 2>&1; }; then
		USE_AUTHD=1
	fi
fi
PW_ALICE=alice-secret
PW_BOB='bob secret'

imap_conf() {
	{
		echo "hostname = imap.example.org"
		echo "run_dir = $SB/run"
		echo "mail_dir = $SB/mail"
		echo "program_dir = $TERN_BINDIR"
		echo "tls_cert = $SB/tls/cert.pem"
		echo "tls_key = $SB/tls/key.pem"
		echo "log = stderr"
		echo "login_user = $LOGIN_USER"
		echo "auth_fail_delay_max = 1s"
		echo "auth_allow_plaintext = 127.0.0.0/8"
		echo "services = imap imaps"
		for m in imap:$P_IMAP imaps:$P_IMAPS; do
			n=${m%%:*}; p=${m#*:}
			echo "$n.listen = 127.0.0.1:$p"
			echo "$n.program = tern-imapd"
			echo "$n.args = -m $n"
			echo "$n.user = $(id -un)"
			echo "$n.max_per_ip = 300"
			# Fork servers as make run has them, unless IMAP_FORKSERVER
			# names fewer modes (login.t runs the exec path).
			case " ${IMAP_FORKSERVER-imap imaps} " in
			*" $n "*) echo "$n.forkserver = yes" ;;
			*) echo "$n.forkserver = no" ;;
			esac
			echo "$n.max_connections = 400"
		done
		if [ -f "$SB/extra.conf" ]; then cat "$SB/extra.conf"; fi
	} >"$SB/tern.conf.tmp" && mv "$SB/tern.conf.tmp" "$SB/tern.conf"
}

# maildir ADDR: the account's Maildir path (from tern-user show).
maildir() { "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" show "$1" | sed -n 's/^maildir: //p' | sed 's,/$,,'; }
uidof() { "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" show "$1" | sed -n 's/^uid: //p'; }

# put_mail ADDR NAME FILE: deliver FILE as new/NAME into ADDR's Maildir.
put_mail() {
	_d=$(maildir "$1")
	cp "$3" "$_d/new/$2" || return 1
	if [ "$(id -u)" = 0 ]; then chown "$(uidof "$1")" "$_d/new/$2"; fi
	chmod 600 "$_d/new/$2"
}

imap_setup() {
	mkdir -p "$SB/run" "$SB/tls" "$SB/mail"
	P_IMAP=$(free_port); P_IMAPS=$(free_port)
	export P_IMAP P_IMAPS
	imap_conf
	echo "example.org local" >"$SB/domains"
	for a in alice:$PW_ALICE "bob:$PW_BOB"; do
		u=${a%%:*}; pw=${a#*:}
		printf '%s\n' "$pw" | "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" \
		    add "$u@example.org" --password-stdin >>"$SB/maps.log" 2>&1 || return 1
	done
	: >"$SB/stub.accounts"
	for a in alice:$PW_ALICE "bob:$PW_BOB"; do
		u=${a%%:*}; pw=${a#*:}
		printf '%s@example.org %s %s %s\n' "$u" "$(uidof "$u@example.org")" \
		    "$(maildir "$u@example.org")" "$pw" >>"$SB/stub.accounts"
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$SB/tls/key.pem" -out "$SB/tls/cert.pem" -days 2 \
	    -subj /CN=localhost >/dev/null 2>&1 || return 1
	chmod 600 "$SB/tls/key.pem"
}

imap_start() {
	imap_setup || return 1
	chmod 755 "$SB/run"
	if [ "$USE_AUTHD" = 1 ]; then
		"$AUTHD" -d -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
	else
		"$STUB" "$SB/run/authd.sock" "$SB/stub.accounts" >>"$SB/log" 2>&1 &
	fi
	track $!
	"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
	SV_PID=$!
	track $SV_PID
	# Up to 20 s each: the machine may be busy.
	{ wait_port "$P_IMAP" || wait_port "$P_IMAP"; } &&
	    { wait_port "$P_IMAPS" || wait_port "$P_IMAPS"; } &&
	    wait_for 20 test -S "$SB/run/authd.sock"
}

log_wait() { wait_for "$1" grep -Eq -- "$2" "$SB/log"; }
imap_clean_log() {
	! grep -Eq 'Sanitizer|runtime error|exit service=[a-z0-9]+ pid=[0-9]+ status=[^0]|signal=' "$SB/log"
}

# The Python helpers (t/imap/imapt.py) for the test scripts.
PYTHONPATH=$TERN_SRC/t/imap
export PYTHONPATH
# imap_py FILE: run a Python test script with the ports in its environment.
imap_py() { P_IMAP=$P_IMAP P_IMAPS=$P_IMAPS SB=$SB "$PY" "$@" 2>&1; }
