/*
 * Fuzz target: hdr_next() over arbitrary bytes as a header section, and
 * hdr_addr_list() on every field's value; the offsets stay in bounds and
 * always move forward.
 */
#include <stdint.h>
#include <stdlib.h>

#include "lib/hdraddr.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *why;
	struct addr a[16];
	struct hdr_field f;
	size_t off = 0, prev, n;
	int r;

	for (;;) {
		prev = off;
		r = hdr_next(p, size, &off, &f);
		if (r == 0)
			break;
		if (off <= prev || off > size)
			abort();
		if (r != 1)
			continue;
		if (f.value < p || f.value + f.value_len > p + size ||
		    f.end != off)
			abort();
		if (hdr_addr_list(f.value, f.value_len, (f.name_len & 1) ?
		    "d.test" : NULL, ADDR_UTF8, a, 16, &n, &why) == 0 &&
		    n > 16)
			abort();
	}
	return 0;
}
