/* roles.c - lib/roles: the roles of each program, and which programs are
 * fork servers when NAME.forkserver is auto. */
#include <string.h>

#include "lib/roles.h"
#include "t/tap.h"

int
main(void)
{
	const char *what = NULL;
	char buf[64];
	unsigned m;

	plan(14);
	ok(roles_forkserver("tern-smtpd"), "tern-smtpd is a fork server");
	ok(roles_forkserver("/usr/libexec/tern/tern-imapd"),
	    "a path: its last component counts");
	ok(roles_forkserver("tern-pop3d"), "tern-pop3d");
	ok(roles_forkserver("tern-proxy"), "tern-proxy");
	ok(!roles_forkserver("tern-qmgr"), "tern-qmgr is not");
	ok(!roles_forkserver("tern-imapd-worker"), "nor the IMAP worker");
	ok(!roles_forkserver("/opt/tern-smtpd/echo"),
	    "a folder's name does not count");
	ok(!roles_forkserver(""), "nor an empty name");
	m = roles_of_service("tern-smtpd", "-m lmtp", &what);
	ok(m == ROLE_STORAGE, "LMTP is the storage tier's");
	ok(what != NULL && strstr(what, "LMTP") != NULL, "and says so");
	m = roles_of_service("tern-proxy", NULL, NULL);
	ok(m == ROLE_FRONT, "tern-proxy is the front end's");
	ok(roles_of_service("my-filter", NULL, NULL) == ROLES_ALL,
	    "a program that is not tern's may run anywhere");
	is_str(roles_names(ROLE_MX | ROLE_FRONT, buf, sizeof buf), "mx front",
	    "names of a mask");
	ok(roles_forkserver("tern-proxy") && !roles_forkserver("tern-proxy.sh"),
	    "exact names only");
	return done_testing();
}
