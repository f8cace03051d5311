/* Unit tests for lib/proxyp (tern-proxy reading a backend's login
 * answers) and the login request's Z/X records (lib/login). */
#include <string.h>

#include "lib/login.h"
#include "lib/proxyp.h"
#include "t/tap.h"

static int
cls(enum proxyp_proto p, const char *line, const char **rest, size_t *rn)
{
	return proxyp_line(p, "P2", line, strlen(line), rest, rn);
}

static void
test_imap(void)
{
	const char *rest;
	size_t rn;

	is_int(cls(PROXYP_IMAP, "P2 OK [CAPABILITY IMAP4rev1] Logged in", &rest,
	    &rn), 1, "tagged OK");
	is_mem(rest, rn, " [CAPABILITY IMAP4rev1] Logged in", 33,
	    "rest: after OK");
	is_int(cls(PROXYP_IMAP, "P2 ok", &rest, &rn), 1, "ok, no text");
	is_int(rn, 0, "... empty rest");
	is_int(cls(PROXYP_IMAP, "P2 NO [AUTHENTICATIONFAILED] x", &rest, &rn),
	    2, "tagged NO");
	is_int(cls(PROXYP_IMAP, "P2 BAD x", &rest, &rn), 2, "tagged BAD");
	is_int(cls(PROXYP_IMAP, "P2 NOPE", &rest, &rn), 0, "NOPE is no NO");
	is_int(cls(PROXYP_IMAP, "P2 OKAY", &rest, &rn), 0, "OKAY is no OK");
	ok(rest == NULL && rn == 0, "... rest NULL");
	is_int(cls(PROXYP_IMAP, "* OK hi", &rest, &rn), 0, "untagged");
	is_int(cls(PROXYP_IMAP, "P22 OK", &rest, &rn), 0, "another tag");
	is_int(cls(PROXYP_IMAP, "P2", &rest, &rn), 0, "the tag alone");
	is_int(cls(PROXYP_IMAP, "", &rest, &rn), 0, "empty");
}

static void
test_pop3(void)
{
	const char *rest;
	size_t rn;

	is_int(cls(PROXYP_POP3, "+OK Logged in.", &rest, &rn), 1, "+OK");
	is_mem(rest, rn, " Logged in.", 11, "rest");
	is_int(cls(PROXYP_POP3, "+OK", &rest, &rn), 1, "+OK alone");
	is_int(cls(PROXYP_POP3, "-ERR [IN-USE] x", &rest, &rn), 2, "-ERR");
	is_int(cls(PROXYP_POP3, "+OKAY", &rest, &rn), 0, "+OKAY");
	is_int(cls(PROXYP_POP3, "+ ", &rest, &rn), 0, "continuation");
	is_int(cls(PROXYP_POP3, "-ER", &rest, &rn), 0, "short");
}

static void
test_login_req(void)
{
	struct login_req q, d;
	unsigned char buf[LOGIN_REQ_MAX];
	const char *why;
	size_t len, i;
	int bad = 0;

	memset(&q, 0, sizeof q);
	memcpy(q.user, "tern-proxy", 10);
	q.user_len = 10;
	memcpy(q.pass, "0123456789abcdef", 16);
	q.pass_len = 16;
	memcpy(q.tag, "P2", 3);
	memcpy(q.authzid, "alice@example.org", 17);
	q.authzid_len = 17;
	memcpy(q.origin, "2001:db8::7", 12);
	ok(login_req_encode(&q, buf, sizeof buf, &len) == 0 &&
	    login_req_decode(buf, len, &d, &why) == 0, "Z and X round trip");
	is_mem(d.authzid, d.authzid_len, "alice@example.org", 17, "authzid");
	is_str(d.origin, "2001:db8::7", "origin");
	for (i = 0; i < len; i++)
		if (login_req_decode(buf, i, &d, &why) == 0)
			bad++;
	is_int(bad, 0, "every truncation refused");
	memcpy(q.origin, "not-an-ip", 10);
	ok(login_req_encode(&q, buf, sizeof buf, &len) == -1,
	    "a bad origin is not encoded");
	q.origin[0] = '\0';
	q.authzid_len = 0;
	ok(login_req_encode(&q, buf, sizeof buf, &len) == 0 &&
	    login_req_decode(buf, len, &d, &why) == 0 && d.authzid_len == 0 &&
	    d.origin[0] == '\0', "without Z and X: as before");
}

int
main(void)
{
	test_imap();
	test_pop3();
	test_login_req();
	return done_testing();
}
