/* Fuzz target: the folder index reader (lib/mstore_index.c).  Whatever
 * it accepts must format back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mstore_int.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct midx ix;
	struct sbuf b;

	if (midx_parse(data, len, &ix) != 0)
		return 0;
	sbuf_init(&b, MBOX_INDEX_MAX);
	if (midx_format(&ix, &b) != 0 || b.len != len ||
	    memcmp(b.s, data, len) != 0)
		abort();
	sbuf_fini(&b);
	midx_free(&ix);
	return 0;
}
