/*
 * Fuzz target: lib/remote's decoders over arbitrary bytes.  The first
 * byte picks the request or the results (and how many results); what
 * decodes must encode again and decode to the same (a reader and a
 * writer that agree), with every DSN field within its checks.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/remote.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
request(const uint8_t *data, size_t size)
{
	struct remote_req r, d;
	struct sbuf b;
	const char *why;
	size_t i;

	remote_req_init(&r);
	remote_req_init(&d);
	sbuf_init(&b, REMOTE_MSG_MAX);
	if (remote_req_decode(data, size, &r, &why) == 0) {
		if (r.nrcpt == 0 || r.nrcpt > REMOTE_RCPT_MAX ||
		    r.ret > ENV_RET_HDRS || strlen(r.envid) > ENV_ENVID_MAX)
			abort();
		if (remote_req_encode(&r, &b) != 0 ||
		    remote_req_decode(b.s, b.len, &d, &why) != 0 ||
		    d.nrcpt != r.nrcpt || d.ret != r.ret ||
		    strcmp(d.envid, r.envid) != 0)
			abort();
		for (i = 0; i < r.nrcpt; i++)
			if (strcmp(d.rcpt[i], r.rcpt[i]) != 0 ||
			    d.dsn[i].notify != r.dsn[i].notify ||
			    strcmp(d.dsn[i].orcpt, r.dsn[i].orcpt) != 0 ||
			    strlen(r.dsn[i].orcpt) > ENV_ORCPT_MAX)
				abort();
	}
	sbuf_fini(&b);
	remote_req_fini(&r);
	remote_req_fini(&d);
}

static void
results(const uint8_t *data, size_t size, size_t n)
{
	struct remote_result res[8];
	const char *why;
	size_t i;

	if (remote_res_decode(data, size, res, n, &why) == 0)
		for (i = 0; i < n; i++)
			if ((res[i].dsn_passed != 0 && res[i].dsn_passed != 1) ||
			    strlen(res[i].diag) == 0)
				abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 0x80)
		results(data + 1, size - 1, (size_t)(data[0] & 7) + 1);
	else
		request(data + 1, size - 1);
	return 0;
}
