/*
 * imapd_cmd_folder.c - the commands on mailbox names (RFC 3501 6.3):
 * LIST (with SPECIAL-USE and CHILDREN attributes, RFC 6154, RFC 3348),
 * LSUB, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.  Names
 * are checked by lib/mstore, which refuses anything that could leave the
 * account's Maildir.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define NAME_BUF	(MSTORE_NAME_MAX + 2)

struct list_ctx {
	struct imap	*s;
	const char	*verb;		/* "LIST" or "LSUB" */
	int		 lsub;
	int		 failed;
};

static const struct {
	unsigned	 bit;
	const char	*name;
} attr_names[] = {
	{ MSTORE_NOSELECT, "\\Noselect" },
	{ MSTORE_NONEXISTENT, "\\NonExistent" },
	{ MSTORE_HASCHILDREN, "\\HasChildren" },
	{ MSTORE_HASNOCHILDREN, "\\HasNoChildren" },
	{ MSTORE_DRAFTS, "\\Drafts" },
	{ MSTORE_SENT, "\\Sent" },
	{ MSTORE_TRASH, "\\Trash" },
	{ MSTORE_JUNK, "\\Junk" },
	{ MSTORE_ARCHIVE, "\\Archive" },
};

static int
list_one(void *arg, const char *name, unsigned attrs)
{
	struct list_ctx *c = arg;
	struct sbuf *l = &c->s->line;
	size_t i;
	int first = 1, r = 0;

	if (c->lsub) {
		/* LSUB: a parent that is not subscribed itself is
		 * \Noselect (RFC 3501 6.3.9). */
		attrs &= MSTORE_NOSELECT | MSTORE_SPECIAL_USE;
		if (!(attrs & MSTORE_SUBSCRIBED))
			attrs |= MSTORE_NOSELECT;
	}
	if (attrs & MSTORE_NONEXISTENT)
		attrs |= MSTORE_NOSELECT;
	sbuf_reset(l);
	r |= sbuf_printf(l, "* %s (", c->verb);
	for (i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++) {
		if (!(attrs & attr_names[i].bit))
			continue;
		r |= sbuf_printf(l, "%s%s", first ? "" : " ",
		    attr_names[i].name);
		first = 0;
	}
	r |= sbuf_printf(l, ") \"%c\" ", c->s->sep);
	r |= imap_name_fmt(c->s, l, name, strlen(name));
	if (r != 0 || bio_write(c->s->b, l->s, l->len) < 0 ||
	    bio_puts(c->s->b, "\r\n") < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

static int
list_common(struct imap *s, int lsub)
{
	struct imapp_list lp;
	struct list_ctx c;
	struct sbuf ref, pat;
	const char *why = "";
	size_t i;
	int r = 0;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.lsub = lsub;
	c.verb = lsub ? "LSUB" : "LIST";
	if (imapp_list_parse(&s->pc, imapp_arg(&s->pc, 0), &lp, &why) < 0)
		return imap_bad(s, why);
	if (lp.extended)
		return imap_bad(s, "LIST-EXTENDED is not supported");
	sbuf_init(&ref, NAME_BUF);
	sbuf_init(&pat, NAME_BUF);
	if (sbuf_cat_n(&ref, lp.ref->p, lp.ref->n) < 0 ||
	    sbuf_nul(&ref) < 0 || memchr(ref.s, '\0', ref.len) != NULL ||
	    imap_name_in(s, &ref) < 0) {
		r = imap_bad(s, "Invalid reference");
		goto out;
	}
	for (i = 0; i < lp.npatterns && !c.failed; i++) {
		sbuf_reset(&pat);
		if (sbuf_cat_n(&pat, lp.pattern[i]->p, lp.pattern[i]->n) < 0 ||
		    sbuf_nul(&pat) < 0 ||
		    memchr(pat.s, '\0', pat.len) != NULL ||
		    imap_name_in(s, &pat) < 0) {
			r = imap_bad(s, "Invalid pattern");
			goto out;
		}
		if (pat.len == 0 && !lsub) {
			/* RFC 3501 6.3.8: the separator and the root. */
			if (imap_out(s, "* LIST (\\Noselect) \"%c\" \"\"",
			    s->sep) < 0)
				c.failed = 1;
			continue;
		}
		if (mstore_list(s->ms, sbuf_str(&ref), sbuf_str(&pat),
		    lsub ? MSTORE_LIST_SUBSCRIBED : 0, list_one, &c) < 0 &&
		    !c.failed) {
			if (errno == EINVAL)
				continue;	/* matches nothing */
			r = imap_no_errno(s, c.verb);
			goto out;
		}
	}
	r = c.failed ? -1 : imap_ok(s, c.verb);
out:
	sbuf_fini(&ref);
	sbuf_fini(&pat);
	return r;
}

int
imap_cmd_list(struct imap *s)
{
	return list_common(s, 0);
}

int
imap_cmd_lsub(struct imap *s)
{
	return list_common(s, 1);
}

/* One mailbox name argument (index i) into name. */
static int
name_arg(struct imap *s, uint32_t i, struct sbuf *name)
{
	if (imap_arg_str(s, imapp_arg(&s->pc, i), name) < 0) {
		(void)imap_bad(s, "Invalid mailbox name");
		return -1;
	}
	return 0;
}

int
imap_cmd_status(struct imap *s)
{
	struct mstore_status st;
	struct sbuf name;
	const char *why = "";
	unsigned items;
	int r = 0, e = 0;

	if (s->pc.nargs != 2)
		return imap_bad(s, "STATUS needs a mailbox and items");
	sbuf_init(&name, NAME_BUF);
	if (name_arg(s, 0, &name) < 0)
		goto out;
	if (imapp_status_items_parse(&s->pc, imapp_arg(&s->pc, 1), &items,
	    &why) < 0) {
		r = imap_bad(s, why);
		goto out;
	}
	if ((items & IMAPP_ST_RECENT) && IMAP_REV2(s)) {
		r = imap_bad(s, "IMAP4rev2 has no STATUS RECENT");
		goto out;
	}
	if (mstore_status(s->ms, sbuf_str(&name), &st) < 0) {
		r = imap_no_errno(s, "STATUS");
		goto out;
	}
	sbuf_reset(&s->line);
	e |= sbuf_cat_s(&s->line, "* STATUS ");
	e |= imap_name_fmt(s, &s->line, name.s, name.len);
	e |= sbuf_cat_s(&s->line, " (");
	if (items & IMAPP_ST_MESSAGES)
		e |= sbuf_printf(&s->line, "MESSAGES %u ", st.messages);
	if (items & IMAPP_ST_RECENT)
		e |= sbuf_printf(&s->line, "RECENT %u ", st.recent);
	if (items & IMAPP_ST_UIDNEXT)
		e |= sbuf_printf(&s->line, "UIDNEXT %u ", st.uidnext);
	if (items & IMAPP_ST_UIDVALIDITY)
		e |= sbuf_printf(&s->line, "UIDVALIDITY %u ", st.uidvalidity);
	if (items & IMAPP_ST_UNSEEN)
		e |= sbuf_printf(&s->line, "UNSEEN %u ", st.unseen);
	if (items & IMAPP_ST_DELETED)
		e |= sbuf_printf(&s->line, "DELETED %u ", st.deleted);
	if (items & IMAPP_ST_SIZE)
		e |= sbuf_printf(&s->line, "SIZE %llu ",
		    (unsigned long long)st.size);
	if (s->line.len > 0 && s->line.s[s->line.len - 1] == ' ')
		s->line.len--;
	e |= sbuf_cat_s(&s->line, ")\r\n");
	if (e != 0 || bio_write(s->b, s->line.s, s->line.len) < 0)
		r = -1;
	else
		r = imap_ok(s, "STATUS");
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_create(struct imap *s)
{
	struct sbuf name;
	int r = 0;

	if (s->pc.nargs != 1)
		return imap_bad(s, "CREATE needs a mailbox name");
	sbuf_init(&name, NAME_BUF);
	if (name_arg(s, 0, &name) < 0)
		goto out;
	/* RFC 3501 6.3.3: a trailing separator says "will have children". */
	if (name.len > 1 && name.s[name.len - 1] == s->sep)
		sbuf_truncate(&name, name.len - 1);
	if (mstore_name_is_inbox(sbuf_str(&name))) {
		r = imap_reply(s, "NO", "[ALREADYEXISTS] INBOX always exists");
		goto out;
	}
	if (mstore_create(s->ms, sbuf_str(&name)) < 0)
		r = imap_no_errno(s, "CREATE");
	else
		r = imap_ok(s, "CREATE");
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_delete(struct imap *s)
{
	struct sbuf name;
	int r = 0;

	if (s->pc.nargs != 1)
		return imap_bad(s, "DELETE needs a mailbox name");
	sbuf_init(&name, NAME_BUF);
	if (name_arg(s, 0, &name) < 0)
		goto out;
	if (s->mb != NULL && strcmp(mbox_name(s->mb), sbuf_str(&name)) == 0)
		imap_unselect(s);	/* as Dovecot: deselect it first */
	if (mstore_delete(s->ms, sbuf_str(&name)) < 0)
		r = imap_no_errno(s, "DELETE");
	else
		r = imap_ok(s, "DELETE");
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_rename(struct imap *s)
{
	struct sbuf from, to;
	int r = 0;

	if (s->pc.nargs != 2)
		return imap_bad(s, "RENAME needs two mailbox names");
	sbuf_init(&from, NAME_BUF);
	sbuf_init(&to, NAME_BUF);
	if (name_arg(s, 0, &from) < 0 || name_arg(s, 1, &to) < 0)
		goto out;
	if (mstore_rename(s->ms, sbuf_str(&from), sbuf_str(&to)) < 0)
		r = imap_no_errno(s, "RENAME");
	else
		r = imap_ok(s, "RENAME");
out:
	sbuf_fini(&from);
	sbuf_fini(&to);
	return r;
}

static int
subscribe(struct imap *s, int on)
{
	struct sbuf name;
	const char *verb = on ? "SUBSCRIBE" : "UNSUBSCRIBE";
	int r = 0;

	if (s->pc.nargs != 1)
		return imap_bad(s, "A mailbox name is needed");
	sbuf_init(&name, NAME_BUF);
	if (name_arg(s, 0, &name) < 0)
		goto out;
	if (mstore_subscribe(s->ms, sbuf_str(&name), on) < 0 &&
	    !(errno == ENOENT && !on))
		r = imap_no_errno(s, verb);
	else
		r = imap_ok(s, verb);
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_subscribe(struct imap *s)
{
	return subscribe(s, 1);
}

int
imap_cmd_unsubscribe(struct imap *s)
{
	return subscribe(s, 0);
}
