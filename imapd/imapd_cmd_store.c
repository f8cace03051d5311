/*
 * imapd_cmd_store.c - STORE and UID STORE (RFC 3501 6.4.6): FLAGS,
 * +FLAGS, -FLAGS, with .SILENT; keywords get a Maildir letter on first
 * use (lib/mstore).  Each changed message is answered with an untagged
 * FETCH of its flags (and UID for UID STORE), unless .SILENT.  CONDSTORE
 * (RFC 7162 3.1.3): (UNCHANGEDSINCE n) leaves the messages changed since
 * n alone and names them in [MODIFIED set]; once CONDSTORE is enabled the
 * FETCH carries UID and MODSEQ, and is sent even with .SILENT (then
 * without FLAGS).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

struct store_ctx {
	struct imap	*s;
	int		 silent;
	int		 failed;
	unsigned	 nkw_before;
	struct imapp_seqset modified;	/* failed UNCHANGEDSINCE */
};

static int
changed(void *arg, uint32_t seq, const struct mbox_msg *m)
{
	struct store_ctx *c = arg;
	struct sbuf *l = &c->s->line;
	int r;

	int condstore = (c->s->enabled & IMAPP_EN_CONDSTORE) != 0;

	if (c->silent && !condstore)
		return 0;
	sbuf_reset(l);
	r = sbuf_printf(l, "* %u FETCH (", seq);
	if (c->s->pc.uid || condstore)
		r |= sbuf_printf(l, "UID %u", m->uid);
	if (!c->silent) {
		r |= sbuf_cat_s(l, c->s->pc.uid || condstore ? " FLAGS " :
		    "FLAGS ");
		r |= imap_flags_out(c->s, l, m);
	}
	r |= imap_modseq_out(c->s, l, m);
	r |= sbuf_cat_s(l, ")\r\n");
	if (r != 0 || bio_write(c->s->b, l->s, l->len) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

static int
modified(void *arg, uint32_t seq, uint32_t uid)
{
	struct store_ctx *c = arg;

	if (imapp_seqset_add(&c->modified, c->s->pc.uid ? uid : seq,
	    c->s->pc.uid ? uid : seq) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

static const struct mbox_store_ops store_ops = { changed, modified };

/* The tagged OK, with [MODIFIED set] when some failed UNCHANGEDSINCE. */
static int
store_done(struct imap *s, struct store_ctx *c)
{
	struct sbuf set;
	int r;

	if (c->modified.n == 0)
		return imap_ok(s, s->pc.uid ? "UID STORE" : "STORE");
	sbuf_init(&set, BIO_PRINTF_MAX / 2);
	imapp_seqset_normalize(&c->modified, 0);
	if (imapp_seqset_format(&c->modified, &set) < 0)
		r = imap_reply(s, "NO", "[LIMIT] Too many modified messages");
	else
		r = imap_reply(s, "OK", "[MODIFIED %.*s] Conditional STORE "
		    "failed", (int)set.len, set.s);
	sbuf_fini(&set);
	return r;
}

static enum mbox_store_op
op_of(enum imapp_store_op op)
{
	switch (op) {
	case IMAPP_STORE_SET:
		return MBOX_STORE_SET;
	case IMAPP_STORE_ADD:
		return MBOX_STORE_ADD;
	case IMAPP_STORE_DEL:
		return MBOX_STORE_REMOVE;
	}
	return MBOX_STORE_ADD;
}

int
imap_cmd_store(struct imap *s)
{
	struct imapp_store st;
	struct store_ctx c;
	const char *why = "";
	uint32_t *seqs = NULL, *uids = NULL, kw = 0;
	size_t n = 0, i;
	int r = 0;

	if (s->pc.nargs < 3)
		return imap_bad(s, "STORE needs a set, an item and flags");
	if (imapp_store_parse(&s->pc, imapp_arg(&s->pc, 1), &st, &why) < 0)
		return imap_bad(s, why);
	if (imap_set_seqs(s, imapp_arg(&s->pc, 0), s->pc.uid, &seqs, &n) < 0)
		return imap_bad(s, "Invalid message set");
	if (s->rdonly) {
		free(seqs);
		return imap_reply(s, "NO", "[READ-ONLY] Mailbox is read-only");
	}
	memset(&c, 0, sizeof c);
	c.s = s;
	c.silent = st.silent;
	imapp_seqset_init(&c.modified);
	if (imap_keywords(s, s->mb, &st.flags, st.op != IMAPP_STORE_DEL,
	    &kw) < 0) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	if (st.has_unchangedsince && imap_condstore_enable(s) < 0) {
		r = -1;
		goto out;
	}
	if (n > 0 && (uids = mem_alloc(n, sizeof *uids)) == NULL) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	for (i = 0; i < n; i++)
		uids[i] = mbox_msg(s->mb, seqs[i])->uid;
	/* UNCHANGEDSINCE 0 fails for every message (RFC 7162 3.1.3). */
	for (i = 0; st.has_unchangedsince && st.unchangedsince == 0 &&
	    i < n && !c.failed; i++)
		(void)modified(&c, seqs[i], uids[i]);
	if (st.has_unchangedsince && st.unchangedsince == 0)
		n = 0;
	if (n > 0 && mbox_store(s->mb, uids, n, op_of(st.op),
	    imap_sysflags(st.flags.sys), kw, st.unchangedsince, &store_ops,
	    &c) < 0 && !c.failed) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	r = c.failed ? -1 : store_done(s, &c);
out:
	imapp_seqset_fini(&c.modified);
	free(seqs);
	free(uids);
	return r;
}
