/*
 * imapd_session.c - the post-auth worker of tern-imapd: exec'd by the
 * monitor as the account's uid, its cwd the account's Maildir, the client
 * channel (relayed by the pre-auth child) on descriptors 0 and 1.  It
 * holds no TLS key and reads no configuration: its settings come in the
 * environment (LOGIN_USER, LOGIN_TAG, IMAP_TIMEOUT, IMAP_IDLE_TIMEOUT,
 * IMAP_LITERAL_MAX, IMAP_SEPARATOR, IMAP_VANISHED_MAX).
 *
 * It answers the LOGIN/AUTHENTICATE that logged in (tagged OK with the
 * capabilities), then serves the authenticated and selected states
 * (RFC 3501 6.3, 6.4) one command at a time.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/log.h"
#include "lib/sbuf.h"
#include "lib/scan.h"
#include "lib/sock.h"

#include "imapd/imapd.h"

/* Counting I/O on the channel (a socket pair: recv/send never block). */
struct chan {
	uint64_t	 in, out;
};

static ssize_t
chan_read(void *ctx, void *buf, size_t n)
{
	struct chan *c = ctx;
	ssize_t r = recv(0, buf, n, MSG_DONTWAIT);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return BIO_WANT_READ;
	if (r > 0)
		c->in += (uint64_t)r;
	return r;
}

static ssize_t
chan_write(void *ctx, const void *buf, size_t n)
{
	struct chan *c = ctx;
	ssize_t r = send(1, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);

	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return BIO_WANT_WRITE;
	if (r > 0)
		c->out += (uint64_t)r;
	return r;
}

static struct chan chan;

int
imap_out(struct imap *s, const char *fmt, ...)
{
	va_list ap;
	int r;

	sbuf_reset(&s->line);
	va_start(ap, fmt);
	r = sbuf_vprintf(&s->line, fmt, ap);
	va_end(ap);
	if (r < 0 || bio_write(s->b, s->line.s, s->line.len) < 0 ||
	    bio_puts(s->b, "\r\n") < 0)
		return -1;
	return 0;
}

int
imap_tagged(struct imap *s, const char *what, const char *fmt, ...)
{
	va_list ap;
	int r;

	sbuf_reset(&s->line);
	r = sbuf_printf(&s->line, "%s %s ", s->tag, what);
	va_start(ap, fmt);
	if (r == 0)
		r = sbuf_vprintf(&s->line, fmt, ap);
	va_end(ap);
	if (r < 0 || bio_write(s->b, s->line.s, s->line.len) < 0 ||
	    bio_puts(s->b, "\r\n") < 0 || bio_flush(s->b) < 0)
		return -1;
	return 0;
}

int
imap_reply(struct imap *s, const char *what, const char *fmt, ...)
{
	va_list ap;
	int r;

	sbuf_reset(&s->resp);
	r = sbuf_printf(&s->resp, "%s ", what);
	va_start(ap, fmt);
	if (r == 0)
		r = sbuf_vprintf(&s->resp, fmt, ap);
	va_end(ap);
	if (r < 0) {
		sbuf_reset(&s->resp);
		(void)sbuf_cat_s(&s->resp, "NO [SERVERBUG] Response too long");
	}
	return 0;
}

int
imap_bad(struct imap *s, const char *why)
{
	s->errors++;
	return imap_reply(s, "BAD", "%s", why);
}

int
imap_no(struct imap *s, const char *why)
{
	return imap_reply(s, "NO", "%s", why);
}

int
imap_ok(struct imap *s, const char *cmdname)
{
	s->errors = 0;
	return imap_reply(s, "OK", "%s completed", cmdname);
}

int
imap_no_errno(struct imap *s, const char *what)
{
	int e = errno;

	switch (e) {
	case ENOENT:
		return imap_reply(s, "NO", "[NONEXISTENT] %s: no such "
		    "mailbox", what);
	case EEXIST:
		return imap_reply(s, "NO", "[ALREADYEXISTS] %s: mailbox "
		    "already exists", what);
	case EINVAL:
		return imap_reply(s, "NO", "[CANNOT] %s: invalid mailbox "
		    "name", what);
	case EPERM:
	case EACCES:
		return imap_reply(s, "NO", "[NOPERM] %s: not permitted", what);
	case ENOTEMPTY:
		return imap_reply(s, "NO", "[INUSE] %s: mailbox has children",
		    what);
	case EROFS:
		return imap_reply(s, "NO", "[READ-ONLY] %s: mailbox is "
		    "read-only", what);
	case EDQUOT:
		return imap_reply(s, "NO", "[OVERQUOTA] %s: quota exceeded",
		    what);
	case ENOSPC:
		return imap_reply(s, "NO", "[LIMIT] %s: no room left", what);
	case E2BIG:
		return imap_reply(s, "NO", "[LIMIT] %s: too big", what);
	default:
		log_warn("account=%s %s: %s", log_esc_s(s->user), what,
		    strerror(e));
		return imap_reply(s, "NO", "[SERVERBUG] %s failed", what);
	}
}

static int64_t
env_ms(const char *name, int64_t dflt)
{
	const char *v = getenv(name);
	uint64_t n;

	if (v == NULL || scan_u64_s(v, &n) < 0 || n == 0 || n > INT32_MAX)
		return dflt;
	return (int64_t)n;
}

static void
env_settings(struct imap *s)
{
	const char *v;
	uint64_t n;

	s->timeout_ms = env_ms("IMAP_TIMEOUT", IMAP_TIMEOUT_DEFAULT);
	s->idle_ms = env_ms("IMAP_IDLE_TIMEOUT", IMAP_TIMEOUT_DEFAULT);
	s->literal_max = IMAP_LITERAL_DEFAULT;
	if ((v = getenv("IMAP_LITERAL_MAX")) != NULL &&
	    scan_u64_s(v, &n) == 0 && n > 0 && n <= UINT32_MAX)
		s->literal_max = n;
	s->sep = '/';
	if ((v = getenv("IMAP_SEPARATOR")) != NULL && strcmp(v, ".") == 0)
		s->sep = '.';
}

static int
tag_from_env(struct imap *s)
{
	const char *t = getenv("LOGIN_TAG");
	size_t n;

	if (t == NULL || (n = strlen(t)) == 0 || n > IMAP_TAG_MAX ||
	    imapd_tag_len(t, n) != n)
		return -1;
	memcpy(s->tag, t, n + 1);
	return 0;
}

static void
serve(struct imap *s)
{
	enum imapd_rd st;

	while (!s->done) {
		if (s->errors >= IMAP_ERRORS_MAX) {
			(void)imap_out(s, "* BYE Too many errors");
			break;
		}
		if (bio_flush(s->b) < 0)
			break;
		st = imapd_read_cmd(&s->rd, &s->cmd);
		if (st == RD_BAD) {
			s->errors++;
			continue;
		}
		if (st == RD_ERR && errno == ETIMEDOUT) {
			(void)imap_out(s, "* BYE Autologout; idle for too "
			    "long");
			log_info("autologout account=%s", log_esc_s(s->user));
			break;
		}
		if (st != RD_OK)
			break;
		if (imap_dispatch(s) < 0)
			break;
	}
	(void)bio_flush(s->b);
}

int
imap_worker(void)
{
	static struct imap s;
	const char *ip = getenv("TCPREMOTEIP");

	if (ip == NULL || sock_ip_text_valid(ip, strlen(ip)) != 1)
		ip = "-";
	s.user = getenv("LOGIN_USER");
	if (s.user == NULL || s.user[0] == '\0')
		die(EXIT_PERM, "worker: no LOGIN_USER (run by the monitor "
		    "only)");
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "worker: refusing to run as root");
	if (tag_from_env(&s) < 0)
		die(EXIT_PERM, "worker: no valid LOGIN_TAG");
	env_settings(&s);
	if ((s.b = bio_new(0, 1)) == NULL)
		die_sys(EXIT_TEMP, "bio_new");
	bio_set_ops(s.b, &chan, chan_read, chan_write, NULL);
	bio_set_timeout(s.b, s.timeout_ms, s.timeout_ms);
	sbuf_init(&s.line, BIO_PRINTF_MAX);
	sbuf_init(&s.resp, BIO_PRINTF_MAX);
	imapp_cmd_init(&s.pc);
	sbuf_init(&s.cmd, IMAP_CMD_MAX + (size_t)s.literal_max +
	    IMAP_LINE_MAX);
	s.rd.b = s.b;
	s.rd.line_max = IMAP_LINE_MAX;
	s.rd.literal_max = s.literal_max;
	s.rd.cmd_max = IMAP_CMD_MAX;
	if (imap_account_open(&s) < 0) {
		(void)imap_tagged(&s, "NO", "[UNAVAILABLE] Cannot open the "
		    "mailbox");
		bio_free(&s.b);
		return EXIT_OK;
	}
	log_info("login account=%s ip=%s uid=%lu", log_esc_s(s.user),
	    ip, (unsigned long)getuid());
	if (imap_tagged(&s, "OK", "[CAPABILITY " IMAP_CAPA_AUTHED "] "
	    "Logged in", IMAP_CAPA_ARG(&s)) == 0)
		serve(&s);
	imap_account_close(&s);
	log_info("logout account=%s ip=%s in=%llu out=%llu",
	    log_esc_s(s.user), ip, (unsigned long long)chan.in,
	    (unsigned long long)chan.out);
	sbuf_fini(&s.line);
	sbuf_fini(&s.resp);
	sbuf_fini(&s.cmd);
	imapp_cmd_fini(&s.pc);
	bio_free(&s.b);
	return EXIT_OK;
}
