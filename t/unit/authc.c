/*
 * Unit tests for lib/authc: request and reply round trips, every
 * truncation refused, every trailing byte refused, field checks, the
 * framing helper, and authc_verify against nothing (-1) and with a
 * request the protocol cannot carry (a local FAIL).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/authc.h"
#include "t/tap.h"

static const struct authc_req sample_req = {
	"imap", "2001:db8::1", "Alice@Example.org", 17, "s3cret pw", 9, 1,
	NULL, 0, NULL
};

static void
sample_reply(struct authc_reply *r)
{
	memset(r, 0, sizeof(*r));
	r->status = AUTHC_OK;
	(void)snprintf(r->addr, sizeof(r->addr), "alice@example.org");
	r->uid = 100001;
	r->quota = 5ULL << 32;
	(void)snprintf(r->home, sizeof(r->home), "/var/mail/ab/cd/alice/");
	(void)snprintf(r->host, sizeof(r->host), "local");
}

static void
test_request(void)
{
	unsigned char buf[AUTHC_REQ_MAX], big[AUTHC_REQ_MAX + 8];
	struct authc_request q;
	struct authc_req r;
	const char *why;
	size_t len, i;
	int bad = 0;

	ok(authc_req_encode(&sample_req, buf, sizeof(buf), &len) == 0,
	    "request encodes");
	ok(authc_req_decode(buf, len, &q, &why) == 0, "request decodes");
	is_str(q.service, "imap", "service");
	is_str(q.ip, "2001:db8::1", "ip");
	is_mem(q.user, q.user_len, "Alice@Example.org", 17, "user");
	is_mem(q.pass, q.pass_len, "s3cret pw", 9, "password");
	is_int(q.tls, 1, "tls");
	for (i = 0; i < len; i++)
		if (authc_req_decode(buf, i, &q, &why) != -1 ||
		    errno != EPROTO || authc_frame(buf, i, AUTHC_REQ_MAX) != 0)
			bad++;
	is_int(bad, 0, "every truncation refused (and framed as incomplete)");
	ok(q.pass[0] == '\0' && q.pass_len == 0, "a refused decode wipes");
	is_int(authc_frame(buf, len, AUTHC_REQ_MAX), 1, "frame: complete");
	memcpy(big, buf, len);
	big[len] = 'E';
	ok(authc_req_decode(big, len + 1, &q, &why) == -1, "trailing byte");
	is_int(authc_frame(big, len + 1, AUTHC_REQ_MAX), -1,
	    "frame: trailing byte");
	buf[0] = 'X';
	ok(authc_req_decode(buf, len, &q, &why) == -1, "unknown type");
	buf[0] = 'V';
	buf[5] = 2;
	ok(authc_req_decode(buf, len, &q, &why) == -1, "unknown version");
	buf[5] = 1;
	buf[len - 6] = 2;
	ok(authc_req_decode(buf, len, &q, &why) == -1, "tls flag 2");
	authc_request_wipe(&q);

	r = sample_req;
	r.remote_ip = NULL;
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == 0 &&
	    authc_req_decode(buf, len, &q, &why) == 0 && q.ip[0] == '\0',
	    "no IP: empty");
	r.remote_ip = "300.1.1.1";
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1 &&
	    errno == EINVAL, "bad IP refused by the encoder");
	r = sample_req;
	r.service = "IMAP";
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1, "bad service");
	r = sample_req;
	r.user_len = 0;
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1, "empty user");
	r = sample_req;
	r.pass = "a\0b";
	r.pass_len = 3;
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1, "NUL in pass");
	r = sample_req;
	r.pass_len = AUTHC_PASS_MAX + 1;
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1, "long pass");
	r = sample_req;
	ok(authc_req_encode(&r, buf, 20, &len) == -1 && errno == E2BIG,
	    "small buffer: E2BIG");
	/* Hand-made: a NUL inside the password record is refused. */
	ok(authc_req_encode(&sample_req, buf, sizeof(buf), &len) == 0,
	    "encode again");
	buf[len - 12] = '\0';	/* last byte of the password */
	ok(authc_req_decode(buf, len, &q, &why) == -1, "NUL in password");

	/* A trusted proxy's master login: Z and X (doc/proxy.md). */
	r = sample_req;
	r.authzid = "bob@example.org";
	r.authzid_len = 15;
	r.origin_ip = "192.0.2.7";
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == 0 &&
	    authc_req_decode(buf, len, &q, &why) == 0, "Z and X round trip");
	is_mem(q.authzid, q.authzid_len, "bob@example.org", 15, "authzid");
	is_str(q.origin, "192.0.2.7", "origin");
	for (i = 0, bad = 0; i < len; i++)
		if (authc_req_decode(buf, i, &q, &why) != -1 ||
		    authc_frame(buf, i, AUTHC_REQ_MAX) != 0)
			bad++;
	is_int(bad, 0, "every truncation of Z/X refused");
	r.origin_ip = "not-an-ip";
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1,
	    "bad origin refused by the encoder");
	r = sample_req;
	r.authzid = "a\0b";
	r.authzid_len = 3;
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == -1,
	    "NUL in authzid refused");
	r = sample_req;
	r.origin_ip = "10.0.0.1";
	ok(authc_req_encode(&r, buf, sizeof(buf), &len) == 0 &&
	    authc_req_decode(buf, len, &q, &why) == 0 && q.authzid_len == 0 &&
	    strcmp(q.origin, "10.0.0.1") == 0, "X alone");
	/* Out of order: X before Z is refused. */
	memcpy(big, buf, len - AUTHC_REC_HDR);
	i = len - AUTHC_REC_HDR;
	big[i++] = 'Z';
	big[i++] = 0; big[i++] = 0; big[i++] = 0; big[i++] = 1;
	big[i++] = 'a';
	big[i++] = 'E';
	big[i++] = 0; big[i++] = 0; big[i++] = 0; big[i++] = 0;
	ok(authc_req_decode(big, i, &q, &why) == -1, "Z after X refused");
}

static void
test_reply(void)
{
	unsigned char buf[AUTHC_REPLY_MAX], big[AUTHC_REPLY_MAX + 1];
	struct authc_reply r, d;
	const char *why;
	size_t len, i;
	int bad = 0;

	sample_reply(&r);
	ok(authc_reply_encode(&r, buf, sizeof(buf), &len) == 0, "reply encodes");
	ok(authc_reply_decode(buf, len, &d, &why) == 0, "reply decodes");
	ok(memcmp(&r, &d, sizeof(r)) == 0, "reply round trip");
	for (i = 0; i < len; i++)
		if (authc_reply_decode(buf, i, &d, &why) != -1 ||
		    d.status != AUTHC_TEMPFAIL ||
		    authc_frame(buf, i, AUTHC_REPLY_MAX) != 0)
			bad++;
	is_int(bad, 0, "every reply truncation refused");
	memcpy(big, buf, len);
	big[len] = 0;
	ok(authc_reply_decode(big, len + 1, &d, &why) == -1, "trailing byte");
	memset(&r, 0, sizeof(r));
	r.status = AUTHC_FAIL;
	r.reason = AUTHC_R_PLAINTEXT;
	ok(authc_reply_encode(&r, buf, sizeof(buf), &len) == 0 &&
	    authc_reply_decode(buf, len, &d, &why) == 0 &&
	    d.status == AUTHC_FAIL && d.reason == AUTHC_R_PLAINTEXT &&
	    len == 4 * AUTHC_REC_HDR + 3, "FAIL carries no account");
	buf[AUTHC_REC_HDR + 1 + AUTHC_REC_HDR] = 9;
	ok(authc_reply_decode(buf, len, &d, &why) == -1, "unknown status");
	r.status = (enum authc_status)7;
	ok(authc_reply_encode(&r, buf, sizeof(buf), &len) == -1,
	    "encoder refuses an unknown status");
	sample_reply(&r);
	r.home[0] = 'x';
	ok(authc_reply_encode(&r, buf, sizeof(buf), &len) == -1,
	    "encoder refuses a relative home");
	sample_reply(&r);
	r.host[0] = '\n';
	ok(authc_reply_encode(&r, buf, sizeof(buf), &len) == -1,
	    "encoder refuses a control byte");
	is_str(authc_status_name(AUTHC_THROTTLED), "throttled", "status name");
}

static void
test_client(void)
{
	struct authc_reply rep;
	struct authc_req r = sample_req;

	ok(authc_verify("/nonexistent/authd.sock", &r, &rep, 1000) == -1 &&
	    rep.status == AUTHC_TEMPFAIL, "no daemon: -1");
	r.user_len = 0;
	ok(authc_verify("/nonexistent/authd.sock", &r, &rep, 1000) == 0 &&
	    rep.status == AUTHC_FAIL, "uncarriable request: local FAIL");
}

int
main(void)
{
	test_request();
	test_reply();
	test_client();
	return done_testing();
}
