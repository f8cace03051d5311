/* Unit tests for lib/mstore's modseqs and expunged-UID memory (QRESYNC):
 * the range list (merge, bound, floor), the TERNIDX2 section and reading
 * a TERNIDX1 file, mbox_vanished() on a real Maildir across sessions,
 * expunges by EXPUNGE and by someone else, and modseqs that only grow. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/io.h"
#include "lib/maildir.h"
#include "lib/mem.h"
#include "lib/mstore.h"
#include "lib/mstore_int.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static char	 top[256];

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)type;
	(void)f;
	return remove(p);
}

/* "lo:hi,lo:hi" of ranges. */
static const char *
fmt_ranges(const struct mbox_uidrange *r, size_t n)
{
	static char buf[1024];
	size_t i, o = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < n && o < sizeof(buf) - 32; i++) {
		if (r[i].lo == r[i].hi)
			k = snprintf(buf + o, sizeof(buf) - o, "%s%u",
			    i ? "," : "", r[i].lo);
		else
			k = snprintf(buf + o, sizeof(buf) - o, "%s%u:%u",
			    i ? "," : "", r[i].lo, r[i].hi);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	return buf;
}

static const char *
fmt_van(const struct midx *ix)
{
	static char buf[1024];
	size_t i, o = 0;
	int k;

	buf[0] = '\0';
	for (i = 0; i < ix->nvan && o < sizeof(buf) - 48; i++) {
		k = snprintf(buf + o, sizeof(buf) - o, "%s%u:%u@%llu",
		    i ? " " : "", ix->van[i].lo, ix->van[i].hi,
		    (unsigned long long)ix->van[i].modseq);
		if (k < 0)
			break;
		o += (size_t)k;
	}
	return buf;
}

static void
test_ranges(void)
{
	struct midx ix;
	unsigned char gone[6] = { 0, 1, 1, 0, 1, 0 };
	struct midx_rec r;
	uint32_t i;

	memset(&ix, 0, sizeof(ix));
	midx_van_add(&ix, 3, 3, 5);
	midx_van_add(&ix, 4, 6, 5);
	midx_van_add(&ix, 9, 9, 5);
	midx_van_add(&ix, 7, 8, 7);
	is_str(fmt_van(&ix), "3:6@5 9:9@5 7:8@7",
	    "adjacent UIDs of one expunge merge; another modseq does not");
	midx_van_add(&ix, 0, 3, 8);
	midx_van_add(&ix, 5, 4, 8);
	is_int((long)ix.nvan, 3, "empty or zero ranges are ignored");
	ix.van_max = 2;
	midx_van_add(&ix, 20, 20, 9);
	midx_van_add(&ix, 22, 22, 10);
	is_str(fmt_van(&ix), "20:20@9 22:22@10",
	    "past the bound the oldest ranges are dropped");
	is_int((long)ix.van_floor, 7, "... and the floor is the last dropped");
	midx_van_add(&ix, 30, 30, 7);
	is_int((long)ix.nvan, 2, "a modseq at or below the floor is not kept");
	midx_free(&ix);

	memset(&ix, 0, sizeof(ix));
	ix.uidnext = 20;
	for (i = 0; i < 6; i++) {
		memset(&r, 0, sizeof(r));
		r.uid = i * 2 + 1;	/* 1 3 5 7 9 11 */
		r.name = mem_strdup("n");
		midx_push(&ix, &r);
	}
	is_int((long)midx_remove(&ix, gone, 4), 3, "midx_remove: 3 gone");
	is_str(fmt_van(&ix), "3:5@4 9:9@4",
	    "a run of removed records is one range (gaps included)");
	is_int((long)ix.n, 3, "3 records left");
	is_int(ix.n == 3 && ix.recs[0].uid == 1 && ix.recs[1].uid == 7 &&
	    ix.recs[2].uid == 11, 1, "the others in order");
	midx_free(&ix);
}

static void
fix_trailer(struct sbuf *b)
{
	uint64_t h = midx_checksum(b->s, b->len - MIDX_TRL_LEN);
	size_t i;

	for (i = 0; i < 8; i++)
		b->s[b->len - 8 + i] = (char)(h >> (8 * i));
}

static void
test_format(void)
{
	struct midx ix, back;
	struct midx_rec r;
	struct sbuf b;
	size_t vanoff;

	memset(&ix, 0, sizeof(ix));
	ix.uidvalidity = 7;
	ix.uidnext = 10;
	ix.first_recent = 1;
	ix.highestmodseq = 20;
	memset(&r, 0, sizeof(r));
	r.uid = 4;
	r.modseq = 12;
	r.name = mem_strdup("1.a.host");
	midx_push(&ix, &r);
	midx_van_add(&ix, 1, 3, 14);
	midx_van_add(&ix, 5, 9, 20);
	ix.van_floor = 2;
	sbuf_init(&b, MBOX_INDEX_MAX);
	ok(midx_format(&ix, &b) == 0, "format with expunged ranges");
	ok(memcmp(b.s, "TERNIDX3", 8) == 0, "written as TERNIDX3");
	ok(midx_parse(b.s, b.len, &back) == 0, "read back");
	is_str(fmt_van(&back), "1:3@14 5:9@20", "ranges read back");
	is_int((long)back.van_floor, 2, "floor read back");
	midx_free(&back);

	/* The section starts after the one record (48 + 8 bytes of name). */
	vanoff = MIDX_HDR_LEN + MIDX_REC_LEN + 8;
	b.s[vanoff + MIDX_VANHDR_LEN + 16 + 8] = 13;	/* modseq 20 -> 13 */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1 && errno == EINVAL,
	    "falling modseqs are refused");
	b.s[vanoff + MIDX_VANHDR_LEN + 16 + 8] = 21;	/* above highest */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1, "a modseq above highest "
	    "is refused");
	b.s[vanoff + MIDX_VANHDR_LEN + 16 + 8] = 20;
	b.s[vanoff + MIDX_VANHDR_LEN + 16 + 4] = 10;	/* hi 9 -> 10 */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1, "a UID at uidnext is refused");
	b.s[vanoff + MIDX_VANHDR_LEN + 16 + 4] = 9;
	b.s[vanoff + MIDX_VANHDR_LEN] = 0;		/* lo 1 -> 0 */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1, "UID 0 is refused");
	b.s[vanoff + MIDX_VANHDR_LEN] = 1;
	b.s[vanoff] = 3;				/* count 2 -> 3 */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1, "a short section is refused");
	b.s[vanoff] = 2;
	b.s[vanoff + 8] = 14;				/* floor 2 -> 14 */
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == -1, "a range at the floor is "
	    "refused");
	b.s[vanoff + 8] = 2;
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == 0, "restored: accepted again");
	midx_free(&back);

	/* TERNIDX2: the same layout under FNV-1a; read, written as 3. */
	memcpy(b.s, "TERNIDX2", 8);
	ok(midx_parse(b.s, b.len, &back) == -1,
	    "TERNIDX2 with a TERNIDX3 checksum: refused");
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == 0, "a TERNIDX2 file is read");
	is_str(fmt_van(&back), "1:3@14 5:9@20", "... with its ranges");
	{
		struct sbuf b3;

		sbuf_init(&b3, MBOX_INDEX_MAX);
		ok(midx_format(&back, &b3) == 0 && b3.len == b.len &&
		    memcmp(b3.s, "TERNIDX3", 8) == 0 &&
		    memcmp(b3.s + 8, b.s + 8, b.len - 8 - 8) == 0,
		    "... and written back as TERNIDX3, only magic and "
		    "checksum changed");
		sbuf_fini(&b3);
	}
	midx_free(&back);
	memcpy(b.s, "TERNIDX3", 8);
	ok(midx_parse(b.s, b.len, &back) == -1,
	    "TERNIDX3 with an FNV-1a checksum: refused");
	fix_trailer(&b);

	/* TERNIDX1: no section; nothing before highestmodseq is known. */
	memcpy(b.s, "TERNIDX1", 8);
	memmove(b.s + vanoff, b.s + b.len - MIDX_TRL_LEN, MIDX_TRL_LEN);
	b.len = vanoff + MIDX_TRL_LEN;
	fix_trailer(&b);
	ok(midx_parse(b.s, b.len, &back) == 0, "a TERNIDX1 file is read");
	is_int((long)back.nvan, 0, "... without ranges");
	is_int((long)back.van_floor, 20, "... its floor is highestmodseq");
	is_int((long)back.n, 1, "... and its record");
	midx_free(&back);
	sbuf_fini(&b);
	midx_free(&ix);
}

static int
put_msg(const char *root, const char *name)
{
	char p[1024];
	int fd;

	snprintf(p, sizeof(p), "%s/new/%s", root, name);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	if (io_write_full(fd, "Subject: x\n\nx\n", 14) == -1)
		return -1;
	return close(fd);
}

static const char *
vanished(struct mbox *mb, uint64_t since, int *exact_r)
{
	struct mbox_uidrange *r;
	size_t n;
	const char *s;

	if (mbox_vanished(mb, since, &r, &n, exact_r) == -1)
		return "error";
	s = fmt_ranges(r, n);
	free(r);
	return s;
}

static int
exp_cb(void *arg, uint32_t seq, uint32_t uid)
{
	(void)arg;
	(void)seq;
	(void)uid;
	return 0;
}

static void
test_maildir(void)
{
	char root[512], name[64], p[1024];
	struct mstore *ms;
	struct mbox *a, *b;
	struct mbox_info ia, ib;
	struct mstore_status st;
	uint32_t uids[3];
	uint64_t m0, m1, m2, m3;
	int fd, i, exact;

	snprintf(root, sizeof(root), "%s/r", top);
	if (mkdir(root, 0700) == -1 || (fd = maildir_open_path(root)) == -1 ||
	    maildir_make(fd) == -1 || mstore_new(fd, '/', &ms) == -1) {
		ok(0, "set-up");
		return;
	}
	(void)close(fd);
	for (i = 1; i <= 6; i++) {
		snprintf(name, sizeof(name), "100000000%d.M%dP1.host", i, i);
		put_msg(root, name);
	}
	ok(mbox_open(ms, "INBOX", 0, &a) == 0 &&
	    mbox_sync(a, 0, NULL, NULL, NULL) == 0, "session a syncs 6");
	mbox_get_info(a, &ia);
	m0 = ia.highestmodseq;
	ok(m0 >= 6 && mbox_msg(a, 6)->modseq == m0 &&
	    mbox_msg(a, 1)->modseq < mbox_msg(a, 2)->modseq,
	    "each new message got its own modseq");
	is_str(vanished(a, 0, &exact), "", "nothing vanished yet");
	uids[0] = 2;
	uids[1] = 3;
	uids[2] = 5;
	ok(mbox_store(a, uids, 3, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0, NULL,
	    NULL) == 0, "STORE \\Deleted on 2 3 5");
	mbox_get_info(a, &ia);
	m1 = ia.highestmodseq;
	ok(m1 == m0 + 3 && mbox_msg(a, 5)->modseq == m1,
	    "a STORE gives each changed message a new modseq");
	is_int(mbox_expunge(a, NULL, 0, exp_cb, NULL), 3, "EXPUNGE 3");
	mbox_get_info(a, &ia);
	ok(ia.highestmodseq == m1 + 1, "the expunge takes one modseq");
	is_str(vanished(a, m1, &exact), "2:3,5", "vanished since before it");
	ok(exact, "... exactly");
	is_str(vanished(a, m1 + 1, &exact), "", "nothing since after it");

	/* Session b: another process (a new mstore) sees the same. */
	ok(mbox_open(ms, "INBOX", 0, &b) == 0 &&
	    mbox_sync(b, 0, NULL, NULL, NULL) == 0, "session b syncs");
	mbox_get_info(b, &ib);
	ok(ib.highestmodseq == m1 + 1, "b reads highestmodseq from the index");
	is_str(vanished(b, m0, &exact), "2:3,5", "b: the remembered expunge");

	/* Someone else (POP3) removes uid 6's file; b's sync notices. */
	snprintf(p, sizeof(p), "%s/cur/1000000006.M6P1.host:2,", root);
	ok(unlink(p) == 0, "uid 6's file removed behind our back");
	ok(mbox_sync(b, 0, NULL, NULL, NULL) == 0, "b syncs");
	mbox_get_info(b, &ib);
	m2 = ib.highestmodseq;
	ok(m2 == m1 + 2, "an outside removal takes a modseq too");
	is_str(vanished(b, m1 + 1, &exact), "6", "b: 6 vanished since");
	/* a has not synced: 6 is still in its view, so not vanished for it. */
	ok(mbox_sync(a, MBOX_SYNC_NO_EXPUNGE, NULL, NULL, NULL) == 0,
	    "a syncs without expunges");
	is_str(vanished(a, m1 + 1, &exact), "", "a: 6 still in its view");
	ok(mbox_sync(a, 0, NULL, NULL, NULL) == 0, "a syncs with expunges");
	is_str(vanished(a, m1 + 1, &exact), "6", "a: now 6 vanished");
	is_str(vanished(a, 0, &exact), "2:3,5:6", "a: everything since 0");

	/* A delivery and another session's change get new modseqs. */
	put_msg(root, "1000000007.M7P1.host");
	ok(mstore_status(ms, "INBOX", &st) == 0 &&
	    st.highestmodseq == m2 + 1, "STATUS indexes the delivery "
	    "(a new modseq)");
	uids[0] = 1;
	ok(mbox_store(b, uids, 1, MBOX_STORE_ADD, MBOX_F_SEEN, 0, 0, NULL,
	    NULL) == 0, "b sets \\Seen on 1");
	ok(mbox_sync(a, 0, NULL, NULL, NULL) == 0, "a syncs");
	mbox_get_info(a, &ia);
	m3 = ia.highestmodseq;
	ok(m3 == m2 + 2 && mbox_msg(a, 1)->modseq == m3 &&
	    mbox_count(a) == 3 && mbox_msg(a, 3)->modseq == m3 - 1,
	    "a sees b's change and the delivery with their modseqs");
	mbox_close(&a);
	mbox_close(&b);
	mstore_free(&ms);

	/* A new process with a bound of 1 range: older ones are forgotten. */
	fd = maildir_open_path(root);
	ok(fd != -1 && mstore_new(fd, '/', &ms) == 0 &&
	    mstore_set_vanished_max(ms, 1) == 0, "new mstore, bound 1");
	(void)close(fd);
	ok(mstore_set_vanished_max(ms, 2000000) == -1 && errno == EINVAL,
	    "a bound over 1,000,000 is refused");
	ok(mbox_open(ms, "INBOX", 0, &a) == 0 &&
	    mbox_sync(a, 0, NULL, NULL, NULL) == 0, "reopened");
	mbox_get_info(a, &ia);
	ok(ia.highestmodseq == m3, "highestmodseq persists across processes");
	is_str(vanished(a, m1, &exact), "2:3,5:6", "expunges persist");
	uids[0] = 4;
	ok(mbox_store(a, uids, 1, MBOX_STORE_ADD, MBOX_F_DELETED, 0, 0, NULL,
	    NULL) == 0 && mbox_expunge(a, NULL, 0, NULL, NULL) == 1,
	    "expunge 4 (a third range)");
	is_str(vanished(a, m3 + 1, &exact), "4", "the newest range is known");
	ok(exact, "... exactly");
	is_str(vanished(a, m1, &exact), "2:6", "older: every UID not there");
	ok(!exact, "... conservatively (the floor rose)");
	mbox_close(&a);
	mstore_free(&ms);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	snprintf(top, sizeof(top), "%s/mvan.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(top) == NULL)
		return 1;
	umask(077);
	test_ranges();
	test_format();
	test_maildir();
	rc = done_testing();
	if (rc == 0)
		nftw(top, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	else
		diag("left %s", top);
	return rc;
}
