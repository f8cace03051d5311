/*
 * mstore_mbox.c - one selected folder: open, index refresh, sync, the
 * session's view, keywords, inotify (lib/mstore.h).
 */
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/durable.h"
#include "lib/io.h"
#include "lib/hash.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#define CUR_SETTLE	2	/* seconds: a newer cur/ mtime may hide a
				   change made in the same clock tick */

static void	lazy_drop(struct mbox *);
static int	refresh(struct mbox *, uint32_t *, int);

int
mbox_open(struct mstore *ms, const char *name, unsigned flags,
    struct mbox **mb_r)
{
	struct sbuf c, d;
	struct mbox *mb = NULL;
	int e, rc;

	*mb_r = NULL;
	sbuf_init(&c, MSTORE_NAME_MAX);
	sbuf_init(&d, MSTORE_NAME_MAX);
	if (mstore_name_check(ms, name, &c, &d) == -1)
		goto fail;
	if ((mb = mem_alloc(1, sizeof(*mb))) == NULL)
		goto fail;
	mb->ms = ms;
	mb->flags = flags & MBOX_RDONLY;
	mb->dirfd = mb->curfd = mb->lockfd = mb->idxfd = mb->watchfd = -1;
	sbuf_init(&mb->cachebuf, MBOX_CACHE_FILE_MAX);
	if ((mb->name = mem_strdup(c.s)) == NULL)
		goto fail;
	mb->is_trash = strcmp(c.s, "Trash") == 0;
	if ((mb->dirfd = mstore_open_dir(ms, d.s)) == -1)
		goto fail;
	if ((rc = mstore_has_cur(mb->dirfd)) != 1) {
		if (rc == 0)
			errno = ENOENT;
		goto fail;
	}
	if ((mb->curfd = maildir_open_sub(mb->dirfd, "cur")) == -1)
		goto fail;
	if ((mb->lockfd = openat(mb->dirfd, MSTORE_LOCK,
	    O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		goto fail;
	if (mbox_read_keywords(mb, NULL) == -1)
		goto fail;
	sbuf_fini(&c);
	sbuf_fini(&d);
	*mb_r = mb;
	return 0;
fail:
	e = errno;
	mbox_close(&mb);
	sbuf_fini(&c);
	sbuf_fini(&d);
	errno = e;
	return -1;
}

void
mbox_close(struct mbox **mbp)
{
	struct mbox *mb = *mbp;
	size_t i;

	if (mb == NULL)
		return;
	mbox_unlock(mb);
	lazy_drop(mb);
	(void)io_close(&mb->dirfd);
	(void)io_close(&mb->curfd);
	(void)io_close(&mb->lockfd);
	(void)io_close(&mb->idxfd);
	(void)io_close(&mb->watchfd);
	midx_free(&mb->ix);
	mem_free(&mb->view);
	for (i = 0; i < MBOX_KEYWORDS_MAX; i++)
		mem_free(&mb->kw[i]);
	mbox_cache_free(mb);
	mem_free(&mb->name);
	mem_free(mbp);
}

const char *
mbox_name(const struct mbox *mb)
{
	return mb->name;
}

int
mbox_lock(struct mbox *mb)
{
	if (mb->locked)
		return 0;
	while (flock(mb->lockfd, LOCK_EX) == -1)
		if (errno != EINTR)
			return -1;
	mb->locked = 1;
	return 0;
}

void
mbox_unlock(struct mbox *mb)
{
	if (!mb->locked)
		return;
	(void)flock(mb->lockfd, LOCK_UN);
	mb->locked = 0;
}

int
mbox_file_name(const struct midx_rec *r, struct sbuf *out)
{
	uint64_t f = r->flags | ((uint64_t)r->keywords << 26);

	sbuf_reset(out);
	if (sbuf_cat_s(out, r->name) == -1 ||
	    maildir_flags_format(out, f) == -1)
		return -1;
	return sbuf_nul(out);
}

/* ---- keywords ---- */

static int
keyword_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MBOX_KEYWORD_MAX || p[0] == '\\')
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] <= 0x20 || (unsigned char)p[i] >= 0x7f
		    || strchr("(){%*\"\\]", p[i]) != NULL)
			return 0;
	return 1;
}

int
mbox_read_keywords(struct mbox *mb, int *changed_r)
{
	struct sbuf f;
	char *kw[MBOX_KEYWORDS_MAX] = { NULL };
	const char *p, *e, *sp, *end;
	uint64_t idx;
	int fd, rc = 0, changed = 0;
	size_t i;

	sbuf_init(&f, MSTORE_KW_FILE_MAX);
	fd = openat(mb->dirfd, MSTORE_KEYWORDS,
	    O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno != ENOENT && errno != ELOOP) {
		sbuf_fini(&f);
		return -1;
	}
	if (fd != -1) {
		rc = io_read_fd(fd, &f, MSTORE_KW_FILE_MAX);
		(void)close(fd);
	}
	p = f.s;
	end = f.s + f.len;
	for (; rc == 0 && p != NULL && p < end; p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(end - p))) == NULL)
			e = end;
		if ((sp = memchr(p, ' ', (size_t)(e - p))) == NULL ||
		    scan_u64_n(p, (size_t)(sp - p), &idx) == -1 ||
		    idx >= MBOX_KEYWORDS_MAX || kw[idx] != NULL ||
		    !keyword_ok(sp + 1, (size_t)(e - sp - 1)))
			continue;	/* a bad line names nothing */
		if ((kw[idx] = mem_strndup(sp + 1, (size_t)(e - sp - 1))) ==
		    NULL)
			rc = -1;
	}
	for (i = 0; i < MBOX_KEYWORDS_MAX; i++) {
		if (rc == 0 && ((kw[i] == NULL) != (mb->kw[i] == NULL) ||
		    (kw[i] != NULL && strcmp(kw[i], mb->kw[i]) != 0)))
			changed = 1;
		if (rc == 0) {
			mem_free(&mb->kw[i]);
			mb->kw[i] = kw[i];
		} else
			mem_free(&kw[i]);
	}
	sbuf_fini(&f);
	if (changed_r != NULL)
		*changed_r = changed;
	return rc;
}

const char *
mbox_keyword_name(const struct mbox *mb, unsigned i)
{
	return i < MBOX_KEYWORDS_MAX ? mb->kw[i] : NULL;
}

int
mbox_keyword_index(struct mbox *mb, const char *kw, int create,
    unsigned *idx_r)
{
	struct sbuf out;
	unsigned i, free_i = MBOX_KEYWORDS_MAX;
	int rc = -1, was_locked = mb->locked, e;

	if (!keyword_ok(kw, strlen(kw))) {
		errno = EINVAL;
		return -1;
	}
	if (create && mbox_lock(mb) == -1)
		return -1;
	if (create && mbox_read_keywords(mb, NULL) == -1)
		goto out;
	for (i = 0; i < MBOX_KEYWORDS_MAX; i++) {
		if (mb->kw[i] != NULL && strcasecmp(mb->kw[i], kw) == 0) {
			*idx_r = i;
			rc = 0;
			goto out;
		}
		if (mb->kw[i] == NULL && free_i == MBOX_KEYWORDS_MAX)
			free_i = i;
	}
	if (!create) {
		errno = ENOENT;
		goto out;
	}
	if (free_i == MBOX_KEYWORDS_MAX) {
		errno = ENOSPC;
		goto out;
	}
	if ((mb->kw[free_i] = mem_strdup(kw)) == NULL)
		goto out;
	sbuf_init(&out, MSTORE_KW_FILE_MAX);
	rc = 0;
	for (i = 0; i < MBOX_KEYWORDS_MAX && rc == 0; i++)
		if (mb->kw[i] != NULL)
			rc = sbuf_printf(&out, "%u %s\n", i, mb->kw[i]);
	if (rc == 0)
		rc = mstore_write_at(mb->dirfd, MSTORE_KEYWORDS, out.s,
		    out.len);
	sbuf_fini(&out);
	if (rc == 0)
		*idx_r = free_i;
	else
		mem_free(&mb->kw[free_i]);
out:
	e = errno;
	if (!was_locked)
		mbox_unlock(mb);
	errno = e;
	return rc;
}

/* ---- index file ---- */

static int
same_file(int fd1, int fd2)
{
	struct stat a, b;

	if (fd1 == -1 || fd2 == -1 || fstat(fd1, &a) == -1 ||
	    fstat(fd2, &b) == -1)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * The index file parsed into *ix: 0, -1 (not usable: errno EINVAL, or
 * ENOMEM).  Mapped, not read: a file someone holds is never written
 * (index_store), and a read copied the whole file (889 kB for
 * 10,000 messages) into pages first touched for it at every SELECT.
 */
static int
index_parse_fd(int fd, struct midx *ix)
{
	struct sbuf buf;
	struct stat st;
	void *map;
	int rc;

	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    st.st_size < MBOX_INDEX_MAX) {
		map = mmap(NULL, (size_t)st.st_size, PROT_READ,
		    MAP_PRIVATE | MAP_POPULATE, fd, 0);
		if (map != MAP_FAILED) {
			rc = midx_parse(map, (size_t)st.st_size, ix);
			(void)munmap(map, (size_t)st.st_size);
			return rc;
		}
	}
	sbuf_init(&buf, MBOX_INDEX_MAX);
	if ((rc = io_read_fd(fd, &buf, MBOX_INDEX_MAX)) == 0)
		rc = midx_parse(buf.s, buf.len, ix);
	sbuf_fini(&buf);
	return rc;
}

/* 0: mb->ix is the file's; 1: no usable file (mb->ix as it was). */
int
mbox_load_index(struct mbox *mb)
{
	struct midx nix;
	int fd, dirty = 0;

	if (mbox_view_load(mb) == -1)
		return -1;
	fd = openat(mb->dirfd, MSTORE_INDEX, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT || errno == ELOOP ? 1 : -1;
	if (mb->have_ix && same_file(fd, mb->idxfd)) {
		(void)close(fd);
		return 0;
	}
	if (index_parse_fd(fd, &nix) == 0) {
		if (mb->synced && nix.uidvalidity != mb->uidvalidity) {
			/* Rebuilt by another session: our uids mean nothing
			 * there.  Keep ours; the caller ends the session. */
			midx_free(&nix);
			(void)close(fd);
			errno = ESTALE;
			return -1;
		}
		if (mb->have_ix && nix.uidvalidity == mb->ix.uidvalidity &&
		    nix.highestmodseq < mb->ix.highestmodseq) {
			/* Our last write failed: modseqs this session gave
			 * out must never be given again. */
			nix.highestmodseq = mb->ix.highestmodseq;
			dirty = 1;
		}
		midx_free(&mb->ix);
		mb->ix = nix;
		mb->have_ix = 1;
		mb->ix_dirty = dirty;
		mb->view_current = 0;
		(void)io_close(&mb->idxfd);
		mb->idxfd = fd;
		return 0;
	}
	dirty = errno == ENOMEM ? -1 : 1;	/* damaged: rebuild */
	(void)close(fd);
	return dirty;
}

/*
 * The spare (the index before the current one, kept by index_store)
 * opened for writing, emptied; -1 when there is none, or when anyone
 * else still has it open or mapped: a session's view and its kept index
 * file are snapshots, never written under it.  The write lease can only
 * be had on a file nobody else holds (fcntl(2)); writers open the spare
 * only under the folder's lock, so none opens it between the test and
 * our open (O_NONBLOCK: a lease of someone else's fails, never waits).
 */
static int
spare_open(int dirfd)
{
	struct stat st;
	int fd, ok;

	fd = openat(dirfd, MSTORE_SPARE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1)
		return -1;
	ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
	    fcntl(fd, F_SETLEASE, F_WRLCK) == 0;
	if (ok && fcntl(fd, F_SETLEASE, F_UNLCK) == -1)
		ok = 0;
	(void)close(fd);
	if (!ok)
		return -1;
	return openat(dirfd, MSTORE_SPARE, O_WRONLY | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC | O_NONBLOCK);
}

/* Write all of data to fd, fsync it when sync says so, close it. */
static int
write_close(int fd, const void *data, size_t len, int sync)
{
	int e;

	if (io_write_full(fd, data, len) == -1) {
		e = errno;
		(void)close(fd);
		errno = e;
		return -1;
	}
	return sync ? durable_close_sync(fd) : close(fd);
}

/*
 * Write the index: into the spare when nobody holds it, else a new temp
 * file; synced when sync says so; then exchanged with the current one
 * (renameat2 RENAME_EXCHANGE), which becomes the spare, and the folder
 * synced.  So an index written again and again (an APPEND each) reuses
 * two files instead of making one and removing one each time: on ext4
 * every new inode was searched for past all the recently removed ones
 * (ext4_create was a sixth of an APPEND's CPU, growing with each).
 */
static int
index_store(int dirfd, const void *data, size_t len, int sync)
{
	int fd, e;

	if ((fd = spare_open(dirfd)) == -1) {
		/* No spare (a first write, or it is busy): a new file. */
		(void)unlinkat(dirfd, MSTORE_SPARE ".tmp", 0);
		if ((fd = durable_openat_excl(dirfd, MSTORE_SPARE ".tmp",
		    0600)) == -1)
			return -1;
		if (write_close(fd, data, len, sync) == -1) {
			e = errno;
			(void)unlinkat(dirfd, MSTORE_SPARE ".tmp", 0);
			errno = e;
			return -1;
		}
		if (renameat2(dirfd, MSTORE_SPARE ".tmp", dirfd, MSTORE_INDEX,
		    RENAME_EXCHANGE) == 0)
			(void)renameat(dirfd, MSTORE_SPARE ".tmp", dirfd,
			    MSTORE_SPARE);
		else if (renameat(dirfd, MSTORE_SPARE ".tmp", dirfd,
		    MSTORE_INDEX) == -1) {
			e = errno;
			(void)unlinkat(dirfd, MSTORE_SPARE ".tmp", 0);
			errno = e;
			return -1;
		}
		return sync ? fsync(dirfd) : 0;
	}
	if (write_close(fd, data, len, sync) == -1)
		return -1;
	if (renameat2(dirfd, MSTORE_SPARE, dirfd, MSTORE_INDEX,
	    RENAME_EXCHANGE) == -1 && (errno != ENOENT ||
	    renameat(dirfd, MSTORE_SPARE, dirfd, MSTORE_INDEX) == -1))
		return -1;
	return sync ? fsync(dirfd) : 0;
}

int
mbox_write_index(struct mbox *mb)
{
	struct sbuf buf;
	int rc, fd;

	mb->view_current = 0;	/* ix changed, or this is a first write */
	sbuf_init(&buf, MBOX_INDEX_MAX);
	rc = midx_format(&mb->ix, &buf);
	/* A fresh index is not fsynced: its UIDVALIDITY is new, so if a
	 * crash loses it, or leaves it damaged, the next sync builds one
	 * again with another UIDVALIDITY, as if this one never existed.
	 * Every later write (fsync, exchange, fsync) is durable. */
	if (rc == 0)
		rc = index_store(mb->dirfd, buf.s, buf.len, !mb->ix_fresh);
	sbuf_fini(&buf);
	if (rc == 0) {
		mb->ix_dirty = 0;
		mb->ix_fresh = 0;
		fd = openat(mb->dirfd, MSTORE_INDEX, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		(void)io_close(&mb->idxfd);
		mb->idxfd = fd;
	}
	return rc;
}

/* ---- scanning the Maildir ---- */

struct scan_ent {
	char		*name;		/* file name in cur/ */
	size_t		 blen;		/* base length */
	uint64_t	 f;		/* letters, keywords above bit 26 */
	unsigned char	 type;		/* readdir's d_type */
};

struct scan {
	struct scan_ent	*v;
	size_t		 n;
	size_t		 cap;
};

static void
scan_free(struct scan *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		mem_free(&s->v[i].name);
	mem_free(&s->v);
	s->n = s->cap = 0;
}

static int
scan_add(struct scan *s, const char *name, unsigned char type)
{
	struct scan_ent *nv, *e;
	size_t len = strlen(name);

	if (s->n >= MBOX_MSGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (s->n == s->cap) {
		if ((nv = mem_realloc(s->v, s->cap ? s->cap * 2 : 256,
		    sizeof(*nv))) == NULL)
			return -1;
		s->v = nv;
		s->cap = s->cap ? s->cap * 2 : 256;
	}
	e = &s->v[s->n];
	e->type = type;
	e->blen = maildir_base_len(name, len);
	if (!midx_name_ok(name, e->blen))
		return 0;		/* not a message of ours to index */
	if (maildir_flags_parse(name, len, &e->f) == -1)
		e->f = 0;
	if ((e->name = mem_strndup(name, len)) == NULL)
		return -1;
	s->n++;
	return 0;
}

/* Move new/ files into cur/ with ":2,"; count in *moved_r. */
static int
move_new(struct mbox *mb, int newfd, int curfd, size_t *moved_r)
{
	struct dirent *de;
	struct sbuf to;
	DIR *d;
	int fd, rc = 0;
	size_t len;

	*moved_r = 0;
	if ((fd = fcntl(newfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	sbuf_init(&to, MAILDIR_NAME_MAX + 8);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		len = strlen(de->d_name);
		sbuf_reset(&to);
		if (sbuf_cat_n(&to, de->d_name, len) == -1 ||
		    (memchr(de->d_name, ':', len) == NULL &&
		    sbuf_cat_s(&to, ":2,") == -1) || sbuf_nul(&to) == -1)
			continue;	/* too long: leave it */
		if (renameat(newfd, de->d_name, curfd, to.s) == 0)
			(*moved_r)++;
		else if (errno != ENOENT)
			rc = -1;
	}
	(void)closedir(d);
	sbuf_fini(&to);
	(void)mb;
	return rc;
}

static int
read_cur(int curfd, struct scan *s)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = fcntl(curfd, F_DUPFD_CLOEXEC, 3)) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	rewinddir(d);
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			rc = scan_add(s, de->d_name, de->d_type);
	(void)closedir(d);
	return rc;
}

/* A hash of a file's base name (100,000 of each side on every scan of a
 * large cur/). */
static uint32_t
hash_n(const char *p, size_t n)
{
	return (uint32_t)hash_bytes(p, n);
}

static int
scan_cmp(const void *a, const void *b)
{
	const struct scan_ent *x = a, *y = b;

	return strcmp(x->name, y->name);
}

struct name_slot {
	uint32_t	 h;		/* hash_n of the base name */
	uint32_t	 rec;		/* index + 1 into mb->ix.recs, 0: empty */
};

/* Merge a full listing of cur/ into mb->ix; *dirty_r set on change. */
static int
merge_scan(struct mbox *mb, int curfd, struct scan *s, int *dirty_r)
{
	struct midx *ix = &mb->ix;
	size_t hsize = 16, i, h, nnew = 0;
	struct name_slot *tab = NULL;
	unsigned char *seen = NULL;
	uint32_t hv;
	struct midx_rec r;
	struct scan_ent *e;
	struct stat st;
	int rc = -1, removed = 0, lazy_date;

	while (hsize < ix->n * 2)
		hsize *= 2;
	if ((tab = mem_alloc(hsize, sizeof(*tab))) == NULL ||
	    (seen = mem_alloc(ix->n + 1, 1)) == NULL)
		goto out;
	for (i = 0; i < ix->n; i++) {
		hv = hash_n(ix->recs[i].name, strlen(ix->recs[i].name));
		for (h = hv & (hsize - 1); tab[h].rec != 0;
		    h = (h + 1) & (hsize - 1))
			;
		tab[h].h = hv;
		tab[h].rec = (uint32_t)i + 1;
	}
	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		hv = hash_n(e->name, e->blen);
		for (h = hv & (hsize - 1); tab[h].rec != 0;
		    h = (h + 1) & (hsize - 1)) {
			struct midx_rec *x = &ix->recs[tab[h].rec - 1];

			if (tab[h].h != hv ||
			    strncmp(x->name, e->name, e->blen) != 0 ||
			    x->name[e->blen] != '\0')
				continue;
			if (seen[tab[h].rec - 1])
				break;	/* a duplicate base: ignored */
			seen[tab[h].rec - 1] = 1;
			if (x->flags != (e->f & MBOX_F_LETTERS) ||
			    x->keywords != (uint32_t)(e->f >> 26)) {
				mb->view_current = 0;
				x->flags = (uint32_t)e->f & MBOX_F_LETTERS;
				x->keywords = (uint32_t)(e->f >> 26);
				x->modseq = ++ix->highestmodseq;
				*dirty_r = 1;
			}
			break;
		}
		if (tab[h].rec == 0)
			s->v[nnew++] = *e;	/* not indexed yet */
		else
			mem_free(&e->name);
	}
	s->n = nnew;
	for (i = 0; i < ix->n && !removed; i++)
		removed = !seen[i];
	if (removed) {
		/* Removed by someone else (POP3, another server): an
		 * expunge with a modseq of its own, remembered for QRESYNC. */
		for (i = 0; i < ix->n; i++)
			seen[i] = !seen[i];
		ix->van_max = mb->ms->van_max;
		(void)midx_remove(ix, seen, ++ix->highestmodseq);
		*dirty_r = 1;
		mb->view_current = 0;
	}
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), scan_cmp);
	lazy_date = s->n >= MBOX_LAZY_DATE_MIN;
	for (i = 0; i < s->n; i++) {
		e = &s->v[i];
		memset(&r, 0, sizeof(r));
		/* Many new at once (a folder indexed for the first time):
		 * a regular file (readdir says so) with its size in its
		 * name is not stat'ed; its date (mtime) is learnt when first
		 * asked for (mbox_msg_date).  A few new ones are stat'ed:
		 * learning a date later costs a rewrite of the index. */
		if (!lazy_date || e->type != DT_REG ||
		    maildir_name_size(e->name, e->blen, &r.size) == -1) {
			if (fstatat(curfd, e->name, &st,
			    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(st.st_mode))
				continue;	/* gone again, or not a file */
			if (maildir_name_size(e->name, e->blen, &r.size) == -1)
				r.size = (uint64_t)st.st_size;
			r.date = (int64_t)st.st_mtim.tv_sec;
		}
		if (ix->uidnext == UINT32_MAX) {
			errno = EOVERFLOW;
			goto out;
		}
		r.uid = ix->uidnext++;
		r.flags = (uint32_t)e->f & MBOX_F_LETTERS;
		r.keywords = (uint32_t)(e->f >> 26);
		r.modseq = ++ix->highestmodseq;
		mb->view_current = 0;
		if ((r.name = mem_strndup(e->name, e->blen)) == NULL ||
		    midx_push(ix, &r) == -1) {
			mem_free(&r.name);
			goto out;
		}
		*dirty_r = 1;
	}
	rc = 0;
out:
	mem_free(&tab);
	mem_free(&seen);
	return rc;
}

/*
 * The last UIDVALIDITY given to this folder is kept in its lock file, so
 * that a rebuilt index never reuses one, even within the same second.
 */
static int
next_uidvalidity(struct mbox *mb, uint32_t *uv_r)
{
	char buf[16];
	ssize_t n;
	uint64_t last = 0;
	int len;

	n = pread(mb->lockfd, buf, sizeof(buf) - 1, 0);
	if (n > 0 && buf[n - 1] == '\n') {
		buf[n - 1] = '\0';
		if (scan_u64_max_s(buf, UINT32_MAX - 1, &last) == -1)
			last = 0;
	}
	if (mb->synced && mb->uidvalidity > last)
		last = mb->uidvalidity;
	*uv_r = mstore_new_uidvalidity((uint32_t)last);
	len = snprintf(buf, sizeof(buf), "%u\n", *uv_r);
	if (len < 0 || (size_t)len >= sizeof(buf) ||
	    ftruncate(mb->lockfd, 0) == -1 ||
	    pwrite(mb->lockfd, buf, (size_t)len, 0) != len)
		return -1;
	return 0;
}

static int
fresh_index(struct mbox *mb)
{
	uint32_t uv;

	if (mb->have_ix) {
		/* Keep what this session knows (uids stay valid). */
		mb->ix.cur_sec = mb->ix.cur_nsec = 0;
		return 0;
	}
	if (next_uidvalidity(mb, &uv) == -1)
		return -1;
	midx_free(&mb->ix);
	mb->ix.uidvalidity = uv;
	mb->ix.uidnext = 1;
	mb->ix.first_recent = 1;
	mb->ix.highestmodseq = 1;
	mb->have_ix = 1;
	mb->ix_fresh = 1;
	mb->view_current = 0;
	return 0;
}

int
mbox_refresh(struct mbox *mb)
{
	return refresh(mb, NULL, 0);
}

int
mbox_refresh_add(struct mbox *mb)
{
	return refresh(mb, NULL, 1);
}

/*
 * mbox_refresh; with recent_from_r, the \Recent messages are taken as
 * well (a read-write sync): *recent_from_r is the first_recent found,
 * first_recent becomes uidnext, and the index is written once for both.
 * add (mbox_refresh_add): cur/ is not read unless new/ brought mail or
 * there is no usable index.
 */
static int
refresh(struct mbox *mb, uint32_t *recent_from_r, int add)
{
	struct scan s = { NULL, 0, 0 };
	struct stat st;
	size_t moved = 0;
	int64_t sec, nsec;
	int newfd = -1, curfd = mb->curfd, rc = -1, dirty = 0, l, e;

	if ((l = mbox_load_index(mb)) == -1)
		return -1;
	if (l == 1) {
		if (fresh_index(mb) == -1)
			return -1;
		dirty = 1;
	}
	if ((newfd = maildir_open_sub(mb->dirfd, "new")) == -1)
		goto out;
	if (move_new(mb, newfd, curfd, &moved) == -1)
		goto out;
	if (add && moved == 0 && !dirty) {
		/* APPEND or COPY: cur_sec/cur_nsec stay as they are (they
		 * are still what cur/ was when the index last saw all of
		 * it), and the rename into cur/ that follows moves cur/'s
		 * mtime off them, so the next full sync reads cur/.  The
		 * caller writes the index after its change. */
		rc = 0;
		goto out;
	}
	if (fstat(curfd, &st) == -1)
		goto out;
	if (moved > 0 || mb->ix.cur_sec == 0 ||
	    mb->ix.cur_sec != (int64_t)st.st_mtim.tv_sec ||
	    mb->ix.cur_nsec != (int64_t)st.st_mtim.tv_nsec) {
		if (read_cur(curfd, &s) == -1 ||
		    merge_scan(mb, curfd, &s, &dirty) == -1)
			goto out;
		sec = nsec = 0;
		if ((int64_t)time(NULL) - (int64_t)st.st_mtim.tv_sec >=
		    CUR_SETTLE) {
			sec = (int64_t)st.st_mtim.tv_sec;
			nsec = (int64_t)st.st_mtim.tv_nsec;
		}
		/* Written for a settled mtime it did not have.  Not for
		 * sec 0 ("scan again"): an mtime it does not have makes the
		 * next sync scan as well, so a folder scanned again and
		 * again while cur/ is too fresh to trust (after every STORE
		 * or APPEND) is not rewritten each time: an index write and
		 * two fsyncs, of 5 MB for 100,000 messages. */
		if (sec != 0 && (sec != mb->ix.cur_sec ||
		    nsec != mb->ix.cur_nsec))
			dirty = 1;
		mb->ix.cur_sec = sec;
		mb->ix.cur_nsec = nsec;
	}
	if (recent_from_r != NULL) {
		*recent_from_r = mb->ix.first_recent;
		if (mb->ix.first_recent != mb->ix.uidnext) {
			mb->ix.first_recent = mb->ix.uidnext;
			dirty = 1;
		}
	}
	rc = 0;
	if (dirty || mb->ix_dirty)
		rc = mbox_write_index(mb);
out:
	e = errno;
	scan_free(&s);
	if (newfd != -1)
		(void)close(newfd);
	errno = e;
	return rc;
}

/* ---- the session's view ---- */

struct report {
	uint32_t	 seq;
	uint32_t	 uid;
};

static int
view_reserve(struct mbox *mb, size_t n)
{
	struct mbox_msg *nv;
	size_t nc = mb->capview ? mb->capview : 64;

	if (n <= mb->capview)
		return 0;
	while (nc < n)
		nc *= 2;
	if ((nv = mem_realloc(mb->view, nc, sizeof(*nv))) == NULL)
		return -1;
	mb->view = nv;
	mb->capview = nc;
	return 0;
}

static void
msg_from_rec(struct mbox_msg *m, const struct midx_rec *r)
{
	m->uid = r->uid;
	m->flags = (m->flags & MBOX_F_RECENT) | r->flags;
	m->keywords = r->keywords;
	m->modseq = r->modseq;
	m->size = r->size;
	m->date = r->date;
}

/*
 * Merge mb->ix into the view.  Expunged (seq, uid) go to *exp (descending
 * seq), changed seqs to *chg.
 */
static int
view_merge(struct mbox *mb, unsigned flags, uint32_t recent_from,
    struct report **exp_r, size_t *nexp_r, uint32_t **chg_r,
    size_t *nchg_r, uint32_t *added_r)
{
	const struct midx *ix = &mb->ix;
	struct report *exp = NULL;
	uint32_t *chg = NULL;
	size_t i, j = 0, o = 0, nexp = 0, nchg = 0;
	struct mbox_msg *m;
	const struct midx_rec *r;
	uint32_t maxuid;
	int kept = 0;

	if ((exp = mem_alloc(mb->nview + 1, sizeof(*exp))) == NULL ||
	    (chg = mem_alloc(mb->nview + 1, sizeof(*chg))) == NULL)
		goto fail;
	for (i = 0; i < mb->nview; i++) {
		m = &mb->view[i];
		while (j < ix->n && ix->recs[j].uid < m->uid)
			j++;	/* cannot happen: new uids are above */
		r = j < ix->n && ix->recs[j].uid == m->uid ? &ix->recs[j] :
		    NULL;
		if (r == NULL) {
			if (flags & MBOX_SYNC_NO_EXPUNGE) {
				m->flags |= MBOX_F_EXPUNGED;
				mb->view[o++] = *m;
				kept = 1;
			} else {
				exp[nexp].seq = (uint32_t)(i + 1);
				exp[nexp++].uid = m->uid;
			}
			continue;
		}
		if ((m->flags & MBOX_F_LETTERS) != r->flags ||
		    m->keywords != r->keywords) {
			msg_from_rec(m, r);
			chg[nchg++] = (uint32_t)(o + 1);
		} else
			msg_from_rec(m, r);
		mb->view[o++] = *m;
	}
	mb->nview = o;
	mb->view_uidnext = ix->uidnext;
	maxuid = o > 0 ? mb->view[o - 1].uid : 0;
	*added_r = 0;
	for (j = 0; j < ix->n; j++) {
		r = &ix->recs[j];
		if (r->uid <= maxuid)
			continue;
		if (view_reserve(mb, mb->nview + 1) == -1)
			goto fail;
		m = &mb->view[mb->nview++];
		memset(m, 0, sizeof(*m));
		msg_from_rec(m, r);
		if (r->uid >= recent_from)
			m->flags |= MBOX_F_RECENT;
		(*added_r)++;
	}
	/* Highest first. */
	for (i = 0; i < nexp / 2; i++) {
		struct report t = exp[i];

		exp[i] = exp[nexp - 1 - i];
		exp[nexp - 1 - i] = t;
	}
	*exp_r = exp;
	*nexp_r = nexp;
	*chg_r = chg;
	*nchg_r = nchg;
	/* Kept ones are to be reported by a later merge. */
	mb->view_current = !kept;
	return 0;
fail:
	mem_free(&exp);
	mem_free(&chg);
	return -1;
}

/* ---- the lazy view ---- */

static void
lazy_drop(struct mbox *mb)
{
	if (mb->lz_map != NULL)
		(void)munmap(mb->lz_map, mb->lz_len);
	mb->lz_map = NULL;
	mb->lz_len = 0;
	mb->lazy = 0;
}

/* 1 when new/ holds no message, 0 when it does, -1 on error. */
static int
new_is_empty(struct mbox *mb)
{
	struct dirent *de;
	DIR *d;
	int fd, rc = 1;

	if ((fd = maildir_open_sub(mb->dirfd, "new")) == -1)
		return -1;
	if ((d = fdopendir(fd)) == NULL) {
		(void)close(fd);
		return -1;
	}
	while (rc == 1 && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			rc = 0;
	(void)closedir(d);
	return rc;
}

/* 1 when cur/ has the settled mtime the index ix records. */
static int
cur_is(struct mbox *mb, const struct midx *ix)
{
	struct stat st;

	return ix->cur_sec != 0 && fstat(mb->curfd, &st) == 0 &&
	    ix->cur_sec == (int64_t)st.st_mtim.tv_sec &&
	    ix->cur_nsec == (int64_t)st.st_mtim.tv_nsec;
}

int
mbox_lazy_try(struct mbox *mb)
{
	struct midx hdr;
	struct midx_sum sum;
	struct stat st;
	void *map;
	size_t len;
	int fd, r;

	fd = openat(mb->dirfd, MSTORE_INDEX, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size < MIDX_HDR_LEN + MIDX_TRL_LEN ||
	    st.st_size >= MBOX_INDEX_MAX) {
		(void)close(fd);
		return 0;
	}
	len = (size_t)st.st_size;
	map = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED) {
		(void)close(fd);
		return 0;
	}
	r = 0;
	if (midx_summary(map, len, &hdr, &sum) == 0 && cur_is(mb, &hdr) &&
	    ((mb->flags & MBOX_RDONLY) || hdr.first_recent == hdr.uidnext))
		r = new_is_empty(mb);
	if (r != 1) {
		(void)munmap(map, len);
		(void)close(fd);
		return r;
	}
	mb->lazy = 1;
	mb->lz_map = map;
	mb->lz_len = len;
	mb->lz_hdr = hdr;
	mb->lz_sum = sum;
	(void)io_close(&mb->idxfd);
	mb->idxfd = fd;
	mb->uidvalidity = hdr.uidvalidity;
	mb->view_uidnext = hdr.uidnext;
	mb->synced = 1;
	return 1;
}

/* A later sync of a lazy view: 1 when nothing changed (the same index
 * file, new/ empty, cur/ as it records), 0 when not, -1 error. */
static int
lazy_unchanged(struct mbox *mb)
{
	int fd, same;

	fd = openat(mb->dirfd, MSTORE_INDEX, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT || errno == ELOOP ? 0 : -1;
	same = same_file(fd, mb->idxfd);
	(void)close(fd);
	if (!same || !cur_is(mb, &mb->lz_hdr))
		return 0;
	return new_is_empty(mb);
}

/*
 * The mapped index does not decode although its summary was good: it is
 * damaged (the checksum is checked only now).  The session's uids came
 * from it, so it must end (ESTALE); the file is removed, if it is still
 * the one, so that the next session rebuilds it instead of failing so
 * again.
 */
static int
lazy_damaged(struct mbox *mb)
{
	int fd, was_locked = mb->locked;

	if (mbox_lock(mb) == 0) {
		fd = openat(mb->dirfd, MSTORE_INDEX, O_RDONLY | O_NOFOLLOW |
		    O_CLOEXEC);
		if (fd != -1 && same_file(fd, mb->idxfd))
			(void)unlinkat(mb->dirfd, MSTORE_INDEX, 0);
		if (fd != -1)
			(void)close(fd);
		if (!was_locked)
			mbox_unlock(mb);
	}
	errno = ESTALE;
	return -1;
}

int
mbox_view_load(struct mbox *mb)
{
	struct midx nix;
	struct mbox_msg *m;
	size_t i;

	if (!mb->lazy)
		return 0;
	if (midx_parse(mb->lz_map, mb->lz_len, &nix) == -1)
		return errno == EINVAL ? lazy_damaged(mb) : -1;
	if (nix.n != mb->lz_sum.count) {
		midx_free(&nix);
		return lazy_damaged(mb);
	}
	if (view_reserve(mb, nix.n) == -1) {
		midx_free(&nix);
		return -1;
	}
	midx_free(&mb->ix);
	mb->ix = nix;
	mb->have_ix = 1;
	mb->ix_dirty = 0;
	for (i = 0; i < nix.n; i++) {
		m = &mb->view[i];
		memset(m, 0, sizeof(*m));
		msg_from_rec(m, &mb->ix.recs[i]);
		if (m->uid >= mb->lz_hdr.first_recent)
			m->flags |= MBOX_F_RECENT;
	}
	mb->nview = nix.n;
	mb->view_current = 1;
	mb->view_recent = mb->lz_sum.recent;
	lazy_drop(mb);
	return 0;
}

int
mbox_sync(struct mbox *mb, unsigned flags, const struct mbox_sync_ops *ops,
    void *arg, struct mbox_sync_result *res_r)
{
	struct mbox_sync_result res;
	struct report *exp = NULL;
	uint32_t *chg = NULL, recent_from;
	size_t nexp = 0, nchg = 0, i;
	int rc = -1, kwchg = 0, e, l, was_lazy;

	memset(&res, 0, sizeof(res));
	if (mbox_lock(mb) == -1)
		return -1;
	if (!mb->synced || mb->lazy) {
		/* The lazy view: made by the first sync, kept while nothing
		 * changes. */
		was_lazy = mb->lazy;
		if ((l = was_lazy ? lazy_unchanged(mb) :
		    mbox_lazy_try(mb)) == -1)
			goto out;
		if (l == 1) {
			if (mbox_read_keywords(mb, &kwchg) == -1)
				goto out;
			if (!was_lazy)
				res.added = mb->lz_sum.count;
			rc = 0;
			goto out;
		}
	}
	recent_from = 0;
	if (refresh(mb, (mb->flags & MBOX_RDONLY) ? NULL : &recent_from,
	    0) == -1 || mbox_read_keywords(mb, &kwchg) == -1)
		goto out;
	if (mb->synced && mb->ix.uidvalidity != mb->uidvalidity) {
		errno = ESTALE;
		goto out;
	}
	if (mb->flags & MBOX_RDONLY)
		recent_from = mb->ix.first_recent;
	/* Nothing changed since the last merge: the view is ix's. */
	if (!mb->synced || !mb->view_current) {
		if (view_merge(mb, flags, recent_from, &exp, &nexp, &chg,
		    &nchg, &res.added) == -1)
			goto out;
		mb->view_recent = 0;
		for (i = 0; i < mb->nview; i++)
			if (mb->view[i].flags & MBOX_F_RECENT)
				mb->view_recent++;
	}
	mb->uidvalidity = mb->ix.uidvalidity;
	mb->synced = 1;
	rc = 0;
out:
	e = errno;
	mbox_unlock(mb);
	for (i = 0; rc == 0 && i < nexp; i++)
		if (ops != NULL && ops->expunge != NULL)
			rc = ops->expunge(arg, exp[i].seq, exp[i].uid);
	for (i = 0; rc == 0 && i < nchg; i++)
		if (ops != NULL && ops->flags != NULL)
			rc = ops->flags(arg, chg[i], &mb->view[chg[i] - 1]);
	mem_free(&exp);
	mem_free(&chg);
	if (res_r != NULL && mb->lazy) {
		res.exists = mb->lz_sum.count;
		res.recent = mb->lz_sum.recent;
	} else if (res_r != NULL) {
		res.exists = (uint32_t)mb->nview;
		res.recent = mb->view_recent;
	}
	if (res_r != NULL) {
		res.expunged = (uint32_t)nexp;
		res.flag_changes = (uint32_t)nchg;
		res.keywords_changed = kwchg;
		*res_r = res;
	}
	errno = e;
	return rc;
}

void
mbox_get_info(const struct mbox *mb, struct mbox_info *info)
{
	size_t i;

	memset(info, 0, sizeof(*info));
	info->is_readonly = (mb->flags & MBOX_RDONLY) != 0;
	if (mb->lazy) {
		info->exists = mb->lz_sum.count;
		info->recent = mb->lz_sum.recent;
		info->unseen = mb->lz_sum.unseen;
		info->first_unseen = mb->lz_sum.first_unseen;
		info->uidvalidity = mb->lz_hdr.uidvalidity;
		info->uidnext = mb->lz_hdr.uidnext;
		info->highestmodseq = mb->lz_hdr.highestmodseq;
		return;
	}
	info->exists = (uint32_t)mb->nview;
	for (i = 0; i < mb->nview; i++) {
		if (mb->view[i].flags & MBOX_F_RECENT)
			info->recent++;
		if (!(mb->view[i].flags & MBOX_F_SEEN)) {
			info->unseen++;
			if (info->first_unseen == 0)
				info->first_unseen = (uint32_t)(i + 1);
		}
	}
	info->uidvalidity = mb->ix.uidvalidity;
	info->uidnext = mb->ix.uidnext;
	info->highestmodseq = mb->ix.highestmodseq;
}

uint32_t
mbox_count(const struct mbox *mb)
{
	return mb->lazy ? mb->lz_sum.count : (uint32_t)mb->nview;
}

const struct mbox_msg *
mbox_msg(struct mbox *mb, uint32_t seq)
{
	if (mbox_view_load(mb) == -1 || seq == 0 || seq > mb->nview)
		return NULL;
	return &mb->view[seq - 1];
}

uint32_t
mbox_seq(struct mbox *mb, uint32_t uid)
{
	size_t lo = 0, hi = mb->nview, mid;

	if (mbox_view_load(mb) == -1)
		return 0;
	hi = mb->nview;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (mb->view[mid].uid == uid)
			return (uint32_t)(mid + 1);
		if (mb->view[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* ---- inotify ---- */

int
mbox_watch_fd(struct mbox *mb)
{
	static const char *const sub[] = { "new", "cur" };
	char path[64];
	size_t i;
	int n;

	if (mb->watchfd != -1)
		return mb->watchfd;
	if ((mb->watchfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		n = snprintf(path, sizeof(path), "/proc/self/fd/%d/%s",
		    mb->dirfd, sub[i]);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    inotify_add_watch(mb->watchfd, path, IN_CREATE |
		    IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR |
		    IN_DONT_FOLLOW) == -1) {
			n = errno;
			(void)io_close(&mb->watchfd);
			errno = n;
			return -1;
		}
	}
	return mb->watchfd;
}

int
mbox_watch_drain(struct mbox *mb)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n;

	if (mb->watchfd == -1)
		return 0;
	while ((n = read(mb->watchfd, buf, sizeof(buf))) > 0)
		continue;
	if (n == -1 && errno != EAGAIN && errno != EINTR)
		return -1;
	return 0;
}
