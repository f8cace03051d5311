/* Fuzz target: lib/sock address parser (untrusted-looking config text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sock.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sock_addr a, b;
	char out[SOCK_ADDR_MAX];
	const char *why = NULL;

	if (sock_parse((const char *)data, size, &a, &why) < 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	/* A parsed address formats and parses back to the same address. */
	if (sock_fmt(&a, out, sizeof out) < 0)
		abort();
	if (sock_parse(out, strlen(out), &b, &why) < 0 || !sock_equal(&a, &b))
		abort();
	return 0;
}
