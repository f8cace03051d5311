/* Fuzz target: modified UTF-7 decoding and encoding must agree: a valid
 * input decodes, re-encodes to itself, and validity matches decoding. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mutf7.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data;
	struct sbuf u, m;
	int valid = mutf7_valid(p, len);

	sbuf_init(&u, 1 << 20);
	sbuf_init(&m, 1 << 20);
	if ((mutf7_to_utf8(p, len, &u) == 0) != valid)
		abort();
	if (valid) {
		if (utf8_to_mutf7(u.s, u.len, &m) != 0 || m.len != len ||
		    memcmp(m.s, p, len) != 0)
			abort();
	}
	/* The input as UTF-8: whatever encodes must decode back. */
	sbuf_reset(&m);
	sbuf_reset(&u);
	if (utf8_to_mutf7(p, len, &m) == 0) {
		if (!mutf7_valid(m.s, m.len) ||
		    mutf7_to_utf8(m.s, m.len, &u) != 0 || u.len != len ||
		    memcmp(u.s, p, len) != 0)
			abort();
	}
	sbuf_fini(&u);
	sbuf_fini(&m);
	return 0;
}
