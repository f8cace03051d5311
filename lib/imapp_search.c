/*
 * imapp_search.c - SEARCH keys into a tree, and the tree evaluated
 * against one message (see imapp.h).  Parsing recurses only for NOT, OR
 * and parentheses, at most IMAPP_SEARCH_DEPTH deep, checked before each
 * step down; evaluation follows the same bounded tree.
 */
#include <stdint.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/imapp_int.h"
#include "lib/mem.h"

#define NEXT(t)		imapp_tok_next(c, (t))

struct sp {
	const struct imapp_cmd *c;
	struct imapp_search *s;
	const char	**why_r;
	int		 err;
};

void
imapp_search_init(struct imapp_search *s)
{
	memset(s, 0, sizeof(*s));
}

static void
sets_reset(struct imapp_search *s)
{
	uint32_t i;

	for (i = 0; i < s->nset; i++)
		imapp_seqset_fini(&s->set[i]);
	s->nset = 0;
}

void
imapp_search_fini(struct imapp_search *s)
{
	sets_reset(s);
	mem_free(&s->set);
	mem_free(&s->node);
	memset(s, 0, sizeof(*s));
}

static int
fail(struct sp *p, int err, const char *why)
{
	if (p->err == 0) {
		p->err = err;
		*p->why_r = why;
	}
	return -1;
}

/* A new node; its index, or -1. */
static int64_t
node_new(struct sp *p, enum imapp_skey key)
{
	struct imapp_search *s = p->s;
	struct imapp_snode *n;

	if (s->nnode == IMAPP_SEARCH_NODES)
		return fail(p, IMAPP_ELIMIT, "too many search keys");
	if (s->nnode == s->nodecap) {
		uint32_t ncap = s->nodecap < 16 ? 16 : s->nodecap * 2;
		void *q;

		if (ncap > IMAPP_SEARCH_NODES)
			ncap = IMAPP_SEARCH_NODES;
		if ((q = mem_realloc(s->node, ncap, sizeof(*s->node))) == NULL)
			return fail(p, IMAPP_ENOMEM, "out of memory");
		s->node = q;
		s->nodecap = ncap;
	}
	n = &s->node[s->nnode];
	memset(n, 0, sizeof(*n));
	n->key = key;
	return s->nnode++;
}

static int
has_star(const struct imapp_seqset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (set->r[i].lo == 0 || set->r[i].hi == 0)
			return 1;
	return 0;
}

static int
set_new(struct sp *p, const struct imapp_tok *t, uint32_t *idx_r)
{
	struct imapp_search *s = p->s;
	struct imapp_seqset *set;
	const char *why;

	if (s->nset == s->setcap) {
		uint32_t ncap = s->setcap < 4 ? 4 : s->setcap * 2;
		void *q;

		if (ncap > IMAPP_SEARCH_NODES)
			ncap = IMAPP_SEARCH_NODES;
		if ((q = mem_realloc(s->set, ncap, sizeof(*s->set))) == NULL)
			return fail(p, IMAPP_ENOMEM, "out of memory");
		s->set = q;
		s->setcap = ncap;
	}
	set = &s->set[s->nset];
	imapp_seqset_init(set);
	s->nset++;
	if (imapp_seqset_parse(t->p, t->n, set, &why) < 0)
		return fail(p, IMAPP_EBAD, why);
	if (set->is_saved)
		s->uses_saved = 1;
	else if (!has_star(set))
		imapp_seqset_normalize(set, 0);	/* binary search in eval */
	*idx_r = s->nset - 1;
	return 0;
}

static int
is_atomish(const struct imapp_tok *t)
{
	return t != NULL && (t->type == IMAPP_T_ATOM ||
	    t->type == IMAPP_T_NUMBER);
}

static int
is_astring(const struct imapp_tok *t)
{
	return t != NULL && imapp_tok_is_astring(t);
}

/* Keys taking no argument. */
static const struct {
	const char	*name;
	enum imapp_skey	 key;
	unsigned	 flag;
} simple[] = {
	{ "ALL", IMAPP_SK_ALL, 0 },
	{ "ANSWERED", IMAPP_SK_FLAG, IMAPP_F_ANSWERED },
	{ "DELETED", IMAPP_SK_FLAG, IMAPP_F_DELETED },
	{ "DRAFT", IMAPP_SK_FLAG, IMAPP_F_DRAFT },
	{ "FLAGGED", IMAPP_SK_FLAG, IMAPP_F_FLAGGED },
	{ "SEEN", IMAPP_SK_FLAG, IMAPP_F_SEEN },
	{ "RECENT", IMAPP_SK_FLAG, IMAPP_F_RECENT },
	{ "UNANSWERED", IMAPP_SK_NOFLAG, IMAPP_F_ANSWERED },
	{ "UNDELETED", IMAPP_SK_NOFLAG, IMAPP_F_DELETED },
	{ "UNDRAFT", IMAPP_SK_NOFLAG, IMAPP_F_DRAFT },
	{ "UNFLAGGED", IMAPP_SK_NOFLAG, IMAPP_F_FLAGGED },
	{ "UNSEEN", IMAPP_SK_NOFLAG, IMAPP_F_SEEN },
	{ "NEW", IMAPP_SK_NEW, 0 },
	{ "OLD", IMAPP_SK_OLD, 0 }
};

/* Keys taking one argument, and its kind. */
enum argk { A_STR, A_HDR, A_KW, A_NUM, A_NZ, A_DATE, A_SET };

static const struct {
	const char	*name;
	enum imapp_skey	 key;
	enum argk	 arg;
	const char	*hdr;
} onearg[] = {
	{ "BCC", IMAPP_SK_HEADER, A_STR, "Bcc" },
	{ "CC", IMAPP_SK_HEADER, A_STR, "Cc" },
	{ "FROM", IMAPP_SK_HEADER, A_STR, "From" },
	{ "SUBJECT", IMAPP_SK_HEADER, A_STR, "Subject" },
	{ "TO", IMAPP_SK_HEADER, A_STR, "To" },
	{ "BODY", IMAPP_SK_BODY, A_STR, NULL },
	{ "TEXT", IMAPP_SK_TEXT, A_STR, NULL },
	{ "HEADER", IMAPP_SK_HEADER, A_HDR, NULL },
	{ "KEYWORD", IMAPP_SK_KEYWORD, A_KW, NULL },
	{ "UNKEYWORD", IMAPP_SK_UNKEYWORD, A_KW, NULL },
	{ "LARGER", IMAPP_SK_LARGER, A_NUM, NULL },
	{ "SMALLER", IMAPP_SK_SMALLER, A_NUM, NULL },
	{ "OLDER", IMAPP_SK_OLDER, A_NZ, NULL },
	{ "YOUNGER", IMAPP_SK_YOUNGER, A_NZ, NULL },
	{ "BEFORE", IMAPP_SK_BEFORE, A_DATE, NULL },
	{ "ON", IMAPP_SK_ON, A_DATE, NULL },
	{ "SINCE", IMAPP_SK_SINCE, A_DATE, NULL },
	{ "SENTBEFORE", IMAPP_SK_SENTBEFORE, A_DATE, NULL },
	{ "SENTON", IMAPP_SK_SENTON, A_DATE, NULL },
	{ "SENTSINCE", IMAPP_SK_SENTSINCE, A_DATE, NULL },
	{ "UID", IMAPP_SK_UIDSET, A_SET, NULL }
};

static int
key_str(struct sp *p, struct imapp_snode *nd, const struct imapp_tok *t)
{
	if (!is_astring(t))
		return fail(p, IMAPP_EBAD, "invalid search string");
	nd->str = t->p;
	nd->str_len = t->n;
	nd->costly = 1;
	return 0;
}

/* The argument of a one-argument key into node n; *tp advances. */
static int
key_arg(struct sp *p, uint32_t n, enum argk kind, const struct imapp_tok **tp)
{
	const struct imapp_cmd *c = p->c;
	const struct imapp_tok *t = *tp;
	struct imapp_snode *nd = &p->s->node[n];
	unsigned bit;
	const char *why;

	if (t == NULL)
		return fail(p, IMAPP_EBAD, "missing search argument");
	*tp = NEXT(t);
	switch (kind) {
	case A_HDR:
		if (!is_astring(t) || t->n == 0)
			return fail(p, IMAPP_EBAD, "invalid header name");
		nd->hdr = t->p;
		nd->hdr_len = t->n;
		t = *tp;
		if (t == NULL)
			return fail(p, IMAPP_EBAD, "missing search argument");
		*tp = NEXT(t);
		return key_str(p, nd, t);
	case A_STR:
		return key_str(p, nd, t);
	case A_KW:
		if (!is_atomish(t) || imapp_flag_name(t->p, t->n, &bit) != 0)
			return fail(p, IMAPP_EBAD, "invalid keyword");
		nd->str = t->p;
		nd->str_len = t->n;
		return 0;
	case A_NUM:
	case A_NZ:
		if (t->type != IMAPP_T_NUMBER || t->num > INT64_MAX ||
		    (kind == A_NZ && t->num == 0))
			return fail(p, IMAPP_EBAD, "invalid number");
		nd->num = (int64_t)t->num;
		return 0;
	case A_DATE:
		if ((t->type != IMAPP_T_ATOM && t->type != IMAPP_T_QUOTED) ||
		    imapp_date_parse(t->p, t->n, &nd->num, &why) < 0)
			return fail(p, IMAPP_EBAD, "invalid date");
		nd->costly = nd->key == IMAPP_SK_SENTBEFORE ||
		    nd->key == IMAPP_SK_SENTON || nd->key == IMAPP_SK_SENTSINCE;
		return 0;
	case A_SET:
		if (!is_atomish(t))
			return fail(p, IMAPP_EBAD, "invalid UID set");
		return set_new(p, t, &nd->set);
	}
	return fail(p, IMAPP_EBAD, "internal error");
}

/* MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162). */
static int
key_modseq(struct sp *p, uint32_t n, const struct imapp_tok **tp)
{
	const struct imapp_cmd *c = p->c;
	const struct imapp_tok *t = *tp;

	if (t != NULL && t->type == IMAPP_T_QUOTED) {
		t = NEXT(t);
		if (!imapp_tok_is(t, "priv") && !imapp_tok_is(t, "shared") &&
		    !imapp_tok_is(t, "all"))
			return fail(p, IMAPP_EBAD, "invalid MODSEQ entry type");
		t = NEXT(t);
	}
	if (t == NULL || t->type != IMAPP_T_NUMBER ||
	    t->num > (UINT64_C(1) << 63) - 1)
		return fail(p, IMAPP_EBAD, "invalid MODSEQ");
	p->s->node[n].num = (int64_t)t->num;
	p->s->uses_modseq = 1;
	*tp = NEXT(t);
	return 0;
}

static int64_t parse_key(struct sp *, const struct imapp_tok **, int);

/* Keys from *tp until the end of the list, as children of node n. */
static int
parse_kids(struct sp *p, uint32_t n, const struct imapp_tok *t, int depth,
    uint32_t max)
{
	uint32_t prev = 0;
	int64_t k;

	while (t != NULL && p->s->node[n].nkids < max) {
		if ((k = parse_key(p, &t, depth)) < 0)
			return -1;
		if (prev == 0)
			p->s->node[n].kid = (uint32_t)k;
		else
			p->s->node[prev].next = (uint32_t)k;
		prev = (uint32_t)k;
		p->s->node[n].nkids++;
		p->s->node[n].costly |= p->s->node[k].costly;
	}
	if (t != NULL)
		return fail(p, IMAPP_EBAD, "internal error");
	return 0;
}

/* NOT key / OR key key: the operands follow in the same list. */
static int
parse_op(struct sp *p, uint32_t n, const struct imapp_tok **tp, int depth)
{
	uint32_t want = p->s->node[n].key == IMAPP_SK_OR ? 2 : 1, prev = 0;
	int64_t k;

	while (p->s->node[n].nkids < want) {
		if (*tp == NULL)
			return fail(p, IMAPP_EBAD, "missing search key");
		if ((k = parse_key(p, tp, depth + 1)) < 0)
			return -1;
		if (prev == 0)
			p->s->node[n].kid = (uint32_t)k;
		else
			p->s->node[prev].next = (uint32_t)k;
		prev = (uint32_t)k;
		p->s->node[n].nkids++;
		p->s->node[n].costly |= p->s->node[k].costly;
	}
	return 0;
}

static int64_t
parse_word(struct sp *p, const struct imapp_tok *t,
    const struct imapp_tok **tp, int depth)
{
	int64_t n;
	size_t i;

	for (i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (imapp_tok_is(t, simple[i].name)) {
			if ((n = node_new(p, simple[i].key)) < 0)
				return -1;
			p->s->node[n].flag = simple[i].flag;
			return n;
		}
	for (i = 0; i < sizeof(onearg) / sizeof(onearg[0]); i++)
		if (imapp_tok_is(t, onearg[i].name)) {
			if ((n = node_new(p, onearg[i].key)) < 0)
				return -1;
			if (onearg[i].hdr != NULL) {
				p->s->node[n].hdr = onearg[i].hdr;
				p->s->node[n].hdr_len = strlen(onearg[i].hdr);
			}
			return key_arg(p, (uint32_t)n, onearg[i].arg, tp) < 0 ?
			    -1 : n;
		}
	if (imapp_tok_is(t, "MODSEQ")) {
		if ((n = node_new(p, IMAPP_SK_MODSEQ)) < 0)
			return -1;
		return key_modseq(p, (uint32_t)n, tp) < 0 ? -1 : n;
	}
	if (imapp_tok_is(t, "NOT") || imapp_tok_is(t, "OR")) {
		if ((n = node_new(p, imapp_tok_is(t, "OR") ? IMAPP_SK_OR :
		    IMAPP_SK_NOT)) < 0)
			return -1;
		return parse_op(p, (uint32_t)n, tp, depth) < 0 ? -1 : n;
	}
	return fail(p, IMAPP_EBAD, "unknown search key");
}

static int64_t
parse_key(struct sp *p, const struct imapp_tok **tp, int depth)
{
	const struct imapp_cmd *c = p->c;
	const struct imapp_tok *t = *tp;
	int64_t n;

	if (depth > IMAPP_SEARCH_DEPTH)
		return fail(p, IMAPP_ELIMIT, "search keys nested too deeply");
	*tp = NEXT(t);
	if (t->type == IMAPP_T_LIST) {
		if (t->nkids == 0)
			return fail(p, IMAPP_EBAD, "empty search list");
		if ((n = node_new(p, IMAPP_SK_AND)) < 0 ||
		    parse_kids(p, (uint32_t)n, imapp_tok_first(c, t),
		    depth + 1, UINT32_MAX) < 0)
			return -1;
		return n;
	}
	if (is_atomish(t) && t->n > 0 && (imapp_is_digit((unsigned char)
	    t->p[0]) || t->p[0] == '*' || t->p[0] == '$')) {
		if ((n = node_new(p, IMAPP_SK_SEQSET)) < 0 ||
		    set_new(p, t, &p->s->node[n].set) < 0)
			return -1;
		return n;
	}
	if (t->type != IMAPP_T_ATOM)
		return fail(p, IMAPP_EBAD, "invalid search key");
	return parse_word(p, t, tp, depth);
}

static int
parse_return(struct sp *p, const struct imapp_tok *t)
{
	static const char *const opts[] = { "MIN", "MAX", "ALL", "COUNT",
	    "SAVE" };
	const struct imapp_cmd *c = p->c;
	const struct imapp_tok *k;
	size_t i;

	if (t == NULL || t->type != IMAPP_T_LIST)
		return fail(p, IMAPP_EBAD, "RETURN needs a list");
	p->s->has_return = 1;
	for (k = imapp_tok_first(c, t); k != NULL; k = NEXT(k)) {
		for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++)
			if (imapp_tok_is(k, opts[i]))
				break;
		if (i == sizeof(opts) / sizeof(opts[0]))
			return fail(p, IMAPP_EBAD, "invalid RETURN option");
		p->s->ret |= 1u << i;
	}
	/* RFC 4731 3.1: "RETURN ()" means ALL. */
	if (p->s->ret == 0)
		p->s->ret = IMAPP_RET_ALL;
	return 0;
}

static int
parse_prefix(struct sp *p, const struct imapp_tok **tp)
{
	const struct imapp_cmd *c = p->c;
	const struct imapp_tok *t = *tp;

	if (imapp_tok_is(t, "RETURN") && NEXT(t) != NULL &&
	    NEXT(t)->type == IMAPP_T_LIST) {
		if (parse_return(p, NEXT(t)) < 0)
			return -1;
		t = NEXT(NEXT(t));
	}
	if (imapp_tok_is(t, "CHARSET")) {
		t = NEXT(t);
		if (!is_astring(t))
			return fail(p, IMAPP_EBAD, "missing charset");
		if (imapp_eq(t->p, t->n, "UTF-8"))
			p->s->utf8 = 1;
		else if (!imapp_eq(t->p, t->n, "US-ASCII"))
			return fail(p, IMAPP_EBADCHARSET,
			    "unsupported charset");
		t = NEXT(t);
	}
	*tp = t;
	return 0;
}

int
imapp_search_parse(const struct imapp_cmd *c, const struct imapp_tok *t,
    unsigned flags, struct imapp_search *s, const char **why_r)
{
	struct sp p;
	int64_t root;

	p.c = c;
	p.s = s;
	p.why_r = why_r;
	p.err = 0;
	sets_reset(s);
	s->nnode = 0;
	s->ret = 0;
	s->has_return = 0;
	s->utf8 = 0;
	s->uses_saved = 0;
	s->uses_modseq = 0;
	if ((root = node_new(&p, IMAPP_SK_AND)) < 0)
		goto out;
	if (!(flags & IMAPP_SEARCH_NOPREFIX) && parse_prefix(&p, &t) < 0)
		goto out;
	if (t == NULL) {
		fail(&p, IMAPP_EBAD, "missing search key");
		goto out;
	}
	(void)parse_kids(&p, (uint32_t)root, t, 1, UINT32_MAX);
out:
	if (p.err != 0) {
		sets_reset(s);
		s->nnode = 0;
		return p.err;
	}
	return 0;
}

/* ---- evaluation ---- */

static int eval(const struct imapp_search *, uint32_t,
    const struct imapp_search_msg *);

/* AND (stop at the first 0) or OR (stop at the first 1) over the kids:
 * cheap ones first. */
static int
eval_group(const struct imapp_search *s, const struct imapp_snode *nd,
    const struct imapp_search_msg *m, int is_or)
{
	int pass, r;
	uint32_t k;

	for (pass = 0; pass < 2; pass++)
		for (k = nd->kid; k != 0; k = s->node[k].next) {
			if (s->node[k].costly != pass)
				continue;
			if ((r = eval(s, k, m)) < 0)
				return -1;
			if (r == is_or)
				return is_or;
		}
	return !is_or;
}

static int
eval_set(const struct imapp_search *s, const struct imapp_snode *nd,
    const struct imapp_search_msg *m, int uid)
{
	const struct imapp_seqset *set = &s->set[nd->set];

	if (set->is_saved)
		return m->saved != NULL ? m->saved(m->ctx, m->seq, m->uid) : 0;
	return uid ? imapp_seqset_contains(set, m->uid, m->star_uid) :
	    imapp_seqset_contains(set, m->seq, m->star);
}

static int
eval_sent(const struct imapp_snode *nd, const struct imapp_search_msg *m)
{
	int64_t utc, day;
	int zone, r;

	if (m->sent == NULL)
		return 0;
	if ((r = m->sent(m->ctx, &utc, &zone)) <= 0)
		return r < 0 ? -1 : 0;
	day = imapp_day_of(utc, zone);
	if (nd->key == IMAPP_SK_SENTBEFORE)
		return day < nd->num;
	if (nd->key == IMAPP_SK_SENTON)
		return day == nd->num;
	return day >= nd->num;
}

static int
eval_str(const struct imapp_snode *nd, const struct imapp_search_msg *m)
{
	int r = 0;

	if (nd->key == IMAPP_SK_HEADER && m->header != NULL)
		r = m->header(m->ctx, nd->hdr, nd->hdr_len, nd->str,
		    nd->str_len);
	else if (nd->key == IMAPP_SK_BODY && m->body != NULL)
		r = m->body(m->ctx, nd->str, nd->str_len);
	else if (nd->key == IMAPP_SK_TEXT && m->text != NULL)
		r = m->text(m->ctx, nd->str, nd->str_len);
	return r < 0 ? -1 : r > 0;
}

static int
eval_keyword(const struct imapp_snode *nd, const struct imapp_search_msg *m)
{
	int r = 0;

	if (m->keyword != NULL)
		r = m->keyword(m->ctx, nd->str, nd->str_len);
	if (r < 0)
		return -1;
	return nd->key == IMAPP_SK_KEYWORD ? r > 0 : r == 0;
}

static int
eval(const struct imapp_search *s, uint32_t n,
    const struct imapp_search_msg *m)
{
	const struct imapp_snode *nd = &s->node[n];
	int64_t age = m->now - m->internal;
	int r;

	switch (nd->key) {
	case IMAPP_SK_AND:
		return eval_group(s, nd, m, 0);
	case IMAPP_SK_OR:
		return eval_group(s, nd, m, 1);
	case IMAPP_SK_NOT:
		r = eval(s, nd->kid, m);
		return r < 0 ? -1 : !r;
	case IMAPP_SK_ALL:
		return 1;
	case IMAPP_SK_FLAG:
		return (m->flags & nd->flag) != 0;
	case IMAPP_SK_NOFLAG:
		return (m->flags & nd->flag) == 0;
	case IMAPP_SK_NEW:
		return (m->flags & (IMAPP_F_RECENT | IMAPP_F_SEEN)) ==
		    IMAPP_F_RECENT;
	case IMAPP_SK_OLD:
		return (m->flags & IMAPP_F_RECENT) == 0;
	case IMAPP_SK_KEYWORD:
	case IMAPP_SK_UNKEYWORD:
		return eval_keyword(nd, m);
	case IMAPP_SK_LARGER:
		return m->size > (uint64_t)nd->num;
	case IMAPP_SK_SMALLER:
		return m->size < (uint64_t)nd->num;
	case IMAPP_SK_BEFORE:
		return imapp_day_of(m->internal, m->internal_zone) < nd->num;
	case IMAPP_SK_ON:
		return imapp_day_of(m->internal, m->internal_zone) == nd->num;
	case IMAPP_SK_SINCE:
		return imapp_day_of(m->internal, m->internal_zone) >= nd->num;
	case IMAPP_SK_SENTBEFORE:
	case IMAPP_SK_SENTON:
	case IMAPP_SK_SENTSINCE:
		return eval_sent(nd, m);
	case IMAPP_SK_OLDER:
		return age >= nd->num;
	case IMAPP_SK_YOUNGER:
		return age < nd->num;
	case IMAPP_SK_MODSEQ:
		return m->modseq >= (uint64_t)nd->num;
	case IMAPP_SK_SEQSET:
		return eval_set(s, nd, m, 0);
	case IMAPP_SK_UIDSET:
		return eval_set(s, nd, m, 1);
	case IMAPP_SK_HEADER:
	case IMAPP_SK_BODY:
	case IMAPP_SK_TEXT:
		return eval_str(nd, m);
	}
	return -1;
}

int
imapp_search_eval(const struct imapp_search *s,
    const struct imapp_search_msg *m)
{
	if (s->nnode == 0)
		return -1;
	return eval(s, 0, m);
}
