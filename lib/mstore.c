/*
 * mstore.c - an account's folders: names, CREATE, DELETE, RENAME,
 * subscriptions (lib/mstore.h).
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/mutf7.h"
#include "lib/sbuf.h"

int
mstore_new(int rootfd, int sep, struct mstore **ms_r)
{
	struct mstore *ms;

	*ms_r = NULL;
	if (sep != '/' && sep != '.') {
		errno = EINVAL;
		return -1;
	}
	if ((ms = mem_alloc(1, sizeof(*ms))) == NULL)
		return -1;
	if ((ms->rootfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3)) == -1) {
		mem_free(&ms);
		return -1;
	}
	ms->sep = sep;
	*ms_r = ms;
	return 0;
}

void
mstore_free(struct mstore **msp)
{
	if (*msp == NULL)
		return;
	(void)io_close(&(*msp)->rootfd);
	mem_free(msp);
}

int
mstore_set_quota(struct mstore *ms, const struct maildir_quota *q)
{
	if (q == NULL)
		memset(&ms->quota, 0, sizeof(ms->quota));
	else
		ms->quota = *q;
	return 0;
}

int
mstore_sep(const struct mstore *ms)
{
	return ms->sep;
}

int
mstore_name_is_inbox(const char *name)
{
	return strcasecmp(name, "INBOX") == 0;
}

/* Decoded UTF-8 holds a control character (C0, DEL, C1)? */
static int
has_control(const struct sbuf *u)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < u->len; i++) {
		c = (unsigned char)u->s[i];
		if (c < 0x20 || c == 0x7f)
			return 1;
		if (c == 0xc2 && i + 1 < u->len &&
		    (unsigned char)u->s[i + 1] >= 0x80 &&
		    (unsigned char)u->s[i + 1] <= 0x9f)
			return 1;
	}
	return 0;
}

static int
component_ok(const char *p, size_t n, int sep)
{
	size_t i;

	if (n == 0 || (n == 1 && p[0] == '.') ||
	    (n == 2 && p[0] == '.' && p[1] == '.'))
		return 0;
	for (i = 0; i < n; i++) {
		if (p[i] == '~' || p[i] == '%' || p[i] == '*' || p[i] == '/')
			return 0;
		if (p[i] == '.' && sep == '/')
			return 0;
	}
	return 1;
}

static int
name_check(const struct mstore *ms, const char *name, struct sbuf *canon,
    struct sbuf *dir)
{
	struct sbuf u;
	const char *p, *e;
	size_t len = strlen(name), n;
	int first = 1, bad;

	if (len == 0 || len > MSTORE_NAME_MAX || !mutf7_valid(name, len))
		return -1;
	sbuf_init(&u, MSTORE_NAME_MAX * 4);
	bad = mutf7_to_utf8(name, len, &u) == -1 || has_control(&u);
	sbuf_fini(&u);
	if (bad)
		return -1;
	p = name;
	for (;;) {
		e = memchr(p, ms->sep, len - (size_t)(p - name));
		n = e == NULL ? len - (size_t)(p - name) : (size_t)(e - p);
		if (!component_ok(p, n, ms->sep))
			return -1;
		if (!first && sbuf_cat_c(canon, ms->sep) == -1)
			return -2;
		if (first && n == 5 && strncasecmp(p, "INBOX", 5) == 0) {
			if (sbuf_cat_s(canon, "INBOX") == -1)
				return -2;
			if (e != NULL && sbuf_cat_s(dir, ".INBOX") == -1)
				return -2;
		} else if (sbuf_cat_n(canon, p, n) == -1 ||
		    sbuf_cat_c(dir, '.') == -1 || sbuf_cat_n(dir, p, n) == -1)
			return -2;
		first = 0;
		if (e == NULL)
			break;
		p = e + 1;
	}
	if (dir->len == 0 && sbuf_cat_c(dir, '.') == -1)
		return -2;
	if (dir->len > NAME_MAX)
		return -1;
	return 0;
}

int
mstore_name_check(const struct mstore *ms, const char *name,
    struct sbuf *canon_r, struct sbuf *dir_r)
{
	struct sbuf c, d;
	int rc;

	sbuf_init(&c, MSTORE_NAME_MAX);
	sbuf_init(&d, MSTORE_NAME_MAX + 2);
	rc = name_check(ms, name, &c, &d);
	if (rc == 0 && canon_r != NULL)
		rc = sbuf_set_n(canon_r, c.s, c.len) == -1 ? -2 : 0;
	if (rc == 0 && dir_r != NULL)
		rc = sbuf_set_n(dir_r, d.s, d.len) == -1 ? -2 : 0;
	if (rc == 0 && canon_r != NULL && sbuf_nul(canon_r) == -1)
		rc = -2;
	if (rc == 0 && dir_r != NULL && sbuf_nul(dir_r) == -1)
		rc = -2;
	sbuf_fini(&c);
	sbuf_fini(&d);
	if (rc == -1)
		errno = EINVAL;
	return rc == 0 ? 0 : -1;
}

int
mstore_open_dir(const struct mstore *ms, const char *dir)
{
	if (strcmp(dir, ".") == 0)
		return fcntl(ms->rootfd, F_DUPFD_CLOEXEC, 3);
	return maildir_open_sub(ms->rootfd, dir);
}

int
mstore_has_cur(int dirfd)
{
	struct stat st;

	if (fstatat(dirfd, "cur", &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return S_ISDIR(st.st_mode) ? 1 : 0;
}

uint32_t
mstore_new_uidvalidity(uint32_t old)
{
	uint32_t t = (uint32_t)time(NULL);

	return t > old ? t : old + 1;
}

int
mstore_write_at(int dirfd, const char *name, const void *data, size_t len)
{
	return mstore_write_at_sync(dirfd, name, data, len, 1);
}

int
mstore_write_at_sync(int dirfd, const char *name, const void *data,
    size_t len, int sync)
{
	static unsigned counter;
	char tmp[NAME_MAX + 1];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", name, (long)getpid(),
	    counter++);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	(void)unlinkat(dirfd, tmp, 0);	/* a stale one of ours */
	if ((fd = durable_openat_excl(dirfd, tmp, 0600)) == -1)
		return -1;
	if (io_write_full(fd, data, len) == -1)
		goto fail;
	if (sync ? durable_close_sync(fd) == -1 : close(fd) == -1)
		goto fail_closed;
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		goto fail_closed;
	return sync ? fsync(dirfd) : 0;
fail:
	n = errno;
	(void)close(fd);
	errno = n;
fail_closed:
	n = errno;
	(void)unlinkat(dirfd, tmp, 0);
	errno = n;
	return -1;
}

/* ---- CREATE ---- */

/*
 * Make dir (a checked ".A.B") a folder: tmp new cur and maildirfolder,
 * then one fsync of the folder for all four entries; with sync_root, one
 * of the root for dir's own entry when it was made (without, the caller
 * syncs the root once for several folders).
 */
static int
make_folder(struct mstore *ms, const char *dir, int sync_root)
{
	static const char *const sub[] = { "tmp", "new", "cur" };
	int fd, sfd, mfd, made = 0;
	size_t i;

	if (mkdirat(ms->rootfd, dir, 0700) == 0)
		made = 1;
	else if (errno != EEXIST)
		return -1;
	if ((fd = maildir_open_sub(ms->rootfd, dir)) == -1)
		return -1;
	for (i = 0; i < 3; i++) {
		if (mkdirat(fd, sub[i], 0700) == -1 && errno != EEXIST)
			goto fail;
		/* A symlink or a file in its place is refused here. */
		if ((sfd = maildir_open_sub(fd, sub[i])) == -1)
			goto fail;
		(void)io_close(&sfd);
	}
	mfd = openat(fd, "maildirfolder",
	    O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (mfd == -1 || close(mfd) == -1 || fsync(fd) == -1)
		goto fail;
	(void)io_close(&fd);
	if (made && sync_root && fsync(ms->rootfd) == -1)
		return -1;
	return 0;
fail:
	made = errno;
	(void)io_close(&fd);
	errno = made;
	return -1;
}

/* 1 when the folder of dir is selectable, 0 when not, -1 error. */
static int
dir_selectable(const struct mstore *ms, const char *dir)
{
	int fd, rc;

	if ((fd = mstore_open_dir(ms, dir)) == -1)
		return errno == ENOENT ? 0 : -1;
	rc = mstore_has_cur(fd);
	(void)io_close(&fd);
	return rc;
}

/* Create the missing parents of canonical name c (not INBOX itself). */
static int
create_parents(struct mstore *ms, const char *c)
{
	struct sbuf pname, pdir;
	const char *s;
	int rc = 0;

	sbuf_init(&pname, MSTORE_NAME_MAX);
	sbuf_init(&pdir, MSTORE_NAME_MAX);
	for (s = strchr(c, ms->sep); s != NULL && rc == 0;
	    s = strchr(s + 1, ms->sep)) {
		sbuf_reset(&pname);
		if (sbuf_cat_n(&pname, c, (size_t)(s - c)) == -1 ||
		    sbuf_nul(&pname) == -1 ||
		    mstore_name_check(ms, pname.s, NULL, &pdir) == -1) {
			rc = -1;
			break;
		}
		if (strcmp(pdir.s, ".") == 0)
			continue;
		if ((rc = dir_selectable(ms, pdir.s)) == 1)
			rc = 0;
		else if (rc == 0)
			rc = make_folder(ms, pdir.s, 1);
	}
	sbuf_fini(&pname);
	sbuf_fini(&pdir);
	return rc;
}

int
mstore_create(struct mstore *ms, const char *name)
{
	return mstore_create_sync(ms, name, 1);
}

int
mstore_create_sync(struct mstore *ms, const char *name, int sync_root)
{
	struct sbuf c, d;
	int rc = -1, e;

	sbuf_init(&c, MSTORE_NAME_MAX);
	sbuf_init(&d, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, name, &c, &d) == -1)
		goto out;
	if ((e = dir_selectable(ms, d.s)) != 0) {
		if (e == 1)
			errno = EEXIST;
		goto out;
	}
	if (create_parents(ms, c.s) == -1)
		goto out;
	rc = make_folder(ms, d.s, sync_root);
out:
	e = errno;
	sbuf_fini(&c);
	sbuf_fini(&d);
	errno = e;
	return rc;
}

/* ---- DELETE ---- */

/* Remove the files of dirfd/sub (a plain folder of files). */
static int
empty_sub(int dirfd, const char *sub)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = maildir_open_sub(dirfd, sub)) == -1)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == -1 && errno != ENOENT)
			rc = -1;
	}
	(void)closedir(d);
	if (rc == 0 && unlinkat(dirfd, sub, AT_REMOVEDIR) == -1 &&
	    errno != ENOENT)
		rc = -1;
	return rc;
}

/* Remove a whole (renamed-away) folder directory: files and tmp/new/cur
 * (and any other plain folder of files in it); nothing is followed. */
static int
remove_tree(int rootfd, const char *dir)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = maildir_open_sub(rootfd, dir)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if ((errno == EISDIR || errno == EPERM) &&
		    empty_sub(fd, de->d_name) == 0)
			continue;
		rc = -1;
	}
	(void)closedir(d);
	if (rc == 0 && unlinkat(rootfd, dir, AT_REMOVEDIR) == -1)
		rc = -1;
	return rc;
}

/* Any directory ".A.B." + more under the root for dir ".A.B"? */
static int
dir_has_children(const struct mstore *ms, const char *dir)
{
	struct dirent *de;
	DIR *d;
	size_t n = strlen(dir);
	int fd, found = 0;

	if ((fd = fcntl(ms->rootfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while (!found && (de = readdir(d)) != NULL)
		if (strncmp(de->d_name, dir, n) == 0 && de->d_name[n] == '.' &&
		    de->d_name[n + 1] != '\0')
			found = 1;
	(void)closedir(d);
	return found;
}

int
mstore_delete(struct mstore *ms, const char *name)
{
	struct sbuf c, d, gone;
	int rc = -1, e, sel;

	sbuf_init(&c, MSTORE_NAME_MAX);
	sbuf_init(&d, MSTORE_NAME_MAX);
	sbuf_init(&gone, NAME_MAX);
	if (mstore_name_check(ms, name, &c, &d) == -1)
		goto out;
	if (strcmp(d.s, ".") == 0) {
		errno = EPERM;
		goto out;
	}
	if ((sel = dir_selectable(ms, d.s)) == -1)
		goto out;
	if (sel == 0) {
		if ((e = dir_has_children(ms, d.s)) != -1)
			errno = e == 1 ? ENOTEMPTY : ENOENT;
		goto out;
	}
	if (sbuf_cat_s(&gone, MSTORE_DELETED) == -1 ||
	    maildir_unique(&gone) == -1 || sbuf_nul(&gone) == -1)
		goto out;
	if (renameat(ms->rootfd, d.s, ms->rootfd, gone.s) == -1)
		goto out;
	if (fsync(ms->rootfd) == -1)
		goto out;
	rc = 0;
	/* The name is gone; what is left is cleaning up. */
	(void)remove_tree(ms->rootfd, gone.s);
out:
	e = errno;
	sbuf_fini(&c);
	sbuf_fini(&d);
	sbuf_fini(&gone);
	errno = e;
	return rc;
}

/* ---- RENAME ---- */

static int
rename_inbox(struct mstore *ms, const char *to, const char *todir)
{
	static const char *const sub[] = { "new", "cur" };
	struct dirent *de;
	DIR *dd;
	size_t i;
	int dst, sfd, dfd, rc = 0, fd;

	if (mstore_create(ms, to) == -1)
		return -1;
	if ((dst = maildir_open_sub(ms->rootfd, todir)) == -1)
		return -1;
	for (i = 0; i < 2 && rc == 0; i++) {
		if ((sfd = maildir_open_sub(ms->rootfd, sub[i])) == -1 ||
		    (dfd = maildir_open_sub(dst, sub[i])) == -1) {
			if (sfd != -1)
				(void)close(sfd);
			rc = -1;
			break;
		}
		if ((fd = fcntl(sfd, F_DUPFD_CLOEXEC, 3)) == -1 ||
		    (dd = fdopendir(fd)) == NULL) {
			if (fd != -1)
				(void)close(fd);
			rc = -1;
		} else {
			while ((de = readdir(dd)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				if (renameat(sfd, de->d_name, dfd,
				    de->d_name) == -1 && errno != ENOENT)
					rc = -1;
			}
			(void)closedir(dd);
		}
		if (rc == 0 && (fsync(dfd) == -1 || fsync(sfd) == -1))
			rc = -1;
		(void)close(sfd);
		(void)close(dfd);
	}
	(void)close(dst);
	return rc;
}

/* Rename every directory "from.*" (and from itself) to "to.*". */
static int
rename_dirs(struct mstore *ms, const char *from, const char *to)
{
	struct dirent *de;
	struct sbuf nn;
	DIR *d;
	char **list = NULL;
	size_t n = 0, i, fl = strlen(from);
	int fd, rc = 0;

	if ((fd = fcntl(ms->rootfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL && rc == 0) {
		if (strncmp(de->d_name, from, fl) != 0 ||
		    (de->d_name[fl] != '\0' && de->d_name[fl] != '.'))
			continue;
		if (n % 16 == 0) {
			char **nl = mem_realloc(list, n + 16, sizeof(*list));

			if (nl == NULL) {
				rc = -1;
				break;
			}
			list = nl;
		}
		if ((list[n] = mem_strdup(de->d_name)) == NULL)
			rc = -1;
		else
			n++;
	}
	(void)closedir(d);
	sbuf_init(&nn, NAME_MAX);
	for (i = 0; i < n; i++) {
		sbuf_reset(&nn);
		if (rc == 0 && (sbuf_cat_s(&nn, to) == -1 ||
		    sbuf_cat_s(&nn, list[i] + fl) == -1 ||
		    sbuf_nul(&nn) == -1 ||
		    renameat(ms->rootfd, list[i], ms->rootfd, nn.s) == -1))
			rc = -1;
		mem_free(&list[i]);
	}
	sbuf_fini(&nn);
	mem_free(&list);
	if (rc == 0 && fsync(ms->rootfd) == -1)
		rc = -1;
	return rc;
}

int
mstore_rename(struct mstore *ms, const char *from, const char *to)
{
	struct sbuf fc, fd, tc, td;
	size_t fl;
	int rc = -1, e;

	sbuf_init(&fc, MSTORE_NAME_MAX);
	sbuf_init(&fd, MSTORE_NAME_MAX);
	sbuf_init(&tc, MSTORE_NAME_MAX);
	sbuf_init(&td, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, from, &fc, &fd) == -1 ||
	    mstore_name_check(ms, to, &tc, &td) == -1)
		goto out;
	if (strcmp(td.s, ".") == 0 || (e = dir_selectable(ms, td.s)) == 1 ||
	    (e == 0 && dir_has_children(ms, td.s) == 1)) {
		errno = EEXIST;
		goto out;
	}
	if (e == -1)
		goto out;
	if (strcmp(fd.s, ".") == 0) {
		rc = rename_inbox(ms, tc.s, td.s);
		goto out;
	}
	fl = strlen(fc.s);
	if (strncmp(tc.s, fc.s, fl) == 0 && tc.s[fl] == ms->sep) {
		errno = EINVAL;
		goto out;
	}
	if ((e = dir_selectable(ms, fd.s)) != 1) {
		if (e == 0)
			errno = ENOENT;
		goto out;
	}
	if (create_parents(ms, tc.s) == -1)
		goto out;
	rc = rename_dirs(ms, fd.s, td.s);
out:
	e = errno;
	sbuf_fini(&fc);
	sbuf_fini(&fd);
	sbuf_fini(&tc);
	sbuf_fini(&td);
	errno = e;
	return rc;
}
