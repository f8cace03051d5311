/*
 * Fuzz target: the DKIM canonicalizers and signer over arbitrary messages.
 * The first byte gives the chunk size (1 + byte % 64); the rest is the
 * message.  Checks: the canonical body and the signature are the same fed
 * whole or in chunks; a signature field is well formed (CRLF lines below
 * 78 columns unless a single tag cannot be split, "DKIM-Signature:"
 * first); dkim_from_domain gives a valid name or fails.  The key is an
 * Ed25519 key made once (fast, and its signatures are deterministic).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/dkim.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
to_sbuf(void *arg, const void *p, size_t n)
{
	return sbuf_cat_n(arg, p, n);
}

static void
body(const uint8_t *p, size_t n, size_t step)
{
	struct dkim_body b;
	struct sbuf whole, parts;
	size_t i, k;

	sbuf_init(&whole, 2 * n + 16);
	sbuf_init(&parts, 2 * n + 16);
	dkim_body_init(&b, to_sbuf, &whole);
	if (dkim_body_update(&b, p, n) < 0 || dkim_body_final(&b) < 0)
		abort();
	dkim_body_init(&b, to_sbuf, &parts);
	for (i = 0; i < n; i += k) {
		k = n - i < step ? n - i : step;
		if (dkim_body_update(&b, p + i, k) < 0)
			abort();
	}
	if (dkim_body_final(&b) < 0 || whole.len != parts.len ||
	    (whole.len > 0 && memcmp(whole.s, parts.s, whole.len) != 0))
		abort();
	/* A non-empty canonical body ends in CRLF and has no blank before
	 * a line end. */
	if (whole.len > 0 && (whole.len < 2 ||
	    memcmp(whole.s + whole.len - 2, "\r\n", 2) != 0))
		abort();
	for (i = 0; i + 2 < whole.len; i++)
		if ((whole.s[i] == ' ' || whole.s[i] == '\t') &&
		    whole.s[i + 1] == '\r' && whole.s[i + 2] == '\n')
			abort();
	sbuf_fini(&whole);
	sbuf_fini(&parts);
}

static int
sign(const struct dkim_key *k, const uint8_t *p, size_t n, size_t step,
    struct sbuf *out)
{
	struct dkim_sign *s = dkim_sign_init(k, "example.com", "fuzz", NULL,
	    NULL);
	size_t i, c;
	int rc = 0;

	if (s == NULL)
		abort();
	dkim_sign_set_time(s, 1700000000);
	for (i = 0; i < n && rc == 0; i += c) {
		c = step == 0 || n - i < step ? n - i : step;
		rc = dkim_sign_update(s, p + i, c);
	}
	if (rc == 0)
		rc = dkim_sign_final(s, out, NULL);
	dkim_sign_free(&s);
	return rc;
}

static void
check_field(const struct sbuf *f)
{
	size_t i;

	if (f->len < 17 || memcmp(f->s, "DKIM-Signature: ", 16) != 0 ||
	    memcmp(f->s + f->len - 2, "\r\n", 2) != 0)
		abort();
	for (i = 0; i < f->len; i++)
		if ((f->s[i] == '\r') != (i + 1 < f->len && f->s[i + 1] == '\n'))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dkim_key *key;
	struct sbuf a, b, dom;
	size_t step;
	int ra, rb;

	if (size < 1)
		return 0;
	if (key == NULL && dkim_key_generate(DKIM_ED25519_SHA256, 0, &key,
	    NULL) < 0)
		abort();
	step = 1 + data[0] % 64;
	data++;
	size--;
	body(data, size, step);

	sbuf_init(&a, DKIM_SIG_MAX);
	sbuf_init(&b, DKIM_SIG_MAX);
	ra = sign(key, data, size, 0, &a);
	rb = sign(key, data, size, step, &b);
	if (ra != rb || a.len != b.len ||
	    (a.len > 0 && memcmp(a.s, b.s, a.len) != 0))
		abort();
	if (ra == 0)
		check_field(&a);
	sbuf_fini(&a);
	sbuf_fini(&b);

	sbuf_init(&dom, DKIM_NAME_MAX + 1);
	if (dkim_from_domain(data, size, &dom, NULL) == 0 &&
	    !dkim_name_valid(sbuf_str(&dom)))
		abort();
	sbuf_fini(&dom);
	sbuf_init(&a, 2 * size + 16);
	(void)dkim_canon_header(data, size, &a);
	sbuf_fini(&a);
	return 0;
}
