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
	php -m 2>/dev/null | grep -qx pdo_sqlite || skip_all "PHP has no pdo_sqlite (roundcube-sqlite3)"
	[ -x "$CHROMIUM" ] || skip_all "chromium is not installed (Debian package chromium)"
	command -v node >/dev/null || skip_all "node is not installed"
	[ -f "$TERN_NODE_DIR/node_modules/playwright-core/package.json" ] ||
	    skip_all "playwright-core is not in $TERN_NODE_DIR (mk/deps.sh check installs it with npm)"
}

# webmail_start: after e2e_start; sets P_WEB, RC_URL.
webmail_start() {
	P_WEB=$(free_port)
	RC_URL=http://127.0.0.1:$P_WEB
	sh "$TERN_SRC/conf/webmail/install-roundcube" --no-install \
	    --imap "ssl://127.0.0.1:$((PB + 993))" \
	    --smtp "tls://127.0.0.1:$((PB + 587))" \
	    --cafile "$H/tls/cert.pem" --peer-name localhost \
	    --config-dir "$SB/rc/config" --data-dir "$SB/rc" \
	    --owner "$(id -un)" --product "tern test webmail" \
	    >>"$SB/rc-install.log" 2>&1 || return 1
	# PHP's server: a few workers (Roundcube's page and its
	# XMLHttpRequests overlap); logs to a file in the sandbox.
	( cd "$RC_ROOT" && ROUNDCUBE_CONFIG_DIR=$SB/rc/config \
	    PHP_CLI_SERVER_WORKERS=3 exec php -d display_errors=0 \
	    -d log_errors=1 -d "error_log=$SB/rc/logs/php.log" \
	    -d "session.save_path=$SB/rc/temp" \
	    -S "127.0.0.1:$P_WEB" -t "$RC_ROOT" ) >>"$SB/php-server.log" 2>&1 &
	track $!
	wait_port "$P_WEB" || wait_port "$P_WEB"
}

# webmail_browse SCRIPT ARGS...: run a Playwright script (bounded: 150 s).
webmail_browse() {
	HOME=$SB NODE_PATH=$TERN_NODE_DIR/node_modules CHROMIUM=$CHROMIUM \
	    RC_URL=$RC_URL timeout -k 5 150 node "$@"
}

# Roundcube's and PHP's own error logs: nothing from this run.
webmail_clean_logs() {
	! grep -sEi 'fatal|PHP (Warning|Error)|IMAP Error|SMTP Error|DB Error' \
	    "$SB/rc/logs/errors.log" "$SB/rc/logs/php.log"
}
