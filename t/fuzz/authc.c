/* Fuzz target: the tern-authd request and reply decoders, the framing
 * helper, and re-encoding of whatever the decoders accept (which must
 * give the same bytes back). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/authc.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	unsigned char out[AUTHC_REQ_MAX + AUTHC_REPLY_MAX];
	struct authc_request q;
	struct authc_reply r;
	struct authc_req e;
	const char *why;
	size_t n;
	int f;

	f = authc_frame(data, len, AUTHC_REQ_MAX);
	if (authc_req_decode(data, len, &q, &why) == 0) {
		if (f != 1)
			abort();
		e.service = q.service;
		e.remote_ip = q.ip;
		e.user = q.user;
		e.user_len = q.user_len;
		e.pass = q.pass;
		e.pass_len = q.pass_len;
		e.tls = q.tls;
		e.authzid = q.authzid;
		e.authzid_len = q.authzid_len;
		e.origin_ip = q.origin;
		if (authc_req_encode(&e, out, sizeof(out), &n) != 0 ||
		    n != len || memcmp(out, data, len) != 0)
			abort();
	}
	authc_request_wipe(&q);
	f = authc_frame(data, len, AUTHC_REPLY_MAX);
	if (authc_reply_decode(data, len, &r, &why) == 0) {
		if (f != 1)
			abort();
		if (authc_reply_encode(&r, out, sizeof(out), &n) != 0 ||
		    n != len || memcmp(out, data, len) != 0)
			abort();
	}
	return 0;
}
