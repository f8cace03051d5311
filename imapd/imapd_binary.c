/*
 * imapd_binary.c - FETCH BINARY[section]<partial>, BINARY.PEEK and
 * BINARY.SIZE (RFC 3516, RFC 9051 6.4.5): a part's body with its
 * Content-Transfer-Encoding undone (lib/mime).  Decoded data with a NUL
 * goes out as literal8 "~{n}", other data as a literal; BINARY.SIZE is
 * the size of what BINARY sends.  A part whose encoding we cannot undo
 * fails the FETCH with NO [UNKNOWN-CTE]; a part that does not exist is
 * NIL (size 0).  BINARY[] is the whole message as BODY[] sends it: a
 * message as a whole has no transfer encoding of its own.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/mime.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

/* The decoded part, or the whole message (BINARY[]); 0 ok, 1 no such
 * part (out empty), -1 with errno (ENOTSUP: unknown encoding). */
static int
decoded(struct sbuf *out, const char *msg, size_t len,
    const struct mime_part *root, const struct imapp_section *sec)
{
	const struct mime_part *p;
	int r;

	if (sec->nparts == 0) {
		sbuf_init(out, len * 2 + 2);
		return mime_crlf_cat(out, msg, len);
	}
	if ((p = mime_part_find(root, sec->part, sec->nparts)) == NULL) {
		sbuf_init(out, 1);
		return 1;
	}
	sbuf_init(out, p->body_len * 2 + 2);
	r = mime_part_decode(out, msg, p);
	if (r == 1) {
		errno = ENOTSUP;
		return -1;
	}
	return r;
}

int
imap_binary_check(const char *msg, const struct mime_part *root,
    const struct imapp_fetch *fa)
{
	const struct mime_part *p;
	const struct imapp_section *sec;
	size_t i;

	for (i = 0; i < fa->n; i++) {
		if (fa->item[i].att != IMAPP_FA_BINARY &&
		    fa->item[i].att != IMAPP_FA_BINARY_SIZE)
			continue;
		sec = fa->item[i].sec;
		if (sec == NULL || sec->nparts == 0)
			continue;
		p = mime_part_find(root, sec->part, sec->nparts);
		if (p != NULL && !mime_cte_known(p)) {
			errno = ENOTSUP;
			return -1;
		}
	}
	(void)msg;
	return 0;
}

static int
label(struct sbuf *l, const char *name, const struct imapp_section *sec)
{
	uint32_t i;
	int r = 0;

	r |= sbuf_printf(l, "%s[", name);
	for (i = 0; sec != NULL && i < sec->nparts; i++)
		r |= sbuf_printf(l, "%s%u", i ? "." : "", sec->part[i]);
	r |= sbuf_cat_c(l, ']');
	return r < 0 ? -1 : 0;
}

int
imap_fetch_binary(struct imap *s, const char *msg, size_t len,
    const struct mime_part *root, const struct imapp_fetch_item *it,
    int *started_r)
{
	const struct imapp_section *sec = it->sec;
	struct sbuf d;
	uint64_t skip = 0, n;
	int k, r = -1;

	if (sec == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((k = decoded(&d, msg, len, root, sec)) < 0) {
		sbuf_fini(&d);
		return -1;
	}
	if (it->att == IMAPP_FA_BINARY_SIZE) {
		r = label(&s->line, "BINARY.SIZE", sec);
		if (r == 0)
			r = sbuf_printf(&s->line, " %zu", d.len);
		sbuf_fini(&d);
		return r;
	}
	if (label(&s->line, "BINARY", sec) < 0)
		goto out;
	if (k == 1) {
		r = sbuf_cat_s(&s->line, " NIL");
		goto out;
	}
	n = d.len;
	if (sec->has_partial) {
		skip = sec->offset < n ? sec->offset : n;
		n -= skip;
		if (n > sec->count)
			n = sec->count;
		if (sbuf_printf(&s->line, "<%llu>",
		    (unsigned long long)sec->offset) < 0)
			goto out;
	}
	if (sbuf_printf(&s->line, " %s{%llu}\r\n",
	    memchr(d.s != NULL ? d.s + skip : "", '\0', (size_t)n) != NULL ?
	    "~" : "", (unsigned long long)n) < 0)
		goto out;
	*started_r = 1;
	if (bio_write(s->b, s->line.s, s->line.len) < 0 ||
	    (n > 0 && bio_write(s->b, d.s + skip, (size_t)n) < 0))
		goto out;
	sbuf_reset(&s->line);
	r = 0;
out:
	sbuf_fini(&d);
	return r;
}
