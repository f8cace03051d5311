/*
 * remote_smtp.c - one request to its next hop: find the hosts (routes
 * were applied by qmgr; MX here), connect, EHLO/LHLO, STARTTLS per policy,
 * MAIL, RCPT, DATA (MAIL, the RCPTs and DATA in one group when PIPELINING
 * is offered: RFC 2920), the message, QUIT; one result per recipient.  The server's replies are hostile input: lib/smtpc reads
 * them, and only their code decides.
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "lib/bio.h"
#include "lib/dns.h"
#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maps.h"
#include "lib/qid.h"
#include "lib/remote.h"
#include "lib/sbuf.h"
#include "lib/smtp_reply.h"
#include "lib/smtpc.h"
#include "lib/smtpp.h"
#include "lib/sock.h"
#include "lib/tls.h"

#include "remote/remote_int.h"

#define DIAG_MAX	REMOTE_DIAG_MAX
#define TLSINFO_MAX	512
#define RMT_DSN_PARAM_MAX	(16 + 7 + 3 * ENV_ENVID_MAX)	/* RET, ENVID */

/* What a session attempt tells the host loop. */
enum sess_outcome {
	SESS_DONE = 0,		/* every recipient has its result */
	SESS_NEXT,		/* try the next address or host */
	SESS_PLAIN		/* TLS failed under "may": same address, clear */
};

struct sess {
	const struct rmt_conf *rc;
	const struct remote_req *req;
	struct remote_result *res;
	int		*accepted;	/* RCPT accepted in this session */
	int		 msgfd;
	int		 is_lmtp;
	int		 lost;		/* the connection cannot be used again */
	int		 txn_open;	/* MAIL taken, no end-of-data reply yet */
	int		 reused;	/* kept, no RSET: until MAIL's reply */
	int		 data_sent;	/* DATA went with the envelope: its
					 * reply is in r once envelope() ends */
	struct rmt_keep	*keep;		/* NULL: close every connection */
	uint64_t	 size;
	const char	*host;		/* the host name connected to */
	char		 relay[REMOTE_RELAY_MAX + 1];
	char		 last[DIAG_MAX + 1];	/* why the last host failed */
	int		 last_perm;	/* that failure was permanent */
	int		 loop;		/* the host is this host: s->last */
	const char	*dest;		/* the next hop's host, for logs */
	struct sbuf	 tlsinfo;
	int		 fd;
	struct bio	*b;
	struct tls_conn	*tc;
	struct smtp_reply r;
	struct smtp_caps caps;
};

/* A connection kept between requests (remote_int.h). */
struct rmt_keep {
	int		 fd;		/* -1: none kept */
	struct bio	*b;
	struct tls_conn	*tc;
	struct smtp_caps caps;
	int		 is_lmtp;
	int		 txn_open;	/* the last transaction left open */
	enum remote_tls	 tls;
	char		 hop[REMOTE_HOP_MAX + 1];
	char		 host[DNS_NAME_MAX + 1];
	char		 relay[REMOTE_RELAY_MAX + 1];
	struct sbuf	 tlsinfo;
	unsigned	 uses;		/* transactions sent over it */
};

/* Diagnostics. */

/* Format a diagnostic, cut to DIAG_MAX bytes (a cut is harmless here). */
static void __attribute__((format(printf, 2, 3)))
diagf(char out[DIAG_MAX + 1], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(out, DIAG_MAX + 1, fmt, ap) < 0)
		out[0] = '\0';
	va_end(ap);
}

static void
set_all(struct sess *s, enum remote_status st, const char *diag)
{
	size_t i;

	for (i = 0; i < s->req->nrcpt; i++)
		remote_result_set(&s->res[i], st, s->relay, diag);
}

/* Results not yet final (never accepted, never refused) get diag. */
static void
set_open(struct sess *s, enum remote_status st, const char *diag)
{
	size_t i;

	for (i = 0; i < s->req->nrcpt; i++)
		if (s->res[i].status == REMOTE_DEFER && s->res[i].diag[0] ==
		    '\0')
			remote_result_set(&s->res[i], st, s->relay, diag);
}

/* "X.Y.Z host H[ip] said: CODE text (in reply to CMD)" from s->r. */
static void
reply_diag(struct sess *s, const char *cmd, char out[DIAG_MAX + 1])
{
	char text[DIAG_MAX + 1], def[8];
	size_t i;

	(void)strlcpy(text, sbuf_str(&s->r.text) ? sbuf_str(&s->r.text) : "",
	    sizeof(text));
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\n')
			text[i] = ' ';
	def[0] = (char)('0' + s->r.code / 100);
	(void)strlcpy(def + 1, ".0.0", sizeof(def) - 1);
	diagf(out, "%s host %s said: %d %s (in reply "
	    "to %s)", s->r.enh.present ? s->r.enh.str : def, s->relay,
	    s->r.code, text, cmd);
}

static void
fail_next(struct sess *s, const char *diag)
{
	(void)strlcpy(s->last, diag, sizeof(s->last));
	s->last_perm = 0;
}

/* Connection. */

static int
connect_to(struct sess *s, const struct sock_addr *a, const char **why_r)
{
	socklen_t len = sizeof(int);
	int fd, err = 0, one = 1;

	fd = socket(sock_family(a), SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*why_r = "socket";
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&a->ss, a->len) < 0 &&
	    errno != EINPROGRESS) {
		*why_r = "connect";
		goto bad;
	}
	if (io_wait(fd, POLLOUT, io_deadline_ms(s->rc->connect_ms)) < 0) {
		*why_r = "connect";
		goto bad;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
		if (err != 0)
			errno = err;
		*why_r = "connect";
		goto bad;
	}
	if (io_set_nonblock(fd, 0) < 0) {
		*why_r = "fcntl";
		goto bad;
	}
	/*
	 * Every write is a whole unit already (the bio flushes commands
	 * only before it reads their replies, and the message's last chunk
	 * goes with its end of data): do not let Nagle hold the last small
	 * segment of a message until the server's (maybe delayed) ACK of
	 * the one before.  A failure (not TCP) changes nothing else.
	 */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	s->fd = fd;
	return 0;
bad:
	err = errno;
	(void)close(fd);
	errno = err;
	return -1;
}

static void
hangup(struct sess *s)
{
	tls_conn_free(&s->tc);
	bio_free(&s->b);
	if (s->fd >= 0)
		(void)close(s->fd);
	s->fd = -1;
}

/* Flush and read one reply: 0, or -1 (the session is lost). */
static int
reply(struct sess *s, int64_t timeout_ms, const char *what,
    char lost[DIAG_MAX + 1])
{
	const char *why = "write error";

	bio_set_timeout(s->b, timeout_ms, timeout_ms);
	if (bio_flush(s->b) == 0 && smtpc_read_reply(s->b, &s->r, &why) == 0) {
		if (s->r.code == 421)	/* the server closes: no reuse */
			s->lost = 1;
		return 0;
	}
	s->lost = 1;
	diagf(lost, "4.4.2 %s with %s while waiting "
	    "for the reply to %s: %s", errno == ETIMEDOUT ? "timeout" :
	    "lost connection", s->relay, what, why);
	return -1;
}

static void
quit(struct sess *s)
{
	const char *why;

	if (s->b == NULL)
		return;
	bio_set_timeout(s->b, RMT_QUIT_MS, RMT_QUIT_MS);
	if (bio_puts(s->b, "QUIT\r\n") == 0 && bio_flush(s->b) == 0)
		(void)smtpc_read_reply(s->b, &s->r, &why);
	if (s->tc != NULL)
		(void)tls_shutdown(s->tc, RMT_QUIT_MS);
}

/* The opening: greeting, EHLO (HELO), STARTTLS. */

/*
 * A greeting or EHLO reply that names this host (SMTP only): the mail
 * would loop (Postfix: "mail for X loops back to myself").  1 (s->loop
 * and s->last set), or 0.
 */
static int
greeted_by_self(struct sess *s, const char *what)
{
	const char *name;
	size_t n = s->r.text.len;

	if (s->is_lmtp || n == 0 ||
	    (name = rmt_self_name(&s->rc->self, s->r.text.s, n)) == NULL)
		return 0;
	diagf(s->last, "5.4.6 mail for %s loops back to myself (host %s %s "
	    "with my own hostname %s)", s->dest, s->relay, what, name);
	log_warn("%s %s", s->req->qid, log_esc_s(s->last));
	s->last_perm = 1;
	s->loop = 1;
	return 1;
}

static int
hello(struct sess *s, char diag[DIAG_MAX + 1])
{
	const char *verb = s->is_lmtp ? "LHLO" : "EHLO";

	memset(&s->caps, 0, sizeof(s->caps));
	if (bio_printf(s->b, "%s %s\r\n", verb, s->rc->helo) < 0 ||
	    reply(s, s->rc->cmd_ms, verb, diag) < 0)
		return -1;
	if (s->r.code == 250) {
		if (greeted_by_self(s, "replied to EHLO")) {
			(void)strlcpy(diag, s->last, DIAG_MAX + 1);
			return -1;
		}
		return smtp_caps_parse(&s->r, &s->caps) < 0 ? -1 : 0;
	}
	if (s->is_lmtp) {
		reply_diag(s, verb, diag);
		return -1;
	}
	if (bio_printf(s->b, "HELO %s\r\n", s->rc->helo) < 0 ||
	    reply(s, s->rc->cmd_ms, "HELO", diag) < 0)
		return -1;
	if (s->r.code != 250) {
		reply_diag(s, "HELO", diag);
		return -1;
	}
	return 0;
}

static enum sess_outcome
starttls(struct sess *s)
{
	struct sbuf why;
	char diag[DIAG_MAX + 1];
	enum remote_tls pol = s->req->tls;
	int must = pol == REMOTE_TLS_MUST || pol == REMOTE_TLS_VERIFY;

	if (pol == REMOTE_TLS_NONE)
		return SESS_DONE;
	if ((s->caps.flags & SMTP_CAP_STARTTLS) == 0 || s->rc->tls == NULL) {
		if (!must)
			return SESS_DONE;
		diagf(diag, "4.7.4 TLS is required, "
		    "but %s by host %s", s->rc->tls == NULL ? "no TLS client "
		    "context could be made" : "STARTTLS was not offered",
		    s->relay);
		fail_next(s, diag);
		return SESS_NEXT;
	}
	if (bio_puts(s->b, "STARTTLS\r\n") < 0 ||
	    reply(s, s->rc->cmd_ms, "STARTTLS", diag) < 0) {
		fail_next(s, diag);
		return SESS_NEXT;
	}
	if (s->r.code != 220) {
		if (!must)
			return SESS_DONE;
		reply_diag(s, "STARTTLS", diag);
		diag[0] = '4';	/* a refused STARTTLS under must: defer */
		fail_next(s, diag);
		return SESS_NEXT;
	}
	sbuf_init(&why, TLS_WHY_MAX);
	s->tc = tls_client_start(s->rc->tls, s->b, s->host,
	    pol == REMOTE_TLS_VERIFY, s->rc->cmd_ms, &why);
	if (s->tc == NULL) {
		diagf(diag, "4.7.5 TLS handshake with "
		    "%s failed: %s", s->relay, sbuf_str(&why) ?
		    sbuf_str(&why) : "");
		log_warn("%s %s", s->req->qid, log_esc_s(diag));
		sbuf_fini(&why);
		fail_next(s, diag);
		return must ? SESS_NEXT : SESS_PLAIN;
	}
	sbuf_fini(&why);
	sbuf_reset(&s->tlsinfo);
	(void)tls_conn_info(s->tc, &s->tlsinfo);
	if (hello(s, diag) < 0) {
		if (!s->loop)
			fail_next(s, diag);
		return SESS_NEXT;
	}
	return SESS_DONE;
}

/* Greeting, hello and TLS: SESS_DONE when ready for MAIL. */
static enum sess_outcome
opening(struct sess *s, int plain)
{
	char diag[DIAG_MAX + 1];
	enum sess_outcome o;

	if (reply(s, s->rc->cmd_ms, "the greeting", diag) < 0) {
		fail_next(s, diag);
		return SESS_NEXT;
	}
	if (s->r.code / 100 != 2) {
		reply_diag(s, "the greeting", diag);
		fail_next(s, diag);
		return SESS_NEXT;
	}
	if (greeted_by_self(s, "greeted me"))
		return SESS_NEXT;
	if (hello(s, diag) < 0) {
		if (!s->loop)
			fail_next(s, diag);
		return SESS_NEXT;
	}
	if (plain)
		return SESS_DONE;
	o = starttls(s);
	return o;
}

/* The transaction. */

/*
 * RFC 3461 4.3, 4.4: " RET=... ENVID=xtext" for a server that offers DSN
 * (the ENVID is kept decoded and is encoded again here; only xchars
 * leave), else nothing.  0, or -1 (out of memory).
 */
static int
mail_dsn(const struct sess *s, struct sbuf *out)
{
	const struct remote_req *q = s->req;

	if ((s->caps.flags & SMTP_CAP_DSN) == 0)
		return 0;
	if (q->ret != ENV_RET_NONE && sbuf_cat_s(out,
	    q->ret == ENV_RET_HDRS ? " RET=HDRS" : " RET=FULL") < 0)
		return -1;
	if (q->envid[0] != '\0' && (sbuf_cat_s(out, " ENVID=") < 0 ||
	    smtpp_xtext_encode(q->envid, strlen(q->envid), out) < 0))
		return -1;
	return 0;
}

static int
mail_from(struct sess *s)
{
	char size[32] = "";
	struct sbuf dsn;
	int r;

	if (s->caps.flags & SMTP_CAP_SIZE)
		(void)snprintf(size, sizeof(size), " SIZE=%llu",
		    (unsigned long long)s->size);
	sbuf_init(&dsn, RMT_DSN_PARAM_MAX);
	if (mail_dsn(s, &dsn) < 0 || sbuf_str(&dsn) == NULL) {
		sbuf_fini(&dsn);
		return -1;
	}
	/*
	 * RFC 6152: an 8-bit body to a server without 8BITMIME is sent
	 * anyway, as Postfix does by default (tern-remote(8)): bouncing
	 * mail that nearly every server takes would lose more than it saves.
	 */
	r = bio_printf(s->b, "MAIL FROM:<%s>%s%s%s%s\r\n", s->req->sender,
	    size, s->req->body == ENV_BODY_8BITMIME &&
	    (s->caps.flags & SMTP_CAP_8BITMIME) ? " BODY=8BITMIME" : "",
	    (s->req->flags & ENV_F_SMTPUTF8) &&
	    (s->caps.flags & SMTP_CAP_SMTPUTF8) ? " SMTPUTF8" : "", dsn.s);
	sbuf_fini(&dsn);
	return r < 0 ? -1 : 0;
}

/* NOTIFY's value for ENV_N_* bits (RFC 3461 4.1), into out. */
static void
notify_value(unsigned bits, char *out, size_t size)
{
	static const struct {
		unsigned	 bit;
		const char	*word;
	} w[] = {
		{ ENV_N_NEVER, "NEVER" }, { ENV_N_SUCCESS, "SUCCESS" },
		{ ENV_N_FAILURE, "FAILURE" }, { ENV_N_DELAY, "DELAY" },
	};
	size_t i;

	out[0] = '\0';
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		if ((bits & w[i].bit) == 0)
			continue;
		if (out[0] != '\0')
			(void)strlcat(out, ",", size);
		(void)strlcat(out, w[i].word, size);	/* fits: 29 bytes */
	}
}

/* RFC 3461 4.1, 4.2: " NOTIFY=... ORCPT=type;xtext" for recipient i. */
static int
rcpt_to(struct sess *s, size_t i)
{
	const struct remote_dsn *d = s->req->dsn != NULL ? &s->req->dsn[i] :
	    NULL;
	char notify[40] = "";
	const char *orcpt = "";

	if (d != NULL && (s->caps.flags & SMTP_CAP_DSN) != 0) {
		if (d->notify != 0)
			notify_value(d->notify, notify, sizeof(notify));
		orcpt = d->orcpt;	/* printable ASCII (lib/remote) */
	}
	return bio_printf(s->b, "RCPT TO:<%s>%s%s%s%s\r\n", s->req->rcpt[i],
	    notify[0] != '\0' ? " NOTIFY=" : "", notify,
	    orcpt[0] != '\0' ? " ORCPT=" : "", orcpt) < 0 ? -1 : 0;
}

static void
rcpt_result(struct sess *s, size_t i)
{
	char diag[DIAG_MAX + 1];

	reply_diag(s, "RCPT TO", diag);
	if (s->r.code / 100 == 2) {
		s->accepted[i] = 1;
		return;
	}
	remote_result_set(&s->res[i], s->r.code / 100 == 5 ? REMOTE_BOUNCE :
	    REMOTE_DEFER, s->relay, diag);
}

/*
 * The reply to MAIL FROM: 0 (*mail_ok_r says if it was taken), or -1.  On
 * a kept connection reused without RSET, a 421 is the server's notice that
 * it closed the idle connection: -1 too (lost before anything was taken,
 * so the request goes over a new connection).
 */
static int
mail_reply(struct sess *s, int *mail_ok_r, char diag[DIAG_MAX + 1])
{
	int reused = s->reused;

	s->reused = 0;
	if (reply(s, s->rc->cmd_ms, "MAIL FROM", diag) < 0)
		return -1;
	if (s->r.code == 421 && reused) {
		diagf(diag, "4.4.2 %s closed the kept connection", s->relay);
		return -1;
	}
	if (s->r.code / 100 == 2) {
		*mail_ok_r = 1;
		s->txn_open = 1;
		return 0;
	}
	reply_diag(s, "MAIL FROM", diag);
	set_all(s, s->r.code / 100 == 5 ? REMOTE_BOUNCE : REMOTE_DEFER, diag);
	return 0;
}

/*
 * MAIL and every RCPT; pipelined in groups of RMT_GROUP when the server
 * offers PIPELINING (RFC 2920), else one command per reply.  With
 * PIPELINING, DATA closes the last group (as RFC 2920 3.1 allows: one
 * round trip less per message) and its reply is read after the RCPTs'
 * into s->r (s->data_sent), whatever they were: RFC 2920 3.1 has the
 * client check it even when no RCPT was taken.  -1: the session was lost
 * (diag says why); 0 otherwise (some or all recipients may have their
 * final result already).
 */
static int
envelope(struct sess *s, int *mail_ok_r, char diag[DIAG_MAX + 1])
{
	int pipe = (s->caps.flags & SMTP_CAP_PIPELINING) != 0;
	size_t i, first = 0, n = s->req->nrcpt;
	int mail_read = 0;

	*mail_ok_r = 0;
	s->data_sent = 0;
	if (mail_from(s) < 0)
		goto lost;
	if (!pipe) {
		mail_read = 1;
		if (mail_reply(s, mail_ok_r, diag) < 0)
			return -1;
		if (!*mail_ok_r)
			return 0;
	}
	for (i = 0; i < n; i++) {
		if (rcpt_to(s, i) < 0)
			goto lost;
		if (pipe && i + 1 - first < RMT_GROUP && i + 1 < n)
			continue;
		if (pipe && i + 1 == n) {
			if (bio_puts(s->b, "DATA\r\n") < 0)
				goto lost;
			s->data_sent = 1;
		}
		if (!mail_read) {
			mail_read = 1;
			if (mail_reply(s, mail_ok_r, diag) < 0)
				return -1;
		}
		for (; first <= i; first++) {
			if (reply(s, s->rc->cmd_ms, "RCPT TO", diag) < 0)
				return -1;
			if (*mail_ok_r)
				rcpt_result(s, first);
		}
		if (s->data_sent && reply(s, s->rc->data_ms, "DATA", diag) < 0)
			return -1;
		if (!*mail_ok_r)
			return 0;
	}
	return 0;
lost:
	s->lost = 1;
	diagf(diag, "4.4.2 lost connection with %s "
	    "while sending the envelope", s->relay);
	return -1;
}

/*
 * The place where the message is streamed out.  DKIM: a signer computes
 * its header here and passes it as the prefix of smtpc_send_data.
 */
static int
send_message(struct sess *s)
{
	struct smtpc_dot d;

	if (lseek(s->msgfd, 0, SEEK_SET) < 0)
		return -1;
	smtpc_dot_init(&d);
	bio_set_timeout(s->b, s->rc->data_ms, s->rc->data_ms);
	return smtpc_send_data(s->b, s->msgfd, s->rc->prefix,
	    s->rc->prefix_len, &d);
}

static void
accepted_set(struct sess *s, size_t only, enum remote_status st,
    const char *diag)
{
	size_t i;

	for (i = 0; i < s->req->nrcpt; i++)
		if (s->accepted[i] && (only == (size_t)-1 || only == i))
			remote_result_set(&s->res[i], st, s->relay, diag);
}

static void
data_reply(struct sess *s, size_t which)
{
	char diag[DIAG_MAX + 1];

	size_t i;

	reply_diag(s, "end of DATA", diag);
	accepted_set(s, which, s->r.code / 100 == 2 ? REMOTE_SENT :
	    s->r.code / 100 == 5 ? REMOTE_BOUNCE : REMOTE_DEFER, diag);
	/* Taken by a server that offers DSN: it owns NOTIFY now. */
	for (i = 0; i < s->req->nrcpt; i++)
		if (s->accepted[i] && (which == (size_t)-1 || which == i))
			s->res[i].dsn_passed = s->res[i].status ==
			    REMOTE_SENT && (s->caps.flags & SMTP_CAP_DSN) != 0;
}

/*
 * DATA went with the envelope, yet nothing is to be sent (no RCPT taken,
 * or MAIL refused): a server that answered it 354 anyway gets a lone dot
 * (RFC 2920 3.1), so that it is back in its initial state; whatever it
 * answers changes no result (each recipient has its own already).  A
 * refused DATA leaves the transaction open (RSET before the next).
 */
static void
data_abort(struct sess *s)
{
	char diag[DIAG_MAX + 1];

	s->data_sent = 0;
	if (s->r.code != 354)
		return;
	if (bio_puts(s->b, ".\r\n") < 0) {
		s->lost = 1;
		return;
	}
	if (reply(s, s->rc->done_ms, "end of DATA", diag) == 0)
		s->txn_open = 0;
}

/*
 * DATA (unless it went with the envelope: its reply is in s->r), the
 * message, the reply (one per recipient for LMTP).
 */
static void
data(struct sess *s)
{
	char diag[DIAG_MAX + 1];
	size_t i;

	if (s->data_sent)
		s->data_sent = 0;
	else if (bio_puts(s->b, "DATA\r\n") < 0) {
		s->lost = 1;
		diagf(diag, "4.4.2 lost connection with %s while sending "
		    "DATA", s->relay);
		accepted_set(s, (size_t)-1, REMOTE_DEFER, diag);
		return;
	} else if (reply(s, s->rc->data_ms, "DATA", diag) < 0) {
		accepted_set(s, (size_t)-1, REMOTE_DEFER, diag);
		return;
	}
	if (s->r.code != 354) {
		reply_diag(s, "DATA", diag);
		accepted_set(s, (size_t)-1, s->r.code / 100 == 5 ?
		    REMOTE_BOUNCE : REMOTE_DEFER, diag);
		return;
	}
	if (send_message(s) < 0) {
		s->lost = 1;
		diagf(diag, "4.4.2 lost connection "
		    "with %s while sending the message: %s", s->relay,
		    strerror(errno));
		accepted_set(s, (size_t)-1, REMOTE_DEFER, diag);
		return;
	}
	for (i = 0; i < s->req->nrcpt; i++) {
		if (!s->accepted[i])
			continue;
		if (reply(s, s->rc->done_ms, "end of DATA", diag) < 0) {
			/* SMTP: all; LMTP: this one and those after it. */
			for (; i < s->req->nrcpt; i++)
				if (s->accepted[i])
					accepted_set(s, i, REMOTE_DEFER, diag);
			return;
		}
		data_reply(s, s->is_lmtp ? i : (size_t)-1);
		if (!s->is_lmtp)
			break;
	}
	/* Every end-of-data reply read: the server has reset its state. */
	s->txn_open = 0;
}

static enum sess_outcome transaction(struct sess *);

/* One connection to one address: SESS_DONE when results are final. */
static enum sess_outcome
session(struct sess *s, const struct sock_addr *a, int plain)
{
	char ip[SOCK_IP_MAX], diag[DIAG_MAX + 1];
	const char *why = "";
	unsigned port = 0;
	enum sess_outcome o;

	if (sock_ip(a, ip, sizeof(ip), &port) < 0)
		(void)strlcpy(ip, "?", sizeof(ip));
	if (snprintf(s->relay, sizeof(s->relay), "%s[%s]:%u", s->host, ip,
	    port) < 0)
		s->relay[0] = '\0';
	sbuf_reset(&s->tlsinfo);
	s->lost = 0;
	s->txn_open = 0;
	s->reused = 0;
	if (connect_to(s, a, &why) < 0) {
		diagf(diag, "4.4.1 cannot connect to "
		    "%s: %s", s->relay, strerror(errno));
		fail_next(s, diag);
		return SESS_NEXT;
	}
	if ((s->b = bio_new(s->fd, s->fd)) == NULL) {
		hangup(s);
		fail_next(s, "4.3.0 out of memory");
		return SESS_NEXT;
	}
	if ((o = opening(s, plain)) != SESS_DONE) {
		if (o == SESS_NEXT)
			quit(s);
		hangup(s);
		return o;
	}
	return transaction(s);
}

/*
 * Keep the connection for the next request when it is still good, else
 * QUIT and close it.
 */
static void
done_with(struct sess *s)
{
	struct rmt_keep *k = s->keep;

	if (k == NULL || s->lost || s->b == NULL || k->fd >= 0 ||
	    k->uses >= RMT_REUSE_MAX || bio_pending(s->b) > 0) {
		quit(s);
		hangup(s);
		return;
	}
	k->fd = s->fd;
	k->b = s->b;
	k->tc = s->tc;
	k->caps = s->caps;
	k->is_lmtp = s->is_lmtp;
	k->txn_open = s->txn_open;
	k->tls = s->req->tls;
	k->uses++;
	(void)strlcpy(k->hop, s->req->hop, sizeof(k->hop));
	if (s->host != k->host)		/* a reused one points there */
		(void)strlcpy(k->host, s->host, sizeof(k->host));
	(void)strlcpy(k->relay, s->relay, sizeof(k->relay));
	if (sbuf_set_n(&k->tlsinfo, s->tlsinfo.s, s->tlsinfo.len) < 0)
		sbuf_reset(&k->tlsinfo);
	s->fd = -1;
	s->b = NULL;
	s->tc = NULL;
}

/*
 * MAIL, RCPT, DATA over the open session s: SESS_DONE when the results
 * are final, SESS_NEXT when the connection was lost before the server
 * took anything (s->last says why).
 */
static enum sess_outcome
transaction(struct sess *s)
{
	char diag[DIAG_MAX + 1];
	size_t i;
	int any = 0, mail_ok;

	if ((s->req->flags & ENV_F_SMTPUTF8) &&
	    (s->caps.flags & SMTP_CAP_SMTPUTF8) == 0) {
		diagf(diag, "5.6.7 the message needs "
		    "SMTPUTF8, which %s does not offer", s->relay);
		set_all(s, REMOTE_BOUNCE, diag);
		goto done;
	}
	if (s->caps.size > 0 && s->size > s->caps.size) {
		diagf(diag, "5.3.4 message too big for "
		    "%s (%llu bytes, it takes %llu)", s->relay,
		    (unsigned long long)s->size,
		    (unsigned long long)s->caps.size);
		set_all(s, REMOTE_BOUNCE, diag);
		goto done;
	}
	for (i = 0; i < s->req->nrcpt; i++) {
		s->accepted[i] = 0;
		remote_result_set(&s->res[i], REMOTE_DEFER, s->relay, "");
		s->res[i].diag[0] = '\0';	/* open */
	}
	if (envelope(s, &mail_ok, diag) < 0) {
		if (!mail_ok) {
			/* Lost before the server took anything: next. */
			fail_next(s, diag);
			hangup(s);
			return SESS_NEXT;
		}
		set_open(s, REMOTE_DEFER, diag);
		for (i = 0; i < s->req->nrcpt; i++)
			if (s->accepted[i])
				remote_result_set(&s->res[i], REMOTE_DEFER,
				    s->relay, diag);
		hangup(s);
		return SESS_DONE;
	}
	for (i = 0; i < s->req->nrcpt; i++)
		any |= s->accepted[i];
	if (any)
		data(s);
	else if (s->data_sent)
		data_abort(s);
done:
	done_with(s);
	return SESS_DONE;
}

/* Hosts. */

struct hop {
	struct maps_nexthop nh;
	char		 host[DNS_NAME_MAX + 1];
	uint16_t	 port;
};

static int
parse_hop(const struct remote_req *req, struct hop *h, int *is_lmtp)
{
	const char *why;

	if (maps_nexthop_parse(req->hop, strlen(req->hop), &h->nh, &why) < 0 ||
	    h->nh.kind == MAPS_HOP_LOCAL || h->nh.host.n == 0 ||
	    h->nh.host.n > DNS_NAME_MAX)
		return -1;
	memcpy(h->host, h->nh.host.p, h->nh.host.n);
	h->host[h->nh.host.n] = '\0';
	h->port = h->nh.port != 0 ? h->nh.port : 25;
	*is_lmtp = h->nh.kind == MAPS_HOP_LMTP;
	return 0;
}

/* The hosts to try: 0, or -1 with every result set. */
static int
hosts(struct sess *s, const struct hop *h, struct dns_mx_list *l,
    int *implicit_r)
{
	char diag[DIAG_MAX + 1];
	const char *why = "";
	enum dns_status st;

	*implicit_r = 0;
	if (s->is_lmtp || h->nh.is_literal) {
		memset(l, 0, sizeof(*l));
		(void)strlcpy(l->mx[0].host, h->host, sizeof(l->mx[0].host));
		l->n = 1;
		return 0;
	}
	st = dns_mx_lookup(h->host, l, &why);
	switch (st) {
	case DNS_OK:
		return 0;
	case DNS_NOMX:
		*implicit_r = 1;
		return 0;
	case DNS_NULLMX:
		diagf(diag, "5.1.10 domain %s: %s",
		    h->host, why);
		set_all(s, REMOTE_BOUNCE, diag);
		return -1;
	case DNS_NXDOMAIN:
		diagf(diag, "5.1.2 domain %s: %s",
		    h->host, why);
		set_all(s, REMOTE_BOUNCE, diag);
		return -1;
	case DNS_TEMP:
		diagf(diag, "4.4.3 domain %s: %s",
		    h->host, why);
		set_all(s, REMOTE_DEFER, diag);
		return -1;
	}
	return -1;
}

/*
 * Host i of l (addresses a[n]) is this host itself (SMTP only): as
 * Postfix does, the hosts from it on are not tried (they are no better
 * than this one); when no better host came before it (the best MX, or
 * the only host), every recipient bounces with 5.4.6, else they are
 * deferred with what the better hosts said.  1 (results set), or 0.
 */
static int
is_self(struct sess *s, const struct hop *h, const struct dns_mx_list *l,
    size_t i, const struct sock_addr *a, size_t n)
{
	char diag[DIAG_MAX + 1];
	size_t j;

	if (s->is_lmtp)
		return 0;
	for (j = 0; j < n && !rmt_self_is(&s->rc->self, &a[j]); j++)
		continue;
	if (j == n)
		return 0;
	diagf(diag, "5.4.6 mail for %s loops back to myself (host %s is this "
	    "host)", h->host, l->mx[i].host);
	log_warn("%s %s", s->req->qid, log_esc_s(diag));
	(void)strlcpy(s->relay, l->mx[i].host, sizeof(s->relay));
	if (l->mx[i].pref == l->mx[0].pref) {
		set_all(s, REMOTE_BOUNCE, diag);
		return 1;
	}
	s->last[0] = '4';	/* the better hosts' failure: retry them */
	set_all(s, REMOTE_DEFER, s->last);
	return 1;
}

/* Try each host and address in order until a session is done. */
static void
try_hosts(struct sess *s, const struct hop *h, const struct dns_mx_list *l,
    int implicit)
{
	struct sock_addr a[RMT_ADDRS_MAX];
	const char *why = "";
	char diag[DIAG_MAX + 1];
	size_t i, j, n, conns = 0;
	int nxdomain = 0;
	enum dns_status st;
	enum sess_outcome o;

	(void)strlcpy(s->last, "4.4.1 no host could be reached",
	    sizeof(s->last));
	s->dest = h->host;
	for (i = 0; i < l->n && conns < RMT_CONN_MAX; i++) {
		s->host = l->mx[i].host;
		st = dns_addrs(s->host, h->port, a, RMT_ADDRS_MAX, &n, &why);
		if (st != DNS_OK) {
			nxdomain += st == DNS_NXDOMAIN;
			diagf(diag, "%s host %s: %s",
			    st == DNS_NXDOMAIN ? "5.4.4" : "4.4.3", s->host,
			    why);
			fail_next(s, diag);
			continue;
		}
		if (is_self(s, h, l, i, a, n))
			return;
		for (j = 0; j < n && conns < RMT_CONN_MAX; j++) {
			conns++;
			o = session(s, &a[j], 0);
			if (o == SESS_PLAIN && conns < RMT_CONN_MAX) {
				conns++;
				o = session(s, &a[j], 1);
			}
			if (s->loop) {
				set_all(s, REMOTE_BOUNCE, s->last);
				return;
			}
			if (o == SESS_DONE)
				return;
		}
	}
	(void)strlcpy(s->relay, l->n == 1 ? l->mx[0].host : h->host,
	    sizeof(s->relay));
	if (implicit && nxdomain == (int)l->n) {
		diagf(diag, "5.1.2 domain %s has no "
		    "MX and no address", h->host);
		set_all(s, REMOTE_BOUNCE, diag);
		return;
	}
	s->last[0] = '4';	/* only a session's reply may bounce */
	set_all(s, REMOTE_DEFER, s->last);
}

/* The kept connection. */

struct rmt_keep *
rmt_keep_new(void)
{
	struct rmt_keep *k;

	if ((k = calloc(1, sizeof(*k))) == NULL)
		return NULL;
	k->fd = -1;
	sbuf_init(&k->tlsinfo, TLSINFO_MAX);
	return k;
}

int
rmt_keep_fd(const struct rmt_keep *k)
{
	return k != NULL ? k->fd : -1;
}

/* Move the kept connection into s (k keeps none). */
static void
keep_take(struct rmt_keep *k, struct sess *s)
{
	s->fd = k->fd;
	s->b = k->b;
	s->tc = k->tc;
	s->caps = k->caps;
	s->is_lmtp = k->is_lmtp;
	s->txn_open = k->txn_open;
	s->host = k->host;
	s->lost = 0;
	(void)strlcpy(s->relay, k->relay, sizeof(s->relay));
	if (sbuf_set_n(&s->tlsinfo, k->tlsinfo.s, k->tlsinfo.len) < 0)
		sbuf_reset(&s->tlsinfo);
	k->fd = -1;
	k->b = NULL;
	k->tc = NULL;
}

void
rmt_keep_close(struct rmt_keep *k)
{
	struct sess s;

	if (k == NULL || k->fd < 0)
		return;
	memset(&s, 0, sizeof(s));
	smtp_reply_init(&s.r);
	sbuf_init(&s.tlsinfo, TLSINFO_MAX);
	keep_take(k, &s);
	quit(&s);
	hangup(&s);
	smtp_reply_fini(&s.r);
	sbuf_fini(&s.tlsinfo);
}

void
rmt_keep_free(struct rmt_keep **kp)
{
	if (*kp == NULL)
		return;
	rmt_keep_close(*kp);
	sbuf_fini(&(*kp)->tlsinfo);
	free(*kp);
	*kp = NULL;
}

/* RSET on the kept connection: 0 when the server took it, else -1. */
static int
rset(struct sess *s, char diag[DIAG_MAX + 1])
{
	int64_t ms = s->rc->cmd_ms < RMT_RSET_MS ? s->rc->cmd_ms : RMT_RSET_MS;

	if (bio_puts(s->b, "RSET\r\n") < 0 || reply(s, ms, "RSET", diag) < 0 ||
	    s->r.code != 250)
		return -1;
	return 0;
}

/*
 * The request over the connection kept for its hop and TLS policy:
 * SESS_DONE with the results, or SESS_NEXT when there is none or it
 * failed before the server took anything (the caller connects afresh).
 * After a transaction that ended with its end-of-data reply (or never
 * had MAIL taken) the server is in its initial state (RFC 5321 4.1.4), so
 * MAIL goes first, as on a new connection: a dead connection fails it
 * before anything is taken, as it would fail an RSET.  Only a transaction
 * left open (every RCPT refused, DATA refused) is reset first.
 */
static enum sess_outcome
reuse(struct sess *s)
{
	struct rmt_keep *k = s->keep;
	char diag[DIAG_MAX + 1];

	if (k == NULL || k->fd < 0)
		return SESS_NEXT;
	if (strcmp(k->hop, s->req->hop) != 0 || k->tls != s->req->tls) {
		rmt_keep_close(k);
		return SESS_NEXT;
	}
	keep_take(k, s);
	s->reused = !s->txn_open;
	if (s->txn_open && rset(s, diag) < 0) {
		log_debug("%s connection to %s not reused: %s", s->req->qid,
		    log_esc_s(s->relay), s->lost ? log_esc_s(diag) : "RSET "
		    "refused");
		s->lost = 1;
		hangup(s);
		return SESS_NEXT;
	}
	s->txn_open = 0;
	log_debug("%s connection to %s reused%s", s->req->qid,
	    log_esc_s(s->relay), s->reused ? "" : " after RSET");
	if (transaction(s) == SESS_DONE)
		return SESS_DONE;
	hangup(s);
	return SESS_NEXT;
}

static void
log_results(struct sess *s, double start)
{
	struct timeval tv;
	long long arrival = qid_time(s->req->qid);
	double now;
	size_t i;

	if (gettimeofday(&tv, NULL) < 0)
		tv.tv_sec = 0;
	now = (double)tv.tv_sec + tv.tv_usec / 1e6;
	for (i = 0; i < s->req->nrcpt; i++) {
		const struct remote_result *r = &s->res[i];
		char code[16];
		size_t k;

		for (k = 0; k < sizeof(code) - 1 && r->diag[k] != ' ' &&
		    r->diag[k] != '\0'; k++)
			code[k] = r->diag[k];
		code[k] = '\0';
		log_info("%s to=<%s> relay=%s delay=%.1f delays=%.1f%s%s "
		    "status=%s dsn=%s (%s)", s->req->qid,
		    log_esc_s(s->req->rcpt[i]), log_esc_s(r->relay[0] ?
		    r->relay : "none"), arrival > 0 ? now - (double)arrival :
		    0.0, now - start, s->tlsinfo.len > 0 ? " " : "",
		    s->tlsinfo.len > 0 ? sbuf_str(&s->tlsinfo) :
		    "", r->status == REMOTE_SENT ? "sent" :
		    r->status == REMOTE_BOUNCE ? "bounced" : "deferred",
		    code, log_esc_s(r->diag));
	}
}

void
rmt_deliver(const struct rmt_conf *rc, const struct remote_req *req,
    int msgfd, struct remote_result *res, struct rmt_keep *keep)
{
	struct sess s;
	struct hop h;
	struct dns_mx_list l;
	struct stat sb;
	struct timeval tv;
	int implicit;
	double start;

	memset(&s, 0, sizeof(s));
	s.rc = rc;
	s.req = req;
	s.res = res;
	s.msgfd = msgfd;
	s.fd = -1;
	s.keep = keep;
	smtp_reply_init(&s.r);
	sbuf_init(&s.tlsinfo, TLSINFO_MAX);
	(void)gettimeofday(&tv, NULL);
	start = (double)tv.tv_sec + tv.tv_usec / 1e6;
	if ((s.accepted = calloc(req->nrcpt, sizeof(int))) == NULL ||
	    fstat(msgfd, &sb) < 0) {
		set_all(&s, REMOTE_DEFER, "4.3.0 tern-remote: out of memory "
		    "or no message");
		goto out;
	}
	s.size = (uint64_t)sb.st_size + rc->prefix_len;
	if (parse_hop(req, &h, &s.is_lmtp) < 0) {
		set_all(&s, REMOTE_DEFER, "4.3.5 bad next hop");
		goto out;
	}
	if (reuse(&s) == SESS_DONE)
		goto out;
	s.is_lmtp = h.nh.kind == MAPS_HOP_LMTP;
	if (hosts(&s, &h, &l, &implicit) == 0)
		try_hosts(&s, &h, &l, implicit);
out:
	for (size_t i = 0; i < req->nrcpt; i++)
		if (res[i].diag[0] == '\0')	/* a bug: never lose track */
			remote_result_set(&res[i], REMOTE_DEFER, s.relay,
			    "4.3.0 tern-remote lost track of this recipient");
	log_results(&s, start);
	free(s.accepted);
	sbuf_fini(&s.tlsinfo);
	smtp_reply_fini(&s.r);
}
