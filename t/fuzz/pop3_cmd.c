/*
 * Fuzz target: pop3p_parse() and pop3p_msgnum() on arbitrary bytes.
 * Checks: a failure always has a reason; arguments lie inside the line,
 * respect their bounds and hold no NUL, CR or LF; the argument count
 * never exceeds POP3P_ARGS.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pop3p.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop3p_cmd c;
	const char *line = (const char *)data, *why = NULL;
	uint64_t num;
	size_t i;

	if (pop3p_parse(line, size, &c, &why) != 0) {
		if (why == NULL)
			abort();
	} else {
		if (c.verb == POP3_UNKNOWN || c.nargs > POP3P_ARGS)
			abort();
		for (i = 0; i < c.nargs; i++) {
			const struct pop3p_arg *a = &c.arg[i];
			if (a->p < line || a->n == 0 || a->n > size ||
			    (size_t)(a->p - line) > size - a->n)
				abort();
			if (memchr(a->p, '\0', a->n) != NULL ||
			    memchr(a->p, '\r', a->n) != NULL ||
			    memchr(a->p, '\n', a->n) != NULL)
				abort();
			if (c.verb != POP3_PASS && c.verb != POP3_AUTH &&
			    a->n > POP3P_ARG_MAX)
				abort();
		}
	}
	if (pop3p_msgnum(line, size, &num) == 0 &&
	    (num < 1 || num > POP3P_MSGNUM_MAX))
		abort();
	return 0;
}
