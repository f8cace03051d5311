/* UNSAFE: offset arithmetic over header values and the message; every
 * index is checked against its length.  IMAP views of a MIME tree:
 * BODY, BODYSTRUCTURE, ENVELOPE and BODY[section]; see mime.h. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "lib/imapfmt.h"
#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

#define EMPTY_BODY \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 0 0"

#define CAT(o, lit)	sbuf_cat_n((o), (lit), sizeof(lit) - 1)

static int
nstr(struct sbuf *o, const struct mime_str *s)
{
	return imapfmt_nstring(o, s->s, s->n);
}

static int
params(struct sbuf *o, const struct mime_param *p, size_t n, int text)
{
	size_t i;
	int seen = 0;

	if (n == 0 && !text)
		return CAT(o, "NIL");
	if (CAT(o, "(") < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (i > 0 && CAT(o, " ") < 0)
			return -1;
		if (mime_eq(p[i].name.s, p[i].name.n, "charset"))
			seen = 1;
		if (nstr(o, &p[i].name) < 0 || CAT(o, " ") < 0 ||
		    imapfmt_string(o, p[i].value.s, p[i].value.n) < 0)
			return -1;
	}
	if (text && !seen) {
		if (n > 0 && CAT(o, " ") < 0)
			return -1;
		if (CAT(o, "\"charset\" \"us-ascii\"") < 0)
			return -1;
	}
	return CAT(o, ")");
}

/* disposition language location, with their leading spaces. */
static int
ext_common(struct sbuf *o, const struct mime_part *p)
{
	size_t i;

	if (CAT(o, " ") < 0)
		return -1;
	if (p->disposition.s == NULL) {
		if (CAT(o, "NIL") < 0)
			return -1;
	} else if (CAT(o, "(") < 0 || nstr(o, &p->disposition) < 0 ||
	    CAT(o, " ") < 0 ||
	    params(o, p->disp_params, p->ndisp_params, 0) < 0 ||
	    CAT(o, ")") < 0)
		return -1;
	if (CAT(o, " ") < 0)
		return -1;
	if (p->nlanguages == 0) {
		if (CAT(o, "NIL") < 0)
			return -1;
	} else {
		if (CAT(o, "(") < 0)
			return -1;
		for (i = 0; i < p->nlanguages; i++)
			if ((i > 0 && CAT(o, " ") < 0) ||
			    nstr(o, &p->languages[i]) < 0)
				return -1;
		if (CAT(o, ")") < 0)
			return -1;
	}
	if (CAT(o, " ") < 0)
		return -1;
	return nstr(o, &p->location);
}

static int bs_part(struct sbuf *, const char *, const struct mime_part *,
    int);

static int
bs_multipart(struct sbuf *o, const char *msg, const struct mime_part *p,
    int ext)
{
	const struct mime_part *c;

	if (CAT(o, "(") < 0)
		return -1;
	if (p->child == NULL) {
		if (CAT(o, EMPTY_BODY) < 0 ||
		    (ext && CAT(o, " NIL NIL NIL NIL") < 0) || CAT(o, ")") < 0)
			return -1;
	}
	for (c = p->child; c != NULL; c = c->next)
		if (bs_part(o, msg, c, ext) < 0)
			return -1;
	if (CAT(o, " ") < 0 || nstr(o, &p->subtype) < 0)
		return -1;
	if (ext && (CAT(o, " ") < 0 ||
	    params(o, p->params, p->nparams, 0) < 0 || ext_common(o, p) < 0))
		return -1;
	return CAT(o, ")");
}

/* The embedded message of a message/rfc822 part cut off by a limit:
 * its header's envelope and an empty body. */
static int
bs_msg_leaf(struct sbuf *o, const char *msg, const struct mime_part *p,
    int ext)
{
	const char *b = msg + p->body_off;
	size_t i = 0, hl = p->body_len;

	while (i < p->body_len) {
		const char *nl = memchr(b + i, '\n', p->body_len - i);

		if (nl == NULL)
			break;
		i = (size_t)(nl - b) + 1;
		if (i < p->body_len && (b[i] == '\n' || (b[i] == '\r' &&
		    i + 1 < p->body_len && b[i + 1] == '\n'))) {
			hl = i;
			break;
		}
	}
	if (CAT(o, " ") < 0 || mime_envelope(o, b, hl) < 0 ||
	    CAT(o, " ") < 0 || CAT(o, EMPTY_BODY) < 0 ||
	    (ext && CAT(o, " NIL NIL NIL NIL") < 0) || CAT(o, ")") < 0)
		return -1;
	return 0;
}

/* A root text/plain part with nothing but charset=us-ascii: Dovecot
 * caches only that fact and prints the defaults in lower case. */
#define PLAIN_7BIT \
	"(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""

static int
plain_7bit(const struct mime_part *p)
{
	return p->is_text && mime_eq(p->subtype.s, p->subtype.n, "plain") &&
	    (p->nparams == 0 || (p->nparams == 1 &&
	    mime_eq(p->params[0].name.s, p->params[0].name.n, "charset") &&
	    mime_eq(p->params[0].value.s, p->params[0].value.n, "us-ascii"))) &&
	    p->id.s == NULL && p->description.s == NULL &&
	    (p->encoding.s == NULL ||
	    mime_eq(p->encoding.s, p->encoding.n, "7bit")) &&
	    p->md5.s == NULL && p->disposition.s == NULL &&
	    p->nlanguages == 0 && p->location.s == NULL;
}

static int
bs_part(struct sbuf *o, const char *msg, const struct mime_part *p, int ext)
{
	static const struct mime_str bit7 = { "7bit", 4 };
	int msgtype;

	if (p->is_multipart)
		return bs_multipart(o, msg, p, ext);
	if (p->parent == NULL && plain_7bit(p))
		return sbuf_printf(o, "%s %" PRIu64 " %" PRIu64 "%s)", PLAIN_7BIT,
		    p->body_vsize, p->body_lines, ext ? " NIL NIL NIL NIL" : "");
	msgtype = mime_eq(p->type.s, p->type.n, "message") &&
	    (mime_eq(p->subtype.s, p->subtype.n, "rfc822") ||
	    mime_eq(p->subtype.s, p->subtype.n, "global"));
	if (CAT(o, "(") < 0 || nstr(o, &p->type) < 0 || CAT(o, " ") < 0 ||
	    nstr(o, &p->subtype) < 0 || CAT(o, " ") < 0 ||
	    params(o, p->params, p->nparams, p->is_text) < 0 ||
	    CAT(o, " ") < 0 || nstr(o, &p->id) < 0 || CAT(o, " ") < 0 ||
	    nstr(o, &p->description) < 0 || CAT(o, " ") < 0 ||
	    nstr(o, p->encoding.s != NULL ? &p->encoding : &bit7) < 0 ||
	    sbuf_printf(o, " %" PRIu64, p->body_vsize) < 0)
		return -1;
	if (p->is_text) {
		if (sbuf_printf(o, " %" PRIu64, p->body_lines) < 0)
			return -1;
	} else if (p->is_message) {
		const struct mime_part *r = p->msg;

		if (CAT(o, " ") < 0 ||
		    mime_envelope(o, msg + r->hdr_off, r->hdr_len) < 0 ||
		    CAT(o, " ") < 0 || bs_part(o, msg, r, ext) < 0 ||
		    sbuf_printf(o, " %" PRIu64, p->body_lines) < 0)
			return -1;
	} else if (msgtype) {
		if (bs_msg_leaf(o, msg, p, ext) < 0 ||
		    sbuf_printf(o, " %" PRIu64, p->body_lines) < 0)
			return -1;
	}
	if (ext && (CAT(o, " ") < 0 || nstr(o, &p->md5) < 0 ||
	    ext_common(o, p) < 0))
		return -1;
	return CAT(o, ")");
}

int
mime_bodystructure(struct sbuf *out, const char *msg,
    const struct mime_part *root, int extended)
{
	return bs_part(out, msg, root, extended != 0);
}

/* ---- BODY[section] ---- */

static int
spec_word(const char *s, size_t n, size_t i, const char *w)
{
	size_t l = strlen(w);

	return n - i >= l && strncasecmp(s + i, w, l) == 0 &&
	    (n - i == l || s[i + l] == ' ' || s[i + l] == '(');
}

static void
range(const struct mime_part *p, int hdr, size_t *off_r, size_t *len_r)
{
	*off_r = hdr ? p->hdr_off : p->body_off;
	*len_r = hdr ? p->hdr_len : p->body_len;
}

int
mime_section(const char *msg, const struct mime_part *root,
    const char *spec, size_t speclen, size_t *off_r, size_t *len_r)
{
	const struct mime_part *cur = root, *c;
	size_t i = 0;
	uint64_t num;
	int nums = 0, missing = 0;

	(void)msg;
	*off_r = *len_r = 0;
	while (i < speclen && spec[i] >= '0' && spec[i] <= '9') {
		if (spec[i] == '0')
			goto bad;
		for (num = 0; i < speclen && spec[i] >= '0' && spec[i] <= '9';
		    i++) {
			num = num * 10 + (uint64_t)(spec[i] - '0');
			if (num > 1000000)
				goto bad;
		}
		if (!missing) {
			if (nums > 0 && cur->is_message)
				cur = cur->msg;
			else if (nums > 0 && !cur->is_multipart)
				missing = 1;
			if (missing)
				;
			else if (cur->is_multipart) {
				for (c = cur->child; c != NULL && num > 1;
				    num--)
					c = c->next;
				if (c == NULL)
					missing = 1;
				else
					cur = c;
			} else if (num != 1)
				missing = 1;
		}
		nums++;
		if (i < speclen && spec[i] == '.')
			i++;
		else
			break;
	}
	if (nums > 0 && i == speclen && spec[speclen - 1] != '.') {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 0, off_r, len_r);
		return MIME_SEC_PART;
	}
	if (i == speclen && nums == 0) {
		*len_r = root->hdr_len + root->body_len;
		*off_r = root->hdr_off;
		return MIME_SEC_FULL;
	}
	if (nums > 0 && spec_word(spec, speclen, i, "MIME")) {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 1, off_r, len_r);
		return MIME_SEC_MIME;
	}
	if (nums > 0 && !missing) {
		if (cur->is_message)
			cur = cur->msg;
		else
			missing = 1;
	}
	if (spec_word(spec, speclen, i, "TEXT")) {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 0, off_r, len_r);
		return MIME_SEC_TEXT;
	}
	if (spec_word(spec, speclen, i, "HEADER")) {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 1, off_r, len_r);
		return MIME_SEC_HEADER;
	}
	if (spec_word(spec, speclen, i, "HEADER.FIELDS")) {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 1, off_r, len_r);
		return MIME_SEC_FIELDS;
	}
	if (spec_word(spec, speclen, i, "HEADER.FIELDS.NOT")) {
		if (missing)
			return MIME_SEC_NONE;
		range(cur, 1, off_r, len_r);
		return MIME_SEC_FIELDS_NOT;
	}
bad:
	*off_r = *len_r = 0;
	errno = EINVAL;
	return -1;
}
