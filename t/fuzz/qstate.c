/*
 * Fuzz target: qstate_decode() on arbitrary bytes (the first byte picks
 * the envelope's recipient count, 1..4).  An accepted state encodes back
 * to exactly the input (one encoding per state), and its targets lie
 * within bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/qstate.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qstate st;
	struct sbuf out;
	const char *why = NULL;
	size_t nrcpt, i;

	if (size < 1)
		return 0;
	nrcpt = (size_t)(data[0] % 4) + 1;
	qstate_init(&st);
	if (qstate_decode(data + 1, size - 1, "0TP9VY37T6W008C0", nrcpt, &st,
	    &why) < 0) {
		if (why == NULL)
			abort();
		qstate_fini(&st);
		return 0;
	}
	for (i = 0; i < st.nr; i++)
		if (st.r[i].first + st.r[i].n > st.nt)
			abort();
	sbuf_init(&out, QSTATE_FILE_MAX);
	if (qstate_encode(&st, &out) != 0 || out.len != size - 1 ||
	    memcmp(out.s, data + 1, size - 1) != 0)
		abort();
	sbuf_fini(&out);
	qstate_fini(&st);
	return 0;
}
