# t/proxy/proxy.sh - common set-up for the tern-proxy tests (sourced after
# t/lib.sh).  One tern.conf and one tern-supervise run everything:
#   backend A: tern-imapd (imap, imaps) and tern-pop3d (pop3, pop3s) on
#              127.0.0.1 (the certificate names 127.0.0.1 and 127.0.0.2);
#   backend B: the same programs on 127.0.0.2 (services imapb, pop3b),
#              chosen by the routes map for bob@example.org;
#   tern-proxy: pxi (imap), pxis (imaps), pxp (pop3), pxps (pop3s) on
#              127.0.0.1, connecting from 127.0.0.3 (proxy_source_ip),
#              the only trusted proxy network (login_trusted_proxies),
#              so a client on 127.0.0.1 cannot use the master login.
# Ports: P_IMAP P_POP3 P_IMAPS P_POP3S (A), P_IMAPB P_POP3B (B), P_PXI P_PXIS P_PXP
# P_PXPS (proxy).  proxy_start; extra tern.conf lines go in
# $SB/extra.conf first.  Needs root (users, tern-authd) and 127.0.0.2/3.
SV_BIN=$TERN_BINDIR/tern-supervise
AUTHD=$TERN_BINDIR/tern-authd
for _p in tern-proxy tern-imapd tern-pop3d tern-supervise tern-authd tern-user; do
	[ -x "$TERN_BINDIR/$_p" ] || skip_all "$_p not built"
done
command -v openssl >/dev/null || skip_all "openssl not installed"
[ "$(id -u)" = 0 ] || skip_all "needs root (privilege drops, tern-authd)"
for _u in nobody ternauth tern; do
	id "$_u" >/dev/null 2>&1 || skip_all "no user $_u"
done
"$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.3",0))' 2>/dev/null ||
    skip_all "cannot bind 127.0.0.3"
LOGIN_USER=nobody
PW_ALICE=alice-secret
PW_BOB='bob secret'
SECRET=0123456789abcdef-proxy-master-secret

proxy_conf() {
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
		echo "login_trusted_proxies = 127.0.0.3/32"
		echo "proxy_source_ip = 127.0.0.3"
		echo "proxy_master_secret_file = $SB/proxy.secret"
		echo "proxy_imap_port = $P_IMAP"
		echo "proxy_pop3_port = $P_POP3"
		echo "proxy_backend_ports = 127.0.0.2=$P_IMAPB/$P_POP3B"
		echo "services = imap pop3 imaps pop3s imapb pop3b pxi pxis pxp pxps"
		for m in imap:tern-imapd:imap:127.0.0.1:$P_IMAP \
		    pop3:tern-pop3d:pop3:127.0.0.1:$P_POP3 \
		    imaps:tern-imapd:imaps:127.0.0.1:$P_IMAPS \
		    pop3s:tern-pop3d:pop3s:127.0.0.1:$P_POP3S \
		    imapb:tern-imapd:imap:127.0.0.2:$P_IMAPB \
		    pop3b:tern-pop3d:pop3:127.0.0.2:$P_POP3B \
		    pxi:tern-proxy:imap:127.0.0.1:$P_PXI \
		    pxis:tern-proxy:imaps:127.0.0.1:$P_PXIS \
		    pxp:tern-proxy:pop3:127.0.0.1:$P_PXP \
		    pxps:tern-proxy:pop3s:127.0.0.1:$P_PXPS; do
			IFS=: read -r n prog mode ip p <<EOF
$m
EOF
			echo "$n.listen = $ip:$p"
			echo "$n.program = $prog"
			echo "$n.args = -m $mode"
			echo "$n.user = root"
			echo "$n.max_per_ip = 300"
			echo "$n.max_connections = 400"
			# Fork servers for the proxy's plain modes and the
			# backends (as make run has them), fork and exec for
			# the implicit-TLS proxy modes: both paths are tested.
			case $n in
			pxi|pxp|imap*|pop3*) echo "$n.forkserver = yes" ;;
			*) echo "$n.forkserver = no" ;;
			esac
		done
		if [ -f "$SB/extra.conf" ]; then cat "$SB/extra.conf"; fi
	} >"$SB/tern.conf.tmp" && mv "$SB/tern.conf.tmp" "$SB/tern.conf"
}

maildir() { "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" show "$1" | sed -n 's/^maildir: //p' | sed 's,/$,,'; }
uidof() { "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" show "$1" | sed -n 's/^uid: //p'; }

# put_mail ADDR NAME FILE: deliver FILE as new/NAME into ADDR's Maildir.
put_mail() {
	_d=$(maildir "$1")
	cp "$3" "$_d/tmp/$2" || return 1
	chown "$(uidof "$1")" "$_d/tmp/$2"
	chmod 600 "$_d/tmp/$2"
	mv "$_d/tmp/$2" "$_d/new/$2"
}

proxy_setup() {
	mkdir -p "$SB/run" "$SB/tls" "$SB/mail"
	P_IMAP=$(free_port); P_POP3=$(free_port)
	P_IMAPS=$(free_port); P_POP3S=$(free_port)
	P_IMAPB=$(free_port); P_POP3B=$(free_port)
	P_PXI=$(free_port); P_PXIS=$(free_port)
	P_PXP=$(free_port); P_PXPS=$(free_port)
	export P_IMAP P_POP3 P_IMAPS P_POP3S P_IMAPB P_POP3B P_PXI P_PXIS P_PXP P_PXPS
	proxy_conf
	echo "example.org local" >"$SB/domains"
	echo "bob@example.org lmtp:[127.0.0.2]:24" >"$SB/routes"
	(umask 077 && echo "$SECRET" >"$SB/proxy.secret")
	for a in alice:$PW_ALICE "bob:$PW_BOB"; do
		u=${a%%:*}; pw=${a#*:}
		printf '%s\n' "$pw" | "$TERN_BINDIR/tern-user" -c "$SB/tern.conf" \
		    add "$u@example.org" --password-stdin >>"$SB/maps.log" 2>&1 || return 1
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$SB/tls/key.pem" -out "$SB/tls/cert.pem" -days 2 \
	    -subj /CN=localhost \
	    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:127.0.0.2" \
	    >/dev/null 2>&1 || return 1
	chmod 600 "$SB/tls/key.pem"
}

# wait_addr IP PORT: until something listens there (10 s max).
wait_addr() {
	wait_for 10 "$PY" -c "import socket; socket.create_connection(('$1',$2),1)"
}

sv_start() {
	"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
	SV_PID=$!
	track $SV_PID
}

proxy_start() {
	proxy_setup || return 1
	chmod 755 "$SB/run"
	"$AUTHD" -d -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
	track $!
	sv_start
	for _a in 127.0.0.1:$P_IMAP 127.0.0.1:$P_POP3 127.0.0.1:$P_IMAPS \
	    127.0.0.1:$P_POP3S 127.0.0.2:$P_IMAPB \
	    127.0.0.2:$P_POP3B 127.0.0.1:$P_PXI 127.0.0.1:$P_PXIS \
	    127.0.0.1:$P_PXP 127.0.0.1:$P_PXPS; do
		wait_addr "${_a%:*}" "${_a#*:}" || wait_addr "${_a%:*}" "${_a#*:}" ||
		    return 1
	done
	wait_for 20 test -S "$SB/run/authd.sock"
}

log_wait() { wait_for "$1" grep -Eq -- "$2" "$SB/log"; }
proxy_clean_log() {
	! grep -Eq 'Sanitizer|runtime error|exit service=[a-z0-9]+ pid=[0-9]+ status=[^0]|signal=' "$SB/log"
}

# The Python helpers (t/proxy/proxyt.py, t/imap/imapt.py).
PYTHONPATH=$TERN_SRC/t/proxy:$TERN_SRC/t/imap
export PYTHONPATH
proxy_py() { SB=$SB "$PY" "$@" 2>&1; }
