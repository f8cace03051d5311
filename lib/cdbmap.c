/* cdbmap.c - tinycdb maps reopened on a new inode; see cdbmap.h. */
#include <sys/stat.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/cdbmap.h"
#include "lib/durable.h"
#include "lib/mem.h"

#define CDBMAP_CHECK_MS	1000	/* stat the path at most this often */

struct cdbmap {
	char		*path;
	int		 flags;
	int		 is_mapped;	/* db holds a mapping */
	int		 is_failed;	/* last check failed: check again */
	struct cdb	 db;
	dev_t		 dev;
	ino_t		 ino;
	off_t		 size;		/* with mtime: a file written over */
	struct timespec	 mtime;
	uint64_t	 checked_ms;	/* monotonic time of the last stat */
	unsigned long	 gen;
};

static uint64_t
now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
unmap(struct cdbmap *m)
{
	if (m->is_mapped)
		cdb_free(&m->db);
	m->is_mapped = 0;
	m->dev = 0;
	m->ino = 0;
	m->size = 0;
	memset(&m->mtime, 0, sizeof m->mtime);
}

/* Is st the file that is mapped now? */
static int
is_same(const struct cdbmap *m, const struct stat *st)
{
	return m->is_mapped && st->st_dev == m->dev && st->st_ino == m->ino &&
	    st->st_size == m->size && st->st_mtim.tv_sec == m->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == m->mtime.tv_nsec;
}

/* Map the file now at m->path in place of the current one. */
static int
load(struct cdbmap *m)
{
	struct cdb db;
	struct stat st;
	int fd, saved;

	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT && (m->flags & CDBMAP_MISSING_OK)) {
			unmap(m);
			return 0;
		}
		return -1;
	}
	saved = fstat(fd, &st) < 0 ? errno : S_ISREG(st.st_mode) ? 0 : EPROTO;
	if (saved != 0) {
		(void)close(fd);	/* read-only: nothing to lose */
		errno = saved;
		return -1;
	}
	memset(&db, 0, sizeof db);
	errno = 0;
	if (cdb_init(&db, fd) < 0) {
		saved = errno ? errno : EPROTO;
		(void)close(fd);
		errno = saved;
		return -1;
	}
	/* The mapping outlives the descriptor; nothing reads through it. */
	(void)close(fd);
	db.cdb_fd = -1;
	unmap(m);
	m->db = db;
	m->is_mapped = 1;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtime = st.st_mtim;
	m->gen++;
	return 0;
}

int
cdbmap_refresh(struct cdbmap *m)
{
	struct stat st;

	m->checked_ms = now_ms();
	if (stat(m->path, &st) < 0) {
		if (errno == ENOENT && (m->flags & CDBMAP_MISSING_OK)) {
			unmap(m);
			m->is_failed = 0;
			return 0;
		}
		m->is_failed = 1;
		return -1;
	}
	if (is_same(m, &st)) {
		m->is_failed = 0;
		return 0;
	}
	if (load(m) < 0) {
		m->is_failed = 1;
		return -1;
	}
	m->is_failed = 0;
	return 0;
}

struct cdbmap *
cdbmap_open(const char *path, int flags)
{
	struct cdbmap *m;
	int saved;

	if ((m = mem_alloc(1, sizeof *m)) == NULL)
		return NULL;
	if ((m->path = mem_strdup(path)) == NULL) {
		free(m);
		return NULL;
	}
	m->flags = flags;
	if (load(m) < 0) {
		saved = errno;
		free(m->path);
		free(m);
		errno = saved;
		return NULL;
	}
	m->checked_ms = now_ms();
	return m;
}

int
cdbmap_lookup(struct cdbmap *m, const void *key, size_t klen,
    const void **val_r, size_t *vlen_r)
{
	unsigned vpos, vlen;
	unsigned long gen;
	int r, fresh = 0;

	*val_r = NULL;
	*vlen_r = 0;
	if (klen > CDBMAP_KEY_MAX)
		return 0;
	if (m->is_failed || (m->flags & CDBMAP_CHECK_EVERY) ||
	    now_ms() - m->checked_ms >= CDBMAP_CHECK_MS) {
		if (cdbmap_refresh(m) < 0)
			return -1;
		fresh = 1;
	}
	for (;;) {
		r = 0;
		errno = 0;
		if (m->is_mapped &&
		    (r = cdb_find(&m->db, key, (unsigned)klen)) < 0) {
			if (errno == 0)
				errno = EPROTO;
			return -1;
		}
		if (r > 0 || fresh)
			break;
		/*
		 * A miss is answered from a file checked just now: "no such
		 * account" from a map up to a second old bounced mail to an
		 * account added in that second (tern-lspawn, 5.1.1).  A hit
		 * may be that old (the account existed a second ago).
		 */
		gen = m->gen;
		if (cdbmap_refresh(m) < 0)
			return -1;
		fresh = 1;
		if (m->gen == gen)
			break;
	}
	if (r == 0)
		return 0;
	vpos = cdb_datapos(&m->db);
	vlen = cdb_datalen(&m->db);
	/* The library checks this too; a corrupt file must not reach past. */
	if (vpos > m->db.cdb_fsize || vlen > m->db.cdb_fsize - vpos) {
		errno = EPROTO;
		return -1;
	}
	*val_r = m->db.cdb_mem + vpos;
	*vlen_r = vlen;
	return 1;
}

unsigned long
cdbmap_generation(const struct cdbmap *m)
{
	return m->gen;
}

void
cdbmap_close(struct cdbmap **mp)
{
	struct cdbmap *m = *mp;

	if (m == NULL)
		return;
	unmap(m);
	free(m->path);
	free(m);
	*mp = NULL;
}

/* Writing. */

#define CDBMAP_WRITEBACK	(8 * 1024 * 1024)	/* start writeback this often */

struct cdbmap_make {
	struct cdb_make	 mk;
	int		 fd;
	uint64_t	 unsynced;	/* bytes added since the last kick */
};

struct cdbmap_make *
cdbmap_make_start(const char *path, mode_t mode)
{
	struct cdbmap_make *w;
	int saved;

	if ((w = mem_alloc(1, sizeof *w)) == NULL)
		return NULL;
	/* A temp file left by a crashed run is ours to replace. */
	if (unlink(path) < 0 && errno != ENOENT)
		goto fail;
	w->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (w->fd < 0)
		goto fail;
	/* The mode is exact, whatever the umask. */
	if (fchmod(w->fd, mode) < 0 || cdb_make_start(&w->mk, w->fd) < 0) {
		saved = errno;
		(void)close(w->fd);
		(void)unlink(path);
		errno = saved;
		goto fail;
	}
	return w;
fail:
	saved = errno;
	free(w);
	errno = saved;
	return NULL;
}

int
cdbmap_make_add(struct cdbmap_make *w, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	if (klen > CDBMAP_KEY_MAX || vlen > CDBMAP_KEY_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (cdb_make_add(&w->mk, key, (unsigned)klen, val, (unsigned)vlen) < 0)
		return -1;
	/*
	 * Let the kernel start writing what we have so far, so the final
	 * fsync of a large map waits for little: the disk works while we
	 * parse.  Only a hint: the fsync in cdbmap_make_finish() is what
	 * makes the file durable, so a failure here is ignored.
	 */
	w->unsynced += 8 + klen + vlen;
	if (w->unsynced >= CDBMAP_WRITEBACK) {
		(void)sync_file_range(w->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		w->unsynced = 0;
	}
	return 0;
}

/* Release everything; the caller removes the file on failure. */
static int
make_end(struct cdbmap_make **wp, int finish)
{
	struct cdbmap_make *w = *wp;
	int r = 0, saved = 0;

	if (w == NULL)
		return 0;
	if (finish) {
		if (cdb_make_finish(&w->mk) < 0) {
			saved = errno ? errno : EIO;
			r = -1;
			(void)close(w->fd);	/* the caller removes it */
		} else if (durable_close_sync(w->fd) < 0) {
			saved = errno;
			r = -1;
		}
	} else {
		/* cdb_make_finish() is the only call that frees; an
		 * unfinished make leaks its record lists otherwise. */
		(void)cdb_make_finish(&w->mk);	/* file is discarded */
		(void)close(w->fd);
	}
	free(w);
	*wp = NULL;
	if (r < 0)
		errno = saved;
	return r;
}

int
cdbmap_make_finish(struct cdbmap_make **wp)
{
	return make_end(wp, 1);
}

void
cdbmap_make_abort(struct cdbmap_make **wp)
{
	(void)make_end(wp, 0);	/* nothing to report: it is discarded */
}
