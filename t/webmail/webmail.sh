# t/webmail/webmail.sh - Roundcube in front of a tern suite, for the
# browser tests (sourced after t/lib.sh and t/e2e/e2e.sh).  Roundcube is
# Debian's (/usr/share/roundcube), configured by conf/webmail/install-roundcube
# --no-install into the sandbox (ROUNDCUBE_CONFIG_DIR points at it; SQLite
# file, temp and logs in $SB/rc) and served by PHP's built-in server on a
# free loopback port.  The browser is Debian's chromium, driven by
# playwright-core from npm, installed by mk/deps.sh check into
# $TERN_NODE_DIR (default /usr/local/lib/tern-webmail).
RC_ROOT=/var/lib/roundcube/public_html
TERN_NODE_DIR=${TERN_NODE_DIR:-/usr/local/lib/tern-webmail}
CHROMIUM=${CHROMIUM:-/usr/lib/chromium/chromium}

# webmail_can_run: skip_all with the reason when something is missing.
webmail_can_run() {
	[ -f /usr/share/roundcube/index.php ] && [ -f "$RC_ROOT/index.php" ] ||
	    skip_all "Roundcube is not installed (Debian packages roundcube roundcube-sqlite3)"
	command -v php >/dev/null || skip_all "php is not installed (php-cli)"
	command -v setsid >/dev/null || skip_all "setsid is not installed (util-linux)"
	php -m 2>/dev/null | grep -qx pdo_sqlite || skip_all "PHP has no pdo_sqlite (roundcube-sqlite3)"
	[ -x "$CHROMIUM" ] || skip_all "chromium is not installed (Debian package chromium)"
	command -v node >/dev/null || skip_all "node is not installed"
	[ -f "$TERN_NODE_DIR/node_modules/playwright-core/package.json" ] ||
	    skip_all "playwright-core is not in $TERN_NODE_DIR (mk/deps.sh check installs it with npm)"
}

# webmail_start [NAME IMAP-URL CAFILE]: after e2e_start, a Roundcube
# (config, SQLite file, temp and logs in $SB/rc-NAME) on its own port;
# default: "main", imaps, the suite's certificate.  Sets P_WEB, RC_URL
# and RC_DIR.
webmail_start() {
	_n=${1:-main}
	_imap=${2:-ssl://127.0.0.1:$((PB + 993))}
	_ca=${3:-$H/tls/cert.pem}
	RC_DIR=$SB/rc-$_n
	P_WEB=$(free_port)
	RC_URL=http://127.0.0.1:$P_WEB
	sh "$TERN_SRC/conf/webmail/install-roundcube" --no-install \
	    --imap "$_imap" --smtp "tls://127.0.0.1:$((PB + 587))" \
	    --cafile "$_ca" --peer-name localhost \
	    --config-dir "$RC_DIR/config" --data-dir "$RC_DIR" \
	    --owner "$(id -un)" --product "tern test webmail" \
	    >>"$SB/rc-install.log" 2>&1 || return 1
	# The IMAP dialogue in $RC_DIR/logs/imap.log (webmail_imap_clean).
	printf '<?php\n$config["imap_debug"] = true;\n' >"$RC_DIR/config/tern-local.inc.php"
	# PHP's server: a few workers (Roundcube's page and its
	# XMLHttpRequests overlap); logs to a file in the sandbox.  The
	# workers outlive a killed master, so it runs in its own process
	# group under a shell that, on TERM, ends the whole group.
	ROUNDCUBE_CONFIG_DIR=$RC_DIR/config PHP_CLI_SERVER_WORKERS=3 \
	    setsid sh -c 'trap "trap - TERM; kill -TERM 0; exit 0" TERM
		cd "$1" || exit 1
		php -d display_errors=0 -d log_errors=1 -d "error_log=$2/logs/php.log" \
		    -d "session.save_path=$2/temp" -S "127.0.0.1:$3" -t "$1" &
		wait' sh "$RC_ROOT" "$RC_DIR" "$P_WEB" >>"$SB/php-server-$_n.log" 2>&1 &
	track $!
	wait_port "$P_WEB" || wait_port "$P_WEB"
}

# webmail_browse SCRIPT ARGS...: run a Playwright script against RC_URL
# (bounded: 300 s); Chromium's own messages go to the caller's stderr.
webmail_browse() {
	DEBUG=pw:browser HOME=$SB NODE_PATH=$TERN_NODE_DIR/node_modules CHROMIUM=$CHROMIUM \
	    RC_URL=$RC_URL timeout -k 5 300 node "$@"
}

# webmail_imap_clean NAME: tern answered every command that instance sent
# with OK (no tagged NO or BAD in Roundcube's IMAP log).
webmail_imap_clean() {
	[ -s "$SB/rc-$1/logs/imap.log" ] &&
	    ! grep -Eq '\] S: A[0-9]+ (NO|BAD) ' "$SB/rc-$1/logs/imap.log"
}

# webmail_clean_logs NAME: Roundcube's and PHP's own error logs for that
# instance have nothing from this run.
webmail_clean_logs() {
	! grep -sEi 'fatal|PHP (Warning|Error)|IMAP Error|SMTP Error|DB Error' \
	    "$SB/rc-$1/logs/errors.log" "$SB/rc-$1/logs/php.log"
}
