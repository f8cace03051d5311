# t/pop3/pop3.sh - common set-up for the tern-pop3d tests (sourced after
# t/lib.sh): accounts made with tern-user (alice, bob), a self-signed
# certificate, tern-authd (or, while it is not built, the stand-in
# t/bin/authd-stub) on auth_socket, and tern-supervise running tern-pop3d as "pop3" and "pop3s" on free
# ports.  pop3_start; extra tern.conf lines go in $SB/extra.conf first.
POP3D=$TERN_BINDIR/tern-pop3d
SV_BIN=$TERN_BINDIR/tern-supervise
STUB=$TERN_BUILD/t/bin/authd-stub
[ -x "$POP3D" ] || skip_all "tern-pop3d not built"
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
# makes); POP3_STUB=1 forces the stand-in.
AUTHD=$TERN_BINDIR/tern-authd
USE_AUTHD=0
if [ -x "$AUTHD" ] && [ "${POP3_STUB:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ] || { id ternauth >/dev/null 2>&1 && id tern >/dev/null 2>&1; }; then
		USE_AUTHD=1
	fi
fi
PW_ALICE=alice-secret
PW_BOB='bob secret'

pop3_conf() {
	{
		echo "hostname = pop.example.org"
		echo "run_dir = $SB/run"
		echo "mail_dir = $SB/mail"
		echo "program_dir = $TERN_BINDIR"
		echo "tls_cert = $SB/tls/cert.pem"
		echo "tls_key = $SB/tls/key.pem"
		echo "log = stderr"
		echo "login_user = $LOGIN_USER"
		echo "auth_fail_delay_max = 1s"
		echo "auth_allow_plaintext = 127.0.0.0/8"
		echo "services = pop3 pop3s"
		for m in pop3:$P_POP3 pop3s:$P_POP3S; do
			n=${m%%:*}; p=${m#*:}
			echo "$n.listen = 127.0.0.1:$p"
			echo "$n.program = tern-pop3d"
			echo "$n.args = -m $n"
			echo "$n.user = $(id -un)"
			echo "$n.max_per_ip = 300"
			# Fork servers as make run has them, unless POP3_FORKSERVER
			# names fewer modes (login.t runs the exec path).
			case " ${POP3_FORKSERVER-pop3 pop3s} " in
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

pop3_setup() {
	mkdir -p "$SB/run" "$SB/tls" "$SB/mail"
	P_POP3=$(free_port); P_POP3S=$(free_port)
	export P_POP3 P_POP3S
	pop3_conf
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

pop3_start() {
	pop3_setup || return 1
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
	wait_port "$P_POP3" && wait_port "$P_POP3S" && [ -S "$SB/run/authd.sock" ]
}

log_wait() { wait_for "$1" grep -Eq -- "$2" "$SB/log"; }
pop3_clean_log() {
	! grep -Eq 'Sanitizer|runtime error|exit service=[a-z0-9]+ pid=[0-9]+ status=[^0]|signal=' "$SB/log"
}
