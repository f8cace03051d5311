/* Unit tests for lib/imapthread (RFC 5256 THREAD): each step of the
 * REFERENCES algorithm with a case that fails without it, and
 * ORDEREDSUBJECT; the answers in the RFC's own format.  Then random
 * mailboxes (IDs and subjects from small pools, so that duplicates,
 * missing parents, loops, own IDs, equal dates and merges by subject
 * are common) threaded by lib/imapthread and by the plain reference
 * implementation (imapthread_ref.h): the answers must be the same
 * bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/basesubj.h"
#include "lib/imapthread.h"
#include "lib/sbuf.h"
#include "t/tap.h"
#include "t/unit/imapthread_ref.h"

#define MAXM	16

struct tm_ {
	const char	*subj;	/* raw Subject */
	int64_t		 date;
	const char	*id;
	const char	*refs;
};

static struct sbuf subj[MAXM];

static void
run(const char *name, int refs, const struct tm_ *m, size_t n,
    const char *want)
{
	struct imapthread_msg v[MAXM];
	struct sbuf out;
	size_t i;
	int r;

	sbuf_init(&out, 1 << 20);
	for (i = 0; i < n; i++) {
		sbuf_init(&subj[i], 1 << 16);
		memset(&v[i], 0, sizeof v[i]);
		(void)basesubj_extract(&subj[i], m[i].subj, strlen(m[i].subj),
		    &v[i].is_reply);
		v[i].num = (uint32_t)i + 1;
		v[i].sent = m[i].date;
		v[i].subject = subj[i].s ? subj[i].s : "";
		v[i].subject_len = subj[i].len;
		v[i].msgid = m[i].id;
		v[i].msgid_len = m[i].id ? strlen(m[i].id) : 0;
		v[i].refs = m[i].refs ? m[i].refs : "";
		v[i].refs_len = m[i].refs ? strlen(m[i].refs) : 0;
	}
	r = refs ? imapthread_references(v, n, &out) :
	    imapthread_orderedsubject(v, n, &out);
	is_int(r, 0, name);
	is_str(sbuf_str(&out), want, name);
	for (i = 0; i < n; i++)
		sbuf_fini(&subj[i]);
	sbuf_fini(&out);
}

static void
test_references(void)
{
	static const struct tm_ chain[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "b@x", "a@x" },
		{ "c", 3, "c@x", "a@x b@x" } };
	static const struct tm_ sib[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "b@x", NULL },
		{ "c", 3, "c@x", NULL }, { "d", 4, "d@x", "c@x" },
		{ "e", 5, "e@x", "c@x" } };
	static const struct tm_ dummy2[] = {
		{ "a", 1, "b@x", "x@x" }, { "b", 2, "c@x", "x@x" } };
	static const struct tm_ dummy1[] = {
		{ "a", 1, "b@x", "x@x" }, { "b", 2, "c@x", NULL } };
	static const struct tm_ dummy_mid[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "c@x", "a@x y@x" } };
	static const struct tm_ reply[] = {
		{ "hello", 1, "a@x", NULL }, { "Re: hello", 2, "b@x", NULL } };
	static const struct tm_ reply_first[] = {
		{ "Re: hello", 1, "a@x", NULL }, { "hello", 2, "b@x", NULL } };
	static const struct tm_ same[] = {
		{ "hello", 1, "a@x", NULL }, { "hello", 2, "b@x", NULL },
		{ "other", 3, "c@x", NULL } };
	static const struct tm_ dates[] = {
		{ "a", 200, "a@x", NULL }, { "b", 100, "b@x", NULL },
		{ "c", 100, "c@x", NULL } };
	static const struct tm_ loop[] = {
		{ "a", 1, "a@x", "b@x" }, { "b", 2, "b@x", "a@x" } };
	static const struct tm_ dup[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "a@x", NULL },
		{ "c", 3, "c@x", "a@x" } };
	static const struct tm_ noid[] = {
		{ "a", 1, NULL, NULL }, { "b", 2, NULL, NULL } };
	static const struct tm_ self[] = {
		{ "a", 1, "a@x", "a@x" }, { "b", 2, "b@x", "a@x" } };
	static const struct tm_ reparent[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "b@x", NULL },
		{ "c", 3, "c@x", "a@x" }, { "d", 4, "d@x", "b@x c@x" } };
	static const struct tm_ keep_parent[] = {
		{ "a", 1, "a@x", NULL }, { "b", 2, "b@x", NULL },
		{ "c", 3, "c@x", "a@x" }, { "d", 4, "d@x", "b@x c@x" },
		{ "e", 5, "e@x", "d@x" } };
	static const struct tm_ break_link[] = {
		{ "a", 1, "a@x", NULL }, { "c", 2, "c@x", "a@x b@x" },
		{ "b", 3, "b@x", "x@x" } };
	static const struct tm_ dummy_merge[] = {
		{ "topic", 1, "b@x", "x@x" }, { "Re: topic", 2, "c@x", "x@x" },
		{ "Re: topic", 3, "d@x", "y@x" },
		{ "Re: topic", 4, "e@x", "y@x" } };
	static const struct tm_ dummy_sort[] = {
		{ "z", 5, "a@x", NULL }, { "q", 3, "b@x", "x@x" },
		{ "r", 4, "c@x", "x@x" } };
	static const struct tm_ empty[] = {
		{ "", 1, "a@x", NULL }, { "Re:", 2, "b@x", NULL } };

	run("chain", 1, chain, 3, "(1 2 3)");
	run("siblings: (3 (4)(5))", 1, sib, 5, "(1)(2)(3 (4)(5))");
	run("dummy with two children kept at the root", 1, dummy2, 2,
	    "((1)(2))");
	run("dummy with one child promoted", 1, dummy1, 2, "(1)(2)");
	run("dummy in the middle promoted", 1, dummy_mid, 2, "(1 2)");
	run("reply joins the non-reply of its subject", 1, reply, 2,
	    "(1 2)");
	run("non-reply later: the table takes it", 1, reply_first, 2,
	    "(2 1)");
	run("same subject, neither a reply: a new dummy", 1, same, 3,
	    "((1)(2))(3)");
	run("sorted by date, ties by mailbox order", 1, dates, 3,
	    "(2)(3)(1)");
	run("no loop", 1, loop, 2, "(2 1)");
	run("duplicate Message-ID", 1, dup, 3, "(1 3)(2)");
	run("no Message-ID", 1, noid, 2, "(1)(2)");
	run("own ID in References", 1, self, 2, "(1 2)");
	run("1.B: the last reference is the parent", 1, reparent, 4,
	    "(1 3 4)(2)");
	run("1.A: an existing parent is kept", 1, keep_parent, 5,
	    "(1 3 4 5)(2)");
	run("1.B: a parent from 1.A is broken", 1, break_link, 3,
	    "(1)(3 2)");
	run("dummies merged by subject", 1, dummy_merge, 4,
	    "((1)(2)(3)(4))");
	run("a dummy sorts by its first child", 1, dummy_sort, 3,
	    "((2)(3))(1)");
	run("empty subjects are not merged", 1, empty, 2, "(1)(2)");
	run("nothing", 1, chain, 0, "");
}

static void
test_orderedsubject(void)
{
	static const struct tm_ m[] = {
		{ "b", 1, NULL, NULL }, { "a", 3, NULL, NULL },
		{ "Re: b", 2, NULL, NULL }, { "A", 5, NULL, NULL },
		{ "[fwd: a]", 4, NULL, NULL }, { "c", 6, NULL, NULL } };

	run("ORDEREDSUBJECT", 0, m, 6, "(1 3)(2 (5)(4))(6)");
	run("ORDEREDSUBJECT, nothing", 0, m, 0, "");
}

/* ---- random mailboxes against the reference ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11) % n;
}

#define RMAX	3000		/* messages in the largest mailbox */
#define RIDLEN	16		/* "idNNNNN@x" */

#define RIDS	(RMAX * 4)	/* IDs: taken ones and missing ones */

static char rid[RIDS][RIDLEN];
static char rsubj[RMAX][32];
static char rrefs[RMAX][8 * RIDLEN];

/* A random mailbox of n messages (IDs from ids, subjects from subjects,
 * dates from dates), threaded both ways; 1 if the answers agree. */
static int
random_case(size_t n, uint32_t ids, uint32_t subjects, uint32_t dates,
    const char **why)
{
	static struct imapthread_msg v[RMAX];
	static const char *const pre[] = { "", "Re: ", "Fwd: ", "re: re: ",
	    "[list] ", "" };
	struct sbuf a, b;
	size_t i, k, nr, len;
	uint32_t pick;
	int ok = 1, alg;

	for (i = 0; i < RIDS; i++)
		(void)snprintf(rid[i], sizeof rid[i], "id%u@x", (unsigned)i);
	for (i = 0; i < n; i++) {
		memset(&v[i], 0, sizeof v[i]);
		v[i].num = (uint32_t)i + 1 + (rnd(4) == 0 ? 1000 : 0);
		v[i].sent = (int64_t)rnd(dates) - (rnd(8) == 0 ? 5 : 0);
		pick = rnd(subjects);
		/* Subjects shorter and longer than 8 bytes, differing
		 * early or late (ORDEREDSUBJECT compares 8-byte prefixes
		 * first). */
		(void)snprintf(rsubj[i], sizeof rsubj[i], pick % 3 == 0 ?
		    "%ssubject %u" : pick % 3 == 1 ? "%s%u" : "%s%u subject",
		    pre[rnd(6)], (unsigned)pick);
		/* The base subject as lib/basesubj makes it. */
		sbuf_init(&subj[0], 1 << 10);
		(void)basesubj_extract(&subj[0], rsubj[i], strlen(rsubj[i]),
		    &v[i].is_reply);
		if (pick == 0)
			subj[0].len = 0;	/* some have none */
		len = subj[0].len < sizeof rsubj[i] ? subj[0].len :
		    sizeof rsubj[i];
		if (len > 0)
			memcpy(rsubj[i], subj[0].s, len);
		if (len > 1 && pick % 7 == 0)
			rsubj[i][len - 1 - pick % 2] = '\0';	/* a NUL */
		sbuf_fini(&subj[0]);
		v[i].subject = rsubj[i];
		v[i].subject_len = len;
		if (rnd(10) != 0) {
			/* Mostly new IDs, some taken twice. */
			pick = rnd(3) != 0 ? (uint32_t)i % ids : rnd(ids);
			v[i].msgid = rid[pick];
			v[i].msgid_len = strlen(rid[pick]);
		} else {
			v[i].msgid = "";
		}
		nr = rnd(5);
		len = 0;
		rrefs[i][0] = '\0';
		for (k = 0; k < nr; k++) {
			/* Mostly earlier messages' IDs, some unknown
			 * ones and some later ones (loops). */
			pick = rnd(4) != 0 && i > 0 ? rnd((uint32_t)i) % ids :
			    rnd(ids + ids / 2 + 1);
			if (pick >= ids)
				pick = ids + pick % ids;	/* missing */
			len += (size_t)snprintf(rrefs[i] + len,
			    sizeof rrefs[i] - len, "%s%s", k > 0 ? " " : "",
			    rid[pick % RIDS]);
		}
		v[i].refs = rrefs[i];
		v[i].refs_len = len;
	}
	for (alg = 0; alg < 2 && ok; alg++) {
		sbuf_init(&a, 1 << 24);
		sbuf_init(&b, 1 << 24);
		if ((alg ? imapthread_references(v, n, &a) :
		    imapthread_orderedsubject(v, n, &a)) < 0 ||
		    (alg ? ref_references(v, n, &b) :
		    ref_orderedsubject(v, n, &b)) < 0) {
			*why = "failed";
			ok = 0;
		} else if (a.len != b.len || (a.len > 0 &&
		    memcmp(a.s, b.s, a.len) != 0)) {
			*why = alg ? "REFERENCES differs" :
			    "ORDEREDSUBJECT differs";
			diag("%s: got %.*s", *why, (int)(a.len < 300 ? a.len :
			    300), a.s);
			diag("%s: want %.*s", *why, (int)(b.len < 300 ?
			    b.len : 300), b.s);
			ok = 0;
		}
		sbuf_fini(&a);
		sbuf_fini(&b);
	}
	return ok;
}

static void
test_random(void)
{
	const char *why = "";
	size_t k, n, bad = 0;

	for (k = 0; k < 2000 && bad == 0; k++) {
		n = rnd(40);
		if (!random_case(n, 1 + rnd((uint32_t)n * 2 + 2),
		    1 + rnd(12), 1 + rnd(30), &why)) {
			diag("random mailbox %zu (%zu messages): %s", k, n,
			    why);
			bad++;
		}
	}
	ok(bad == 0, "2000 small random mailboxes: the same answers as "
	    "the reference");
	bad = 0;
	for (k = 0; k < 6 && bad == 0; k++) {
		n = RMAX - rnd(100);
		if (!random_case(n, (uint32_t)(k % 2 ? n / 3 : n * 2 - 1),
		    k % 2 ? 50 : 1500, k % 3 ? 100000 : 50, &why)) {
			diag("large random mailbox %zu: %s", k, why);
			bad++;
		}
	}
	ok(bad == 0, "large random mailboxes: the same answers as the "
	    "reference");
}

/*
 * Regression: is_ancestor walked up from the chain's tip for every new
 * message, so a reply chain in arrival order was quadratic (3.5 s for
 * 50,000 messages, minutes for 200,000), and so was one message whose
 * References names thousands of IDs.  An alarm ends the test if it is
 * slow again.
 */
#define CHAIN_N		200000
#define CHAIN_REFS	16000

static void
test_chain(void)
{
	struct imapthread_msg *v;
	struct sbuf out, want, ids, refs;
	size_t i, *off;
	int r;

	v = calloc(CHAIN_N, sizeof *v);
	off = calloc(CHAIN_N + 1, sizeof *off);
	sbuf_init(&out, 1 << 24);
	sbuf_init(&want, 1 << 24);
	sbuf_init(&ids, 1 << 24);
	sbuf_init(&refs, 1 << 20);
	if (v == NULL || off == NULL) {
		ok(0, "memory for the chain");
		return;
	}
	for (i = 0; i < CHAIN_N; i++) {
		off[i] = ids.len;
		(void)sbuf_printf(&ids, "c%zu@x", i);
	}
	off[CHAIN_N] = ids.len;
	(void)sbuf_cat_c(&want, '(');
	for (i = 0; i < CHAIN_N; i++) {
		v[i].num = (uint32_t)i + 1;
		v[i].sent = (int64_t)i;
		v[i].subject = "chain";
		v[i].subject_len = 5;
		v[i].msgid = ids.s + off[i];
		v[i].msgid_len = off[i + 1] - off[i];
		if (i > 0) {
			v[i].refs = v[i - 1].msgid;
			v[i].refs_len = v[i - 1].msgid_len;
		}
		(void)sbuf_printf(&want, "%s%zu", i ? " " : "", i + 1);
	}
	(void)sbuf_cat_c(&want, ')');
	(void)sbuf_nul(&want);
	(void)alarm(20);
	r = imapthread_references(v, CHAIN_N, &out);
	is_int(r, 0, "a chain of 200,000 replies is threaded");
	ok(out.len == want.len && memcmp(out.s, want.s, out.len) == 0,
	    "as one thread, in order");
	/* One message under a chain of 16,000 referenced IDs. */
	for (i = 1; i <= CHAIN_REFS; i++)
		(void)sbuf_printf(&refs, "%s%.*s", i > 1 ? " " : "",
		    (int)(off[i] - off[i - 1]), ids.s + off[i]);
	v[0].refs = refs.s;
	v[0].refs_len = refs.len;
	sbuf_reset(&out);
	r = imapthread_references(v, 1, &out);
	is_int(r, 0, "a References header of 16,000 IDs is threaded");
	is_str(sbuf_str(&out), "(1)", "its dummies are pruned");
	(void)alarm(0);
	sbuf_fini(&out);
	sbuf_fini(&want);
	sbuf_fini(&ids);
	sbuf_fini(&refs);
	free(off);
	free(v);
}

int
main(void)
{
	test_references();
	test_orderedsubject();
	test_random();
	test_chain();
	return done_testing();
}
