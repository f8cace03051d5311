/* Unit tests for lib/lspawn: request and result records. */
#include <errno.h>
#include <string.h>

#include "lib/lspawn.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
test_request(void)
{
	struct lspawn_req r, d;
	struct sbuf b;
	const char *why = NULL;
	size_t i;

	lspawn_req_init(&r);
	lspawn_req_init(&d);
	sbuf_init(&b, LSPAWN_MSG_MAX);
	is_int(lspawn_req_set(&r, "ABC123", "/q/mess/1/ABC123", ""), 0,
	    "set qid, path, null sender");
	is_int(lspawn_req_add_rcpt(&r, "a@example.org", "A@Example.org"), 0,
	    "add rcpt with orcpt");
	is_int(lspawn_req_add_rcpt(&r, "b@example.org", NULL), 0, "add rcpt");
	is_int(lspawn_req_add_rcpt(&r, "bad\n@x", NULL), -1,
	    "control byte in rcpt refused");
	is_int(lspawn_req_set(&r, "bad/qid", NULL, ""), -1, "bad qid refused");
	is_int(lspawn_req_encode(&r, &b), 0, "encode");
	is_int(lspawn_req_decode(b.s, b.len, &d, &why), 0, "decode");
	is_str(d.qid, "ABC123", "qid");
	is_str(d.path, "/q/mess/1/ABC123", "path");
	is_str(d.sender, "", "sender");
	is_int((long long)d.nrcpt, 2, "two recipients");
	is_str(d.rcpt[0].orcpt, "A@Example.org", "orcpt");
	ok(d.rcpt[1].orcpt == NULL, "no orcpt");
	ok(d.linked == NULL && !d.has_quota, "no linked, no quota");
	/* Every truncation fails. */
	for (i = 0; i < b.len; i++)
		if (lspawn_req_decode(b.s, i, &d, &why) != -1)
			break;
	is_int((long long)i, (long long)b.len, "every prefix refused");
	is_int(errno, EPROTO, "with EPROTO");
	sbuf_cat_c(&b, 'x');
	is_int(lspawn_req_decode(b.s, b.len, &d, &why), -1, "trailing byte");
	is_str(why, "data after END", "why");
	b.s[0] = 'Z';
	is_int(lspawn_req_decode(b.s, b.len, &d, &why), -1, "unknown type");
	/* Linked name and quota round trip. */
	sbuf_reset(&b);
	is_int(lspawn_req_set_linked(&r, "../x"), -1, "slash in linked");
	is_int(lspawn_req_set_linked(&r, "123.M1P2Q3.h,S=10"), 0, "linked");
	r.quota = 1ULL << 40;
	r.has_quota = 1;
	is_int(lspawn_req_encode(&r, &b), 0, "encode with L and U");
	is_int(lspawn_req_decode(b.s, b.len, &d, &why), 0, "decode with L, U");
	ok(d.has_quota && d.quota == (1ULL << 40), "quota");
	is_str(d.linked, "123.M1P2Q3.h,S=10", "linked name");
	/* Out of order: a recipient before the sender. */
	sbuf_reset(&b);
	sbuf_cat_n(&b, "Q\0\0\0\1AR\0\0\0\1xS\0\0\0\0E\0\0\0\0", 20);
	is_int(lspawn_req_decode(b.s, b.len, &d, &why), -1, "order enforced");
	sbuf_fini(&b);
	lspawn_req_fini(&r);
	lspawn_req_fini(&d);
}

static void
test_results(void)
{
	struct lspawn_results rs, d;
	enum lspawn_status st;
	struct sbuf b;
	const char *why;
	size_t off;

	lspawn_results_init(&rs);
	lspawn_results_init(&d);
	sbuf_init(&b, LSPAWN_MSG_MAX);
	is_int(lspawn_result_parse("ok 1.M2P3Q4.h,S=5", 17, &st, &off, &why),
	    0, "ok line");
	is_int(st, LSPAWN_OK, "status ok");
	is_int(lspawn_result_parse("defer 4.2.2 mailbox full", 24, &st, &off,
	    &why), 0, "defer line");
	is_int((long long)off, 6, "text offset");
	is_int(lspawn_result_parse("bounce 4.2.2 x", 14, &st, &off, &why), -1,
	    "bounce with a 4xx code refused");
	is_int(lspawn_result_parse("defer 4.2.22x", 13, &st, &off, &why), -1,
	    "junk after code refused");
	is_int(lspawn_result_parse("maybe 4.2.2", 11, &st, &off, &why), -1,
	    "unknown status");
	is_int(lspawn_results_add(&rs, "a@x.org", "ok n1", 5), 0, "add ok");
	is_int(lspawn_results_add(&rs, "b@x.org", "bounce 5.1.1 no such user",
	    25), 0, "add bounce");
	is_int(lspawn_results_encode(&rs, &b), 0, "encode results");
	is_int(lspawn_results_decode(b.s, b.len, &d, &why), 0, "decode results");
	is_int((long long)d.n, 2, "two results");
	is_int(d.r[1].status, LSPAWN_BOUNCE, "bounce status");
	is_str(d.r[1].text, "5.1.1 no such user", "bounce text");
	is_str(d.r[0].text, "n1", "ok text is the file name");
	is_int(lspawn_results_decode(b.s, b.len - 1, &d, &why), -1, "truncated");
	sbuf_fini(&b);
	lspawn_results_fini(&rs);
	lspawn_results_fini(&d);
}

int
main(void)
{
	test_request();
	test_results();
	return done_testing();
}
