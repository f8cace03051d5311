/* Fuzz target: the Maildir++ text parsers (maildirsize, the quota line,
 * the ",S=" size and the ":2," flags of a name). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/maildir.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data;
	struct maildir_quota q, q2;
	struct maildir_usage u;
	struct sbuf b;
	uint64_t v, f, f2;

	sbuf_init(&b, 4096);
	(void)maildirsize_parse(p, len, &q, &u);
	if (maildir_quota_parse(p, len, &q) == 0 && (q.bytes || q.count)) {
		if (maildir_quota_format(&b, &q) != 0 ||
		    maildir_quota_parse(b.s, b.len, &q2) != 0 ||
		    q2.bytes != q.bytes || q2.count != q.count)
			abort();
	}
	(void)maildir_name_size(p, len, &v);
	if (maildir_flags_parse(p, len, &f) == 0) {
		sbuf_reset(&b);
		if (maildir_name_set_flags(&b, p, len, f) == 0 &&
		    (maildir_flags_parse(b.s, b.len, &f2) != 0 || f2 != f))
			abort();
	}
	if (maildir_base_len(p, len) > len)
		abort();
	sbuf_fini(&b);
	return 0;
}
