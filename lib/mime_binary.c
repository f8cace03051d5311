/* UNSAFE: byte-level line-end conversion by index; every index is checked
 * against its length.  BINARY sections (RFC 3516, RFC 9051 6.4.5): the
 * part named by part numbers, and its body with the transfer encoding
 * undone.  See mime.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

const struct mime_part *
mime_part_find(const struct mime_part *root, const uint32_t *part, size_t n)
{
	const struct mime_part *cur = root, *c;
	uint32_t num;
	size_t i;

	for (i = 0; i < n; i++) {
		num = part[i];
		if (num == 0)
			return NULL;
		/* As mime_section: after a message/rfc822 part the numbers
		 * go into the embedded message. */
		if (i > 0 && cur->is_message)
			cur = cur->msg;
		else if (i > 0 && !cur->is_multipart)
			return NULL;
		if (cur == NULL)
			return NULL;
		if (cur->is_multipart) {
			for (c = cur->child; c != NULL && num > 1; num--)
				c = c->next;
			if (c == NULL)
				return NULL;
			cur = c;
		} else if (num != 1)
			return NULL;
	}
	return cur;
}

int
mime_crlf_cat(struct sbuf *out, const char *p, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n' || (i > 0 && p[i - 1] == '\r'))
			continue;
		if (sbuf_cat_n(out, p + from, i - from) < 0 ||
		    sbuf_cat_n(out, "\r\n", 2) < 0)
			return -1;
		from = i + 1;
	}
	return sbuf_cat_n(out, p + from, n - from);
}

int
mime_cte_known(const struct mime_part *p)
{
	const struct mime_str *e = &p->encoding;

	return e->s == NULL || e->n == 0 || mime_eq(e->s, e->n, "7bit") ||
	    mime_eq(e->s, e->n, "8bit") || mime_eq(e->s, e->n, "binary") ||
	    mime_eq(e->s, e->n, "base64") ||
	    mime_eq(e->s, e->n, "quoted-printable");
}

int
mime_part_decode(struct sbuf *out, const char *msg, const struct mime_part *p)
{
	const struct mime_str *e = &p->encoding;
	const char *b = msg + p->body_off;
	struct sbuf t;
	int r;

	if (!mime_cte_known(p))
		return 1;
	if (e->s != NULL && mime_eq(e->s, e->n, "base64"))
		return mime_b64_decode(out, b, p->body_len);
	if (e->s == NULL || !mime_eq(e->s, e->n, "quoted-printable"))
		return mime_crlf_cat(out, b, p->body_len);
	/* Quoted-printable: its hard line breaks are CRLF (RFC 2045 6.7),
	 * so the line ends are made CRLF before decoding; an encoded =0A
	 * stays a lone LF. */
	sbuf_init(&t, p->body_len * 2 + 2);
	r = mime_crlf_cat(&t, b, p->body_len);
	if (r == 0)
		r = mime_qp_decode(out, t.s != NULL ? t.s : "", t.len, 0);
	sbuf_fini(&t);
	return r;
}
