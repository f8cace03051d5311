/* UNSAFE: offset arithmetic over a header block; every index is checked
 * against its length.  Header fields: see mime.h. */
#include <string.h>
#include <strings.h>

#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

void
mime_hdr_iter_init(struct mime_hdr_iter *it, const char *hdr, size_t hlen)
{
	it->hdr = hdr;
	it->len = hlen;
	it->pos = 0;
}

static size_t
line_after(const char *h, size_t len, size_t pos)
{
	const char *nl = memchr(h + pos, '\n', len - pos);

	return nl == NULL ? len : (size_t)(nl - h) + 1;
}

int
mime_hdr_next(struct mime_hdr_iter *it, struct mime_field *f)
{
	const char *h = it->hdr, *colon;
	size_t pos = it->pos, first_end, end, vend;

	if (pos >= it->len || h[pos] == '\n' || (h[pos] == '\r' &&
	    (pos + 1 == it->len || h[pos + 1] == '\n')))
		return 0;
	first_end = line_after(h, it->len, pos);
	end = first_end;
	while (end < it->len && mime_is_blank((unsigned char)h[end]))
		end = line_after(h, it->len, end);
	vend = end;
	if (vend > pos && h[vend - 1] == '\n') {
		vend--;
		if (vend > pos && h[vend - 1] == '\r')
			vend--;
	}
	f->field = h + pos;
	f->field_len = end - pos;
	colon = memchr(h + pos, ':', (first_end < vend ? first_end : vend) -
	    pos);
	f->name = h + pos;
	if (colon == NULL) {
		f->name_len = vend - pos;
		f->value = h + vend;
		f->value_len = 0;
	} else {
		f->name_len = (size_t)(colon - (h + pos));
		f->value = colon + 1;
		f->value_len = vend - (size_t)(colon + 1 - h);
	}
	while (f->name_len > 0 &&
	    mime_is_blank((unsigned char)f->name[f->name_len - 1]))
		f->name_len--;
	it->pos = end;
	return 1;
}

int
mime_header_get(struct sbuf *out, const char *hdr, size_t hlen,
    const char *name)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t i, start, stop;

	mime_hdr_iter_init(&it, hdr, hlen);
	while (mime_hdr_next(&it, &f)) {
		if (!mime_eq(f.name, f.name_len, name))
			continue;
		start = out->len;
		for (i = 0; i < f.value_len; i++) {
			if (f.value[i] == '\r' || f.value[i] == '\n')
				continue;
			if (out->len == start &&
			    mime_is_blank((unsigned char)f.value[i]))
				continue;
			if (sbuf_cat_c(out, f.value[i]) < 0)
				return -1;
		}
		stop = out->len;
		while (stop > start &&
		    mime_is_blank((unsigned char)out->s[stop - 1]))
			stop--;
		if (out->s != NULL)
			sbuf_truncate(out, stop);
		return 1;
	}
	return 0;
}

/* Append p[0..n) with every line end as CRLF; a missing last one added. */
static int
cat_crlf(struct sbuf *out, const char *p, size_t n)
{
	size_t i = 0, run;

	while (i < n) {
		for (run = 0; i + run < n && p[i + run] != '\n'; run++)
			;
		if (run > 0 && p[i + run - 1] == '\r')
			run--;
		if (sbuf_cat_n(out, p + i, run) < 0 ||
		    sbuf_cat_n(out, "\r\n", 2) < 0)
			return -1;
		i += run;
		if (i < n && p[i] == '\r')
			i++;
		if (i < n && p[i] == '\n')
			i++;
	}
	return 0;
}

int
mime_header_filter(struct sbuf *out, const char *hdr, size_t hlen,
    const char *const *names, size_t n, int not_)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t k;
	int hit;

	mime_hdr_iter_init(&it, hdr, hlen);
	while (mime_hdr_next(&it, &f)) {
		hit = 0;
		for (k = 0; k < n && !hit; k++)
			hit = mime_eq(f.name, f.name_len, names[k]);
		if (hit != (not_ != 0) && cat_crlf(out, f.field,
		    f.field_len) < 0)
			return -1;
	}
	return sbuf_cat_n(out, "\r\n", 2);
}
