/*
 * Fuzz target: login_req_decode() (what the root monitor reads from the
 * pre-auth child) on arbitrary bytes.  Checks: a failure has a reason; a
 * success is bounded and re-encodes to exactly the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/login.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct login_req q;
	unsigned char buf[LOGIN_REQ_MAX];
	const char *why = NULL;
	size_t len;

	if (login_req_decode(data, size, &q, &why) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	if (q.user_len == 0 || q.user_len > LOGIN_USER_MAX ||
	    q.pass_len > LOGIN_PASS_MAX || strlen(q.tag) > LOGIN_TAG_MAX)
		abort();
	if (login_req_encode(&q, buf, sizeof buf, &len) != 0 || len != size ||
	    memcmp(buf, data, size) != 0)
		abort();
	return 0;
}
