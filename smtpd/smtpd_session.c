/*
 * smtpd_session.c - the session: greeting, the command loop with its
 * limits (line length, errors, timeouts, session time), replies batched
 * for PIPELINING, and the last log line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/cdbmap.h"
#include "lib/conf.h"
#include "lib/log.h"
#include "lib/smtp_reply.h"
#include "lib/tls.h"

#include "smtpd/smtpd.h"

void
smtpd_init(struct smtpd *s)
{
	memset(s, 0, sizeof *s);
	sbuf_init(&s->line, SMTPD_LINE_MAX);
	sbuf_init(&s->out, 2 * SMTPD_TEXT_MAX + 64);
	sbuf_init(&s->text, SMTPD_TEXT_MAX);
	sbuf_init(&s->tls_info, 512);
	sbuf_init(&s->hdr, SMTPD_HDRS_MAX);
	envelope_init(&s->env);
	s->job.pid = -1;
	s->job.msg_fd = s->job.env_fd = -1;
}

/* End the session: abort a transfer, flush the replies, close TLS. */
void
smtpd_close(struct smtpd *s)
{
	smtpd_bdat_abort(s);
	if (s->b != NULL)
		(void)bio_flush(s->b);	/* the session is over anyway */
	tls_conn_free(&s->tls);
	bio_free(&s->b);
}

/* Free what the session holds (after smtpd_close, or instead of it). */
void
smtpd_fini(struct smtpd *s)
{
	smtpd_close(s);
	tls_ctx_free(&s->tls_ctx);
	resolve_maps_close(&s->maps);
	cdbmap_close(&s->senders);
	envelope_fini(&s->env);
	sbuf_fini(&s->line);
	sbuf_fini(&s->out);
	sbuf_fini(&s->text);
	sbuf_fini(&s->tls_info);
	sbuf_fini(&s->hdr);
	conf_free(&s->cf);
}

/* The protocol name of RFC 3848 (and RFC 6531 3.7.3) for Received:. */
const char *
smtpd_proto(const struct smtpd *s)
{
	int tls = s->tls != NULL;

	if (s->mode == SMTPD_LMTP) {
		if (s->utf8)
			return tls ? "UTF8LMTPS" : "UTF8LMTP";
		return tls ? "LMTPS" : "LMTP";
	}
	if (s->helo_kind == 1)
		return "SMTP";
	if (s->utf8)
		return tls ? "UTF8SMTPS" : "UTF8SMTP";
	return tls ? "ESMTPS" : "ESMTP";
}

/*
 * Append a reply to the output (flushed before the next read that would
 * wait, so pipelined replies go out together).  A 4xx or 5xx counts as
 * an error, except a 421 (the session ends) and replies to the final dot
 * in LMTP (one per recipient).
 */
void
smtpd_reply(struct smtpd *s, int code, const char *enh, const char *fmt, ...)
{
	va_list ap;
	int r;

	sbuf_reset(&s->text);
	va_start(ap, fmt);
	r = sbuf_vprintf(&s->text, fmt, ap);
	va_end(ap);
	if (r < 0 || sbuf_str(&s->text) == NULL)
		(void)sbuf_set_s(&s->text, "Error");	/* fits */
	sbuf_reset(&s->out);
	if (smtp_reply_fmt(&s->out, code, enh, sbuf_str(&s->text)) < 0) {
		sbuf_reset(&s->out);
		if (smtp_reply_fmt(&s->out, code, enh, "Error") < 0)
			panic("smtp_reply_fmt %d %s", code, enh);
	}
	if (bio_write(s->b, s->out.s, s->out.len) < 0)
		s->quit = 1;
	if (code >= 400 && code != 421 && !s->nocount)
		s->errors++;
}

void
smtpd_tx_reset(struct smtpd *s)
{
	smtpd_bdat_abort(s);
	s->has_mail = 0;
	s->utf8 = 0;
	s->rcpt_over = 0;
	sbuf_reset(&s->hdr);
	s->hdr_done = s->hdr_over = 0;
	envelope_fini(&s->env);
	envelope_init(&s->env);
}

static void
greet(struct smtpd *s)
{
	smtpd_reply(s, 220, NULL, "%s %s tern", s->hostname,
	    s->mode == SMTPD_LMTP ? "LMTP" : "ESMTP");
}

static void
timeout(struct smtpd *s, const char *where)
{
	log_info("timeout after %s from %s", where, s->ip[0] ? s->ip : "-");
	smtpd_reply(s, 421, "4.4.2", "%s Error: timeout exceeded",
	    s->hostname);
	s->quit = 1;
}

/* One command line read; 0 to go on, -1 to end the session. */
static int
one(struct smtpd *s)
{
	int eol = BIO_EOL_NONE, r;

	if (bio_pending(s->b) == 0 && bio_flush(s->b) < 0)
		return -1;
	r = bio_getline(s->b, &s->line, SMTPP_CMD_LINE_MAX, &eol);
	if (r == BIO_EOF)
		return -1;
	if (r == BIO_TOOLONG) {
		s->ncmds++;
		smtpd_reply(s, 500, "5.5.2", "Error: line too long");
		return 0;
	}
	if (r < 0) {
		if (errno == ETIMEDOUT)
			timeout(s, bio_session_expired(s->b) ?
			    "session limit" : "command");
		return -1;
	}
	if (eol != BIO_EOL_CRLF) {
		s->ncmds++;
		if (eol == BIO_EOL_NONE)
			return -1;	/* end of file in a line */
		smtpd_reply(s, 500, "5.5.2", "Error: bare LF in command");
		return 0;
	}
	smtpd_command(s, s->line.s, s->line.len);
	return 0;
}

static void
final_log(struct smtpd *s)
{
	static const char *const names[SMTPD_NVERBS] = {
		"helo", "ehlo", "lhlo", "mail", "rcpt", "data", "bdat", "rset",
		"noop", "quit", "vrfy", "expn", "help", "starttls", "auth",
	};
	struct sbuf l;
	size_t i;

	sbuf_init(&l, 1024);
	for (i = 0; i < SMTPD_NVERBS; i++)
		if (s->count[i] > 0)
			(void)sbuf_printf(&l, " %s=%u", names[i], s->count[i]);
	log_info("disconnect from %s%s commands=%u errors=%u queued=%u%s",
	    s->ip[0] ? s->ip : "-", sbuf_str(&l) ? sbuf_str(&l) : "",
	    s->ncmds, s->errors, s->nqueued, smtpd_user_kv(s));
	sbuf_fini(&l);
}

void
smtpd_serve(struct smtpd *s)
{
	if ((s->b = bio_new(0, 1)) == NULL)
		die_sys(EXIT_TEMP, "bio_new");
	bio_set_timeout(s->b, s->cmd_ms, SMTPD_WRITE_TIMEOUT * 1000);
	if (s->session_ms > 0)
		bio_set_session_timeout(s->b, s->session_ms);
	log_info("connect from %s mode=%s", s->ip[0] ? s->ip : "-",
	    s->mode == SMTPD_LMTP ? "lmtp" : s->mode == SMTPD_SMTP ? "smtp" :
	    s->mode == SMTPD_SUBMISSION ? "submission" : "submissions");
	if (s->mode == SMTPD_SUBMISSIONS && smtpd_tls_implicit(s) < 0) {
		final_log(s);
		return;
	}
	greet(s);
	while (!s->quit) {
		if (one(s) < 0)
			break;
		if (!s->quit && s->error_limit > 0 &&
		    s->errors >= s->error_limit) {
			log_info("too many errors from %s: errors=%u",
			    s->ip[0] ? s->ip : "-", s->errors);
			smtpd_reply(s, 421, "4.7.0", "%s Error: too many "
			    "errors", s->hostname);
			break;
		}
	}
	(void)bio_flush(s->b);	/* the peer may be gone */
	final_log(s);
}
