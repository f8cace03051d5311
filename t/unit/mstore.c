/* Unit tests for lib/mstore on real temporary Maildirs: names and their
 * isolation, CREATE/LIST/RENAME/DELETE, subscriptions, sync between
 * sessions, the index and its rebuild, \Recent, STORE, EXPUNGE, APPEND
 * with quota, COPY. */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
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

static int
on_changed(void *arg, uint32_t seq, const struct mbox_msg *m)
{
	return on_flags(arg, seq, m);
}

static int
on_modified(void *arg, uint32_t seq, uint32_t uid)
{
	struct rec *r = arg;
	int n = snprintf(r->log + r->len, sizeof(r->log) - r->len,
	    "M%u/%u;", seq, uid);

	if (n > 0 && (size_t)n < sizeof(r->log) - r->len)
		r->len += (size_t)n;
	return 0;
}

static const struct mbox_store_ops store_ops = { on_changed, on_modified };

static const char *
store_log(struct mbox *mb, uint32_t uid, enum mbox_store_op op,
    uint32_t fl, uint32_t kw, uint64_t unch)
{
	static struct rec r;

	r.len = 0;
	r.log[0] = '\0';
	if (mbox_store(mb, &uid, 1, op, fl, kw, unch, &store_ops, &r) == -1)
		return "(error)";
	return r.log;
}

static int
count_dir(const char *root, const char *sub)
{
	char p[1024];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int
has_file_suffix(const char *root, const char *sub, const char *suffix)
{
	char p[1024];
	struct dirent *de;
	DIR *d;
	size_t sl = strlen(suffix), l;
	int found = 0;

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	if ((d = opendir(p)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		l = strlen(de->d_name);
		if (l >= sl && strcmp(de->d_name + l - sl, suffix) == 0)
			found = 1;
	}
	closedir(d);
	return found;
}

static int
exp_cb(void *arg, uint32_t seq, uint32_t uid)
{
	return on_exp(arg, seq, uid);
}

/* Index file identity: a rewrite (temp file, rename) gives a new inode
 * while the session still holds the old one open. */
static ino_t
index_ino(const char *root)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/tern-index", root);
	return stat(p, &st) == 0 ? st.st_ino : 0;
}

/* cur/'s mtime set to now + off seconds. */
static int
cur_mtime(const char *root, long off)
{
	char p[1024];
	struct timespec ts[2];

	snprintf(p, sizeof(p), "%s/cur", root);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) + off;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, p, ts, 0);
}

/*
 * A cur/ whose mtime is too fresh to trust is scanned on every sync,
 * but the index is written only when the scan changed something (a
 * 100,000-message index is not rewritten by each sync after a STORE);
 * once the mtime has settled it is written with it, and then the scans
 * stop.  The mtimes are set by hand, so no timing is involved.
 */
static void
test_fresh_cur(void)
{
	char root[512], p[1024], q[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	ino_t i0, i1;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	put_file(root, "cur/1000.M1P1.h:2,", "Subject: a\n\nx\n");
	put_file(root, "cur/1001.M1P1.h:2,", "Subject: b\n\nx\n");
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "fresh cur: open");
	is_str(sync_log(a, 0, &res), "", "fresh cur: first sync");
	ok(cur_mtime(root, 3600) == 0, "cur/ mtime in the future");
	i0 = index_ino(root);
	is_str(sync_log(a, 0, &res), "", "fresh cur: nothing changed");
	i1 = index_ino(root);
	ok(i0 != 0 && i1 == i0, "fresh cur: the index is not rewritten");
	/* Someone else flags a message: the next sync still scans. */
	snprintf(p, sizeof(p), "%s/cur/1001.M1P1.h:2,", root);
	snprintf(q, sizeof(q), "%s/cur/1001.M1P1.h:2,F", root);
	ok(rename(p, q) == 0 && cur_mtime(root, 3601) == 0,
	    "fresh cur: renamed by someone else");
	is_str(sync_log(a, 0, &res), "F2/2=20;", "fresh cur: flag seen");
	i1 = index_ino(root);
	ok(i1 != i0, "fresh cur: the change is written");
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &b), 0,
	    "fresh cur: another session");
	is_str(sync_log(b, 0, &res), "", "fresh cur: its sync");
	ok(mbox_msg(b, 2) != NULL && (mbox_msg(b, 2)->flags & MBOX_F_FLAGGED),
	    "fresh cur: it sees the flag");
	mbox_close(&b);
	i0 = index_ino(root);
	is_str(sync_log(a, 0, &res), "", "fresh cur: nothing changed again");
	ok(index_ino(root) == i0, "fresh cur: not rewritten again");
	/* Settled: written once with the mtime, then not scanned. */
	ok(cur_mtime(root, -100) == 0, "cur/ mtime settled");
	is_str(sync_log(a, 0, &res), "", "settled cur: sync");
	i1 = index_ino(root);
	ok(i1 != i0, "settled cur: the index records the mtime");
	is_str(sync_log(a, 0, &res), "", "settled cur: sync again");
	ok(index_ino(root) == i1, "settled cur: nothing written");
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

/*
 * APPEND and COPY do not read cur/ (mbox_refresh_add): what another
 * program changed there is found by the next full sync, nothing lost.
 */
static void
test_append_unscanned(void)
{
	char root[512], p[1024], q[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	struct mbox_append ap;
	uint32_t uv, uid = 0, src = 1, dst = 0;
	size_t n = 0;
	int fd;

	memset(&ap, 0, sizeof(ap));
	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	put_file(root, "cur/1000.M1P1.h:2,", "Subject: a\n\nx\n");
	put_file(root, "cur/1001.M1P1.h:2,", "Subject: b\n\nx\n");
	put_file(root, "cur/1002.M1P1.h:2,", "Subject: c\n\nx\n");
	ok(cur_mtime(root, -100) == 0, "add: cur/ settled");
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "add: open");
	is_str(sync_log(a, 0, &res), "", "add: first sync");
	is_int((int)res.exists, 3, "add: 3 messages");
	/* Another program: a flag, a removal, a message put in cur/. */
	snprintf(p, sizeof(p), "%s/cur/1001.M1P1.h:2,", root);
	snprintf(q, sizeof(q), "%s/cur/1001.M1P1.h:2,F", root);
	ok(rename(p, q) == 0, "add: renamed by someone else");
	snprintf(p, sizeof(p), "%s/cur/1002.M1P1.h:2,", root);
	ok(unlink(p) == 0, "add: removed by someone else");
	ok(put_file(root, "cur/1003.M1P1.h:2,", "Subject: d\n\nx\n") == 0,
	    "add: put in cur/ by someone else");
	ok(cur_mtime(root, -50) == 0, "add: cur/ still settled");
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "add: another session");
	is_int(mbox_append(b, "S: n\n\nx\n", 8, &ap, &uv, &uid), 0,
	    "add: APPEND");
	is_int((int)uid, 4, "add: it takes uidnext; cur/ was not read");
	is_int(mbox_copy(a, &src, 1, b, &uv, &src, &dst, &n), 0, "add: COPY");
	ok(n == 1 && dst == 5, "add: the copy takes the next uid");
	is_str(sync_log(a, 0, &res), "X3/3;F2/2=20;",
	    "add: the full sync finds the removal and the flag");
	is_int((int)res.exists, 5, "add: and the appended, copied and "
	    "foreign messages");
	ok(mbox_msg(a, 5) != NULL && mbox_msg(a, 5)->uid == 6,
	    "add: the foreign one gets the uid after them");
	mbox_close(&b);
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

static ino_t
spare_ino(const char *root)
{
	char p[1024];
	struct stat st;

	snprintf(p, sizeof(p), "%s/tern-index.spare", root);
	return lstat(p, &st) == 0 ? st.st_ino : 0;
}

/*
 * The index is written into the spare (the index before) and the two
 * exchanged, unless someone holds the spare: then a new file.
 */
static void
test_index_spare(void)
{
	char root[512];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	struct mbox_append ap;
	uint32_t uv, uid = 0;
	ino_t i1, i2, i3, i4, s3;
	int fd, good = 0, k;

	memset(&ap, 0, sizeof(ap));
	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "spare: open");
	is_str(sync_log(a, 0, &res), "", "spare: first sync");
	for (k = 0; k < 2; k++)
		if (mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0)
			good++;
	i1 = index_ino(root);
	ok(good == 2 && spare_ino(root) != 0, "spare: kept after a write");
	good = mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0;
	i2 = index_ino(root);
	good += mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0;
	i3 = index_ino(root);
	s3 = spare_ino(root);
	ok(good == 2 && i2 != i1 && i3 == i1 && s3 == i2,
	    "spare: two files take turns (no new one per write)");
	/* b keeps the current index open: it is not written under b.
	 * (Read-only: a read-write sync would write the index itself.) */
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &b), 0,
	    "spare: another session");
	is_str(sync_log(b, 0, &res), "", "spare: its sync");
	is_int((int)res.exists, 4, "spare: 4 messages");
	good = mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0;
	ok(good && index_ino(root) == i2 && spare_ino(root) == i3,
	    "spare: written into the spare b does not hold");
	good = mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0;
	i4 = index_ino(root);
	ok(good && i4 != i1 && i4 != i2,
	    "spare: b holds the one before: a new file instead");
	ok(uid == 6, "spare: uid 6");
	is_str(sync_log(b, 0, &res), "", "spare: b syncs");
	is_int((int)res.exists, 6, "spare: b sees all 6");
	mbox_close(&b);
	mbox_close(&a);
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &b), 0, "spare: reopen");
	is_str(sync_log(b, 0, &res), "", "spare: sync");
	ok(res.exists == 6 && mbox_msg(b, 6) != NULL &&
	    mbox_msg(b, 6)->uid == 6, "spare: the index read back is right");
	mbox_close(&b);
	mstore_free(&ms);
	close(fd);
}

static void
test_ops(void)
{
	char root[512], buf[256];
	struct mstore *ms;
	struct mbox *a, *b, *t;
	struct mbox_sync_result res;
	struct mbox_append ap;
	struct mstore_status st;
	struct maildir_quota q;
	struct mbox_info info;
	struct rec r;
	struct sbuf sb;
	const char *kws[] = { "$Forwarded", "Work" };
	uint32_t uv, uid, uids[4], su[4], du[4];
	uint64_t vs;
	unsigned ki;
	size_t n;
	ssize_t got;
	int fd, wfd, i;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	mstore_create(ms, "Trash");
	mstore_create(ms, "Other");
	mbox_open(ms, "INBOX", 0, &a);
	mbox_open(ms, "INBOX", 0, &b);
	sync_log(a, 0, &res);
	sync_log(b, 0, &res);
	/* APPEND. */
	memset(&ap, 0, sizeof(ap));
	ap.flags = MBOX_F_SEEN | MBOX_F_RECENT;
	ap.keywords = kws;
	ap.nkeywords = 2;
	ap.date = 1000000000;
	is_int(mbox_append(a, "Subject: x\r\n\r\nbody\r\n", 21, &ap, &uv, &uid),
	    0, "append");
	ok(uid == 1 && uv != 0, "UIDPLUS: uid 1");
	ok(has_file_suffix(root, "cur", ",S=18,W=21:2,Sab"),
	    "file named with S= W= and flags Sab");
	is_str(sync_log(b, 0, &res), "", "other session syncs");
	ok(res.added == 1 && res.recent == 1, "sees the appended as recent");
	ok(mbox_msg(b, 1)->date == 1000000000 && mbox_msg(b, 1)->size == 18 &&
	    (mbox_msg(b, 1)->flags & MBOX_F_SEEN) &&
	    mbox_msg(b, 1)->keywords == 3, "date, size, flags, keywords");
	ok(mbox_keyword_name(b, 0) != NULL &&
	    strcmp(mbox_keyword_name(b, 0), "$Forwarded") == 0 &&
	    strcmp(mbox_keyword_name(b, 1), "Work") == 0, "dovecot-keywords");
	ok(res.keywords_changed, "keywords changed reported");
	is_int(mbox_keyword_index(b, "work", 0, &ki), 0, "keyword any case");
	is_int(ki, 1, "work is letter b");
	ok(mbox_keyword_index(b, "\\Seen", 1, &ki) == -1 && errno == EINVAL,
	    "system flag is not a keyword");
	ok(mbox_keyword_index(b, "nope", 0, &ki) == -1 && errno == ENOENT,
	    "absent keyword");
	fd = mbox_msg_open(b, 1);
	got = fd == -1 ? -1 : read(fd, buf, sizeof(buf));
	ok(got == 18 && memcmp(buf, "Subject: x\n\nbody\n", 18) == 0,
	    "stored with LF line ends");
	if (fd != -1)
		close(fd);
	ok(mbox_msg_vsize(b, 1, &vs) == 0 && vs == 21, "vsize 21");
	is_int(mbox_append_fd(a, -1, &ap, &uv, &uid), -1, "bad fd");
	wfd = open("/dev/null", O_RDONLY);
	memset(&ap, 0, sizeof(ap));
	is_int(mbox_append_fd(a, wfd, &ap, &uv, &uid), 0, "append empty fd");
	close(wfd);
	is_int(uid, 2, "uid 2");
	for (i = 0; i < 3; i++)
		mbox_append(a, "S: y\n\nz\n", 8, &ap, &uv, &uid);
	is_int(uid, 5, "uid 5");
	is_str(sync_log(a, 0, &res), "", "a syncs");
	is_int(res.exists, 5, "5 messages");
	sync_log(b, 0, &res);
	/* STORE seen by the other session. */
	is_str(store_log(a, 3, MBOX_STORE_ADD, MBOX_F_DELETED | MBOX_F_RECENT,
	    0, 0), "F3/3=80000;", "+FLAGS \\Deleted");
	is_str(store_log(a, 3, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0),
	    "F3/3=80000;", "again: reported, unchanged");
	ok(has_file_suffix(root, "cur", ":2,T"), "renamed :2,T");
	mbox_get_info(a, &info);
	is_str(store_log(a, 4, MBOX_STORE_SET, MBOX_F_FLAGGED, 2, 1),
	    "M4/4;", "UNCHANGEDSINCE refused");
	is_str(store_log(a, 4, MBOX_STORE_SET, MBOX_F_FLAGGED, 2,
	    info.highestmodseq), "F4/4=20;", "UNCHANGEDSINCE ok");
	ok(mbox_msg(a, 4)->keywords == 2 && mbox_msg(a, 4)->modseq >
	    info.highestmodseq, "keyword set, modseq bumped");
	is_str(sync_log(b, 0, &res), "F3/3=80000;F4/4=20;",
	    "b sees a's flag changes");
	is_str(sync_log(a, 0, &res), "", "a does not see its own again");
	is_str(store_log(b, 1, MBOX_STORE_REMOVE, MBOX_F_SEEN, 1, 0),
	    "F1/1=0;", "-FLAGS");
	ok(mbox_msg(b, 1)->keywords == 2, "keyword a removed");
	/* EXPUNGE. */
	mbox_store(a, (uint32_t[]){ 1, 5 }, 2, MBOX_STORE_ADD, MBOX_F_DELETED,
	    0, 0, NULL, NULL);
	memset(&r, 0, sizeof(r));
	is_int(mbox_expunge(a, (uint32_t[]){ 3, 4 }, 2, exp_cb, &r), 1,
	    "UID EXPUNGE 3:4 (4 not \\Deleted)");
	is_str(r.log, "X3/3;", "reported");
	r.len = 0;
	r.log[0] = '\0';
	is_int(mbox_expunge(a, NULL, 0, exp_cb, &r), 2, "EXPUNGE");
	is_str(r.log, "X4/5;X1/1;", "highest first, seqs valid when given");
	is_int(count_dir(root, "cur"), 2, "files gone");
	is_str(sync_log(b, 0, &res), "X5/5;X3/3;X1/1;", "b sees expunges");
	is_int(res.exists, 2, "2 left");
	mbox_close(&b);
	ok(mbox_open(ms, "INBOX", MBOX_RDONLY, &b) == 0 &&
	    mbox_sync(b, 0, NULL, NULL, NULL) == 0, "examine");
	ok(mbox_store(b, &uid, 1, MBOX_STORE_ADD, MBOX_F_SEEN, 0, 0, NULL,
	    NULL) == -1 && errno == EROFS, "read-only STORE: EROFS");
	ok(mbox_expunge(b, NULL, 0, NULL, NULL) == -1 && errno == EROFS,
	    "read-only EXPUNGE: EROFS");
	mbox_close(&b);
	/* COPY. */
	is_int(mbox_open(ms, "Other", 0, &t), 0, "open Other");
	uids[0] = 2;
	uids[1] = 3;	/* expunged: skipped */
	uids[2] = 4;
	is_int(mbox_copy(a, uids, 3, t, &uv, su, du, &n), 0, "copy");
	ok(n == 2 && su[0] == 2 && su[1] == 4 && du[0] == 1 && du[1] == 2,
	    "COPYUID 2,4 -> 1:2");
	is_str(sync_log(t, 0, &res), "", "sync copy");
	ok(res.exists == 2 && mbox_msg(t, 2)->keywords == 1 &&
	    strcmp(mbox_keyword_name(t, 0), "Work") == 0 &&
	    (mbox_msg(t, 2)->flags & MBOX_F_FLAGGED),
	    "keyword mapped by name, flags kept");
	is_int(mbox_copy(t, du, 2, t, &uv, su, du, &n), 0, "copy into self");
	ok(n == 2 && du[0] == 3 && du[1] == 4, "uids 3:4");
	/* STATUS, from the index. */
	is_int(mstore_status(ms, "Other", &st), 0, "status");
	ok(st.messages == 4 && st.uidnext == 5 && st.unseen == 4 &&
	    st.recent == 2, "status counts (%u %u %u %u)", st.messages,
	    st.uidnext, st.unseen, st.recent);
	put_file(root, ".Other/new/9.M9P9.h", "x\n");
	is_int(mstore_status(ms, "Other", &st), 0, "status with new mail");
	ok(st.messages == 5 && st.recent == 3, "new/ counted");
	ok(st.deleted == 0, "none \\Deleted");
	uids[0] = 1;
	is_int(mbox_store(t, uids, 1, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0,
	    NULL, NULL), 0, "store \\Deleted");
	ok(mstore_status(ms, "Other", &st) == 0 && st.deleted == 1,
	    "STATUS DELETED counts it");
	ok(mstore_status(ms, "nope", &st) == -1 && errno == ENOENT,
	    "status ENOENT");
	/* Cache. */
	sbuf_init(&sb, 10000);
	is_int(mbox_cache_get(t, 1, MBOX_CACHE_ENVELOPE, &sb), 0, "not cached");
	is_int(mbox_cache_put(t, 1, MBOX_CACHE_ENVELOPE, "(env 1)", 7), 0,
	    "put");
	is_int(mbox_cache_put(t, 2, MBOX_CACHE_BODYSTRUCTURE, "(bs 2)", 6), 0,
	    "put 2");
	is_int(mbox_cache_put(t, 1, MBOX_CACHE_ENVELOPE, "(env 1b)", 8), 0,
	    "replace");
	is_int(mbox_cache_get(t, 1, MBOX_CACHE_ENVELOPE, &sb), 1, "cached");
	is_str(sbuf_str(&sb), "(env 1b)", "last wins");
	mbox_close(&t);
	mbox_open(ms, "Other", 0, &t);
	mbox_sync(t, 0, NULL, NULL, NULL);
	ok(mbox_cache_get(t, 2, MBOX_CACHE_BODYSTRUCTURE, &sb) == 1 &&
	    strcmp(sbuf_str(&sb), "(bs 2)") == 0, "cache read back");
	put_file(root, ".Other/tern-cache", "TERNCCH1junkjunkjunkjunkjunk");
	mbox_close(&t);
	mbox_open(ms, "Other", 0, &t);
	mbox_sync(t, 0, NULL, NULL, NULL);
	is_int(mbox_cache_get(t, 2, MBOX_CACHE_BODYSTRUCTURE, &sb), 0,
	    "damaged cache: a miss");
	is_int(mbox_cache_put(t, 2, MBOX_CACHE_BODYSTRUCTURE, "(bs)", 4), 0,
	    "and put works");
	ok(mbox_cache_get(t, 2, 0, &sb) == -1 && errno == EINVAL, "bad kind");
	sbuf_fini(&sb);
	/* Quota: 2 messages or 100 bytes. */
	q.bytes = 100;
	q.count = 0;
	mstore_set_quota(ms, &q);
	memset(&ap, 0, sizeof(ap));
	ok(mbox_append(t, "S: a\n\n0123456789012345678901234567890123456789"
	    "0123456789012345678901234567890123456789\n", 88, &ap, &uv, &uid) ==
	    -1 && errno == EDQUOT, "over quota: EDQUOT");
	is_int(count_dir(root, ".Other/tmp"), 0, "tmp/ cleaned");
	is_int(mbox_open(ms, "Trash", 0, &b) == 0 ? 0 : -1, 0, "open Trash");
	is_int(mbox_append(b, "S: a\n\nx\n", 8, &ap, &uv, &uid), 0,
	    "Trash is not counted");
	mbox_close(&b);
	mstore_set_quota(ms, NULL);
	mbox_close(&t);
	/* IDLE: the watch descriptor fires on delivery. */
	wfd = mbox_watch_fd(a);
	ok(wfd >= 0 && mbox_watch_fd(a) == wfd, "watch fd");
	put_file(root, "new/77.M1P1.h", "S: w\n\nx\n");
	ok(io_wait(wfd, POLLIN, io_deadline_ms(5000)) == 1, "readable");
	is_int(mbox_watch_drain(a), 0, "drain");
	sync_log(a, 0, &res);
	is_int(res.added, 1, "then sync finds it");
	mbox_close(&a);
	mstore_free(&ms);
}

/* Set the mtime of root/sub (a folder or a file) to t (seconds). */
static int
set_mtime(const char *root, const char *sub, time_t t)
{
	char p[1024];
	struct timespec ts[2];

	snprintf(p, sizeof(p), "%s/%s", root, sub);
	ts[0].tv_sec = ts[1].tv_sec = t;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	return utimensat(AT_FDCWD, p, ts, 0);
}

/*
 * 10,000 messages: a cold sync reads cur/ once; a warm one (cur/ mtime as
 * the index saw it) does not read cur/ at all, which the test proves by
 * slipping a file in behind an unchanged mtime.
 */
static void
test_big(void)
{
	char root[512], name[128];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	time_t old = time(NULL) - 86400;
	int fd, i, made = 0;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	for (i = 0; i < 10000; i++) {
		snprintf(name, sizeof(name), "cur/%d.M%dP1.h,S=3:2,S", 1000 + i,
		    i);
		if (put_file(root, name, "x\n\n") == 0)
			made++;
	}
	is_int(made, 10000, "10000 files");
	set_mtime(root, "cur", old);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "open");
	is_str(sync_log(a, 0, &res), "", "cold sync");
	ok(res.exists == 10000 && mbox_msg(a, 10000)->uid == 10000 &&
	    mbox_msg(a, 1)->size == 3, "10000 messages, sizes from S=");
	put_file(root, "cur/9999999.hidden:2,", "x\n");
	set_mtime(root, "cur", old);
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "second session");
	is_str(sync_log(b, 0, &res), "", "warm sync");
	is_int(res.exists, 10000, "warm: cur/ not read (hidden file unseen)");
	set_mtime(root, "cur", old + 1);
	is_str(sync_log(b, 0, &res), "", "cur/ changed");
	is_int(res.exists, 10001, "now read");
	mbox_close(&a);
	mbox_close(&b);
	mstore_free(&ms);
	close(fd);
}

/*
 * A folder indexed for the first time (MBOX_LAZY_DATE_MIN new messages or
 * more): files with ",S=" are not stat'ed; their dates (mtimes) are learnt
 * when asked for, kept in the index by the next sync, and found even when
 * the file was renamed meanwhile.  Fewer new messages are stat'ed at once.
 */
static void
test_lazy_date(void)
{
	char root[512], name[128], from[1024], to[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	time_t base = 1000000000, old = time(NULL) - 86400;
	int64_t d;
	int fd, i, made = 0, right = 0;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	for (i = 0; i < 300; i++) {
		/* Every tenth without S= (stat'ed for its size anyway). */
		if (i % 10 == 9)
			snprintf(name, sizeof(name), "cur/%d.M%dP1.h:2,S",
			    2000 + i, i);
		else
			snprintf(name, sizeof(name), "cur/%d.M%dP1.h,S=3:2,S",
			    2000 + i, i);
		if (put_file(root, name, "x\n\n") == 0 &&
		    set_mtime(root, name, base + i) == 0)
			made++;
	}
	is_int(made, 300, "300 files with their own mtimes");
	set_mtime(root, "cur", old);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "open");
	is_str(sync_log(a, 0, &res), "", "cold sync");
	ok(res.exists == 300 && res.recent == 300, "300 messages, all \\Recent");
	ok(mbox_msg(a, 1)->date == 0 && mbox_msg(a, 1)->size == 3,
	    "a file with S= is not stat'ed: size from the name, date unknown");
	is_int((int)(mbox_msg(a, 10)->date - base), 9,
	    "a file without S= is stat'ed: its date known");
	is_int(mbox_msg_date(a, 5, &d), 0, "date learnt");
	is_int((int)(d - base), 4, "it is the file's mtime");
	is_int((int)(mbox_msg(a, 5)->date - base), 4, "kept in the view");
	/* Renamed behind tern's back before its date was asked for. */
	snprintf(from, sizeof(from), "%s/cur/%d.M%dP1.h,S=3:2,S", root,
	    2000 + 7, 7);
	snprintf(to, sizeof(to), "%s/cur/%d.M%dP1.h,S=3:2,FS", root,
	    2000 + 7, 7);
	is_int(rename(from, to), 0, "rename by another program");
	is_int(mbox_msg_date(a, 8, &d), 0, "date of the renamed file");
	is_int((int)(d - base), 7, "found under its new name");
	snprintf(from, sizeof(from), "%s/cur/%d.M%dP1.h,S=3:2,S", root,
	    2000 + 11, 11);
	is_int(unlink(from), 0, "a file removed by another program");
	ok(mbox_msg_date(a, 12, &d) == 0 && d == 0,
	    "its date: 0, no error");
	for (i = 20; i < 300; i++)
		if (mbox_msg_date(a, (uint32_t)i + 1, &d) == 0 &&
		    d == base + i)
			right++;
	is_int(right, 280, "every other date is the file's mtime");
	is_str(sync_log(a, 0, &res), "X12/12;F8/8=40020;",
	    "the next sync: the removal and the rename");
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "second session");
	is_str(sync_log(b, 0, &res), "", "its sync");
	ok(res.exists == 299 && res.recent == 0,
	    "299 messages, \\Recent taken by the first session");
	ok(mbox_msg(b, 5)->date == base + 4 && mbox_msg(b, 299)->date ==
	    base + 299, "learnt dates were kept in the index");
	ok(mbox_msg(b, 2)->date == 0, "others still unknown");
	/* A few new messages are stat'ed at once. */
	put_file(root, "new/3000.M1P1.h,S=3", "x\n\n");
	set_mtime(root, "new/3000.M1P1.h,S=3", base + 5000);
	is_str(sync_log(b, 0, &res), "", "a delivery");
	ok(res.exists == 300 && mbox_msg(b, 300)->date == base + 5000,
	    "a single new message is stat'ed: its date known");
	mbox_close(&a);
	mbox_close(&b);
	mstore_free(&ms);
	close(fd);
}

/* Copy the file from to a new file to. */
static int
copy_path(const char *from, const char *to)
{
	struct sbuf b;
	int in, out, rc = -1;

	sbuf_init(&b, 64 * 1024 * 1024);
	if ((in = open(from, O_RDONLY)) == -1)
		return -1;
	if (io_read_fd(in, &b, 64 * 1024 * 1024) == 0 &&
	    (out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0600)) != -1) {
		rc = io_write_full(out, b.s, b.len);
		if (close(out) == -1)
			rc = -1;
	}
	close(in);
	sbuf_fini(&b);
	return rc;
}

/*
 * A sync whose refresh changes nothing skips the merge of the view with
 * the index (lib/mstore_int.h, view_current): every change is still
 * reported, by another session, behind tern's back or by this session
 * itself, and the counts (EXISTS, RECENT) stay right between changes.
 */
static void
test_view_current(void)
{
	char root[512], name[128], from[1024], to[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	struct mbox_append ap;
	uint32_t uv, uid, u;
	int fd, i, quiet = 0;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	for (i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "new/%d.M%dP1.h,S=3", 3000 + i, i);
		put_file(root, name, "x\n\n");
	}
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "open a");
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "open b");
	is_str(sync_log(a, 0, &res), "", "a: first sync");
	ok(res.exists == 6 && res.recent == 6, "a: 6, all \\Recent");
	is_str(sync_log(b, 0, &res), "", "b: first sync");
	for (i = 0; i < 3; i++)
		if (*sync_log(a, 0, &res) == '\0' && res.exists == 6 &&
		    res.recent == 6 && res.added == 0 && res.expunged == 0)
			quiet++;
	is_int(quiet, 3, "a: syncs with nothing changed: nothing, same counts");
	is_str(store_log(b, 2, MBOX_STORE_ADD, MBOX_F_FLAGGED, 0, 0),
	    "F2/2=20;", "b: STORE");
	is_str(sync_log(a, 0, &res), "F2/2=20;", "a: b's STORE reported");
	is_str(sync_log(a, 0, &res), "", "a: then nothing");
	u = 3;
	is_str(store_log(b, 3, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0),
	    "F3/3=80000;", "b: \\Deleted");
	is_int(mbox_expunge(b, &u, 1, NULL, NULL), 1, "b: EXPUNGE");
	is_str(sync_log(a, MBOX_SYNC_NO_EXPUNGE, &res), "",
	    "a (NO_EXPUNGE): the expunge kept back");
	ok(res.exists == 6 && (mbox_msg(a, 3)->flags & MBOX_F_EXPUNGED),
	    "a: still 6, seq 3 marked");
	is_str(sync_log(a, 0, &res), "X3/3;",
	    "a: the kept expunge reported although nothing changed since");
	ok(res.exists == 5 && res.recent == 5, "a: 5, 5 \\Recent");
	/* This session's own changes. */
	is_str(store_log(a, 1, MBOX_STORE_ADD, MBOX_F_SEEN, 0, 0),
	    "F1/1=40000;", "a: own STORE");
	is_str(sync_log(a, 0, &res), "", "a: own STORE not reported again");
	ok((mbox_msg(a, 1)->flags & MBOX_F_SEEN) && res.exists == 5,
	    "a: its view has it");
	u = 1;
	store_log(a, 1, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0);
	is_int(mbox_expunge(a, &u, 1, NULL, NULL), 1, "a: own EXPUNGE");
	is_str(sync_log(a, 0, &res), "", "a: own EXPUNGE not reported again");
	ok(res.exists == 4 && res.recent == 4,
	    "a: 4, 4 \\Recent (%u %u)", res.exists, res.recent);
	memset(&ap, 0, sizeof(ap));
	is_int(mbox_append(a, "S: a\n\nx\n", 8, &ap, &uv, &uid), 0,
	    "a: own APPEND");
	is_str(sync_log(a, 0, &res), "", "a: sync after it");
	ok(res.exists == 5 && res.added == 1 && mbox_msg(a, 5)->uid == uid,
	    "a: the appended message is in the view");
	is_str(sync_log(a, 0, &res), "", "a: then nothing");
	ok(res.exists == 5 && res.added == 0, "a: same count");
	/* Behind tern's back: a rename in cur/, a delivery to new/. */
	snprintf(from, sizeof(from), "%s/cur/3003.M3P1.h,S=3:2,", root);
	snprintf(to, sizeof(to), "%s/cur/3003.M3P1.h,S=3:2,S", root);
	is_int(rename(from, to), 0, "rename by another program");
	is_str(sync_log(a, 0, &res), "F2/4=40000;", "a: the rename reported");
	put_file(root, "new/3100.M1P1.h,S=3", "x\n\n");
	is_str(sync_log(a, 0, &res), "", "a: a delivery");
	ok(res.exists == 6 && res.added == 1, "a: it is added");
	is_str(sync_log(b, 0, &res), "X1/1;F2/4=40000;",
	    "b: a's EXPUNGE and the rename");
	ok(res.exists == 6 && res.added == 2, "b: a's APPEND and the delivery");
	/* The index replaced by a copy of itself (another inode). */
	snprintf(from, sizeof(from), "%s/tern-index", root);
	snprintf(to, sizeof(to), "%s/tern-index.copy", root);
	ok(copy_path(from, to) == 0 && rename(to, from) == 0,
	    "the index replaced by a copy");
	is_str(sync_log(a, 0, &res), "", "a: reread, nothing new");
	ok(res.exists == 6 && res.added == 0, "a: 6");
	mbox_close(&a);
	mbox_close(&b);
	mstore_free(&ms);
	close(fd);
}

/*
 * The lazy view (lib/mstore_int.h): a sync that finds the index current
 * answers from its summary without decoding it; the view is decoded when
 * first needed, as the snapshot the session was given, so that the
 * changes other sessions (or other programs, behind tern's back) made
 * meanwhile are reported by the next sync as they would be otherwise.
 */
static void
test_lazy(void)
{
	char root[512], name[128], p[1024], q[1024];
	struct mstore *ms;
	struct mbox *a, *b, *c;
	struct mbox_sync_result res;
	struct mbox_info ia, ib, ic;
	struct mbox_append ap;
	const char *cp = NULL;
	size_t cl = 0;
	time_t old = time(NULL) - 86400;
	struct mstore_status st;
	uint64_t size;
	uint32_t uv, uid;
	int fd, fd2, i;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "cur/%d.M%dP1.h,S=3:2,%s",
		    1000 + i, i, i == 2 || i == 5 ? "" : i == 7 ? "ST" : "S");
		put_file(root, name, "x\n\n");
	}
	set_mtime(root, "cur", old);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: open");
	is_str(sync_log(a, 0, &res), "", "lazy: cold sync");
	ok(!a->lazy && res.exists == 10 && res.recent == 10,
	    "lazy: a cold sync decodes and takes \\Recent");
	mbox_get_info(a, &ia);
	mbox_close(&a);

	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "lazy: open again");
	is_str(sync_log(b, 0, &res), "", "lazy: warm sync");
	ok(b->lazy, "lazy: a warm sync does not decode");
	ok(res.exists == 10 && res.recent == 0 && res.added == 10,
	    "lazy: its result (%u %u %u)", res.exists, res.recent, res.added);
	mbox_get_info(b, &ib);
	ok(ib.exists == 10 && ib.recent == 0 && ib.unseen == 2 &&
	    ib.first_unseen == 3 && ib.uidvalidity == ia.uidvalidity &&
	    ib.uidnext == 11 && ib.highestmodseq == ia.highestmodseq &&
	    !ib.is_readonly, "lazy: info from the summary");
	is_int(mbox_count(b), 10, "lazy: count");
	is_str(sync_log(b, 0, &res), "", "lazy: sync, nothing changed");
	ok(b->lazy && res.exists == 10 && res.added == 0 && res.recent == 0,
	    "lazy: still lazy");
	ok(mbox_msg(b, 3) != NULL && !b->lazy && mbox_msg(b, 3)->uid == 3 &&
	    !(mbox_msg(b, 3)->flags & MBOX_F_SEEN) &&
	    (mbox_msg(b, 8)->flags & MBOX_F_DELETED) &&
	    mbox_msg(b, 10)->uid == 10 && mbox_msg(b, 11) == NULL,
	    "lazy: decoded when first read");
	mbox_get_info(b, &ia);
	ok(memcmp(&ia, &ib, sizeof(ia)) == 0,
	    "lazy: the decoded view gives the same info");
	is_int(mbox_cache_put(b, 2, MBOX_CACHE_ENVELOPE, "env", 3), 0,
	    "lazy: cache put");
	mbox_close(&b);

	/* Another session changes the folder under a lazy one. */
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "lazy: session b");
	is_str(sync_log(b, 0, &res), "", "lazy: b syncs");
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: session a");
	is_str(sync_log(a, 0, &res), "", "lazy: a syncs");
	ok(a->lazy && b->lazy, "lazy: both lazy");
	ok(mbox_cache_peek(a, 2, MBOX_CACHE_ENVELOPE, &cp, &cl) == 1 &&
	    cl == 3 && memcmp(cp, "env", 3) == 0, "lazy: cache read");
	is_str(store_log(a, 1, MBOX_STORE_ADD, MBOX_F_FLAGGED, 0, 0),
	    "F1/1=40020;", "lazy: STORE from a lazy view");
	is_int(mbox_expunge(a, NULL, 0, NULL, NULL), 1,
	    "lazy: EXPUNGE of the \\Deleted one");
	memset(&ap, 0, sizeof(ap));
	ok(mbox_append(a, "S: n\n\nx\n", 8, &ap, &uv, &uid) == 0 && uid == 11,
	    "lazy: APPEND");
	ok(b->lazy, "lazy: b still lazy");
	is_str(sync_log(b, 0, &res), "X8/8;F1/1=40020;",
	    "lazy: b is told of the expunge and the flag");
	ok(res.exists == 10 && res.added == 1 && res.recent == 1 &&
	    mbox_msg(b, 10)->uid == 11, "lazy: b sees the new one, \\Recent (%u %u %u)",
	    res.exists, res.added, res.recent);
	mbox_close(&a);
	mbox_close(&b);

	/* Behind tern's back: a rename in cur/, a delivery to new/. */
	set_mtime(root, "cur", old + 10);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: open after changes");
	is_str(sync_log(a, 0, &res), "", "lazy: sync");
	ok(!a->lazy, "lazy: not while cur/ has a new mtime");
	mbox_close(&a);
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "lazy: open, settled");
	is_str(sync_log(b, 0, &res), "", "lazy: sync, settled");
	ok(b->lazy && res.exists == 10, "lazy: again");
	snprintf(p, sizeof(p), "%s/cur/1001.M1P1.h,S=3:2,S", root);
	snprintf(q, sizeof(q), "%s/cur/1001.M1P1.h,S=3:2,RS", root);
	ok(rename(p, q) == 0 && set_mtime(root, "cur", old + 20) == 0,
	    "lazy: renamed by another program");
	is_str(sync_log(b, 0, &res), "F2/2=60000;",
	    "lazy: the rename is reported");
	ok(!b->lazy && res.exists == 10, "lazy: decoded by the change");
	mbox_close(&b);
	set_mtime(root, "cur", old + 30);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: open");
	is_str(sync_log(a, 0, &res), "", "lazy: sync records the mtime");
	mbox_close(&a);
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "lazy: open, settled again");
	is_str(sync_log(b, 0, &res), "", "lazy: sync, settled again");
	ok(b->lazy, "lazy: lazy again");
	put_file(root, "new/2000.M1P1.h", "S: d\n\nx\n");
	is_str(sync_log(b, 0, &res), "", "lazy: a delivery");
	ok(!b->lazy && res.exists == 11 && res.added == 1 && res.recent == 1,
	    "lazy: the delivery is added (%u %u %u)", res.exists, res.added,
	    res.recent);
	mbox_close(&b);

	/* EXAMINE: \Recent left for a read-write session is counted. */
	put_file(root, "new/2001.M1P1.h", "S: e\n\nx\n");
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &c), 0, "lazy: examine");
	is_str(sync_log(c, 0, &res), "", "lazy: examine syncs");
	set_mtime(root, "cur", old + 40);
	is_str(sync_log(c, 0, &res), "", "lazy: examine records the mtime");
	mbox_close(&c);
	is_int(mbox_open(ms, "INBOX", MBOX_RDONLY, &c), 0, "lazy: examine again");
	is_str(sync_log(c, 0, &res), "", "lazy: its sync");
	mbox_get_info(c, &ic);
	ok(c->lazy && res.recent == 1 && ic.recent == 1 && ic.exists == 12 &&
	    ic.is_readonly, "lazy: examine, lazy, one \\Recent (%u %u)",
	    res.recent, ic.recent);
	ok(mbox_msg(c, 12) != NULL && (mbox_msg(c, 12)->flags & MBOX_F_RECENT)
	    && !(mbox_msg(c, 11)->flags & MBOX_F_RECENT),
	    "lazy: decoded with the same \\Recent");
	mbox_close(&c);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: select");
	is_str(sync_log(a, 0, &res), "", "lazy: select syncs");
	ok(!a->lazy && res.recent == 1,
	    "lazy: not lazy when there is \\Recent to take");
	mbox_close(&a);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "lazy: select again");
	is_str(sync_log(a, 0, &res), "", "lazy: select syncs again");
	ok(a->lazy && res.recent == 0, "lazy: then lazy, none recent");
	mbox_get_info(a, &ia);
	/* STATUS takes the same summary. */
	ok(mstore_status(ms, "INBOX", &st) == 0 && st.messages == 12 &&
	    st.recent == 0 && st.unseen == 5 && st.deleted == 0 &&
	    st.uidnext == ia.uidnext && st.uidvalidity == ia.uidvalidity &&
	    st.highestmodseq == ia.highestmodseq,
	    "lazy: STATUS from the summary (%u %u %u)", st.messages,
	    st.recent, st.unseen);
	for (size = 0, i = 1; i <= 12; i++)
		size += mbox_msg(a, (uint32_t)i) ? mbox_msg(a, (uint32_t)i)->size :
		    1000000;
	ok(st.size == size, "lazy: STATUS size %llu", (unsigned long long)size);
	mbox_close(&a);

	/* Damaged where the summary does not look (a name; the checksum is
	 * checked at the decode): the session ends, the next rebuilds. */
	snprintf(p, sizeof(p), "%s/tern-index", root);
	ok((fd2 = open(p, O_RDWR)) != -1 && pread(fd2, name, 1, 96) == 1 &&
	    name[0] == '1' && pwrite(fd2, "2", 1, 96) == 1 && close(fd2) == 0,
	    "damaged: a name's byte changed in place");
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "damaged: open");
	is_str(sync_log(b, 0, &res), "", "damaged: the sync takes the summary");
	ok(b->lazy && res.exists == 12, "damaged: lazy");
	ok(mbox_view_load(b) == -1 && errno == ESTALE,
	    "damaged: the decode fails with ESTALE");
	ok(!exists(root, "tern-index"), "damaged: the index is removed");
	mbox_close(&b);
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "damaged: open again");
	is_str(sync_log(a, 0, &res), "", "damaged: rebuilt");
	mbox_get_info(a, &ib);
	ok(!a->lazy && ib.exists == 12 && ib.uidvalidity > ia.uidvalidity,
	    "damaged: 12 messages, a new UIDVALIDITY");
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

/* Two processes append 40 messages each to one folder. */
static void
test_parallel(void)
{
	char root[512];
	struct mstore *ms;
	struct mbox *a;
	struct mbox_append ap;
	struct mbox_sync_result res;
	uint32_t uv, uid, i;
	pid_t pid[2];
	int fd, k, st, good = 1;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	memset(&ap, 0, sizeof(ap));
	for (k = 0; k < 2; k++) {
		if ((pid[k] = fork()) == 0) {
			struct mstore *cms;
			struct mbox *c;

			if (mstore_new(fd, '/', &cms) == -1 ||
			    mbox_open(cms, "INBOX", 0, &c) == -1)
				_exit(1);
			for (i = 0; i < 40; i++)
				if (mbox_append(c, "S: p\n\nx\n", 8, &ap, &uv,
				    &uid) == -1 || mbox_sync(c, 0, NULL, NULL,
				    NULL) == -1)
					_exit(1);
			mbox_close(&c);
			mstore_free(&cms);
			_exit(0);
		}
	}
	for (k = 0; k < 2; k++)
		if (waitpid(pid[k], &st, 0) == -1 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) != 0)
			good = 0;
	ok(good, "both appenders succeeded");
	mbox_open(ms, "INBOX", 0, &a);
	sync_log(a, 0, &res);
	is_int(res.exists, 80, "80 messages");
	for (i = 1; i <= 80; i++)
		if (mbox_msg(a, i) == NULL || mbox_msg(a, i)->uid != i)
			good = 0;
	ok(good, "uids 1..80, each once");
	is_int(count_dir(root, "cur"), 80, "80 files");
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

/* Symlinks planted where our own files go, and an index rebuilt by
 * another session under an open one. */
static void
test_tricks(void)
{
	char root[512], p[1024], q[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_sync_result res;
	struct sbuf sb;
	int fd, fd2;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	snprintf(q, sizeof(q), "%s/secret", top);
	put_file(top, "secret", "1 Secret\n");
	snprintf(p, sizeof(p), "%s/dovecot-keywords", root);
	ok(symlink(q, p) == 0, "dovecot-keywords -> outside");
	snprintf(p, sizeof(p), "%s/tern-index", root);
	ok(symlink(q, p) == 0, "tern-index -> outside");
	snprintf(p, sizeof(p), "%s/subscriptions", root);
	ok(symlink(q, p) == 0, "subscriptions -> outside");
	put_file(root, "new/1.M1P1.h", "x\n");
	is_int(mbox_open(ms, "INBOX", 0, &a), 0, "open");
	is_str(sync_log(a, 0, &res), "", "sync");
	ok(res.exists == 1 && mbox_keyword_name(a, 1) == NULL,
	    "symlinked keywords not read");
	sbuf_init(&sb, 100);
	ok(io_read_file(q, &sb, 100) == 0 && strcmp(sbuf_str(&sb),
	    "1 Secret\n") == 0, "outside file untouched");
	sbuf_fini(&sb);
	is_str(list(ms, "", "*", MSTORE_LIST_SUBSCRIBED), "",
	    "symlinked subscriptions not read");
	/* Another session finds the index damaged and rebuilds it. */
	put_file(root, "tern-index", "junk");
	snprintf(p, sizeof(p), "%s/tern-index.lock", root);
	put_file(root, "tern-index.lock", "");
	is_int(mbox_open(ms, "INBOX", 0, &b), 0, "second session");
	sleep(1);
	is_str(sync_log(b, 0, &res), "", "b rebuilds");
	ok(mbox_sync(a, 0, NULL, NULL, NULL) == -1 && errno == ESTALE,
	    "a: ESTALE, the session must end");
	fd2 = mbox_msg_open(a, 1);
	ok(fd2 >= 0, "a's view still reads its own index");
	if (fd2 >= 0)
		close(fd2);
	mbox_close(&a);
	mbox_close(&b);
	mstore_free(&ms);
	close(fd);
}

/* A FIFO planted under a message's name must not block a reader. */
static void
test_fifo(void)
{
	char root[512], p[1024];
	struct mstore *ms;
	struct mbox *a, *t;
	struct mbox_sync_result res;
	uint32_t uid = 1, uv, su[1], du[1];
	uint64_t vs;
	size_t n;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '/', &ms);
	mstore_create(ms, "T");
	put_file(root, "cur/5.M1P1.h:2,", "x\n");
	mbox_open(ms, "INBOX", 0, &a);
	sync_log(a, 0, &res);
	snprintf(p, sizeof(p), "%s/cur/5.M1P1.h:2,", root);
	unlink(p);
	ok(mkfifo(p, 0600) == 0, "FIFO planted");
	ok(mbox_msg_open(a, 1) == -1, "not opened");
	ok(mbox_msg_vsize(a, 1, &vs) == -1, "vsize fails");
	mbox_open(ms, "T", 0, &t);
	ok(mbox_copy(a, &uid, 1, t, &uv, su, du, &n) == 0 && n == 1,
	    "copy links the FIFO name (%s)", strerror(errno));
	mbox_close(&t);
	mbox_close(&a);
	mstore_free(&ms);
	close(fd);
}

/* Separator '.': the same directories as '/', names with '.'. */
static void
test_sep_dot(void)
{
	char root[512];
	struct mstore *ms, *slash;
	struct mbox *a;
	int fd;

	fd = new_root(root, sizeof(root));
	mstore_new(fd, '.', &ms);
	mstore_new(fd, '/', &slash);
	is_int(mstore_create(ms, "Work.2026.Q1"), 0, "create Work.2026.Q1");
	ok(exists(root, ".Work.2026.Q1/cur") && exists(root, ".Work/cur"),
	    "Maildir++ dirs");
	is_str(list(ms, "", "Work.%", 0), "Work.2026 HC;", "list with .");
	is_str(list(slash, "", "*", 0), "INBOX;Work HC;Work/2026 HC;"
	    "Work/2026/Q1;", "same folders seen with /");
	ok(mstore_create(ms, "a/b") == -1 && errno == EINVAL, "/ refused");
	ok(mstore_create(ms, "Work..x") == -1 && errno == EINVAL, ".. refused");
	ok(mstore_create(ms, ".x") == -1 && errno == EINVAL, "leading .");
	ok(mstore_create(ms, "x.") == -1 && errno == EINVAL, "trailing .");
	is_int(mbox_open(ms, "INBOX.Work", 0, &a) == -1 ? errno : 0, ENOENT,
	    "INBOX.Work is not Work");
	is_int(mstore_rename(ms, "Work.2026", "Old"), 0, "rename");
	is_str(list(ms, "", "*", 0), "INBOX;Old HC;Old.Q1;Work;",
	    "children moved");
	mstore_free(&slash);
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
	test_fresh_cur();
	test_ops();
	test_big();
	test_append_unscanned();
	test_index_spare();
	test_lazy_date();
	test_view_current();
	test_lazy();
	test_parallel();
	test_tricks();
	test_fifo();
	test_sep_dot();
	rc = done_testing();
	if (rc == 0)
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("left %s", top);
	return rc;
}
