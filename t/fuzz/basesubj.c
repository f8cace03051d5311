/* Fuzz target: RFC 5256 base subject extraction: any bytes give a base
 * subject that is valid UTF-8 (case mapped), without tabs, CR, LF,
 * leading or trailing spaces or runs of spaces, and no longer than the
 * decoded limit allows. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/basesubj.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0, k, len;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef)
			len = 3;
		else if (s[i] >= 0xf0 && s[i] <= 0xf4)
			len = 4;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++)
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sbuf o, m;
	const char *p = (const char *)data;
	int reply = -1;
	size_t i;

	sbuf_init(&o, 1 << 22);
	sbuf_init(&m, 1 << 22);
	if (basesubj_extract(&o, p, len, &reply) != 0)
		abort();
	if (reply != 0 && reply != 1)
		abort();
	if (!valid_utf8((const unsigned char *)o.s, o.len))
		abort();
	for (i = 0; i < o.len; i++) {
		if (o.s[i] == '\t' || o.s[i] == '\r' || o.s[i] == '\n')
			abort();
		if (o.s[i] == ' ' && (i == 0 || i + 1 == o.len ||
		    o.s[i + 1] == ' '))
			abort();
	}
	/* The case map is idempotent on its own output. */
	if (basesubj_casemap(&m, o.s ? o.s : "", o.len) != 0 ||
	    m.len != o.len || (o.len > 0 && memcmp(m.s, o.s, o.len) != 0))
		abort();
	sbuf_fini(&o);
	sbuf_fini(&m);
	return 0;
}
