/* Fuzz target: passwd_import() on arbitrary bytes (as a C string). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "lib/passwd.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out, again;
	const char *why = NULL;
	char *in;
	int allow_plain, rc;

	if (size < 1)
		return 0;
	allow_plain = data[0] & 1;
	if ((in = mem_strndup((const char *)data + 1, size - 1)) == NULL)
		return 0;
	sbuf_init(&out, PASSWD_HASH_MAX + 16);
	sbuf_init(&again, PASSWD_HASH_MAX + 16);
	rc = passwd_import(in, allow_plain, &out, &why);
	if (rc < 0 && why == NULL)
		abort();
	if (rc == 0) {
		/* A normalised hash imports again to itself. */
		if (passwd_import(sbuf_str(&out), allow_plain, &again, &why) != 0)
			abort();
		if (out.len != again.len || memcmp(out.s, again.s, out.len) != 0)
			abort();
		/* Nothing that goes into a text map may hold ':' or blanks. */
		if (memchr(out.s, ':', out.len) || memchr(out.s, ' ', out.len) ||
		    memchr(out.s, '\n', out.len))
			abort();
	}
	sbuf_fini_secret(&out);
	sbuf_fini_secret(&again);
	mem_free(&in);
	return 0;
}
