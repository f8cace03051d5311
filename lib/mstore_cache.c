/*
 * mstore_cache.c - cached strings per message ("tern-cache"), so a warm
 * FETCH ENVELOPE/BODYSTRUCTURE does not parse the message again.
 *
 * The file: "TERNCCH1", u32 uidvalidity, u32 0; then records appended
 * under the folder lock: u32 uid, u32 kind, u32 len, len bytes, u32 the
 * low half of FNV-1a over the 12 header bytes and the data.  The reader
 * stops at the first record that does not check out (a torn append); the
 * next append cuts the file there first.  A file of another UIDVALIDITY
 * is replaced.  The last record for a (uid, kind) wins.  When the file has
 * grown past half of MBOX_CACHE_FILE_MAX, puts are dropped (the cache is
 * an optimisation, never needed).
 */
/* UNSAFE: reads fixed-width fields at offsets checked against the length. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"

#define CACHE_MAGIC	"TERNCCH1"
#define CACHE_HDR	16
#define CACHE_REC	12

struct mbox_cache_ent {
	uint32_t	 uid;		/* 0: empty slot */
	uint32_t	 kind;
	size_t		 off;		/* data in cachebuf */
	size_t		 len;
};

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
check32(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return (uint32_t)h;
}

void
mbox_cache_free(struct mbox *mb)
{
	mem_free(&mb->cache);
	mb->ncache = mb->capcache = 0;
	sbuf_fini(&mb->cachebuf);
	mb->cache_loaded = 0;
}

/* Neighbouring UIDs in neighbouring slots: a SORT or THREAD reads the
 * records of a whole folder in UID order, and walks the table in order
 * (UIDs are the server's, handed out one after another). */
static size_t
slot(const struct mbox *mb, uint32_t uid, uint32_t kind)
{
	return ((size_t)uid * MBOX_CACHE_KINDS + kind) & (mb->capcache - 1);
}

static int
cache_insert(struct mbox *mb, uint32_t uid, uint32_t kind, size_t off,
    size_t len)
{
	struct mbox_cache_ent *old = mb->cache, *e;
	size_t oldcap = mb->capcache, i, h;

	if ((mb->ncache + 1) * 2 > mb->capcache) {
		mb->capcache = mb->capcache ? mb->capcache * 2 : 256;
		if ((mb->cache = mem_alloc(mb->capcache,
		    sizeof(*mb->cache))) == NULL) {
			mb->cache = old;
			mb->capcache = oldcap;
			return -1;
		}
		mb->ncache = 0;
		for (i = 0; i < oldcap; i++)
			if (old[i].uid != 0)
				(void)cache_insert(mb, old[i].uid,
				    old[i].kind, old[i].off, old[i].len);
		mem_free(&old);
	}
	for (h = slot(mb, uid, kind);; h = (h + 1) & (mb->capcache - 1)) {
		e = &mb->cache[h];
		if (e->uid == 0 || (e->uid == uid && e->kind == kind))
			break;
	}
	if (e->uid == 0)
		mb->ncache++;
	e->uid = uid;
	e->kind = kind;
	e->off = off;
	e->len = len;
	return 0;
}

/* Index the records of cachebuf; the good length in *good_r. */
static int
cache_index(struct mbox *mb, size_t *good_r)
{
	const unsigned char *p = (const unsigned char *)mb->cachebuf.s;
	size_t off = CACHE_HDR, len = mb->cachebuf.len, dl;
	uint32_t uid, kind;

	while (len - off >= CACHE_REC + 4) {
		uid = get32(p + off);
		kind = get32(p + off + 4);
		dl = get32(p + off + 8);
		if (uid == 0 || kind == 0 || kind >= MBOX_CACHE_KINDS ||
		    dl > MBOX_CACHE_MAX || len - off - CACHE_REC - 4 < dl ||
		    get32(p + off + CACHE_REC + dl) !=
		    check32(p + off, CACHE_REC + dl))
			break;
		if (cache_insert(mb, uid, kind, off + CACHE_REC, dl) == -1)
			return -1;
		off += CACHE_REC + dl + 4;
	}
	*good_r = off;
	return 0;
}

static int
cache_fresh_header(struct mbox *mb)
{
	unsigned char h[CACHE_HDR];

	memcpy(h, CACHE_MAGIC, 8);
	put32(h + 8, mb->ix.uidvalidity);
	put32(h + 12, 0);
	sbuf_reset(&mb->cachebuf);
	mem_free(&mb->cache);
	mb->ncache = mb->capcache = 0;
	return sbuf_cat_n(&mb->cachebuf, h, sizeof(h));
}

/* Load the file (once); *good_r: its good length, 0 for none/foreign. */
static int
cache_load(struct mbox *mb, size_t *good_r)
{
	int fd, rc;

	*good_r = 0;
	sbuf_reset(&mb->cachebuf);
	mem_free(&mb->cache);
	mb->ncache = mb->capcache = 0;
	fd = openat(mb->dirfd, MSTORE_CACHE, O_RDONLY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd != -1) {
		rc = io_read_fd(fd, &mb->cachebuf, MBOX_CACHE_FILE_MAX);
		(void)close(fd);
		if (rc == 0 && mb->cachebuf.len >= CACHE_HDR &&
		    memcmp(mb->cachebuf.s, CACHE_MAGIC, 8) == 0 &&
		    get32((unsigned char *)mb->cachebuf.s + 8) ==
		    mb->ix.uidvalidity && mb->ix.uidvalidity != 0) {
			if (cache_index(mb, good_r) == -1)
				return -1;
			sbuf_truncate(&mb->cachebuf, *good_r);
			mb->cache_loaded = 1;
			return 0;
		}
	}
	if (cache_fresh_header(mb) == -1)
		return -1;
	mb->cache_loaded = 1;
	return 0;
}

int
mbox_cache_peek(struct mbox *mb, uint32_t uid, unsigned kind,
    const char **p_r, size_t *len_r)
{
	const struct mbox_cache_ent *e;
	size_t h, good;

	if (kind == 0 || kind >= MBOX_CACHE_KINDS || uid == 0) {
		errno = EINVAL;
		return -1;
	}
	if (mbox_view_load(mb) == -1)
		return -1;	/* the uidvalidity is the index's */
	if (!mb->cache_loaded && cache_load(mb, &good) == -1)
		return -1;
	if (mb->capcache == 0)
		return 0;
	for (h = slot(mb, uid, kind);; h = (h + 1) & (mb->capcache - 1)) {
		e = &mb->cache[h];
		if (e->uid == 0)
			return 0;
		if (e->uid == uid && e->kind == kind)
			break;
	}
	*p_r = mb->cachebuf.s + e->off;
	*len_r = e->len;
	return 1;
}

int
mbox_cache_get(struct mbox *mb, uint32_t uid, unsigned kind,
    struct sbuf *out)
{
	const char *p;
	size_t len;
	int r;

	if ((r = mbox_cache_peek(mb, uid, kind, &p, &len)) != 1)
		return r;
	if (sbuf_set_n(out, p, len) == -1)
		return -1;
	return 1;
}

int
mbox_cache_put(struct mbox *mb, uint32_t uid, unsigned kind,
    const void *data, size_t len)
{
	struct mbox_cache_rec r;

	r.uid = uid;
	r.data = data;
	r.len = len;
	return mbox_cache_put_v(mb, kind, &r, 1);
}

int
mbox_cache_put_v(struct mbox *mb, unsigned kind,
    const struct mbox_cache_rec *recs, size_t n)
{
	unsigned char hdr[CACHE_REC], sum[4];
	struct stat st;
	size_t good = 0, off, start, i, total = 0;
	int fd = -1, rc = -1, e;

	for (i = 0; i < n; i++) {
		if (kind == 0 || kind >= MBOX_CACHE_KINDS ||
		    recs[i].uid == 0 || recs[i].len > MBOX_CACHE_MAX) {
			errno = EINVAL;
			return -1;
		}
		total += CACHE_REC + recs[i].len + 4;
	}
	if (n == 0)
		return 0;
	if (mbox_view_load(mb) == -1 || mbox_lock(mb) == -1)
		return -1;
	if ((fd = openat(mb->dirfd, MSTORE_CACHE, O_WRONLY | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1 || fstat(fd, &st) == -1)
		goto out;
	/* Reread only when another session appended or replaced it. */
	if (mb->cache_loaded && st.st_ino == mb->cache_ino &&
	    (size_t)st.st_size == mb->cachebuf.len &&
	    get32((unsigned char *)mb->cachebuf.s + 8) == mb->ix.uidvalidity)
		good = mb->cachebuf.len;
	else if (cache_load(mb, &good) == -1)
		goto out;
	mb->cache_ino = st.st_ino;
	if (mb->cachebuf.len + total > MBOX_CACHE_FILE_MAX / 2) {
		rc = 0;		/* full: not cached */
		goto out;
	}
	if (good == 0) {
		if (ftruncate(fd, 0) == -1 ||
		    io_write_full(fd, mb->cachebuf.s, CACHE_HDR) == -1)
			goto out;
		good = CACHE_HDR;
	} else if ((size_t)st.st_size != good && ftruncate(fd,
	    (off_t)good) == -1)
		goto out;
	start = mb->cachebuf.len;
	for (i = 0; i < n; i++) {
		put32(hdr, recs[i].uid);
		put32(hdr + 4, kind);
		put32(hdr + 8, (uint32_t)recs[i].len);
		off = mb->cachebuf.len;
		if (sbuf_cat_n(&mb->cachebuf, hdr, sizeof(hdr)) == -1 ||
		    sbuf_cat_n(&mb->cachebuf, recs[i].data,
		    recs[i].len) == -1)
			goto out;
		put32(sum, check32((unsigned char *)mb->cachebuf.s + off,
		    CACHE_REC + recs[i].len));
		if (sbuf_cat_n(&mb->cachebuf, sum, 4) == -1)
			goto out;
	}
	if (pwrite(fd, mb->cachebuf.s + start, mb->cachebuf.len - start,
	    (off_t)good) != (ssize_t)(mb->cachebuf.len - start))
		goto out;
	for (i = 0, off = start; i < n; i++) {
		if (cache_insert(mb, recs[i].uid, kind, off + CACHE_REC,
		    recs[i].len) == -1)
			goto out;
		off += CACHE_REC + recs[i].len + 4;
	}
	rc = 0;
out:
	e = errno;
	if (fd != -1)
		(void)close(fd);
	if (rc == -1)
		mb->cache_loaded = 0;	/* reread next time */
	mbox_unlock(mb);
	errno = e;
	return rc;
}
