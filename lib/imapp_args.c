/*
 * imapp_args.c - typed argument helpers for IMAP commands: FETCH items
 * and modifiers, flags, STORE, STATUS items, LIST, APPEND, SELECT,
 * ENABLE, ID, SORT and THREAD (see imapp.h for the grammar of each).
 * Every helper walks tokens the tokenizer made; none recurses on input.
 */
#include <stdint.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/imapp_int.h"

#define MODSEQ_MAX	((UINT64_C(1) << 63) - 1)	/* RFC 7162 3.1.1 */

#define NEXT(t)		imapp_tok_next(c, (t))

static int
bad(const char **why_r, const char *why)
{
	*why_r = why;
	return IMAPP_EBAD;
}

static int
is_atomish(const struct imapp_tok *t)
{
	return t != NULL && (t->type == IMAPP_T_ATOM ||
	    t->type == IMAPP_T_NUMBER || t->type == IMAPP_T_NIL);
}

static int
is_astring(const struct imapp_tok *t)
{
	return t != NULL && imapp_tok_is_astring(t);
}

static int
is_string(const struct imapp_tok *t)
{
	return t != NULL && (t->type == IMAPP_T_QUOTED ||
	    t->type == IMAPP_T_LITERAL);
}

/* A number token within [min, max]. */
static int
is_num(const struct imapp_tok *t, uint64_t min, uint64_t max, uint64_t *v)
{
	if (t == NULL || t->type != IMAPP_T_NUMBER || t->num < min ||
	    t->num > max)
		return 0;
	*v = t->num;
	return 1;
}

/* ---- FETCH ---- */

static const struct {
	const char	*name;
	enum imapp_fetch_att att;
} fetch_atts[] = {
	{ "FLAGS", IMAPP_FA_FLAGS },
	{ "INTERNALDATE", IMAPP_FA_INTERNALDATE },
	{ "RFC822.SIZE", IMAPP_FA_RFC822_SIZE },
	{ "ENVELOPE", IMAPP_FA_ENVELOPE },
	{ "BODY", IMAPP_FA_BODY },
	{ "BODYSTRUCTURE", IMAPP_FA_BODYSTRUCTURE },
	{ "UID", IMAPP_FA_UID },
	{ "RFC822", IMAPP_FA_RFC822 },
	{ "RFC822.HEADER", IMAPP_FA_RFC822_HEADER },
	{ "RFC822.TEXT", IMAPP_FA_RFC822_TEXT },
	{ "MODSEQ", IMAPP_FA_MODSEQ },
	{ "BODY[]", IMAPP_FA_BODY_SECTION },
	{ "BINARY[]", IMAPP_FA_BINARY },
	{ "BINARY.SIZE[]", IMAPP_FA_BINARY_SIZE }
};

const char *
imapp_fetch_att_name(enum imapp_fetch_att a)
{
	size_t i;

	for (i = 0; i < sizeof(fetch_atts) / sizeof(fetch_atts[0]); i++)
		if (fetch_atts[i].att == a)
			return fetch_atts[i].name;
	return "?";
}

static int
fetch_add(struct imapp_fetch *f, enum imapp_fetch_att att, int peek,
    const struct imapp_section *sec, const char **why_r)
{
	if (f->n == IMAPP_FETCH_ITEMS)
		return bad(why_r, "too many FETCH items");
	f->item[f->n].att = att;
	f->item[f->n].peek = peek;
	f->item[f->n].sec = sec;
	f->n++;
	return 0;
}

static int
fetch_section(const struct imapp_tok *t, struct imapp_fetch *f,
    const char **why_r)
{
	const struct imapp_section *sec = t->sec;

	if (imapp_eq(t->p, t->n, "BODY"))
		return fetch_add(f, IMAPP_FA_BODY_SECTION, 0, sec, why_r);
	if (imapp_eq(t->p, t->n, "BODY.PEEK"))
		return fetch_add(f, IMAPP_FA_BODY_SECTION, 1, sec, why_r);
	if (imapp_eq(t->p, t->n, "BINARY"))
		return fetch_add(f, IMAPP_FA_BINARY, 0, sec, why_r);
	if (imapp_eq(t->p, t->n, "BINARY.PEEK"))
		return fetch_add(f, IMAPP_FA_BINARY, 1, sec, why_r);
	if (sec->has_partial)
		return bad(why_r, "BINARY.SIZE takes no partial");
	return fetch_add(f, IMAPP_FA_BINARY_SIZE, 0, sec, why_r);
}

/* One fetch-att (macros only when top). */
static int
fetch_att(const struct imapp_tok *t, int top, struct imapp_fetch *f,
    const char **why_r)
{
	size_t i;
	int r = 0;

	if (t->type == IMAPP_T_SECTION)
		return fetch_section(t, f, why_r);
	if (t->type != IMAPP_T_ATOM)
		return bad(why_r, "invalid FETCH item");
	if (top && (imapp_eq(t->p, t->n, "ALL") ||
	    imapp_eq(t->p, t->n, "FAST") || imapp_eq(t->p, t->n, "FULL"))) {
		r |= fetch_add(f, IMAPP_FA_FLAGS, 0, NULL, why_r);
		r |= fetch_add(f, IMAPP_FA_INTERNALDATE, 0, NULL, why_r);
		r |= fetch_add(f, IMAPP_FA_RFC822_SIZE, 0, NULL, why_r);
		if (imapp_eq(t->p, t->n, "FAST"))
			return r;
		r |= fetch_add(f, IMAPP_FA_ENVELOPE, 0, NULL, why_r);
		if (imapp_eq(t->p, t->n, "FULL"))
			r |= fetch_add(f, IMAPP_FA_BODY, 0, NULL, why_r);
		return r;
	}
	/* The last three names are sections only. */
	for (i = 0; i < sizeof(fetch_atts) / sizeof(fetch_atts[0]) - 3; i++)
		if (imapp_eq(t->p, t->n, fetch_atts[i].name))
			return fetch_add(f, fetch_atts[i].att, 0, NULL, why_r);
	return bad(why_r, "invalid FETCH item");
}

int
imapp_fetch_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_fetch *f, const char **why_r)
{
	const struct imapp_tok *k;

	f->n = 0;
	if (t == NULL)
		return bad(why_r, "missing FETCH items");
	if (t->type != IMAPP_T_LIST)
		return fetch_att(t, 1, f, why_r);
	if (t->nkids == 0)
		return bad(why_r, "empty FETCH item list");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k))
		if (fetch_att(k, 0, f, why_r) < 0) {
			f->n = 0;
			return IMAPP_EBAD;
		}
	return 0;
}

int
imapp_fetch_mods_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    int uid, struct imapp_fetch_mods *m, const char **why_r)
{
	const struct imapp_tok *k;

	memset(m, 0, sizeof(*m));
	if (t == NULL || t->type != IMAPP_T_LIST || t->nkids == 0)
		return bad(why_r, "invalid FETCH modifiers");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (imapp_tok_is(k, "CHANGEDSINCE") && !m->has_changedsince) {
			k = NEXT(k);
			if (!is_num(k, 1, MODSEQ_MAX, &m->changedsince))
				return bad(why_r, "invalid CHANGEDSINCE");
			m->has_changedsince = 1;
		} else if (imapp_tok_is(k, "VANISHED") && !m->vanished)
			m->vanished = 1;
		else
			return bad(why_r, "invalid FETCH modifier");
	}
	if (m->vanished && (!uid || !m->has_changedsince))
		return bad(why_r, "VANISHED needs UID FETCH and CHANGEDSINCE");
	return 0;
}

/* ---- flags ---- */

int
imapp_flag_name(const char *p, size_t n, unsigned *bit_r)
{
	static const char *const sys[] = { "\\Seen", "\\Answered",
	    "\\Flagged", "\\Deleted", "\\Draft" };
	size_t i;

	*bit_r = 0;
	if (n == 0)
		return -1;
	if (p[0] == '\\') {
		for (i = 0; i < 5; i++)
			if (imapp_eq(p, n, sys[i])) {
				*bit_r = 1u << i;
				return (int)i + 1;
			}
		return -1;	/* \Recent, \*, flag-extension */
	}
	for (i = 0; i < n; i++)
		if (!imapp_is_atomchar((unsigned char)p[i]))
			return -1;
	return 0;
}

static int
flag_add(struct imapp_flags *fl, const struct imapp_tok *t,
    const char **why_r)
{
	unsigned bit;
	int r;

	if (!is_atomish(t) || (r = imapp_flag_name(t->p, t->n, &bit)) < 0)
		return bad(why_r, "invalid flag");
	if (r > 0) {
		fl->sys |= bit;
		return 0;
	}
	if (fl->nkw == IMAPP_KEYWORDS)
		return bad(why_r, "too many keywords");
	fl->kw[fl->nkw++] = t;
	return 0;
}

int
imapp_flags_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    int allow_single, struct imapp_flags *fl, const char **why_r)
{
	const struct imapp_tok *k;

	fl->sys = 0;
	fl->nkw = 0;
	if (t == NULL)
		return bad(why_r, "missing flags");
	if (t->type != IMAPP_T_LIST) {
		if (!allow_single)
			return bad(why_r, "flag list expected");
		return flag_add(fl, t, why_r);
	}
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k))
		if (flag_add(fl, k, why_r) < 0)
			return IMAPP_EBAD;
	return 0;
}

/* ---- STORE ---- */

static int
store_mods(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_store *st, const char **why_r)
{
	const struct imapp_tok *k;

	if (t->nkids == 0)
		return bad(why_r, "empty STORE modifiers");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (!imapp_tok_is(k, "UNCHANGEDSINCE") ||
		    st->has_unchangedsince)
			return bad(why_r, "invalid STORE modifier");
		k = NEXT(k);
		if (!is_num(k, 0, MODSEQ_MAX, &st->unchangedsince))
			return bad(why_r, "invalid UNCHANGEDSINCE");
		st->has_unchangedsince = 1;
	}
	return 0;
}

static int
store_item(const struct imapp_tok *t, struct imapp_store *st,
    const char **why_r)
{
	const char *p;
	size_t n;

	if (t == NULL || t->type != IMAPP_T_ATOM)
		return bad(why_r, "invalid STORE item");
	p = t->p;
	n = t->n;
	st->op = IMAPP_STORE_SET;
	if (p[0] == '+' || p[0] == '-') {
		st->op = p[0] == '+' ? IMAPP_STORE_ADD : IMAPP_STORE_DEL;
		p++;
		n--;
	}
	if (imapp_eq(p, n, "FLAGS.SILENT"))
		st->silent = 1;
	else if (!imapp_eq(p, n, "FLAGS"))
		return bad(why_r, "invalid STORE item");
	return 0;
}

int
imapp_store_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_store *st, const char **why_r)
{
	memset(st, 0, sizeof(*st));
	if (t != NULL && t->type == IMAPP_T_LIST) {
		if (store_mods(c, t, st, why_r) < 0)
			return IMAPP_EBAD;
		t = NEXT(t);
	}
	if (store_item(t, st, why_r) < 0)
		return IMAPP_EBAD;
	t = NEXT(t);
	if (t == NULL)
		return bad(why_r, "missing flags");
	if (t->type == IMAPP_T_LIST) {
		if (NEXT(t) != NULL)
			return bad(why_r, "junk after flag list");
		return imapp_flags_parse(c, t, 0, &st->flags, why_r);
	}
	for (; t != NULL; t = NEXT(t))
		if (flag_add(&st->flags, t, why_r) < 0)
			return IMAPP_EBAD;
	return 0;
}

/* ---- STATUS ---- */

static int
status_item(const struct imapp_tok *t, unsigned *bit_r)
{
	static const char *const names[] = { "MESSAGES", "RECENT",
	    "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE",
	    "HIGHESTMODSEQ", "APPENDLIMIT" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (imapp_tok_is(t, names[i])) {
			*bit_r = 1u << i;
			return 0;
		}
	return -1;
}

int
imapp_status_items_parse(const struct imapp_cmd *c,
    const struct imapp_tok *t, unsigned *items_r, const char **why_r)
{
	const struct imapp_tok *k;
	unsigned bit;

	*items_r = 0;
	if (t == NULL || t->type != IMAPP_T_LIST || t->nkids == 0)
		return bad(why_r, "STATUS needs a list of items");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (status_item(k, &bit) < 0) {
			*items_r = 0;
			return bad(why_r, "invalid STATUS item");
		}
		*items_r |= bit;
	}
	return 0;
}

/* ---- LIST ---- */

/* list-mailbox: astring, or an atom with "%" "*" "]" (not "\"). */
static int
is_list_mailbox(const struct imapp_tok *t)
{
	size_t i;

	if (t == NULL)
		return 0;
	if (t->type != IMAPP_T_ATOM)
		return is_astring(t);
	for (i = 0; i < t->n; i++)
		if (!imapp_is_astringchar((unsigned char)t->p[i]) &&
		    t->p[i] != '%' && t->p[i] != '*')
			return 0;
	return 1;
}

static int
list_select(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_list *l, const char **why_r)
{
	const struct imapp_tok *k;

	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (imapp_tok_is(k, "SUBSCRIBED"))
			l->sel |= IMAPP_LSEL_SUBSCRIBED;
		else if (imapp_tok_is(k, "REMOTE"))
			l->sel |= IMAPP_LSEL_REMOTE;
		else if (imapp_tok_is(k, "RECURSIVEMATCH"))
			l->sel |= IMAPP_LSEL_RECURSIVEMATCH;
		else if (imapp_tok_is(k, "SPECIAL-USE"))
			l->sel |= IMAPP_LSEL_SPECIAL_USE;
		else
			return bad(why_r, "invalid LIST selection option");
	}
	/* RFC 5258 3.1: RECURSIVEMATCH needs another option to modify. */
	if (l->sel == IMAPP_LSEL_RECURSIVEMATCH ||
	    l->sel == (IMAPP_LSEL_RECURSIVEMATCH | IMAPP_LSEL_REMOTE))
		return bad(why_r, "RECURSIVEMATCH alone");
	return 0;
}

static int
list_return(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_list *l, const char **why_r)
{
	const struct imapp_tok *k;

	if (t == NULL || t->type != IMAPP_T_LIST)
		return bad(why_r, "RETURN needs a list");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (imapp_tok_is(k, "SUBSCRIBED"))
			l->ret |= IMAPP_LRET_SUBSCRIBED;
		else if (imapp_tok_is(k, "CHILDREN"))
			l->ret |= IMAPP_LRET_CHILDREN;
		else if (imapp_tok_is(k, "SPECIAL-USE"))
			l->ret |= IMAPP_LRET_SPECIAL_USE;
		else if (imapp_tok_is(k, "STATUS") &&
		    !(l->ret & IMAPP_LRET_STATUS)) {
			k = NEXT(k);
			if (imapp_status_items_parse(c, k, &l->status_items,
			    why_r) < 0)
				return IMAPP_EBAD;
			l->ret |= IMAPP_LRET_STATUS;
		} else
			return bad(why_r, "invalid LIST return option");
	}
	return 0;
}

static int
list_patterns(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_list *l, const char **why_r)
{
	const struct imapp_tok *k;

	if (t == NULL)
		return bad(why_r, "missing mailbox pattern");
	if (t->type != IMAPP_T_LIST) {
		if (!is_list_mailbox(t))
			return bad(why_r, "invalid mailbox pattern");
		l->pattern[l->npatterns++] = t;
		return 0;
	}
	if (t->nkids == 0)
		return bad(why_r, "empty pattern list");
	l->extended = 1;
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (!is_list_mailbox(k) || k->type == IMAPP_T_LIST)
			return bad(why_r, "invalid mailbox pattern");
		if (l->npatterns == IMAPP_LIST_PATTERNS)
			return bad(why_r, "too many patterns");
		l->pattern[l->npatterns++] = k;
	}
	return 0;
}

int
imapp_list_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_list *l, const char **why_r)
{
	memset(l, 0, sizeof(*l));
	if (t != NULL && t->type == IMAPP_T_LIST) {
		l->extended = 1;
		if (list_select(c, t, l, why_r) < 0)
			goto bad;
		t = NEXT(t);
	}
	if (!is_astring(t)) {
		*why_r = "invalid reference name";
		goto bad;
	}
	l->ref = t;
	t = NEXT(t);
	if (list_patterns(c, t, l, why_r) < 0)
		goto bad;
	t = NEXT(t);
	if (t != NULL) {
		if (!imapp_tok_is(t, "RETURN")) {
			*why_r = "junk after LIST arguments";
			goto bad;
		}
		l->extended = 1;
		t = NEXT(t);
		if (list_return(c, t, l, why_r) < 0)
			goto bad;
		if (NEXT(t) != NULL) {
			*why_r = "junk after RETURN options";
			goto bad;
		}
	}
	return 0;
bad:
	memset(l, 0, sizeof(*l));
	return IMAPP_EBAD;
}

/* ---- APPEND ---- */

static int
append_msg(const struct imapp_cmd *c, const struct imapp_tok **tp,
    struct imapp_append_msg *m, const char **why_r)
{
	const struct imapp_tok *t = *tp;

	memset(m, 0, sizeof(*m));
	if (t != NULL && t->type == IMAPP_T_LIST) {
		if (imapp_flags_parse(c, t, 0, &m->flags, why_r) < 0)
			return IMAPP_EBAD;
		t = NEXT(t);
	}
	if (t != NULL && t->type == IMAPP_T_QUOTED) {
		if (imapp_datetime_parse(t->p, t->n, &m->date, &m->zone,
		    why_r) < 0)
			return IMAPP_EBAD;
		m->has_date = 1;
		t = NEXT(t);
	}
	if (t != NULL && imapp_tok_is(t, "UTF8")) {
		/* RFC 6855 4: UTF8 SP "(" literal8 ")". */
		const struct imapp_tok *l = NEXT(t);

		if (l == NULL || l->type != IMAPP_T_LIST || l->nkids != 1 ||
		    imapp_tok_first(c, l)->type != IMAPP_T_LITERAL8)
			return bad(why_r, "UTF8 needs ( literal8 )");
		m->utf8 = 1;
		m->data = imapp_tok_first(c, l);
		*tp = NEXT(l);
		return 0;
	}
	if (t == NULL || (t->type != IMAPP_T_LITERAL &&
	    t->type != IMAPP_T_LITERAL8))
		return bad(why_r, "APPEND needs a literal");
	m->data = t;
	*tp = NEXT(t);
	return 0;
}

int
imapp_append_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_append *a, const char **why_r)
{
	a->n = 0;
	a->mailbox = NULL;
	if (!is_astring(t))
		return bad(why_r, "invalid mailbox name");
	a->mailbox = t;
	t = NEXT(t);
	do {
		if (a->n == IMAPP_APPEND_MAX) {
			a->n = 0;
			return bad(why_r, "too many messages");
		}
		if (append_msg(c, &t, &a->msg[a->n], why_r) < 0) {
			a->n = 0;
			return IMAPP_EBAD;
		}
		a->n++;
	} while (t != NULL);
	return 0;
}

/* ---- SELECT / EXAMINE ---- */

static int
is_seqset(const struct imapp_tok *t)
{
	return is_atomish(t) && t->type != IMAPP_T_NIL &&
	    imapp_seqset_check(t->p, t->n) == 0;
}

static int
qresync(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_select *s, const char **why_r)
{
	const struct imapp_tok *k;
	uint64_t v;

	if (t == NULL || t->type != IMAPP_T_LIST)
		return bad(why_r, "QRESYNC needs a list");
	k = imapp_tok_first(c, t);
	if (!is_num(k, 1, UINT32_MAX, &v))
		return bad(why_r, "invalid QRESYNC UIDVALIDITY");
	s->uidvalidity = (uint32_t)v;
	k = NEXT(k);
	if (!is_num(k, 1, MODSEQ_MAX, &s->modseq))
		return bad(why_r, "invalid QRESYNC modseq");
	k = NEXT(k);
	if (k != NULL && k->type != IMAPP_T_LIST) {
		if (!is_seqset(k))
			return bad(why_r, "invalid QRESYNC known UIDs");
		s->known_uids = k;
		k = NEXT(k);
	}
	if (k != NULL) {
		const struct imapp_tok *a = imapp_tok_first(c, k);

		if (k->type != IMAPP_T_LIST || k->nkids != 2 ||
		    !is_seqset(a) || !is_seqset(NEXT(a)) || NEXT(k) != NULL)
			return bad(why_r, "invalid QRESYNC sequence match");
		s->seq_match_seqs = a;
		s->seq_match_uids = NEXT(a);
	}
	s->qresync = 1;
	return 0;
}

int
imapp_select_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_select *s, const char **why_r)
{
	const struct imapp_tok *k;

	memset(s, 0, sizeof(*s));
	if (!is_astring(t))
		return bad(why_r, "invalid mailbox name");
	s->mailbox = t;
	t = NEXT(t);
	if (t == NULL)
		return 0;
	if (t->type != IMAPP_T_LIST || NEXT(t) != NULL)
		return bad(why_r, "invalid SELECT parameters");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (imapp_tok_is(k, "CONDSTORE") && !s->condstore)
			s->condstore = 1;
		else if (imapp_tok_is(k, "QRESYNC") && !s->qresync) {
			k = NEXT(k);
			if (qresync(c, k, s, why_r) < 0)
				goto bad;
		} else {
			*why_r = "invalid SELECT parameter";
			goto bad;
		}
	}
	return 0;
bad:
	k = s->mailbox;
	memset(s, 0, sizeof(*s));
	s->mailbox = k;
	return IMAPP_EBAD;
}

/* ---- ENABLE ---- */

int
imapp_enable_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    unsigned *caps_r, const char **why_r)
{
	*caps_r = 0;
	if (t == NULL)
		return bad(why_r, "ENABLE needs a capability");
	for (; t != NULL; t = NEXT(t)) {
		if (t->type != IMAPP_T_ATOM) {
			*caps_r = 0;
			return bad(why_r, "invalid capability");
		}
		if (imapp_tok_is(t, "CONDSTORE"))
			*caps_r |= IMAPP_EN_CONDSTORE;
		else if (imapp_tok_is(t, "QRESYNC"))
			*caps_r |= IMAPP_EN_QRESYNC;
		else if (imapp_tok_is(t, "UTF8=ACCEPT"))
			*caps_r |= IMAPP_EN_UTF8_ACCEPT;
		else if (imapp_tok_is(t, "IMAP4REV2"))
			*caps_r |= IMAPP_EN_IMAP4REV2;
	}
	return 0;
}

/* ---- ID ---- */

int
imapp_id_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_id *id, const char **why_r)
{
	const struct imapp_tok *k, *v;

	id->n = 0;
	if (t != NULL && t->type == IMAPP_T_NIL && NEXT(t) == NULL)
		return 0;
	if (t == NULL || t->type != IMAPP_T_LIST || NEXT(t) != NULL)
		return bad(why_r, "ID needs a list or NIL");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(v)) {
		v = NEXT(k);
		if (!is_string(k) || k->n == 0 || k->n > 30 || v == NULL ||
		    (!is_string(v) && v->type != IMAPP_T_NIL) ||
		    (is_string(v) && v->n > 1024)) {
			id->n = 0;
			return bad(why_r, "invalid ID field");
		}
		if (id->n == IMAPP_ID_PAIRS) {
			id->n = 0;
			return bad(why_r, "too many ID fields");
		}
		id->key[id->n] = k;
		id->value[id->n] = v;
		id->n++;
	}
	return 0;
}

/* ---- SORT / THREAD ---- */

static int
charset_ok(const struct imapp_tok *t, const char **why_r)
{
	if (!is_astring(t))
		return bad(why_r, "missing charset");
	if (!imapp_eq(t->p, t->n, "UTF-8") && !imapp_eq(t->p, t->n,
	    "US-ASCII")) {
		*why_r = "unsupported charset";
		return IMAPP_EBADCHARSET;
	}
	return 0;
}

static int
sort_key(const struct imapp_tok *t, enum imapp_sort_key *k)
{
	static const char *const names[] = { "ARRIVAL", "CC", "DATE",
	    "FROM", "SIZE", "SUBJECT", "TO", "DISPLAYFROM", "DISPLAYTO" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (imapp_tok_is(t, names[i])) {
			*k = (enum imapp_sort_key)i;
			return 0;
		}
	return -1;
}

int
imapp_sort_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    struct imapp_sort *so, struct imapp_search *s, const char **why_r)
{
	const struct imapp_tok *k;
	int r;

	so->n = 0;
	if (t == NULL || t->type != IMAPP_T_LIST || t->nkids == 0)
		return bad(why_r, "SORT needs a list of criteria");
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		if (so->n == IMAPP_SORT_CRITERIA)
			goto bad;
		so->reverse[so->n] = 0;
		if (imapp_tok_is(k, "REVERSE")) {
			so->reverse[so->n] = 1;
			k = NEXT(k);
		}
		if (sort_key(k, &so->key[so->n]) < 0)
			goto bad;
		so->n++;
	}
	t = NEXT(t);
	if ((r = charset_ok(t, why_r)) < 0)
		return r;
	return imapp_search_parse(c, NEXT(t), IMAPP_SEARCH_NOPREFIX, s,
	    why_r);
bad:
	so->n = 0;
	return bad(why_r, "invalid SORT criterion");
}

int
imapp_thread_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    enum imapp_thread_alg *alg, struct imapp_search *s, const char **why_r)
{
	int r;

	if (imapp_tok_is(t, "ORDEREDSUBJECT"))
		*alg = IMAPP_THREAD_ORDEREDSUBJECT;
	else if (imapp_tok_is(t, "REFERENCES"))
		*alg = IMAPP_THREAD_REFERENCES;
	else
		return bad(why_r, "invalid THREAD algorithm");
	t = NEXT(t);
	if ((r = charset_ok(t, why_r)) < 0)
		return r;
	return imapp_search_parse(c, NEXT(t), IMAPP_SEARCH_NOPREFIX, s,
	    why_r);
}
