/* dkim.c - DKIM canonicalization and signing (RFC 6376, RFC 8463); see dkim.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <bsd/string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "lib/base64.h"
#include "lib/dkim.h"
#include "lib/dkim_int.h"
#include "lib/mem.h"
#include "lib/sbuf.h"

/* Longest line we write: "< 78 columns" with room to spare. */
#define DKIM_FOLD_COL		76
#define DKIM_TAB_COLS		8	/* a continuation tab, as displayed */
#define DKIM_H_NAME_MAX		64	/* a List-* name longer is not signed */

const char *const dkim_default_headers[] = {
	"From", "To", "Cc", "Subject", "Date", "Message-ID", "In-Reply-To",
	"References", "MIME-Version", "Content-Type",
	"Content-Transfer-Encoding", "Reply-To", "List-*", NULL
};

void
dkim_why(struct sbuf *why_r, const char *fmt, ...)
{
	va_list ap;

	if (why_r == NULL)
		return;
	sbuf_reset(why_r);
	va_start(ap, fmt);
	/* A reason longer than why_r->max stays empty: never mind. */
	(void)sbuf_vprintf(why_r, fmt, ap);
	va_end(ap);
}

void
dkim_why_ssl(struct sbuf *why_r)
{
	char buf[256];
	unsigned long e;

	while ((e = ERR_get_error()) != 0) {
		if (why_r == NULL)
			continue;
		ERR_error_string_n(e, buf, sizeof buf);
		(void)sbuf_printf(why_r, ": %s", buf);
	}
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * Header fields (RFC 6376 3.4.2).
 */

int
dkim_canon_header(const void *field, size_t n, struct sbuf *out)
{
	const unsigned char *p = field;
	const unsigned char *colon = memchr(p, ':', n);
	size_t i, name_end = colon ? (size_t)(colon - p) : n;
	size_t start = out->len;
	int wsp = 0, any = 0;

	/* The name: lowercased, blanks before the colon dropped. */
	while (name_end > 0 && (is_wsp(p[name_end - 1]) ||
	    p[name_end - 1] == '\r' || p[name_end - 1] == '\n'))
		name_end--;
	for (i = 0; i < name_end; i++) {
		int c = p[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (sbuf_cat_c(out, c) < 0)
			goto fail;
	}
	if (sbuf_cat_c(out, ':') < 0)
		goto fail;
	/* The value: unfolded, blank runs to one SP, no blanks at the ends. */
	for (i = colon ? (size_t)(colon - p) + 1 : n; i < n; i++) {
		int c = p[i];

		if (c == '\n' || (c == '\r' && i + 1 < n && p[i + 1] == '\n'))
			continue;
		if (c == '\r' && i + 1 == n)
			continue;
		if (is_wsp(c)) {
			wsp = 1;
			continue;
		}
		if (wsp && any && sbuf_cat_c(out, ' ') < 0)
			goto fail;
		wsp = 0;
		any = 1;
		if (sbuf_cat_c(out, c) < 0)
			goto fail;
	}
	if (sbuf_cat_n(out, "\r\n", 2) < 0)
		goto fail;
	return 0;
fail:
	sbuf_truncate(out, start);
	return -1;
}

/*
 * The body (RFC 6376 3.4.4), a byte at a time in effect: line ends and
 * blanks are held back until a byte that is not one of them shows they
 * were not at the end of a line or of the body.
 */

void
dkim_body_init(struct dkim_body *b, int (*emit)(void *, const void *, size_t),
    void *arg)
{
	memset(b, 0, sizeof(*b));
	b->emit = emit;
	b->arg = arg;
}

static int
body_emit(struct dkim_body *b, const void *p, size_t n)
{
	if (b->failed)
		return -1;
	if (b->emit(b->arg, p, n) < 0) {
		b->failed = 1;
		return -1;
	}
	b->any = 1;
	return 0;
}

/* Before a content byte: the line ends and the blank held back. */
static int
body_flush(struct dkim_body *b)
{
	static const char crlfs[] =
	    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
	uint64_t k;

	while (b->crlfs > 0) {
		k = b->crlfs < 16 ? b->crlfs : 16;
		if (body_emit(b, crlfs, (size_t)k * 2) < 0)
			return -1;
		b->crlfs -= k;
	}
	if (b->wsp) {
		b->wsp = 0;
		if (body_emit(b, " ", 1) < 0)
			return -1;
	}
	return 0;
}

static void
body_eol(struct dkim_body *b)
{
	b->wsp = 0;
	b->crlfs++;
}

int
dkim_body_update(struct dkim_body *b, const void *data, size_t n)
{
	const unsigned char *p = data;
	size_t i = 0, j;

	if (b->failed)
		return -1;
	while (i < n) {
		int c = p[i];

		if (b->cr) {
			/* CR LF, or a bare CR: one line end either way. */
			b->cr = 0;
			body_eol(b);
			if (c == '\n') {
				i++;
				continue;
			}
		}
		if (c == '\r') {
			b->cr = 1;
			i++;
		} else if (c == '\n') {
			body_eol(b);
			i++;
		} else if (is_wsp(c)) {
			b->wsp = 1;
			i++;
		} else {
			for (j = i + 1; j < n && p[j] != '\r' && p[j] != '\n' &&
			    !is_wsp(p[j]); j++)
				;
			if (body_flush(b) < 0 || body_emit(b, p + i, j - i) < 0)
				return -1;
			i = j;
		}
	}
	return 0;
}

int
dkim_body_final(struct dkim_body *b)
{
	if (b->failed)
		return -1;
	/* Trailing blanks and empty lines go; a non-empty body ends in CRLF. */
	b->wsp = 0;
	b->crlfs = 0;
	b->cr = 0;
	if (b->any && body_emit(b, "\r\n", 2) < 0)
		return -1;
	return 0;
}

/*
 * The signer.
 */

struct field {
	size_t	off, len;	/* in hdr, line ends included */
	size_t	name_len;	/* SIZE_MAX: no usable name */
};

struct dkim_sign {
	const struct dkim_key	*key;
	char			 domain[DKIM_NAME_MAX + 1];
	char			 selector[DKIM_NAME_MAX + 1];
	const char *const	*headers;
	int64_t			 t;
	struct sbuf		 hdr;	/* header block, CRLF line ends */
	size_t			 line_start;
	int			 in_body;
	int			 hcr;	/* the header's last byte was a CR */
	EVP_MD_CTX		*bctx;	/* SHA-256 of the canonical body */
	struct dkim_body	 body;
	const char		*err;	/* first failure of update */
	int			 err_errno;
	struct field		*fields;
	size_t			 nfields;
};

static int
body_to_sha(void *arg, const void *p, size_t n)
{
	return EVP_DigestUpdate(arg, p, n) == 1 ? 0 : -1;
}

/* Letters, digits, '-', '_', dots between non-empty labels of <= 63. */
int
dkim_name_valid(const char *s)
{
	size_t i, label = 0, n = strlen(s);

	if (n == 0 || n > DKIM_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0;
}

struct dkim_sign *
dkim_sign_init(const struct dkim_key *key, const char *domain,
    const char *selector, const char *const *headers, struct sbuf *why_r)
{
	struct dkim_sign *s;

	if (key == NULL || !dkim_name_valid(domain) ||
	    !dkim_name_valid(selector)) {
		dkim_why(why_r, "no key, or a bad domain or selector");
		errno = EINVAL;
		return NULL;
	}
	if ((s = mem_alloc(1, sizeof(*s))) == NULL) {
		dkim_why(why_r, "out of memory");
		return NULL;
	}
	s->key = key;
	(void)strlcpy(s->domain, domain, sizeof s->domain);
	(void)strlcpy(s->selector, selector, sizeof s->selector);
	s->headers = headers ? headers : dkim_default_headers;
	s->t = (int64_t)time(NULL);
	sbuf_init(&s->hdr, DKIM_HEADER_MAX);
	if ((s->bctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(s->bctx, EVP_sha256(), NULL) != 1) {
		dkim_why(why_r, "SHA-256");
		dkim_why_ssl(why_r);
		dkim_sign_free(&s);
		errno = ENOMEM;
		return NULL;
	}
	dkim_body_init(&s->body, body_to_sha, s->bctx);
	return s;
}

void
dkim_sign_set_time(struct dkim_sign *s, int64_t t)
{
	s->t = t;
}

void
dkim_sign_free(struct dkim_sign **sp)
{
	struct dkim_sign *s = *sp;

	if (s == NULL)
		return;
	EVP_MD_CTX_free(s->bctx);
	sbuf_fini(&s->hdr);
	free(s->fields);
	free(s);
	*sp = NULL;
}

static int
sign_fail(struct dkim_sign *s, const char *why, int e)
{
	if (s->err == NULL) {
		s->err = why;
		s->err_errno = e;
	}
	errno = s->err_errno;
	return -1;
}

/* A line end in the header block (stored as CRLF; the block holds no
 * other CR or LF): the empty line ends it. */
static int
header_eol(struct dkim_sign *s)
{
	struct sbuf *h = &s->hdr;

	if (h->len == s->line_start) {
		s->in_body = 1;
		return 0;
	}
	if (sbuf_cat_n(h, "\r\n", 2) < 0)
		return -1;
	s->line_start = h->len;
	return 0;
}

int
dkim_sign_update(struct dkim_sign *s, const void *data, size_t n)
{
	const char *p = data;
	size_t i = 0, k;

	if (s->err != NULL)
		return sign_fail(s, s->err, s->err_errno);
	while (!s->in_body && i < n) {
		if (s->hcr) {
			/* CR LF, or a bare CR: one line end either way. */
			s->hcr = 0;
			if (header_eol(s) < 0)
				goto fail;
			if (p[i] == '\n')
				i++;
			continue;
		}
		for (k = i; k < n && p[k] != '\r' && p[k] != '\n'; k++)
			;
		if (sbuf_cat_n(&s->hdr, p + i, k - i) < 0)
			goto fail;
		i = k;
		if (i == n)
			break;
		if (p[i++] == '\r')
			s->hcr = 1;
		else if (header_eol(s) < 0)
			goto fail;
	}
	if (i < n && dkim_body_update(&s->body, p + i, n - i) < 0)
		return sign_fail(s, "SHA-256 of the body failed", EIO);
	return 0;
fail:
	return sign_fail(s, errno == E2BIG ? "header block too large" :
	    "out of memory", errno);
}

/* Split the header block into fields (a line starting with a blank
 * continues the field before it). */
static int
header_fields(struct dkim_sign *s)
{
	const char *h = s->hdr.s;
	size_t pos = 0, cap = 0, end;
	const char *nl, *colon;

	while (pos < s->hdr.len) {
		nl = memchr(h + pos, '\n', s->hdr.len - pos);
		end = nl ? (size_t)(nl - h) + 1 : s->hdr.len;
		if (is_wsp(h[pos]) && s->nfields > 0) {
			s->fields[s->nfields - 1].len = end -
			    s->fields[s->nfields - 1].off;
			pos = end;
			continue;
		}
		if (s->nfields == DKIM_FIELDS_MAX) {
			errno = EINVAL;
			return -1;
		}
		if (s->nfields == cap) {
			struct field *f;

			cap = cap ? cap * 2 : 32;
			if ((f = mem_realloc(s->fields, cap, sizeof(*f))) ==
			    NULL)
				return -1;
			s->fields = f;
		}
		s->fields[s->nfields].off = pos;
		s->fields[s->nfields].len = end - pos;
		colon = memchr(h + pos, ':', end - pos);
		s->fields[s->nfields].name_len = SIZE_MAX;
		if (colon != NULL && !is_wsp(h[pos])) {
			size_t nlen = (size_t)(colon - (h + pos));

			while (nlen > 0 && is_wsp(h[pos + nlen - 1]))
				nlen--;
			s->fields[s->nfields].name_len = nlen;
		}
		s->nfields++;
		pos = end;
	}
	return 0;
}

/* A field name we may write in h=: ftext (RFC 5322 3.6.8). */
static int
name_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n == SIZE_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] < 33 || p[i] > 126 || p[i] == ':')
			return 0;
	return 1;
}

static int
field_is(const struct dkim_sign *s, const struct field *f, const char *name,
    size_t n)
{
	return f->name_len == n && strncasecmp(s->hdr.s + f->off, name, n) == 0;
}

/* Is name already in h= ("a:b:c", lowercase)? */
static int
h_has(const struct sbuf *h, const char *name, size_t n)
{
	size_t pos = 0, k;
	const char *c;

	while (pos < h->len) {
		c = memchr(h->s + pos, ':', h->len - pos);
		k = c ? (size_t)(c - (h->s + pos)) : h->len - pos;
		if (k == n && strncasecmp(h->s + pos, name, n) == 0)
			return 1;
		pos += k + 1;
	}
	return 0;
}

/* List one name in h= once per instance (bottom-up), once more for From,
 * and append the instances' canonical forms to data. */
static int
sign_name(struct dkim_sign *s, const char *name, size_t n, struct sbuf *h,
    struct sbuf *data)
{
	size_t i, k, count = 0;
	int is_from = n == 4 && strncasecmp(name, "from", 4) == 0;

	if (!name_ok(name, n) || h_has(h, name, n))
		return 0;
	for (i = s->nfields; i > 0 && count < DKIM_INSTANCES_MAX; i--) {
		const struct field *f = &s->fields[i - 1];

		if (!field_is(s, f, name, n))
			continue;
		count++;
		if (dkim_canon_header(s->hdr.s + f->off, f->len, data) < 0)
			return -1;
	}
	for (i = 0; i < count + (size_t)is_from; i++) {
		if (h->len > 0 && sbuf_cat_c(h, ':') < 0)
			return -1;
		for (k = 0; k < n; k++) {
			int c = (unsigned char)name[k];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (sbuf_cat_c(h, c) < 0)
				return -1;
		}
	}
	return 0;
}

/* "List-*": every distinct name with that prefix, in order of appearance. */
static int
sign_prefix(struct dkim_sign *s, const char *prefix, size_t n,
    struct sbuf *h, struct sbuf *data)
{
	size_t i, names = 0;

	for (i = 0; i < s->nfields && names < DKIM_INSTANCES_MAX; i++) {
		const struct field *f = &s->fields[i];
		const char *name = s->hdr.s + f->off;

		if (f->name_len == SIZE_MAX || f->name_len < n ||
		    f->name_len > DKIM_H_NAME_MAX ||
		    strncasecmp(name, prefix, n) != 0 ||
		    h_has(h, name, f->name_len))
			continue;
		names++;
		if (sign_name(s, name, f->name_len, h, data) < 0)
			return -1;
	}
	return 0;
}

static int
select_headers(struct dkim_sign *s, struct sbuf *h, struct sbuf *data)
{
	const char *const *p;
	size_t i, froms = 0, n;

	for (i = 0; i < s->nfields; i++)
		if (field_is(s, &s->fields[i], "from", 4))
			froms++;
	if (froms != 1) {
		errno = EINVAL;
		return -1;
	}
	if (sign_name(s, "from", 4, h, data) < 0)
		return -1;
	for (p = s->headers; *p != NULL; p++) {
		n = strlen(*p);
		if (n > 0 && (*p)[n - 1] == '*') {
			if (sign_prefix(s, *p, n - 1, h, data) < 0)
				return -1;
		} else if (sign_name(s, *p, n, h, data) < 0)
			return -1;
	}
	return 0;
}

/*
 * Folding the field we write.
 */

struct fold {
	struct sbuf	*sb;
	size_t		 col;
};

static int
fold_break(struct fold *f)
{
	f->col = DKIM_TAB_COLS;
	return sbuf_cat_n(f->sb, "\r\n\t", 3);
}

/* A tag that is not split: after a space, or on a new line. */
static int
fold_word(struct fold *f, const char *w, size_t n)
{
	if (f->col + 1 + n > DKIM_FOLD_COL) {
		if (fold_break(f) < 0)
			return -1;
	} else {
		if (sbuf_cat_c(f->sb, ' ') < 0)
			return -1;
		f->col++;
	}
	f->col += n;
	return sbuf_cat_n(f->sb, w, n);
}

/* A piece that may start a new line without a blank before it (after a
 * ':' in h=, inside base64: both allow FWS there). */
static int
fold_piece(struct fold *f, const char *w, size_t n)
{
	if (f->col + n > DKIM_FOLD_COL && fold_break(f) < 0)
		return -1;
	f->col += n;
	return sbuf_cat_n(f->sb, w, n);
}

static int
fold_h(struct fold *f, const struct sbuf *h)
{
	size_t pos = 0, k;
	const char *c;
	char piece[DKIM_H_NAME_MAX + 8];

	while (pos < h->len) {
		c = memchr(h->s + pos, ':', h->len - pos);
		k = c ? (size_t)(c - (h->s + pos)) : h->len - pos;
		if (k > DKIM_H_NAME_MAX) {
			errno = E2BIG;
			return -1;
		}
		if (snprintf(piece, sizeof piece, "%s%.*s%c",
		    pos == 0 ? "h=" : "", (int)k, h->s + pos,
		    c ? ':' : ';') >= (int)sizeof piece)
			return -1;
		if ((pos == 0 ? fold_word(f, piece, strlen(piece)) :
		    fold_piece(f, piece, strlen(piece))) < 0)
			return -1;
		pos += k + 1;
	}
	return 0;
}

static int
fold_b64(struct fold *f, const char *p, size_t n)
{
	size_t room, k;

	while (n > 0) {
		room = f->col < DKIM_FOLD_COL ? DKIM_FOLD_COL - f->col : 0;
		if (room == 0) {
			if (fold_break(f) < 0)
				return -1;
			continue;
		}
		k = n < room ? n : room;
		if (fold_piece(f, p, k) < 0)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* The field up to and including "b=" (what is hashed, RFC 6376 3.7). */
static int
sig_head(struct dkim_sign *s, const struct sbuf *h,
    const unsigned char *bh, struct fold *f)
{
	struct sbuf t;
	int rc = -1;

	sbuf_init(&t, DKIM_SIG_MAX);
	if (sbuf_cat_s(f->sb, "DKIM-Signature:") < 0)
		goto out;
	f->col = strlen("DKIM-Signature:");
#define WORD(...) \
	(sbuf_reset(&t), sbuf_printf(&t, __VA_ARGS__) < 0 || \
	    fold_word(f, t.s, t.len) < 0)
	if (WORD("v=1;") ||
	    WORD("a=%s;", s->key->alg == DKIM_RSA_SHA256 ? "rsa-sha256" :
	    "ed25519-sha256") ||
	    WORD("c=relaxed/relaxed;") || WORD("d=%s;", s->domain) ||
	    WORD("s=%s;", s->selector) || WORD("t=%lld;", (long long)s->t))
		goto out;
#undef WORD
	if (fold_h(f, h) < 0)
		goto out;
	sbuf_reset(&t);
	if (sbuf_cat_s(&t, "bh=") < 0 || base64_encode(bh, 32, &t) < 0 ||
	    sbuf_cat_c(&t, ';') < 0 || fold_word(f, t.s, t.len) < 0 ||
	    fold_word(f, "b=", 2) < 0)
		goto out;
	rc = 0;
out:
	sbuf_fini(&t);
	return rc;
}

static int
sign_digest(const struct dkim_key *k, const unsigned char *md,
    struct sbuf *sig, struct sbuf *why_r)
{
	EVP_PKEY_CTX *pc = NULL;
	EVP_MD_CTX *mc = NULL;
	size_t len = 0;
	int rc = -1, size = EVP_PKEY_get_size(k->pkey);

	if (size <= 0 || sbuf_reserve(sig, (size_t)size) < 0)
		goto out;
	len = (size_t)size;
	if (k->alg == DKIM_RSA_SHA256) {
		if ((pc = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL)) ==
		    NULL || EVP_PKEY_sign_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) != 1 ||
		    EVP_PKEY_sign(pc, (unsigned char *)sig->s, &len, md, 32) !=
		    1)
			goto out;
	} else {
		/* RFC 8463 3: Ed25519 (pure) over the SHA-256 hash. */
		if ((mc = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestSignInit_ex(mc, NULL, NULL, NULL, NULL, k->pkey,
		    NULL) != 1 ||
		    EVP_DigestSign(mc, (unsigned char *)sig->s, &len, md, 32) !=
		    1)
			goto out;
	}
	sig->len = len;
	rc = 0;
out:
	if (rc < 0) {
		dkim_why(why_r, "signing failed");
		dkim_why_ssl(why_r);
		errno = EIO;
	}
	EVP_PKEY_CTX_free(pc);
	EVP_MD_CTX_free(mc);
	return rc;
}

/* Finish the header block and the body hash. */
static int
final_input(struct dkim_sign *s, unsigned char *bh, struct sbuf *why_r)
{
	unsigned int bhlen = 0;
	struct sbuf *h = &s->hdr;

	if (s->err != NULL) {
		dkim_why(why_r, "%s", s->err);
		errno = s->err_errno;
		return -1;
	}
	if (s->hcr) {
		s->hcr = 0;
		if (header_eol(s) < 0) {
			dkim_why(why_r, "header block too large");
			return -1;
		}
	}
	if (!s->in_body && h->len > s->line_start &&
	    sbuf_cat_n(h, "\r\n", 2) < 0) {
		/* The last header line had no line end. */
		dkim_why(why_r, "header block too large");
		return -1;
	}
	if (dkim_body_final(&s->body) < 0 ||
	    EVP_DigestFinal_ex(s->bctx, bh, &bhlen) != 1 || bhlen != 32) {
		dkim_why(why_r, "SHA-256 of the body failed");
		dkim_why_ssl(why_r);
		errno = EIO;
		return -1;
	}
	if (header_fields(s) < 0) {
		dkim_why(why_r, errno == EINVAL ? "too many header fields" :
		    "out of memory");
		return -1;
	}
	return 0;
}

int
dkim_sign_final(struct dkim_sign *s, struct sbuf *out, struct sbuf *why_r)
{
	unsigned char bh[32], md[32];
	unsigned int mdlen = 0;
	struct sbuf h, data, field, sig, b64;
	struct fold f;
	size_t start = out->len;
	int rc = -1;

	sbuf_init(&h, DKIM_SIG_MAX);
	sbuf_init(&data, DKIM_HEADER_MAX + DKIM_SIG_MAX);
	sbuf_init(&field, DKIM_SIG_MAX);
	sbuf_init(&sig, DKIM_SIG_MAX);
	sbuf_init(&b64, DKIM_SIG_MAX);
	if (final_input(s, bh, why_r) < 0)
		goto out;
	if (select_headers(s, &h, &data) < 0) {
		dkim_why(why_r, errno == EINVAL ?
		    "the message does not have exactly one From field" :
		    "out of memory");
		goto out;
	}
	f.sb = &field;
	f.col = 0;
	if (sig_head(s, &h, bh, &f) < 0 ||
	    dkim_canon_header(field.s, field.len, &data) < 0) {
		dkim_why(why_r, "signature field too long");
		goto out;
	}
	/* The signature's own field is hashed without its final CRLF. */
	if (EVP_Digest(data.s, data.len - 2, md, &mdlen, EVP_sha256(), NULL) !=
	    1 || mdlen != 32) {
		dkim_why(why_r, "SHA-256 of the header failed");
		dkim_why_ssl(why_r);
		errno = EIO;
		goto out;
	}
	if (sign_digest(s->key, md, &sig, why_r) < 0)
		goto out;
	if (base64_encode(sig.s, sig.len, &b64) < 0 ||
	    fold_b64(&f, b64.s, b64.len) < 0 ||
	    sbuf_cat_n(&field, "\r\n", 2) < 0 ||
	    sbuf_cat_sbuf(out, &field) < 0) {
		dkim_why(why_r, "signature field too long");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0)
		sbuf_truncate(out, start);
	sbuf_fini(&h);
	sbuf_fini(&data);
	sbuf_fini(&field);
	sbuf_fini(&sig);
	sbuf_fini(&b64);
	return rc;
}
