/*
 * Fuzz target: addr_parse_path() and addr_parse() on arbitrary bytes; a
 * parsed path, formatted and parsed again, gives the same address.
 * The first byte holds the flags (ADDR_UTF8, ADDR_NULL_OK,
 * ADDR_POSTMASTER_OK); the rest is the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same_addr(const struct addr *a, const struct addr *b)
{
	return a->local_len == b->local_len &&
	    memcmp(a->local, b->local, a->local_len) == 0 &&
	    a->domain_len == b->domain_len &&
	    memcmp(a->domain, b->domain, a->domain_len) == 0 &&
	    a->is_null == b->is_null && a->is_literal == b->is_literal &&
	    a->is_utf8 == b->is_utf8;
}

/* Parse s[0..n) again from an exact-size copy; abort unless it is 'want'. */
static void
reparse_path(const char *s, size_t n, unsigned flags, const struct addr *want)
{
	struct addr again;
	const char *why = NULL;
	size_t used = 0;
	char *copy = malloc(n ? n : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, s, n);
	if (addr_parse_path(copy, n, flags, &again, &used, &why) != 0 ||
	    used != n || !same_addr(want, &again))
		abort();
	free(copy);
}

static void
check_mailbox(const char *p, size_t n, unsigned flags)
{
	struct addr a, again;
	struct sbuf f;
	const char *why = NULL;

	if (addr_parse(p, n, flags, &a, &why) != 0) {
		if (why == NULL)
			abort();
		return;
	}
	if (a.local_len > ADDR_LOCAL_MAX || a.domain_len > ADDR_DOMAIN_MAX ||
	    strlen(a.local) != a.local_len || strlen(a.domain) != a.domain_len)
		abort();
	sbuf_init(&f, ADDR_FORMAT_MAX);
	if (addr_format(&a, &f) != 0 || f.len > n)
		abort();
	if (addr_parse(f.s, f.len, flags, &again, &why) != 0 ||
	    !same_addr(&a, &again))
		abort();
	if (addr_key(&a, 1, &f) != 0)
		abort();
	addr_normalize(&a);
	sbuf_fini(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct addr a;
	struct sbuf f;
	const char *why = NULL, *p;
	size_t used = 0, n, baselen, extlen;
	const char *ext;
	unsigned flags;
	int rc;

	if (size < 1)
		return 0;
	flags = data[0] & (ADDR_UTF8 | ADDR_NULL_OK | ADDR_POSTMASTER_OK);
	p = (const char *)data + 1;
	n = size - 1;
	rc = addr_parse_path(p, n, flags, &a, &used, &why);
	if (rc != 0 && (why == NULL || used != 0))
		abort();
	if (rc == 0) {
		if (used < 2 || used > n || used > ADDR_PATH_MAX ||
		    p[used - 1] != '>')
			abort();
		sbuf_init(&f, ADDR_FORMAT_MAX);
		if (addr_format_path(&a, &f) != 0 || f.len > used)
			abort();
		reparse_path(f.s, f.len, flags, &a);
		(void)addr_split_delim(a.local, a.local_len, "+-", &baselen,
		    &ext, &extlen);
		if (baselen > a.local_len)
			abort();
		sbuf_fini(&f);
	}
	check_mailbox(p, n, flags);
	return 0;
}
