/* Fuzz target: the lspawn request and result readers, and re-encoding of
 * whatever they accept (which must decode again to the same bytes). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lspawn.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct lspawn_req req;
	struct lspawn_results rs;
	struct sbuf out;
	const char *why;
	enum lspawn_status st;
	size_t off;

	sbuf_init(&out, LSPAWN_MSG_MAX);
	lspawn_req_init(&req);
	lspawn_results_init(&rs);
	if (lspawn_req_decode(data, len, &req, &why) == 0) {
		if (lspawn_req_encode(&req, &out) != 0)
			abort();
		if (out.len != len || memcmp(out.s, data, len) != 0)
			abort();
	}
	sbuf_reset(&out);
	if (lspawn_results_decode(data, len, &rs, &why) == 0) {
		if (lspawn_results_encode(&rs, &out) != 0)
			abort();
		if (out.len != len || memcmp(out.s, data, len) != 0)
			abort();
	}
	(void)lspawn_result_parse((const char *)data, len, &st, &off, &why);
	lspawn_req_fini(&req);
	lspawn_results_fini(&rs);
	sbuf_fini(&out);
	return 0;
}
