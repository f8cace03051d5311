/*
 * Fuzz target: smtpp_parse_cmd() on arbitrary bytes, and the xtext codec.
 * The first byte selects the flags (bit 0: SMTPP_F_UTF8); the rest is the
 * command line.  Checks: a failure always has a reason; pointers handed
 * back lie inside the line; decoded fields respect their bounds; xtext
 * decoding of the encoding gives the input back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/smtpp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
inside(const char *base, size_t n, const char *p, size_t len)
{
	if (p == NULL) {
		if (len != 0)
			abort();
		return;
	}
	if (p < base || len > n || (size_t)(p - base) > n - len)
		abort();
}

static void
check_xtext(const char *p, size_t n)
{
	struct sbuf e, d;
	const char *why = NULL;

	sbuf_init(&e, 3 * n + 1);
	sbuf_init(&d, n + 1);
	if (smtpp_xtext_encode(p, n, &e) != 0 ||
	    smtpp_xtext_decode(e.s, e.len, &d, &why) != 0 || d.len != n ||
	    (n > 0 && memcmp(d.s, p, n) != 0))
		abort();
	if (smtpp_xtext_decode(p, n, &d, &why) != 0 && why == NULL)
		abort();
	sbuf_fini(&e);
	sbuf_fini(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_cmd c;
	const char *why = NULL, *line;
	size_t n;
	int rc, code;
	const char *enh = NULL;

	if (size < 1)
		return 0;
	line = (const char *)data + 1;
	n = size - 1;
	rc = smtpp_parse_cmd(line, n, data[0] & 1 ? SMTPP_F_UTF8 : 0, &c,
	    &why);
	if (rc != SMTPP_OK && why == NULL)
		abort();
	smtpp_reply(rc, c.verb, &code, &enh);
	if (code < 250 || code > 555 || enh == NULL)
		abort();
	if (rc == SMTPP_OK) {
		inside(line, n, c.arg, c.arg_len);
		inside(line, n, c.mech, c.mech_len);
		inside(line, n, c.initial, c.initial_len);
		if (c.envid_len > SMTPP_ENVID_MAX ||
		    c.orcpt_len > SMTPP_ORCPT_MAX ||
		    c.mech_len > SMTPP_MECH_MAX)
			abort();
		if (memchr(line, '\r', n) != NULL ||
		    memchr(line, '\0', n) != NULL)
			abort();
	}
	check_xtext(line, n);
	return 0;
}
