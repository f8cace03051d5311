/*
 * mstore_append.c - APPEND and COPY (lib/mstore.h): a file in tmp/
 * (fsynced) or a hard link, renamed into cur/ with its flags, a UID given
 * under the folder's lock, the index written, maildirsize updated.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

#define APPEND_BUF	65536

/* CRLF -> LF while writing; size (LF) and vsize (CRLF) counted. */
struct lfw {
	int		 fd;
	int		 pending_cr;
	uint64_t	 size;
	uint64_t	 vsize;
	size_t		 n;
	char		 buf[APPEND_BUF];
};

static int
lfw_flush(struct lfw *w)
{
	if (w->n > 0 && io_write_full(w->fd, w->buf, w->n) == -1)
		return -1;
	w->n = 0;
	return 0;
}

static int
lfw_put(struct lfw *w, char c)
{
	if (w->n == sizeof(w->buf) && lfw_flush(w) == -1)
		return -1;
	w->buf[w->n++] = c;
	w->size++;
	w->vsize += c == '\n' ? 2 : 1;
	return 0;
}

static int
lfw_write(struct lfw *w, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\r') {
			if (w->pending_cr && lfw_put(w, '\r') == -1)
				return -1;
			w->pending_cr = 1;
			continue;
		}
		if (w->pending_cr && p[i] != '\n' && lfw_put(w, '\r') == -1)
			return -1;
		w->pending_cr = 0;
		if (lfw_put(w, p[i]) == -1)
			return -1;
	}
	return 0;
}

static int
lfw_end(struct lfw *w)
{
	if (w->pending_cr && lfw_put(w, '\r') == -1)
		return -1;
	w->pending_cr = 0;
	return lfw_flush(w);
}

static int
open_tmp(struct mbox *mb, int *tmpdir_r, struct sbuf *name)
{
	int fd;

	if ((*tmpdir_r = maildir_open_sub(mb->dirfd, "tmp")) == -1)
		return -1;
	if ((fd = maildir_tmp_open(mb->dirfd, name)) == -1) {
		(void)io_close(tmpdir_r);
		return -1;
	}
	return fd;
}

static int
append_keywords(struct mbox *mb, const struct mbox_append *a, uint32_t *k_r)
{
	unsigned idx;
	size_t i;

	*k_r = 0;
	for (i = 0; i < a->nkeywords; i++) {
		if (mbox_keyword_index(mb, a->keywords[i], 1, &idx) == -1)
			return -1;
		*k_r |= 1U << idx;
	}
	return 0;
}

/* Over the quota for size more bytes?  (Trash is not counted.) */
static int
quota_ok(struct mbox *mb, uint64_t size)
{
	struct maildir_usage u;
	const struct maildir_quota *q = &mb->ms->quota;
	int rc;

	if (mb->is_trash || (q->bytes == 0 && q->count == 0))
		return 0;
	if ((rc = maildir_quota_check(mb->ms->rootfd, q, size, &u)) == 1) {
		errno = EDQUOT;
		return -1;
	}
	return rc;
}

/*
 * Under the lock: move tmp/tmpname (or link from srcdir/srcname when
 * srcdir != -1) into cur/ as base + flags, give it the next uid.
 */
static int
commit_msg(struct mbox *mb, int fromdir, const char *fromname, int link_it,
    struct midx_rec *r)
{
	struct midx_rec c;
	struct sbuf to;
	int rc = -1, e;

	sbuf_init(&to, MAILDIR_NAME_MAX + 64);
	if (mb->ix.uidnext == UINT32_MAX) {
		errno = EOVERFLOW;
		goto out;
	}
	if (mbox_file_name(r, &to) == -1)
		goto out;
	if (link_it ? linkat(fromdir, fromname, mb->curfd, to.s, 0) :
	    renameat(fromdir, fromname, mb->curfd, to.s))
		goto out;
	c = *r;
	c.uid = mb->ix.uidnext++;
	c.modseq = ++mb->ix.highestmodseq;
	if ((c.name = mem_strdup(r->name)) == NULL ||
	    midx_push(&mb->ix, &c) == -1) {
		mem_free(&c.name);
		goto out;
	}
	r->uid = c.uid;
	r->modseq = c.modseq;
	rc = 0;
out:
	e = errno;
	sbuf_fini(&to);
	errno = e;
	return rc;
}

/* The body of mbox_append*: src is a buffer (fd -1) or a descriptor. */
static int
append(struct mbox *mb, const void *msg, size_t len, int srcfd,
    const struct mbox_append *a, uint32_t *uidvalidity_r, uint32_t *uid_r)
{
	struct lfw *w = NULL;
	struct sbuf tmpname, base;
	struct midx_rec r;
	struct timespec ts[2];
	char buf[APPEND_BUF];
	ssize_t n;
	int tmpdir = -1, fd = -1, rc = -1, e, in_tmp = 0, wr;

	sbuf_init(&tmpname, MAILDIR_NAME_MAX);
	sbuf_init(&base, MAILDIR_NAME_MAX);
	memset(&r, 0, sizeof(r));
	r.flags = a->flags & MBOX_F_IMAP;
	if (append_keywords(mb, a, &r.keywords) == -1)
		goto out;
	if ((w = mem_alloc(1, sizeof(*w))) == NULL)
		goto out;
	if ((fd = open_tmp(mb, &tmpdir, &tmpname)) == -1)
		goto out;
	in_tmp = 1;
	w->fd = fd;
	/*
	 * wr, not rc: a message shorter than APPEND_BUF is written only by
	 * lfw_end, and its failure (ENOSPC) must leave rc at -1.  Until
	 * 2026-12 it left rc at 0: a full disk answered APPEND with OK.
	 */
	if (srcfd == -1)
		wr = lfw_write(w, msg, len);
	else {
		wr = 0;
		while ((n = io_read(srcfd, buf, sizeof(buf))) > 0)
			if ((wr = lfw_write(w, buf, (size_t)n)) == -1)
				break;
		wr = n == -1 ? -1 : wr;
	}
	if (wr == -1 || lfw_end(w) == -1)
		goto fail;
	ts[0].tv_sec = ts[1].tv_sec = a->date > 0 ? a->date : time(NULL);
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (futimens(fd, ts) == -1)
		goto fail;
	e = durable_close_sync(fd);
	fd = -1;
	if (e == -1 || quota_ok(mb, w->size) == -1)
		goto fail;
	if (sbuf_printf(&base, "%s,S=%llu,W=%llu", tmpname.s,
	    (unsigned long long)w->size, (unsigned long long)w->vsize) == -1
	    || sbuf_nul(&base) == -1)
		goto fail;
	r.name = base.s;
	r.size = w->size;
	r.vsize = w->vsize;
	r.date = ts[0].tv_sec;
	if (mbox_lock(mb) == -1 || mbox_refresh_add(mb) == -1)
		goto fail_locked;
	if (commit_msg(mb, tmpdir, tmpname.s, 0, &r) == -1)
		goto fail_locked;
	in_tmp = 0;
	if (fsync(mb->curfd) == -1 || mbox_write_index(mb) == -1)
		goto fail_locked;
	*uidvalidity_r = mb->ix.uidvalidity;
	*uid_r = r.uid;
	rc = 0;
	if (!mb->is_trash)	/* a failure: recalculated later */
		(void)maildir_quota_add(mb->ms->rootfd, (int64_t)w->size, 1);
fail_locked:
	mbox_unlock(mb);
fail:
	e = errno;
	if (fd != -1)
		(void)close(fd);
	if (in_tmp)
		(void)unlinkat(tmpdir, tmpname.s, 0);
	errno = e;
out:
	e = errno;
	if (tmpdir != -1)
		(void)close(tmpdir);
	mem_free(&w);
	sbuf_fini(&tmpname);
	sbuf_fini(&base);
	errno = e;
	return rc;
}

int
mbox_append(struct mbox *mb, const void *msg, size_t len,
    const struct mbox_append *a, uint32_t *uidvalidity_r, uint32_t *uid_r)
{
	return append(mb, msg, len, -1, a, uidvalidity_r, uid_r);
}

int
mbox_append_fd(struct mbox *mb, int fd, const struct mbox_append *a,
    uint32_t *uidvalidity_r, uint32_t *uid_r)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	return append(mb, NULL, 0, fd, a, uidvalidity_r, uid_r);
}

/* Copy the file srcname of src into dst's tmp/ (fsynced, dated); its
 * name in tmpname. */
static int
copy_file(struct mbox *src, const char *srcname, struct mbox *dst,
    int64_t date, int tmpdir, struct sbuf *tmpname)
{
	struct timespec ts[2];
	struct stat st;
	char buf[APPEND_BUF];
	ssize_t n;
	int in, out, rc = -1, e;

	if ((in = openat(src->curfd, srcname, O_RDONLY | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(in, &st) == -1 || !S_ISREG(st.st_mode)) {
		(void)close(in);
		errno = EINVAL;
		return -1;
	}
	if ((out = maildir_tmp_open(dst->dirfd, tmpname)) == -1) {
		(void)close(in);
		return -1;
	}
	while ((n = io_read(in, buf, sizeof(buf))) > 0)
		if (io_write_full(out, buf, (size_t)n) == -1)
			break;
	/* date 0: not learnt yet (mbox_msg_date); the file's own. */
	ts[0].tv_sec = ts[1].tv_sec = date != 0 ? date : st.st_mtim.tv_sec;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (n == 0 && futimens(out, ts) == 0)
		rc = 0;
	e = errno;
	(void)close(in);
	if (durable_close_sync(out) == -1 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc == -1)
		(void)unlinkat(tmpdir, tmpname->s, 0);
	errno = e;
	return rc;
}

/* Map src's keyword bits to dst's (creating names there). */
static int
map_keywords(struct mbox *src, struct mbox *dst, uint32_t kw, uint32_t *r)
{
	unsigned i, idx;

	*r = 0;
	for (i = 0; i < MBOX_KEYWORDS_MAX; i++) {
		if (!(kw & (1U << i)) || src->kw[i] == NULL)
			continue;
		if (src == dst)
			idx = i;
		else if (mbox_keyword_index(dst, src->kw[i], 1, &idx) == -1)
			return -1;
		*r |= 1U << idx;
	}
	return 0;
}

/* Copy one message (its record r, a private copy) into dst. */
static int
copy_one(struct mbox *src, struct midx_rec *r, struct mbox *dst,
    int tmpdir)
{
	struct sbuf from, base, tmpname;
	int rc = -1, e, linked;

	sbuf_init(&from, MAILDIR_NAME_MAX + 64);
	sbuf_init(&base, MAILDIR_NAME_MAX);
	sbuf_init(&tmpname, MAILDIR_NAME_MAX);
	if (mbox_file_name(r, &from) == -1 || maildir_unique(&base) == -1 ||
	    sbuf_printf(&base, ",S=%llu", (unsigned long long)r->size) == -1 ||
	    (r->vsize != 0 && sbuf_printf(&base, ",W=%llu",
	    (unsigned long long)r->vsize) == -1) || sbuf_nul(&base) == -1)
		goto out;
	if (faccessat(src->curfd, from.s, F_OK, AT_SYMLINK_NOFOLLOW) == -1 &&
	    mbox_find_file(src, r->name, &from) == -1)
		goto out;
	mem_free(&r->name);
	r->name = base.s;
	linked = commit_msg(dst, src->curfd, from.s, 1, r) == 0;
	if (!linked && errno != EXDEV && errno != EPERM && errno != EMLINK)
		goto out;
	if (!linked && (copy_file(src, from.s, dst, r->date, tmpdir,
	    &tmpname) == -1 || commit_msg(dst, tmpdir, tmpname.s, 0, r) == -1))
		goto out;
	rc = 0;
out:
	e = errno;
	if (r->name == base.s)
		r->name = NULL;
	sbuf_fini(&from);
	sbuf_fini(&base);
	sbuf_fini(&tmpname);
	errno = e;
	return rc;
}

int
mbox_copy(struct mbox *src, const uint32_t *uids, size_t n,
    struct mbox *dst, uint32_t *uidvalidity_r, uint32_t *src_uids_r,
    uint32_t *dst_uids_r, size_t *n_r)
{
	struct midx_rec r, *sr;
	uint64_t total = 0;
	size_t i;
	int tmpdir = -1, rc = -1, e;

	*n_r = 0;
	for (i = 0; i < n; i++)
		if (mbox_seq(src, uids[i]) != 0 &&
		    (sr = midx_find(&src->ix, uids[i])) != NULL)
			total += sr->size;
	if (quota_ok(dst, total) == -1)
		return -1;
	if ((tmpdir = maildir_open_sub(dst->dirfd, "tmp")) == -1)
		return -1;
	if (mbox_lock(dst) == -1 || mbox_refresh_add(dst) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if (mbox_seq(src, uids[i]) == 0 ||
		    (sr = midx_find(&src->ix, uids[i])) == NULL)
			continue;
		r = *sr;
		if ((r.name = mem_strdup(sr->name)) == NULL ||
		    map_keywords(src, dst, sr->keywords, &r.keywords) == -1) {
			mem_free(&r.name);
			goto out;
		}
		if (copy_one(src, &r, dst, tmpdir) == -1) {
			mem_free(&r.name);
			if (errno == ENOENT)
				continue;	/* expunged meanwhile */
			goto out;
		}
		mem_free(&r.name);
		src_uids_r[*n_r] = uids[i];
		dst_uids_r[(*n_r)++] = r.uid;
	}
	rc = 0;
out:
	e = errno;
	if (*n_r > 0 && (fsync(dst->curfd) == -1 ||
	    mbox_write_index(dst) == -1)) {
		rc = -1;
		e = errno;
	}
	*uidvalidity_r = dst->ix.uidvalidity;
	mbox_unlock(dst);
	if (rc == 0 && *n_r > 0 && !dst->is_trash)
		(void)maildir_quota_add(dst->ms->rootfd, (int64_t)total,
		    (int64_t)*n_r);
	(void)close(tmpdir);
	errno = e;
	return rc;
}
