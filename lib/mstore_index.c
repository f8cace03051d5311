/*
 * mstore_index.c - the per-folder index file: strict reader and writer
 * (format in lib/mstore_int.h).
 */
/* UNSAFE: reads fixed-width fields at offsets checked against the length. */
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/mstore_int.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"

static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static uint64_t
rotl64(uint64_t x, unsigned r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t
lane(uint64_t h, uint64_t w)
{
	h ^= w * 0x9e3779b97f4a7c15ULL;
	return rotl64(h, 31) * 0xc2b2ae3d27d4eb4fULL;
}

/*
 * TERNIDX3's checksum: four independent 64-bit lanes over 32-byte blocks,
 * so the multiplies overlap; about ten times faster than byte-serial
 * FNV-1a, which took 1.1 ms of every warm SELECT of a 10,000-message
 * folder.  It guards against damage, not against an attacker (the index
 * is the account's own file).
 */
static uint64_t
lanes(const unsigned char *p, size_t n)
{
	uint64_t h[4] = { 0x243f6a8885a308d3ULL, 0x13198a2e03707344ULL,
	    0xa4093822299f31d0ULL, 0x082efa98ec4e6c89ULL }, w, t;
	size_t i, k;

	for (i = 0; n - i >= 32; i += 32)
		for (k = 0; k < 4; k++) {
			memcpy(&w, p + i + 8 * k, 8);
			h[k] = lane(h[k], le64toh(w));
		}
	for (k = 0; n - i >= 8; i += 8, k = (k + 1) & 3) {
		memcpy(&w, p + i, 8);
		h[k] = lane(h[k], le64toh(w));
	}
	for (w = 0, k = 0; i < n; i++, k += 8)
		w |= (uint64_t)p[i] << k;
	t = lane(rotl64(h[0], 1) + rotl64(h[1], 7) + rotl64(h[2], 12) +
	    rotl64(h[3], 18), w ^ (uint64_t)n);
	t ^= t >> 33;
	t *= 0xff51afd7ed558ccdULL;
	t ^= t >> 33;
	return t;
}

/* The checksum of a file's bytes before its trailer: by its version. */
uint64_t
midx_checksum(const void *data, size_t n)
{
	const unsigned char *p = data;

	if (n >= 8 && memcmp(p, MIDX_MAGIC, 8) == 0)
		return lanes(p, n);
	return fnv1a(p, n);
}

/*
 * Little-endian fields of 2, 4 or 8 bytes: one unaligned load each (the
 * compiler turns the memcpy into a mov), since a warm SELECT decodes every
 * record of the index and a byte loop per field was a third of it.
 */
static uint64_t
get_le(const unsigned char *p, size_t n)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (n) {
	case 8:
		memcpy(&v8, p, 8);
		return le64toh(v8);
	case 4:
		memcpy(&v4, p, 4);
		return le32toh(v4);
	case 2:
		memcpy(&v2, p, 2);
		return le16toh(v2);
	default:
		v8 = 0;
		while (n-- > 0)
			v8 = (v8 << 8) | p[n];
		return v8;
	}
}

static int
put_le(struct sbuf *out, uint64_t v, size_t n)
{
	unsigned char b[8];
	size_t i;

	for (i = 0; i < n; i++, v >>= 8)
		b[i] = (unsigned char)(v & 0xff);
	return sbuf_cat_n(out, b, n);
}

int
midx_name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > MAILDIR_NAME_MAX || p[0] == '.')
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] == '/' || p[i] == ':' || p[i] == '\0')
			return 0;
	return 1;
}

void
midx_free(struct midx *ix)
{
	size_t i;

	for (i = 0; i < ix->n; i++)
		midx_name_free(ix, &ix->recs[i].name);
	mem_free(&ix->names);
	mem_free(&ix->recs);
	mem_free(&ix->van);
	memset(ix, 0, sizeof(*ix));
}

void
midx_name_free(struct midx *ix, char **name)
{
	uintptr_t p = (uintptr_t)*name, b = (uintptr_t)ix->names;

	if (ix->names != NULL && p >= b && p < b + ix->names_len)
		*name = NULL;
	else
		mem_free(name);
}

int
midx_push(struct midx *ix, const struct midx_rec *r)
{
	struct midx_rec *nr;
	size_t nc;

	if (ix->n >= MBOX_MSGS_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (ix->n == ix->cap) {
		nc = ix->cap ? ix->cap * 2 : 64;
		if ((nr = mem_realloc(ix->recs, nc, sizeof(*nr))) == NULL)
			return -1;
		ix->recs = nr;
		ix->cap = nc;
	}
	ix->recs[ix->n++] = *r;
	return 0;
}

struct midx_rec *
midx_find(const struct midx *ix, uint32_t uid)
{
	size_t lo = 0, hi = ix->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ix->recs[mid].uid == uid)
			return &ix->recs[mid];
		if (ix->recs[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
parse_recs(const unsigned char *p, size_t len, uint32_t count,
    struct midx *ix, size_t *off_r)
{
	struct midx_rec r;
	size_t off = MIDX_HDR_LEN, nl, total = 0, used = 0;
	uint32_t i, last = 0;

	/* One allocation for the records (count was checked against len)
	 * and one for their names: a malloc per name was 10,000 for a
	 * 10,000-message folder at every SELECT. */
	for (i = 0; i < count; i++) {
		if (len - off < MIDX_REC_LEN)
			return -1;
		nl = (size_t)get_le(p + off + 12, 2);
		off += MIDX_REC_LEN;
		if (len - off < nl)
			return -1;
		off += nl;
		total += nl + 1;
	}
	off = MIDX_HDR_LEN;
	if (count > 0 && ix->cap < count) {
		struct midx_rec *nr;

		if ((nr = mem_realloc(ix->recs, count, sizeof(*nr))) == NULL)
			return -2;
		ix->recs = nr;
		ix->cap = count;
	}
	if (total > 0) {
		if ((ix->names = mem_alloc(total, 1)) == NULL)
			return -2;
		ix->names_len = total;
	}
	for (i = 0; i < count; i++) {
		if (len - off < MIDX_REC_LEN)
			return -1;
		memset(&r, 0, sizeof(r));
		r.uid = (uint32_t)get_le(p + off, 4);
		r.flags = (uint32_t)get_le(p + off + 4, 4);
		r.keywords = (uint32_t)get_le(p + off + 8, 4);
		nl = (size_t)get_le(p + off + 12, 2);
		if (get_le(p + off + 14, 2) != 0)
			return -1;
		r.modseq = get_le(p + off + 16, 8);
		r.size = get_le(p + off + 24, 8);
		r.vsize = get_le(p + off + 32, 8);
		r.date = (int64_t)get_le(p + off + 40, 8);
		off += MIDX_REC_LEN;
		if (r.uid <= last || r.uid >= ix->uidnext ||
		    (r.flags & ~MBOX_F_LETTERS) != 0 ||
		    (r.keywords >> MBOX_KEYWORDS_MAX) != 0 ||
		    r.modseq == 0 || r.modseq > ix->highestmodseq ||
		    len - off < nl || !midx_name_ok((const char *)p + off, nl))
			return -1;
		r.name = ix->names + used;
		memcpy(r.name, p + off, nl);
		r.name[nl] = '\0';
		used += nl + 1;
		off += nl;
		if (midx_push(ix, &r) == -1)
			return -2;
		last = r.uid;
	}
	*off_r = off;
	return 0;
}

/* The expunged section of a TERNIDX2 or 3 file at off. */
static int
parse_van(const unsigned char *p, size_t len, size_t off, struct midx *ix)
{
	struct midx_van v;
	uint64_t last;
	uint32_t n, i;

	if (len - off < MIDX_VANHDR_LEN || get_le(p + off + 4, 4) != 0)
		return -1;
	n = (uint32_t)get_le(p + off, 4);
	ix->van_floor = last = get_le(p + off + 8, 8);
	off += MIDX_VANHDR_LEN;
	if (n > MIDX_VAN_FILE_MAX || ix->van_floor > ix->highestmodseq ||
	    (len - off) / MIDX_VAN_LEN != n || (len - off) % MIDX_VAN_LEN != 0)
		return -1;
	if (n > 0 && (ix->van = mem_alloc(n, sizeof(*ix->van))) == NULL)
		return -2;
	ix->capvan = n;
	for (i = 0; i < n; i++, off += MIDX_VAN_LEN) {
		v.lo = (uint32_t)get_le(p + off, 4);
		v.hi = (uint32_t)get_le(p + off + 4, 4);
		v.modseq = get_le(p + off + 8, 8);
		if (v.lo == 0 || v.hi < v.lo || v.hi >= ix->uidnext ||
		    v.modseq <= ix->van_floor || v.modseq < last ||
		    v.modseq > ix->highestmodseq)
			return -1;
		last = v.modseq;
		ix->van[ix->nvan++] = v;
	}
	return 0;
}

/*
 * The header and trailer of a file of len bytes: the checksum (when
 * verify), the header's fields into ix, the record count into *count_r, *len_r the
 * length without the trailer, *v1_r for a TERNIDX1 file.  0 or -1.
 */
static int
parse_header(const unsigned char *p, size_t len, int verify, struct midx *ix,
    uint32_t *count_r, size_t *len_r, int *v1_r)
{
	uint32_t count;
	int v1;

	if (len < MIDX_HDR_LEN + MIDX_TRL_LEN)
		return -1;
	v1 = memcmp(p, MIDX_MAGIC_V1, 8) == 0;
	if ((!v1 && memcmp(p, MIDX_MAGIC, 8) != 0 &&
	    memcmp(p, MIDX_MAGIC_V2, 8) != 0) ||
	    memcmp(p + len - MIDX_TRL_LEN, MIDX_TRAILER, 4) != 0 ||
	    (verify && get_le(p + len - 8, 8) !=
	    midx_checksum(p, len - MIDX_TRL_LEN)))
		return -1;
	len -= MIDX_TRL_LEN;
	ix->uidvalidity = (uint32_t)get_le(p + 8, 4);
	ix->uidnext = (uint32_t)get_le(p + 12, 4);
	ix->first_recent = (uint32_t)get_le(p + 16, 4);
	count = (uint32_t)get_le(p + 20, 4);
	ix->highestmodseq = get_le(p + 24, 8);
	ix->cur_sec = (int64_t)get_le(p + 32, 8);
	ix->cur_nsec = (int64_t)get_le(p + 40, 8);
	if (ix->uidvalidity == 0 || ix->uidnext == 0 ||
	    ix->first_recent == 0 || ix->first_recent > ix->uidnext ||
	    ix->highestmodseq == 0 || count > MBOX_MSGS_MAX ||
	    (len - MIDX_HDR_LEN) / MIDX_REC_LEN < count ||
	    ix->cur_nsec < 0 || ix->cur_nsec >= 1000000000)
		return -1;
	*count_r = count;
	*len_r = len;
	*v1_r = v1;
	return 0;
}

int
midx_parse(const void *data, size_t len, struct midx *ix)
{
	const unsigned char *p = data;
	uint32_t count;
	size_t off = 0;
	int rc, v1;

	memset(ix, 0, sizeof(*ix));
	if (parse_header(p, len, 1, ix, &count, &len, &v1) == -1)
		goto bad;
	if ((rc = parse_recs(p, len, count, ix, &off)) == 0) {
		if (v1) {
			/* Written before QRESYNC: nothing earlier known. */
			ix->van_floor = ix->highestmodseq;
			rc = off == len ? 0 : -1;
		} else
			rc = parse_van(p, len, off, ix);
	}
	if (rc == 0)
		return 0;
	midx_free(ix);
	if (rc == -2)
		return -1;
bad:
	memset(ix, 0, sizeof(*ix));
	errno = EINVAL;
	return -1;
}

/*
 * One pass over the records reading four fields of each, no stores: a
 * warm SELECT of 10,000 messages decoded 10,000 records (half a megabyte
 * of fresh memory) to learn five numbers.  The checksum is left to
 * midx_parse when the records are decoded (130 us of the SELECT's 400 for
 * 10,000 messages): the structure is checked here, so a damaged file
 * gives numbers that are wrong at worst, and the decode then fails.
 */
int
midx_summary(const void *data, size_t len, struct midx *hdr,
    struct midx_sum *sum)
{
	const unsigned char *p = data;
	uint32_t count, i, uid, flags, last = 0, nvan;
	uint64_t modseq;
	size_t off = MIDX_HDR_LEN, nl;
	int v1;

	memset(hdr, 0, sizeof(*hdr));
	memset(sum, 0, sizeof(*sum));
	if (len < 8 || memcmp(p, MIDX_MAGIC, 8) != 0 ||
	    parse_header(p, len, 0, hdr, &count, &len, &v1) == -1)
		goto bad;
	for (i = 0; i < count; i++) {
		if (len - off < MIDX_REC_LEN)
			goto bad;
		uid = (uint32_t)get_le(p + off, 4);
		flags = (uint32_t)get_le(p + off + 4, 4);
		nl = (size_t)get_le(p + off + 12, 2);
		modseq = get_le(p + off + 16, 8);
		if (uid <= last || uid >= hdr->uidnext ||
		    (flags & ~MBOX_F_LETTERS) != 0 ||
		    (get_le(p + off + 8, 4) >> MBOX_KEYWORDS_MAX) != 0 ||
		    get_le(p + off + 14, 2) != 0 ||
		    modseq == 0 || modseq > hdr->highestmodseq ||
		    nl == 0 || nl > MAILDIR_NAME_MAX ||
		    len - off - MIDX_REC_LEN < nl)
			goto bad;
		if (uid >= hdr->first_recent)
			sum->recent++;
		if (!(flags & MBOX_F_SEEN) && sum->unseen++ == 0)
			sum->first_unseen = i + 1;
		if (flags & MBOX_F_DELETED)
			sum->deleted++;
		sum->size += get_le(p + off + 24, 8);
		last = uid;
		off += MIDX_REC_LEN + nl;
	}
	/* The expunged section's shape (midx_parse checks its values). */
	if (len - off < MIDX_VANHDR_LEN)
		goto bad;
	nvan = (uint32_t)get_le(p + off, 4);
	off += MIDX_VANHDR_LEN;
	if (nvan > MIDX_VAN_FILE_MAX || (len - off) % MIDX_VAN_LEN != 0 ||
	    (len - off) / MIDX_VAN_LEN != nvan)
		goto bad;
	sum->count = count;
	return 0;
bad:
	memset(hdr, 0, sizeof(*hdr));
	memset(sum, 0, sizeof(*sum));
	errno = EINVAL;
	return -1;
}

int
midx_format(const struct midx *ix, struct sbuf *out)
{
	const struct midx_rec *r;
	size_t i, nl;
	uint64_t h;

	sbuf_reset(out);
	if (sbuf_cat_n(out, MIDX_MAGIC, 8) == -1 ||
	    put_le(out, ix->uidvalidity, 4) == -1 ||
	    put_le(out, ix->uidnext, 4) == -1 ||
	    put_le(out, ix->first_recent, 4) == -1 ||
	    put_le(out, ix->n, 4) == -1 ||
	    put_le(out, ix->highestmodseq, 8) == -1 ||
	    put_le(out, (uint64_t)ix->cur_sec, 8) == -1 ||
	    put_le(out, (uint64_t)ix->cur_nsec, 8) == -1)
		return -1;
	for (i = 0; i < ix->n; i++) {
		r = &ix->recs[i];
		nl = strlen(r->name);
		if (put_le(out, r->uid, 4) == -1 ||
		    put_le(out, r->flags, 4) == -1 ||
		    put_le(out, r->keywords, 4) == -1 ||
		    put_le(out, nl, 2) == -1 || put_le(out, 0, 2) == -1 ||
		    put_le(out, r->modseq, 8) == -1 ||
		    put_le(out, r->size, 8) == -1 ||
		    put_le(out, r->vsize, 8) == -1 ||
		    put_le(out, (uint64_t)r->date, 8) == -1 ||
		    sbuf_cat_n(out, r->name, nl) == -1)
			return -1;
	}
	if (put_le(out, ix->nvan, 4) == -1 || put_le(out, 0, 4) == -1 ||
	    put_le(out, ix->van_floor, 8) == -1)
		return -1;
	for (i = 0; i < ix->nvan; i++)
		if (put_le(out, ix->van[i].lo, 4) == -1 ||
		    put_le(out, ix->van[i].hi, 4) == -1 ||
		    put_le(out, ix->van[i].modseq, 8) == -1)
			return -1;
	h = midx_checksum(out->s, out->len);
	if (sbuf_cat_n(out, MIDX_TRAILER, 4) == -1 || put_le(out, h, 8) == -1)
		return -1;
	return 0;
}
