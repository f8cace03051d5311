/*
 * smtpd_auth.c - AUTH (RFC 4954) for submission and submissions, and
 * what an authenticated session may do: which sender addresses belong to
 * the account (envelope and header From:), and its hourly message count.
 *
 * Mechanisms PLAIN (RFC 4616; initial response or 334) and LOGIN.  The
 * password goes to tern-authd (lib/authc) and is wiped from every buffer
 * here once it is sent.  Before TLS AUTH is neither offered nor accepted
 * (538 5.7.11) unless the client is in login_plaintext_networks or
 * allow_plain_passwords is yes: the rule tern-pop3d follows; tern-authd
 * applies it again (auth_allow_plaintext, by default the same networks).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>

#include "lib/authc.h"
#include "lib/base64.h"
#include "lib/bio.h"
#include "lib/cdbmap.h"
#include "lib/hdraddr.h"
#include "lib/log.h"

#include "smtpd/smtpd.h"

#define AUTH_DECODED_MAX	(AUTHC_USER_MAX * 2 + AUTHC_PASS_MAX + 2)

static const char *
ip_or_dash(const struct smtpd *s)
{
	return s->ip[0] != '\0' ? s->ip : "-";
}

/* May AUTH be offered now? */
int
smtpd_auth_offered(const struct smtpd *s)
{
	return (s->mode == SMTPD_SUBMISSION || s->mode == SMTPD_SUBMISSIONS) &&
	    s->auth_user[0] == '\0' && (s->tls != NULL || s->plain_ok);
}

/*
 * Read one response line of the exchange into out (base64 decoded).
 * 0; 1 the client sent "*"; -1 the session is lost; -2 bad base64
 * (replied).
 */
static int
response(struct smtpd *s, struct sbuf *out)
{
	const char *why = "";
	int eol = BIO_EOL_NONE, r;

	if (bio_flush(s->b) < 0)
		return -1;
	r = bio_getline(s->b, &s->line, SMTPP_AUTH_LINE_MAX, &eol);
	if (r == BIO_TOOLONG) {
		smtpd_reply(s, 500, "5.5.6", "Error: authentication exchange "
		    "line is too long");
		return -2;
	}
	if (r != BIO_OK || eol == BIO_EOL_NONE)
		return -1;
	if (s->line.len == 1 && s->line.s[0] == '*')
		return 1;
	r = base64_decode(s->line.s, s->line.len, out, &why);
	explicit_bzero(s->line.s, s->line.len);
	if (r < 0) {
		smtpd_reply(s, 501, "5.5.2", "Error: cannot decode response");
		return -2;
	}
	return 0;
}

/* Ask tern-authd; reply 235, 535 or 454. */
static void
verify(struct smtpd *s, const char *mech, const char *user, size_t ulen,
    const char *pass, size_t plen)
{
	struct authc_req q;
	struct authc_reply rep;

	memset(&q, 0, sizeof q);
	memset(&rep, 0, sizeof rep);
	q.service = "submission";
	q.remote_ip = s->ip;
	q.user = user;
	q.user_len = ulen;
	q.pass = pass;
	q.pass_len = plen;
	q.tls = s->tls != NULL;
	if (authc_verify(s->auth_socket, &q, &rep, AUTHC_TIMEOUT_MS) < 0) {
		log_warn_sys("auth: cannot ask tern-authd (%s) for %s",
		    log_esc_s(s->auth_socket), ip_or_dash(s));
		smtpd_reply(s, 454, "4.7.0", "Temporary authentication "
		    "failure");
		return;
	}
	switch (rep.status) {
	case AUTHC_OK:
		(void)strlcpy(s->auth_user, rep.addr, sizeof s->auth_user);
		log_info("auth ok from %s: mech=%s user=%s", ip_or_dash(s),
		    mech, log_esc_s(s->auth_user));
		smtpd_reply(s, 235, "2.7.0", "Authentication successful");
		return;
	case AUTHC_FAIL:
		log_info("auth failed from %s: mech=%s user=%s%s",
		    ip_or_dash(s), mech, log_esc(user, ulen),
		    rep.reason == AUTHC_R_PLAINTEXT ? " reason=plaintext" : "");
		smtpd_reply(s, 535, "5.7.8", "Error: authentication "
		    "credentials invalid");
		return;
	case AUTHC_TEMPFAIL:
		log_info("auth tempfail from %s: user=%s", ip_or_dash(s),
		    log_esc(user, ulen));
		smtpd_reply(s, 454, "4.7.0", "Temporary authentication "
		    "failure");
		return;
	case AUTHC_THROTTLED:
		log_info("auth throttled from %s: user=%s", ip_or_dash(s),
		    log_esc(user, ulen));
		smtpd_reply(s, 454, "4.7.0", "Error: too many failed "
		    "logins; try again later");
		return;
	}
	smtpd_reply(s, 454, "4.7.0", "Temporary authentication failure");
}

/* RFC 4616: [authzid] NUL authcid NUL passwd. */
static void
plain(struct smtpd *s, struct sbuf *d)
{
	const char *z, *u, *p;
	size_t zl, ul, pl;

	z = d->s;
	u = d->len > 0 ? memchr(d->s, '\0', d->len) : NULL;
	p = u != NULL ? memchr(u + 1, '\0', d->len - (size_t)(u + 1 - d->s)) :
	    NULL;
	if (u == NULL || p == NULL) {
		smtpd_reply(s, 501, "5.5.2", "Error: malformed PLAIN "
		    "response");
		return;
	}
	zl = (size_t)(u - z);
	u++;
	ul = (size_t)(p - u);
	p++;
	pl = d->len - (size_t)(p - d->s);
	/* No proxy authorisation: authzid empty or the same user. */
	if (ul == 0 || (zl > 0 && (zl != ul || strncasecmp(z, u, ul) != 0))) {
		log_info("auth failed from %s: mech=PLAIN authzid differs",
		    ip_or_dash(s));
		smtpd_reply(s, 535, "5.7.8", "Error: authentication "
		    "credentials invalid");
		return;
	}
	verify(s, "PLAIN", u, ul, p, pl);
}

static void
login(struct smtpd *s, const struct smtp_cmd *c, struct sbuf *user,
    struct sbuf *pass)
{
	const char *why = "";
	int r;

	if (c->has_initial) {
		if (base64_decode(c->initial, c->initial_len, user, &why) < 0) {
			smtpd_reply(s, 501, "5.5.2", "Error: cannot decode "
			    "response");
			return;
		}
	} else {
		smtpd_reply(s, 334, NULL, "VXNlcm5hbWU6");	/* Username: */
		if ((r = response(s, user)) != 0)
			goto cancel;
	}
	smtpd_reply(s, 334, NULL, "UGFzc3dvcmQ6");		/* Password: */
	if ((r = response(s, pass)) != 0)
		goto cancel;
	if (user->len == 0 || memchr(user->s, '\0', user->len) != NULL) {
		smtpd_reply(s, 535, "5.7.8", "Error: authentication "
		    "credentials invalid");
		return;
	}
	verify(s, "LOGIN", user->s, user->len, pass->s, pass->len);
	return;
cancel:
	if (r == 1)
		smtpd_reply(s, 501, "5.7.0", "Authentication aborted");
	else if (r == -1)
		s->quit = 1;
}

void
smtpd_auth(struct smtpd *s, struct smtp_cmd *c)
{
	struct sbuf d, u;
	const char *why = "";
	int r;

	if (s->mode != SMTPD_SUBMISSION && s->mode != SMTPD_SUBMISSIONS) {
		smtpd_reply(s, 502, "5.5.1", "Error: authentication not "
		    "available");
		return;
	}
	if (s->helo_kind != 2) {
		smtpd_reply(s, 503, "5.5.1", "Error: send EHLO first");
		return;
	}
	if (s->auth_user[0] != '\0') {
		smtpd_reply(s, 503, "5.5.1", "Error: already authenticated");
		return;
	}
	if (s->has_mail) {
		smtpd_reply(s, 503, "5.5.1", "Error: AUTH not allowed in a "
		    "mail transaction");
		return;
	}
	if (s->tls == NULL && !s->plain_ok) {
		log_info("auth refused before TLS from %s", ip_or_dash(s));
		smtpd_reply(s, 538, "5.7.11", "Encryption required for "
		    "requested authentication mechanism");
		return;
	}
	sbuf_init(&d, AUTH_DECODED_MAX);
	sbuf_init(&u, AUTH_DECODED_MAX);
	if (c->mech_len == 5 && strncasecmp(c->mech, "LOGIN", 5) == 0)
		login(s, c, &u, &d);
	else if (c->mech_len == 5 && strncasecmp(c->mech, "PLAIN", 5) == 0) {
		if (c->has_initial) {
			r = base64_decode(c->initial, c->initial_len, &d, &why);
			if (r < 0)
				smtpd_reply(s, 501, "5.5.2", "Error: cannot "
				    "decode response");
			else
				plain(s, &d);
		} else {
			/* RFC 4954 4: "334" SP, even with no challenge. */
			if (bio_write(s->b, "334 \r\n", 6) < 0)
				s->quit = 1;
			r = s->quit ? -1 : response(s, &d);
			if (r == 0)
				plain(s, &d);
			else if (r == 1)
				smtpd_reply(s, 501, "5.7.0", "Authentication "
				    "aborted");
			else if (r == -1)
				s->quit = 1;
		}
	} else
		smtpd_reply(s, 504, "5.5.4", "Error: unrecognized "
		    "authentication type");
	explicit_bzero(s->line.s, s->line.len);
	sbuf_fini_secret(&d);
	sbuf_fini_secret(&u);
}

/* Lowercased "local@domain" of a into out: 0 or -1. */
static int
key_of(const char *local, size_t ll, const char *domain, struct sbuf *out)
{
	size_t i;

	sbuf_reset(out);
	if (sbuf_cat_n(out, local, ll) < 0 || sbuf_cat_c(out, '@') < 0 ||
	    sbuf_cat_s(out, domain) < 0 || sbuf_str(out) == NULL)
		return -1;
	for (i = 0; i < out->len; i++)
		if (out->s[i] >= 'A' && out->s[i] <= 'Z')
			out->s[i] = (char)(out->s[i] - 'A' + 'a');
	return 0;
}

/* Does map[k] ("a,b,...") name the account?  1, 0, -1 (map error). */
static int
names_user(struct smtpd *s, struct cdbmap *map, const struct sbuf *k)
{
	const void *v;
	const char *p;
	size_t vn, i = 0, j, n = strlen(s->auth_user);
	int r;

	if (map == NULL)
		return 0;
	if ((r = cdbmap_lookup(map, k->s, k->len, &v, &vn)) <= 0)
		return r;
	p = v;
	while (i < vn) {
		for (j = i; j < vn && p[j] != ','; j++)
			;
		if (j - i == n && strncasecmp(p + i, s->auth_user, n) == 0)
			return 1;
		i = j + 1;
	}
	return 0;
}

/* The key itself, or an alias or sender_login entry naming the user. */
static int
key_owned(struct smtpd *s, const struct sbuf *k)
{
	int r;

	if (strcmp(k->s, s->auth_user) == 0)
		return 1;
	if ((r = names_user(s, s->maps.aliases, k)) != 0)
		return r;
	return names_user(s, s->senders, k);
}

/*
 * Does this address belong to the authenticated account?  It does when,
 * lowercased, it is the account, or an alias whose targets name the
 * account directly (a catch-all "@domain" alias does not count), or a
 * sender_login entry naming it; each with or without a +extension
 * (recipient_delimiter); or when sender_login's "@domain" entry names
 * the account.  1 yes, 0 no, -1 map error.
 */
int
smtpd_sender_owned(struct smtpd *s, const struct addr *a)
{
	struct sbuf k;
	const char *ext;
	size_t base, extlen;
	int r = 0;

	if (a->is_null || a->domain_len == 0 || s->auth_user[0] == '\0')
		return 0;
	sbuf_init(&k, ADDR_FORMAT_MAX + 2);
	if (key_of(a->local, a->local_len, a->domain, &k) < 0)
		goto out;
	if ((r = key_owned(s, &k)) != 0)
		goto out;
	if (addr_split_delim(a->local, a->local_len, s->maps.delims,
	    &base, &ext, &extlen)) {
		if (key_of(a->local, base, a->domain, &k) < 0)
			goto out;
		if ((r = key_owned(s, &k)) != 0)
			goto out;
	}
	if (key_of("", 0, a->domain, &k) == 0)
		r = names_user(s, s->senders, &k);
out:
	sbuf_fini(&k);
	return r;
}

/*
 * The header From: check after DATA/BDAT: at most one From: field, and
 * every address of it belongs to the account.  A message without From:
 * passes (there is no one to impersonate).  A line that is no field does
 * not end the walk: readers (our own IMAP ENVELOPE among them) go on past
 * it to a From: below, so the check must see that From: too.  A header
 * section longer than the SMTPD_HDRS_MAX bytes kept is refused, since a
 * From: past them could not be checked.  0 passes, -1 refused (*why_r),
 * -2 a map error.
 */
int
smtpd_header_from_ok(struct smtpd *s, const char **why_r)
{
	struct addr a[SMTPD_FROM_MAX];
	struct hdr_field f;
	const char *why = "";
	size_t off = 0, n, i, nfrom = 0;
	int r;

	*why_r = "";
	if (s->hdr_over) {
		*why_r = "header section too large to check From:";
		return -1;
	}
	/* The header ends at the empty line; HDR_EBAD skips a bad line. */
	while ((r = hdr_next(s->hdr.s, s->hdr.len, &off, &f)) != 0) {
		if (r != 1 || !hdr_is(&f, "from"))
			continue;
		if (++nfrom > 1) {
			*why_r = "more than one From: field";
			return -1;
		}
		if (hdr_addr_list(f.value, f.value_len, NULL,
		    s->utf8 ? ADDR_UTF8 : 0, a, SMTPD_FROM_MAX, &n, &why) < 0) {
			*why_r = "unreadable From: field";
			return -1;
		}
		for (i = 0; i < n; i++) {
			r = smtpd_sender_owned(s, &a[i]);
			if (r < 0)
				return -2;
			if (r == 0) {
				*why_r = "From: address not owned by the "
				    "authenticated user";
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Keep the client's header section (the bytes after our Received:) up to
 * its empty line, at most SMTPD_HDRS_MAX bytes.
 */
void
smtpd_hdr_feed(struct smtpd *s, const char *p, size_t n)
{
	size_t from, room;
	const char *e;
	int cut = 0;

	if (s->hdr_done || n == 0 || s->auth_user[0] == '\0' ||
	    !(s->sender_check & SMTPD_CHECK_HEADER))
		return;			/* only the From: check needs it */
	from = s->hdr.len >= 3 ? s->hdr.len - 3 : 0;
	/* Keep what fits: the empty line may be among the first bytes. */
	room = s->hdr.max - s->hdr.len;
	if (n > room) {
		n = room;
		cut = 1;
	}
	if (sbuf_cat_n(&s->hdr, p, n) < 0) {
		s->hdr_over = 1;	/* no memory: cannot check, refuse */
		s->hdr_done = 1;
		return;
	}
	if (s->hdr.len >= 2 && s->hdr.s[0] == '\r' && s->hdr.s[1] == '\n') {
		sbuf_truncate(&s->hdr, 0);	/* no header at all */
		s->hdr_done = 1;
		return;
	}
	for (e = s->hdr.s + from; e + 4 <= s->hdr.s + s->hdr.len; e++)
		if (memcmp(e, "\r\n\r\n", 4) == 0) {
			sbuf_truncate(&s->hdr, (size_t)(e - s->hdr.s) + 2);
			s->hdr_done = 1;
			return;
		}
	if (cut) {
		s->hdr_over = 1;
		s->hdr_done = 1;
	}
}

const char *
smtpd_user_kv(const struct smtpd *s)
{
	static char kv[ENV_AUTH_MAX + 8];

	if (s->auth_user[0] == '\0')
		return "";
	/* auth_user came from tern-authd: an address, no control byte. */
	if (snprintf(kv, sizeof kv, " user=%s", s->auth_user) < 0)
		return "";
	return kv;
}
