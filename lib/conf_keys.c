/*
 * conf_keys.c - the schema of tern.conf: every key, its type, its default
 * and one line saying what it does.  One entry per line, grouped by role;
 * conf.5 lists the same keys (keep them in step).  "*.attr" declares a
 * service key "<service>.attr".  ${conf_dir} is built in (not a key).
 */
#include <stddef.h>

#include "lib/conf.h"

#ifndef TERN_SBINDIR
#define TERN_SBINDIR "/usr/local/sbin"
#endif

const struct conf_key conf_keys[] = {
	/* Host identity and roles. */
	{ "hostname", CONF_STR, "", "host name in greetings and Received lines (empty: gethostname)" },
	{ "roles", CONF_LIST, "all", "roles of this host: mx storage front submission all" },
	{ "services", CONF_LIST, "", "services this host runs (started by tern-supervise), in order" },
	{ "log", CONF_STR, "syslog", "where programs log: syslog or stderr" },

	/* Folders. */
	{ "map_dir", CONF_PATH, "${conf_dir}", "folder of the maps (*.cdb)" },
	{ "queue_dir", CONF_PATH, "/var/spool/tern", "the mail queue" },
	{ "mail_dir", CONF_PATH, "/var/mail/tern", "root of the hashed Maildirs" },
	{ "run_dir", CONF_PATH, "/run/tern", "sockets, FIFOs, pid and lock files" },
	{ "program_dir", CONF_PATH, TERN_SBINDIR, "where tern-supervise finds programs named without a slash" },

	/* Queue. */
	{ "message_size_limit", CONF_SIZE, "50M", "largest message tern-enqueue accepts, in bytes (k/M/G)" },
	{ "queue_lifetime", CONF_DURATION, "5d", "how long tern-qmgr retries a message before it bounces" },
	{ "queue_retry_schedule", CONF_LIST, "1m 5m 15m 30m 1h 2h 4h", "waits between delivery attempts; the last one repeats" },
	{ "queue_rescan_interval", CONF_DURATION, "5m", "how often tern-qmgr rescans the whole queue" },
	{ "qmgr_concurrency", CONF_UINT, "20", "most message deliveries tern-qmgr runs at once" },
	{ "double_bounce_to", CONF_STR, "", "where a failed bounce goes (empty: postmaster of the first local domain)" },
	{ "lspawn_socket", CONF_PATH, "${run_dir}/lspawn.sock", "Unix socket of tern-lspawn, the local delivery launcher" },
	/* enqueue service (tern-enqueue -S) */
	{ "enqueue_socket", CONF_PATH, "${run_dir}/enqueue/socket", "Unix socket of the tern-enqueue service; its folder admits only tern-smtpd's group, and without the socket tern-smtpd executes tern-enqueue" },

	/* Remote delivery (tern-remote, and tern-qmgr choosing its next hop). */
	{ "relay_host", CONF_STR, "", "next hop for every remote recipient without a route: smtp:[host]:port, smtp:host, lmtp:host:port (empty: MX)" },
	{ "remote_tls", CONF_STR, "may", "TLS policy of remote domains without a tls_policy entry: none may must verify" },
	{ "tls_policy", CONF_LIST, "", "per-domain TLS policy, DOMAIN:POLICY words (POLICY none may must verify)" },
	{ "remote_ca_file", CONF_STR, "", "PEM bundle tern-remote trusts to verify servers (empty: the system store)" },
	{ "remote_helo_name", CONF_STR, "", "name tern-remote sends in EHLO (empty: hostname)" },
	{ "remote_connect_timeout", CONF_DURATION, "30s", "wait for a TCP connection to a remote server" },
	{ "remote_command_timeout", CONF_DURATION, "5m", "wait for the greeting and each reply to EHLO, MAIL, RCPT (RFC 5321 4.5.3.2)" },
	{ "remote_data_timeout", CONF_DURATION, "3m", "wait for the reply to DATA and for each block of the message to be sent (RFC 5321 4.5.3.2)" },
	{ "remote_data_done_timeout", CONF_DURATION, "10m", "wait for the reply after the final dot (RFC 5321 4.5.3.2.6)" },
	{ "remote_concurrency", CONF_UINT, "20", "most tern-remote processes to one destination at once (0: no limit)" },
	/* The remote delivery service (tern-remote -S, relay1). */
	{ "remote_socket", CONF_PATH, "${run_dir}/remote-svc/socket", "Unix socket of the tern-remote service (run as user); its folder admits only the queue user, and without the socket tern-qmgr executes tern-remote as the queue user" },
	/* Connection reuse (tern-remote, relay helper). */
	{ "remote_idle_time", CONF_DURATION, "2s", "how long tern-remote keeps its connection and waits for the next message to the same destination (0: one message per process)" },

	/* SMTP server (tern-smtpd). */
	{ "smtpd_recipient_limit", CONF_UINT, "1000", "most recipients per message (RFC 5321 4.5.3.1.8 asks at least 100)" },
	{ "smtpd_hard_error_limit", CONF_UINT, "20", "errors per session before 421 and close (0: no limit)" },
	{ "hop_count_limit", CONF_UINT, "50", "most Received: fields in a message before 554 5.4.6 (mail loop)" },
	{ "smtpd_timeout", CONF_DURATION, "5m", "wait for a command (RFC 5321 4.5.3.2.7)" },
	{ "smtpd_data_timeout", CONF_DURATION, "3m", "wait for each block of DATA or BDAT (RFC 5321 4.5.3.2.5)" },
	{ "smtpd_data_done_timeout", CONF_DURATION, "10m", "wait for the queue after the final dot (RFC 5321 4.5.3.2.6)" },
	{ "smtpd_session_limit", CONF_DURATION, "1h", "longest SMTP session (0: no limit)" },

	/* Users. */
	{ "user", CONF_STR, "tern", "unprivileged user of the network-facing programs" },
	{ "queue_user", CONF_STR, "ternq", "owner of the queue (tern-enqueue, tern-qmgr)" },
	{ "auth_user", CONF_STR, "ternauth", "user of tern-authd, the only reader of password hashes" },
	{ "login_user", CONF_STR, "ternlogin", "user of the pre-auth IMAP/POP3 processes" },
	{ "account_uid_min", CONF_UINT, "100000", "lowest uid given to a mail account" },
	{ "account_uid_max", CONF_UINT, "1999999", "highest uid given to a mail account" },

	/* Local delivery (tern-lspawn, tern-local). */
	{ "local_concurrency", CONF_UINT, "20", "most tern-local processes tern-lspawn runs at once" },
	{ "local_timeout", CONF_DURATION, "10m", "a tern-local running longer is killed (the delivery is deferred)" },
	{ "quota_exceeded", CONF_STR, "defer", "a delivery over quota is deferred (defer) or bounced (bounce)" },
	{ "sis_min_size", CONF_SIZE, "64k", "smallest message stored once and hard-linked to 2 or more local recipients" },
	/* smtpperf: tern-lspawn delivers in its forked child, no exec. */
	{ "local_exec", CONF_BOOL, "no", "yes: tern-lspawn execs program_dir/tern-local for each delivery instead of delivering in its forked child (a stand-in delivery program)" },

	/* Addresses and authentication. */
	{ "recipient_delimiter", CONF_STR, "+", "separates a local part from its extension (user+ext)" },
	{ "password_scheme", CONF_STR, "yescrypt", "hash for new passwords: yescrypt or sha512-crypt" },
	{ "allow_plain_passwords", CONF_BOOL, "no", "allow AUTH PLAIN/LOGIN and USER/PASS without TLS" },

	/* Login path and POP3 (tern-pop3d; doc/login.md). */
	{ "login_plaintext_networks", CONF_LIST, "127.0.0.0/8 ::1/128", "client networks allowed to send passwords before TLS (USER/PASS, AUTH PLAIN)" },
	{ "login_timeout", CONF_DURATION, "1m", "longest pre-authentication phase of an IMAP/POP3 session" },
	{ "login_max_failures", CONF_UINT, "3", "failed logins per connection before it is closed" },
	{ "pop3_timeout", CONF_DURATION, "10m", "idle time before a POP3 session is closed (RFC 1939 3: at least 10 minutes)" },
	{ "pop3_expire", CONF_STR, "", "advertised EXPIRE capability (RFC 2449 6.7): days, NEVER, or empty for none" },
	{ "pop3_login_delay", CONF_DURATION, "0", "advertised LOGIN-DELAY capability in seconds (RFC 2449 6.8); 0: none" },

	/* IMAP (tern-imapd; tern-imapd(8)). */
	{ "imap_timeout", CONF_DURATION, "30m", "idle time before an IMAP session is logged out (RFC 3501 5.4: at least 30 minutes)" },
	{ "imap_idle_timeout", CONF_DURATION, "30m", "longest IDLE before the server closes the session" },
	{ "imap_literal_max", CONF_SIZE, "64M", "largest IMAP literal (an APPENDed message); a bigger one is refused unread" },
	{ "imap_hierarchy_separator", CONF_STR, "/", "IMAP hierarchy separator: / or ." },
	/* IMAP CONDSTORE/QRESYNC (tern-imapd; doc/mstore.md). */
	{ "imap_vanished_max", CONF_UINT, "10000", "expunged UID ranges each folder remembers for QRESYNC (1 to 1000000); older expunges get a conservative answer" },

	/* Authentication daemon (tern-authd). */
	{ "auth_socket", CONF_PATH, "${run_dir}/authd.sock", "Unix socket of tern-authd (the password checker)" },
	{ "auth_workers", CONF_UINT, "4", "processes tern-authd runs to check password hashes in parallel" },
	{ "auth_max_clients", CONF_UINT, "256", "most connections tern-authd serves at once (more wait in the backlog)" },
	{ "auth_timeout", CONF_DURATION, "10s", "a tern-authd client that has not sent a whole request by then is dropped" },
	{ "auth_fail_window", CONF_DURATION, "15m", "how long tern-authd remembers a failed login (sliding window)" },
	{ "auth_fail_delay_max", CONF_DURATION, "15s", "longest delay before a failure answer (1s, 2s, 4s ... up to this)" },
	{ "auth_fail_limit_ip", CONF_UINT, "20", "failures from one client IP within the window before answers are THROTTLED" },
	{ "auth_fail_limit_account", CONF_UINT, "10", "failures for one account within the window before answers are THROTTLED" },
	{ "auth_known_ip_time", CONF_DURATION, "30d", "how long a client IP an account logged in from is spared that account's failure limit (0: never)" },
	{ "auth_throttle_exempt", CONF_LIST, "", "client IPs or networks (CIDR) not counted or throttled per IP" },
	{ "auth_allow_plaintext", CONF_LIST, "${login_plaintext_networks}", "client networks (CIDR) tern-authd accepts passwords from without TLS (by default the front ends' rule)" },

	/* Submission (tern-smtpd -m submission|submissions) and tern-sendmail. */
	{ "submission_sender_check", CONF_LIST, "envelope header", "which senders of an authenticated client must belong to its account: envelope header (both), or none" },
	{ "submission_null_sender", CONF_BOOL, "no", "accept MAIL FROM:<> from an authenticated client" },
	{ "submission_rate_limit", CONF_UINT, "500", "messages per hour per authenticated account, over all connections (0: no limit)" },
	{ "submission_rate_dir", CONF_PATH, "${run_dir}/submit", "the per-account counter files of submission_rate_limit" },
	{ "sendmail_origin", CONF_STR, "", "domain of local senders and of bare recipient names in tern-sendmail (empty: hostname)" },

	/* TLS. */
	{ "tls_cert", CONF_PATH, "${conf_dir}/tls/cert.pem", "TLS certificate chain (PEM)" },
	{ "tls_key", CONF_PATH, "${conf_dir}/tls/key.pem", "TLS private key (PEM)" },

	/* IMAP/POP3 proxy (tern-proxy, doc/proxy.md) and its backends. */
	{ "login_trusted_proxies", CONF_LIST, "", "front ends (tern-proxy) whose master logins and client IPs tern-imapd, tern-pop3d and tern-authd accept (CIDR)" },
	{ "proxy_user", CONF_STR, "", "user tern-proxy's backend side runs as (holds the master secret; never an account); empty: user" },
	{ "proxy_master_user", CONF_STR, "tern-proxy", "master identity tern-proxy logs in to backends with (AUTHENTICATE PLAIN authcid)" },
	{ "proxy_master_secret_file", CONF_PATH, "${conf_dir}/proxy.secret", "the master secret, one line (mode 0600 root): read as root by tern-proxy and tern-authd" },
	{ "proxy_imap_port", CONF_UINT, "143", "backend port tern-proxy connects to for IMAP" },
	{ "proxy_pop3_port", CONF_UINT, "110", "backend port tern-proxy connects to for POP3" },
	{ "proxy_backend_ports", CONF_LIST, "", "per-backend ports, HOST=IMAPPORT/POP3PORT words (override proxy_imap_port/proxy_pop3_port)" },
	{ "proxy_backend_tls", CONF_BOOL, "no", "yes: tern-proxy speaks TLS from the first byte to backends (give it their 993/995 ports)" },
	{ "proxy_backend_ca_file", CONF_STR, "", "PEM bundle tern-proxy verifies backends against with proxy_backend_tls (empty: the system store)" },
	{ "proxy_source_ip", CONF_STR, "", "local address tern-proxy connects to backends from (empty: the kernel's choice)" },
	{ "proxy_connect_timeout", CONF_DURATION, "10s", "longest wait for a backend's connection, its TLS handshake, and its whole login conversation (each)" },

	/* DKIM signing (lib/dkim, tern-dkim, tern-remote). */
	{ "dkim_sign", CONF_BOOL, "yes", "sign outgoing mail whose From domain has a key in dkim_key_dir" },
	{ "dkim_key_dir", CONF_PATH, "${conf_dir}/dkim", "DKIM private keys, one file per domain: DOMAIN.SELECTOR.key (mode 0600)" },
	{ "dkim_selector", CONF_STR, "default", "DKIM selector (s=) used for every domain; the key file name carries it" },

	/* Moving accounts between storage hosts (tern-user move; doc/move.md). */
	{ "move_command", CONF_STR, "/usr/bin/ssh %h tern-user receive %a", "command tern-user move streams the Maildir into (%h: the new host, %a: the address), run without a shell" },
	{ "maps_publish_command", CONF_STR, "", "command tern-user move runs after each recompile to copy the maps to every host (empty: none; doc/move.md)" },
	{ "move_quiesce_timeout", CONF_DURATION, "1m", "how long tern-user move waits for the account's deliveries and sessions to end" },

	/* Services: "<service>.<attr>", run when named in "services". */
	{ "*.listen", CONF_LIST, "", "addresses to listen on: 127.0.0.1:25 [::1]:25 (tcp services)" },
	{ "*.program", CONF_STR, "", "program to run (a name without '/' is looked up in program_dir)" },
	{ "*.args", CONF_STR, "", "arguments for the program, split at blanks" },
	{ "*.user", CONF_STR, "${user}", "user the service starts as" },
	{ "*.type", CONF_STR, "tcp", "tcp (one process per connection) or daemon (one long-running process)" },
	{ "*.max_connections", CONF_UINT, "100", "most connections served at once" },
	{ "*.max_per_ip", CONF_UINT, "50", "most connections served at once from one client address" },
	{ "*.max_per_ip_exempt", CONF_LIST, "", "client networks max_per_ip does not apply to (front ends, webmail hosts)" },
	{ "*.refuse", CONF_STR, "", "line written to a client refused over a limit (empty: just close)" },
	{ "*.restart_delay", CONF_DURATION, "1s", "wait before restarting a daemon that exited" },
	{ "*.enable", CONF_BOOL, "yes", "no: defined but not started" },
	{ "*.forkserver", CONF_STR, "auto", "yes: start the program once and fork it per connection instead of an exec each (tcp services whose program supports it: tern-smtpd, tern-imapd, tern-pop3d, tern-proxy); no: an exec per connection; auto: yes for those programs" },

	/* Sessions per account and client address (lib/userip, the login
	 * monitor: tern-login(8)). */
	{ "*.max_userip_connections", CONF_UINT, "10", "most sessions one account may have open at once from one client address, IMAP and POP3 apart (tern-imapd, tern-pop3d; 0: no limit)" },

	{ NULL, CONF_STR, NULL, NULL }
};
