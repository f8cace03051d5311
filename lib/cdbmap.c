/* cdbmap.c - tinycdb maps reopened on a new inode; see cdbmap.h. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <cdb.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/cdbmap.h"
#include "lib/durable.h"
#include "lib/mem.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#define CDBMAP_CHECK_MS	1000	/* stat the path at most this often */
#define CDBMAP_TOC	2048	/* the table of contents: 256 (pos, len) */
#define CDBMAP_SLOTS	8	/* hash slots read by one pread */
#define CDBMAP_REC	512	/* bytes of a record read by its first pread */
/*
 * A file read by pread() is mapped after 32 + size / 8 KiB lookups: about
 * when the syscalls saved (~1.5 us a lookup) pay for mmap, munmap and the
 * page faults that map the file (~10 us each, one per ~70 KiB touched:
 * bench/million, "reading the table").
 */
#define CDBMAP_MAP_MIN	32
#define CDBMAP_MAP_PER	8192
/*
 * Huge pages (bench/million, "bench/million: huge pages").  A file of
 * CDBMAP_HUGE or more is mapped at a 2 MiB boundary with MADV_HUGEPAGE:
 * where the page cache holds it in 2 MiB folios (ext4 on Linux 6.x reads
 * a file through such a mapping that way) one TLB entry and one page
 * fault cover 2 MiB, not 4 KiB.  cdbmap_hugepages() makes the page cache
 * hold a map of CDBMAP_WARM_MIN or more that way, and when it could, the
 * switch from pread to the mapping costs one fault per 2 MiB: it comes
 * after 32 + size / CDBMAP_MAP_PER_HUGE lookups.
 */
#define CDBMAP_HUGE		(2U * 1024 * 1024)
#define CDBMAP_WARM_MIN		(8U * 1024 * 1024)
#define CDBMAP_MAP_PER_HUGE	(1024U * 1024)
#define CDBMAP_HUGE_SHARE	90	/* % of the file in 2 MiB pages: "huge" */
#define CDBMAP_SMAPS_LINE	8192	/* longest /proc/self/smaps line read */
#define CDBMAP_PREFETCH_SLOTS	4	/* slots prefetch_record() reads */
#define CDBMAP_PREFETCH_LINES	4	/* 64-byte lines of a record it loads */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif

struct cdbmap {
	char		*path;
	int		 flags;
	int		 is_loaded;	/* a file is open or mapped */
	int		 is_read;	/* ... read by pread(): fd, toc */
	int		 is_failed;	/* last check failed: check again */
	int		 is_stale;	/* a miss was not checked against the path */
	int		 is_huge;	/* page cache seen in 2 MiB pages */
	pid_t		 warm_pid;	/* cdbmap_hugepages() was called here */
	struct cdb	 db;		/* mapped (our mapping: map_file) */
	int		 fd;		/* read */
	uint32_t	 fsize, dend;	/* read: file size, end of the data */
	uint64_t	 reads;		/* read: lookups so far */
	uint64_t	 map_after;	/* read: map the file after so many */
	unsigned char	*toc;		/* read: the first CDBMAP_TOC bytes */
	unsigned char	*buf;		/* read: the last record looked at */
	size_t		 bufsize;
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

/*
 * Close the descriptor of a file read by pread() if it is still that
 * file's: a forked child that moved its descriptors (dup2 onto the
 * number, closefrom) before closing its maps must not lose the
 * descriptor now there (tern-lspawn's delivery child: its result socket).
 */
static void
close_fd(struct cdbmap *m)
{
	struct stat st;

	if (fstat(m->fd, &st) == 0 && st.st_dev == m->dev &&
	    st.st_ino == m->ino)
		(void)close(m->fd);	/* read-only: nothing to lose */
}

static void
unmap(struct cdbmap *m)
{
	if (m->is_loaded && m->is_read)
		close_fd(m);
	else if (m->is_loaded)
		(void)munmap((void *)m->db.cdb_mem, m->db.cdb_fsize);
	m->is_loaded = 0;
	m->is_read = 0;
	m->is_huge = 0;
	memset(&m->db, 0, sizeof m->db);
	m->fd = -1;
	m->dev = 0;
	m->ino = 0;
	m->size = 0;
	memset(&m->mtime, 0, sizeof m->mtime);
}

/* Is st the file that is loaded now? */
static int
is_same(const struct cdbmap *m, const struct stat *st)
{
	return m->is_loaded && st->st_dev == m->dev && st->st_ino == m->ino &&
	    st->st_size == m->size && st->st_mtim.tv_sec == m->mtime.tv_sec &&
	    st->st_mtim.tv_nsec == m->mtime.tv_nsec;
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* pread exactly n bytes at off: 0, or -1 (EPROTO when the file is short). */
static int
read_at(int fd, void *buf, size_t n, uint32_t off)
{
	unsigned char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = EPROTO;	/* shorter than when it was opened */
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint32_t)r;
	}
	return 0;
}

/*
 * Take fd (of file st) as a map read by pread(): 0, or -1 (fd left open,
 * the current file kept).  The table of contents is read once, here.
 */
static int
load_read(struct cdbmap *m, int fd, const struct stat *st)
{
	unsigned char *toc;
	uint32_t dend;

	if (st->st_size < CDBMAP_TOC || st->st_size > (off_t)UINT32_MAX) {
		errno = EPROTO;
		return -1;
	}
	if ((toc = mem_alloc(1, CDBMAP_TOC)) == NULL)
		return -1;
	if (read_at(fd, toc, CDBMAP_TOC, 0) < 0) {
		free(toc);
		return -1;
	}
	unmap(m);
	free(m->toc);
	m->toc = toc;
	m->fd = fd;
	m->is_read = 1;
	m->fsize = (uint32_t)st->st_size;
	/* As tinycdb's cdb_init: the data ends where the first table is. */
	dend = get32(m->toc);
	m->dend = dend < CDBMAP_TOC ? CDBMAP_TOC : dend > m->fsize ? m->fsize :
	    dend;
	m->reads = 0;
	m->map_after = (m->flags & CDBMAP_READ) ? UINT64_MAX :
	    CDBMAP_MAP_MIN + m->fsize / CDBMAP_MAP_PER;
	return 0;
}

/*
 * Map size bytes of fd read-only, shared: the mapping or MAP_FAILED.  A
 * file of CDBMAP_HUGE or more starts at a 2 MiB boundary (an anonymous
 * reservation one huge page longer, the file mapped over its aligned part,
 * the rest given back) with MADV_HUGEPAGE, so that 2 MiB folios of the
 * page cache are mapped by one page-table entry each.
 */
static void *
map_file(int fd, uint32_t size)
{
	unsigned char *p, *a, *end;
	size_t span, page, len;
	long ps;

	if (size < CDBMAP_HUGE)
		return mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ps = sysconf(_SC_PAGESIZE);
	page = ps > 0 ? (size_t)ps : 4096;
	len = ((size_t)size + page - 1) / page * page;
	span = len + CDBMAP_HUGE;
	p = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return MAP_FAILED;
	a = p + ((CDBMAP_HUGE - (uintptr_t)p % CDBMAP_HUGE) % CDBMAP_HUGE);
	if (mmap(a, size, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0) ==
	    MAP_FAILED) {
		int saved = errno;

		(void)munmap(p, span);	/* only the reservation */
		errno = saved;
		return MAP_FAILED;
	}
	end = a + len;
	/* Give back the reservation around it (page-aligned pieces). */
	if (a > p)
		(void)munmap(p, (size_t)(a - p));
	if (p + span > end)
		(void)munmap(end, (size_t)(p + span - end));
	/* A hint: without huge pages it is an ordinary mapping. */
	(void)madvise(a, size, MADV_HUGEPAGE);
	return a;
}

/*
 * Take a mapping of a file of size bytes as m->db, checked as tinycdb's
 * cdb_init checks it: the data ends where the first hash table starts.
 */
static void
set_mapped(struct cdbmap *m, const unsigned char *mem, uint32_t size)
{
	uint32_t dend = get32(mem);

	memset(&m->db, 0, sizeof m->db);
	m->db.cdb_fd = -1;	/* the mapping outlives the descriptor */
	m->db.cdb_fsize = size;
	m->db.cdb_mem = mem;
	m->db.cdb_dend = dend < CDBMAP_TOC ? CDBMAP_TOC : dend >= size ?
	    size : dend;
	m->is_read = 0;
}

/* Map fd: 0 (fd closed), or -1 (fd left open, the current file kept). */
static int
load_map(struct cdbmap *m, int fd, const struct stat *st)
{
	void *mem;

	if (st->st_size < CDBMAP_TOC || st->st_size > (off_t)UINT32_MAX) {
		errno = EPROTO;
		return -1;
	}
	if ((mem = map_file(fd, (uint32_t)st->st_size)) == MAP_FAILED)
		return -1;
	(void)close(fd);	/* read-only: nothing to lose */
	unmap(m);
	set_mapped(m, mem, (uint32_t)st->st_size);
	return 0;
}

/*
 * The FilePmdMapped bytes of the mapping that starts at addr, from
 * /proc/self/smaps (0 when it cannot be read: "not huge").
 */
static uint64_t
pmd_bytes(const void *addr)
{
	struct sbuf line;
	struct bio *b;
	char want[32];
	uint64_t kib = 0;
	size_t i, wn;
	int fd, eol, r, in = 0, n;

	n = snprintf(want, sizeof want, "%lx-", (unsigned long)(uintptr_t)addr);
	if (n < 0 || (size_t)n >= sizeof want)
		return 0;
	wn = (size_t)n;
	if ((fd = open("/proc/self/smaps", O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if ((b = bio_new(fd, -1)) == NULL) {
		(void)close(fd);
		return 0;
	}
	sbuf_init(&line, CDBMAP_SMAPS_LINE);
	while ((r = bio_getline(b, &line, CDBMAP_SMAPS_LINE, &eol)) != BIO_EOF &&
	    r != BIO_ERR) {
		if (r != BIO_OK || line.len == 0)
			continue;
		if (line.len >= wn && memcmp(line.s, want, wn) == 0) {
			in = 1;		/* our mapping's block */
			continue;
		}
		if (!in || line.len < 14 ||
		    memcmp(line.s, "FilePmdMapped:", 14) != 0)
			continue;
		for (i = 14; i < line.len && line.s[i] == ' '; i++)
			;
		for (n = 0; i + (size_t)n < line.len &&
		    line.s[i + (size_t)n] >= '0' && line.s[i + (size_t)n] <= '9';
		    n++)
			;
		if (n == 0 || scan_u64_n(line.s + i, (size_t)n, &kib) < 0)
			kib = 0;
		break;
	}
	sbuf_fini(&line);
	bio_free(&b);
	(void)close(fd);
	return kib > UINT64_MAX / 1024 ? 0 : kib * 1024;
}

/*
 * Read the file through a huge mapping (MADV_POPULATE_READ) and count the
 * part mapped by 2 MiB entries: is it at least CDBMAP_HUGE_SHARE % of
 * the file's whole 2 MiB pages?  1 or 0.
 */
static int
read_huge(int fd, uint32_t size)
{
	uint64_t whole = size / CDBMAP_HUGE * (uint64_t)CDBMAP_HUGE;
	void *p;
	int yes = 0;

	if ((p = map_file(fd, size)) == MAP_FAILED)
		return 0;
	if (madvise(p, size, MADV_POPULATE_READ) == 0 &&
	    pmd_bytes(p) * 100 >= whole * CDBMAP_HUGE_SHARE)
		yes = 1;
	(void)munmap(p, size);
	return yes;
}

/*
 * This process keeps the map (cdbmap_hugepages): have the page cache hold
 * the file just loaded in 2 MiB folios.  Read through a huge mapping; if
 * the cache held it in small pages (tern-maps wrote it, pread read it),
 * drop them (POSIX_FADV_DONTNEED: clean pages nobody maps) and read it
 * again.  A failure only leaves the file as it is cached.
 */
static void
warm(struct cdbmap *m)
{
	m->is_huge = 0;
	if (!m->is_read || m->fsize < CDBMAP_WARM_MIN)
		return;
	if (!read_huge(m->fd, m->fsize)) {
		(void)posix_fadvise(m->fd, 0, 0, POSIX_FADV_DONTNEED);
		if (!read_huge(m->fd, m->fsize))
			return;
	}
	m->is_huge = 1;
	if (!(m->flags & CDBMAP_READ))
		m->map_after = CDBMAP_MAP_MIN + m->fsize / CDBMAP_MAP_PER_HUGE;
}

/* Load the file now at m->path in place of the current one. */
static int
load(struct cdbmap *m)
{
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
	if (saved == 0 && ((m->flags & CDBMAP_MAP) ? load_map(m, fd, &st) :
	    load_read(m, fd, &st)) < 0)
		saved = errno;
	if (saved != 0) {
		(void)close(fd);	/* read-only: nothing to lose */
		errno = saved;
		return -1;
	}
	m->is_loaded = 1;
	m->dev = st.st_dev;
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtime = st.st_mtim;
	m->gen++;
	if (m->warm_pid != 0 && m->warm_pid == getpid())
		warm(m);
	return 0;
}

/*
 * Enough lookups by pread(): map the same file (the same descriptor, so
 * the same inode).  A failure only keeps pread().
 */
static void
switch_to_map(struct cdbmap *m)
{
	void *mem;

	if ((mem = map_file(m->fd, m->fsize)) == MAP_FAILED) {
		m->map_after = UINT64_MAX;
		return;
	}
	(void)close(m->fd);	/* the mapping outlives it */
	m->fd = -1;
	set_mapped(m, mem, m->fsize);	/* dev, ino, size, mtime: the same */
}

int
cdbmap_refresh(struct cdbmap *m)
{
	struct stat st;

	m->checked_ms = now_ms();
	m->is_stale = 0;
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
	m->fd = -1;
	if ((m->path = mem_strdup(path)) == NULL) {
		free(m);
		return NULL;
	}
	m->flags = flags;
	if (load(m) < 0) {
		saved = errno;
		free(m->toc);
		free(m->path);
		free(m);
		errno = saved;
		return NULL;
	}
	m->checked_ms = now_ms();
	return m;
}

/* Room for n bytes in m->buf: 0 or -1. */
static int
buf_room(struct cdbmap *m, size_t n)
{
	unsigned char *nb;

	if (n <= m->bufsize)
		return 0;
	if ((nb = mem_realloc(m->buf, n, 1)) == NULL)
		return -1;
	m->buf = nb;
	m->bufsize = n;
	return 0;
}

/*
 * The record at pos, when its key is key: 1 (the value in m->buf), 0
 * (another key), -1.  The first pread takes up to CDBMAP_REC bytes, a
 * whole record of tern's maps; a longer record takes a second.
 */
static int
read_record(struct cdbmap *m, uint32_t pos, const void *key, uint32_t klen,
    const void **val_r, size_t *vlen_r)
{
	uint32_t dlen;
	size_t n, need;

	if (pos > m->fsize - 8) {
		errno = EPROTO;
		return -1;
	}
	if (buf_room(m, CDBMAP_REC) < 0)
		return -1;
	n = m->fsize - pos < CDBMAP_REC ? m->fsize - pos : CDBMAP_REC;
	if (read_at(m->fd, m->buf, n, pos) < 0)
		return -1;
	if (get32(m->buf) != klen)
		return 0;
	dlen = get32(m->buf + 4);
	if ((uint64_t)pos + 8 + klen + dlen > m->fsize) {
		errno = EPROTO;
		return -1;
	}
	need = (size_t)8 + klen + dlen;
	if (need > n) {
		if (buf_room(m, need) < 0 ||
		    read_at(m->fd, m->buf + n, need - n, pos + (uint32_t)n) < 0)
			return -1;
	}
	if (klen > 0 && memcmp(m->buf + 8, key, klen) != 0)
		return 0;
	*val_r = m->buf + 8 + klen;
	*vlen_r = dlen;
	return 1;
}

/*
 * cdb_find() by pread(): the same walk over the cdb format (D. J.
 * Bernstein's, as tinycdb's cdb_find.c reads it) with the same checks,
 * the hash slots read CDBMAP_SLOTS at a time.  1, 0 or -1.
 */
static int
find_read(struct cdbmap *m, const void *key, uint32_t klen,
    const void **val_r, size_t *vlen_r)
{
	unsigned char slots[CDBMAP_SLOTS * 8];
	const unsigned char *t;
	uint32_t h, pos, n, i, todo, got, at, rpos;
	int r;

	if (klen > m->fsize)
		return 0;	/* no such record fits in the file */
	h = cdb_hash(key, klen);
	t = m->toc + ((h << 3) & (CDBMAP_TOC - 1));
	if ((n = get32(t + 4)) == 0)
		return 0;
	pos = get32(t);
	if (n > (m->fsize >> 3) || pos < m->dend || pos > m->fsize ||
	    (n << 3) > m->fsize - pos) {
		errno = EPROTO;
		return -1;
	}
	i = (h >> 8) % n;
	for (todo = n; todo > 0; todo -= got, i = (i + got) % n) {
		got = n - i < CDBMAP_SLOTS ? n - i : CDBMAP_SLOTS;
		if (got > todo)
			got = todo;
		if (read_at(m->fd, slots, (size_t)got * 8, pos + i * 8) < 0)
			return -1;
		for (at = 0; at < got; at++) {
			if ((rpos = get32(slots + at * 8 + 4)) == 0)
				return 0;
			if (get32(slots + at * 8) != h)
				continue;
			if ((r = read_record(m, rpos, key, klen, val_r,
			    vlen_r)) != 0)
				return r;
		}
	}
	return 0;
}

/*
 * Before cdb_find() on a mapped file: find key's record as it will (its
 * checks, at most CDBMAP_PREFETCH_SLOTS slots) and start loading the
 * record's first CDBMAP_PREFETCH_LINES cache lines at once.  A record of
 * tern's accounts map (~150 bytes at a random place) spans 3 lines that
 * cdb_find() and the caller's decoding would otherwise miss one after
 * the other in a map larger than the caches; this waits for the slot's
 * line only (which cdb_find() then finds cached).  Reads only inside the
 * file; a prefetch never faults.
 */
static void
prefetch_record(const struct cdbmap *m, const void *key, uint32_t klen)
{
	const unsigned char *mem = m->db.cdb_mem, *slot;
	uint32_t h, pos, n, i, k, rpos, fsize = m->db.cdb_fsize;
	uint32_t dend = m->db.cdb_dend;

	if (klen >= dend)
		return;
	h = cdb_hash(key, klen);
	pos = get32(mem + ((h << 3) & (CDBMAP_TOC - 1)));
	n = get32(mem + ((h << 3) & (CDBMAP_TOC - 1)) + 4);
	if (n == 0 || n > (fsize >> 3) || pos < dend || pos > fsize ||
	    (n << 3) > fsize - pos)
		return;
	i = (h >> 8) % n;
	for (k = 0; k < n && k < CDBMAP_PREFETCH_SLOTS; k++) {
		slot = mem + pos + (size_t)i * 8;
		if ((rpos = get32(slot + 4)) == 0)
			return;
		if (get32(slot) == h) {
			if (rpos > dend - 8)
				return;
			for (k = 0; k < CDBMAP_PREFETCH_LINES &&
			    k * 64 < dend - rpos; k++)
				__builtin_prefetch(mem + rpos + k * 64);
			return;
		}
		i = i + 1 == n ? 0 : i + 1;
	}
}

/* One lookup in the file loaded now: 1, 0 or -1 (errno set). */
static int
find(struct cdbmap *m, const void *key, size_t klen, const void **val_r,
    size_t *vlen_r)
{
	unsigned vpos, vlen;
	int r;

	if (!m->is_loaded)
		return 0;
	if (m->is_read && ++m->reads > m->map_after)
		switch_to_map(m);
	if (m->is_read)
		return find_read(m, key, (uint32_t)klen, val_r, vlen_r);
	prefetch_record(m, key, (uint32_t)klen);
	errno = 0;
	if ((r = cdb_find(&m->db, key, (unsigned)klen)) < 0) {
		if (errno == 0)
			errno = EPROTO;
		return -1;
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

/* cdbmap_lookup and cdbmap_lookup_stale: is_stale says which. */
static int
lookup(struct cdbmap *m, const void *key, size_t klen, const void **val_r,
    size_t *vlen_r, int may_be_stale)
{
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
		if ((r = find(m, key, klen, val_r, vlen_r)) < 0) {
			*val_r = NULL;
			*vlen_r = 0;
			return -1;
		}
		if (r > 0 || fresh)
			break;
		if (may_be_stale) {
			m->is_stale = 1;	/* cdbmap_confirm() checks */
			break;
		}
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
	return r;
}

int
cdbmap_lookup(struct cdbmap *m, const void *key, size_t klen,
    const void **val_r, size_t *vlen_r)
{
	return lookup(m, key, klen, val_r, vlen_r, 0);
}

int
cdbmap_lookup_stale(struct cdbmap *m, const void *key, size_t klen,
    const void **val_r, size_t *vlen_r)
{
	return lookup(m, key, klen, val_r, vlen_r, 1);
}

int
cdbmap_confirm(struct cdbmap *m)
{
	unsigned long gen = m->gen;

	if (!m->is_stale)
		return 0;
	if (cdbmap_refresh(m) < 0)
		return -1;
	return m->gen != gen;
}

int
cdbmap_check(struct cdbmap *m)
{
	if (m->is_failed || (m->flags & CDBMAP_CHECK_EVERY) ||
	    now_ms() - m->checked_ms >= CDBMAP_CHECK_MS)
		return cdbmap_refresh(m);
	return 0;
}

int
cdbmap_hugepages(struct cdbmap *m)
{
	m->warm_pid = getpid();
	if (m->is_loaded && m->is_read)
		warm(m);
	return m->is_huge;
}

int
cdbmap_is_huge(const struct cdbmap *m)
{
	return m->is_loaded && m->is_huge;
}

/*
 * Start loading the hash slot where key's search begins (the first of
 * the two cache misses of a lookup in a large map), so that work done
 * meanwhile hides it.  Only a mapped file; bounds as find_read checks.
 */
void
cdbmap_prefetch(const struct cdbmap *m, const void *key, size_t klen)
{
	const unsigned char *mem = m->db.cdb_mem;
	uint32_t h, pos, n, fsize = m->db.cdb_fsize;

	if (!m->is_loaded || m->is_read || m->is_failed ||
	    klen > CDBMAP_KEY_MAX)
		return;
	h = cdb_hash(key, (unsigned)klen);
	pos = get32(mem + ((h << 3) & (CDBMAP_TOC - 1)));
	n = get32(mem + ((h << 3) & (CDBMAP_TOC - 1)) + 4);
	if (n == 0 || pos > fsize || n > (fsize - pos) / 8)
		return;
	__builtin_prefetch(mem + pos + (size_t)((h >> 8) % n) * 8);
}

void
cdbmap_prefetch_record(const struct cdbmap *m, const void *key, size_t klen)
{
	if (m->is_loaded && !m->is_read && !m->is_failed &&
	    klen <= CDBMAP_KEY_MAX)
		prefetch_record(m, key, (uint32_t)klen);
}

unsigned long
cdbmap_generation(const struct cdbmap *m)
{
	return m->gen;
}

int
cdbmap_is_mapped(const struct cdbmap *m)
{
	return m->is_loaded && !m->is_read;
}

void
cdbmap_close(struct cdbmap **mp)
{
	struct cdbmap *m = *mp;

	if (m == NULL)
		return;
	unmap(m);
	free(m->toc);
	free(m->buf);
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

int
cdbmap_walk(const char *path, cdbmap_walk_fn *fn, void *arg)
{
	struct cdb db;
	const void *k, *v;
	unsigned pos;
	int fd, r, got = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (cdb_init(&db, fd) < 0) {
		(void)close(fd);	/* read-only: nothing to lose */
		errno = EPROTO;
		return -1;
	}
	cdb_seqinit(&pos, &db);
	while (got == 0 && (r = cdb_seqnext(&pos, &db)) > 0) {
		k = cdb_getkey(&db);
		v = cdb_getdata(&db);
		if (k == NULL || v == NULL) {
			r = -1;		/* a record past the end of the file */
			break;
		}
		got = fn(k, cdb_keylen(&db), v, cdb_datalen(&db), arg);
	}
	cdb_free(&db);
	(void)close(fd);	/* read-only: nothing to lose */
	if (got == 0 && r < 0) {
		errno = EPROTO;
		return -1;
	}
	return got;
}
