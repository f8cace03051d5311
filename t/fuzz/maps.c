/* Fuzz target: the map source parsers and the accounts record reader on
 * arbitrary input, line by line and whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/maps.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
one_line(const char *p, size_t n, struct sbuf *t)
{
	struct maps_account a;
	struct maps_slice k, text;
	enum maps_domain_kind kind;
	struct maps_nexthop h;
	struct maps_record r;
	const char *why;

	(void)maps_parse_account(p, n, &a, &why);
	(void)maps_parse_alias(p, n, &k, t, &why);
	(void)maps_parse_domain(p, n, &k, &kind, &why);
	(void)maps_parse_route(p, n, &k, &h, &text, &why);
	(void)maps_nexthop_parse(p, n, &h, &why);
	(void)maps_account_decode(p, n, &r, &why);
	(void)maps_addr_valid(p, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data, *end = p + len, *nl;
	struct sbuf t, path;

	sbuf_init(&t, MAPS_LINE_MAX);
	sbuf_init(&path, MAPS_PATH_MAX);
	one_line(p, len, &t);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		one_line(p, (size_t)((nl ? nl : end) - p), &t);
		(void)maps_maildir_path(&path, "/m", p,
		    (size_t)((nl ? nl : end) - p));
		sbuf_reset(&path);
		p = nl ? nl + 1 : end;
	}
	sbuf_fini(&t);
	sbuf_fini(&path);
	return 0;
}
