/*
 * imapd_fetch.c - FETCH and UID FETCH (RFC 3501 6.4.5, 7.4.2): FLAGS,
 * UID, INTERNALDATE, RFC822.SIZE, ENVELOPE, BODY, BODYSTRUCTURE,
 * BODY[section]<partial> and BODY.PEEK, RFC822, RFC822.HEADER,
 * RFC822.TEXT, and BINARY, BINARY.PEEK, BINARY.SIZE (imapd_binary.c).  The message file is mapped read-only and its bytes are
 * written straight to the client with bare LFs sent as CRLF, so a large
 * body is never copied whole into memory.  BODY[] and RFC822(.TEXT) set
 * \Seen (not in a read-only mailbox); the new flags are then sent too.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mime.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define SPEC_MAX	(IMAPP_SECTION_PARTS * 11 + 32)
#define CACHED_MAX	MBOX_CACHE_MAX	/* ENVELOPE, BODYSTRUCTURE text */
#define FIELDS_MAX	256		/* HEADER.FIELDS names */

/* One message's file, mapped on first need. */
struct msgfile {
	uint32_t	 uid;
	int		 tried, ok;
	char		*map;
	size_t		 len;
	struct mime_part *root;
};

static int
msg_load(struct imap *s, struct msgfile *f)
{
	struct stat st;
	int fd;

	if (f->tried)
		return f->ok ? 0 : -1;
	f->tried = 1;
	if ((fd = mbox_msg_open(s->mb, f->uid)) < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size < 0 ||
	    (uint64_t)st.st_size > SIZE_MAX) {
		(void)close(fd);
		return -1;
	}
	f->len = (size_t)st.st_size;
	if (f->len > 0) {
		f->map = mmap(NULL, f->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (f->map == MAP_FAILED) {
			f->map = NULL;
			(void)close(fd);
			return -1;
		}
	}
	(void)close(fd);
	if (mime_parse(f->map != NULL ? f->map : "", f->len, NULL,
	    &f->root) < 0)
		return -1;
	f->ok = 1;
	return 0;
}

static void
msg_unload(struct msgfile *f)
{
	if (f->root != NULL)
		mime_free(&f->root);
	if (f->map != NULL)
		(void)munmap(f->map, f->len);
	memset(f, 0, sizeof *f);
}

/* The length of p[0..n) with every bare LF sent as CRLF. */
static uint64_t
crlf_len(const char *p, size_t n)
{
	return mime_crlf_len(p, n);
}

struct emit {
	struct bio	*b;
	uint64_t	 skip;		/* converted bytes to leave out */
	uint64_t	 left;		/* converted bytes still to send */
};

/* Write p[0..n) into a literal ("{n}"): a NUL, which a literal may not
 * carry (RFC 3501 CHAR8) but SMTP lets through, goes out as 0x80, as
 * Dovecot sends it; BINARY[] sends the true bytes as literal8. */
static int
write_nonul(struct bio *b, const char *p, size_t n)
{
	const char *q, *end = p + n;

	while (p < end && (q = memchr(p, '\0', (size_t)(end - p))) != NULL) {
		if ((q > p && bio_write(b, p, (size_t)(q - p)) < 0) ||
		    bio_write(b, "\x80", 1) < 0)
			return -1;
		p = q + 1;
	}
	return p < end ? bio_write(b, p, (size_t)(end - p)) : 0;
}

static int
emit_part(struct emit *e, const char *p, size_t n)
{
	if (e->skip >= n) {
		e->skip -= n;
		return 0;
	}
	p += e->skip;
	n -= (size_t)e->skip;
	e->skip = 0;
	if (n > e->left)
		n = (size_t)e->left;
	e->left -= n;
	return n > 0 ? write_nonul(e->b, p, n) : 0;
}

/* Write p[0..n) as CRLF text, from skip for at most max bytes. */
static int
emit_crlf(struct bio *b, const char *p, size_t n, uint64_t skip,
    uint64_t max)
{
	struct emit e = { b, skip, max };
	const char *q = p, *end = p + n, *nl;

	while (q < end && e.left > 0) {
		nl = memchr(q, '\n', (size_t)(end - q));
		if (nl == NULL)
			return emit_part(&e, q, (size_t)(end - q));
		if (emit_part(&e, q, (size_t)(nl - q)) < 0)
			return -1;
		if (nl > p && nl[-1] == '\r') {
			if (emit_part(&e, "\n", 1) < 0)
				return -1;
		} else if (emit_part(&e, "\r\n", 2) < 0)
			return -1;
		q = nl + 1;
	}
	return 0;
}

/* The section text for lib/mime: "1.2.HEADER.FIELDS". */
static int
spec_text(const struct imapp_section *sec, struct sbuf *out)
{
	static const char *const specs[] = { "", "HEADER", "HEADER.FIELDS",
	    "HEADER.FIELDS.NOT", "TEXT", "MIME" };
	uint32_t i;
	int r = 0;

	for (i = 0; i < sec->nparts; i++)
		r |= sbuf_printf(out, "%s%u", i ? "." : "", sec->part[i]);
	if (sec->spec != IMAPP_SPEC_NONE)
		r |= sbuf_printf(out, "%s%s", sec->nparts ? "." : "",
		    specs[sec->spec]);
	return r;
}

/* Set when a message's answer has been partly sent (a literal). */
static int answer_started;

/* Send the pending line buffer. */
static int
line_flush(struct imap *s)
{
	int r = bio_write(s->b, s->line.s, s->line.len);

	answer_started = 1;
	sbuf_reset(&s->line);
	return r;
}

/* "NAME[spec (fields)]<off> {n}\r\n" + bytes, as CRLF text. */
static int
send_range(struct imap *s, const char *p, size_t n, int is_crlf,
    const struct imapp_section *sec)
{
	uint64_t total = is_crlf ? n : crlf_len(p, n), skip = 0, len;

	len = total;
	if (sec != NULL && sec->has_partial) {
		skip = sec->offset < total ? sec->offset : total;
		len = total - skip;
		if (len > sec->count)
			len = sec->count;
		if (sbuf_printf(&s->line, "<%llu>",
		    (unsigned long long)sec->offset) < 0)
			return -1;
	}
	if (sbuf_printf(&s->line, " {%llu}\r\n", (unsigned long long)len) < 0 ||
	    line_flush(s) < 0)
		return -1;
	if (is_crlf) {
		if (len > 0 && write_nonul(s->b, p + skip, (size_t)len) < 0)
			return -1;
		return 0;
	}
	return emit_crlf(s->b, p, n, skip, len);
}

/* The label of a BODY[...] answer: the section as asked. */
static int
section_label(struct imap *s, const struct imapp_section *sec)
{
	const struct imapp_tok *t;
	uint32_t i;
	int r = 0;

	r |= sbuf_cat_s(&s->line, "BODY[");
	r |= spec_text(sec, &s->line);
	if (sec->spec == IMAPP_SPEC_HEADER_FIELDS ||
	    sec->spec == IMAPP_SPEC_HEADER_FIELDS_NOT) {
		r |= sbuf_cat_s(&s->line, " (");
		for (i = 0, t = sec->fields; i < sec->nfields; i++) {
			r |= sbuf_printf(&s->line, "%s", i ? " " : "");
			r |= imapfmt_astring(&s->line, t->p, t->n);
			t = imapp_tok_next(&s->pc, t);
			if (t == NULL)
				break;
		}
		r |= sbuf_cat_c(&s->line, ')');
	}
	r |= sbuf_cat_c(&s->line, ']');
	return r < 0 ? -1 : 0;
}

static int
send_fields(struct imap *s, struct msgfile *f, size_t off, size_t len,
    const struct imapp_section *sec, int not_)
{
	const char *names[FIELDS_MAX];
	char *copy[FIELDS_MAX];
	const struct imapp_tok *t = sec->fields;
	struct sbuf out;
	uint32_t i, n = 0;
	int r = -1;

	memset(copy, 0, sizeof copy);
	for (i = 0; i < sec->nfields && t != NULL && n < FIELDS_MAX; i++) {
		if ((copy[n] = malloc(t->n + 1)) == NULL)
			goto out;
		memcpy(copy[n], t->p, t->n);
		copy[n][t->n] = '\0';
		names[n] = copy[n];
		n++;
		t = imapp_tok_next(&s->pc, t);
	}
	sbuf_init(&out, len * 2 + 4);
	if (mime_header_filter(&out, f->map + off, len, names, n, not_) == 0)
		r = send_range(s, out.s != NULL ? out.s : "", out.len, 1, sec);
	sbuf_fini(&out);
out:
	for (i = 0; i < n; i++)
		free(copy[i]);
	return r;
}

static int
fetch_section(struct imap *s, struct msgfile *f,
    const struct imapp_section *sec)
{
	struct sbuf spec;
	size_t off = 0, len = 0;
	int kind;

	if (section_label(s, sec) < 0)
		return -1;
	sbuf_init(&spec, SPEC_MAX);
	if (spec_text(sec, &spec) < 0) {
		sbuf_fini(&spec);
		return -1;
	}
	kind = mime_section(f->map != NULL ? f->map : "", f->root,
	    spec.s != NULL ? spec.s : "", spec.len, &off, &len);
	sbuf_fini(&spec);
	if (kind < 0)
		kind = MIME_SEC_NONE;
	if (kind == MIME_SEC_FIELDS || kind == MIME_SEC_FIELDS_NOT)
		return send_fields(s, f, off, len, sec,
		    kind == MIME_SEC_FIELDS_NOT);
	if (kind == MIME_SEC_NONE)
		len = 0;
	return send_range(s, f->map != NULL ? f->map + off : "", len, 0, sec);
}

/* Append p[0..n) to the answer line; text too big for the line buffer
 * (the ENVELOPE of a mail to a thousand people, the BODYSTRUCTURE of
 * hundreds of attachments) goes straight out after the line so far. */
static int
line_put(struct imap *s, const char *p, size_t n)
{
	if (n <= s->line.max - s->line.len)
		return sbuf_cat_n(&s->line, p, n);
	if (line_flush(s) < 0 || bio_write(s->b, p, n) < 0)
		return -1;
	return 0;
}

/* What a message whose ENVELOPE or BODY(STRUCTURE) text would pass
 * MBOX_CACHE_MAX (a hostile header or structure) is shown as: valid
 * IMAP, so the client can still read it through BODY[]. */
static int
fetch_too_big(struct imap *s, struct msgfile *f, unsigned kind)
{
	log_warn("account=%s uid %u: %s too big, sent as a stub",
	    log_esc_s(s->user), f->uid, kind == MBOX_CACHE_ENVELOPE ?
	    "ENVELOPE" : "BODYSTRUCTURE");
	if (kind == MBOX_CACHE_ENVELOPE)
		return sbuf_cat_s(&s->line, "(NIL NIL NIL NIL NIL NIL NIL "
		    "NIL NIL NIL)");
	return sbuf_printf(&s->line, "(\"application\" \"octet-stream\" "
	    "NIL NIL NIL \"7bit\" %llu%s)",
	    (unsigned long long)(f->root->hdr_vsize + f->root->body_vsize),
	    kind == MBOX_CACHE_BODYSTRUCTURE ? " NIL NIL NIL NIL" : "");
}

/* ENVELOPE, BODY or BODYSTRUCTURE, from the cache when there. */
static int
fetch_cached(struct imap *s, struct msgfile *f, unsigned kind)
{
	struct sbuf v;
	int r;

	sbuf_init(&v, CACHED_MAX);
	r = mbox_cache_get(s->mb, f->uid, kind, &v);
	if (r <= 0) {
		sbuf_reset(&v);
		if (msg_load(s, f) < 0) {
			sbuf_fini(&v);
			return -1;
		}
		if (kind == MBOX_CACHE_ENVELOPE)
			r = mime_envelope(&v, f->map != NULL ?
			    f->map + f->root->hdr_off : "", f->root->hdr_len);
		else
			r = mime_bodystructure(&v, f->map != NULL ? f->map :
			    "", f->root, kind == MBOX_CACHE_BODYSTRUCTURE);
		if (r < 0) {
			sbuf_fini(&v);
			return errno == E2BIG ? fetch_too_big(s, f, kind) : -1;
		}
		(void)mbox_cache_put(s->mb, f->uid, kind, v.s, v.len);
	}
	r = line_put(s, v.s, v.len);
	sbuf_fini(&v);
	return r;
}

static int
sets_seen(const struct imapp_fetch *fa)
{
	size_t i;

	for (i = 0; i < fa->n; i++) {
		switch (fa->item[i].att) {
		case IMAPP_FA_RFC822:
		case IMAPP_FA_RFC822_TEXT:
			return 1;
		case IMAPP_FA_BODY_SECTION:
		case IMAPP_FA_BINARY:
			if (!fa->item[i].peek)
				return 1;
			break;
		default:
			break;
		}
	}
	return 0;
}

static int
fetch_item(struct imap *s, struct msgfile *f, const struct mbox_msg *m,
    const struct imapp_fetch_item *it)
{
	char date[IMAPP_DATETIME_LEN + 1];
	uint64_t vsize;
	int64_t when;
	struct imapp_section whole;
	int r = 0;

	switch (it->att) {
	case IMAPP_FA_FLAGS:
		r |= sbuf_cat_s(&s->line, "FLAGS ");
		return r | imap_flags_out(s, &s->line, m);
	case IMAPP_FA_UID:
		r |= sbuf_cat_s(&s->line, "UID ");
		return r | imapfmt_u64(&s->line, m->uid);
	case IMAPP_FA_INTERNALDATE:
		if ((when = m->date) == 0 &&
		    mbox_msg_date(s->mb, m->uid, &when) < 0)
			return -1;
		if (imapp_datetime_format(when, 0, date) < 0)
			return sbuf_cat_s(&s->line, "INTERNALDATE "
			    "\"01-Jan-1970 00:00:00 +0000\"");
		return sbuf_printf(&s->line, "INTERNALDATE \"%s\"", date);
	case IMAPP_FA_RFC822_SIZE:
		if (mbox_msg_vsize(s->mb, m->uid, &vsize) < 0)
			return -1;
		return sbuf_printf(&s->line, "RFC822.SIZE %llu",
		    (unsigned long long)vsize);
	case IMAPP_FA_ENVELOPE:
		r |= sbuf_cat_s(&s->line, "ENVELOPE ");
		return r | fetch_cached(s, f, MBOX_CACHE_ENVELOPE);
	case IMAPP_FA_BODY:
		r |= sbuf_cat_s(&s->line, "BODY ");
		return r | fetch_cached(s, f, MBOX_CACHE_BODY);
	case IMAPP_FA_BODYSTRUCTURE:
		r |= sbuf_cat_s(&s->line, "BODYSTRUCTURE ");
		return r | fetch_cached(s, f, MBOX_CACHE_BODYSTRUCTURE);
	case IMAPP_FA_BODY_SECTION:
		if (msg_load(s, f) < 0)
			return -1;
		return fetch_section(s, f, it->sec);
	case IMAPP_FA_RFC822:
	case IMAPP_FA_RFC822_HEADER:
	case IMAPP_FA_RFC822_TEXT:
		if (msg_load(s, f) < 0)
			return -1;
		memset(&whole, 0, sizeof whole);
		if (it->att == IMAPP_FA_RFC822) {
			r = sbuf_cat_s(&s->line, "RFC822");
			return r | send_range(s, f->map ? f->map : "", f->len,
			    0, NULL);
		}
		if (it->att == IMAPP_FA_RFC822_HEADER) {
			r = sbuf_cat_s(&s->line, "RFC822.HEADER");
			return r | send_range(s, f->map ? f->map +
			    f->root->hdr_off : "", f->root->hdr_len, 0, NULL);
		}
		r = sbuf_cat_s(&s->line, "RFC822.TEXT");
		return r | send_range(s, f->map ? f->map + f->root->body_off :
		    "", f->root->body_len, 0, NULL);
	case IMAPP_FA_MODSEQ:		/* RFC 7162 3.1.4.2 */
		return sbuf_printf(&s->line, "MODSEQ (%llu)",
		    (unsigned long long)m->modseq);
	case IMAPP_FA_BINARY:
	case IMAPP_FA_BINARY_SIZE:
		if (msg_load(s, f) < 0)
			return -1;
		return imap_fetch_binary(s, f->map ? f->map : "", f->len,
		    f->root, it, &answer_started);
	}
	return -1;
}

/* One message's answer; now_seen: this FETCH just set its \Seen (the
 * answer then carries FLAGS).  1 when it could not be read (expunged),
 * 2 when a BINARY part has an encoding we cannot undo (nothing sent). */
static int
fetch_one(struct imap *s, uint32_t seq, const struct imapp_fetch *fa,
    int now_seen)
{
	struct msgfile f;
	const struct mbox_msg *m = mbox_msg(s->mb, seq);
	uint32_t uid = m->uid;
	size_t i;
	int r = 0, want_flags = now_seen, has_uid = 0, first = 1;

	memset(&f, 0, sizeof f);
	f.uid = uid;
	if (m->flags & MBOX_F_EXPUNGED)
		return 1;
	for (i = 0; i < fa->n; i++) {
		if (fa->item[i].att == IMAPP_FA_FLAGS)
			want_flags = 0;
		if (fa->item[i].att == IMAPP_FA_UID)
			has_uid = 1;
		if ((fa->item[i].att == IMAPP_FA_BINARY ||
		    fa->item[i].att == IMAPP_FA_BINARY_SIZE) &&
		    msg_load(s, &f) == 0 && imap_binary_check(f.map ? f.map :
		    "", f.root, fa) < 0) {
			msg_unload(&f);
			return 2;
		}
	}
	sbuf_reset(&s->line);
	answer_started = 0;
	r |= sbuf_cat_s(&s->line, "* ");
	r |= imapfmt_u64(&s->line, seq);
	r |= sbuf_cat_s(&s->line, " FETCH (");
	if (s->pc.uid && !has_uid) {
		r |= sbuf_cat_s(&s->line, "UID ");
		r |= imapfmt_u64(&s->line, uid);
		first = 0;
	}
	for (i = 0; i < fa->n && r == 0; i++) {
		if (!first)
			r |= sbuf_cat_c(&s->line, ' ');
		first = 0;
		r |= fetch_item(s, &f, m, &fa->item[i]);
	}
	if (r == 0 && want_flags) {
		r |= sbuf_cat_s(&s->line, first ? "FLAGS " : " FLAGS ");
		r |= imap_flags_out(s, &s->line, m);
	}
	if (r == 0)
		r |= sbuf_cat_s(&s->line, ")\r\n");
	if (r == 0)
		r = line_flush(s) < 0 ? -2 : 0;
	msg_unload(&f);
	if (r == -2)
		return -1;
	if (r != 0) {
		/* Nothing of this message was sent unless a literal was:
		 * then the client holds half an answer and we must end. */
		log_warn("account=%s FETCH uid %u failed: %s",
		    log_esc_s(s->user), uid, strerror(errno));
		return answer_started ? -1 : 1;
	}
	return 0;
}

static int
uid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The implicit \Seen of BODY[] and RFC822(.TEXT) (RFC 3501 6.4.5), set in
 * one mbox_store for the whole FETCH: one index write instead of one per
 * message.  now_seen[i] says which of seqs it changed.  On failure (logged)
 * the messages stay unseen and the FETCH goes on.
 */
static void
mark_seen(struct imap *s, const uint32_t *seqs, size_t n,
    unsigned char *now_seen)
{
	const struct mbox_msg *m;
	uint32_t *uids;
	size_t i, k = 0;

	if ((uids = calloc(n, sizeof *uids)) == NULL) {
		log_warn_sys("account=%s cannot set \\Seen",
		    log_esc_s(s->user));
		return;
	}
	for (i = 0; i < n; i++) {
		m = mbox_msg(s->mb, seqs[i]);
		if (m == NULL || (m->flags & (MBOX_F_EXPUNGED | MBOX_F_SEEN)))
			continue;
		uids[k++] = m->uid;
		now_seen[i] = 1;
	}
	qsort(uids, k, sizeof *uids, uid_cmp);
	if (k > 0 && mbox_store(s->mb, uids, k, MBOX_STORE_ADD, MBOX_F_SEEN,
	    0, 0, NULL, NULL) < 0) {
		log_warn_sys("account=%s cannot set \\Seen",
		    log_esc_s(s->user));
		memset(now_seen, 0, n);
	}
	free(uids);
}

/*
 * CONDSTORE (RFC 7162 3.1.4): MODSEQ or CHANGEDSINCE enable it;
 * CHANGEDSINCE keeps the messages changed since (and adds MODSEQ to
 * what is fetched); UID FETCH's VANISHED first says what left since.
 * 0, 1 (BAD answered) or -1.
 */
static int
fetch_mods(struct imap *s, struct imapp_fetch *fa, uint32_t *seqs,
    size_t *n_r)
{
	struct imapp_fetch_mods mods;
	const struct mbox_msg *m;
	const char *why = "";
	size_t i, o, has_modseq = 0;

	memset(&mods, 0, sizeof mods);
	if (s->pc.nargs == 3 && imapp_fetch_mods_parse(&s->pc,
	    imapp_arg(&s->pc, 2), s->pc.uid, &mods, &why) < 0)
		return imap_bad(s, why) == 0 ? 1 : -1;
	if (mods.vanished && !(s->enabled & IMAPP_EN_QRESYNC))
		return imap_bad(s, "VANISHED needs ENABLE QRESYNC") == 0 ?
		    1 : -1;
	for (i = 0; i < fa->n; i++)
		if (fa->item[i].att == IMAPP_FA_MODSEQ)
			has_modseq = 1;
	if ((has_modseq || mods.has_changedsince) &&
	    imap_condstore_enable(s) < 0)
		return -1;
	if (!mods.has_changedsince)
		return 0;
	if (!has_modseq && fa->n < IMAPP_FETCH_ITEMS) {
		memset(&fa->item[fa->n], 0, sizeof fa->item[fa->n]);
		fa->item[fa->n++].att = IMAPP_FA_MODSEQ;
	}
	if (mods.vanished && imap_fetch_vanished(s, imapp_arg(&s->pc, 0),
	    mods.changedsince) < 0)
		return -1;
	for (i = o = 0; i < *n_r; i++) {
		m = mbox_msg(s->mb, seqs[i]);
		if (m != NULL && m->modseq > mods.changedsince)
			seqs[o++] = seqs[i];
	}
	*n_r = o;
	return 0;
}

int
imap_cmd_fetch(struct imap *s)
{
	struct imapp_fetch fa;
	const char *why = "";
	uint32_t *seqs = NULL;
	unsigned char *now_seen = NULL;
	size_t n = 0, i, gone = 0, cte = 0;
	int r = 0, seen;

	if (s->pc.nargs != 2 && s->pc.nargs != 3)
		return imap_bad(s, "FETCH needs a set and items");
	if (imapp_fetch_parse(&s->pc, imapp_arg(&s->pc, 1), &fa, &why) < 0)
		return imap_bad(s, why);
	if (imap_set_seqs(s, imapp_arg(&s->pc, 0), s->pc.uid, &seqs, &n) < 0)
		return imap_bad(s, "Invalid message set");
	if ((r = fetch_mods(s, &fa, seqs, &n)) != 0) {
		free(seqs);
		return r < 0 ? -1 : 0;
	}
	seen = !s->rdonly && sets_seen(&fa);
	if (seen && n > 0 && (now_seen = calloc(n, 1)) != NULL)
		mark_seen(s, seqs, n, now_seen);
	for (i = 0; i < n; i++) {
		r = fetch_one(s, seqs[i], &fa, now_seen != NULL && now_seen[i]);
		if (r < 0)
			break;
		if (r == 2)
			cte++;
		else
			gone += (size_t)r;
		r = 0;
	}
	free(seqs);
	free(now_seen);
	if (r < 0)
		return -1;
	if (cte > 0)
		return imap_reply(s, "NO", "[UNKNOWN-CTE] Cannot decode a "
		    "part's Content-Transfer-Encoding");
	if (gone > 0)
		return imap_reply(s, "NO", "[EXPUNGEISSUED] Some messages "
		    "were expunged");
	return imap_ok(s, s->pc.uid ? "UID FETCH" : "FETCH");
}
