/*
 * smtpd_tls.c - STARTTLS (RFC 3207) and implicit TLS (submissions, RFC
 * 8314).  Whatever the client pipelined after STARTTLS is dropped, never
 * executed inside TLS (CVE-2011-0411); after the handshake the session
 * starts over (RFC 3207 4.2: forget HELO and the transaction).
 */
#include <errno.h>

#include "lib/bio.h"
#include "lib/log.h"
#include "lib/tls.h"

#include "smtpd/smtpd.h"

static int
start(struct smtpd *s)
{
	struct sbuf why;
	size_t n;

	if ((n = bio_pending(s->b)) > 0) {
		log_info("tls: dropped %zu bytes pipelined after STARTTLS "
		    "from %s", n, s->ip[0] ? s->ip : "-");
		bio_discard_input(s->b);
	}
	sbuf_init(&why, TLS_WHY_MAX);
	s->tls = tls_server_start(s->tls_ctx, s->b, s->cmd_ms, &why);
	if (s->tls == NULL) {
		log_info("tls: handshake failed from %s: %s",
		    s->ip[0] ? s->ip : "-", log_esc_s(sbuf_str(&why) ?
		    why.s : ""));
		sbuf_fini(&why);
		return -1;
	}
	sbuf_fini(&why);
	sbuf_reset(&s->tls_info);
	if (tls_conn_info(s->tls, &s->tls_info) < 0 ||
	    sbuf_str(&s->tls_info) == NULL)
		sbuf_reset(&s->tls_info);
	log_info("tls from %s: %s", s->ip[0] ? s->ip : "-",
	    sbuf_str(&s->tls_info) ? s->tls_info.s : "");
	return 0;
}

void
smtpd_starttls(struct smtpd *s)
{
	if (s->tls != NULL) {
		smtpd_reply(s, 503, "5.5.1", "Error: TLS already active");
		return;
	}
	if (s->tls_ctx == NULL) {
		smtpd_reply(s, 454, "4.7.0", "Error: TLS not available");
		return;
	}
	if (s->has_mail) {
		smtpd_reply(s, 503, "5.5.1", "Error: STARTTLS in a "
		    "transaction");
		return;
	}
	smtpd_reply(s, 220, "2.0.0", "Ready to start TLS");
	if (bio_flush(s->b) < 0 || start(s) < 0) {
		s->quit = 1;
		return;
	}
	smtpd_tx_reset(s);
	s->auth_user[0] = '\0';	/* RFC 3207 4.2: start over */
	s->helo_kind = 0;
	s->helo[0] = '\0';
}

int
smtpd_tls_implicit(struct smtpd *s)
{
	if (s->tls_ctx == NULL)
		return -1;
	return start(s);
}
