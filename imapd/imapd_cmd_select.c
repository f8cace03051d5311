/*
 * imapd_cmd_select.c - the selected mailbox: SELECT, EXAMINE, CLOSE,
 * UNSELECT (RFC 3691), EXPUNGE and UID EXPUNGE (RFC 4315); the untagged
 * updates after each command (EXISTS, RECENT, EXPUNGE, FETCH FLAGS: RFC
 * 3501 7.3, 7.4, with expunges held back during FETCH, STORE and SEARCH,
 * 7.4.1); flags and sequence sets shared by the other commands.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapfmt.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

#define NAME_BUF	(MSTORE_NAME_MAX + 2)

#define FLAG(bit, imapp, name)	{ bit, imapp, name, sizeof(name) - 1 }
static const struct {
	uint32_t	 bit;
	unsigned	 imapp;
	const char	*name;
	size_t		 len;
} sysflags[] = {
	FLAG(MBOX_F_ANSWERED, IMAPP_F_ANSWERED, "\\Answered"),
	FLAG(MBOX_F_FLAGGED, IMAPP_F_FLAGGED, "\\Flagged"),
	FLAG(MBOX_F_DELETED, IMAPP_F_DELETED, "\\Deleted"),
	FLAG(MBOX_F_SEEN, IMAPP_F_SEEN, "\\Seen"),
	FLAG(MBOX_F_DRAFT, IMAPP_F_DRAFT, "\\Draft"),
};
#define NSYSFLAGS	(sizeof sysflags / sizeof sysflags[0])

uint32_t
imap_sysflags(unsigned bits)
{
	uint32_t f = 0;
	size_t i;

	for (i = 0; i < NSYSFLAGS; i++)
		if (bits & sysflags[i].imapp)
			f |= sysflags[i].bit;
	return f;
}

/* "(\Seen $Label1 \Recent)" of a message into out (no printf: a FETCH
 * FLAGS of 10,000 messages spent most of its time in it). */
int
imap_flags_out(struct imap *s, struct sbuf *out, const struct mbox_msg *m)
{
	const char *kw;
	size_t i;
	int r = 0, first = 1;

	r |= sbuf_cat_c(out, '(');
	for (i = 0; i < NSYSFLAGS; i++) {
		if (!(m->flags & sysflags[i].bit))
			continue;
		if (!first)
			r |= sbuf_cat_c(out, ' ');
		r |= sbuf_cat_n(out, sysflags[i].name, sysflags[i].len);
		first = 0;
	}
	for (i = 0; m->keywords != 0 && i < MBOX_KEYWORDS_MAX; i++) {
		if (!(m->keywords & (1U << i)) ||
		    (kw = mbox_keyword_name(s->mb, (unsigned)i)) == NULL)
			continue;
		if (!first)
			r |= sbuf_cat_c(out, ' ');
		r |= sbuf_cat_s(out, kw);
		first = 0;
	}
	if ((m->flags & MBOX_F_RECENT) && !IMAP_REV2(s))
		r |= sbuf_cat_s(out, first ? "\\Recent" : " \\Recent");
	r |= sbuf_cat_c(out, ')');
	return r < 0 ? -1 : 0;
}

/* "* FLAGS (...)" and "* OK [PERMANENTFLAGS (...)]" for the folder. */
static int
flags_lines(struct imap *s)
{
	struct sbuf kws;
	const char *kw;
	unsigned i, n = 0;
	int r = 0;

	sbuf_init(&kws, MBOX_KEYWORDS_MAX * (MBOX_KEYWORD_MAX + 1) + 1);
	for (i = 0; i < MBOX_KEYWORDS_MAX; i++) {
		if ((kw = mbox_keyword_name(s->mb, i)) == NULL)
			continue;
		r |= sbuf_printf(&kws, " %s", kw);
		n++;
	}
	s->nkeywords = n;
	if (r == 0)
		r = imap_out(s, "* FLAGS (\\Answered \\Flagged \\Deleted "
		    "\\Seen \\Draft%.*s)", (int)kws.len, kws.s ? kws.s : "");
	if (r == 0 && s->rdonly)
		r = imap_out(s, "* OK [PERMANENTFLAGS ()] Read-only mailbox");
	else if (r == 0)
		r = imap_out(s, "* OK [PERMANENTFLAGS (\\Answered \\Flagged "
		    "\\Deleted \\Seen \\Draft%.*s%s\\*)] Flags permitted",
		    (int)kws.len, kws.s ? kws.s : "", " ");
	sbuf_fini(&kws);
	return r;
}

static unsigned
keyword_count(struct imap *s)
{
	unsigned i, n = 0;

	for (i = 0; i < MBOX_KEYWORDS_MAX; i++)
		if (mbox_keyword_name(s->mb, i) != NULL)
			n++;
	return n;
}


static int
upd_flags(void *arg, uint32_t seq, const struct mbox_msg *m)
{
	struct imap *s = arg;
	struct sbuf *l = &s->line;
	int r;

	sbuf_reset(l);
	r = sbuf_cat_s(l, "* ");
	r |= imapfmt_u64(l, seq);
	r |= sbuf_cat_s(l, " FETCH (UID ");
	r |= imapfmt_u64(l, m->uid);
	r |= sbuf_cat_s(l, " FLAGS ");
	r |= imap_flags_out(s, l, m);
	r |= imap_modseq_out(s, l, m);
	r |= sbuf_cat_s(l, ")\r\n");
	if (r != 0 || bio_write(s->b, l->s, l->len) < 0)
		return 1;
	return 0;
}

int
imap_updates(struct imap *s, enum imap_upd upd)
{
	static const struct mbox_sync_ops ops = { imap_expunged, upd_flags };
	struct mbox_sync_result res;

	if (s->mb == NULL || upd == UPD_NONE)
		return 0;
	memset(&res, 0, sizeof res);
	if (mbox_sync(s->mb, upd == UPD_NO_EXPUNGE ? MBOX_SYNC_NO_EXPUNGE : 0,
	    &ops, s, &res) < 0) {
		if (errno == ESTALE) {
			(void)imap_out(s, "* BYE [UIDVALIDITY] The mailbox "
			    "was recreated; please reconnect");
			log_warn("account=%s uidvalidity changed under the "
			    "session", log_esc_s(s->user));
			return -1;
		}
		log_warn_sys("account=%s sync %s", log_esc_s(s->user),
		    log_esc_s(mbox_name(s->mb)));
		return imap_expunged_flush(s);	/* again at the next command */
	}
	if (imap_expunged_flush(s) < 0)
		return -1;
	if ((res.keywords_changed || keyword_count(s) != s->nkeywords) &&
	    flags_lines(s) < 0)
		return -1;
	if (res.exists != s->exists || res.added > 0) {
		s->exists = res.exists;
		if (imap_out(s, "* %u EXISTS", res.exists) < 0)
			return -1;
	}
	if ((res.recent != s->recent || res.added > 0) && !IMAP_REV2(s)) {
		s->recent = res.recent;
		if (imap_out(s, "* %u RECENT", res.recent) < 0)
			return -1;
	}
	return 0;
}

void
imap_unselect(struct imap *s)
{
	if (s->mb != NULL)
		mbox_close(&s->mb);
	imap_saved_clear(s);	/* RFC 5182 2.1 */
	s->exists = s->recent = 0;
	s->rdonly = 0;
}

static int
select_common(struct imap *s, int rdonly)
{
	struct imapp_select sp;
	struct mbox_info info;
	struct sbuf name;
	const char *why = "";
	int r = 0;

	if (imapp_select_parse(&s->pc, imapp_arg(&s->pc, 0), &sp, &why) < 0)
		return imap_bad(s, why);
	if (sp.qresync && !(s->enabled & IMAPP_EN_QRESYNC))
		return imap_bad(s, "QRESYNC needs ENABLE QRESYNC first");
	if (sp.condstore || sp.qresync)
		s->enabled |= IMAPP_EN_CONDSTORE;	/* RFC 7162 3.1 */
	/* RFC 3501 6.3.1: even when this fails; RFC 7162 3.2.11. */
	if (s->mb != NULL && imap_out(s, "* OK [CLOSED] Previous mailbox "
	    "closed") < 0)
		return -1;
	imap_unselect(s);
	sbuf_init(&name, NAME_BUF);
	if (imap_arg_str(s, sp.mailbox, &name) < 0) {
		r = imap_bad(s, "Invalid mailbox name");
		goto out;
	}
	if (mbox_open(s->ms, sbuf_str(&name), rdonly ? MBOX_RDONLY : 0,
	    &s->mb) < 0) {
		s->mb = NULL;
		r = imap_no_errno(s, rdonly ? "EXAMINE" : "SELECT");
		goto out;
	}
	if (mbox_sync(s->mb, 0, NULL, NULL, NULL) < 0) {
		r = imap_no_errno(s, rdonly ? "EXAMINE" : "SELECT");
		imap_unselect(s);
		goto out;
	}
	mbox_get_info(s->mb, &info);
	s->rdonly = rdonly || info.is_readonly;
	s->exists = info.exists;
	s->recent = info.recent;
	if (flags_lines(s) < 0 ||
	    imap_out(s, "* %u EXISTS", info.exists) < 0 ||
	    (!IMAP_REV2(s) && imap_out(s, "* %u RECENT", info.recent) < 0) ||
	    (!IMAP_REV2(s) && info.first_unseen > 0 && imap_out(s, "* OK "
	    "[UNSEEN %u] First unseen", info.first_unseen) < 0) ||
	    imap_select_list(s, mbox_name(s->mb)) < 0 ||
	    imap_out(s, "* OK [UIDVALIDITY %u] UIDs valid",
	    info.uidvalidity) < 0 ||
	    imap_out(s, "* OK [UIDNEXT %u] Predicted next UID",
	    info.uidnext) < 0 ||
	    imap_out(s, "* OK [HIGHESTMODSEQ %llu] Highest",
	    (unsigned long long)info.highestmodseq) < 0 ||
	    (sp.qresync && (mbox_view_load(s->mb) < 0 ||
	    imap_qresync_select(s, &sp) < 0))) {
		r = -1;
		goto out;
	}
	r = imap_reply(s, "OK", "[%s] %s completed", s->rdonly ? "READ-ONLY" :
	    "READ-WRITE", rdonly ? "EXAMINE" : "SELECT");
out:
	sbuf_fini(&name);
	return r;
}

int
imap_cmd_select(struct imap *s)
{
	return select_common(s, 0);
}

int
imap_cmd_examine(struct imap *s)
{
	return select_common(s, 1);
}

int
imap_cmd_close(struct imap *s)
{
	if (s->pc.nargs != 0)
		return imap_bad(s, "CLOSE takes no arguments");
	/* RFC 3501 6.4.2: expunge silently, unless read-only. */
	if (!s->rdonly && mbox_expunge(s->mb, NULL, 0, NULL, NULL) < 0)
		log_warn_sys("account=%s CLOSE expunge", log_esc_s(s->user));
	imap_unselect(s);
	return imap_ok(s, "CLOSE");
}

int
imap_cmd_unselect(struct imap *s)
{
	if (s->pc.nargs != 0)
		return imap_bad(s, "UNSELECT takes no arguments");
	imap_unselect(s);
	return imap_ok(s, "UNSELECT");
}

int
imap_set_seqs(struct imap *s, const struct imapp_tok *t, int uid,
    uint32_t **seqs_r, size_t *n_r)
{
	struct imapp_seqset set;
	const struct mbox_msg *m;
	const char *why = "";
	uint32_t count = mbox_count(s->mb), star, seq, *v = NULL;
	size_t n = 0;
	int r = -1;

	*seqs_r = NULL;
	*n_r = 0;
	if (t != NULL && t->type == IMAPP_T_ATOM && t->n == 1 && t->p[0] == '$')
		return imap_saved_seqs(s, seqs_r, n_r);	/* RFC 5182 */
	imapp_seqset_init(&set);
	if (t == NULL || (t->type != IMAPP_T_ATOM && t->type !=
	    IMAPP_T_NUMBER) || imapp_seqset_parse(t->p, t->n, &set, &why) < 0 ||
	    set.is_saved)
		goto out;
	star = count;
	if (uid)
		star = count > 0 ? mbox_msg(s->mb, count)->uid : 0;
	imapp_seqset_normalize(&set, star);
	if (count > 0 && (v = mem_alloc(count, sizeof *v)) == NULL)
		goto out;
	for (seq = 1; seq <= count; seq++) {
		m = mbox_msg(s->mb, seq);
		if (imapp_seqset_contains(&set, uid ? m->uid : seq, star))
			v[n++] = seq;
	}
	/* A sequence number beyond the mailbox is an error (RFC 3501
	 * 6.4.8 says so for UIDs only: those are ignored). */
	if (!uid && set.n > 0 && (count == 0 || set.r[set.n - 1].hi > count))
		goto out;
	*seqs_r = v;
	*n_r = n;
	v = NULL;
	r = 0;
out:
	free(v);
	imapp_seqset_fini(&set);
	return r;
}

int
imap_keywords(struct imap *s, struct mbox *mb, const struct imapp_flags *f,
    int create, uint32_t *bits_r)
{
	char kw[MBOX_KEYWORD_MAX + 1];
	unsigned idx;
	size_t i;

	(void)s;
	*bits_r = 0;
	for (i = 0; i < f->nkw; i++) {
		if (f->kw[i]->n > MBOX_KEYWORD_MAX) {
			errno = EINVAL;
			return -1;
		}
		memcpy(kw, f->kw[i]->p, f->kw[i]->n);
		kw[f->kw[i]->n] = '\0';
		if (mbox_keyword_index(mb, kw, create, &idx) < 0) {
			if (errno == ENOENT && !create)
				continue;
			return -1;
		}
		*bits_r |= 1U << idx;
	}
	return 0;
}


int
imap_cmd_expunge(struct imap *s)
{
	uint32_t *seqs = NULL, *uids = NULL;
	size_t n = 0, i;
	int r;

	if (s->rdonly)
		return imap_reply(s, "NO", "[READ-ONLY] Mailbox is read-only");
	if (s->pc.uid) {
		if (s->pc.nargs != 1 || imap_set_seqs(s, imapp_arg(&s->pc, 0),
		    1, &seqs, &n) < 0)
			return imap_bad(s, "UID EXPUNGE needs a UID set");
		if ((uids = mem_alloc(n ? n : 1, sizeof *uids)) == NULL) {
			free(seqs);
			return imap_no_errno(s, "EXPUNGE");
		}
		for (i = 0; i < n; i++)
			uids[i] = mbox_msg(s->mb, seqs[i])->uid;
		free(seqs);
		if (n == 0) {
			free(uids);
			return imap_ok(s, "UID EXPUNGE");
		}
	} else if (s->pc.nargs != 0)
		return imap_bad(s, "EXPUNGE takes no arguments");
	r = mbox_expunge(s->mb, uids, n, imap_expunged, s);
	free(uids);
	if (imap_expunged_flush(s) < 0)
		return -1;
	if (r < 0)
		return imap_no_errno(s, "EXPUNGE");
	return imap_ok(s, s->pc.uid ? "UID EXPUNGE" : "EXPUNGE");
}
