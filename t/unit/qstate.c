/* Unit tests for lib/qstate: the state file codec, expansion, durable
 * write and load, next_due, removal; and lib/trigger's parser. */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/queue.h"
#include "lib/sbuf.h"
#include "lib/trigger.h"
#include "t/tap.h"

#define ID	"0TP9VY37T6W008C0"
#define IDL	"0tp9vy37t6w008c0"	/* ID in lower case */

static void
target(struct qstate_target *t, enum qstate_kind k, const char *addr,
    const char *host)
{
	memset(t, 0, sizeof(*t));
	t->kind = k;
	snprintf(t->addr, sizeof t->addr, "%s", addr);
	snprintf(t->host, sizeof t->host, "%s", host);
}

static void
build(struct qstate *st)
{
	struct qstate_target t[3];

	if (qstate_fresh(st, ID, 3) < 0)
		abort();
	target(&t[0], QS_T_LOCAL, "carol@example.org", "local");
	if (qstate_expand(st, 2, t, 1) < 0)
		abort();
	target(&t[0], QS_T_LOCAL, "alice@example.org", "local");
	target(&t[1], QS_T_LOCAL, "bob@example.org", "store2");
	target(&t[2], QS_T_REMOTE, "x@remote.example", "");
	t[1].it.status = QS_DELIVERED;
	t[2].it.attempts = 3;
	t[2].it.next = 1800000000;
	snprintf(t[2].it.diag, sizeof t[2].it.diag, "4.4.0 no remote transport");
	if (qstate_expand(st, 0, t, 3) < 0)
		abort();
	st->r[1].it.status = QS_FAILED;
	snprintf(st->r[1].it.diag, sizeof st->r[1].it.diag, "5.1.1 unknown");
}

static void
test_codec(void)
{
	struct qstate st, back;
	struct sbuf enc, enc2;
	struct qstate_target t;
	const char *why;
	size_t i, bad;

	qstate_init(&st);
	qstate_init(&back);
	sbuf_init(&enc, QSTATE_FILE_MAX);
	sbuf_init(&enc2, QSTATE_FILE_MAX);
	build(&st);
	is_int(st.nt, 4, "four targets in all");
	is_int(st.r[0].first, 0, "recipient 0's targets first");
	is_int(st.r[2].first, 3, "recipient 2's target moved after them");
	is_str(st.t[3].addr, "carol@example.org", "carol last");
	is_int(st.r[0].it.status, QS_EXPANDED, "expanded status");
	target(&t, QS_T_LOCAL, "z@example.org", "local");
	ok(qstate_expand(&st, 0, &t, 1) < 0 && errno == EINVAL,
	    "expanding twice is refused");
	ok(qstate_encode(&st, &enc) == 0, "encodes");
	ok(qstate_decode(enc.s, enc.len, ID, 3, &back, &why) == 0, "decodes");
	ok(qstate_encode(&back, &enc2) == 0 && enc2.len == enc.len &&
	    memcmp(enc.s, enc2.s, enc.len) == 0, "round trip is exact");
	is_str(back.t[2].it.diag, "4.4.0 no remote transport", "diag kept");
	is_int(back.t[2].it.next, 1800000000, "next kept");
	is_int(back.t[2].kind, QS_T_REMOTE, "kind kept");
	is_str(back.t[1].host, "store2", "host kept");
	is_int(back.r[1].it.status, QS_FAILED, "failed recipient kept");
	for (bad = 0, i = 0; i < enc.len; i++)
		bad += qstate_decode(enc.s, i, ID, 3, &back, &why) == 0;
	is_int(bad, 0, "every proper prefix is refused");
	sbuf_cat_c(&enc, 0);
	ok(qstate_decode(enc.s, enc.len, ID, 3, &back, &why) < 0,
	    "a trailing byte is refused (%s)", why);
	sbuf_truncate(&enc, enc.len - 1);
	ok(qstate_decode(enc.s, enc.len, "0TP9VY37T6W008C1", 3, &back,
	    &why) < 0, "another queue id is refused (%s)", why);
	ok(qstate_decode(enc.s, enc.len, ID, 2, &back, &why) < 0,
	    "fewer recipients are refused (%s)", why);
	ok(qstate_decode(enc.s, enc.len, ID, 4, &back, &why) < 0,
	    "more recipients are refused (%s)", why);
	/* Recipient 1 is the 2nd item: corrupt its status to EXPANDED. */
	st.r[1].it.status = QS_EXPANDED;
	ok(qstate_encode(&st, &enc2) < 0, "expanded without targets: "
	    "not encoded");
	st.r[1].it.status = QS_FAILED;
	st.r[1].it.diag[0] = '\n';
	ok(qstate_encode(&st, &enc2) < 0, "control byte in diag: not encoded");
	/* An SMTPUTF8 target (RFC 6531) is kept: it was refused, so a
	 * message with one could never record a failure or a delivery. */
	st.r[1].it.diag[0] = '5';
	snprintf(st.t[2].addr, sizeof st.t[2].addr, "%s",
	    "j\xc3\xbc" "rgen@b\xc3\xbc" "cher.example");
	ok(qstate_encode(&st, &enc2) == 0 &&
	    qstate_decode(enc2.s, enc2.len, ID, 3, &back, &why) == 0 &&
	    strcmp(back.t[2].addr, st.t[2].addr) == 0,
	    "a UTF-8 target round-trips");
	st.t[2].addr[0] = '\x7f';
	ok(qstate_encode(&st, &enc2) < 0, "DEL in a target: not encoded");
	qstate_fini(&st);
	qstate_fini(&back);
	sbuf_fini(&enc);
	sbuf_fini(&enc2);
}

static void
test_files(void)
{
	static const char *const top[] = { "tmp", "msg", "env", "state" };
	char dir[] = "/tmp/tern-qstate.XXXXXX", path[256];
	struct qstate st, back;
	struct sbuf p;
	size_t i;
	const char *why;
	int64_t due;
	FILE *f;

	qstate_init(&st);
	qstate_init(&back);
	if (mkdtemp(dir) == NULL || queue_prepare(dir) < 0)
		abort();
	ok(qstate_load(dir, ID, 2, &back, &why) == 0 && back.nr == 2 &&
	    back.r[0].it.status == QS_PENDING, "no file: all pending");
	ok(qstate_next_due(dir, ID, &due) == 0 && due == 0,
	    "no file: due now");
	build(&st);
	ok(qstate_write_sync(dir, &st) == 0, "written");
	ok(qstate_load(dir, ID, 3, &back, &why) == 0 && back.nt == 4,
	    "loaded back");
	ok(qstate_next_due(dir, ID, &due) == 0 && due == 0,
	    "a failed recipient: due now");
	st.r[1].it.status = QS_BOUNCED;
	st.t[0].it.next = 1700000000;
	st.t[0].it.status = QS_PENDING;
	st.t[3].it.status = QS_DELIVERED;
	ok(qstate_write_sync(dir, &st) == 0, "rewritten over the old one");
	ok(qstate_next_due(dir, ID, &due) == 0 && due == 1700000000,
	    "next due: the earliest pending retry");
	/* A stale .new (a crash) does not stop the next write. */
	sbuf_init(&p, 4096);
	qid_path(dir, QID_STATE_NEW, ID, &p);
	f = fopen(p.s, "w");
	if (f != NULL)
		fclose(f);
	ok(qstate_write_sync(dir, &st) == 0 && access(p.s, F_OK) < 0,
	    "a stale .new is replaced");
	qid_path(dir, QID_STATE, ID, &p);
	ok(qstate_remove(dir, ID) == 0 && access(p.s, F_OK) < 0,
	    "removed (missing env/msg files are fine)");
	/* Clean up: the bucket, then the top folders. */
	qid_dir(dir, QID_STATE, ID, &p);
	(void)rmdir(p.s);
	for (i = 0; i < 4; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, top[i]);
		(void)rmdir(path);
	}
	(void)rmdir(dir);
	sbuf_fini(&p);
	qstate_fini(&st);
	qstate_fini(&back);
}

static void
test_trigger(void)
{
	struct trigger_parser tp;
	const char *in = "\0FD" ID "Dxx" "D" ID "F" "n" IDL "nXD" ID "n" IDL
	    "n" ID;
	size_t n = 1 + 1 + 1 + QID_LEN + 3 + 1 + QID_LEN + 1 + 1 + QID_LEN +
	    3 + QID_LEN + 1 + QID_LEN + 1 + QID_LEN, i;
	char got[64];
	size_t ng = 0;

	trigger_parser_init(&tp);
	for (i = 0; i < n; i++) {
		switch (trigger_feed(&tp, (unsigned char)in[i])) {
		case TRIGGER_NONE:
			break;
		case TRIGGER_WAKE:
			got[ng++] = 'w';
			break;
		case TRIGGER_FLUSH:
			got[ng++] = 'f';
			break;
		case TRIGGER_DELETE:
			got[ng++] = strcmp(tp.id, ID) == 0 ? 'd' : '?';
			break;
		case TRIGGER_NEW:
			got[ng++] = strcmp(tp.id, ID) == 0 ? 'n' : '?';
			break;
		}
	}
	got[ng] = '\0';
	/* NUL wake, F, D+id, "Dx" broken -> wake, "x" wake, D+id, F,
	 * n+id (lower case), "nX" broken -> wake, D+id, n+id, and "n" with
	 * an upper-case id: broken at its first letter "T" (a wake), the
	 * rest of its letters wakes too, "D" and "F" among them would be
	 * commands ("D" and "F" are id characters of D: an id is always
	 * QID_LEN of them). */
	is_str(got, "wfdwwdfnwdn" "wwwwwwwwwwwwwww", "trigger commands, byte at a time");
}

int
main(void)
{
	plan(33);
	test_codec();
	test_files();
	test_trigger();
	return done_testing();
}
