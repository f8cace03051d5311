/*
 * imapd_cmd_store.c - STORE and UID STORE (RFC 3501 6.4.6): FLAGS,
 * +FLAGS, -FLAGS, with .SILENT; keywords get a Maildir letter on first
 * use (lib/mstore).  Each changed message is answered with an untagged
 * FETCH of its flags (and UID for UID STORE), unless .SILENT.
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
};

static int
changed(void *arg, uint32_t seq, const struct mbox_msg *m)
{
	struct store_ctx *c = arg;
	struct sbuf *l = &c->s->line;
	int r;

	if (c->silent)
		return 0;
	sbuf_reset(l);
	r = sbuf_printf(l, "* %u FETCH (", seq);
	if (c->s->pc.uid)
		r |= sbuf_printf(l, "UID %u ", m->uid);
	r |= sbuf_cat_s(l, "FLAGS ");
	r |= imap_flags_out(c->s, l, m);
	r |= sbuf_cat_s(l, ")\r\n");
	if (r != 0 || bio_write(c->s->b, l->s, l->len) < 0) {
		c->failed = 1;
		return 1;
	}
	return 0;
}

static const struct mbox_store_ops store_ops = { changed, NULL };

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
	if (st.has_unchangedsince)
		return imap_bad(s, "UNCHANGEDSINCE needs CONDSTORE");
	if (imap_set_seqs(s, imapp_arg(&s->pc, 0), s->pc.uid, &seqs, &n) < 0)
		return imap_bad(s, "Invalid message set");
	if (s->rdonly) {
		free(seqs);
		return imap_reply(s, "NO", "[READ-ONLY] Mailbox is read-only");
	}
	if (imap_keywords(s, s->mb, &st.flags, st.op != IMAPP_STORE_DEL,
	    &kw) < 0) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	memset(&c, 0, sizeof c);
	c.s = s;
	c.silent = st.silent;
	if (n > 0 && (uids = mem_alloc(n, sizeof *uids)) == NULL) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	for (i = 0; i < n; i++)
		uids[i] = mbox_msg(s->mb, seqs[i])->uid;
	if (n > 0 && mbox_store(s->mb, uids, n, op_of(st.op),
	    imap_sysflags(st.flags.sys), kw, 0, &store_ops, &c) < 0 &&
	    !c.failed) {
		r = imap_no_errno(s, "STORE");
		goto out;
	}
	r = c.failed ? -1 : imap_ok(s, s->pc.uid ? "UID STORE" : "STORE");
out:
	free(seqs);
	free(uids);
	return r;
}
