/*
 * Fuzz target: imapp_parse() and imapp_line_literal() on arbitrary bytes,
 * then every typed helper on the arguments, and the search tree evaluated
 * with stub callbacks.
 * Checks: a failure always has a reason; every token lies inside the
 * input or the cmd's string arena; the tree is consistent; a sequence set
 * means the same before and after normalising, which leaves it sorted and
 * merged, and iterates in ascending order; a parsed date-time formats and
 * parses back to the same instant; evaluation gives -1, 0 or 1.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_tree(const struct imapp_cmd *c, const char *buf, size_t size)
{
	uint32_t k;

	if (c->ntok == 0 || c->tok[0].type != IMAPP_T_LIST ||
	    c->nargs != c->tok[0].nkids)
		abort();
	for (k = 0; k < c->ntok; k++) {
		const struct imapp_tok *t = &c->tok[k];
		int in_buf = t->p >= buf && t->n <= size &&
		    (size_t)(t->p - buf) <= size - t->n;
		int in_str = t->p >= c->str && t->n <= c->strcap &&
		    (size_t)(t->p - c->str) <= c->strcap - t->n;

		if (t->next != 0 && (t->next <= k || t->next >= c->ntok))
			abort();
		if (t->type == IMAPP_T_LIST)
			continue;
		if (!in_buf && !in_str)
			abort();
		if (t->type == IMAPP_T_SECTION && (t->sec == NULL ||
		    t->sec->nfields != t->nkids))
			abort();
	}
}

static void
check_seqset(const char *p, size_t n)
{
	struct imapp_seqset s;
	struct sbuf o;
	const char *why = NULL;
	uint32_t i, v, prev;
	int before[64];

	imapp_seqset_init(&s);
	if (imapp_seqset_parse(p, n, &s, &why) < 0) {
		if (why == NULL)
			abort();
		imapp_seqset_fini(&s);
		return;
	}
	for (i = 0; i < 64; i++)
		before[i] = imapp_seqset_contains(&s, i, 40);
	sbuf_init(&o, 1 << 20);
	(void)imapp_seqset_format(&s, &o);	/* E2BIG is possible */
	imapp_seqset_normalize(&s, 40);
	for (i = 0; i < 64; i++)
		if (before[i] != imapp_seqset_contains(&s, i, 40))
			abort();
	for (i = 1; i < s.n; i++)
		if (s.r[i].lo <= s.r[i - 1].hi + 1 || s.r[i].lo > s.r[i].hi)
			abort();
	for (prev = 0, i = 0, v = imapp_seqset_next(&s, 0); v != 0 &&
	    i < 1000; v = imapp_seqset_next(&s, v), i++) {
		if (v <= prev || !imapp_seqset_contains(&s, v, 40))
			abort();
		prev = v;
	}
	(void)imapp_seqset_count(&s);
	sbuf_fini(&o);
	imapp_seqset_fini(&s);
}

static void
check_dates(const char *p, size_t n)
{
	const char *why = NULL;
	char out[IMAPP_DATETIME_LEN + 1];
	int64_t t, t2, d;
	int z, z2;

	if (imapp_datetime_parse(p, n, &t, &z, &why) == 0) {
		if (imapp_datetime_format(t, z, out) < 0 ||
		    imapp_datetime_parse(out, IMAPP_DATETIME_LEN, &t2, &z2,
		    &why) < 0 || t != t2 || z != z2)
			abort();
	} else if (why == NULL)
		abort();
	(void)imapp_date_parse(p, n, &d, &why);
}

static int
kw(void *ctx, const char *k, size_t n)
{
	(void)ctx;
	return n > 0 && (k[0] & 1) ? 1 : 0;
}

static int
sent(void *ctx, int64_t *utc_r, int *zone_r)
{
	(void)ctx;
	*utc_r = 1700000000;
	*zone_r = 60;
	return 1;
}

static int
hdr(void *ctx, const char *h, size_t hn, const char *s, size_t n)
{
	(void)ctx;
	(void)h;
	(void)s;
	return (int)((hn + n) % 3) - 1;
}

static int
str(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	return (int)(n % 3) - 1;
}

static int
saved(void *ctx, uint32_t seq, uint32_t uid)
{
	(void)ctx;
	return (seq ^ uid) & 1;
}

static void
check_search(const struct imapp_cmd *c, const struct imapp_tok *t,
    unsigned flags)
{
	static struct imapp_search s;
	static int init;
	struct imapp_search_msg m;
	const char *why = NULL;
	uint32_t i;
	int r;

	if (!init) {
		imapp_search_init(&s);
		init = 1;
	}
	if ((r = imapp_search_parse(c, t, flags, &s, &why)) < 0) {
		if (why == NULL)
			abort();
		return;
	}
	memset(&m, 0, sizeof(m));
	m.star = 10;
	m.star_uid = 100;
	m.internal = 1700000000;
	m.now = 1700003600;
	m.keyword = kw;
	m.sent = sent;
	m.header = hdr;
	m.body = str;
	m.text = str;
	m.saved = saved;
	for (i = 1; i <= 10; i++) {
		m.seq = i;
		m.uid = i * 10;
		m.flags = i & 0x3f;
		m.size = i * 100;
		m.modseq = i;
		r = imapp_search_eval(&s, &m);
		if (r < -1 || r > 1)
			abort();
	}
}

static void
check_helpers(const struct imapp_cmd *c)
{
	static struct imapp_fetch f;
	static struct imapp_append a;
	static struct imapp_search s;
	static int init;
	struct imapp_fetch_mods fm;
	struct imapp_store st;
	struct imapp_flags fl;
	struct imapp_list l;
	struct imapp_select se;
	struct imapp_id id;
	struct imapp_sort so;
	enum imapp_thread_alg alg;
	const struct imapp_tok *a0 = imapp_arg(c, 0), *a1 = imapp_arg(c, 1),
	    *a2 = imapp_arg(c, 2);
	const char *why;
	unsigned u;
	uint32_t k;

	if (!init) {
		imapp_search_init(&s);
		init = 1;
	}
	(void)imapp_fetch_parse(c, a1, &f, &why);
	(void)imapp_fetch_mods_parse(c, a2, c->uid, &fm, &why);
	(void)imapp_store_parse(c, a1, &st, &why);
	(void)imapp_flags_parse(c, a0, 1, &fl, &why);
	(void)imapp_status_items_parse(c, a1, &u, &why);
	(void)imapp_list_parse(c, a0, &l, &why);
	(void)imapp_append_parse(c, a0, &a, &why);
	(void)imapp_select_parse(c, a0, &se, &why);
	(void)imapp_enable_parse(c, a0, &u, &why);
	(void)imapp_id_parse(c, a0, &id, &why);
	(void)imapp_sort_parse(c, a0, &so, &s, &why);
	(void)imapp_thread_parse(c, a0, &alg, &s, &why);
	check_search(c, a0, 0);
	check_search(c, a1, IMAPP_SEARCH_NOPREFIX);
	for (k = 1; k < c->ntok && k < 64; k++) {
		const struct imapp_tok *t = &c->tok[k];

		if (t->type == IMAPP_T_LIST)
			continue;
		check_seqset(t->p, t->n);
		check_dates(t->p, t->n);
		(void)imapp_tok_is_astring(t);
		(void)imapp_flag_name(t->p, t->n, &u);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imapp_cmd c;
	static int init;
	const char *buf = (const char *)data, *why = NULL;
	uint64_t n;
	int ns, bin, r;

	if (!init) {
		imapp_cmd_init(&c);
		init = 1;
	}
	r = imapp_line_literal(buf, size, 0, &n, &ns, &bin);
	if (r < -1 || r > 1 || (r == 1 && n > UINT32_MAX))
		abort();
	r = imapp_parse(buf, size, NULL, &c, &why);
	if (r != 0) {
		if (why == NULL || r > 0)
			abort();
		return 0;
	}
	check_tree(&c, buf, size);
	check_helpers(&c);
	return 0;
}
