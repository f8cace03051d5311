/* Fuzz target: the folder index reader (lib/mstore_index.c).  Whatever
 * it accepts must format back to the same bytes (a TERNIDX1 or TERNIDX2
 * file formats as TERNIDX3, which must then read back and format the
 * same); the summary a warm SELECT reads (midx_summary) runs on every
 * input and must agree with the records of any TERNIDX3 file midx_parse
 * accepts.  Each input is tried as
 * it is and with its trailer's checksum made right, so the fuzzer gets
 * past the checksum into the records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mstore_int.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The summary of a file midx_parse accepted, counted from its records. */
static void
check_summary(const uint8_t *data, size_t len, const struct midx *ix)
{
	struct midx hdr;
	struct midx_sum sum, want;
	size_t i;

	if (midx_summary(data, len, &hdr, &sum) != 0) {
		if (memcmp(data, MIDX_MAGIC, 8) == 0)
			abort();
		return;
	}
	memset(&want, 0, sizeof(want));
	want.count = (uint32_t)ix->n;
	for (i = 0; i < ix->n; i++) {
		if (ix->recs[i].uid >= ix->first_recent)
			want.recent++;
		if (!(ix->recs[i].flags & MBOX_F_SEEN) && want.unseen++ == 0)
			want.first_unseen = (uint32_t)i + 1;
		if (ix->recs[i].flags & MBOX_F_DELETED)
			want.deleted++;
		want.size += ix->recs[i].size;
	}
	if (memcmp(&sum, &want, sizeof(sum)) != 0 ||
	    hdr.uidvalidity != ix->uidvalidity || hdr.uidnext != ix->uidnext ||
	    hdr.first_recent != ix->first_recent ||
	    hdr.highestmodseq != ix->highestmodseq ||
	    hdr.cur_sec != ix->cur_sec || hdr.cur_nsec != ix->cur_nsec ||
	    hdr.recs != NULL)
		abort();
}

static void
one(const uint8_t *data, size_t len)
{
	struct midx ix, ix2, hdr;
	struct midx_sum sum;
	struct sbuf b, b2;

	(void)midx_summary(data, len, &hdr, &sum);
	if (midx_parse(data, len, &ix) != 0)
		return;
	check_summary(data, len, &ix);
	sbuf_init(&b, MBOX_INDEX_MAX);
	if (midx_format(&ix, &b) != 0)
		abort();
	if (memcmp(data, MIDX_MAGIC, 8) == 0) {
		if (b.len != len || memcmp(b.s, data, len) != 0)
			abort();
	} else {
		sbuf_init(&b2, MBOX_INDEX_MAX);
		if (midx_parse(b.s, b.len, &ix2) != 0 ||
		    midx_format(&ix2, &b2) != 0 || b2.len != b.len ||
		    memcmp(b2.s, b.s, b.len) != 0)
			abort();
		midx_free(&ix2);
		sbuf_fini(&b2);
	}
	sbuf_fini(&b);
	midx_free(&ix);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t *copy;
	uint64_t h;
	size_t i;

	one(data, len);
	if (len < MIDX_TRL_LEN || (copy = malloc(len)) == NULL)
		return 0;
	memcpy(copy, data, len);
	h = midx_checksum(copy, len - MIDX_TRL_LEN);
	for (i = 0; i < 8; i++)
		copy[len - 8 + i] = (uint8_t)(h >> (8 * i));
	one(copy, len);
	free(copy);
	return 0;
}
