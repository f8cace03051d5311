/*
 * Fuzz target: enqsvc_reply_parse() on arbitrary bytes.  What tern-smtpd
 * reads back from an enqueue worker decides between "250 queued as ID"
 * and a 4xx/5xx; an id it accepts must be a valid queue id (it reaches
 * the client and the log), a code must be 1..255, and nothing else may
 * come out of it.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/enqsvc.h"
#include "lib/qid.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[QID_LEN + 1];
	char *p;
	int r;

	/* An exact-size copy, so a read past the end is caught. */
	if ((p = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(p, data, size);
	memset(id, 0, sizeof id);
	r = enqsvc_reply_parse(p, size, id);
	if (r == 0 && !qid_valid(id, strlen(id)))
		abort();
	if (r > 255 || r < -1)
		abort();
	free(p);
	return 0;
}
