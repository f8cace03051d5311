/* Unit tests for lib/hdraddr: header fields and address lists. */
#include <errno.h>
#include <string.h>
#include <bsd/string.h>

#include "lib/hdraddr.h"
#include "t/tap.h"

#define NMAX	8

/* Parse v; return the count (or -1) and the addresses joined by ' '. */
static int
list(const char *v, const char *bare, char *out, size_t outsz)
{
	struct addr a[NMAX];
	const char *why = "";
	size_t n, i;

	out[0] = '\0';
	if (hdr_addr_list(v, strlen(v), bare, 0, a, NMAX, &n, &why) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (i > 0)
			(void)strlcat(out, " ", outsz);
		(void)strlcat(out, a[i].local, outsz);
		(void)strlcat(out, "@", outsz);
		(void)strlcat(out, a[i].domain, outsz);
	}
	return (int)n;
}

static void
test_lists(void)
{
	char b[512];

	is_int(list(" alice@example.test", NULL, b, sizeof b), 1, "addr-spec");
	is_str(b, "alice@example.test", "its address");
	is_int(list(" \"Alice, A.\" <alice@example.test> (home)", NULL, b,
	    sizeof b), 1, "quoted display name with a comma");
	is_str(b, "alice@example.test", "name-addr");
	is_int(list(" A <a@x.test>,\r\n\tb@y.test (B (nested)), c@z.test",
	    NULL, b, sizeof b), 3, "three, folded");
	is_str(b, "a@x.test b@y.test c@z.test", "in order");
	is_int(list(" team: a@x.test, B <b@y.test>; , c@z.test", NULL, b,
	    sizeof b), 3, "group");
	is_str(b, "a@x.test b@y.test c@z.test", "group members");
	is_int(list(" undisclosed-recipients:;", NULL, b, sizeof b), 0,
	    "empty group");
	is_int(list(" root", NULL, b, sizeof b), -1, "bare name refused");
	is_int(list(" root, Bob <bob>", "host.test", b, sizeof b), 2,
	    "bare names qualified");
	is_str(b, "root@host.test bob@host.test", "with the domain");
	is_int(list(" <@relay.test:a@x.test>", NULL, b, sizeof b), 1,
	    "source route");
	is_int(list(" A <a@x.test> junk", NULL, b, sizeof b), -1,
	    "text after '>'");
	is_int(list(" <a@x.test", NULL, b, sizeof b), -1, "unterminated <");
	is_int(list(" a@x.test (open", NULL, b, sizeof b), -1,
	    "unterminated comment");
	is_int(list(" a@x.test; b@y.test", NULL, b, sizeof b), -1,
	    "';' outside a group");
	is_int(list(" a\001@x.test", NULL, b, sizeof b), -1, "control byte");
	is_int(list(" a@x.test,,b@y.test,", NULL, b, sizeof b), 2,
	    "empty items skipped");
	is_int(list(" \"a b\"@x.test", NULL, b, sizeof b), 1,
	    "quoted local part");
	is_str(b, "a b@x.test", "unquoted");
	is_int(list(" 1@a.test,2@a.test,3@a.test,4@a.test,5@a.test,6@a.test,"
	    "7@a.test,8@a.test,9@a.test", NULL, b, sizeof b), -1,
	    "more than max");
}

static void
test_fields(void)
{
	static const char h[] = "From: a@x.test\r\nTo: b@y.test,\r\n"
	    " c@z.test\r\nSubject : hi\r\nbroken line\r\nX: 1\r\n\r\nbody: no\r\n";
	struct hdr_field f;
	size_t off = 0, n = sizeof h - 1;

	is_int(hdr_next(h, n, &off, &f), 1, "first field");
	ok(hdr_is(&f, "from") && f.value_len == 9 &&
	    memcmp(f.value, " a@x.test", 9) == 0, "From value");
	is_int(f.start, 0, "starts at 0");
	is_int(hdr_next(h, n, &off, &f), 1, "folded field");
	ok(hdr_is(&f, "TO") && f.value_len == 21, "To keeps its fold");
	is_int(hdr_next(h, n, &off, &f), 1, "name with blanks before ':'");
	ok(hdr_is(&f, "Subject"), "Subject");
	is_int(hdr_next(h, n, &off, &f), HDR_EBAD, "a line without colon");
	is_int(hdr_next(h, n, &off, &f), 1, "goes on after it");
	is_int(f.end, off, "end is past the line");
	is_int(hdr_next(h, n, &off, &f), 0, "empty line ends the header");
	is_int(hdr_next("A: b\nC: d", 9, &(size_t){ 0 }, &f), 1, "bare LF");
	ok(f.value_len == 2, "value without LF");
	is_int(hdr_next("", 0, &(size_t){ 0 }, &f), 0, "nothing");
}

int
main(void)
{
	plan(36);
	test_lists();
	test_fields();
	return done_testing();
}
