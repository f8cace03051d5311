/*
 * Fuzz target: conf_load_mem() + conf_validate() + conf_dump() on arbitrary
 * bytes.  Checks that a failure always comes with messages, each of the
 * form "FILE:LINE: message", and that a valid configuration dumps.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Every line of err reads "FILE:LINE: ...". */
static int
well_formed(const struct sbuf *err)
{
	size_t i = 0, j, k;

	if (err->len == 0)
		return 0;
	while (i < err->len) {
		for (j = i; j < err->len && err->s[j] != '\n'; j++)
			;
		/* Find ":<digits>: " inside [i, j). */
		for (k = i; k < j; k++) {
			size_t d = k + 1;

			if (err->s[k] != ':')
				continue;
			while (d < j && err->s[d] >= '0' && err->s[d] <= '9')
				d++;
			if (d > k + 1 && d + 1 < j && err->s[d] == ':' &&
			    err->s[d + 1] == ' ')
				break;
		}
		if (k == j)
			return 0;
		i = j + 1;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct conf *c = NULL;
	struct sbuf err;
	char **w;
	size_t n;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	sbuf_init(&err, 1024 * 1024);
	if (conf_load_mem(data, size, "/nonexistent-tern-fuzz/tern.conf", &c,
	    &err) < 0) {
		if (c != NULL || !well_formed(&err))
			abort();
		sbuf_fini(&err);
		return 0;
	}
	if (conf_validate(c, &err) < 0) {
		if (!well_formed(&err))
			abort();
	} else {
		/* Valid: the lookups that programs make all succeed. */
		if (conf_services(c, &w, &n) < 0)
			abort();
		free(w);
		if (conf_str(c, "smtp.user") == NULL ||
		    conf_path(c, "queue_dir") == NULL)
			abort();
	}
	if (conf_dump(c, null, 0) < 0 || conf_dump(c, null, 1) < 0)
		abort();
	conf_free(&c);
	sbuf_fini(&err);
	return 0;
}
