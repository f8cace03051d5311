/*
 * mstore_ops.c - changes to a folder: STORE, EXPUNGE, reading messages,
 * STATUS (lib/mstore.h).  APPEND and COPY are in mstore_append.c, the
 * string cache in mstore_cache.c.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

int
mbox_find_file(struct mbox *mb, const char *base, struct sbuf *out)
{
	struct dirent *de;
	DIR *d;
	size_t bl = strlen(base);
	int fd, rc = -1;

	if ((fd = fcntl(mb->curfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, base, bl) != 0 ||
		    (de->d_name[bl] != ':' && de->d_name[bl] != '\0'))
			continue;
		sbuf_reset(out);
		rc = sbuf_cat_s(out, de->d_name) == -1 || sbuf_nul(out) == -1 ?
		    -1 : 0;
		break;
	}
	(void)closedir(d);
	if (rc == -1 && de == NULL)
		errno = ENOENT;
	return rc;
}

/* Rename r's file to carry flags/keywords; r is updated on success. */
static int
rename_msg(struct mbox *mb, struct midx_rec *r, uint32_t flags,
    uint32_t keywords)
{
	struct midx_rec nr = *r;
	struct sbuf from, to;
	int rc = -1, e;

	sbuf_init(&from, MAILDIR_NAME_MAX + 64);
	sbuf_init(&to, MAILDIR_NAME_MAX + 64);
	nr.flags = flags;
	nr.keywords = keywords;
	if (mbox_file_name(r, &from) == -1 || mbox_file_name(&nr, &to) == -1)
		goto out;
	rc = renameat(mb->curfd, from.s, mb->curfd, to.s);
	if (rc == -1 && errno == ENOENT &&
	    mbox_find_file(mb, r->name, &from) == 0)
		rc = renameat(mb->curfd, from.s, mb->curfd, to.s);
	if (rc == 0) {
		r->flags = flags;
		r->keywords = keywords;
	}
out:
	e = errno;
	sbuf_fini(&from);
	sbuf_fini(&to);
	errno = e;
	return rc;
}

static void
new_flags(const struct midx_rec *r, enum mbox_store_op op, uint32_t flags,
    uint32_t keywords, uint32_t *f_r, uint32_t *k_r)
{
	flags &= MBOX_F_IMAP;
	keywords &= (1U << MBOX_KEYWORDS_MAX) - 1;
	switch (op) {
	case MBOX_STORE_SET:
		*f_r = (r->flags & ~MBOX_F_IMAP) | flags;
		*k_r = keywords;
		break;
	case MBOX_STORE_ADD:
		*f_r = r->flags | flags;
		*k_r = r->keywords | keywords;
		break;
	case MBOX_STORE_REMOVE:
		*f_r = r->flags & ~flags;
		*k_r = r->keywords & ~keywords;
		break;
	}
}

/* What a STORE did to one message, reported after the unlock. */
struct done {
	uint32_t	 seq;
	uint32_t	 uid;
	int		 modified;	/* refused by UNCHANGEDSINCE */
};

int
mbox_store(struct mbox *mb, const uint32_t *uids, size_t n,
    enum mbox_store_op op, uint32_t flags, uint32_t keywords,
    uint64_t unchangedsince, const struct mbox_store_ops *ops, void *arg)
{
	struct done *done = NULL;
	struct midx_rec *r;
	struct mbox_msg *m;
	size_t i, nd = 0;
	uint32_t seq, f = 0, k = 0;
	int rc = -1, changed = 0, e;

	if (mb->flags & MBOX_RDONLY) {
		errno = EROFS;
		return -1;
	}
	if (mbox_view_load(mb) == -1 ||
	    (done = mem_alloc(n + 1, sizeof(*done))) == NULL)
		return -1;
	if (mbox_lock(mb) == -1 || mbox_refresh(mb) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		if ((seq = mbox_seq(mb, uids[i])) == 0 ||
		    (mb->view[seq - 1].flags & MBOX_F_EXPUNGED) ||
		    (r = midx_find(&mb->ix, uids[i])) == NULL)
			continue;
		done[nd].seq = seq;
		done[nd].uid = uids[i];
		if (unchangedsince != 0 && r->modseq > unchangedsince) {
			done[nd++].modified = 1;
			continue;
		}
		new_flags(r, op, flags, keywords, &f, &k);
		if (f != r->flags || k != r->keywords) {
			if (rename_msg(mb, r, f, k) == -1) {
				if (errno == ENOENT)
					continue;	/* gone: sync says so */
				goto out;
			}
			r->modseq = ++mb->ix.highestmodseq;
			changed = 1;
		}
		m = &mb->view[seq - 1];
		m->flags = (m->flags & (MBOX_F_RECENT | MBOX_F_EXPUNGED)) |
		    r->flags;
		m->keywords = r->keywords;
		m->modseq = r->modseq;
		nd++;
	}
	rc = 0;
out:
	if (changed && mbox_write_index(mb) == -1)
		rc = -1;
	e = errno;
	mbox_unlock(mb);
	for (i = 0; rc == 0 && ops != NULL && i < nd; i++) {
		if (done[i].modified && ops->modified != NULL)
			rc = ops->modified(arg, done[i].seq, done[i].uid);
		else if (!done[i].modified && ops->changed != NULL)
			rc = ops->changed(arg, done[i].seq,
			    &mb->view[done[i].seq - 1]);
	}
	mem_free(&done);
	errno = e;
	return rc;
}

static int
uid_in(const uint32_t *uids, size_t n, uint32_t uid)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (uids[mid] == uid)
			return 1;
		if (uids[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Remove the files of the messages to expunge: gone gets their view
 * indexes, ixgone[i] marks index record i. */
static int
expunge_files(struct mbox *mb, const uint32_t *uids, size_t n,
    uint32_t *gone, unsigned char *ixgone, size_t *ngone_r, int64_t *bytes_r)
{
	struct sbuf name;
	struct midx_rec *r;
	size_t i, j = 0;
	int rc = 0;

	*ngone_r = 0;
	*bytes_r = 0;
	sbuf_init(&name, MAILDIR_NAME_MAX + 64);
	/* The view and the index are both in uid order: one merge walk (a
	 * binary search per message was most of a CLOSE on a big folder). */
	for (i = 0; i < mb->nview && rc == 0; i++) {
		while (j < mb->ix.n && mb->ix.recs[j].uid < mb->view[i].uid)
			j++;
		r = j < mb->ix.n && mb->ix.recs[j].uid == mb->view[i].uid ?
		    &mb->ix.recs[j] : NULL;
		if ((mb->view[i].flags & MBOX_F_EXPUNGED) || r == NULL ||
		    !(r->flags & MBOX_F_DELETED) ||
		    (uids != NULL && !uid_in(uids, n, mb->view[i].uid)))
			continue;
		if (mbox_file_name(r, &name) == -1)
			rc = -1;
		else if (unlinkat(mb->curfd, name.s, 0) == -1 &&
		    (errno != ENOENT || mbox_find_file(mb, r->name,
		    &name) == -1 || unlinkat(mb->curfd, name.s, 0) == -1) &&
		    errno != ENOENT)
			rc = -1;
		if (rc == 0) {
			gone[(*ngone_r)++] = (uint32_t)i;
			*bytes_r += (int64_t)r->size;
			ixgone[r - mb->ix.recs] = 1;
		}
	}
	sbuf_fini(&name);
	return rc;
}

int
mbox_expunge(struct mbox *mb, const uint32_t *uids, size_t n,
    int (*cb)(void *, uint32_t, uint32_t), void *arg)
{
	uint32_t *gone = NULL, *rep = NULL;
	unsigned char *ixgone = NULL;
	size_t ngone = 0, i, o, g;
	int64_t bytes = 0;
	int rc = -1, e;

	if (mb->flags & MBOX_RDONLY) {
		errno = EROFS;
		return -1;
	}
	if (mbox_view_load(mb) == -1)
		return -1;
	if ((gone = mem_alloc(mb->nview + 1, sizeof(*gone))) == NULL ||
	    (rep = mem_alloc(mb->nview + 1, 2 * sizeof(*rep))) == NULL)
		goto out;
	if (mbox_lock(mb) == -1 || mbox_refresh(mb) == -1)
		goto out;
	if ((ixgone = mem_alloc(mb->ix.n + 1, 1)) == NULL) {
		e = errno;
		mbox_unlock(mb);
		errno = e;
		goto out;
	}
	rc = expunge_files(mb, uids, n, gone, ixgone, &ngone, &bytes);
	if (ngone > 0) {
		(void)fsync(mb->curfd);
		/* One modseq for the expunge; its UIDs are remembered. */
		mb->ix.van_max = mb->ms->van_max;
		(void)midx_remove(&mb->ix, ixgone, ++mb->ix.highestmodseq);
		if (mbox_write_index(mb) == -1)
			rc = -1;
		if (!mb->is_trash)	/* a failure: recalculated later */
			(void)maildir_quota_add(mb->ms->rootfd, -bytes,
			    -(int64_t)ngone);
	}
	e = errno;
	mbox_unlock(mb);
	/* The view loses them; report highest seq first. */
	for (i = 0; i < ngone; i++) {
		g = gone[ngone - 1 - i];
		rep[2 * i] = (uint32_t)g + 1;
		rep[2 * i + 1] = mb->view[g].uid;
	}
	for (i = o = g = 0; i < mb->nview; i++) {
		if (g < ngone && gone[g] == i) {
			g++;
			continue;
		}
		mb->view[o++] = mb->view[i];
	}
	mb->nview = o;
	for (i = 0; rc == 0 && cb != NULL && i < ngone; i++)
		rc = cb(arg, rep[2 * i], rep[2 * i + 1]);
	if (rc == 0)
		rc = (int)ngone;
	errno = e;
out:
	e = errno;
	mbox_unlock(mb);	/* after a failure under the lock */
	errno = e;
	mem_free(&gone);
	mem_free(&rep);
	mem_free(&ixgone);
	return rc;
}

/* A message opened O_NONBLOCK must be a regular file (a FIFO planted
 * under its name would block a reader for ever); then blocking again. */
static int
msg_fd_check(int fd)
{
	struct stat st;

	if (fd == -1)
		return -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    io_set_nonblock(fd, 0) == -1) {
		(void)close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

int
mbox_msg_open(struct mbox *mb, uint32_t uid)
{
	struct midx_rec *r;
	struct sbuf name;
	int fd = -1, e;

	if (mbox_view_load(mb) == -1)
		return -1;
	if ((r = midx_find(&mb->ix, uid)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	sbuf_init(&name, MAILDIR_NAME_MAX + 64);
	if (mbox_file_name(r, &name) == 0) {
		fd = openat(mb->curfd, name.s, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
		if (fd == -1 && errno == ENOENT &&
		    mbox_find_file(mb, r->name, &name) == 0)
			fd = openat(mb->curfd, name.s, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC);
	}
	e = errno;
	sbuf_fini(&name);
	errno = e;
	return msg_fd_check(fd);
}

/* ",W=<n>" in a base name. */
static int
name_vsize(const char *name, uint64_t *v_r)
{
	const char *p = strstr(name, ",W=");
	uint64_t v = 0;

	if (p == NULL)
		return -1;
	for (p += 3; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (*p != '\0' && *p != ',')
		return -1;
	*v_r = v;
	return 0;
}

int
mbox_msg_vsize(struct mbox *mb, uint32_t uid, uint64_t *vsize_r)
{
	struct midx_rec *r;
	char buf[65536];
	uint64_t v = 0;
	ssize_t n, i;
	int fd, prev_cr = 0;

	if (mbox_view_load(mb) == -1)
		return -1;
	if ((r = midx_find(&mb->ix, uid)) == NULL) {
		errno = ENOENT;
		return -1;
	}
	if (r->vsize != 0 || name_vsize(r->name, &r->vsize) == 0) {
		*vsize_r = r->vsize;
		return 0;
	}
	if ((fd = mbox_msg_open(mb, uid)) == -1)
		return -1;
	while ((n = io_read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n' && !prev_cr)
				v++;
			prev_cr = buf[i] == '\r';
		}
		v += (uint64_t)n;
	}
	(void)close(fd);
	if (n == -1)
		return -1;
	r->vsize = v;
	mb->ix_dirty = 1;
	*vsize_r = v;
	return 0;
}

int
mbox_msg_date(struct mbox *mb, uint32_t uid, int64_t *date_r)
{
	struct midx_rec *r;
	struct sbuf name;
	struct stat st;
	uint32_t seq;
	int rc, e;

	*date_r = 0;
	if (mbox_view_load(mb) == -1)
		return -1;
	if ((seq = mbox_seq(mb, uid)) != 0 && mb->view[seq - 1].date != 0) {
		*date_r = mb->view[seq - 1].date;
		return 0;
	}
	if ((r = midx_find(&mb->ix, uid)) == NULL)
		return 0;	/* expunged meanwhile */
	if (r->date == 0) {
		sbuf_init(&name, MAILDIR_NAME_MAX + 64);
		rc = mbox_file_name(r, &name);
		if (rc == 0 && (rc = fstatat(mb->curfd, name.s, &st,
		    AT_SYMLINK_NOFOLLOW)) == -1 && errno == ENOENT &&
		    (rc = mbox_find_file(mb, r->name, &name)) == 0)
			rc = fstatat(mb->curfd, name.s, &st,
			    AT_SYMLINK_NOFOLLOW);
		e = errno;
		sbuf_fini(&name);
		if (rc == -1 && e == ENOENT)
			return 0;	/* gone: the next sync says so */
		if (rc == -1) {
			errno = e;
			return -1;
		}
		r->date = (int64_t)st.st_mtim.tv_sec;
		mb->ix_dirty = 1;
	}
	if (seq != 0)
		mb->view[seq - 1].date = r->date;
	*date_r = r->date;
	return 0;
}

/* Is new/ empty (no message waiting)?  1 yes, 0 no, -1 error. */
static int
new_empty(struct mbox *mb)
{
	struct dirent *de;
	DIR *d;
	int fd, empty = 1;

	if ((fd = maildir_open_sub(mb->dirfd, "new")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while (empty && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			empty = 0;
	(void)closedir(d);
	return empty;
}

static int
status_current(struct mbox *mb)
{
	struct stat st;
	int l;

	if ((l = mbox_load_index(mb)) != 0)
		return l == 1 ? 0 : -1;
	if (mb->ix.cur_sec == 0 || fstat(mb->curfd, &st) == -1 ||
	    mb->ix.cur_sec != (int64_t)st.st_mtim.tv_sec ||
	    mb->ix.cur_nsec != (int64_t)st.st_mtim.tv_nsec)
		return 0;
	return new_empty(mb);
}

int
mstore_status(struct mstore *ms, const char *name, struct mstore_status *st)
{
	struct mbox *mb;
	size_t i;
	int rc = -1, cur, e;

	memset(st, 0, sizeof(*st));
	if (mbox_open(ms, name, MBOX_RDONLY, &mb) == -1)
		return -1;
	if (mbox_lock(mb) == -1 || (cur = mbox_lazy_try(mb)) == -1)
		goto out;
	if (cur == 1) {
		/* Current: the summary, no record decoded. */
		st->messages = mb->lz_sum.count;
		st->recent = mb->lz_sum.recent;
		st->unseen = mb->lz_sum.unseen;
		st->deleted = mb->lz_sum.deleted;
		st->size = mb->lz_sum.size;
		st->uidnext = mb->lz_hdr.uidnext;
		st->uidvalidity = mb->lz_hdr.uidvalidity;
		st->highestmodseq = mb->lz_hdr.highestmodseq;
		rc = 0;
		goto out;
	}
	if ((cur = status_current(mb)) == -1)
		goto out;
	if (cur == 0 && mbox_refresh(mb) == -1)
		goto out;
	st->messages = (uint32_t)mb->ix.n;
	st->uidnext = mb->ix.uidnext;
	st->uidvalidity = mb->ix.uidvalidity;
	st->highestmodseq = mb->ix.highestmodseq;
	for (i = 0; i < mb->ix.n; i++) {
		if (mb->ix.recs[i].uid >= mb->ix.first_recent)
			st->recent++;
		if (!(mb->ix.recs[i].flags & MBOX_F_SEEN))
			st->unseen++;
		if (mb->ix.recs[i].flags & MBOX_F_DELETED)
			st->deleted++;
		st->size += mb->ix.recs[i].size;
	}
	rc = 0;
out:
	e = errno;
	mbox_close(&mb);
	errno = e;
	return rc;
}
