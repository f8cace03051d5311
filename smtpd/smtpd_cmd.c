/*
 * smtpd_cmd.c - the verb table: each command is parsed by lib/smtpp (the
 * strict grammar) and then checked against the session's state here.
 * Recipients are checked against the maps during RCPT (lib/resolve), so
 * no bounce is ever made for a recipient that could have been refused.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/log.h"
#include "lib/resolve.h"

#include "smtpd/smtpd.h"

typedef void	handler(struct smtpd *, struct smtp_cmd *);

static const char *
ip_or_dash(const struct smtpd *s)
{
	return s->ip[0] != '\0' ? s->ip : "-";
}

static void
ehlo_reply(struct smtpd *s)
{
	struct sbuf caps;

	sbuf_init(&caps, SMTPD_TEXT_MAX);
	if (sbuf_printf(&caps, "%s\nPIPELINING\nSIZE %llu\n8BITMIME\n"
	    "ENHANCEDSTATUSCODES\nSMTPUTF8\nCHUNKING\nDSN%s%s", s->hostname,
	    (unsigned long long)s->size_limit,
	    s->tls == NULL && s->tls_ctx != NULL ? "\nSTARTTLS" : "",
	    smtpd_auth_offered(s) ? "\nAUTH PLAIN LOGIN" : "") < 0 ||
	    sbuf_str(&caps) == NULL) {
		smtpd_reply(s, 451, "4.3.0", "Error: out of memory");
		sbuf_fini(&caps);
		return;
	}
	smtpd_reply(s, 250, NULL, "%s", caps.s);
	sbuf_fini(&caps);
}

static void
cmd_helo(struct smtpd *s, struct smtp_cmd *c)
{
	int is_lmtp = s->mode == SMTPD_LMTP;

	if ((c->verb == SMTP_VERB_LHLO) != is_lmtp) {
		smtpd_reply(s, 500, "5.5.1", "Error: %s is not %s",
		    smtpp_verb_name(c->verb), is_lmtp ? "LMTP (use LHLO)" :
		    "SMTP");
		return;
	}
	if (c->arg_len > ENV_HELO_MAX) {
		smtpd_reply(s, 501, "5.5.4", "Error: name too long");
		return;
	}
	smtpd_tx_reset(s);
	memcpy(s->helo, c->arg, c->arg_len);
	s->helo[c->arg_len] = '\0';
	s->helo_kind = c->verb == SMTP_VERB_HELO ? 1 : 2;
	log_info("helo from %s: %s=%s", ip_or_dash(s),
	    smtpp_verb_name(c->verb), log_esc(c->arg, c->arg_len));
	if (s->helo_kind == 1)
		smtpd_reply(s, 250, NULL, "%s", s->hostname);
	else
		ehlo_reply(s);
}

/*
 * DSN (RFC 3461) is offered after EHLO and LHLO in every mode: RET and
 * ENVID on MAIL, NOTIFY and ORCPT on RCPT, parsed strictly by lib/smtpp
 * (xtext decoded, lengths bounded) and kept in the envelope: ENVID
 * decoded (printable ASCII), ORCPT as "rfc822;" and the address encoded
 * again as xtext, so only xchars reach the queue and the next hop.
 */
static void
mail_dsn(struct smtpd *s, const struct smtp_cmd *c)
{
	s->env.ret = c->ret == SMTP_RET_FULL ? ENV_RET_FULL :
	    c->ret == SMTP_RET_HDRS ? ENV_RET_HDRS : ENV_RET_NONE;
	memcpy(s->env.envid, c->envid, c->envid_len);	/* <= ENV_ENVID_MAX */
	s->env.envid[c->envid_len] = '\0';
}

static unsigned
rcpt_notify(const struct smtp_cmd *c)
{
	return ((c->notify & SMTPP_NOTIFY_NEVER) ? ENV_N_NEVER : 0) |
	    ((c->notify & SMTPP_NOTIFY_SUCCESS) ? ENV_N_SUCCESS : 0) |
	    ((c->notify & SMTPP_NOTIFY_FAILURE) ? ENV_N_FAILURE : 0) |
	    ((c->notify & SMTPP_NOTIFY_DELAY) ? ENV_N_DELAY : 0);
}

/* ORCPT as the envelope keeps it: "rfc822;" xtext.  0, or -1. */
static int
rcpt_orcpt(const struct smtp_cmd *c, struct sbuf *out)
{
	sbuf_reset(out);
	if ((c->params & SMTPP_P_ORCPT) == 0 || c->orcpt_len == 0)
		return 0;	/* none, or one lib/smtpp dropped */
	if (sbuf_cat_s(out, "rfc822;") < 0 ||
	    smtpp_xtext_encode(c->orcpt, c->orcpt_len, out) < 0 ||
	    sbuf_str(out) == NULL)
		return -1;
	return 0;
}

static int
is_submission(const struct smtpd *s)
{
	return s->mode == SMTPD_SUBMISSION || s->mode == SMTPD_SUBMISSIONS;
}

/*
 * A submission's MAIL: authenticated, a sender the account owns, under
 * its hourly limit.  0 or -1 (replied).
 */
static int
check_submitter(struct smtpd *s, const struct addr *from, const char *a)
{
	int r;

	if (s->auth_user[0] == '\0') {
		smtpd_reply(s, 530, "5.7.0", "Authentication required");
		return -1;
	}
	if (from->is_null && !s->null_sender_ok) {
		log_info("reject: MAIL from %s: 553 5.7.1 <>: null sender%s",
		    ip_or_dash(s), smtpd_user_kv(s));
		smtpd_reply(s, 553, "5.7.1", "<>: Sender address rejected: "
		    "null sender not allowed");
		return -1;
	}
	if (!from->is_null && (s->sender_check & SMTPD_CHECK_ENVELOPE)) {
		if ((r = smtpd_sender_owned(s, from)) < 0) {
			log_warn_sys("maps lookup for <%s>", log_esc_s(a));
			smtpd_reply(s, 451, "4.3.0", "<%s>: Sender address "
			    "rejected: temporary lookup failure", a);
			return -1;
		}
		if (r == 0) {
			log_info("reject: MAIL from %s: 553 5.7.1 <%s>: not "
			    "owned%s", ip_or_dash(s), log_esc_s(a),
			    smtpd_user_kv(s));
			smtpd_reply(s, 553, "5.7.1", "<%s>: Sender address "
			    "rejected: not owned by user %s", a, s->auth_user);
			return -1;
		}
	}
	if (smtpd_rate_over(s)) {
		smtpd_reply(s, 450, "4.7.1", "Error: too many messages from "
		    "%s; try again later", s->auth_user);
		return -1;
	}
	return 0;
}

static void
cmd_mail(struct smtpd *s, struct smtp_cmd *c)
{
	struct sbuf a;

	if (s->helo_kind == 0) {
		smtpd_reply(s, 503, "5.5.1", "Error: send %s first",
		    s->mode == SMTPD_LMTP ? "LHLO" : "HELO/EHLO");
		return;
	}
	if (s->has_mail) {
		smtpd_reply(s, 503, "5.5.1", "Error: nested MAIL command");
		return;
	}
	if ((c->params != 0 && s->helo_kind == 1) ||
	    ((c->params & SMTPP_P_AUTH) && !is_submission(s)) ||
	    c->body == SMTP_BODY_BINARYMIME) {
		smtpd_reply(s, 555, "5.5.4", "Error: parameter not supported");
		return;
	}
	if ((c->params & SMTPP_P_SIZE) && s->size_limit > 0 &&
	    c->size > s->size_limit) {
		smtpd_reply(s, 552, "5.3.4", "Error: message size exceeds "
		    "fixed limit");
		return;
	}
	sbuf_init(&a, ADDR_FORMAT_MAX + 1);
	if (addr_format(&c->path, &a) < 0 || sbuf_str(&a) == NULL ||
	    strlcpy(s->env.sender, a.s, sizeof s->env.sender) >=
	    sizeof s->env.sender) {
		sbuf_fini(&a);
		smtpd_reply(s, 501, "5.1.7", "Error: bad sender address");
		return;
	}
	if (is_submission(s) && check_submitter(s, &c->path, a.s) < 0) {
		sbuf_fini(&a);
		return;
	}
	sbuf_fini(&a);
	(void)strlcpy(s->env.auth_user, s->auth_user,
	    sizeof s->env.auth_user);	/* same size */
	s->utf8 = (c->params & SMTPP_P_SMTPUTF8) != 0;
	s->env.flags = s->utf8 ? ENV_F_SMTPUTF8 : 0;
	s->env.body = c->body == SMTP_BODY_7BIT ? ENV_BODY_7BIT :
	    c->body == SMTP_BODY_8BITMIME ? ENV_BODY_8BITMIME : ENV_BODY_NONE;
	(void)strlcpy(s->env.client_ip, s->ip, sizeof s->env.client_ip);
	(void)strlcpy(s->env.helo, s->helo, sizeof s->env.helo); /* fits */
	mail_dsn(s, c);
	s->has_mail = 1;
	smtpd_reply(s, 250, "2.1.0", "Ok");
}

/* Refuse a recipient: the reply and one log line. */
static void
refuse(struct smtpd *s, const char *a, int code, const char *enh,
    const char *why)
{
	log_info("reject: RCPT from %s: %d %s <%s>: %s%s", ip_or_dash(s),
	    code, enh, log_esc_s(a), why, smtpd_user_kv(s));
	smtpd_reply(s, code, enh, "<%s>: Recipient address rejected: %s",
	    a, why);
}

/* May mail for a be accepted?  0 yes, -1 refused (replied). */
static int
check_rcpt(struct smtpd *s, const struct addr *ad, const char *a, size_t n)
{
	struct resolve_result r;
	int rc = -1;

	if (ad->domain_len == 0)
		return 0;		/* bare Postmaster: RFC 5321 4.5.1 */
	memset(&r, 0, sizeof r);
	if (resolve_address(&s->maps, a, n, &r) < 0) {
		log_warn_sys("maps lookup for <%s>", log_esc_s(a));
		refuse(s, a, 451, "4.3.0", "temporary lookup failure");
		return -1;
	}
	switch (r.status) {
	case RESOLVE_OK:
		rc = 0;
		break;
	case RESOLVE_UNKNOWN:
		refuse(s, a, 550, "5.1.1", "User unknown");
		break;
	case RESOLVE_DISABLED:
		refuse(s, a, 550, "5.2.1", "Mailbox disabled");
		break;
	case RESOLVE_FOREIGN:
		if (s->auth_user[0] != '\0')
			rc = 0;		/* authenticated: relay anywhere */
		else if (s->mode == SMTPD_LMTP)
			refuse(s, a, 550, "5.1.2", "Not a local domain");
		else
			refuse(s, a, 554, "5.7.1", "Relay access denied");
		break;
	case RESOLVE_LOOP:
		refuse(s, a, 550, "5.4.6", "Alias loop");
		break;
	case RESOLVE_TOOMANY:
		refuse(s, a, 550, "5.3.0", "Alias expands to too many "
		    "addresses");
		break;
	}
	resolve_result_fini(&r);
	return rc;
}

static void
cmd_rcpt(struct smtpd *s, struct smtp_cmd *c)
{
	struct sbuf a, o;

	if (!s->has_mail || s->bdat) {
		smtpd_reply(s, 503, "5.5.1", "Error: need MAIL command");
		return;
	}
	if (c->params != 0 && s->helo_kind == 1) {
		smtpd_reply(s, 555, "5.5.4", "Error: parameter not supported");
		return;
	}
	if (s->env.nrcpt >= s->rcpt_limit) {
		/*
		 * RFC 5321 4.5.3.1.10: the client sends DATA for those it
		 * has and the rest later.  A pipelining client has sent them
		 * all already, so these 452s are not errors that end the
		 * session (and lose the transaction), up to a bound.
		 */
		s->nocount = s->rcpt_over < SMTPD_RCPT_OVERSHOOT;
		if (s->nocount)
			s->rcpt_over++;
		smtpd_reply(s, 452, "4.5.3", "Error: too many recipients");
		s->nocount = 0;
		return;
	}
	sbuf_init(&a, ADDR_FORMAT_MAX + 1);
	sbuf_init(&o, ENV_ORCPT_MAX + 1);
	if (addr_format(&c->path, &a) < 0 || sbuf_str(&a) == NULL) {
		smtpd_reply(s, 501, "5.1.3", "Error: bad recipient address");
		goto out;
	}
	if (rcpt_orcpt(c, &o) < 0) {
		/* Decoded it fit SMTPP_ORCPT_MAX; encoded it may not. */
		smtpd_reply(s, 501, "5.5.4", "Error: ORCPT too long");
		goto out;
	}
	if (check_rcpt(s, &c->path, a.s, a.len) == 0) {
		if (envelope_add_rcpt(&s->env, a.s, o.len > 0 ? o.s : NULL,
		    rcpt_notify(c), NULL) < 0)
			smtpd_reply(s, 452, "4.5.3", "Error: cannot take "
			    "this recipient");
		else
			smtpd_reply(s, 250, "2.1.5", "Ok");
	}
out:
	sbuf_fini(&a);
	sbuf_fini(&o);
}

static void
cmd_data(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	smtpd_data(s);
}

static void
cmd_bdat(struct smtpd *s, struct smtp_cmd *c)
{
	smtpd_bdat(s, c->chunk_size, c->last);
}

/*
 * A command that moves no mail forward.  A session of nothing else would
 * hold its connection until smtpd_session_limit; past SMTPD_JUNK_MAX since
 * the last message queued each one counts as an error, so such a session
 * ends at smtpd_hard_error_limit.
 */
static void
junk(struct smtpd *s)
{
	if (s->junk < SMTPD_JUNK_MAX)
		s->junk++;
	else
		s->errors++;
}

static void
cmd_rset(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	junk(s);
	smtpd_tx_reset(s);
	smtpd_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_noop(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	junk(s);
	smtpd_reply(s, 250, "2.0.0", "Ok");
}

static void
cmd_quit(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	smtpd_tx_reset(s);
	smtpd_reply(s, 221, "2.0.0", "Bye");
	s->quit = 1;
}

static void
cmd_vrfy(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	junk(s);
	/* Never tell which users exist outside a transaction. */
	smtpd_reply(s, 252, "2.5.2", "Cannot VRFY user; try RCPT");
}

static void
cmd_expn(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	smtpd_reply(s, 502, "5.5.1", "Error: EXPN not available");
}

static void
cmd_help(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	junk(s);
	smtpd_reply(s, 214, "2.0.0", "See RFC 5321");
}

static void
cmd_starttls(struct smtpd *s, struct smtp_cmd *c)
{
	(void)c;
	smtpd_starttls(s);
}

static void
cmd_auth(struct smtpd *s, struct smtp_cmd *c)
{
	smtpd_auth(s, c);
}

/* Indexed by enum smtp_verb (checked in smtpd_command). */
static const struct {
	enum smtp_verb	 verb;
	handler		*fn;
} verbs[SMTPD_NVERBS] = {
	{ SMTP_VERB_HELO, cmd_helo },
	{ SMTP_VERB_EHLO, cmd_helo },
	{ SMTP_VERB_LHLO, cmd_helo },
	{ SMTP_VERB_MAIL, cmd_mail },
	{ SMTP_VERB_RCPT, cmd_rcpt },
	{ SMTP_VERB_DATA, cmd_data },
	{ SMTP_VERB_BDAT, cmd_bdat },
	{ SMTP_VERB_RSET, cmd_rset },
	{ SMTP_VERB_NOOP, cmd_noop },
	{ SMTP_VERB_QUIT, cmd_quit },
	{ SMTP_VERB_VRFY, cmd_vrfy },
	{ SMTP_VERB_EXPN, cmd_expn },
	{ SMTP_VERB_HELP, cmd_help },
	{ SMTP_VERB_STARTTLS, cmd_starttls },
	{ SMTP_VERB_AUTH, cmd_auth },
};

void
smtpd_command(struct smtpd *s, const char *line, size_t len)
{
	struct smtp_cmd c;
	const char *why = "", *enh;
	int code, rc;
	size_t v;

	s->ncmds++;
	memset(&c, 0, sizeof c);
	rc = smtpp_parse_cmd(line, len, s->utf8 ? SMTPP_F_UTF8 : 0, &c, &why);
	if (rc != SMTPP_OK) {
		smtpp_reply(rc, c.verb, &code, &enh);
		smtpd_reply(s, code, enh, "Error: %s", why);
		/* A BDAT we cannot parse leaves its chunk unread: the
		 * session cannot find the next command (RFC 3030 2). */
		if (len >= 4 && strncasecmp(line, "BDAT", 4) == 0 &&
		    (len == 4 || line[4] == ' ')) {
			smtpd_reply(s, 421, "4.5.0", "%s Error: lost "
			    "synchronisation", s->hostname);
			s->quit = 1;
		}
		return;
	}
	v = (size_t)c.verb;
	if (v >= SMTPD_NVERBS || verbs[v].verb != c.verb)
		panic("verb table out of order at %zu", v);
	s->count[v]++;
	verbs[v].fn(s, &c);
}
