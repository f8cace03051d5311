/*
 * imapd_cmd_copy.c - the commands that add messages to a mailbox:
 * APPEND (RFC 3501 6.3.11, with flags, date and LITERAL+; APPENDUID of
 * UIDPLUS, RFC 4315), COPY and UID COPY (COPYUID), MOVE and UID MOVE
 * (RFC 6851).  A destination that does not exist gets NO [TRYCREATE].
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

#define NAME_BUF	(MSTORE_NAME_MAX + 2)

/* Open the destination; on failure the reply is set and -1 returned. */
static int
dest_open(struct imap *s, const struct imapp_tok *t, const char *verb,
    struct mbox **mb_r)
{
	struct sbuf name;
	int r = 0;

	*mb_r = NULL;
	sbuf_init(&name, NAME_BUF);
	if (imap_arg_str(s, t, &name) < 0) {
		(void)imap_bad(s, "Invalid mailbox name");
		r = -1;
	} else if (mbox_open(s->ms, sbuf_str(&name), 0, mb_r) < 0) {
		*mb_r = NULL;
		if (errno == ENOENT)
			(void)imap_reply(s, "NO", "[TRYCREATE] %s: no such "
			    "mailbox", verb);
		else
			(void)imap_no_errno(s, verb);
		r = -1;
	}
	sbuf_fini(&name);
	return r;
}

static int
append_one(struct imap *s, struct mbox *mb, const struct imapp_append_msg *m,
    uint32_t *uv_r, uint32_t *uid_r)
{
	const char *kw[IMAPP_KEYWORDS];
	char kwbuf[IMAPP_KEYWORDS][MBOX_KEYWORD_MAX + 1];
	struct mbox_append ap;
	size_t i;

	memset(&ap, 0, sizeof ap);
	ap.flags = imap_sysflags(m->flags.sys);
	ap.date = m->has_date ? m->date : 0;
	for (i = 0; i < m->flags.nkw; i++) {
		if (m->flags.kw[i]->n > MBOX_KEYWORD_MAX) {
			errno = EINVAL;
			return -1;
		}
		memcpy(kwbuf[i], m->flags.kw[i]->p, m->flags.kw[i]->n);
		kwbuf[i][m->flags.kw[i]->n] = '\0';
		kw[i] = kwbuf[i];
	}
	ap.keywords = kw;
	ap.nkeywords = m->flags.nkw;
	(void)s;
	return mbox_append(mb, m->data->p, m->data->n, &ap, uv_r, uid_r);
}

int
imap_cmd_append(struct imap *s)
{
	struct imapp_append ap;
	struct imapp_seqset uids;
	struct mbox *mb = NULL;
	struct sbuf set;
	const char *why = "";
	uint32_t uv = 0, uid = 0;
	size_t i;
	int r = 0;

	if (imapp_append_parse(&s->pc, imapp_arg(&s->pc, 0), &ap, &why) < 0)
		return imap_bad(s, why);
	if (dest_open(s, ap.mailbox, "APPEND", &mb) < 0)
		return 0;
	imapp_seqset_init(&uids);
	sbuf_init(&set, 1024 * 1024);
	for (i = 0; i < ap.n; i++) {
		if (append_one(s, mb, &ap.msg[i], &uv, &uid) < 0) {
			r = imap_no_errno(s, "APPEND");
			goto out;
		}
		if (imapp_seqset_add(&uids, uid, uid) < 0) {
			r = imap_no_errno(s, "APPEND");
			goto out;
		}
	}
	imapp_seqset_normalize(&uids, 0);
	if (imapp_seqset_format(&uids, &set) < 0)
		r = imap_ok(s, "APPEND");
	else
		r = imap_reply(s, "OK", "[APPENDUID %u %.*s] APPEND completed",
		    uv, (int)set.len, set.s);
out:
	mbox_close(&mb);
	imapp_seqset_fini(&uids);
	sbuf_fini(&set);
	return r;
}

/* COPYUID's two sets from the pairs. */
static int
copyuid(const uint32_t *src, const uint32_t *dst, size_t n, struct sbuf *a,
    struct sbuf *b)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n && r == 0; i++) {
		r |= sbuf_printf(a, "%s%u", i ? "," : "", src[i]);
		r |= sbuf_printf(b, "%s%u", i ? "," : "", dst[i]);
	}
	return r;
}

static int
copy_common(struct imap *s, int move)
{
	const char *verb = move ? "MOVE" : "COPY";
	uint32_t *seqs = NULL, *uids = NULL, *src = NULL, *dst = NULL, uv = 0;
	struct mbox *mb = NULL;
	struct sbuf a, b;
	size_t n = 0, done = 0, i;
	int r = 0;

	if (s->pc.nargs != 2)
		return imap_bad(s, move ? "MOVE needs a set and a mailbox" :
		    "COPY needs a set and a mailbox");
	if (imap_set_seqs(s, imapp_arg(&s->pc, 0), s->pc.uid, &seqs, &n) < 0)
		return imap_bad(s, "Invalid message set");
	if (move && s->rdonly) {
		free(seqs);
		return imap_reply(s, "NO", "[READ-ONLY] Mailbox is read-only");
	}
	sbuf_init(&a, 16 * 1024 * 1024);
	sbuf_init(&b, 16 * 1024 * 1024);
	if (dest_open(s, imapp_arg(&s->pc, 1), verb, &mb) < 0)
		goto out;
	if (n == 0) {
		r = imap_ok(s, verb);
		goto out;
	}
	uids = mem_alloc(n, sizeof *uids);
	src = mem_alloc(n, sizeof *src);
	dst = mem_alloc(n, sizeof *dst);
	if (uids == NULL || src == NULL || dst == NULL) {
		r = imap_no_errno(s, verb);
		goto out;
	}
	for (i = 0; i < n; i++)
		uids[i] = mbox_msg(s->mb, seqs[i])->uid;
	if (mbox_copy(s->mb, uids, n, mb, &uv, src, dst, &done) < 0) {
		r = imap_no_errno(s, verb);
		goto out;
	}
	if (copyuid(src, dst, done, &a, &b) < 0) {
		r = imap_no_errno(s, verb);
		goto out;
	}
	if (!move) {
		r = done == 0 ? imap_ok(s, verb) : imap_reply(s, "OK",
		    "[COPYUID %u %.*s %.*s] COPY completed", uv, (int)a.len,
		    a.s, (int)b.len, b.s);
		goto out;
	}
	/* MOVE: COPYUID first, then the expunges (RFC 6851 4.3). */
	if (done > 0 && imap_out(s, "* OK [COPYUID %u %.*s %.*s] Moved", uv,
	    (int)a.len, a.s, (int)b.len, b.s) < 0) {
		r = -1;
		goto out;
	}
	if (mbox_store(s->mb, src, done, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0,
	    NULL, NULL) < 0 ||
	    mbox_expunge(s->mb, src, done, imap_expunged, s) < 0)
		r = imap_no_errno(s, verb);
	else if (imap_expunged_flush(s) < 0)	/* VANISHED (RFC 7162) */
		r = -1;
	else
		r = imap_ok(s, verb);
out:
	if (mb != NULL)
		mbox_close(&mb);
	free(seqs);
	free(uids);
	free(src);
	free(dst);
	sbuf_fini(&a);
	sbuf_fini(&b);
	return r;
}

int
imap_cmd_copy(struct imap *s)
{
	return copy_common(s, 0);
}

int
imap_cmd_move(struct imap *s)
{
	return copy_common(s, 1);
}
