/* UNSAFE: a lexer over header values by index; every index is checked
 * against the length.  ENVELOPE (RFC 3501 7.4.2); see mime.h. */
#include <errno.h>
#include <string.h>

#include "lib/imapfmt.h"
#include "lib/mime.h"
#include "lib/mime_int.h"
#include "lib/sbuf.h"

#define CAT(o, lit)	sbuf_cat_n((o), (lit), sizeof(lit) - 1)

enum { T_END, T_ATOM, T_QSTR, T_DLIT, T_SPEC };

struct tok {
	int		 k;
	const char	*s;
	size_t		 n;
};

struct alex {
	const char	*v;
	size_t		 n, i;
	const char	*cmt;		/* last comment seen */
	size_t		 cmtn;
	struct tok	 t;
	int		 unterminated;	/* a quoted string ran to the end */
	struct sbuf	 name, adl, mbox, host;
	unsigned	 count;		/* addresses written */
	int		 err;
};

static int
is_aspecial(unsigned char c)
{
	return strchr("()<>[]:;@\\,\"", c) != NULL;
}

static void
skip_ws_comments(struct alex *L)
{
	size_t j, depth;

	while (L->i < L->n) {
		unsigned char c = (unsigned char)L->v[L->i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			L->i++;
			continue;
		}
		if (c != '(')
			return;
		depth = 0;
		for (j = L->i; j < L->n; j++) {
			if (L->v[j] == '\\' && j + 1 < L->n)
				j++;
			else if (L->v[j] == '(')
				depth++;
			else if (L->v[j] == ')' && --depth == 0)
				break;
		}
		L->cmt = L->v + L->i + 1;
		L->cmtn = (j < L->n ? j : L->n) - L->i - 1;
		L->i = j < L->n ? j + 1 : L->n;
	}
}

static void
lex(struct alex *L)
{
	size_t s;
	unsigned char c;

	skip_ws_comments(L);
	if (L->i >= L->n) {
		L->t.k = T_END;
		L->t.s = L->v + L->n;
		L->t.n = 0;
		return;
	}
	s = L->i;
	c = (unsigned char)L->v[s];
	L->t.s = L->v + s;
	if (c == '"') {
		for (L->i = s + 1; L->i < L->n && L->v[L->i] != '"'; L->i++)
			if (L->v[L->i] == '\\' && L->i + 1 < L->n)
				L->i++;
		L->t.k = T_QSTR;
		L->t.s = L->v + s + 1;
		L->t.n = (L->i < L->n ? L->i : L->n) - s - 1;
		if (L->i < L->n)
			L->i++;
		else
			L->unterminated = 1;
	} else if (c == '[') {
		while (L->i < L->n && L->v[L->i] != ']')
			L->i++;
		if (L->i < L->n)
			L->i++;
		L->t.k = T_DLIT;
		L->t.n = L->i - s;
	} else if (is_aspecial(c)) {
		L->t.k = T_SPEC;
		L->t.n = 1;
		L->i++;
	} else {
		while (L->i < L->n && !is_aspecial((unsigned char)L->v[L->i]) &&
		    (unsigned char)L->v[L->i] > ' ' && L->v[L->i] != 0x7f)
			L->i++;
		if (L->i == s)
			L->i++;		/* a control byte: an atom of one */
		L->t.k = T_ATOM;
		L->t.n = L->i - s;
	}
}

static int
is_spec(const struct alex *L, char c)
{
	return L->t.k == T_SPEC && L->t.s[0] == c;
}

static int
is_word(const struct alex *L)
{
	return L->t.k == T_ATOM || L->t.k == T_QSTR || L->t.k == T_DLIT;
}

/* Append the current token's text (quoted strings unescaped). */
static void
cat_tok(struct alex *L, struct sbuf *b)
{
	size_t j;

	if (L->t.k != T_QSTR) {
		if (sbuf_cat_n(b, L->t.s, L->t.n) < 0)
			L->err = 1;
		return;
	}
	for (j = 0; j < L->t.n; j++) {
		if (L->t.s[j] == '\\' && j + 1 < L->t.n)
			j++;
		if (L->t.s[j] == '\r' || L->t.s[j] == '\n')
			continue;
		if (sbuf_cat_c(b, L->t.s[j]) < 0)
			L->err = 1;
	}
}

static void
emit(struct alex *L, struct sbuf *o, const struct sbuf *name,
    const struct sbuf *adl, const char *mbox, size_t mn, const char *host,
    size_t hn)
{
	if ((L->count++ == 0 && CAT(o, "(") < 0) || CAT(o, "(") < 0 ||
	    imapfmt_nstring(o, name != NULL ? name->s : NULL,
	    name != NULL ? name->len : 0) < 0 || CAT(o, " ") < 0 ||
	    imapfmt_nstring(o, adl != NULL ? adl->s : NULL,
	    adl != NULL ? adl->len : 0) < 0 || CAT(o, " ") < 0 ||
	    imapfmt_nstring(o, mbox, mn) < 0 || CAT(o, " ") < 0 ||
	    imapfmt_nstring(o, host, hn) < 0 || CAT(o, ")") < 0)
		L->err = 1;
}

static const char missing_domain[] = "MISSING_DOMAIN";
static const char missing_mailbox[] = "MISSING_MAILBOX";
static const char syntax_error[] = "SYNTAX_ERROR";
static const char invalid_route[] = "INVALID_ROUTE";

#define LIT(s)	(s), (sizeof(s) - 1)

static void
emit_missing(struct alex *L, struct sbuf *o, const struct sbuf *name)
{
	emit(L, o, name, NULL, LIT(missing_mailbox), LIT(missing_domain));
}

static void
emit_mailbox(struct alex *L, struct sbuf *o, const struct sbuf *name,
    const struct sbuf *adl)
{
	const char *m = L->mbox.s, *h = L->host.s;
	size_t mn = L->mbox.len, hn = L->host.len;

	if (mn == 0) {
		m = missing_mailbox;
		mn = sizeof(missing_mailbox) - 1;
	}
	if (hn == 0) {
		h = missing_domain;
		hn = sizeof(missing_domain) - 1;
	}
	emit(L, o, name != NULL && name->len > 0 ? name : NULL,
	    adl != NULL && adl->len > 0 ? adl : NULL, m, mn, h, hn);
}

/* Domain words and dots up to something else. */
static void
domain(struct alex *L)
{
	while (is_word(L)) {
		cat_tok(L, &L->host);
		lex(L);
		if (!is_word(L) || (L->host.s[L->host.len - 1] != '.' &&
		    L->t.s[0] != '.'))
			break;
	}
}

/* After '<': [route ":"] local "@" domain ">".  As Dovecot: a route
 * without its ':' is INVALID_ROUTE; no '>' makes the host SYNTAX_ERROR. */
static void
angle(struct alex *L, struct sbuf *o)
{
	const struct sbuf *name = L->name.len > 0 ? &L->name : NULL;

	sbuf_reset(&L->adl);
	if (is_spec(L, '@')) {
		while (L->t.k != T_END && !is_spec(L, ':') && !is_spec(L, '>')) {
			cat_tok(L, &L->adl);
			lex(L);
		}
		if (!is_spec(L, ':')) {
			while (L->t.k != T_END && !is_spec(L, ','))
				lex(L);
			sbuf_reset(&L->adl);
			if (sbuf_cat_n(&L->adl, LIT(invalid_route)) < 0)
				L->err = 1;
			emit(L, o, name, &L->adl, LIT(missing_mailbox),
			    LIT(missing_domain));
			return;
		}
		lex(L);
	}
	while (is_word(L)) {
		cat_tok(L, &L->mbox);
		lex(L);
		if (!is_word(L) || (L->mbox.s[L->mbox.len - 1] != '.' &&
		    L->t.s[0] != '.'))
			break;
	}
	if (is_spec(L, '@')) {
		lex(L);
		domain(L);
	}
	if (!is_spec(L, '>')) {
		sbuf_reset(&L->host);
		if (sbuf_cat_n(&L->host, LIT(syntax_error)) < 0)
			L->err = 1;
	}
	emit_mailbox(L, o, name, &L->adl);
}

static void one_address(struct alex *, struct sbuf *, int);

static void
group(struct alex *L, struct sbuf *o)
{
	emit(L, o, NULL, NULL, L->name.s != NULL ? L->name.s : "",
	    L->name.len, NULL, 0);
	lex(L);
	while (L->t.k != T_END && !is_spec(L, ';') && !L->err) {
		if (is_spec(L, ','))
			lex(L);
		else
			one_address(L, o, 1);
	}
	if (is_spec(L, ';'))
		lex(L);
	emit(L, o, NULL, NULL, NULL, 0, NULL, 0);
}

static void
skip_junk(struct alex *L)
{
	while (L->t.k != T_END && !is_spec(L, ',') && !is_spec(L, ';'))
		lex(L);
}

/* One address (mailbox or group) at the current token; always consumes
 * at least one token unless at ',', ';' or the end.  What Dovecot does
 * with the common broken forms is followed: a phrase alone is a name
 * with neither mailbox nor domain, one word alone a mailbox without a
 * domain, an unterminated quoted string neither. */
static void
one_address(struct alex *L, struct sbuf *o, int in_group)
{
	size_t words = 0;
	struct sbuf cmt;

	sbuf_reset(&L->name);
	sbuf_reset(&L->mbox);
	sbuf_reset(&L->host);
	sbuf_reset(&L->adl);
	L->cmt = NULL;
	/* L->unterminated is never reset: such a string ends the input. */
	while (is_word(L)) {
		if (words > 0 && sbuf_cat_c(&L->name, ' ') < 0)
			L->err = 1;
		cat_tok(L, &L->name);
		cat_tok(L, &L->mbox);
		words++;
		lex(L);
	}
	if (L->unterminated) {
		emit_missing(L, o, NULL);
	} else if (is_spec(L, '<')) {
		lex(L);
		sbuf_reset(&L->mbox);
		angle(L, o);
	} else if (is_spec(L, ':') && !in_group && words > 0) {
		group(L, o);
		return;
	} else if (is_spec(L, '@') || words == 1) {
		if (is_spec(L, '@')) {
			lex(L);
			domain(L);
		}
		sbuf_init(&cmt, L->n + 1);
		if (L->cmt != NULL && L->cmtn > 0 &&
		    sbuf_cat_n(&cmt, L->cmt, L->cmtn) < 0)
			L->err = 1;
		emit_mailbox(L, o, &cmt, NULL);
		sbuf_fini(&cmt);
	} else if (words > 1) {
		emit_missing(L, o, &L->name);
	} else if (L->t.k != T_END && !is_spec(L, ',') && !is_spec(L, ';')) {
		emit_missing(L, o, NULL);
		lex(L);
	}
	skip_junk(L);
}

/* The addresses of one field value, appended to the list in o; *count
 * says how many the list has so far. */
static int
addresses(struct sbuf *o, const char *v, size_t n, unsigned *count)
{
	struct alex L;
	int expect = 1;

	memset(&L, 0, sizeof(L));
	L.v = v;
	L.n = n;
	L.count = *count;
	/* Room for the value, the spaces put between words and the fixed
	 * markers (SYNTAX_ERROR, INVALID_ROUTE). */
	sbuf_init(&L.name, 2 * n + 32);
	sbuf_init(&L.adl, n + 32);
	sbuf_init(&L.mbox, n + 32);
	sbuf_init(&L.host, n + 32);
	lex(&L);
	while (L.t.k != T_END && !L.err) {
		if (is_spec(&L, ',') || is_spec(&L, ';')) {
			/* An empty element: Dovecot gives a missing address. */
			if (expect && is_spec(&L, ','))
				emit_missing(&L, o, NULL);
			expect = 1;
			lex(&L);
		} else {
			one_address(&L, o, 0);
			expect = 0;
		}
	}
	*count = L.count;
	sbuf_fini(&L.name);
	sbuf_fini(&L.adl);
	sbuf_fini(&L.mbox);
	sbuf_fini(&L.host);
	return L.err ? -1 : 0;
}

#define ENV_FIELDS	4	/* fields of one name kept from one pass */

/* The fields of one envelope name met in the single pass over the header;
 * more than ENV_FIELDS are found again by a walk of the header. */
struct env_fields {
	struct mime_field	 f[ENV_FIELDS];
	size_t			 n;
};

/* Every field called name, as one address list (Dovecot joins repeated
 * address fields); NIL when it has no address. */
static int
addr_list(struct sbuf *o, const struct env_fields *ef, const char *hdr,
    size_t hlen, const char *name)
{
	struct mime_hdr_iter it;
	struct mime_field f;
	unsigned count = 0;
	size_t k;

	if (ef->n <= ENV_FIELDS) {
		for (k = 0; k < ef->n; k++)
			if (addresses(o, ef->f[k].value, ef->f[k].value_len,
			    &count) < 0)
				return -1;
	} else {
		mime_hdr_iter_init(&it, hdr, hlen);
		while (mime_hdr_next(&it, &f))
			if (mime_eq(f.name, f.name_len, name) &&
			    addresses(o, f.value, f.value_len, &count) < 0)
				return -1;
	}
	return count == 0 ? CAT(o, "NIL") : CAT(o, ")");
}

/* An unstructured value, unfolded, leading blanks skipped (trailing ones
 * kept, as Dovecot does), as an nstring. */
static int
text_value(struct sbuf *o, const struct mime_field *f)
{
	struct sbuf t;
	size_t i = 0, n;
	int r;

	if (f->name == NULL)
		return CAT(o, "NIL");
	sbuf_init(&t, f->value_len + 1);
	while (i < f->value_len && (mime_is_blank((unsigned char)f->value[i]) ||
	    f->value[i] == '\r' || f->value[i] == '\n'))
		i++;
	for (r = 0; i < f->value_len && r == 0; i++)	/* TAB: Dovecot */
		if (f->value[i] != '\r' && f->value[i] != '\n')
			r = sbuf_cat_c(&t, f->value[i] == '\t' ? ' ' :
			    f->value[i]);
	n = t.len;
	if (r == 0)
		r = imapfmt_string(o, t.s != NULL ? t.s : "", n);
	sbuf_fini(&t);
	return r;
}

/* Sender and Reply-To: From when absent or empty, as Dovecot does. */
static int
addr_value(struct sbuf *o, const struct env_fields *ef,
    const struct env_fields *dflt, const char *hdr, size_t hlen,
    const char *name, const char *dname)
{
	size_t mark = o->len;

	if (addr_list(o, ef, hdr, hlen, name) < 0)
		return -1;
	if (dflt == NULL || o->len - mark != 3 ||
	    memcmp(o->s + mark, "NIL", 3) != 0)
		return 0;
	sbuf_truncate(o, mark);
	return addr_list(o, dflt, hdr, hlen, dname);
}

enum { E_DATE, E_SUBJECT, E_FROM, E_SENDER, E_REPLY_TO, E_TO, E_CC, E_BCC,
	E_IN_REPLY_TO, E_MESSAGE_ID, E_N };

static const char *const env_names[E_N] = {
	"date", "subject", "from", "sender", "reply-to", "to", "cc", "bcc",
	"in-reply-to", "message-id"
};

int
mime_envelope(struct sbuf *out, const char *hdr, size_t hlen)
{
	struct env_fields ef[E_N];
	struct mime_field fs[E_N], f;
	struct mime_hdr_iter it;
	unsigned k;

	/* One pass: the last field of each name counts for the strings
	 * (Dovecot), all of them for the address lists. */
	memset(fs, 0, sizeof(fs));
	memset(ef, 0, sizeof(ef));
	mime_hdr_iter_init(&it, hdr, hlen);
	while (mime_hdr_next(&it, &f)) {
		if (f.name_len < 2 || f.name_len > 11)
			continue;
		for (k = 0; k < E_N; k++)
			if (mime_eq(f.name, f.name_len, env_names[k])) {
				fs[k] = f;
				if (ef[k].n < ENV_FIELDS)
					ef[k].f[ef[k].n] = f;
				ef[k].n++;
				break;
			}
	}
	if (CAT(out, "(") < 0 || text_value(out, &fs[E_DATE]) < 0 ||
	    CAT(out, " ") < 0 || text_value(out, &fs[E_SUBJECT]) < 0)
		return -1;
	for (k = E_FROM; k <= E_BCC; k++)
		if (CAT(out, " ") < 0 || addr_value(out, &ef[k],
		    k == E_SENDER || k == E_REPLY_TO ? &ef[E_FROM] : NULL,
		    hdr, hlen, env_names[k], env_names[E_FROM]) < 0)
			return -1;
	if (CAT(out, " ") < 0 || text_value(out, &fs[E_IN_REPLY_TO]) < 0 ||
	    CAT(out, " ") < 0 || text_value(out, &fs[E_MESSAGE_ID]) < 0 ||
	    CAT(out, ")") < 0)
		return -1;
	return 0;
}
