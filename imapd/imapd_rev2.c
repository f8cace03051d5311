/*
 * imapd_rev2.c - what changes for a client that sent ENABLE IMAP4rev2
 * (RFC 9051 Appendix E) or ENABLE UTF8=ACCEPT (RFC 6855): mailbox names
 * in UTF-8 both ways (lib/mstore keeps the modified UTF-7 wire name, so
 * names are converted at the edge, in and out), the untagged LIST that
 * SELECT/EXAMINE send under IMAP4rev2, and the RECENT, NEW and OLD search
 * keys that IMAP4rev2 no longer has.  A client that enables neither gets
 * IMAP4rev1 behaviour, byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/mstore.h"
#include "lib/mutf7.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define NAME_BUF	(MSTORE_NAME_MAX + 2)

/*
 * A mailbox name argument: UTF-8 (names on) into the modified UTF-7 wire
 * name, in place.  Invalid UTF-8, NUL, U+2028 and U+2029 (RFC 6855 3) are
 * refused (-1: the caller answers BAD); names off: nothing to do.
 */
int
imap_name_in(struct imap *s, struct sbuf *name)
{
	struct sbuf w;
	int r = 0;

	if (!IMAP_UTF8_NAMES(s))
		return 0;
	if (name->len >= 3 && (memmem(name->s, name->len, "\xe2\x80\xa8", 3) !=
	    NULL || memmem(name->s, name->len, "\xe2\x80\xa9", 3) != NULL))
		return -1;
	sbuf_init(&w, NAME_BUF * 4);
	if (utf8_to_mutf7(name->s != NULL ? name->s : "", name->len, &w) < 0 ||
	    sbuf_set_n(name, w.s != NULL ? w.s : "", w.len) < 0 ||
	    sbuf_nul(name) < 0)
		r = -1;
	sbuf_fini(&w);
	return r;
}

/* A quoted string of UTF-8 text (RFC 6855 uQUOTED-CHAR), or -1 when some
 * byte cannot go in one (control, over the quoted length). */
static int
utf8_quoted(struct sbuf *out, const char *p, size_t n)
{
	size_t i;
	int r = 0;

	if (n == 0 || n >= IMAPFMT_QUOTED_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
	}
	r |= sbuf_cat_c(out, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\')
			r |= sbuf_cat_c(out, '\\');
		r |= sbuf_cat_c(out, p[i]);
	}
	r |= sbuf_cat_c(out, '"');
	return r < 0 ? -1 : 0;
}

/*
 * A mailbox name for a response: the wire name as it is (names off), or
 * its UTF-8 form, quoted (a name that does not decode is sent as it is).
 */
int
imap_name_fmt(struct imap *s, struct sbuf *out, const char *wire, size_t n)
{
	struct sbuf u;
	size_t i, mark = out->len;
	int r, eight = 0;

	if (!IMAP_UTF8_NAMES(s))
		return imapfmt_astring(out, wire, n);
	sbuf_init(&u, NAME_BUF * 4);
	if (mutf7_to_utf8(wire, n, &u) < 0) {
		sbuf_fini(&u);
		return imapfmt_astring(out, wire, n);
	}
	for (i = 0; i < u.len; i++)
		if ((unsigned char)u.s[i] >= 0x80)
			eight = 1;
	if (!eight)
		r = imapfmt_astring(out, u.s != NULL ? u.s : "", u.len);
	else if ((r = utf8_quoted(out, u.s, u.len)) < 0) {
		sbuf_truncate(out, mark);
		r = imapfmt_string(out, u.s, u.len);
	}
	sbuf_fini(&u);
	return r;
}

static const struct {
	unsigned	 bit;
	const char	*name;
} sel_attrs[] = {
	{ MSTORE_HASCHILDREN, "\\HasChildren" },
	{ MSTORE_HASNOCHILDREN, "\\HasNoChildren" },
	{ MSTORE_DRAFTS, "\\Drafts" },
	{ MSTORE_SENT, "\\Sent" },
	{ MSTORE_TRASH, "\\Trash" },
	{ MSTORE_JUNK, "\\Junk" },
	{ MSTORE_ARCHIVE, "\\Archive" },
};

struct sel_ctx {
	const char	*name;
	unsigned	 attrs;
	int		 found;
};

static int
sel_one(void *arg, const char *name, unsigned attrs)
{
	struct sel_ctx *c = arg;

	if (strcmp(name, c->name) != 0)
		return 0;
	c->attrs = attrs;
	c->found = 1;
	return 1;
}

/*
 * IMAP4rev2 6.3.2: SELECT and EXAMINE send the mailbox's LIST response
 * (its attributes as LIST gives them, the name as the server knows it).
 */
int
imap_select_list(struct imap *s, const char *wire)
{
	struct sel_ctx c;
	struct sbuf *l = &s->line;
	size_t i;
	int r = 0, first = 1;

	if (!IMAP_REV2(s))
		return 0;
	memset(&c, 0, sizeof c);
	c.name = wire;
	if (mstore_list(s->ms, "", wire, 0, sel_one, &c) < 0 && !c.found)
		c.attrs = 0;	/* the attributes are a courtesy */
	sbuf_reset(l);
	r |= sbuf_cat_s(l, "* LIST (");
	for (i = 0; i < sizeof sel_attrs / sizeof sel_attrs[0]; i++) {
		if (!(c.attrs & sel_attrs[i].bit))
			continue;
		r |= sbuf_printf(l, "%s%s", first ? "" : " ",
		    sel_attrs[i].name);
		first = 0;
	}
	r |= sbuf_printf(l, ") \"%c\" ", s->sep);
	r |= imap_name_fmt(s, l, wire, strlen(wire));
	r |= sbuf_cat_s(l, "\r\n");
	if (r != 0 || bio_write(s->b, l->s, l->len) < 0)
		return -1;
	return 0;
}

/*
 * IMAP4rev2 has no \Recent: the RECENT, NEW and OLD search keys (and
 * UNRECENT-like negations of them) are not in its grammar.  1 when the
 * parsed search uses one, else 0.
 */
int
imap_search_uses_recent(const struct imapp_search *q)
{
	uint32_t i;

	for (i = 0; i < q->nnode; i++) {
		switch (q->node[i].key) {
		case IMAPP_SK_NEW:
		case IMAPP_SK_OLD:
			return 1;
		case IMAPP_SK_FLAG:
		case IMAPP_SK_NOFLAG:
			if (q->node[i].flag & IMAPP_F_RECENT)
				return 1;
			break;
		case IMAPP_SK_AND:
		case IMAPP_SK_OR:
		case IMAPP_SK_NOT:
		case IMAPP_SK_ALL:
		case IMAPP_SK_KEYWORD:
		case IMAPP_SK_UNKEYWORD:
		case IMAPP_SK_LARGER:
		case IMAPP_SK_SMALLER:
		case IMAPP_SK_BEFORE:
		case IMAPP_SK_ON:
		case IMAPP_SK_SINCE:
		case IMAPP_SK_SENTBEFORE:
		case IMAPP_SK_SENTON:
		case IMAPP_SK_SENTSINCE:
		case IMAPP_SK_OLDER:
		case IMAPP_SK_YOUNGER:
		case IMAPP_SK_MODSEQ:
		case IMAPP_SK_SEQSET:
		case IMAPP_SK_UIDSET:
		case IMAPP_SK_HEADER:
		case IMAPP_SK_BODY:
		case IMAPP_SK_TEXT:
			break;
		}
	}
	return 0;
}

/*
 * RFC 6855 3: after ENABLE UTF8=ACCEPT a SEARCH with CHARSET is refused
 * (BAD, "conflicting charset labels").  1 when SEARCH's arguments name a
 * charset ([RETURN (...)] CHARSET cs ...).
 */
int
imap_search_has_charset(const struct imap *s)
{
	const struct imapp_tok *t = imapp_arg(&s->pc, 0);

	if (t != NULL && imapp_tok_is(t, "RETURN") &&
	    (t = imapp_tok_next(&s->pc, t)) != NULL &&
	    t->type == IMAPP_T_LIST)
		t = imapp_tok_next(&s->pc, t);
	return t != NULL && imapp_tok_is(t, "CHARSET");
}
