/*
 * Unit tests for lib/envelope: round trip, every truncation point of a
 * valid envelope refused, each field's checks, junk fed byte by byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
sample(struct envelope *e)
{
	envelope_init(e);
	(void)qid_new(e->qid);
	e->arrival = 1790000000;
	(void)snprintf(e->sender, sizeof(e->sender), "alice@example.org");
	(void)snprintf(e->client_ip, sizeof(e->client_ip), "2001:db8::1");
	(void)snprintf(e->helo, sizeof(e->helo), "mx.example.net");
	(void)snprintf(e->auth_user, sizeof(e->auth_user), "alice");
	e->body = ENV_BODY_8BITMIME;
	e->flags = 0;
	(void)snprintf(e->envid, sizeof(e->envid), "QQ314159");
	e->ret = ENV_RET_HDRS;
	if (envelope_add_rcpt(e, "bob@example.com", "rfc822;bob@example.com",
	    ENV_N_SUCCESS | ENV_N_FAILURE, "Bob@Example.com") < 0 ||
	    envelope_add_rcpt(e, "postmaster", NULL, 0, NULL) < 0 ||
	    envelope_add_rcpt(e, "\"odd one\"@[192.0.2.1]", "", ENV_N_NEVER,
	    "") < 0)
		abort();
}

static int
same(const struct envelope *a, const struct envelope *b)
{
	size_t i;

	if (strcmp(a->qid, b->qid) || a->arrival != b->arrival ||
	    strcmp(a->sender, b->sender) || strcmp(a->client_ip, b->client_ip) ||
	    strcmp(a->helo, b->helo) || strcmp(a->auth_user, b->auth_user) ||
	    a->body != b->body || a->flags != b->flags ||
	    strcmp(a->envid, b->envid) || a->ret != b->ret ||
	    a->nrcpt != b->nrcpt)
		return 0;
	for (i = 0; i < a->nrcpt; i++)
		if (strcmp(a->rcpt[i].addr, b->rcpt[i].addr) ||
		    strcmp(a->rcpt[i].orcpt, b->rcpt[i].orcpt) ||
		    a->rcpt[i].notify != b->rcpt[i].notify ||
		    strcmp(a->rcpt[i].orig, b->rcpt[i].orig))
			return 0;
	return 1;
}

/* Decode from an exact-size heap copy, so ASan sees any overread. */
static int
decode(const void *p, size_t n, int flags, struct envelope *e,
    const char **why)
{
	char *copy = malloc(n ? n : 1);
	int r;

	if (copy == NULL)
		abort();
	memcpy(copy, p, n);
	r = envelope_read(copy, n, flags, e, why);
	free(copy);
	return r;
}

static void
test_round_trip(void)
{
	struct envelope a, b;
	struct sbuf s, s2;
	const char *why = NULL;
	char pbuf[4096];
	int fds[2];

	sample(&a);
	envelope_init(&b);
	sbuf_init(&s, ENV_FILE_MAX);
	sbuf_init(&s2, ENV_FILE_MAX);
	ok(envelope_encode(&a, &s) == 0, "encode a sample envelope");
	is_int(decode(s.s, s.len, ENV_R_QUEUED, &b, &why), ENV_OK,
	    "it reads back as a queued envelope");
	ok(same(&a, &b), "every field survives the round trip");
	ok(envelope_encode(&b, &s2) == 0 && s2.len == s.len &&
	    memcmp(s.s, s2.s, s.len) == 0, "and encodes to the same bytes");
	ok(pipe(fds) == 0 && envelope_write(fds[1], &a) == 0,
	    "envelope_write to a pipe");
	(void)close(fds[1]);
	ok(read(fds[0], pbuf, sizeof(pbuf)) == (ssize_t)s.len &&
	    memcmp(pbuf, s.s, s.len) == 0, "envelope_write wrote the encoding");
	(void)close(fds[0]);

	/* Not yet queued: no id, no time. */
	a.qid[0] = '\0';
	a.arrival = 0;
	ok(envelope_encode(&a, &s) == 0, "encode without id and time");
	is_int(decode(s.s, s.len, 0, &b, &why), ENV_OK,
	    "an input envelope reads without ENV_R_QUEUED");
	is_int(decode(s.s, s.len, ENV_R_QUEUED, &b, &why), ENV_EVALUE,
	    "and is refused as a queued one");
	envelope_fini(&a);
	envelope_fini(&b);
	sbuf_fini(&s);
	sbuf_fini(&s2);
}

static void
test_truncation(void)
{
	struct envelope a, b;
	struct sbuf s;
	const char *why;
	size_t i, bad = 0;

	sample(&a);
	envelope_init(&b);
	sbuf_init(&s, ENV_FILE_MAX);
	if (envelope_encode(&a, &s) < 0)
		abort();
	for (i = 0; i < s.len; i++) {
		why = NULL;
		if (decode(s.s, i, 0, &b, &why) != ENV_ETRUNC || why == NULL)
			bad++;
	}
	is_int((long long)bad, 0, "every truncation point is ENV_ETRUNC");
	why = NULL;
	(void)sbuf_cat_c(&s, 0);
	is_int(decode(s.s, s.len, 0, &b, &why), ENV_ETRAIL,
	    "a byte after END is refused");
	ok(why != NULL && strstr(why, "END") != NULL, "why: %s", why);
	envelope_fini(&a);
	envelope_fini(&b);
	sbuf_fini(&s);
}

/* Encode the sample after a change, splice one record, and read it. */
static int
read_with(void (*change)(struct envelope *))
{
	struct envelope a, b;
	struct sbuf s;
	const char *why;
	int r;

	sample(&a);
	change(&a);
	envelope_init(&b);
	sbuf_init(&s, ENV_FILE_MAX);
	if (envelope_encode(&a, &s) < 0) {
		r = 99;		/* the encoder refused it first */
	} else
		r = decode(s.s, s.len, 0, &b, &why);
	envelope_fini(&a);
	envelope_fini(&b);
	sbuf_fini(&s);
	return r;
}

static void ch_ctl_helo(struct envelope *e) { e->helo[2] = '\n'; }
static void ch_bad_ip(struct envelope *e) { e->client_ip[0] = 'x'; }
static void ch_bad_sender(struct envelope *e) { e->sender[5] = ' '; }
static void ch_utf8_sender(struct envelope *e)
{ (void)snprintf(e->sender, sizeof(e->sender), "j\xc3\xb6rg@example.org"); }
static void ch_utf8_ok(struct envelope *e)
{ ch_utf8_sender(e); e->flags = ENV_F_SMTPUTF8; }
static void ch_notify(struct envelope *e)
{ e->rcpt[0].notify = ENV_N_NEVER | ENV_N_DELAY; }
static void ch_body(struct envelope *e) { e->body = (enum env_body)7; }
static void ch_null(struct envelope *e) { e->sender[0] = '\0'; }
static void ch_norcpt(struct envelope *e) { e->nrcpt = 0; }

static void
test_fields(void)
{
	is_int(read_with(ch_null), ENV_OK, "null sender is fine");
	is_int(read_with(ch_utf8_ok), ENV_OK, "UTF-8 sender with SMTPUTF8");
	is_int(read_with(ch_ctl_helo), 99, "encoder refuses LF in HELO");
	is_int(read_with(ch_bad_ip), 99, "encoder refuses a bad IP");
	is_int(read_with(ch_bad_sender), 99, "encoder refuses a bad sender");
	is_int(read_with(ch_utf8_sender), 99,
	    "encoder refuses UTF-8 without SMTPUTF8");
	is_int(read_with(ch_notify), 99, "encoder refuses NEVER+DELAY");
	is_int(read_with(ch_body), 99, "encoder refuses an unknown body");
	is_int(read_with(ch_norcpt), 99, "encoder refuses no recipients");
}

/* Hand-made records, so the reader's own checks are reached. */
static void
rec(struct sbuf *s, int t, const char *v, size_t n)
{
	if (envelope_rec_put(s, t, v, n) < 0)
		abort();
}

static void
head(struct sbuf *s, const char *sender, int flags)
{
	char f = (char)flags;

	sbuf_reset(s);
	rec(s, 'V', "\1", 1);
	rec(s, 'Q', "", 0);
	rec(s, 'T', "\0\0\0\0\0\0\0\0", 8);
	rec(s, 'B', "\0", 1);
	rec(s, 'F', &f, 1);
	rec(s, 'E', "", 0);
	rec(s, 'X', "\0", 1);
	rec(s, 'S', sender, strlen(sender));
	rec(s, 'I', "", 0);
	rec(s, 'H', "", 0);
	rec(s, 'U', "", 0);
}

static void
rcpt(struct sbuf *s, const char *a, int notify)
{
	char n = (char)notify;

	rec(s, 'R', a, strlen(a));
	rec(s, 'O', "", 0);
	rec(s, 'N', &n, 1);
	rec(s, 'A', "", 0);
}

static int
reader(struct sbuf *s)
{
	struct envelope e;
	const char *why = NULL;
	int r;

	envelope_init(&e);
	r = decode(s->s, s->len, 0, &e, &why);
	if (r != ENV_OK && why == NULL)
		r = 98;
	envelope_fini(&e);
	return r;
}

static void
test_reader(void)
{
	struct sbuf s;
	int i;

	sbuf_init(&s, ENV_FILE_MAX + 4096);
	head(&s, "", 0);
	rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_OK, "minimal hand-made envelope");
	head(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_EVALUE, "no recipient is refused");
	head(&s, "a\x01@b.example", 0);
	rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_EVALUE, "control byte in sender refused");
	head(&s, "", 2);
	rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_EVALUE, "unknown flag refused");
	head(&s, "", 0);
	rcpt(&s, "a@b.example", 0x10);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_EVALUE, "unknown NOTIFY bit refused");
	head(&s, "", 0);
	rcpt(&s, "a@b.example", 0);
	rec(&s, 'Y', "", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_ETYPE, "unknown record refused");
	head(&s, "", 0);
	rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "x", 1);
	is_int(reader(&s), ENV_ELEN, "END with a value refused");
	head(&s, "", 0);
	rec(&s, 'S', "", 0);
	is_int(reader(&s), ENV_ETYPE, "a repeated record is refused");
	sbuf_reset(&s);
	rec(&s, 'V', "\2", 1);
	is_int(reader(&s), ENV_EVALUE, "version 2 refused");
	sbuf_reset(&s);
	rec(&s, 'V', "\1\1", 2);
	is_int(reader(&s), ENV_ELEN, "version of the wrong size refused");
	head(&s, "", 0);
	for (i = 0; i <= ENV_RCPT_MAX; i++)
		rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_EBIG, "ENV_RCPT_MAX + 1 recipients refused");
	head(&s, "", 0);
	for (i = 0; i < ENV_RCPT_MAX; i++)
		rcpt(&s, "a@b.example", 0);
	rec(&s, 'Z', "", 0);
	is_int(reader(&s), ENV_OK, "ENV_RCPT_MAX recipients accepted");
	sbuf_reset(&s);
	(void)sbuf_cat_n(&s, "V\xff\xff\xff\xff", 5);
	is_int(reader(&s), ENV_ETRUNC, "a huge length is a truncation");
	sbuf_fini(&s);
}

/* Junk of every byte value, fed one byte at a time. */
static void
test_junk(void)
{
	struct envelope e;
	const char *why;
	unsigned char buf[64];
	size_t i, n, bad = 0;
	unsigned seed = 12345;

	envelope_init(&e);
	for (i = 0; i < 2000; i++) {
		n = i % sizeof(buf);
		for (size_t j = 0; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = (unsigned char)(seed >> 16);
		}
		why = NULL;
		if (decode(buf, n, 0, &e, &why) == ENV_OK || why == NULL)
			bad++;
	}
	is_int((long long)bad, 0, "2000 random junk inputs are refused");
	envelope_fini(&e);
}

/* Every byte of a valid envelope set to every value: whatever is
 * accepted encodes back to exactly the input (one encoding per envelope). */
static void
test_mutations(void)
{
	struct envelope a, b;
	struct sbuf s, re;
	const char *why;
	size_t i, bad = 0, accepted = 0;
	int v;
	char keep;

	sample(&a);
	envelope_init(&b);
	sbuf_init(&s, ENV_FILE_MAX);
	sbuf_init(&re, ENV_FILE_MAX);
	if (envelope_encode(&a, &s) < 0)
		abort();
	for (i = 0; i < s.len; i++) {
		keep = s.s[i];
		for (v = 0; v < 256; v++) {
			s.s[i] = (char)v;
			why = NULL;
			if (decode(s.s, s.len, 0, &b, &why) != ENV_OK) {
				if (why == NULL)
					bad++;
				continue;
			}
			accepted++;
			if (envelope_encode(&b, &re) < 0 || re.len != s.len ||
			    memcmp(re.s, s.s, s.len) != 0)
				bad++;
		}
		s.s[i] = keep;
	}
	ok(bad == 0, "%zu one-byte mutants: each accepted one (%zu) "
	    "re-encodes to itself, each refused one says why", s.len * 256,
	    accepted);
	envelope_fini(&a);
	envelope_fini(&b);
	sbuf_fini(&s);
	sbuf_fini(&re);
}

static void
test_qid(void)
{
	char a[QID_LEN + 1], b[QID_LEN + 1], out[QID_LEN + 1], bk[3];
	struct sbuf p;
	const char *why;
	int r;
	size_t i, bad = 0;

	ok(qid_new(a) == 0 && strlen(a) == QID_LEN, "qid_new gives %d chars",
	    QID_LEN);
	ok(qid_valid(a, QID_LEN), "a new id is valid");
	for (i = 0; i < 10000; i++) {
		if (qid_new(b) < 0 || strcmp(a, b) >= 0 || !qid_valid(b, QID_LEN))
			bad++;
		memcpy(a, b, sizeof(a));
	}
	is_int((long long)bad, 0, "10000 ids in a row strictly increase");
	ok(!qid_valid("0TP9UDXFYRA00D8y", QID_LEN), "lower case refused");
	ok(!qid_valid("0TP9UDXFYRA00D8", QID_LEN - 1), "short id refused");
	ok(!qid_valid("0TP9UDXZZZZ00D8Y", QID_LEN), "microseconds > 999999");
	why = NULL;
	r = qid_parse("0TP9UDX/YRA00D8Y", QID_LEN, out, &why);
	ok(r < 0, "'/' refused: %s", why ? why : "(none)");
	ok(qid_parse("0TP9UDXFYRA00D8Y", QID_LEN, out, &why) == 0 &&
	    strcmp(out, "0TP9UDXFYRA00D8Y") == 0, "qid_parse copies");
	qid_bucket("0TP9UDXFYRA00D8Y", bk);
	ok(qid_is_bucket(bk, 2), "bucket %s", bk);
	sbuf_init(&p, 4096);
	/* Call first: the order of evaluation of ok()'s arguments is unspecified. */
	r = qid_path("/q", QID_MSG, "0TP9UDXFYRA00D8Y", &p);
	ok(r == 0 &&
	    strncmp(p.s, "/q/msg/", 7) == 0 && memcmp(p.s + 7, bk, 2) == 0 &&
	    strcmp(p.s + 9, "/0TP9UDXFYRA00D8Y") == 0, "msg path %s", p.s);
	r = qid_path("/q", QID_TMP_ENV, "0TP9UDXFYRA00D8Y", &p);
	ok(r == 0 &&
	    strcmp(p.s, "/q/tmp/0TP9UDXFYRA00D8Y.env") == 0, "tmp path %s", p.s);
	r = qid_dir("/q", QID_ENV, "0TP9UDXFYRA00D8Y", &p);
	ok(r == 0 && strlen(p.s) == 9, "env dir %s", p.s);
	ok(qid_path("/q", QID_MSG, "../../etc/passwd", &p) < 0 &&
	    errno == EINVAL, "a bad id gives no path");
	sbuf_fini(&p);
}

int
main(void)
{
	test_round_trip();
	test_truncation();
	test_fields();
	test_reader();
	test_junk();
	test_mutations();
	test_qid();
	return done_testing();
}
