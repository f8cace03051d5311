/* Unit tests for lib/imapthread (RFC 5256 THREAD): each step of the
 * REFERENCES algorithm with a case that fails without it, and
 * ORDEREDSUBJECT; the answers in the RFC's own format. */
#include <string.h>

#include "lib/basesubj.h"
#include "lib/imapthread.h"
#include "lib/sbuf.h"
#include "t/tap.h"

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

int
main(void)
{
	test_references();
	test_orderedsubject();
	return done_testing();
}
