# t/smtp/smtp.sh - common set-up for the tern-smtpd tests (sourced after
# t/lib.sh): maps made with tern-maps (accounts, aliases, domains), a
# queue, a self-signed certificate, and tern-supervise running tern-smtpd
# in each mode on free ports.  smtp_start; extra tern.conf lines go in
# $SB/extra.conf first.
SMTPD=$TERN_BINDIR/tern-smtpd
SV_BIN=$TERN_BINDIR/tern-supervise
QT=$TERN_BUILD/t/bin/queue-tool
CLIENT="$PY $TERN_SRC/t/smtp/client.py"
[ -x "$SMTPD" ] || skip_all "tern-smtpd not built"
[ -x "$SV_BIN" ] || skip_all "tern-supervise not built"
[ -x "$TERN_BINDIR/tern-enqueue" ] || skip_all "tern-enqueue not built"
[ -x "$QT" ] || skip_all "t/bin/queue-tool not built"
command -v openssl >/dev/null || skip_all "openssl not installed"
if [ "$(id -u)" = 0 ]; then SMTP_USER=nobody; else SMTP_USER=$(id -un); fi

smtp_setup() {
	Q=$SB/queue
	mkdir -p "$Q" "$SB/run" "$SB/tls"
	printf 'example.org local\nvirt.example virtual\nrelay.example relay\n' >"$SB/domains"
	printf 'alice@example.org uid=100000\nbob@example.org uid=100001\ncarol@virt.example uid=100002\ndis@example.org uid=100003 status=disabled\n' >"$SB/accounts"
	printf 'postmaster@example.org: alice@example.org\nsales@example.org: bob@example.org, carol@virt.example\n' >"$SB/aliases"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$SB/tls/key.pem" -out "$SB/tls/cert.pem" -days 2 \
	    -subj /CN=mx.example.org >/dev/null 2>&1 || return 1
	chmod 644 "$SB/tls/key.pem"	# the test service user reads it
	P_SMTP=$(free_port); P_SUB=$(free_port); P_SUBS=$(free_port); P_LMTP=$(free_port)
	export P_SMTP P_SUB P_SUBS P_LMTP
	if [ "$(id -u)" = 0 ]; then chown -R nobody "$Q"; fi
}

# smtp_conf: tern.conf from the common lines plus $SB/extra.conf.
smtp_conf() {
	{
		echo "hostname = mx.example.org"
		echo "queue_dir = $Q"
		echo "run_dir = $SB/run"
		echo "program_dir = $TERN_BINDIR"
		echo "log = stderr"
		[ "$(id -u)" = 0 ] && echo "queue_user = nobody"
		echo "services = smtp submission submissions lmtp"
		for m in smtp:$P_SMTP submission:$P_SUB submissions:$P_SUBS lmtp:$P_LMTP; do
			n=${m%%:*}; p=${m#*:}
			echo "$n.listen = 127.0.0.1:$p"
			echo "$n.program = tern-smtpd"
			echo "$n.args = -m $n"
			echo "$n.user = $SMTP_USER"
			echo "$n.max_per_ip = 50"
			# Fork servers for some modes (SMTP_FORKSERVER), the
			# fork and exec per connection for the others: both
			# paths run the same tests.
			case " ${SMTP_FORKSERVER-smtp submission} " in
			*" $n "*) echo "$n.forkserver = yes" ;;
			*) echo "$n.forkserver = no" ;;
			esac
		done
		if [ -f "$SB/extra.conf" ]; then cat "$SB/extra.conf"; fi
	} >"$SB/tern.conf.tmp" && mv "$SB/tern.conf.tmp" "$SB/tern.conf"
	"$TERN_BINDIR/tern-maps" -c "$SB/tern.conf" -q >>"$SB/maps.log" 2>&1
}

smtp_start() {
	smtp_setup || return 1
	smtp_conf || return 1
	"$SV_BIN" -c "$SB/tern.conf" >>"$SB/log" 2>&1 &
	SV_PID=$!
	track $SV_PID
	wait_port "$P_SMTP" && wait_port "$P_LMTP" && wait_port "$P_SUBS"
}

# Committed messages in the queue (one id a line).
queued() { "$QT" scan "$Q" 2>/dev/null; }
nqueued() { queued | grep -c . | tr -d ' '; }
# The message file of an id.
msgfile() { "$QT" path "$Q" msg "$1"; }
envread() { "$QT" read "$("$QT" path "$Q" env "$1")"; }
# Wait for a log line (bounded).
log_wait() { wait_for "$1" grep -Eq -- "$2" "$SB/log"; }
# Sanitizer reports or crashes of tern-smtpd/tern-enqueue (SAN=1 builds).
smtp_clean_log() {
	! grep -Eq 'Sanitizer|runtime error|exit service=[a-z]+ pid=[0-9]+ status=[^0]|signal=' "$SB/log"
}
