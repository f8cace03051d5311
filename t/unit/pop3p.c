/* Unit tests for lib/pop3p: the POP3 command parser, also fed every
 * prefix of its inputs (a parser never reads past its length). */
#include <stdlib.h>
#include <string.h>

#include "lib/pop3p.h"
#include "t/tap.h"

static int
parse(const char *s, struct pop3p_cmd *c)
{
	const char *why = NULL;
	char *copy;
	size_t n = strlen(s), i;
	int r;

	/* Every prefix, in an exact-size heap copy (ASan sees overreads). */
	for (i = 0; i <= n; i++) {
		struct pop3p_cmd t;
		copy = malloc(i + 1);
		if (copy == NULL)
			abort();
		memcpy(copy, s, i);
		(void)pop3p_parse(copy, i, &t, &why);
		free(copy);
	}
	r = pop3p_parse(s, n, c, &why);
	if (r < 0 && why == NULL)
		return -2;
	return r;
}

static int
arg_is(const struct pop3p_cmd *c, size_t i, const char *want)
{
	return i < c->nargs && c->arg[i].n == strlen(want) &&
	    memcmp(c->arg[i].p, want, c->arg[i].n) == 0;
}

int
main(void)
{
	struct pop3p_cmd c;
	uint64_t v;

	is_int(parse("USER alice@example.org", &c), 0, "USER");
	ok(c.verb == POP3_USER && arg_is(&c, 0, "alice@example.org"), "USER arg");
	is_int(parse("user a", &c), 0, "verbs are case-insensitive");
	is_int(parse("PASS two words ", &c), 0, "PASS keeps the rest");
	ok(arg_is(&c, 0, "two words "), "PASS arg with blanks");
	is_int(parse("PASS", &c), -1, "PASS without argument");
	is_int(parse("STAT", &c), 0, "STAT");
	is_int(parse("STAT 1", &c), -1, "STAT takes no argument");
	is_int(parse("LIST", &c), 0, "LIST");
	is_int(parse("LIST 2", &c), 0, "LIST n");
	is_int(parse("LIST 2 3", &c), -1, "LIST n m");
	is_int(parse("TOP 1 10", &c), 0, "TOP");
	ok(c.verb == POP3_TOP && arg_is(&c, 0, "1") && arg_is(&c, 1, "10"), "TOP args");
	is_int(parse("TOP 1", &c), -1, "TOP needs two");
	is_int(parse("RETR  1", &c), 0, "two blanks taken");
	ok(c.nargs == 1 && arg_is(&c, 0, "1"), "RETR  1: one argument");
	is_int(parse("RETR 1 ", &c), 0, "a trailing blank taken");
	ok(c.nargs == 1 && arg_is(&c, 0, "1"), "RETR 1 : one argument");
	is_int(parse("STAT  ", &c), 0, "STAT with trailing blanks");
	is_int(parse("STAT  1", &c), -1, "STAT  1 still takes no argument");
	is_int(parse("TOP 1   0  ", &c), 0, "TOP 1   0  ");
	ok(c.nargs == 2 && arg_is(&c, 0, "1") && arg_is(&c, 1, "0"),
	    "TOP args between runs of blanks");
	is_int(parse("RETR ", &c), -1, "RETR with a blank only: missing");
	is_int(parse("PASS ", &c), -1, "PASS with a blank only: missing");
	is_int(parse("USER alice ", &c), 0, "USER name SP");
	ok(arg_is(&c, 0, "alice"), "the blank is not part of the name");
	is_int(parse("NOOP\x01", &c), -1, "control byte in verb");
	is_int(parse("", &c), -1, "empty");
	is_int(parse("XYZZY", &c), -1, "unknown");
	ok(c.verb == POP3_UNKNOWN, "unknown verb");
	is_int(parse("AUTH PLAIN AGEAYg==", &c), 0, "AUTH with initial response");
	ok(arg_is(&c, 0, "PLAIN") && arg_is(&c, 1, "AGEAYg=="), "AUTH args");
	is_int(parse("AUTH", &c), 0, "AUTH alone lists mechanisms");
	is_int(pop3p_parse("PASS a\0b", 8, &c, &(const char *){NULL}), -1,
	    "NUL in PASS");
	is_int(pop3p_parse("USER a\0b", 8, &c, &(const char *){NULL}), -1,
	    "NUL in USER");
	is_int(pop3p_msgnum("1", 1, &v), 0, "msgnum 1");
	is_int(pop3p_msgnum("0", 1, &v), -1, "msgnum 0");
	is_int(pop3p_msgnum("01", 2, &v), -1, "leading zero");
	is_int(pop3p_msgnum("-1", 2, &v), -1, "sign");
	is_int(pop3p_msgnum("99999999999999999999999", 23, &v), -1, "overflow");
	is_int(pop3p_count("0", 1, &v), 0, "TOP count 0");
	is_int(pop3p_count("99999999", 8, &v), 0, "TOP count 99999999");
	ok(v == 99999999, "its value");
	is_int(pop3p_count("99999999999999999999999", 23, &v), 0,
	    "a huge TOP count");
	ok(v == POP3P_COUNT_MAX, "saturates");
	is_int(pop3p_count("1x", 2, &v), -1, "TOP count with junk");
	return done_testing();
}
