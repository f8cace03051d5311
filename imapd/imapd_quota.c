/*
 * imapd_quota.c - QUOTA (RFC 9208): GETQUOTAROOT, GETQUOTA and SETQUOTA.
 * The account has one quota root, "", holding every folder but Trash
 * (which tern-local and lib/mstore do not count).  Its STORAGE limit is
 * the account's quota from the account map (LOGIN_QUOTA, the limit
 * tern-local enforces), its usage the Maildir++ maildirsize file, both in
 * units of 1024 octets (usage rounded up, the limit down).  MESSAGE is
 * reported only when maildirsize carries a count limit, which the account
 * map never sets, so only QUOTA=RES-STORAGE is advertised.  Limits come
 * from the account map: SETQUOTA is answered NO.  An account without a
 * quota has no quota root.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/maildir.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define QUOTA_ROOT	""		/* the account's one quota root */

/* "* QUOTA "" (STORAGE used limit)" for the account. */
static int
quota_line(struct imap *s, const struct maildir_quota *q,
    const struct maildir_usage *u)
{
	const char *sp = "";
	int e = 0;

	sbuf_reset(&s->line);
	e |= sbuf_cat_s(&s->line, "* QUOTA ");
	e |= imapfmt_astring(&s->line, QUOTA_ROOT, strlen(QUOTA_ROOT));
	e |= sbuf_cat_s(&s->line, " (");
	if (q->bytes > 0) {
		e |= sbuf_printf(&s->line, "STORAGE %llu %llu",
		    (unsigned long long)(((uint64_t)u->bytes + 1023) / 1024),
		    (unsigned long long)(q->bytes / 1024));
		sp = " ";
	}
	if (q->count > 0)
		e |= sbuf_printf(&s->line, "%sMESSAGE %llu %llu", sp,
		    (unsigned long long)u->count,
		    (unsigned long long)q->count);
	e |= sbuf_cat_s(&s->line, ")\r\n");
	if (e != 0 || bio_write(s->b, s->line.s, s->line.len) < 0)
		return -1;
	return 0;
}

int
imap_cmd_getquotaroot(struct imap *s)
{
	struct maildir_quota q;
	struct maildir_usage u;
	struct sbuf name;
	unsigned attrs = 0;
	int r = 0, has, counts, e = 0;

	if (s->pc.nargs != 1)
		return imap_bad(s, "GETQUOTAROOT needs a mailbox name");
	sbuf_init(&name, MSTORE_NAME_MAX + 2);
	if (imap_arg_str(s, imapp_arg(&s->pc, 0), &name) < 0) {
		r = imap_bad(s, "Invalid mailbox name");
		goto out;
	}
	/* Answer with the canonical name ("inbox" -> "INBOX"). */
	if (mstore_name_check(s->ms, sbuf_str(&name), &name, NULL) < 0 ||
	    mstore_attrs(s->ms, sbuf_str(&name), &attrs) < 0) {
		r = imap_no_errno(s, "GETQUOTAROOT");
		goto out;
	}
	if (attrs & MSTORE_NOSELECT) {
		errno = ENOENT;
		r = imap_no_errno(s, "GETQUOTAROOT");
		goto out;
	}
	if ((has = mstore_quota_get(s->ms, &q, &u)) < 0 ||
	    (counts = mstore_quota_counts(s->ms, sbuf_str(&name))) < 0) {
		r = imap_no_errno(s, "GETQUOTAROOT");
		goto out;
	}
	sbuf_reset(&s->line);
	e |= sbuf_cat_s(&s->line, "* QUOTAROOT ");
	e |= imap_name_fmt(s, &s->line, name.s, name.len);
	if (has && counts) {
		e |= sbuf_cat_s(&s->line, " ");
		e |= imapfmt_astring(&s->line, QUOTA_ROOT, strlen(QUOTA_ROOT));
	}
	e |= sbuf_cat_s(&s->line, "\r\n");
	if (e != 0 || bio_write(s->b, s->line.s, s->line.len) < 0 ||
	    (has && counts && quota_line(s, &q, &u) < 0))
		r = -1;
	else
		r = imap_ok(s, "GETQUOTAROOT");
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_getquota(struct imap *s)
{
	struct maildir_quota q;
	struct maildir_usage u;
	const struct imapp_tok *t = imapp_arg(&s->pc, 0);
	int has;

	if (s->pc.nargs != 1 || t == NULL || !imapp_tok_is_astring(t))
		return imap_bad(s, "GETQUOTA needs a quota root");
	if ((has = mstore_quota_get(s->ms, &q, &u)) < 0)
		return imap_no_errno(s, "GETQUOTA");
	if (has == 0 || t->n != strlen(QUOTA_ROOT) ||
	    memcmp(t->p, QUOTA_ROOT, t->n) != 0)
		return imap_no(s, "[NONEXISTENT] No such quota root");
	if (quota_line(s, &q, &u) < 0)
		return -1;
	return imap_ok(s, "GETQUOTA");
}

int
imap_cmd_setquota(struct imap *s)
{
	const struct imapp_tok *t = imapp_arg(&s->pc, 1);

	if (s->pc.nargs != 2 || !imapp_tok_is_astring(imapp_arg(&s->pc, 0)) ||
	    t == NULL || t->type != IMAPP_T_LIST)
		return imap_bad(s, "SETQUOTA needs a quota root and a list");
	return imap_no(s, "[NOPERM] Quotas are set in the account map");
}
