/*
 * imapsort_keys.c - the sort and thread keys of one message header, as a
 * record (see imapsort.h).  The record: "TS1", a flags byte (1: has a
 * date, 2: reply or forward), the date as 8 bytes little-endian, then
 * IMAPSORT_NFIELDS strings, each a 4-byte little-endian length and the
 * bytes.
 */
/* UNSAFE: reads fixed-width fields at offsets checked against the length. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/basesubj.h"
#include "lib/imapsort.h"
#include "lib/mime.h"
#include "lib/sbuf.h"

#define REC_MAGIC	"TS1"
#define REC_HDR		12	/* magic, flags, date */

/* ---- the first address of an address list ---- */

struct first_addr {
	struct sbuf	 phrase;	/* display name, raw (RFC 2047 words) */
	struct sbuf	 comment;	/* first comment: name fallback */
	struct sbuf	 local;
	struct sbuf	 domain;
	int		 found;
};

static int
is_special(char c)
{
	return strchr("()<>@,;:\\\".[]", c) != NULL;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A comment from v[*i] == '(' (nested, quoted pairs); the first one's
 * text goes to a->comment. */
static void
comment(struct first_addr *a, const char *v, size_t n, size_t *i)
{
	size_t depth = 0, start = *i + 1;
	int keep = a->comment.len == 0;

	for (; *i < n; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < n) {
			(*i)++;
			continue;
		}
		if (v[*i] == '(')
			depth++;
		else if (v[*i] == ')' && --depth == 0)
			break;
	}
	if (keep && depth == 0 && *i > start)
		(void)sbuf_cat_n(&a->comment, v + start, *i - start);
	if (*i < n)
		(*i)++;
}

/* A quoted string from v[*i] == '"': its content (pairs undone). */
static void
quoted(struct sbuf *out, const char *v, size_t n, size_t *i)
{
	for ((*i)++; *i < n && v[*i] != '"'; (*i)++) {
		if (v[*i] == '\\' && *i + 1 < n)
			(*i)++;
		if (v[*i] != '\r' && v[*i] != '\n')
			(void)sbuf_cat_c(out, v[*i]);
	}
	if (*i < n)
		(*i)++;
}

/* Up to (not including) any of stop, skipping blanks and comments. */
static void
collect(struct first_addr *a, struct sbuf *out, const char *v, size_t n,
    size_t *i, const char *stop)
{
	while (*i < n && strchr(stop, v[*i]) == NULL) {
		if (v[*i] == '(')
			comment(a, v, n, i);
		else if (v[*i] == '"')
			quoted(out, v, n, i);
		else {
			if (!is_blank(v[*i]))
				(void)sbuf_cat_c(out, v[*i]);
			(*i)++;
		}
	}
}

/* "<[route:]local@domain>" from v[*i] == '<'. */
static void
angle(struct first_addr *a, const char *v, size_t n, size_t *i)
{
	size_t j;

	(*i)++;
	/* A source route "@a,@b:" is skipped. */
	for (j = *i; j < n && is_blank(v[j]); j++)
		;
	if (j < n && v[j] == '@') {
		while (j < n && v[j] != ':' && v[j] != '>')
			j++;
		if (j < n && v[j] == ':')
			*i = j + 1;
	}
	sbuf_reset(&a->local);
	collect(a, &a->local, v, n, i, "@>");
	if (*i < n && v[*i] == '@') {
		(*i)++;
		collect(a, &a->domain, v, n, i, ">");
	}
	a->found = 1;
}

static void
first_addr(struct first_addr *a, const char *v, size_t n)
{
	size_t i = 0;
	int words = 0;

	while (i < n && !a->found) {
		char c = v[i];

		if (is_blank(c)) {
			i++;
		} else if (c == '(') {
			comment(a, v, n, &i);
		} else if (c == '<') {
			angle(a, v, n, &i);
		} else if (c == ',' || c == ':' || c == ';') {
			/* The end of an item without an address, or a
			 * group's name: start again. */
			sbuf_reset(&a->phrase);
			sbuf_reset(&a->local);
			sbuf_reset(&a->comment);
			words = 0;
			i++;
		} else if (c == '@') {
			/* An addr-spec: the words so far are its local
			 * part, and there is no display name. */
			i++;
			sbuf_reset(&a->phrase);
			collect(a, &a->domain, v, n, &i, ",;<>");
			a->found = 1;
		} else {
			if (words++ > 0 && c != '.')
				(void)sbuf_cat_c(&a->phrase, ' ');
			if (c == '"') {
				size_t s0 = a->phrase.len;

				quoted(&a->phrase, v, n, &i);
				(void)sbuf_cat_n(&a->local, a->phrase.s + s0,
				    a->phrase.len - s0);
				continue;
			}
			if (c == '.' || is_special(c)) {
				(void)sbuf_cat_c(&a->phrase, c);
				(void)sbuf_cat_c(&a->local, c);
				i++;
				continue;
			}
			while (i < n && !is_blank(v[i]) && !is_special(v[i])) {
				(void)sbuf_cat_c(&a->phrase, v[i]);
				(void)sbuf_cat_c(&a->local, v[i]);
				i++;
			}
		}
	}
	if (!a->found)
		sbuf_reset(&a->local);
}

/* The mailbox and the display string of the first address of v. */
static int
addr_keys(struct sbuf *mbox, struct sbuf *disp, const char *v, size_t n)
{
	struct first_addr a;
	struct sbuf t, dec;
	int r = -1;

	sbuf_init(&a.phrase, IMAPSORT_ADDR_MAX);
	sbuf_init(&a.comment, IMAPSORT_ADDR_MAX);
	sbuf_init(&a.local, IMAPSORT_ADDR_MAX);
	sbuf_init(&a.domain, IMAPSORT_ADDR_MAX);
	sbuf_init(&t, IMAPSORT_ADDR_MAX * 2 + 2);
	sbuf_init(&dec, IMAPSORT_ADDR_MAX * 4);
	a.found = 0;
	first_addr(&a, v, n);
	if (basesubj_casemap(mbox, a.local.s ? a.local.s : "",
	    a.local.len) == -1)
		goto out;
	if (disp == NULL) {
		r = 0;
		goto out;
	}
	if (a.phrase.len == 0 && a.comment.len > 0)
		(void)sbuf_cat_sbuf(&a.phrase, &a.comment);
	if (a.phrase.len > 0)
		(void)mime_header_decode(&dec, a.phrase.s, a.phrase.len);
	/* RFC 5957: the display name, or else the addr-spec. */
	if (dec.len == 0 && a.found) {
		(void)sbuf_cat_sbuf(&t, &a.local);
		if (a.domain.len > 0) {
			(void)sbuf_cat_c(&t, '@');
			(void)sbuf_cat_sbuf(&t, &a.domain);
		}
		(void)sbuf_cat_sbuf(&dec, &t);
	}
	r = basesubj_casemap(disp, dec.s ? dec.s : "", dec.len);
out:
	sbuf_fini(&a.phrase);
	sbuf_fini(&a.comment);
	sbuf_fini(&a.local);
	sbuf_fini(&a.domain);
	sbuf_fini(&t);
	sbuf_fini(&dec);
	return r;
}

/* ---- message IDs ---- */

/* The next "<...@...>" of v from *i: its content, blanks dropped, in
 * out (replaced); 1, or 0 when there is none. */
static int
next_msgid(struct sbuf *out, const char *v, size_t n, size_t *i)
{
	size_t j;
	int at;

	while (*i < n) {
		while (*i < n && v[*i] != '<')
			(*i)++;
		if (*i >= n)
			return 0;
		sbuf_reset(out);
		at = 0;
		for (j = *i + 1; j < n && v[j] != '>' && v[j] != '<'; j++) {
			if (is_blank(v[j]))
				continue;
			if (v[j] == '@')
				at = 1;
			if (sbuf_cat_c(out, v[j]) == -1)
				return 0;
		}
		*i = j;
		if (j < n && v[j] == '>' && at && out->len > 0) {
			(*i)++;
			return 1;
		}
	}
	return 0;
}

static int
msgids(struct sbuf *out, const char *v, size_t n, int only_first)
{
	struct sbuf id;
	size_t i = 0;
	int r = 0;

	sbuf_init(&id, IMAPSORT_REFS_MAX);
	while (r == 0 && next_msgid(&id, v, n, &i) == 1) {
		if (out->len > 0)
			r = sbuf_cat_c(out, ' ');
		if (r == 0)
			r = sbuf_cat_sbuf(out, &id);
		if (only_first)
			break;
	}
	sbuf_fini(&id);
	if (r == -1 && errno == E2BIG)
		r = 0;		/* keep the references that fitted */
	return r;
}

/* ---- the record ---- */

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

struct hdrs {
	const struct mime_field *f[8];	/* subject from to cc date mid
					 * references in-reply-to */
	struct mime_field fv[8];
};

static void
find_fields(struct hdrs *h, const char *hdr, size_t hlen)
{
	static const char *const names[8] = { "Subject", "From", "To", "Cc",
	    "Date", "Message-ID", "References", "In-Reply-To" };
	struct mime_hdr_iter it;
	struct mime_field f;
	size_t k;

	memset(h, 0, sizeof *h);
	mime_hdr_iter_init(&it, hdr, hlen);
	while (mime_hdr_next(&it, &f) == 1)
		for (k = 0; k < 8; k++)
			if (h->f[k] == NULL && f.name_len == strlen(names[k]) &&
			    strncasecmp(f.name, names[k], f.name_len) == 0) {
				h->fv[k] = f;
				h->f[k] = &h->fv[k];
				break;
			}
}

int
imapsort_rec_make(struct sbuf *rec, const char *hdr, size_t hlen)
{
	struct sbuf fs[IMAPSORT_NFIELDS], dv;
	struct hdrs h;
	unsigned char head[REC_HDR], len4[4];
	int64_t date = 0;
	uint64_t ud;
	int tz, flags = 0, reply = 0, r = -1;
	size_t k;

	find_fields(&h, hdr, hlen);
	for (k = 0; k < IMAPSORT_NFIELDS; k++)
		sbuf_init(&fs[k], k == IMAPSORT_REFS ? IMAPSORT_REFS_MAX :
		    k == IMAPSORT_SUBJECT ? BASESUBJ_MAX * 4 :
		    IMAPSORT_ADDR_MAX * 8);
	sbuf_init(&dv, 1024);
	if (h.f[0] != NULL && basesubj_extract(&fs[IMAPSORT_SUBJECT],
	    h.f[0]->value, h.f[0]->value_len, &reply) == -1)
		goto out;
	if (h.f[1] != NULL && addr_keys(&fs[IMAPSORT_FROM],
	    &fs[IMAPSORT_DFROM], h.f[1]->value, h.f[1]->value_len) == -1)
		goto out;
	if (h.f[2] != NULL && addr_keys(&fs[IMAPSORT_TO], &fs[IMAPSORT_DTO],
	    h.f[2]->value, h.f[2]->value_len) == -1)
		goto out;
	if (h.f[3] != NULL && addr_keys(&fs[IMAPSORT_CC], NULL,
	    h.f[3]->value, h.f[3]->value_len) == -1)
		goto out;
	if (h.f[4] != NULL && sbuf_cat_n(&dv, h.f[4]->value,
	    h.f[4]->value_len < 1000 ? h.f[4]->value_len : 1000) == 0 &&
	    mime_date_parse(dv.s, dv.len, &date, &tz) == 0)
		flags |= 1;
	if (h.f[5] != NULL && msgids(&fs[IMAPSORT_MSGID], h.f[5]->value,
	    h.f[5]->value_len, 1) == -1)
		goto out;
	if (h.f[6] != NULL && msgids(&fs[IMAPSORT_REFS], h.f[6]->value,
	    h.f[6]->value_len, 0) == -1)
		goto out;
	if (fs[IMAPSORT_REFS].len == 0 && h.f[7] != NULL &&
	    msgids(&fs[IMAPSORT_REFS], h.f[7]->value, h.f[7]->value_len,
	    1) == -1)
		goto out;
	if (reply)
		flags |= 2;
	memcpy(head, REC_MAGIC, 3);
	head[3] = (unsigned char)flags;
	ud = (uint64_t)date;
	for (k = 0; k < 8; k++)
		head[4 + k] = (unsigned char)(ud >> (8 * k));
	sbuf_reset(rec);
	if (sbuf_cat_n(rec, head, sizeof head) == -1)
		goto out;
	for (k = 0; k < IMAPSORT_NFIELDS; k++) {
		put32(len4, (uint32_t)fs[k].len);
		if (sbuf_cat_n(rec, len4, 4) == -1 ||
		    sbuf_cat_n(rec, fs[k].s ? fs[k].s : "", fs[k].len) == -1)
			goto out;
	}
	r = 0;
out:
	for (k = 0; k < IMAPSORT_NFIELDS; k++)
		sbuf_fini(&fs[k]);
	sbuf_fini(&dv);
	return r;
}

int
imapsort_rec_parse(const char *rec, size_t n, struct imapsort_keys *k)
{
	const unsigned char *p = (const unsigned char *)rec;
	uint64_t ud = 0;
	size_t off = REC_HDR, i, len;

	if (n < REC_HDR || memcmp(rec, REC_MAGIC, 3) != 0 || p[3] > 3) {
		errno = EINVAL;
		return -1;
	}
	k->has_date = p[3] & 1;
	k->is_reply = (p[3] & 2) != 0;
	for (i = 0; i < 8; i++)
		ud |= (uint64_t)p[4 + i] << (8 * i);
	k->date = (int64_t)ud;
	for (i = 0; i < IMAPSORT_NFIELDS; i++) {
		if (n - off < 4) {
			errno = EINVAL;
			return -1;
		}
		len = get32(p + off);
		off += 4;
		if (n - off < len) {
			errno = EINVAL;
			return -1;
		}
		k->f[i].p = rec + off;
		k->f[i].n = len;
		off += len;
	}
	if (off != n) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
