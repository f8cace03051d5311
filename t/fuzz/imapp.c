/*
 * Fuzz target: imapp_parse() and imapp_line_literal() on arbitrary bytes.
 * Checks: a failure always has a reason; every token lies inside the
 * input or the cmd's string arena; the tree is consistent (kids counted,
 * next links inside the array and forward).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_tree(const struct imapp_cmd *c, const char *buf, size_t size)
{
	uint32_t k;

	if (c->ntok == 0 || c->tok[0].type != IMAPP_T_LIST ||
	    c->nargs != c->tok[0].nkids)
		abort();
	for (k = 0; k < c->ntok; k++) {
		const struct imapp_tok *t = &c->tok[k];
		int in_buf = t->p >= buf && t->n <= size &&
		    (size_t)(t->p - buf) <= size - t->n;
		int in_str = t->p >= c->str && t->n <= c->strcap &&
		    (size_t)(t->p - c->str) <= c->strcap - t->n;

		if (t->next != 0 && (t->next <= k || t->next >= c->ntok))
			abort();
		if (t->type == IMAPP_T_LIST)
			continue;
		if (!in_buf && !in_str)
			abort();
		if (t->type == IMAPP_T_SECTION && (t->sec == NULL ||
		    t->sec->nfields != t->nkids))
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct imapp_cmd c;
	static int init;
	const char *buf = (const char *)data, *why = NULL;
	uint64_t n;
	int ns, bin, r;

	if (!init) {
		imapp_cmd_init(&c);
		init = 1;
	}
	r = imapp_line_literal(buf, size, 0, &n, &ns, &bin);
	if (r < -1 || r > 1 || (r == 1 && n > UINT32_MAX))
		abort();
	r = imapp_parse(buf, size, NULL, &c, &why);
	if (r != 0) {
		if (why == NULL || r > 0)
			abort();
		return 0;
	}
	check_tree(&c, buf, size);
	return 0;
}
