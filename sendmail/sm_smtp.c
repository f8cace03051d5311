/*
 * sm_smtp.c - "sendmail -bs": an SMTP dialogue on standard input and
 * output, as Postfix's sendmail -bs offers it (mutt's, Alpine's or git
 * send-email's "sendmail -bs" transport).  The client is the invoking
 * user, trusted as far as the command line is (any sender, any
 * recipient): no AUTH, no TLS, no maps.  Commands are parsed by lib/smtpp
 * (the same strict grammar as tern-smtpd), DATA by lib/smtp_data (a
 * bare LF ends a line, as CR LF does: local programs write LF, and the
 * local user may submit anything anyway); each transaction is
 * one message through tern-enqueue, with a Received: field naming the
 * user.  ESMTP: PIPELINING, 8BITMIME, SMTPUTF8, DSN, ENHANCEDSTATUSCODES.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "lib/addr.h"
#include "lib/bio.h"
#include "lib/log.h"
#include "lib/qid.h"
#include "lib/sbuf.h"
#include "lib/smtp_data.h"
#include "lib/smtpp.h"

#include "sendmail/sendmail.h"

#define BS_TIMEOUT_MS	(300 * 1000)	/* RFC 5321 4.5.3.2.7 */
#define BS_ERRORS_MAX	20		/* then 421 and exit */
#define BS_TEXT_MAX	1024

struct bs {
	struct sm	*m;
	struct bio	*b;
	int		 helo;		/* 0 none, 1 HELO, 2 EHLO */
	int		 has_mail;
	int		 utf8;
	unsigned	 errors;
	int		 quit;
};

static void __attribute__((format(printf, 4, 5)))
reply(struct bs *s, int code, const char *enh, const char *fmt, ...)
{
	char text[BS_TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if (code >= 400)
		s->errors++;
	(void)bio_printf(s->b, "%d %s%s%s\r\n", code, enh != NULL ? enh : "",
	    enh != NULL ? " " : "", text);
}

static void
tx_reset(struct bs *s)
{
	envelope_fini(&s->m->env);
	envelope_init(&s->m->env);
	s->has_mail = 0;
	s->utf8 = 0;
	s->m->eightbit = 0;
	s->m->write_failed = 0;
}

static void
ehlo(struct bs *s, const struct smtp_cmd *c)
{
	tx_reset(s);
	s->helo = c->verb == SMTP_VERB_HELO ? 1 : 2;
	if (c->verb == SMTP_VERB_HELO) {
		reply(s, 250, NULL, "%s", s->m->origin);
		return;
	}
	(void)bio_printf(s->b, "250-%s\r\n250-PIPELINING\r\n250-8BITMIME\r\n"
	    "250-SMTPUTF8\r\n250-DSN\r\n250 ENHANCEDSTATUSCODES\r\n",
	    s->m->origin);
}

static void
mail(struct bs *s, const struct smtp_cmd *c)
{
	struct sbuf a;

	if (!s->helo) {
		reply(s, 503, "5.5.1", "Error: send HELO/EHLO first");
		return;
	}
	if (s->has_mail) {
		reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if ((c->params != 0 && s->helo == 1) || (c->params & SMTPP_P_AUTH) ||
	    c->body == SMTP_BODY_BINARYMIME) {
		reply(s, 555, "5.5.4", "Error: parameter not supported");
		return;
	}
	sbuf_init(&a, ADDR_FORMAT_MAX + 1);
	if (addr_format(&c->path, &a) < 0 || sbuf_str(&a) == NULL ||
	    strlen(a.s) >= sizeof(s->m->env.sender)) {
		sbuf_fini(&a);
		reply(s, 501, "5.1.7", "Error: bad sender address");
		return;
	}
	memcpy(s->m->env.sender, a.s, strlen(a.s) + 1);
	sbuf_fini(&a);
	s->utf8 = (c->params & SMTPP_P_SMTPUTF8) != 0;
	s->m->env.flags = s->utf8 ? ENV_F_SMTPUTF8 : 0;
	s->m->eightbit = c->body == SMTP_BODY_8BITMIME;
	s->m->env.ret = c->ret == SMTP_RET_FULL ? ENV_RET_FULL :
	    c->ret == SMTP_RET_HDRS ? ENV_RET_HDRS : ENV_RET_NONE;
	memcpy(s->m->env.envid, c->envid, c->envid_len);
	s->m->env.envid[c->envid_len] = '\0';
	s->has_mail = 1;
	reply(s, 250, "2.1.0", "Ok");
}

static unsigned
notify_bits(unsigned n)
{
	return ((n & SMTPP_NOTIFY_NEVER) ? ENV_N_NEVER : 0) |
	    ((n & SMTPP_NOTIFY_SUCCESS) ? ENV_N_SUCCESS : 0) |
	    ((n & SMTPP_NOTIFY_FAILURE) ? ENV_N_FAILURE : 0) |
	    ((n & SMTPP_NOTIFY_DELAY) ? ENV_N_DELAY : 0);
}

static void
rcpt(struct bs *s, const struct smtp_cmd *c)
{
	struct sbuf a, o;

	if (!s->has_mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (c->params != 0 && s->helo == 1) {
		reply(s, 555, "5.5.4", "Error: parameter not supported");
		return;
	}
	sbuf_init(&a, ADDR_FORMAT_MAX + 1);
	sbuf_init(&o, ENV_ORCPT_MAX + 1);
	if (addr_format(&c->path, &a) < 0 || sbuf_str(&a) == NULL)
		reply(s, 501, "5.1.3", "Error: bad recipient address");
	else if ((c->params & SMTPP_P_ORCPT) && (sbuf_cat_s(&o, "rfc822;") < 0 ||
	    smtpp_xtext_encode(c->orcpt, c->orcpt_len, &o) < 0 ||
	    sbuf_str(&o) == NULL))
		reply(s, 501, "5.5.4", "Error: ORCPT too long");
	else if (envelope_add_rcpt(&s->m->env, a.s, o.len > 0 ? o.s : NULL,
	    notify_bits(c->notify), NULL) < 0)
		reply(s, 452, "4.5.3", "Error: too many recipients");
	else
		reply(s, 250, "2.1.5", "Ok");
	sbuf_fini(&a);
	sbuf_fini(&o);
}

/* The message up to "." into tern-enqueue: SMTP_DATA_END, or -1 (lost). */
static int
read_data(struct bs *s, int *too_long_r)
{
	struct smtp_data d;
	struct sbuf out;
	size_t i;
	int eol, r;

	smtp_data_init(&d, 0, SMTP_DATA_NORMALIZE);
	sbuf_init(&out, 2 * SM_LINE_MAX + 16);
	*too_long_r = 0;
	for (;;) {
		r = bio_getline(s->b, &s->m->line, SM_LINE_MAX, &eol);
		if (r == BIO_TOOLONG)
			*too_long_r = 1;
		else if (r != BIO_OK) {
			r = -1;
			break;
		}
		/* The local user may write LF alone (no smuggling to fear
		 * from who may submit anything): it ends a line. */
		if (eol == BIO_EOL_LF)
			eol = BIO_EOL_CRLF;
		if ((r = smtp_data_feed_line(&d, s->m->line.s, s->m->line.len,
		    eol, &out)) < 0)
			break;
		for (i = 0; i < out.len && !s->m->eightbit; i++)
			if ((unsigned char)out.s[i] >= 0x80)
				s->m->eightbit = 1;
		if (!*too_long_r)
			sm_enq_write(s->m, out.s, out.len);
		sbuf_reset(&out);
		if (r == SMTP_DATA_END)
			break;
	}
	sbuf_fini(&out);
	return r;
}

static void
data(struct bs *s)
{
	int too_long, code;

	if (!s->has_mail) {
		reply(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (s->m->env.nrcpt == 0) {
		reply(s, 554, "5.5.1", "Error: no valid recipients");
		return;
	}
	if (qid_new(s->m->qid) < 0) {
		reply(s, 451, "4.3.0", "Error: cannot make a queue id");
		return;
	}
	sm_enq_start(s->m);
	reply(s, 354, NULL, "End data with <CR><LF>.<CR><LF>");
	if (bio_flush(s->b) < 0) {
		s->quit = 1;
		return;
	}
	sm_received(s->m, "tern-sendmail -bs");
	if (read_data(s, &too_long) != SMTP_DATA_END) {
		s->m->write_failed = 1;	/* nothing is committed */
		(void)sm_enq_finish(s->m);
		s->quit = 1;
		return;
	}
	if (too_long)
		s->m->write_failed = 1;
	code = sm_enq_finish(s->m);
	if (too_long)
		reply(s, 500, "5.5.2", "Error: a line longer than %d bytes",
		    SM_LINE_MAX);
	else if (code == EX_OK)
		reply(s, 250, "2.0.0", "Ok: queued as %s", s->m->qid);
	else if (code == EX_DATAERR)
		reply(s, 554, "5.3.4", "Error: message refused (size or "
		    "content; see the mail log)");
	else
		reply(s, 451, "4.3.0", "Error: queue file write error");
	tx_reset(s);
}

/* One parsed command. */
static void
command(struct bs *s, const struct smtp_cmd *c)
{
	switch (c->verb) {
	case SMTP_VERB_HELO:
	case SMTP_VERB_EHLO:
		ehlo(s, c);
		break;
	case SMTP_VERB_MAIL:
		mail(s, c);
		break;
	case SMTP_VERB_RCPT:
		rcpt(s, c);
		break;
	case SMTP_VERB_DATA:
		data(s);
		break;
	case SMTP_VERB_RSET:
		tx_reset(s);
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_VERB_NOOP:
		reply(s, 250, "2.0.0", "Ok");
		break;
	case SMTP_VERB_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		s->quit = 1;
		break;
	case SMTP_VERB_VRFY:
		reply(s, 252, "2.5.2", "Cannot VRFY user; try RCPT");
		break;
	case SMTP_VERB_HELP:
		reply(s, 214, "2.0.0", "See RFC 5321");
		break;
	case SMTP_VERB_LHLO:
	case SMTP_VERB_BDAT:
	case SMTP_VERB_EXPN:
	case SMTP_VERB_STARTTLS:
	case SMTP_VERB_AUTH:
		reply(s, 502, "5.5.1", "Error: %s not available with -bs",
		    smtpp_verb_name(c->verb));
		break;
	}
}

int
sm_smtp(struct sm *m)
{
	struct bs s;
	struct smtp_cmd c;
	const char *why, *enh;
	int r, eol, code;

	memset(&s, 0, sizeof(s));
	s.m = m;
	if ((s.b = bio_new(0, 1)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	bio_set_timeout(s.b, BS_TIMEOUT_MS, BS_TIMEOUT_MS);
	reply(&s, 220, NULL, "%s ESMTP tern (sendmail -bs)", m->origin);
	while (!s.quit && bio_flush(s.b) == 0) {
		if (s.errors >= BS_ERRORS_MAX) {
			reply(&s, 421, "4.7.0", "%s Error: too many errors",
			    m->origin);
			break;
		}
		r = bio_getline(s.b, &m->line, SMTPP_CMD_LINE_MAX, &eol);
		if (r == BIO_TOOLONG) {
			reply(&s, 500, "5.5.2", "Error: line too long");
			continue;
		}
		if (r != BIO_OK)
			break;		/* EOF, timeout: the session ends */
		memset(&c, 0, sizeof(c));
		why = "";
		r = smtpp_parse_cmd(m->line.s, m->line.len,
		    s.utf8 ? SMTPP_F_UTF8 : 0, &c, &why);
		if (r != SMTPP_OK) {
			smtpp_reply(r, c.verb, &code, &enh);
			reply(&s, code, enh, "Error: %s", why);
			continue;
		}
		command(&s, &c);
	}
	(void)bio_flush(s.b);
	bio_free(&s.b);
	return EX_OK;
}
