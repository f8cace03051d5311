/* Unit tests for lib/remote: request and result records, TLS policy. */
#include <errno.h>
#include <string.h>

#include "lib/remote.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
test_req(void)
{
	struct remote_req r, d;
	struct sbuf b;
	const char *why = NULL;
	size_t cut, bad = 0;

	remote_req_init(&r);
	remote_req_init(&d);
	sbuf_init(&b, REMOTE_MSG_MAX);
	memcpy(r.qid, "0TPA13Z000000IAC", QID_LEN + 1);
	memcpy(r.hop, "smtp:[10.0.0.1]:2525", 21);
	r.tls = REMOTE_TLS_MUST;
	memcpy(r.sender, "s@example.org", 14);
	r.body = ENV_BODY_8BITMIME;
	ok(remote_req_add_rcpt(&r, "a@example.net") == 0 &&
	    remote_req_add_rcpt(&r, "b@example.net") == 0, "two recipients");
	is_int(remote_req_encode(&r, &b), 0, "request encoded");
	is_int(remote_req_decode(b.s, b.len, &d, &why), 0, "and decoded");
	is_str(d.hop, r.hop, "hop");
	is_int(d.tls, REMOTE_TLS_MUST, "TLS policy");
	is_int((long long)d.nrcpt, 2, "recipients");
	is_str(d.rcpt[1], "b@example.net", "second recipient");
	is_int(d.body, ENV_BODY_8BITMIME, "body");
	for (cut = 0; cut < b.len; cut++)
		if (remote_req_decode(b.s, cut, &d, &why) == 0)
			bad++;
	is_int((long long)bad, 0, "every truncation refused");
	(void)sbuf_cat_c(&b, 'x');
	is_int(remote_req_decode(b.s, b.len, &d, &why), -1,
	    "a byte after END refused");
	r.hop[3] = '\n';
	(void)remote_req_encode(&r, &b);
	is_int(remote_req_decode(b.s, b.len, &d, &why), -1,
	    "a control byte refused");
	r.nrcpt = 0;
	is_int(remote_req_encode(&r, &b), -1, "no recipient: not encoded");
	sbuf_fini(&b);
	remote_req_fini(&r);
	remote_req_fini(&d);
}

static void
test_req_dsn(void)
{
	struct remote_req r, d;
	struct sbuf b;
	const char *why = NULL;
	size_t cut, bad = 0;

	remote_req_init(&r);
	remote_req_init(&d);
	sbuf_init(&b, REMOTE_MSG_MAX);
	memcpy(r.qid, "0TPA13Z000000IAC", QID_LEN + 1);
	memcpy(r.hop, "smtp:example.net", 17);
	r.ret = ENV_RET_HDRS;
	memcpy(r.envid, "id 1+", 6);
	ok(remote_req_add_rcpt_dsn(&r, "a@example.net", ENV_N_SUCCESS |
	    ENV_N_DELAY, "rfc822;a+2Bx@example.net") == 0 &&
	    remote_req_add_rcpt_dsn(&r, "b@example.net", 0, NULL) == 0,
	    "recipients with and without DSN");
	is_int(remote_req_add_rcpt_dsn(&r, "c@example.net", ENV_N_NEVER |
	    ENV_N_SUCCESS, NULL), -1, "NEVER with another value refused");
	is_int(remote_req_add_rcpt_dsn(&r, "c@example.net", 0, "rfc822;a b"),
	    -1, "a space in ORCPT refused");
	is_int(remote_req_encode(&r, &b), 0, "request with DSN encoded");
	is_int(remote_req_decode(b.s, b.len, &d, &why), 0, "and decoded");
	is_int(d.ret, ENV_RET_HDRS, "RET");
	is_str(d.envid, "id 1+", "ENVID");
	is_int(d.dsn[0].notify, ENV_N_SUCCESS | ENV_N_DELAY, "NOTIFY");
	is_str(d.dsn[0].orcpt, "rfc822;a+2Bx@example.net", "ORCPT");
	is_int(d.dsn[1].notify, 0, "no NOTIFY");
	is_str(d.dsn[1].orcpt, "", "no ORCPT");
	for (cut = 0; cut < b.len; cut++)
		if (remote_req_decode(b.s, cut, &d, &why) == 0)
			bad++;
	is_int((long long)bad, 0, "every truncation refused");
	r.envid[2] = '\t';
	is_int(remote_req_encode(&r, &b), -1, "a control byte in ENVID: not "
	    "encoded");
	sbuf_fini(&b);
	remote_req_fini(&r);
	remote_req_fini(&d);
}

static void
test_res(void)
{
	struct remote_result r[2], d[2];
	struct sbuf b;
	const char *why = NULL;

	sbuf_init(&b, REMOTE_MSG_MAX);
	remote_result_set(&r[0], REMOTE_SENT, "mx[10.0.0.1]:25",
	    "2.0.0 ok\r\nInjected: yes");
	remote_result_set(&r[1], REMOTE_BOUNCE, NULL, NULL);
	r[0].dsn_passed = 1;
	r[1].dsn_passed = 0;
	ok(strchr(r[0].diag, '\n') == NULL, "control bytes replaced");
	is_str(r[1].diag, "4.0.0 no diagnostic", "empty diagnostic filled");
	is_int(remote_res_encode(r, 2, &b), 0, "results encoded");
	is_int(remote_res_decode(b.s, b.len, d, 2, &why), 0, "and decoded");
	is_int(d[1].status, REMOTE_BOUNCE, "status");
	is_str(d[0].relay, "mx[10.0.0.1]:25", "relay");
	ok(d[0].dsn_passed == 1 && d[1].dsn_passed == 0, "DSN passed flags");
	is_int(remote_res_decode(b.s, b.len, d, 3, &why), -1,
	    "fewer results than recipients refused");
	is_int(remote_res_decode(b.s, b.len, d, 1, &why), -1,
	    "more results than recipients refused");
	sbuf_fini(&b);
}

static void
test_policy(void)
{
	char *w[] = { "secure.example:verify", "*:must", "Must.Example:must",
	    "junk", NULL };
	enum remote_tls t;
	char hop[REMOTE_HOP_MAX + 1];

	is_int(remote_tls_policy(w, 4, "secure.example", REMOTE_TLS_MAY),
	    REMOTE_TLS_VERIFY, "per-domain policy");
	is_int(remote_tls_policy(w, 4, "must.example", REMOTE_TLS_MAY),
	    REMOTE_TLS_MUST, "domains match without case");
	is_int(remote_tls_policy(w, 4, "other.example", REMOTE_TLS_MAY),
	    REMOTE_TLS_MUST, "*: the default");
	is_int(remote_tls_policy(w, 0, "other.example", REMOTE_TLS_MAY),
	    REMOTE_TLS_MAY, "no entries: the default");
	ok(remote_tls_parse("must-tls", &t) == 0 && t == REMOTE_TLS_MUST,
	    "must-tls is must");
	is_int(remote_tls_parse("maybe", &t), -1, "unknown policy refused");
	is_int(remote_dest(NULL, "", "u@example.net", "", hop), 0, "MX hop");
	is_str(hop, "smtp:example.net", "smtp:DOMAIN");
	(void)remote_dest(NULL, "smtp:[relay.example]:587", "u@example.net",
	    "", hop);
	is_str(hop, "smtp:[relay.example]:587", "relay_host");
	(void)remote_dest(NULL, "", "u@example.net", "store2.example", hop);
	is_str(hop, "smtp:store2.example", "another storage host");
}

int
main(void)
{
	test_req();
	test_req_dsn();
	test_res();
	test_policy();
	return done_testing();
}
