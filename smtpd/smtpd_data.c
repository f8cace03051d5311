/*
 * smtpd_data.c - DATA and BDAT.  The message is read through lib/smtp_data
 * (ends only at CR LF "." CR LF; bare CR or LF refuses the message; size
 * counted while reading) and streamed into tern-enqueue behind our
 * Received: header, which names the queue id we propose in the envelope's
 * Q record.  A message refused while reading is never committed: the
 * enqueue gets no envelope.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/bio.h"
#include "lib/log.h"
#include "lib/tls.h"

#include "smtpd/smtpd.h"

#define DATE_MAX	64

/* "Received:" (RFC 5321 4.4), folded, CR LF line ends. */
static int
received(struct smtpd *s, const char *qid, struct sbuf *h)
{
	char date[DATE_MAX];
	struct sbuf rcpt;
	struct tm tm;
	time_t now = time(NULL);
	int rc = -1;

	sbuf_init(&rcpt, 2 * ADDR_FORMAT_MAX);
	if (localtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		goto out;
	sbuf_reset(h);
	if (sbuf_cat_s(h, "Received: from ") < 0 ||
	    sbuf_cat_escaped(h, s->helo, strlen(s->helo), ENV_HELO_MAX) < 0 ||
	    sbuf_printf(h, " (unknown [%s])\r\n\tby %s (tern) with %s",
	    s->ip[0] ? s->ip : "local", s->hostname, smtpd_proto(s)) < 0)
		goto out;
	if (s->tls != NULL && sbuf_printf(h, " (%s)",
	    sbuf_str(&s->tls_info) ? s->tls_info.s : "") < 0)
		goto out;
	if (sbuf_printf(h, " id %s", qid) < 0)
		goto out;
	if (s->env.nrcpt == 1) {
		if (sbuf_cat_escaped(&rcpt, s->env.rcpt[0].addr,
		    strlen(s->env.rcpt[0].addr), ENV_ADDR_MAX) < 0 ||
		    sbuf_str(&rcpt) == NULL ||
		    sbuf_printf(h, "\r\n\tfor <%s>", rcpt.s) < 0)
			goto out;
	}
	if (sbuf_printf(h, "; %s\r\n", date) < 0)
		goto out;
	rc = 0;
out:
	sbuf_fini(&rcpt);
	return rc;
}

/* Start a message: a proposed id, tern-enqueue, our header.  0 or -1. */
static int
begin(struct smtpd *s, struct smtpd_job *j, struct smtp_data *d,
    unsigned flags)
{
	struct sbuf h;
	uint64_t limit = s->size_limit;

	sbuf_init(&h, SMTPD_HDR_MAX);
	if (qid_new(j->qid) < 0 || received(s, j->qid, &h) < 0 ||
	    smtpd_enq_start(s, j) < 0) {
		sbuf_fini(&h);
		return -1;
	}
	smtpd_enq_write(j, h.s, h.len);
	/* Our header counts towards message_size_limit, as in enqueue. */
	if (limit > 0)
		limit = limit > h.len ? limit - h.len : 1;
	smtp_data_init(d, limit, flags);
	sbuf_fini(&h);
	return 0;
}

static void
reply_all(struct smtpd *s, int code, const char *enh, const char *text)
{
	size_t i;

	if (s->mode != SMTPD_LMTP) {
		smtpd_reply(s, code, enh, "%s", text);
		return;
	}
	/* RFC 2033 4.2: one reply per accepted recipient, in order. */
	s->nocount = 1;
	for (i = 0; i < s->env.nrcpt; i++)
		smtpd_reply(s, code, enh, "<%s> %s", s->env.rcpt[i].addr,
		    text);
	s->nocount = 0;
	if (code >= 400)
		s->errors++;
}

static void
refused(struct smtpd *s, struct smtpd_job *j, int code, const char *enh,
    const char *why)
{
	smtpd_enq_abort(j);
	log_info("reject: %s from %s: %d %s %s; from=<%s> nrcpt=%zu%s",
	    s->bdat ? "BDAT" : "DATA", s->ip[0] ? s->ip : "-", code, enh, why,
	    log_esc_s(s->env.sender), s->env.nrcpt, smtpd_user_kv(s));
	reply_all(s, code, enh, why);
}

/* The whole message is read: refuse it, or commit it and say so. */
static void
end(struct smtpd *s, struct smtpd_job *j, struct smtp_data *d, int too_long)
{
	char id[QID_LEN + 1], text[128];
	const char *why = "";
	int code, r;

	switch (smtp_data_status(d)) {
	case SMTP_DATA_TOOBIG:
		refused(s, j, 552, "5.3.4", "Error: message size exceeds "
		    "fixed limit");
		return;
	case SMTP_DATA_BARE:
		refused(s, j, 550, "5.6.0", "Error: bare CR or LF in "
		    "message; lines must end in CR LF");
		return;
	default:
		break;
	}
	if (too_long) {
		refused(s, j, 554, "5.6.0", "Error: message line too long");
		return;
	}
	if (s->hop_limit > 0 && d->received >= s->hop_limit) {
		refused(s, j, 554, "5.4.6", "Error: too many hops "
		    "(mail loop?)");
		return;
	}
	if (s->auth_user[0] != '\0' &&
	    (s->sender_check & SMTPD_CHECK_HEADER)) {
		r = smtpd_header_from_ok(s, &why);
		if (r == -2) {
			log_warn_sys("maps lookup for the From: check");
			refused(s, j, 451, "4.3.0", "Error: temporary lookup "
			    "failure");
			return;
		}
		if (r < 0) {
			refused(s, j, 550, "5.7.1", why);
			return;
		}
	}
	code = smtpd_enq_finish(s, j, id);
	if (code == 0) {
		s->nqueued++;
		s->junk = 0;
		smtpd_rate_count(s);
		log_info("%s from=<%s> size=%llu nrcpt=%zu proto=%s ip=%s%s",
		    id[0] ? id : j->qid, log_esc_s(s->env.sender),
		    (unsigned long long)j->size, s->env.nrcpt, smtpd_proto(s),
		    s->ip[0] ? s->ip : "-", smtpd_user_kv(s));
		r = snprintf(text, sizeof text, "Ok: queued as %s",
		    id[0] ? id : j->qid);
		if (r < 0 || (size_t)r >= sizeof text)
			panic("reply text");
		reply_all(s, 250, "2.0.0", text);
		return;
	}
	log_warn("tern-enqueue failed: exit=%d from=<%s> nrcpt=%zu", code,
	    log_esc_s(s->env.sender), s->env.nrcpt);
	if (code == 101)
		reply_all(s, 552, "5.3.4", "Error: message size exceeds "
		    "fixed limit");
	else if (code == 100)
		reply_all(s, 554, "5.3.0", "Error: message refused by the "
		    "queue");
	else
		reply_all(s, 451, "4.3.0", "Error: queue file write error");
}

/* Ready for a message?  0, or -1 after replying. */
static int
ready(struct smtpd *s)
{
	if (!s->has_mail) {
		smtpd_reply(s, 503, "5.5.1", "Error: need MAIL command");
		return -1;
	}
	if (s->env.nrcpt == 0) {
		smtpd_reply(s, 554, "5.5.1", "Error: no valid recipients");
		return -1;
	}
	return 0;
}

void
smtpd_data(struct smtpd *s)
{
	struct smtpd_job j = { .pid = -1, .msg_fd = -1, .env_fd = -1 };
	struct smtp_data d;
	struct sbuf out;
	int eol, r, too_long = 0;

	if (s->bdat) {
		smtpd_reply(s, 503, "5.5.1", "Error: DATA during BDAT");
		return;
	}
	if (ready(s) < 0)
		return;
	if (begin(s, &j, &d, SMTP_DATA_REJECT) < 0) {
		smtpd_reply(s, 451, "4.3.0", "Error: cannot queue now");
		return;
	}
	smtpd_reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (bio_flush(s->b) < 0) {
		smtpd_enq_abort(&j);
		s->quit = 1;
		return;
	}
	sbuf_init(&out, 2 * SMTPD_DATA_LINE_MAX + 16);
	bio_set_timeout(s->b, s->data_ms, SMTPD_WRITE_TIMEOUT * 1000);
	for (;;) {
		r = bio_getline(s->b, &s->line, SMTPD_DATA_LINE_MAX, &eol);
		if (r == BIO_TOOLONG)
			too_long = 1;
		else if (r != BIO_OK)
			break;
		r = smtp_data_feed_line(&d, s->line.s, s->line.len, eol,
		    &out);
		if (r < 0)
			break;
		if (!too_long) {
			smtpd_enq_write(&j, out.s, out.len);
			smtpd_hdr_feed(s, out.s, out.len);
		}
		sbuf_reset(&out);
		if (r == SMTP_DATA_END)
			break;
	}
	sbuf_fini(&out);
	bio_set_timeout(s->b, s->cmd_ms, SMTPD_WRITE_TIMEOUT * 1000);
	if (r != SMTP_DATA_END) {
		/* Lost connection, timeout or no memory: nothing queued. */
		log_info("%s in DATA from %s after %llu bytes",
		    r < 0 && errno == ETIMEDOUT ? "timeout" : "lost connection",
		    s->ip[0] ? s->ip : "-", (unsigned long long)d.size);
		smtpd_enq_abort(&j);
		if (r < 0 && errno == ETIMEDOUT)
			smtpd_reply(s, 421, "4.4.2", "%s Error: timeout "
			    "exceeded", s->hostname);
		s->quit = 1;
		return;
	}
	end(s, &j, &d, too_long);
	smtpd_tx_reset(s);
}

/* Read and drop a chunk (a refused BDAT still sends its bytes). */
static int
skip_chunk(struct smtpd *s, uint64_t n)
{
	char buf[SMTPD_CHUNK_BUF];
	ssize_t k;

	while (n > 0) {
		k = bio_read(s->b, buf, n < sizeof buf ? (size_t)n : sizeof buf);
		if (k <= 0)
			return -1;
		n -= (uint64_t)k;
	}
	return 0;
}

/* Feed a chunk into the message.  0, or -1 (connection lost). */
static int
read_chunk(struct smtpd *s, uint64_t n)
{
	char buf[SMTPD_CHUNK_BUF];
	struct sbuf out;
	size_t used;
	ssize_t k;
	int rc = 0;

	sbuf_init(&out, 2 * SMTPD_CHUNK_BUF + 16);
	while (n > 0 && rc == 0) {
		k = bio_read(s->b, buf, n < sizeof buf ? (size_t)n : sizeof buf);
		if (k <= 0 ||
		    smtp_data_feed(&s->d, buf, (size_t)k, &out, &used) < 0) {
			rc = -1;
			break;
		}
		smtpd_enq_write(&s->job, out.s, out.len);
		smtpd_hdr_feed(s, out.s, out.len);
		sbuf_reset(&out);
		n -= (uint64_t)k;
	}
	sbuf_fini(&out);
	return rc;
}

void
smtpd_bdat_abort(struct smtpd *s)
{
	if (!s->bdat)
		return;
	smtpd_enq_abort(&s->job);
	s->bdat = 0;
}

static void
bdat_lost(struct smtpd *s)
{
	log_info("%s in BDAT from %s", errno == ETIMEDOUT ? "timeout" :
	    "lost connection", s->ip[0] ? s->ip : "-");
	smtpd_bdat_abort(s);
	if (errno == ETIMEDOUT)
		smtpd_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
		    s->hostname);
	s->quit = 1;
}

void
smtpd_bdat(struct smtpd *s, uint64_t size, int last)
{
	struct sbuf out;
	int r;

	bio_set_timeout(s->b, s->data_ms, SMTPD_WRITE_TIMEOUT * 1000);
	if (!s->bdat && (!s->has_mail || s->env.nrcpt == 0)) {
		r = skip_chunk(s, size);
		bio_set_timeout(s->b, s->cmd_ms, SMTPD_WRITE_TIMEOUT * 1000);
		if (r < 0)
			bdat_lost(s);
		else
			(void)ready(s);
		return;
	}
	if (!s->bdat) {
		s->job.pid = -1;
		if (begin(s, &s->job, &s->d, SMTP_DATA_BDAT) < 0) {
			r = skip_chunk(s, size);
			bio_set_timeout(s->b, s->cmd_ms,
			    SMTPD_WRITE_TIMEOUT * 1000);
			if (r < 0)
				bdat_lost(s);
			else
				smtpd_reply(s, 451, "4.3.0", "Error: cannot "
				    "queue now");
			return;
		}
		s->bdat = 1;
	}
	r = read_chunk(s, size);
	bio_set_timeout(s->b, s->cmd_ms, SMTPD_WRITE_TIMEOUT * 1000);
	if (r < 0) {
		bdat_lost(s);
		return;
	}
	if (smtp_data_status(&s->d) == SMTP_DATA_TOOBIG || last) {
		sbuf_init(&out, 16);
		if (smtp_data_finish(&s->d, &out) == 0)
			smtpd_enq_write(&s->job, out.s, out.len);
		sbuf_fini(&out);
		end(s, &s->job, &s->d, 0);
		s->bdat = 0;		/* the job is over either way */
		smtpd_tx_reset(s);
		return;
	}
	smtpd_reply(s, 250, "2.0.0", "%llu octets received",
	    (unsigned long long)size);
}
