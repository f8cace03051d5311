/* Fuzz target: the folder index reader (lib/mstore_index.c).  Whatever
 * it accepts must format back to the same bytes (a TERNIDX1 or TERNIDX2
 * file formats as TERNIDX3, which must then read back and format the
 * same).  Each input is tried as
 * it is and with its trailer's checksum made right, so the fuzzer gets
 * past the checksum into the records. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mstore_int.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one(const uint8_t *data, size_t len)
{
	struct midx ix, ix2;
	struct sbuf b, b2;

	if (midx_parse(data, len, &ix) != 0)
		return;
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
