/*
 * mstore_listext.c - unit tests for lib/mstore's LIST-EXTENDED walk
 * (mstore_list_multi: several patterns, the SUBSCRIBED, RECURSIVEMATCH
 * and SPECIAL-USE selections), CREATE with special-use attributes
 * (mstore_create_special, kept across RENAME, refused for others) and the
 * quota report (mstore_quota_get, mstore_quota_counts), on real temporary
 * Maildirs.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char	 top[256];

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

struct listed {
	char	 buf[4096];
	size_t	 len;
};

static int
list_cb(void *arg, const char *name, unsigned attrs)
{
	struct listed *l = arg;
	int n;

	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len,
	    "%s%s%s%s%s%s%s;", name,
	    attrs & MSTORE_NONEXISTENT ? " NE" : "",
	    attrs & MSTORE_HASCHILDREN ? " HC" : "",
	    attrs & MSTORE_SUBSCRIBED ? " SUB" : "",
	    attrs & MSTORE_CHILD_SUBSCRIBED ? " CI" : "",
	    attrs & MSTORE_SENT ? " SENT" : "",
	    attrs & (MSTORE_SPECIAL_USE & ~MSTORE_SENT) ? " SU" : "");
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
	return 0;
}

static const char *
list(struct mstore *ms, const char *p1, const char *p2, unsigned fl)
{
	static struct listed l;
	const char *pats[2] = { p1, p2 };

	l.len = 0;
	l.buf[0] = '\0';
	if (mstore_list_multi(ms, "", pats, p2 != NULL ? 2 : 1, fl, list_cb,
	    &l) == -1)
		return "(error)";
	return l.buf;
}

static void
test_list(struct mstore *ms)
{
	ok(mstore_create(ms, "Fruit/Apple") == 0 &&
	    mstore_create(ms, "Fruit/Banana") == 0 &&
	    mstore_create(ms, "Tofu") == 0, "folders");
	ok(mstore_subscribe(ms, "Fruit/Banana", 1) == 0 &&
	    mstore_subscribe(ms, "Gone", 1) == 0 &&
	    mstore_subscribe(ms, "INBOX", 1) == 0, "subscriptions");
	is_str(list(ms, "INBOX", "*ox", 0), "INBOX SUB;",
	    "two patterns matching one name: it once");
	is_str(list(ms, "T*", "Fruit", 0), "Fruit HC;Tofu;",
	    "two patterns: sorted union");
	is_str(list(ms, "*", NULL, MSTORE_LIST_SUBSCRIBED_ONLY),
	    "INBOX SUB;Fruit/Banana SUB;Gone NE SUB;",
	    "SUBSCRIBED: subscribed names, missing ones NonExistent");
	is_str(list(ms, "%", NULL, MSTORE_LIST_SUBSCRIBED_ONLY),
	    "INBOX SUB;Gone NE SUB;", "SUBSCRIBED with %: no parents");
	is_str(list(ms, "%", NULL, MSTORE_LIST_SUBSCRIBED_ONLY |
	    MSTORE_LIST_RECURSIVE), "INBOX SUB;Fruit HC CI;Gone NE SUB;",
	    "RECURSIVEMATCH: the parent with child info");
	is_str(list(ms, "", "", 0), "", "empty patterns: nothing");
	is_str(list(ms, "Fruit/%", NULL, MSTORE_LIST_SPECIAL_ONLY), "",
	    "SPECIAL-USE selection: none under Fruit");
}

static void
test_special(struct mstore *ms, const char *root)
{
	char p[1024];
	struct stat st;

	ok(mstore_create_special(ms, "Sent Items", MSTORE_SENT) == 0,
	    "CREATE with \\Sent");
	is_str(list(ms, "Sent*", NULL, 0), "Sent Items SENT;",
	    "listed \\Sent");
	snprintf(p, sizeof(p), "%s/.Sent Items/tern-special-use", root);
	ok(stat(p, &st) == 0, "kept in the folder's directory");
	ok(mstore_rename(ms, "Sent Items", "Old/Sent") == 0, "RENAME");
	is_str(list(ms, "Old/*", NULL, MSTORE_LIST_SPECIAL_ONLY),
	    "Old/Sent SENT;", "RENAME carries it");
	ok(mstore_create_special(ms, "Bad", 0x1) == -1 && errno == EINVAL,
	    "an attribute outside the special-use set: EINVAL");
	is_str(list(ms, "Bad", NULL, 0), "", "... and nothing created");
	ok(mstore_create_special(ms, "Plain", 0) == 0, "CREATE without");
	is_str(list(ms, "Plain", NULL, 0), "Plain;", "... plain");
	ok(mstore_create_special(ms, "Plain", MSTORE_TRASH) == -1 &&
	    errno == EEXIST, "an existing name: EEXIST");
}

static void
test_quota(struct mstore *ms, int fd)
{
	struct maildir_quota q = { 0, 0 }, got;
	struct maildir_usage u;

	is_int(mstore_quota_get(ms, &got, &u), 0, "no quota: 0");
	q.bytes = 10240;
	ok(mstore_set_quota(ms, &q) == 0, "set quota");
	is_int(mstore_quota_get(ms, &got, &u), 1, "quota: 1");
	ok(got.bytes == 10240 && u.bytes == 0 && u.count == 0,
	    "limit and empty usage");
	ok(faccessat(fd, "maildirsize", F_OK, 0) == 0,
	    "maildirsize written as tern-local would");
	is_int(mstore_quota_counts(ms, "INBOX"), 1, "INBOX counts");
	is_int(mstore_quota_counts(ms, "Trash"), 0, "Trash does not");
	is_int(mstore_quota_counts(ms, "a/../b"), -1, "bad name: -1");
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	struct mstore *ms = NULL;
	char root[512];
	int fd, rc;

	plan(27);
	snprintf(top, sizeof(top), "%s/mstorex.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;
	umask(077);
	snprintf(root, sizeof(root), "%s/r", top);
	if (mkdir(root, 0700) == -1 || (fd = maildir_open_path(root)) == -1 ||
	    maildir_make(fd) == -1 || mstore_new(fd, '/', &ms) == -1)
		return 1;
	test_list(ms);
	test_special(ms, root);
	test_quota(ms, fd);
	mstore_free(&ms);
	(void)close(fd);
	rc = done_testing();
	if (rc == 0)
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("left %s", top);
	return rc;
}
