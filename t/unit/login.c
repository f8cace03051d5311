/* Unit tests for lib/login: the request codec (strict), networks, the
 * jail check. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/login.h"
#include "t/tap.h"

static void
test_codec(void)
{
	struct login_req q, d;
	unsigned char buf[LOGIN_REQ_MAX], bad[LOGIN_REQ_MAX];
	const char *why = NULL;
	size_t len, i;

	memset(&q, 0, sizeof q);
	memcpy(q.user, "alice@example.org", 17);
	q.user_len = 17;
	memcpy(q.pass, "p w", 3);
	q.pass_len = 3;
	q.tls = 1;
	memcpy(q.tag, "a1", 2);
	is_int(login_req_encode(&q, buf, sizeof buf, &len), 0, "encode");
	is_int(login_req_decode(buf, len, &d, &why), 0, "decode");
	ok(d.user_len == 17 && memcmp(d.user, "alice@example.org", 17) == 0,
	    "user round trip");
	ok(d.pass_len == 3 && memcmp(d.pass, "p w", 3) == 0, "pass round trip");
	ok(d.tls == 1 && strcmp(d.tag, "a1") == 0, "tls and tag round trip");
	ok(d.handoff == 0, "no handoff round trip");
	q.handoff = 1;
	is_int(login_req_encode(&q, buf, sizeof buf, &len), 0, "encode handoff");
	is_int(login_req_decode(buf, len, &d, &why), 0, "decode handoff");
	ok(d.handoff == 1, "handoff round trip");
	ok(len >= 5 && buf[len - 7] == 'H' && buf[len - 4] == 1 &&
	    buf[len - 3] == 'E', "the H record comes before E");
	memcpy(bad, buf, len);
	bad[len - 4] = 2;
	why = NULL;
	ok(login_req_decode(bad, len, &d, &why) == -1 && why != NULL &&
	    strstr(why, "handoff") != NULL, "handoff byte 2 refused");
	q.handoff = 0;
	is_int(login_req_encode(&q, buf, sizeof buf, &len), 0, "encode again");
	/* Every truncation is refused. */
	for (i = 0; i < len; i++)
		if (login_req_decode(buf, i, &d, &why) == 0)
			break;
	is_int((int)i, (int)len, "every prefix refused");
	/* Trailing bytes refused. */
	memcpy(bad, buf, len);
	bad[len] = 'E';
	is_int(login_req_decode(bad, len + 1, &d, &why), -1, "trailing byte");
	/* Every single-byte change of a type byte or length is refused or
	 * still decodes to a bounded request. */
	for (i = 0; i < len; i++) {
		memcpy(bad, buf, len);
		bad[i] ^= 0x55;
		if (login_req_decode(bad, len, &d, &why) == 0 &&
		    (d.user_len > LOGIN_USER_MAX || d.pass_len > LOGIN_PASS_MAX))
			break;
	}
	is_int((int)i, (int)len, "mutations stay bounded");
	q.user_len = 0;
	is_int(login_req_encode(&q, buf, sizeof buf, &len), -1, "empty user");
	q.user_len = 3;
	memcpy(q.user, "a\0b", 3);
	is_int(login_req_encode(&q, buf, sizeof buf, &len), -1, "NUL in user");
	memcpy(q.user, "abc", 3);
	memcpy(q.tag, "a b", 4);
	is_int(login_req_encode(&q, buf, sizeof buf, &len), -1, "blank in tag");
	q.tag[0] = '\0';
	buf[0] = 'X';
	is_int(login_req_decode(buf, len, &d, &why), -1, "unknown type");
	ok(why != NULL, "with a reason");
}

static void
test_nets(void)
{
	char *nets[] = { (char *)"127.0.0.0/8", (char *)"::1/128",
	    (char *)"192.0.2.7", (char *)"2001:db8::/32" };
	char *bad[] = { (char *)"10.0.0.0/33" };
	char *bad2[] = { (char *)"10.0.0.0/" };
	const char *why = NULL;

	is_int(login_ip_in("127.1.2.3", nets, 4, &why), 1, "127/8");
	is_int(login_ip_in("128.0.0.1", nets, 4, &why), 0, "outside 127/8");
	is_int(login_ip_in("::1", nets, 4, &why), 1, "::1");
	is_int(login_ip_in("::2", nets, 4, &why), 0, "::2");
	is_int(login_ip_in("192.0.2.7", nets, 4, &why), 1, "bare address");
	is_int(login_ip_in("192.0.2.8", nets, 4, &why), 0, "next address");
	is_int(login_ip_in("2001:db8:1::5", nets, 4, &why), 1, "v6 /32");
	is_int(login_ip_in("", nets, 4, &why), 0, "no address: no match");
	is_int(login_ip_in("127.0.0.1", nets, 0, &why), 0, "empty list");
	is_int(login_ip_in("10.0.0.1", bad, 1, &why), -1, "/33 refused");
	is_int(login_ip_in("10.0.0.1", bad2, 1, &why), -1, "empty length");
}

static void
test_jail(void)
{
	char dir[] = "/tmp/tern-login-XXXXXX", path[64], f[80];
	const char *why = NULL;

	if (mkdtemp(dir) == NULL) {
		skip(4, "mkdtemp");
		return;
	}
	(void)snprintf(path, sizeof path, "%s/empty", dir);
	is_int(login_jail_make(path, &why), 0, "jail made");
	is_int(login_jail_make(path, &why), 0, "and accepted again");
	(void)snprintf(f, sizeof f, "%s/x", path);
	if (mkdir(f, 0700) < 0)
		abort();
	is_int(login_jail_make(path, &why), -1, "a jail with a file refused");
	(void)rmdir(f);
	(void)rmdir(path);
	if (symlink("/", path) < 0)
		abort();
	is_int(login_jail_make(path, &why), -1, "a symlink refused");
	(void)unlink(path);
	(void)rmdir(dir);
}

int
main(void)
{
	test_codec();
	test_nets();
	test_jail();
	return done_testing();
}
