/*
 * imapd_cmd_folder.c - the commands on mailbox names (RFC 3501 6.3):
 * LIST (with SPECIAL-USE and CHILDREN attributes, RFC 6154, RFC 3348;
 * LIST-EXTENDED, RFC 5258: selection options SUBSCRIBED, REMOTE,
 * RECURSIVEMATCH, SPECIAL-USE, return options SUBSCRIBED, CHILDREN,
 * SPECIAL-USE, several patterns; LIST-STATUS, RFC 5819), LSUB, STATUS
 * (with SIZE, RFC 8438), CREATE (with USE, RFC 6154 3), DELETE, RENAME,
 * SUBSCRIBE, UNSUBSCRIBE.  Names
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
	int		 extended;	/* LIST-EXTENDED syntax used */
	int		 subscribed;	/* say \Subscribed */
	int		 childinfo;	/* RECURSIVEMATCH: CHILDINFO */
	unsigned	 status;	/* RETURN (STATUS (...)): items */
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
	{ MSTORE_SUBSCRIBED, "\\Subscribed" },
	{ MSTORE_DRAFTS, "\\Drafts" },
	{ MSTORE_SENT, "\\Sent" },
	{ MSTORE_TRASH, "\\Trash" },
	{ MSTORE_JUNK, "\\Junk" },
	{ MSTORE_ARCHIVE, "\\Archive" },
};

static int	status_line(struct imap *, const char *name, unsigned items,
		    const struct mstore_status *);

/* LIST-STATUS (RFC 5819): "* STATUS" after a selectable name; a folder
 * that vanished meanwhile gets none. */
static int
list_status(struct list_ctx *c, const char *name, unsigned attrs)
{
	struct mstore_status st;

	if (attrs & (MSTORE_NOSELECT | MSTORE_NONEXISTENT))
		return 0;
	if (mstore_status(c->s->ms, name, &st) < 0)
		return 0;
	return status_line(c->s, name, c->status, &st);
}

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
		attrs &= MSTORE_NOSELECT | MSTORE_SPECIAL_USE |
		    MSTORE_SUBSCRIBED;
		if (!(attrs & MSTORE_SUBSCRIBED))
			attrs |= MSTORE_NOSELECT;
		attrs &= ~MSTORE_SUBSCRIBED;
	} else if (!c->subscribed)
		attrs &= ~MSTORE_SUBSCRIBED;
	/* \NonExistent implies \Noselect (RFC 5258 3.4): LIST-EXTENDED
	 * gives it alone, plain LIST both. */
	if (attrs & MSTORE_NONEXISTENT) {
		if (c->extended)
			attrs &= ~MSTORE_NOSELECT;
		else
			attrs |= MSTORE_NOSELECT;
	}
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
	if (c->childinfo && (attrs & MSTORE_CHILD_SUBSCRIBED))
		r |= sbuf_cat_s(l, " (\"CHILDINFO\" (\"SUBSCRIBED\"))");
	if (r != 0 || bio_write(c->s->b, l->s, l->len) < 0 ||
	    bio_puts(c->s->b, "\r\n") < 0 ||
	    (c->status != 0 && list_status(c, name, attrs) < 0)) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

/* The LIST-EXTENDED options into mstore_list_multi flags and c. */
static unsigned
list_options(struct list_ctx *c, const struct imapp_list *lp)
{
	unsigned fl = 0;

	c->extended = lp->extended;
	if (lp->sel & IMAPP_LSEL_SUBSCRIBED) {
		fl |= MSTORE_LIST_SUBSCRIBED_ONLY;
		c->subscribed = 1;	/* RFC 5258 3.1: implies RETURN */
	}
	if (lp->sel & IMAPP_LSEL_RECURSIVEMATCH) {
		fl |= MSTORE_LIST_RECURSIVE;
		c->childinfo = 1;
	}
	if (lp->sel & IMAPP_LSEL_SPECIAL_USE)
		fl |= MSTORE_LIST_SPECIAL_ONLY;
	/* REMOTE: there are no remote mailboxes.  CHILDREN and SPECIAL-USE
	 * attributes are always given (RFC 3348, RFC 6154 allow it). */
	if (lp->ret & IMAPP_LRET_SUBSCRIBED)
		c->subscribed = 1;
	if (lp->ret & IMAPP_LRET_STATUS)
		c->status = lp->status_items;
	return fl;
}

/* A reference or pattern token as a C string without NUL bytes. */
static int
list_str(struct imap *s, const struct imapp_tok *t, struct sbuf *out)
{
	sbuf_reset(out);
	if (sbuf_cat_n(out, t->p, t->n) < 0 || sbuf_nul(out) < 0 ||
	    memchr(out->s, '\0', out->len) != NULL)
		return -1;
	return imap_name_in(s, out);	/* UTF-8 names (IMAP4rev2) */
}

static int
list_common(struct imap *s, int lsub)
{
	struct imapp_list lp;
	struct list_ctx c;
	struct sbuf ref, pat[IMAPP_LIST_PATTERNS];
	const char *pats[IMAPP_LIST_PATTERNS];
	const char *why = "";
	unsigned fl;
	size_t i, np = 0;
	int r = 0, root = 0;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.lsub = lsub;
	c.verb = lsub ? "LSUB" : "LIST";
	if (imapp_list_parse(&s->pc, imapp_arg(&s->pc, 0), &lp, &why) < 0)
		return imap_bad(s, why);
	if (lsub && lp.extended)
		return imap_bad(s, "LSUB takes no LIST-EXTENDED options");
	if ((lp.status_items & IMAPP_ST_RECENT) && IMAP_REV2(s))
		return imap_bad(s, "IMAP4rev2 has no STATUS RECENT");
	if (lp.npatterns > MSTORE_LIST_PATTERNS)
		return imap_bad(s, "Too many patterns");
	fl = lsub ? MSTORE_LIST_SUBSCRIBED : list_options(&c, &lp);
	sbuf_init(&ref, NAME_BUF);
	for (i = 0; i < IMAPP_LIST_PATTERNS; i++)
		sbuf_init(&pat[i], NAME_BUF);
	if (list_str(s, lp.ref, &ref) < 0) {
		r = imap_bad(s, "Invalid reference");
		goto out;
	}
	for (i = 0; i < lp.npatterns; i++) {
		if (list_str(s, lp.pattern[i], &pat[np]) < 0) {
			r = imap_bad(s, "Invalid pattern");
			goto out;
		}
		if (pat[np].len == 0)
			root = 1;
		else {
			pats[np] = sbuf_str(&pat[np]);
			np++;
		}
	}
	/* RFC 3501 6.3.8: an empty pattern asks for the separator and the
	 * root (not with a SUBSCRIBED or SPECIAL-USE selection). */
	if (root && !lsub && (fl & (MSTORE_LIST_SUBSCRIBED_ONLY |
	    MSTORE_LIST_SPECIAL_ONLY)) == 0 &&
	    imap_out(s, "* LIST (\\Noselect) \"%c\" \"\"", s->sep) < 0)
		c.failed = 1;
	if (np > 0 && !c.failed && mstore_list_multi(s->ms, sbuf_str(&ref),
	    pats, np, fl, list_one, &c) < 0 && !c.failed &&
	    errno != EINVAL) {
		r = imap_no_errno(s, c.verb);
		goto out;
	}
	r = c.failed ? -1 : imap_ok(s, c.verb);
out:
	sbuf_fini(&ref);
	for (i = 0; i < IMAPP_LIST_PATTERNS; i++)
		sbuf_fini(&pat[i]);
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

/* "* STATUS name (items)" (RFC 3501 7.2.4, RFC 8438 SIZE). */
static int
status_line(struct imap *s, const char *name, unsigned items,
    const struct mstore_status *st)
{
	int e = 0;

	sbuf_reset(&s->line);
	e |= sbuf_cat_s(&s->line, "* STATUS ");
	e |= imap_name_fmt(s, &s->line, name, strlen(name));
	e |= sbuf_cat_s(&s->line, " (");
	if (items & IMAPP_ST_MESSAGES)
		e |= sbuf_printf(&s->line, "MESSAGES %u ", st->messages);
	if (items & IMAPP_ST_RECENT)
		e |= sbuf_printf(&s->line, "RECENT %u ", st->recent);
	if (items & IMAPP_ST_UIDNEXT)
		e |= sbuf_printf(&s->line, "UIDNEXT %u ", st->uidnext);
	if (items & IMAPP_ST_UIDVALIDITY)
		e |= sbuf_printf(&s->line, "UIDVALIDITY %u ",
		    st->uidvalidity);
	if (items & IMAPP_ST_UNSEEN)
		e |= sbuf_printf(&s->line, "UNSEEN %u ", st->unseen);
	if (items & IMAPP_ST_DELETED)
		e |= sbuf_printf(&s->line, "DELETED %u ", st->deleted);
	if (items & IMAPP_ST_SIZE)
		e |= sbuf_printf(&s->line, "SIZE %llu ",
		    (unsigned long long)st->size);
	if (items & IMAPP_ST_HIGHESTMODSEQ)	/* RFC 7162 3.1.6 */
		e |= sbuf_printf(&s->line, "HIGHESTMODSEQ %llu ",
		    (unsigned long long)st->highestmodseq);
	if (items & IMAPP_ST_APPENDLIMIT)	/* RFC 7889: every folder's */
		e |= sbuf_printf(&s->line, "APPENDLIMIT %llu ",
		    IMAP_CAPA_ARG(s));
	if (s->line.len > 0 && s->line.s[s->line.len - 1] == ' ')
		s->line.len--;
	e |= sbuf_cat_s(&s->line, ")\r\n");
	if (e != 0 || bio_write(s->b, s->line.s, s->line.len) < 0)
		return -1;
	return 0;
}

int
imap_cmd_status(struct imap *s)
{
	struct mstore_status st;
	struct sbuf name;
	const char *why = "";
	unsigned items;
	int r = 0;

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
	if ((items & IMAPP_ST_HIGHESTMODSEQ) && imap_condstore_enable(s) < 0) {
		r = -1;
		goto out;
	}
	if (status_line(s, name.s, items, &st) < 0)
		r = -1;
	else
		r = imap_ok(s, "STATUS");
out:
	sbuf_fini(&name);
	return r;
}

/*
 * CREATE's parameter list (RFC 4466 2.2) as CREATE-SPECIAL-USE (RFC 6154
 * 3) gives it: "(USE (attr ...))".  -1 BAD (answered), -2 an attribute
 * tern does not store (NO [USEATTR], answered), 0 with the MSTORE_* bits.
 */
static int
create_use(struct imap *s, const struct imapp_tok *t, unsigned *use_r)
{
	const struct imapp_tok *k, *a;
	size_t i;

	*use_r = 0;
	k = imapp_tok_first(&s->pc, t);
	if (k == NULL || !imapp_tok_is(k, "USE") ||
	    (a = imapp_tok_next(&s->pc, k)) == NULL ||
	    a->type != IMAPP_T_LIST || a->nkids == 0 ||
	    imapp_tok_next(&s->pc, a) != NULL) {
		(void)imap_bad(s, "CREATE takes (USE (attributes)) only");
		return -1;
	}
	for (a = imapp_tok_first(&s->pc, a); a != NULL;
	    a = imapp_tok_next(&s->pc, a)) {
		for (i = 0; i < sizeof attr_names / sizeof attr_names[0]; i++)
			if ((attr_names[i].bit & MSTORE_SPECIAL_USE) &&
			    imapp_tok_is(a, attr_names[i].name))
				break;
		if (i == sizeof attr_names / sizeof attr_names[0]) {
			(void)imap_no(s, "[USEATTR] Unsupported special-use "
			    "attribute");
			return -2;
		}
		*use_r |= attr_names[i].bit;
	}
	return 0;
}

int
imap_cmd_create(struct imap *s)
{
	const struct imapp_tok *t = imapp_arg(&s->pc, 1);
	struct sbuf name;
	unsigned use = 0;
	int r = 0;

	if (s->pc.nargs != 1 && (s->pc.nargs != 2 || t->type != IMAPP_T_LIST))
		return imap_bad(s, "CREATE needs a mailbox name");
	sbuf_init(&name, NAME_BUF);
	if (name_arg(s, 0, &name) < 0)
		goto out;
	if (s->pc.nargs == 2 && create_use(s, t, &use) < 0)
		goto out;
	/* RFC 3501 6.3.3: a trailing separator says "will have children". */
	if (name.len > 1 && name.s[name.len - 1] == s->sep)
		sbuf_truncate(&name, name.len - 1);
	if (mstore_name_is_inbox(sbuf_str(&name))) {
		r = imap_reply(s, "NO", "[ALREADYEXISTS] INBOX always exists");
		goto out;
	}
	if (mstore_create_special(s->ms, sbuf_str(&name), use) < 0)
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
