/* Unit tests for lib/mstore on real temporary Maildirs: names and their
 * isolation, CREATE/LIST/RENAME/DELETE, subscriptions, sync between
 * sessions, the index and its rebuild, \Recent, STORE, EXPUNGE, APPEND
 * with quota, COPY. */
#include <sys/stat.h>

#include <dirent.h>
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
static int	 nroot;

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

/* A fresh Maildir root; its path in path_r. */
static int
new_root(char *path_r, size_t n)
{
	int fd;

	snprintf(path_r, n, "%s/r%d", top, nroot++);
	if (mkdir(path_r, 0700) == -1 || (fd = maildir_open_path(path_r)) == -1)
		return -1;
	if (maildir_make(fd) == -1)
		return -1;
	return fd;
}

static int
put_file(const char *root, const char *rel, const char *body)
{
	char p[1024];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (io_write_full(fd, body, strlen(body)) == -1)
		return -1;
	return close(fd);
}

static int
exists(const char *root, const char *rel)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	return lstat(p, &st) == 0;
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

	n = snprintf(l->buf + l->len, sizeof(l->buf) - l->len, "%s%s%s%s%s%s;",
	    name, attrs & MSTORE_NOSELECT ? " NS" : "",
	    attrs & MSTORE_NONEXISTENT ? " NE" : "",
	    attrs & MSTORE_HASCHILDREN ? " HC" : "",
	    attrs & MSTORE_SUBSCRIBED ? " SUB" : "",
	    attrs & MSTORE_SPECIAL_USE ? " SU" : "");
	if (n > 0 && (size_t)n < sizeof(l->buf) - l->len)
		l->len += (size_t)n;
	return 0;
}

static const char *
list(struct mstore *ms, const char *ref, const char *pat, unsigned fl)
{
	static struct listed l;

	l.len = 0;
	l.buf[0] = '\0';
	if (mstore_list(ms, ref, pat, fl, list_cb, &l) == -1)
		return "(error)";
	return l.buf;
}

static void
test_names(void)
{
	static const char *const bad[] = {
		"", "/", "a/", "/a", "a//b", ".", "..", "a/./b", "a/../b",
		"INBOX/../x", "../x", "/etc/passwd", "a.b", "~x", "a~", "a*",
		"a%b", "a\tb", "a\x7f", "&AC8-", "a&AC8-b", "&AC4-&AC4-",
		"&AC4AL-", "&AAE-", "&AJ8-", "&Jjo", "&", "x&APx-",
		"caf\xc3\xa9",
	};
	char root[512];
	struct mstore *ms, *ms2;
	struct sbuf c, d;
	char longname[400];
	size_t i;
	int fd;

	fd = new_root(root, sizeof(root));
	ok(fd != -1 && mstore_new(fd, '/', &ms) == 0, "mstore_new");
	ok(mstore_new(fd, '\\', &ms2) == -1 && errno == EINVAL, "bad sep");
	sbuf_init(&c, 2000);
	sbuf_init(&d, 2000);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(mstore_name_check(ms, bad[i], &c, &d) == -1 &&
		    errno == EINVAL, "refused name \"%s\"", bad[i]);
	is_int(mstore_name_check(ms, "inbox", &c, &d), 0, "inbox");
	ok(strcmp(c.s, "INBOX") == 0 && strcmp(d.s, ".") == 0, "INBOX is .");
	is_int(mstore_name_check(ms, "Inbox/Sub", &c, &d), 0, "inbox child");
	ok(strcmp(c.s, "INBOX/Sub") == 0 && strcmp(d.s, ".INBOX.Sub") == 0,
	    "INBOX/Sub is .INBOX.Sub (%s %s)", c.s, d.s);
	is_int(mstore_name_check(ms, "a/b/Entw&APw-rfe", &c, &d), 0, "mutf7");
	is_str(d.s, ".a.b.Entw&APw-rfe", "dir keeps the mUTF-7 bytes");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ok(mstore_name_check(ms, longname, &c, &d) == -1, "too long");
	longname[254] = '\0';
	is_int(mstore_name_check(ms, longname, &c, &d), 0, "254 + dot fits");
	longname[254] = 'x';
	longname[255] = '\0';
	ok(mstore_name_check(ms, longname, &c, &d) == -1, "256 does not");
	is_int(mstore_new(fd, '.', &ms2), 0, "sep .");
	is_int(mstore_name_check(ms2, "a.b", &c, &d), 0, "a.b with sep .");
	is_str(d.s, ".a.b", "same directory");
	ok(mstore_name_check(ms2, "a/b", &c, &d) == -1, "a/b with sep .");
	ok(mstore_name_check(ms2, "a..b", &c, &d) == -1, "a..b");
	mstore_free(&ms2);
	ok(ms2 == NULL, "free NULLs");
	mstore_free(&ms);
	sbuf_fini(&c);
	sbuf_fini(&d);
	close(fd);
}

static void
test_folders(void)
{
	char root[512], p[1024];
	struct mstore *ms;
	unsigned a;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	is_str(list(ms, "", "*", 0), "INBOX;", "empty account: INBOX");
	is_int(mstore_create(ms, "a/b/c"), 0, "create a/b/c");
	ok(exists(root, ".a/cur") && exists(root, ".a.b/new") &&
	    exists(root, ".a.b.c/tmp") && exists(root, ".a.b.c/maildirfolder"),
	    "parents made, maildirfolder marker");
	ok(mstore_create(ms, "a/b") == -1 && errno == EEXIST, "EEXIST");
	ok(mstore_create(ms, "INBOX") == -1 && errno == EEXIST, "INBOX exists");
	is_int(mstore_create(ms, "INBOX/x"), 0, "create INBOX/x");
	ok(exists(root, ".INBOX.x/cur"), ".INBOX.x");
	is_str(list(ms, "", "*", 0), "INBOX HC;INBOX/x;a HC;a/b HC;a/b/c;",
	    "list *");
	is_str(list(ms, "", "%", 0), "INBOX HC;a HC;", "list %");
	is_str(list(ms, "a/", "%", 0), "a/b HC;", "reference a/");
	is_str(list(ms, "", "inbox", 0), "INBOX HC;", "inbox any case");
	is_str(list(ms, "", "*/c", 0), "a/b/c;", "*/c");
	is_str(list(ms, "", "", 0), "", "empty pattern: nothing");
	/* Hand-made Dovecot-style children without parents. */
	snprintf(p, sizeof(p), "%s/.p.q", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.p.q/cur", root);
	mkdir(p, 0700);
	is_str(list(ms, "", "p*", 0), "p NS NE HC;p/q;", "missing parent");
	ok(mbox_open(ms, "p", 0, &(struct mbox *){ NULL }) == -1 &&
	    errno == ENOENT, "noselect cannot be opened");
	/* Junk that is not a folder. */
	snprintf(p, sizeof(p), "%s/.bad..name", root);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.INBOX", root);
	mkdir(p, 0700);
	put_file(root, ".file", "x");
	is_str(list(ms, "", "*", 0),
	    "INBOX HC;INBOX/x;a HC;a/b HC;a/b/c;p NS NE HC;p/q;",
	    "junk entries are not folders");
	/* DELETE. */
	ok(mstore_delete(ms, "INBOX") == -1 && errno == EPERM, "no INBOX delete");
	ok(mstore_delete(ms, "nope") == -1 && errno == ENOENT, "ENOENT");
	is_int(mstore_delete(ms, "a/b"), 0, "delete a/b (has a child)");
	ok(!exists(root, ".a.b") && exists(root, ".a.b.c/cur"), "child kept");
	is_int(mstore_attrs(ms, "a/b", &a), 0, "attrs");
	ok((a & MSTORE_NOSELECT) && (a & MSTORE_HASCHILDREN), "a/b \\Noselect");
	ok(mstore_delete(ms, "a/b") == -1 && errno == ENOTEMPTY,
	    "noselect with children: ENOTEMPTY");
	is_int(mstore_delete(ms, "a/b/c"), 0, "delete a/b/c");
	is_str(list(ms, "", "a*", 0), "a;", "a left alone");
	/* RENAME. */
	mstore_create(ms, "a/k/l");
	is_int(mstore_rename(ms, "a", "z/y"), 0, "rename a to z/y");
	ok(exists(root, ".z.y/cur") && exists(root, ".z.y.k.l/cur") &&
	    exists(root, ".z/cur") && !exists(root, ".a"), "children moved");
	ok(mstore_rename(ms, "z", "z/y/w") == -1 && errno == EINVAL,
	    "not under itself");
	ok(mstore_rename(ms, "z", "INBOX/x") == -1 && errno == EEXIST,
	    "EEXIST");
	ok(mstore_rename(ms, "nope", "n2") == -1 && errno == ENOENT,
	    "rename ENOENT");
	put_file(root, "cur/1.M1P1.h:2,S", "Subject: a\n\nx\n");
	put_file(root, "new/2.M1P1.h", "Subject: b\n\ny\n");
	is_int(mstore_rename(ms, "INBOX", "Old"), 0, "rename INBOX");
	ok(exists(root, ".Old/cur/1.M1P1.h:2,S") &&
	    exists(root, ".Old/new/2.M1P1.h") && !exists(root, "cur/1.M1P1.h:2,S")
	    && exists(root, ".INBOX.x/cur"), "messages moved, children kept");
	/* Subscriptions. */
	is_int(mstore_subscribe(ms, "Old", 1), 0, "subscribe");
	is_int(mstore_subscribe(ms, "gone/child", 1), 0, "subscribe absent");
	is_int(mstore_subscribe(ms, "Old", 1), 0, "twice is fine");
	is_str(list(ms, "", "*", MSTORE_LIST_SUBSCRIBED),
	    "Old SUB;gone NS NE HC;gone/child NS NE SUB;", "lsub *");
	is_str(list(ms, "", "%", MSTORE_LIST_SUBSCRIBED),
	    "Old SUB;gone NS NE HC;", "lsub %: parent \\Noselect");
	is_int(mstore_subscribe(ms, "gone/child", 0), 0, "unsubscribe");
	ok(mstore_subscribe(ms, "gone/child", 0) == -1 && errno == ENOENT,
	    "unsubscribe absent");
	mstore_free(&ms);
	close(fd);
}

static void
test_special(void)
{
	char root[512];
	struct mstore *ms;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	is_int(mstore_special_use_init(ms), 0, "special-use init");
	is_str(list(ms, "", "*", 0),
	    "INBOX SUB;Archive SUB SU;Drafts SUB SU;Junk SUB SU;Sent SUB SU;"
	    "Trash SUB SU;", "five folders, subscribed");
	is_int(mstore_delete(ms, "Junk"), 0, "delete Junk");
	is_int(mstore_special_use_init(ms), 0, "second login");
	ok(!exists(root, ".Junk"), "Junk stays deleted");
	mstore_free(&ms);
	close(fd);
}

static void
test_isolation(void)
{
	char root[512], p[1024], outside[512];
	struct mstore *ms;
	struct mbox *mb = NULL;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	/* A folder symlinked to a Maildir elsewhere. */
	snprintf(outside, sizeof(outside), "%s/outside", top);
	mkdir(outside, 0700);
	snprintf(p, sizeof(p), "%s/cur", outside);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/.evil", root);
	ok(symlink(outside, p) == 0, "plant .evil -> outside");
	ok(mbox_open(ms, "evil", 0, &mb) == -1 && mb == NULL,
	    "symlinked folder not opened (%s)", strerror(errno));
	is_str(list(ms, "", "*", 0), "INBOX;", "and not listed");
	ok(mstore_create(ms, "evil") == -1, "nor created through");
	ok(mstore_delete(ms, "evil") == -1, "nor deleted through");
	ok(exists(outside, "cur"), "outside untouched");
	/* A symlinked cur/ inside a folder. */
	mstore_create(ms, "f");
	snprintf(p, sizeof(p), "%s/.f/cur", root);
	rmdir(p);
	ok(symlink(outside, p) == 0, "plant cur -> outside");
	ok(mbox_open(ms, "f", 0, &mb) == -1, "symlinked cur/ refused");
	ok(mbox_open(ms, "&AC4-evil", 0, &mb) == -1 && errno == EINVAL,
	    "encoded . refused");
	ok(mbox_open(ms, "INBOX/../evil", 0, &mb) == -1 && errno == EINVAL,
	    "INBOX/.. refused");
	ok(mstore_create(ms, "/tmp/x") == -1 && errno == EINVAL,
	    "absolute refused");
	mstore_free(&ms);
	close(fd);
}

struct rec {
	char	 log[2048];
	size_t	 len;
};

static int
on_exp(void *arg, uint32_t seq, uint32_t uid)
{
	struct rec *r = arg;
	int n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
	    "X%u/%u;", seq, uid);

	if (n > 0 && (size_t)n < sizeof(r->log) - r->len)
		r->len += (size_t)n;
	return 0;
}

static int
on_flags(void *arg, uint32_t seq, const struct mbox_msg *m)
{
	struct rec *r = arg;
	int n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
	    "F%u/%u=%x;", seq, m->uid, m->flags & MBOX_F_IMAP);

	if (n > 0 && (size_t)n < sizeof(r->log) - r->len)
		r->len += (size_t)n;
	return 0;
}

static const struct mbox_sync_ops sync_ops = { on_exp, on_flags };

static const char *
sync_log(struct mbox *mb, unsigned fl, struct mbox_sync_result *res)
{
	static struct rec r;

	r.len = 0;
	r.log[0] = '\0';
	if (mbox_sync(mb, fl, &sync_ops, &r, res) == -1)
		return "(error)";
	return r.log;
}

static void
test_sync(void)
{
	char root[512], p[1024], q[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	struct mbox_info info;
	const struct mbox_msg *m;
	uint32_t uv;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	put_file(root, "new/1000.M1P1.h,S=14", "Subject: a\n\nx\n");
	put_file(root, "new/1001.M1P1.h", "Subject: bb\n\nx\n");
	put_file(root, "cur/0999.M1P1.h:2,S", "Subject: c\n\nxyz\n");
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "open INBOX");
	is_int(mbox_open(ms, "inbox", 0, &b), 0, "open a second session");
	is_str(sync_log(a, 0, &res), "", "first sync");
	ok(res.exists == 3 && res.recent == 3 && res.added == 3,
	    "3 messages, 3 recent (%u %u %u)", res.exists, res.recent,
	    res.added);
	ok(exists(root, "cur/1000.M1P1.h,S=14:2,") &&
	    exists(root, "cur/1001.M1P1.h:2,") && !exists(root, "new/1000.M1P1.h,S=14"),
	    "new/ moved to cur/ with :2,");
	m = mbox_msg(a, 1);
	ok(m != NULL && m->uid == 1 && (m->flags & MBOX_F_SEEN) && m->size == 16,
	    "uid 1 is the oldest name, seen, size by stat");
	m = mbox_msg(a, 2);
	ok(m != NULL && m->uid == 2 && m->size == 14, "size from S=");
	ok(mbox_msg(a, 4) == NULL && mbox_msg(a, 0) == NULL, "seq bounds");
	is_int(mbox_seq(a, 3), 3, "seq of uid 3");
	mbox_get_info(a, &info);
	uv = info.uidvalidity;
	ok(info.uidnext == 4 && info.unseen == 2 && info.first_unseen == 2 &&
	    uv != 0, "info");
	is_str(sync_log(b, 0, &res), "", "second session");
	ok(res.exists == 3 && res.recent == 0, "not recent for the second (%u %u)", res.exists, res.recent);
	/* Someone else (POP3, Dovecot) renames and deletes files. */
	snprintf(p, sizeof(p), "%s/cur/1000.M1P1.h,S=14:2,", root);
	snprintf(q, sizeof(q), "%s/cur/1000.M1P1.h,S=14:2,FS", root);
	rename(p, q);
	snprintf(p, sizeof(p), "%s/cur/0999.M1P1.h:2,S", root);
	unlink(p);
	put_file(root, "new/1002.M1P1.h", "Subject: d\n\nx\n");
	is_str(sync_log(a, 0, &res), "X1/1;F1/2=40020;",
	    "expunge and flag change seen");
	ok(res.exists == 3 && res.added == 1 && res.recent == 3,
	    "new one added (%u %u %u)", res.exists, res.added, res.recent);
	is_str(sync_log(b, MBOX_SYNC_NO_EXPUNGE, &res), "F2/2=40020;",
	    "NO_EXPUNGE keeps the seq");
	ok(res.exists == 4 && (mbox_msg(b, 1)->flags & MBOX_F_EXPUNGED) &&
	    res.recent == 0, "expunged kept marked");
	is_str(sync_log(b, 0, &res), "X1/1;", "announced later");
	/* Index deleted: this session's uids survive. */
	snprintf(p, sizeof(p), "%s/tern-index", root);
	unlink(p);
	is_str(sync_log(a, 0, &res), "", "index removed under a session");
	mbox_get_info(a, &info);
	ok(info.uidvalidity == uv && info.uidnext == 5, "same uids kept");
	ok(exists(root, "tern-index"), "index written again");
	/* Damaged index, new session: rebuilt with a new UIDVALIDITY. */
	put_file(root, "tern-index", "TERNIDX1 garbage");
	mbox_close(&b);
	mbox_close(&a);
	ok(a == NULL, "close NULLs");
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &a), 0, "reopen");
	is_str(sync_log(a, 0, &res), "", "sync damaged");
	mbox_get_info(a, &info);
	ok(info.uidvalidity > uv && info.exists == 3 && info.uidnext == 4,
	    "rebuilt: new UIDVALIDITY %u > %u", info.uidvalidity, uv);
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(top, sizeof(top), "%s/mstore.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;
	umask(077);
	test_names();
	test_folders();
	test_special();
	test_isolation();
	test_sync();
	rc = done_testing();
	if (rc == 0)
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("left %s", top);
	return rc;
}
