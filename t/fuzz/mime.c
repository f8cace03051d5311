/*
 * Fuzz target: mime_parse() on arbitrary bytes, then every view of the
 * tree: BODY and BODYSTRUCTURE, the ENVELOPE of every message header,
 * every section of every part (its range must lie inside the input),
 * HEADER.FIELDS filters, the decoded text of every part and header
 * decoding, and BINARY: mime_part_find must name the part whose body
 * mime_section gives for the same numbers, and every part is decoded
 * from its transfer encoding.  The input is copied to an exact-size buffer so ASan sees a
 * read past its end.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mime.h"
#include "lib/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define OUT_MAX	(1 << 22)

static void
check_range(size_t off, size_t len, size_t n)
{
	if (off > n || len > n - off)
		abort();
}

/* mime_part_find agrees with mime_section on the part numbers "1.2". */
static void
check_find(const char *m, const struct mime_part *root, const char *path)
{
	const struct mime_part *p;
	uint32_t num[64];
	size_t n = 0, off, len;
	const char *s = path;
	int kind;

	while (*s != '\0' && n < 64) {
		num[n] = 0;
		for (; *s >= '0' && *s <= '9'; s++)
			num[n] = num[n] * 10 + (uint32_t)(*s - '0');
		n++;
		if (*s == '.')
			s++;
	}
	if (*s != '\0')
		return;
	p = mime_part_find(root, num, n);
	kind = mime_section(m, root, path, strlen(path), &off, &len);
	if (kind == MIME_SEC_PART && (p == NULL || p->body_off != off ||
	    p->body_len != len))
		abort();
	if (kind == MIME_SEC_NONE && p != NULL)
		abort();
}

static void
walk(const char *m, size_t n, const struct mime_part *root,
    const struct mime_part *p, const char *path, struct sbuf *o, int budget)
{
	static const char *const sfx[] = { "", ".MIME", ".HEADER", ".TEXT",
	    ".HEADER.FIELDS (From)" };
	static const char *const names[] = { "from", "subject", "to" };
	const struct mime_part *c;
	char spec[512];
	size_t off, len, k;
	unsigned i;
	int kind;

	check_range(p->hdr_off, p->hdr_len, n);
	check_range(p->body_off, p->body_len, n);
	sbuf_reset(o);
	(void)mime_part_text(o, m, p);
	sbuf_reset(o);
	(void)mime_header_filter(o, m + p->hdr_off, p->hdr_len, names, 3, 0);
	sbuf_reset(o);
	(void)mime_part_decode(o, m, p);
	if (path[0] != '\0')
		check_find(m, root, path);
	if (p->is_message) {
		sbuf_reset(o);
		if (mime_envelope(o, m + p->msg->hdr_off, p->msg->hdr_len) < 0)
			abort();
	}
	for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]) && path[0] != '\0';
	    k++) {
		if (snprintf(spec, sizeof(spec), "%s%s", path, sfx[k]) < 0)
			abort();
		kind = mime_section(m, root, spec, strlen(spec), &off, &len);
		if (kind < 0 && k != 2 && k != 3 && k != 4)
			abort();
		if (kind >= 0)
			check_range(off, len, n);
	}
	if (budget <= 0 || strlen(path) > 400)
		return;
	if (p->is_message)
		walk(m, n, root, p->msg, path, o, budget - 1);
	for (c = p->child, i = 1; c != NULL; c = c->next, i++) {
		if (snprintf(spec, sizeof(spec), "%s%s%u", path,
		    path[0] != '\0' ? "." : "", i) < 0)
			abort();
		walk(m, n, root, c, spec, o, budget - 1);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_part *root;
	struct sbuf o;
	char *m = malloc(size ? size : 1);
	size_t off, len;
	int64_t t;
	int tz;

	if (m == NULL)
		return 0;
	memcpy(m, data, size);
	if (mime_parse(m, size, NULL, &root) < 0) {
		free(m);
		return 0;
	}
	sbuf_init(&o, OUT_MAX);
	if (mime_bodystructure(&o, m, root, 1) < 0)
		abort();
	sbuf_reset(&o);
	if (mime_bodystructure(&o, m, root, 0) < 0)
		abort();
	sbuf_reset(&o);
	if (mime_envelope(&o, m + root->hdr_off, root->hdr_len) < 0)
		abort();
	if (mime_section(m, root, "", 0, &off, &len) != MIME_SEC_FULL ||
	    off != 0 || len != size)
		abort();
	walk(m, size, root, root, "", &o, 64);
	walk(m, size, root, root, "1", &o, 64);
	sbuf_reset(&o);
	(void)mime_header_decode(&o, m, size);
	(void)mime_text_find(m, size, "\xc3\xa9t\xc3\xa9", 5);
	if (size > 4)
		(void)mime_text_find(m, size / 2, m + size / 2, size - size / 2);
	(void)mime_date_parse(m, size, &t, &tz);
	sbuf_fini(&o);
	mime_free(&root);
	free(m);
	return 0;
}
