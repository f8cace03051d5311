/*
 * Fuzz target: proxyp_line() (tern-proxy reading a backend's answers
 * during its master login) on arbitrary bytes.  The first byte picks the
 * protocol.  Checks: the answer is 0, 1 or 2; rest lies inside the line
 * and is NULL exactly when the answer is 0.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proxyp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line, *rest;
	char *copy;
	size_t n, rn;
	int r;

	if (size == 0)
		return 0;
	n = size - 1;
	/* An exact-size copy, so reading past n is caught. */
	if ((copy = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, n);
	line = copy;
	r = proxyp_line(data[0] & 1 ? PROXYP_POP3 : PROXYP_IMAP, "P2", line,
	    n, &rest, &rn);
	if (r < 0 || r > 2 || (r == 0) != (rest == NULL) ||
	    (rest != NULL && (rest < line || rest + rn != line + n)))
		abort();
	free(copy);
	return 0;
}
