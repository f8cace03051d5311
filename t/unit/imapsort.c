/* Unit tests for lib/imapsort: the key record of a header (first field
 * of each name, first address, display names, message IDs, In-Reply-To
 * as fallback, dates) and the sort (criteria, REVERSE, ties by seq). */
#include <string.h>

#include "lib/imapsort.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static void
field(const struct imapsort_keys *k, enum imapsort_field f, const char *want,
    const char *name)
{
	is_mem(k->f[f].p, k->f[f].n, want, strlen(want), name);
}

static void
test_record(void)
{
	static const char h1[] =
	    "From: \"Doe, J.\" <John.Doe@Example.org>, other@x\r\n"
	    "From: second@x\r\n"
	    "To: undisclosed:;, =?utf-8?q?J=C3=B6rg?= <joerg@x.de>\r\n"
	    "Cc: ann@x (Ann Smith)\r\n"
	    "Subject: Re: [list] Hello\r\n\tworld\r\n"
	    "Date: Tue, 2 Jan 2024 10:00:00 +0100\r\n"
	    "Message-ID: < id1@x >\r\n"
	    "In-Reply-To: <ignored@x>\r\n"
	    "References: <a@x> junk <b@x>\r\n <no-at> <c@x>\r\n"
	    "\r\n"
	    "Subject: not a header\r\n";
	static const char h2[] =
	    "From: bob@b.org\nTo: <route@x>\nIn-Reply-To: <p@x> <q@x>\n"
	    "Date: garbage\n\n";
	struct imapsort_keys k;
	struct sbuf rec;

	sbuf_init(&rec, IMAPSORT_REC_MAX);
	is_int(imapsort_rec_make(&rec, h1, sizeof h1 - 1), 0, "record 1");
	is_int(imapsort_rec_parse(rec.s, rec.len, &k), 0, "parsed back");
	field(&k, IMAPSORT_SUBJECT, "HELLO WORLD", "base subject");
	is_int(k.is_reply, 1, "a reply");
	field(&k, IMAPSORT_FROM, "JOHN.DOE", "FROM: the first mailbox");
	field(&k, IMAPSORT_DFROM, "DOE, J.", "DISPLAYFROM: the name");
	field(&k, IMAPSORT_TO, "JOERG", "TO: past an empty group");
	field(&k, IMAPSORT_DTO, "JO\xcc\x88RG", "DISPLAYTO: RFC 2047 name");
	field(&k, IMAPSORT_CC, "ANN", "CC");
	field(&k, IMAPSORT_MSGID, "id1@x", "Message-ID without blanks");
	field(&k, IMAPSORT_REFS, "a@x b@x c@x", "References, junk skipped");
	is_int(k.has_date, 1, "a date");
	is_int(k.date, 1704186000, "Date in UTC");
	is_int(imapsort_rec_make(&rec, h2, sizeof h2 - 1), 0, "record 2");
	is_int(imapsort_rec_parse(rec.s, rec.len, &k), 0, "parsed back");
	field(&k, IMAPSORT_DFROM, "BOB@B.ORG", "DISPLAYFROM: the address");
	field(&k, IMAPSORT_TO, "ROUTE", "TO in brackets");
	field(&k, IMAPSORT_REFS, "p@x", "In-Reply-To: its first ID");
	is_int(k.has_date, 0, "an unparsable date");
	field(&k, IMAPSORT_SUBJECT, "", "no subject");
	is_int(imapsort_rec_parse(rec.s, rec.len - 1, &k), -1, "short");
	is_int(imapsort_rec_parse("TS2", 3, &k), -1, "foreign");
	sbuf_fini(&rec);
}

static void
test_sort(void)
{
	struct imapsort_msg m[4], *v[4];
	struct imapp_sort c;
	char got[64];
	size_t i, n;

	memset(m, 0, sizeof m);
	for (i = 0; i < 4; i++) {
		m[i].seq = (uint32_t)i + 1;
		v[i] = &m[i];
	}
	m[0].arrival = 30; m[1].arrival = 10; m[2].arrival = 30;
	m[3].arrival = 20;
	m[0].f[IMAPSORT_SUBJECT].p = "B"; m[0].f[IMAPSORT_SUBJECT].n = 1;
	m[1].f[IMAPSORT_SUBJECT].p = "AB"; m[1].f[IMAPSORT_SUBJECT].n = 2;
	m[2].f[IMAPSORT_SUBJECT].p = "A"; m[2].f[IMAPSORT_SUBJECT].n = 1;
	memset(&c, 0, sizeof c);
	c.key[0] = IMAPP_SORT_ARRIVAL;
	c.reverse[0] = 1;
	c.n = 1;
	is_int(imapsort_sort(v, 4, &c), 0, "sort");
	for (i = 0, n = 0; i < 4; i++)
		got[n++] = (char)('0' + v[i]->seq);
	got[n] = '\0';
	is_str(got, "1342", "REVERSE ARRIVAL, ties by seq ascending");
	c.key[0] = IMAPP_SORT_SUBJECT;
	c.reverse[0] = 0;
	is_int(imapsort_sort(v, 4, &c), 0, "sort");
	for (i = 0, n = 0; i < 4; i++)
		got[n++] = (char)('0' + v[i]->seq);
	got[n] = '\0';
	is_str(got, "4321", "SUBJECT: empty first, prefix before longer");
	ok(imapsort_needs_keys(&c), "SUBJECT needs the header");
	c.key[0] = IMAPP_SORT_SIZE;
	ok(!imapsort_needs_keys(&c), "SIZE does not");
}

int
main(void)
{
	test_record();
	test_sort();
	return done_testing();
}
