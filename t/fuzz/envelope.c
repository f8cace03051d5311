/*
 * Fuzz target: envelope_read() on arbitrary bytes.  An accepted envelope
 * encodes back to exactly the input (one encoding per envelope), and
 * reading it as queued agrees with whether it has an id and a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/envelope.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct envelope e;
	struct sbuf out;
	const char *why = NULL;
	int r, rq;

	envelope_init(&e);
	r = envelope_read(data, size, 0, &e, &why);
	if (r != ENV_OK) {
		if (why == NULL || r > 0)
			abort();
		envelope_fini(&e);
		return 0;
	}
	if (e.nrcpt == 0 || e.nrcpt > ENV_RCPT_MAX)
		abort();
	sbuf_init(&out, ENV_FILE_MAX);
	if (envelope_encode(&e, &out) != 0 || out.len != size ||
	    memcmp(out.s, data, size) != 0)
		abort();
	rq = envelope_read(data, size, ENV_R_QUEUED, &e, &why);
	if ((rq == ENV_OK) != (e.qid[0] != '\0' && e.arrival != 0))
		abort();
	sbuf_fini(&out);
	envelope_fini(&e);
	return 0;
}
