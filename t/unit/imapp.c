/* Unit tests for lib/imapp: the IMAP command parser and its typed helpers.
 * Every command is also parsed at every prefix, from an exact-size heap
 * copy (ASan sees any overread). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/sbuf.h"
#include "t/tap.h"

static struct imapp_cmd C;
static const char *why;

static int
parse_n(const char *s, size_t n)
{
	struct imapp_cmd t;
	const char *w;
	char *copy;
	size_t i;
	int r;

	imapp_cmd_init(&t);
	for (i = 0; i < n; i++) {
		copy = malloc(i + 1);
		if (copy == NULL)
			abort();
		memcpy(copy, s, i);
		if (imapp_parse(copy, i, NULL, &t, &w) < 0 && w == NULL)
			abort();
		free(copy);
	}
	imapp_cmd_fini(&t);
	r = imapp_parse(s, n, NULL, &C, &why);
	if (r < 0 && why == NULL)
		return -100;
	return r;
}

static int
parse(const char *s)
{
	return parse_n(s, strlen(s));
}

static int
tok_is(const struct imapp_tok *t, enum imapp_tok_type type, const char *s)
{
	return t != NULL && t->type == type && t->n == strlen(s) &&
	    memcmp(t->p, s, t->n) == 0;
}

/* A compact dump of the argument tree: atoms as is, numbers #n, quoted
 * "..", literals {..}, NIL, lists (..), sections name[...]. */
static void
dump_tok(const struct imapp_tok *t, struct sbuf *o)
{
	const struct imapp_tok *k;
	uint32_t i;

	switch (t->type) {
	case IMAPP_T_ATOM:
		(void)sbuf_cat_n(o, t->p, t->n);
		break;
	case IMAPP_T_NUMBER:
		(void)sbuf_printf(o, "#%llu", (unsigned long long)t->num);
		break;
	case IMAPP_T_NIL:
		(void)sbuf_cat_s(o, "NIL");
		break;
	case IMAPP_T_QUOTED:
		(void)sbuf_cat_c(o, '"');
		(void)sbuf_cat_n(o, t->p, t->n);
		(void)sbuf_cat_c(o, '"');
		break;
	case IMAPP_T_LITERAL:
	case IMAPP_T_LITERAL8:
		(void)sbuf_cat_s(o, t->type == IMAPP_T_LITERAL8 ? "~{" : "{");
		(void)sbuf_cat_n(o, t->p, t->n);
		(void)sbuf_cat_c(o, '}');
		break;
	case IMAPP_T_LIST:
		(void)sbuf_cat_c(o, '(');
		for (k = imapp_tok_first(&C, t); k != NULL;
		    k = imapp_tok_next(&C, k)) {
			if (k != imapp_tok_first(&C, t))
				(void)sbuf_cat_c(o, ' ');
			dump_tok(k, o);
		}
		(void)sbuf_cat_c(o, ')');
		break;
	case IMAPP_T_SECTION:
		(void)sbuf_cat_n(o, t->p, t->n);
		(void)sbuf_cat_c(o, '[');
		for (i = 0; i < t->sec->nparts; i++)
			(void)sbuf_printf(o, "%s%u", i ? "." : "",
			    (unsigned)t->sec->part[i]);
		(void)sbuf_printf(o, "|%d", (int)t->sec->spec);
		for (i = 0; i < t->sec->nfields; i++) {
			(void)sbuf_cat_c(o, ' ');
			dump_tok(&t->sec->fields[i], o);
		}
		(void)sbuf_cat_c(o, ']');
		if (t->sec->has_partial)
			(void)sbuf_printf(o, "<%llu.%llu>",
			    (unsigned long long)t->sec->offset,
			    (unsigned long long)t->sec->count);
		break;
	}
}

static const char *
dump(void)
{
	static struct sbuf o;

	sbuf_fini(&o);
	sbuf_init(&o, 1 << 20);
	if (C.ntok == 0)
		return "(error)";
	dump_tok(&C.tok[0], &o);
	return sbuf_str(&o);
}

/* parse s, expect success and the dump d. */
static void
ok_dump(const char *s, const char *name, const char *d)
{
	int r = parse(s);

	if (!is_int(r, 0, name))
		diag("why: %s", why ? why : "-");
	is_str(dump(), d, name);
}

static void
bad(const char *s, int want, const char *name)
{
	int r = parse(s);

	is_int(r, want, name);
	if (r == want && why != NULL)
		diag("%s -> %s", name, why);
}

/* "a X " + d "(" + "x" + d ")" */
static int
deep(size_t d)
{
	struct sbuf b;
	size_t i;
	int r;

	sbuf_init(&b, 1 << 20);
	(void)sbuf_cat_s(&b, "a X ");
	for (i = 0; i < d; i++)
		(void)sbuf_cat_c(&b, '(');
	(void)sbuf_cat_c(&b, 'x');
	for (i = 0; i < d; i++)
		(void)sbuf_cat_c(&b, ')');
	r = imapp_parse(b.s, b.len, NULL, &C, &why);
	sbuf_fini(&b);
	return r;
}

static void
test_tokenizer(void)
{
	const char *big;

	ok_dump("a1 CAPABILITY", "no args", "()");
	is_str(C.name, "CAPABILITY", "name");
	ok(C.tag_len == 2 && memcmp(C.tag, "a1", 2) == 0, "tag");
	ok_dump("a1 capability\r\n", "lowercase, CRLF", "()");
	is_str(C.name, "CAPABILITY", "uppercased");
	ok_dump("A001 LOGIN alice \"pa\\\\ss \\\"w\"", "login",
	    "(alice \"pa\\ss \"w\")");
	ok_dump("x LOGIN {5}\r\nalice {3+}\r\nabc", "literals",
	    "({alice} {abc})");
	ok_dump("x LOGIN {0}\r\n {0}\r\n\r\n", "empty literals, final CRLF",
	    "({} {})");
	ok_dump("A3 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER."
	    "FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
	    "X-Priority References Newsgroups In-Reply-To Content-Type "
	    "Reply-To)])", "Thunderbird header fetch",
	    "(1:* (UID RFC822.SIZE FLAGS BODY.PEEK[|2 From To Cc Bcc Subject "
	    "Date Message-ID Priority X-Priority References Newsgroups "
	    "In-Reply-To Content-Type Reply-To]))");
	ok(C.uid == 1 && strcmp(C.name, "FETCH") == 0, "UID FETCH");
	ok_dump("1 FETCH 2 (BODY[HEADER.FIELDS (A B)]<0.100> BODY.PEEK[1.2."
	    "MIME] BINARY[1] BINARY.SIZE[] body[] BODY[1.TEXT] BODY[4.2.HEADER]"
	    ")", "sections",
	    "(#2 (BODY[|2 A B]<0.100> BODY.PEEK[1.2|5] BINARY[1|0] "
	    "BINARY.SIZE[|0] body[|0] BODY[1|4] BODY[4.2|1]))");
	ok_dump("1 FETCH 2 BODY[HEADER.FIELDS.NOT (\"X-a\" b)]",
	    "FIELDS.NOT quoted", "(#2 BODY[|3 \"X-a\" b])");
	ok_dump("t SEARCH NIL nil 007 18446744073709551615 "
	    "18446744073709551616", "NIL and numbers",
	    "(NIL NIL #7 #18446744073709551615 18446744073709551616)");
	ok_dump("t X (() (a (b)) ((c)))", "nested lists",
	    "((() (a (b)) ((c))))");
	ok_dump("t APPEND Sent (\\Seen) \"29-Nov-2026 10:00:00 +0100\" "
	    "{5+}\r\nHello", "APPEND",
	    "(Sent (\\Seen) \"29-Nov-2026 10:00:00 +0100\" {Hello})");
	is_int(parse_n("t APPEND x ~{3}\r\na\0b", 20), 0, "literal8 NUL");
	ok(tok_is(imapp_arg(&C, 1), IMAPP_T_LITERAL8, "a") == 0 &&
	    imapp_arg(&C, 1)->n == 3, "lit8");
	ok_dump("t LIST \"\" %", "LIST %", "(\"\" %)");
	ok_dump("t LIST \"\" INBOX.*", "LIST *", "(\"\" INBOX.*)");
	ok_dump("t STORE 1 +FLAGS (\\Deleted)", "STORE", "(#1 +FLAGS "
	    "(\\Deleted))");
	ok_dump("t FETCH 1 foo[bar]", "atom with []", "(#1 foo[bar])");
	ok_dump("t SELECT ~x", "atom with ~", "(~x)");

	/* Errors. */
	bad("", IMAPP_EBAD, "empty");
	ok(C.tag_len == 0, "no tag");
	bad("+ FOO", IMAPP_EBAD, "tag +");
	ok(C.tag_len == 0, "tag + is invalid");
	bad("a*b NOOP", IMAPP_EBAD, "tag with *");
	bad("a", IMAPP_EBAD, "tag only");
	ok(C.tag_len == 1, "tag only: tagged BAD");
	bad("a  NOOP", IMAPP_EBAD, "two spaces");
	ok(C.tag_len == 1, "tagged");
	bad("a NOOP ", IMAPP_EBAD, "trailing space");
	bad("a UID", IMAPP_EBAD, "UID alone");
	bad("a UID LOGIN x", IMAPP_EBAD, "UID LOGIN");
	bad("a LOGIN \"abc", IMAPP_EBAD, "unterminated quote");
	bad("a LOGIN \"a\\bc\"", IMAPP_EBAD, "bad escape");
	bad("a LOGIN \"a\\", IMAPP_EBAD, "escape at end");
	bad("a X (a b", IMAPP_EBAD, "unbalanced (");
	bad("a X a b)", IMAPP_EBAD, "unbalanced )");
	bad("a X ( a)", IMAPP_EBAD, "space after (");
	bad("a X (a )", IMAPP_EBAD, "space before )");
	bad("a X (a)b", IMAPP_EBAD, "junk after )");
	is_int(parse_n("a X ab\0c", 8), IMAPP_EBAD, "NUL in atom");
	is_int(parse_n("a X \"ab\0c\"", 10), IMAPP_EBAD, "NUL in quoted");
	is_int(parse_n("a X {3}\r\nab\0", 12), IMAPP_EBAD, "NUL in literal");
	bad("a X {4294967296}\r\nab", IMAPP_ELIMIT, "literal > 2^32-1");
	bad("a X {4294967296999}\r\nab", IMAPP_ELIMIT, "literal overflow");
	bad("a X {99999999999999999999999}\r\n", IMAPP_EBAD, "literal huge");
	bad("a X {5}\r\nab", IMAPP_EBAD, "literal short");
	bad("a X {5}ab", IMAPP_EBAD, "literal without CRLF");
	bad("a X {}\r\n", IMAPP_EBAD, "literal no digits");
	bad("a X {2}\r\nabc", IMAPP_EBAD, "junk after literal");
	bad("a X a\rb", IMAPP_EBAD, "bare CR");
	bad("a X a\r\nb", IMAPP_EBAD, "CRLF inside");
	bad("a X BODY[", IMAPP_EBAD, "unterminated section");
	bad("a X BODY[0]", IMAPP_EBAD, "part 0");
	bad("a X BODY[01]", IMAPP_EBAD, "part 01");
	bad("a X BODY[MIME]", IMAPP_EBAD, "MIME without part");
	bad("a X BODY[HEADER.FIELDS]", IMAPP_EBAD, "FIELDS without list");
	bad("a X BODY[HEADER.FIELDS ()]", IMAPP_EBAD, "FIELDS empty");
	bad("a X BODY[HEADER.FIELDS (a {1}\r\nb)]", IMAPP_EBAD,
	    "FIELDS literal");
	bad("a X BODY[]<1>", IMAPP_EBAD, "partial without count");
	bad("a X BODY[]<1.0>", IMAPP_EBAD, "partial count 0");
	bad("a X BINARY[1.TEXT]", IMAPP_EBAD, "BINARY with text");
	bad("a X BODY[1]x", IMAPP_EBAD, "junk after section");
	bad("a X BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21."
	    "22.23.24.25.26.27.28.29.30.31.32.33]", IMAPP_ELIMIT,
	    "section depth");

	/* Depth and token limits. */
	is_int(deep(10000), IMAPP_ELIMIT, "10,000-deep parens");
	is_int(deep(64), 0, "64-deep parens are fine");
	is_int(deep(65), IMAPP_ELIMIT, "65-deep parens are not");
	{
		struct sbuf b;
		struct imapp_limits lim = { 5, 2, 10 };
		size_t i;

		sbuf_init(&b, 1 << 20);
		(void)sbuf_cat_s(&b, "a X");
		for (i = 0; i < 10001; i++)
			(void)sbuf_cat_s(&b, " x");
		is_int(imapp_parse(b.s, b.len, NULL, &C, &why), IMAPP_ELIMIT,
		    "10,001 tokens");
		is_int(imapp_parse(b.s, b.len - 2, NULL, &C, &why), 0,
		    "10,000 tokens");
		is_int(C.nargs, 10000, "nargs");
		is_int(imapp_parse("a X a b c d e", 13, &lim, &C, &why), 0,
		    "5 tokens");
		is_int(imapp_parse("a X a b c d e f", 15, &lim, &C, &why),
		    IMAPP_ELIMIT, "6 tokens");
		is_int(imapp_parse("a X ((a))", 9, &lim, &C, &why), 0,
		    "depth 2");
		is_int(imapp_parse("a X (((a)))", 11, &lim, &C, &why),
		    IMAPP_ELIMIT, "depth 3");
		is_int(imapp_parse("a X {11}\r\nhello world", 21, &lim, &C,
		    &why), IMAPP_ELIMIT, "literal limit");
		sbuf_fini(&b);
		(void)big;
	}
}

static void
test_line_literal(void)
{
	uint64_t n;
	int ns, bin;

	is_int(imapp_line_literal("a LOGIN {5}", 11, 0, &n, &ns, &bin), 1,
	    "{5}");
	ok(n == 5 && ns == 0 && bin == 0, "{5} n");
	is_int(imapp_line_literal("a LOGIN {5+}\r\n", 14, 0, &n, &ns, &bin),
	    1, "{5+} CRLF");
	ok(n == 5 && ns == 1 && bin == 0, "{5+} nonsync");
	is_int(imapp_line_literal("a APPEND x ~{310}\n", 18, 0, &n, &ns,
	    &bin), 1, "~{310}");
	ok(n == 310 && bin == 1, "literal8");
	is_int(imapp_line_literal("a LOGIN x", 9, 0, &n, &ns, &bin), 0,
	    "no literal");
	is_int(imapp_line_literal("a LOGIN x}", 10, 0, &n, &ns, &bin), 0,
	    "atom ending in }");
	is_int(imapp_line_literal("", 0, 0, &n, &ns, &bin), 0, "empty");
	is_int(imapp_line_literal("}", 1, 0, &n, &ns, &bin), 0, "}");
	is_int(imapp_line_literal("a X {4294967296999}", 19, 0, &n, &ns,
	    &bin), -1, "overflow");
	is_int(imapp_line_literal("a X {4294967296}", 16, 0, &n, &ns, &bin),
	    -1, "2^32");
	is_int(imapp_line_literal("a X {4294967295}", 16, 0, &n, &ns, &bin),
	    1, "2^32-1");
	is_int(imapp_line_literal("a X {100}", 9, 99, &n, &ns, &bin), -1,
	    "above the caller's limit");
	is_int(imapp_line_literal("a X {}", 6, 0, &n, &ns, &bin), -1, "{}");
	is_int(imapp_line_literal("a X {+}", 7, 0, &n, &ns, &bin), -1,
	    "{+}");
	is_int(imapp_line_literal("a X {123456789012345678901234}", 30, 0,
	    &n, &ns, &bin), -1, "many digits");
}


static const char *
fmtset(struct imapp_seqset *set)
{
	static struct sbuf o;

	sbuf_fini(&o);
	sbuf_init(&o, 1 << 20);
	if (imapp_seqset_format(set, &o) < 0)
		return "(error)";
	return sbuf_str(&o);
}

static void
test_seqset(void)
{
	struct imapp_seqset s;
	uint32_t n;
	size_t i;

	imapp_seqset_init(&s);
	is_int(imapp_seqset_parse("1:3,5", 5, &s, &why), 0, "seqset 1:3,5");
	ok(imapp_seqset_contains(&s, 2, 10) && !imapp_seqset_contains(&s,
	    4, 10) && imapp_seqset_contains(&s, 5, 10), "contains");
	is_int(imapp_seqset_parse("7:3,*,9:*", 9, &s, &why), 0, "seqset *");
	is_str(fmtset(&s), "7:3,*,9:*", "raw format");
	ok(imapp_seqset_contains(&s, 4, 20) && imapp_seqset_contains(&s,
	    20, 20) && imapp_seqset_contains(&s, 15, 20) &&
	    !imapp_seqset_contains(&s, 8, 20), "reverse range and *");
	ok(imapp_seqset_contains(&s, 8, 8), "9:* with star 8 is 8:9");
	ok(!imapp_seqset_contains(&s, 1, 0) && !imapp_seqset_contains(&s, 0,
	    20), "star 0, n 0");
	imapp_seqset_normalize(&s, 20);
	is_str(fmtset(&s), "3:7,9:20", "normalised");
	is_int((long long)imapp_seqset_count(&s), 17, "count");
	ok(imapp_seqset_contains(&s, 9, 0) && !imapp_seqset_contains(&s, 8,
	    0), "contains (normalised)");
	is_int(imapp_seqset_next(&s, 0), 3, "next 0");
	is_int(imapp_seqset_next(&s, 7), 9, "next 7");
	is_int(imapp_seqset_next(&s, 5), 6, "next 5");
	is_int(imapp_seqset_next(&s, 20), 0, "next 20");
	is_int(imapp_seqset_parse("5,4,3,1,1:2,10:4294967295", 25, &s, &why),
	    0, "seqset merges");
	imapp_seqset_normalize(&s, 3);
	is_str(fmtset(&s), "1:5,10:4294967295", "merged adjacent");
	is_int(imapp_seqset_next(&s, 4294967295u), 0, "next at max");
	for (n = imapp_seqset_next(&s, 0), i = 0; n != 0 && i < 10;
	    n = imapp_seqset_next(&s, n))
		i++;
	is_int((long long)i, 10, "iteration is bounded by the caller");
	is_int(imapp_seqset_parse("$", 1, &s, &why), 0, "$");
	ok(s.is_saved && s.n == 0, "$ is saved");
	is_int(imapp_seqset_parse("*:4,1:*", 7, &s, &why), 0, "*:4");
	imapp_seqset_normalize(&s, 0);
	is_str(fmtset(&s), "", "star 0 drops * ranges");
	imapp_seqset_fini(&s);
	imapp_seqset_init(&s);
	ok(imapp_seqset_add(&s, 3, 4) == 0 && imapp_seqset_add(&s, 1, 1) ==
	    0, "add");
	imapp_seqset_normalize(&s, 0);
	is_str(fmtset(&s), "1,3:4", "COPYUID form");
	{
		static const char *const badsets[] = { "", "0", "01", "1:",
		    ":1", "1,", ",1", "1::2", "1:2:3", "a", "4294967296",
		    "1,$", "$$", "1 2", "-1", "1:0", "**" };
		for (i = 0; i < sizeof(badsets) / sizeof(badsets[0]); i++)
			is_int(imapp_seqset_parse(badsets[i],
			    strlen(badsets[i]), &s, &why), -1, badsets[i]);
	}
	imapp_seqset_fini(&s);
}

static void
test_dates(void)
{
	int64_t t, d;
	int z;
	char out[IMAPP_DATETIME_LEN + 1];

	is_int(imapp_datetime_parse("29-Nov-2026 10:00:00 +0100", 26, &t, &z,
	    &why), 0, "date-time");
	is_int((long long)t, 1795942800LL, "UTC seconds");
	is_int(z, 60, "zone");
	is_int(imapp_datetime_format(t, z, out), 0, "format");
	is_str(out, "29-Nov-2026 10:00:00 +0100", "round trip");
	is_int(imapp_datetime_parse(" 1-jan-1970 00:00:00 -0000", 26, &t, &z,
	    &why), 0, "space-padded day, lowercase month");
	is_int((long long)t, 0, "epoch");
	is_int(imapp_datetime_format(0, -330, out), 0, "format -0530");
	is_str(out, "31-Dec-1969 18:30:00 -0530", "negative zone");
	is_int(imapp_datetime_parse("29-Feb-2024 23:59:60 +1400", 26, &t, &z,
	    &why), 0, "leap day, leap second");
	is_int(imapp_datetime_parse("1-jan-1970 00:00:01 -0000", 25, &t, &z,
	    &why), 0, "one-digit day without its space, as Dovecot takes it");
	is_int((long long)t, 1, "epoch + 1");
	is_int(imapp_datetime_parse("x1-Jan-1970 00:00:01 -0000", 26, &t, &z,
	    &why), -1, "not a digit before the day");
	is_int(imapp_date_parse("1-Feb-2024", 10, &d, &why), 0, "date");
	is_int((long long)d, 19754, "days");
	is_int(imapp_date_parse("01-Feb-2024", 11, &d, &why), 0, "date dd");
	is_int((long long)d, 19754, "days dd");
	is_int(imapp_date_parse("31-Dec-1969", 11, &d, &why), 0, "1969");
	is_int((long long)d, -1, "day -1");
	{
		static const char *const bad_dt[] = {
		    "31-Feb-2026 10:00:00 +0100", "29-Feb-2025 10:00:00 +0100",
		    "00-Jan-2026 10:00:00 +0100", "32-Jan-2026 10:00:00 +0100",
		    "01-Foo-2026 10:00:00 +0100", "01-Jan-2026 24:00:00 +0100",
		    "01-Jan-2026 10:60:00 +0100", "01-Jan-2026 10:00:61 +0100",
		    "01-Jan-2026 10:00:00 +0160", "01-Jan-2026 10:00:00 +1500",
		    "01-Jan-2026 10:00:00 0100", "1-Jan-2026 10:00:00 0100",
		    "01-Jan-2026 10:00:00 +01000", "01-Jan-2026T10:00:00 +0100",
		    "01-Jan-0026 10:00:00 +0100", "0x-Jan-2026 10:00:00 +0100",
		    "31-Apr-2026 10:00:00 +0100", "29-Feb-1900 10:00:00 +0100"
		};
		size_t i;

		for (i = 0; i < sizeof(bad_dt) / sizeof(bad_dt[0]); i++)
			is_int(imapp_datetime_parse(bad_dt[i],
			    strlen(bad_dt[i]), &t, &z, &why), -1, bad_dt[i]);
		is_int(imapp_datetime_parse("29-Feb-2000 10:00:00 +0100", 26,
		    &t, &z, &why), 0, "2000 is a leap year");
	}
	is_int(imapp_date_parse("31-Feb-2024", 11, &d, &why), -1, "31-Feb");
	is_int(imapp_date_parse("1-Feb-24", 8, &d, &why), -1, "2-digit year");
	is_int(imapp_date_parse("001-Feb-2024", 12, &d, &why), -1, "3 digits");
	is_int(imapp_date_parse(" 1-Feb-2024", 11, &d, &why), -1, "SP day");
	is_int(imapp_datetime_format((int64_t)1 << 50, 0, out), -1,
	    "format out of range");
}

static void
test_fetch(void)
{
	struct imapp_fetch f;
	struct imapp_fetch_mods m;
	const struct imapp_section *sec;

	is_int(parse("A3 UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK["
	    "HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
	    "X-Priority References Newsgroups In-Reply-To Content-Type "
	    "Reply-To)])"), 0, "Thunderbird FETCH");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0,
	    "fetch items");
	ok(f.n == 4 && f.item[0].att == IMAPP_FA_UID &&
	    f.item[1].att == IMAPP_FA_RFC822_SIZE &&
	    f.item[2].att == IMAPP_FA_FLAGS &&
	    f.item[3].att == IMAPP_FA_BODY_SECTION && f.item[3].peek,
	    "items");
	sec = f.item[3].sec;
	ok(sec != NULL && sec->spec == IMAPP_SPEC_HEADER_FIELDS &&
	    sec->nfields == 14 && tok_is(&sec->fields[0], IMAPP_T_ATOM,
	    "From") && tok_is(&sec->fields[13], IMAPP_T_ATOM, "Reply-To") &&
	    !sec->has_partial, "section fields");

	is_int(parse("a FETCH 1 ALL"), 0, "ALL");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0, "ALL ok");
	ok(f.n == 4 && f.item[3].att == IMAPP_FA_ENVELOPE, "ALL expanded");
	is_int(parse("a FETCH 1 full"), 0, "FULL");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0, "FULL ok");
	ok(f.n == 5 && f.item[4].att == IMAPP_FA_BODY, "FULL expanded");
	is_int(parse("a FETCH 1 FAST"), 0, "FAST");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0, "FAST ok");
	is_int((long long)f.n, 3, "FAST expanded");
	is_int(parse("a FETCH 1 (ALL)"), 0, "(ALL)");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "macro in a list is BAD");
	/* mutt */
	is_int(parse("a00005 UID FETCH 1:4 (UID FLAGS INTERNALDATE "
	    "RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT TO "
	    "CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION "
	    "IN-REPLY-TO REPLY-TO LINES LIST-POST X-LABEL X-ORIGINAL-TO)])"),
	    0, "mutt FETCH");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0, "mutt ok");
	ok(f.n == 5 && f.item[4].sec->nfields == 16, "mutt fields");
	/* Roundcube */
	is_int(parse("A0004 UID FETCH 47 (UID RFC822.SIZE FLAGS "
	    "BODYSTRUCTURE BODY.PEEK[1.2]<0.4096> BINARY.PEEK[2] BINARY.SIZE[2] "
	    "MODSEQ RFC822.HEADER RFC822.TEXT RFC822 ENVELOPE INTERNALDATE "
	    "BODY BODY[TEXT])"), 0, "Roundcube-like FETCH");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), 0, "ok");
	ok(f.n == 15 && f.item[4].sec->nparts == 2 &&
	    f.item[4].sec->part[1] == 2 && f.item[4].sec->has_partial &&
	    f.item[4].sec->count == 4096 && f.item[5].att == IMAPP_FA_BINARY &&
	    f.item[5].peek && f.item[6].att == IMAPP_FA_BINARY_SIZE &&
	    f.item[7].att == IMAPP_FA_MODSEQ && f.item[14].sec->spec ==
	    IMAPP_SPEC_TEXT && !f.item[14].peek, "Roundcube items");
	is_int(parse("a FETCH 1 BINARY.SIZE[1]<0.5>"), 0, "BINARY.SIZE <>");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "BINARY.SIZE with partial is BAD");
	is_int(parse("a FETCH 1 (FLAGS FOO)"), 0, "FOO");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "unknown item");
	is_int(parse("a FETCH 1 ()"), 0, "()");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "empty list");
	is_int(parse("a FETCH 1 (\"FLAGS\")"), 0, "quoted");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "quoted item");
	is_int(parse("a FETCH 1 BODY.PEEK"), 0, "BODY.PEEK");
	is_int(imapp_fetch_parse(&C, imapp_arg(&C, 1), &f, &why), IMAPP_EBAD,
	    "BODY.PEEK without section");

	/* CONDSTORE/QRESYNC modifiers. */
	is_int(parse("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)"),
	    0, "CHANGEDSINCE VANISHED");
	is_int(imapp_fetch_mods_parse(&C, imapp_arg(&C, 2), C.uid, &m, &why),
	    0, "mods");
	ok(m.has_changedsince && m.changedsince == 12345 && m.vanished,
	    "mods values");
	is_int(imapp_fetch_mods_parse(&C, imapp_arg(&C, 2), 0, &m, &why),
	    IMAPP_EBAD, "VANISHED without UID");
	is_int(parse("a FETCH 1 FLAGS (VANISHED)"), 0, "VANISHED alone");
	is_int(imapp_fetch_mods_parse(&C, imapp_arg(&C, 2), 1, &m, &why),
	    IMAPP_EBAD, "VANISHED without CHANGEDSINCE");
	is_int(parse("a FETCH 1 FLAGS (CHANGEDSINCE 0)"), 0, "0");
	is_int(imapp_fetch_mods_parse(&C, imapp_arg(&C, 2), 1, &m, &why),
	    IMAPP_EBAD, "CHANGEDSINCE 0");
	is_int(parse("a FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)"), 0,
	    "twice");
	is_int(imapp_fetch_mods_parse(&C, imapp_arg(&C, 2), 1, &m, &why),
	    IMAPP_EBAD, "CHANGEDSINCE twice");
}

static void
test_store(void)
{
	struct imapp_store st;
	struct imapp_flags fl;
	unsigned bit;

	is_int(parse("a UID STORE 1:3 +FLAGS.SILENT (\\Seen $Junk)"), 0,
	    "STORE");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), 0,
	    "store ok");
	ok(st.op == IMAPP_STORE_ADD && st.silent && st.flags.sys ==
	    IMAPP_F_SEEN && st.flags.nkw == 1 && tok_is(st.flags.kw[0],
	    IMAPP_T_ATOM, "$Junk") && !st.has_unchangedsince, "store values");
	is_int(parse("a STORE 1 (UNCHANGEDSINCE 0) -flags \\Deleted \\draft"
	    " NonJunk"), 0, "STORE single flags");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), 0,
	    "store single ok");
	ok(st.op == IMAPP_STORE_DEL && !st.silent && st.has_unchangedsince &&
	    st.unchangedsince == 0 && st.flags.sys == (IMAPP_F_DELETED |
	    IMAPP_F_DRAFT) && st.flags.nkw == 1, "single flags values");
	is_int(parse("a STORE 1 FLAGS ()"), 0, "FLAGS ()");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), 0,
	    "clear all");
	ok(st.op == IMAPP_STORE_SET && st.flags.sys == 0 && st.flags.nkw == 0,
	    "cleared");
	is_int(parse("a STORE 1 +FLAGS (\\Recent)"), 0, "\\Recent");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "\\Recent is not settable");
	is_int(parse("a STORE 1 +FLAGS (\\*)"), 0, "\\*");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "\\* is output only");
	is_int(parse("a STORE 1 +FLAGS (\\Seen) x"), 0, "junk");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "junk after list");
	is_int(parse("a STORE 1 +FLAGS"), 0, "no flags");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "missing flags");
	is_int(parse("a STORE 1 *FLAGS x"), 0, "*FLAGS");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "bad item");
	is_int(parse("a STORE 1 FLAGS (a]b)"), 0, "a]b");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "] in keyword");
	is_int(parse("a STORE 1 FLAGS (\"x\")"), 0, "quoted flag");
	is_int(imapp_store_parse(&C, imapp_arg(&C, 1), &st, &why), IMAPP_EBAD,
	    "quoted flag is BAD");
	is_int(parse("a APPEND x (\\Seen \\Seen)"), 0, "flags");
	is_int(imapp_flags_parse(&C, imapp_arg(&C, 1), 0, &fl, &why), 0,
	    "flag list");
	is_int(imapp_flag_name("\\Answered", 9, &bit), 2, "\\Answered");
	is_int(bit, IMAPP_F_ANSWERED, "bit");
	is_int(imapp_flag_name("\\Foo", 4, &bit), -1, "flag-extension");
	is_int(imapp_flag_name("$Forwarded", 10, &bit), 0, "keyword");
}

static void
test_commands(void)
{
	struct imapp_list l;
	struct imapp_append a;
	struct imapp_select s;
	struct imapp_id id;
	unsigned items, caps;

	is_int(parse("a STATUS INBOX (MESSAGES UIDNEXT UIDVALIDITY UNSEEN "
	    "HIGHESTMODSEQ SIZE deleted RECENT AppendLimit)"), 0, "STATUS");
	is_int(imapp_status_items_parse(&C, imapp_arg(&C, 1), &items, &why),
	    0, "status items");
	is_int(items, 0x1ff, "all items");
	is_int(parse("a STATUS INBOX (MESSAGES FOO)"), 0, "STATUS FOO");
	is_int(imapp_status_items_parse(&C, imapp_arg(&C, 1), &items, &why),
	    IMAPP_EBAD, "unknown status item");
	is_int(parse("a STATUS INBOX ()"), 0, "STATUS ()");
	is_int(imapp_status_items_parse(&C, imapp_arg(&C, 1), &items, &why),
	    IMAPP_EBAD, "empty status list");

	is_int(parse("a LIST \"\" \"*\""), 0, "LIST");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), 0, "list ok");
	ok(!l.extended && l.ref->n == 0 && l.npatterns == 1 &&
	    tok_is(l.pattern[0], IMAPP_T_QUOTED, "*"), "list values");
	is_int(parse("a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (\"INBOX\" "
	    "Sent%) RETURN (CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))"),
	    0, "LIST-EXTENDED");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), 0, "ext ok");
	ok(l.extended && l.sel == (IMAPP_LSEL_SUBSCRIBED |
	    IMAPP_LSEL_RECURSIVEMATCH) && l.ret == (IMAPP_LRET_CHILDREN |
	    IMAPP_LRET_SPECIAL_USE | IMAPP_LRET_STATUS) && l.status_items ==
	    (IMAPP_ST_MESSAGES | IMAPP_ST_UNSEEN) && l.npatterns == 2 &&
	    tok_is(l.pattern[1], IMAPP_T_ATOM, "Sent%"), "ext values");
	is_int(parse("a LIST (SPECIAL-USE) \"\" *"), 0, "Apple Mail LIST");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), 0, "su ok");
	is_int(parse("a LIST (RECURSIVEMATCH) \"\" *"), 0, "RECURSIVEMATCH");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), IMAPP_EBAD,
	    "RECURSIVEMATCH alone");
	is_int(parse("a LIST \"\" * RETURN (FOO)"), 0, "RETURN FOO");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), IMAPP_EBAD,
	    "unknown return option");
	is_int(parse("a LIST \"\" a\\b"), 0, "a\\b");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), IMAPP_EBAD,
	    "\\ in pattern");
	is_int(parse("a LIST *"), 0, "LIST *");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), IMAPP_EBAD,
	    "reference with *");
	is_int(parse("a LSUB \"\" x y"), 0, "LIST junk");
	is_int(imapp_list_parse(&C, imapp_arg(&C, 0), &l, &why), IMAPP_EBAD,
	    "junk after pattern");

	is_int(parse("A APPEND Sent (\\Seen) \"29-Nov-2026 10:00:00 +0100\" "
	    "{5+}\r\nHello"), 0, "APPEND");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), 0,
	    "append ok");
	ok(a.n == 1 && tok_is(a.mailbox, IMAPP_T_ATOM, "Sent") &&
	    a.msg[0].flags.sys == IMAPP_F_SEEN && a.msg[0].has_date &&
	    a.msg[0].zone == 60 && tok_is(a.msg[0].data, IMAPP_T_LITERAL,
	    "Hello"), "append values");
	is_int(parse("A APPEND \"Drafts\" {2}\r\nhi (\\Draft) ~{1}\r\nx "
	    "\" 2-Jan-2025 01:02:03 -0800\" {1}\r\ny"), 0, "MULTIAPPEND");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), 0,
	    "multiappend ok");
	ok(a.n == 3 && !a.msg[0].has_date && a.msg[1].flags.sys ==
	    IMAPP_F_DRAFT && a.msg[1].data->type == IMAPP_T_LITERAL8 &&
	    a.msg[2].has_date && a.msg[2].zone == -480, "multiappend values");
	is_int(parse("A APPEND x \"31-Feb-2026 10:00:00 +0100\" {1}\r\nx"), 0,
	    "APPEND 31-Feb");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "bad date");
	is_int(parse("A APPEND x (\\Seen) UTF8 (~{2}\r\nhi) {1}\r\nz"), 0,
	    "APPEND UTF8");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), 0,
	    "UTF8 ok");
	ok(a.n == 2 && a.msg[0].utf8 && a.msg[0].flags.sys == IMAPP_F_SEEN &&
	    a.msg[0].data->type == IMAPP_T_LITERAL8 && a.msg[0].data->n == 2 &&
	    !a.msg[1].utf8 && tok_is(a.msg[1].data, IMAPP_T_LITERAL, "z"),
	    "UTF8 values");
	is_int(parse("A APPEND x UTF8 ({1}\r\nh)"), 0, "APPEND UTF8 literal");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "UTF8 needs a literal8");
	is_int(parse("A APPEND x UTF8 (~{1}\r\nh ~{1}\r\ni)"), 0,
	    "APPEND UTF8 two");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "UTF8 takes one literal8");
	is_int(parse("A APPEND x UTF8"), 0, "APPEND UTF8 alone");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "UTF8 without its list");
	is_int(parse("A APPEND x (\\Seen) hello"), 0, "APPEND atom");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "message must be a literal");
	is_int(parse("A APPEND x"), 0, "APPEND no message");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), IMAPP_EBAD,
	    "missing message");

	is_int(parse("a SELECT \"INBOX\" (CONDSTORE)"), 0, "SELECT CONDSTORE");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), 0, "ok");
	ok(s.condstore && !s.qresync && tok_is(s.mailbox, IMAPP_T_QUOTED,
	    "INBOX"), "condstore");
	is_int(parse("a SELECT INBOX (QRESYNC (67890007 20050715194045000 "
	    "41,43:211,214:541 (1:10 100:109)))"), 0, "SELECT QRESYNC");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), 0, "q ok");
	ok(s.qresync && s.uidvalidity == 67890007 && s.modseq ==
	    20050715194045000ULL && tok_is(s.known_uids, IMAPP_T_ATOM,
	    "41,43:211,214:541") && tok_is(s.seq_match_uids, IMAPP_T_ATOM,
	    "100:109"), "qresync values");
	is_int(parse("a EXAMINE x (QRESYNC (1 2))"), 0, "QRESYNC minimal");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), 0, "min ok");
	ok(s.qresync && s.known_uids == NULL && s.seq_match_seqs == NULL,
	    "minimal values");
	is_int(parse("a SELECT x (QRESYNC (0 2))"), 0, "uidvalidity 0");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), IMAPP_EBAD,
	    "uidvalidity 0 BAD");
	is_int(parse("a SELECT x (QRESYNC (1 2 1:x))"), 0, "bad known");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), IMAPP_EBAD,
	    "bad known uids");
	is_int(parse("a SELECT x (FOO)"), 0, "FOO");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), IMAPP_EBAD,
	    "unknown parameter");
	is_int(parse("a SELECT (x)"), 0, "list mailbox");
	is_int(imapp_select_parse(&C, imapp_arg(&C, 0), &s, &why), IMAPP_EBAD,
	    "list is no mailbox");

	is_int(parse("a ENABLE CONDSTORE qresync X-FOO UTF8=ACCEPT"), 0,
	    "ENABLE");
	is_int(imapp_enable_parse(&C, imapp_arg(&C, 0), &caps, &why), 0, "ok");
	is_int(caps, IMAPP_EN_CONDSTORE | IMAPP_EN_QRESYNC |
	    IMAPP_EN_UTF8_ACCEPT, "caps");
	is_int(parse("a ENABLE"), 0, "ENABLE alone");
	is_int(imapp_enable_parse(&C, imapp_arg(&C, 0), &caps, &why),
	    IMAPP_EBAD, "ENABLE needs one");

	is_int(parse("a ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\""
	    " \"vendor\" NIL)"), 0, "ID");
	is_int(imapp_id_parse(&C, imapp_arg(&C, 0), &id, &why), 0, "id ok");
	ok(id.n == 3 && tok_is(id.key[1], IMAPP_T_QUOTED, "version") &&
	    id.value[2]->type == IMAPP_T_NIL, "id values");
	is_int(parse("a ID NIL"), 0, "ID NIL");
	is_int(imapp_id_parse(&C, imapp_arg(&C, 0), &id, &why), 0, "nil ok");
	is_int((long long)id.n, 0, "no pairs");
	is_int(parse("a ID (\"name\")"), 0, "ID odd");
	is_int(imapp_id_parse(&C, imapp_arg(&C, 0), &id, &why), IMAPP_EBAD,
	    "odd count");
	is_int(parse("a ID (\"0123456789012345678901234567890\" NIL)"), 0,
	    "ID long key");
	is_int(imapp_id_parse(&C, imapp_arg(&C, 0), &id, &why), IMAPP_EBAD,
	    "key > 30");
}

static int
kw_cb(void *ctx, const char *kw, size_t n)
{
	(void)ctx;
	return n == 5 && memcmp(kw, "$Junk", 5) == 0;
}

static int costly_calls;

static int
sent_cb(void *ctx, int64_t *utc_r, int *zone_r)
{
	(void)ctx;
	costly_calls++;
	*utc_r = 1706745600 + 3600;	/* 2024-02-01 01:00 UTC */
	*zone_r = -120;			/* 2024-01-31 23:00 -0200 */
	return 1;
}

static int
hdr_cb(void *ctx, const char *h, size_t hn, const char *s, size_t n)
{
	(void)ctx;
	costly_calls++;
	if (hn == 4 && memcmp(h, "From", 4) == 0)
		return n == 3 && memcmp(s, "bob", 3) == 0;
	if (hn == 10 && memcmp(h, "X-Priority", 10) == 0)
		return n == 0;
	return 0;
}

static int
body_cb(void *ctx, const char *s, size_t n)
{
	(void)ctx;
	(void)s;
	(void)n;
	costly_calls++;
	return -1;
}

static int
saved_cb(void *ctx, uint32_t seq, uint32_t uid)
{
	(void)ctx;
	(void)uid;
	return seq == 3;
}

static struct imapp_search S;

static int
search(const char *cmd, const struct imapp_search_msg *m)
{
	int r = parse(cmd);

	if (r != 0)
		return 100 + r;
	r = imapp_search_parse(&C, imapp_arg(&C, 0), 0, &S, &why);
	if (r != 0)
		return 200 + r;
	return imapp_search_eval(&S, m);
}

static void
test_search(void)
{
	struct imapp_search_msg m;
	struct imapp_sort so;
	enum imapp_thread_alg alg;

	memset(&m, 0, sizeof(m));
	m.seq = 3;
	m.uid = 30;
	m.star = 10;
	m.star_uid = 100;
	m.flags = IMAPP_F_SEEN | IMAPP_F_FLAGGED;
	m.size = 2000;
	m.internal = 1706745600 + 3600;	/* 2024-02-01 01:00 UTC */
	m.internal_zone = 60;
	m.now = m.internal + 7200;
	m.modseq = 50;
	m.keyword = kw_cb;
	m.sent = sent_cb;
	m.header = hdr_cb;
	m.body = body_cb;
	m.saved = saved_cb;

	is_int(search("a UID SEARCH UID 1:* NOT DELETED", &m), 1,
	    "mbsync: UID 1:* NOT DELETED");
	ok(S.nnode == 4 && S.node[0].nkids == 2 && S.node[1].key ==
	    IMAPP_SK_UIDSET && S.node[2].key == IMAPP_SK_NOT, "tree shape");
	is_int(search("a UID SEARCH UID 31:*", &m), 0, "UID 31:*");
	ok(!S.set[0].is_normal, "a set with * stays as given");
	is_int(search("a UID SEARCH UID 40,35,30,1:2", &m), 1, "UID list");
	ok(S.set[0].is_normal && S.set[0].n == 4 && S.set[0].r[0].lo == 1,
	    "a set without * is normalised");
	is_int(search("a UID SEARCH UID 40,35,31,1:2", &m), 0, "UID list no");
	is_int(search("a SEARCH 2:4", &m), 1, "seqset key");
	is_int(search("a SEARCH 4:*", &m), 0, "seqset key no");
	is_int(search("a SEARCH $", &m), 1, "$");
	ok(S.uses_saved, "uses_saved");
	is_int(search("a SEARCH UNSEEN", &m), 0, "UNSEEN");
	is_int(search("a SEARCH seen flagged unanswered undraft", &m), 1,
	    "flags");
	is_int(search("a SEARCH NEW", &m), 0, "NEW");
	is_int(search("a SEARCH OLD", &m), 1, "OLD");
	is_int(search("a SEARCH RECENT", &m), 0, "RECENT");
	is_int(search("a SEARCH KEYWORD $Junk", &m), 1, "KEYWORD");
	is_int(search("a SEARCH UNKEYWORD $Junk", &m), 0, "UNKEYWORD");
	is_int(search("a SEARCH LARGER 1999 SMALLER 2001", &m), 1, "size");
	is_int(search("a SEARCH LARGER 2000", &m), 0, "LARGER is strict");
	is_int(search("a SEARCH ON 1-Feb-2024", &m), 1, "ON (own zone)");
	is_int(search("a SEARCH SINCE 1-Feb-2024 BEFORE 2-Feb-2024", &m), 1,
	    "SINCE BEFORE");
	is_int(search("a SEARCH BEFORE 1-Feb-2024", &m), 0, "BEFORE");
	is_int(search("a SEARCH SENTON 31-Jan-2024", &m), 1,
	    "SENTON: the Date header's own day");
	is_int(search("a SEARCH SENTSINCE \"1-Feb-2024\"", &m), 0,
	    "SENTSINCE quoted");
	is_int(search("a SEARCH YOUNGER 7201", &m), 1, "YOUNGER");
	is_int(search("a SEARCH OLDER 7200", &m), 1, "OLDER");
	is_int(search("a SEARCH MODSEQ 50", &m), 1, "MODSEQ");
	ok(S.uses_modseq, "uses_modseq");
	is_int(search("a SEARCH MODSEQ \"/flags/\\\\draft\" all 51", &m), 0,
	    "MODSEQ entry");
	is_int(search("a SEARCH FROM bob", &m), 1, "FROM");
	is_int(search("a SEARCH HEADER X-Priority \"\"", &m), 1, "HEADER");
	is_int(search("a SEARCH OR FROM alice (TO x)", &m), 0, "OR");
	is_int(search("a SEARCH OR FROM alice NOT (TO x)", &m), 1, "OR NOT");
	is_int(search("a SEARCH BODY x", &m), -1, "callback error");
	costly_calls = 0;
	is_int(search("a SEARCH BODY x SUBJECT y SENTON 1-Jan-2000 DELETED",
	    &m), 0, "cheap key decides the AND");
	is_int(costly_calls, 0, "no callback called");
	costly_calls = 0;
	is_int(search("a SEARCH OR TEXT x SEEN", &m), 1,
	    "cheap key decides the OR");
	is_int(costly_calls, 0, "no callback called (OR)");
	is_int(search("a SEARCH CHARSET UTF-8 TEXT x", &m), 0, "CHARSET");
	ok(S.utf8, "utf8");
	is_int(search("a SEARCH CHARSET us-ascii ALL", &m), 1, "US-ASCII");
	is_int(search("a SEARCH CHARSET ISO-8859-1 ALL", &m),
	    200 + IMAPP_EBADCHARSET, "BADCHARSET");
	is_int(search("a SEARCH RETURN (MIN COUNT SAVE) ALL", &m), 1,
	    "RETURN");
	ok(S.has_return && S.ret == (IMAPP_RET_MIN | IMAPP_RET_COUNT |
	    IMAPP_RET_SAVE), "ret bits");
	is_int(search("a SEARCH RETURN () ALL", &m), 1, "RETURN ()");
	is_int(S.ret, IMAPP_RET_ALL, "RETURN () is ALL");
	is_int(search("a SEARCH RETURN (FOO) ALL", &m), 200 + IMAPP_EBAD,
	    "RETURN FOO");
	is_int(search("a UID SEARCH RETURN (ALL) UNDELETED UNSEEN", &m), 0,
	    "Apple Mail-style ESEARCH");
	is_int(search("a SEARCH", &m), 200 + IMAPP_EBAD, "no key");
	is_int(search("a SEARCH FOO", &m), 200 + IMAPP_EBAD, "unknown key");
	is_int(search("a SEARCH FROM", &m), 200 + IMAPP_EBAD, "missing arg");
	is_int(search("a SEARCH OR ALL", &m), 200 + IMAPP_EBAD, "OR short");
	is_int(search("a SEARCH NOT", &m), 200 + IMAPP_EBAD, "NOT short");
	is_int(search("a SEARCH ()", &m), 200 + IMAPP_EBAD, "empty group");
	is_int(search("a SEARCH ON 31-Feb-2024", &m), 200 + IMAPP_EBAD,
	    "bad date");
	is_int(search("a SEARCH LARGER x", &m), 200 + IMAPP_EBAD, "LARGER x");
	is_int(search("a SEARCH OLDER 0", &m), 200 + IMAPP_EBAD, "OLDER 0");
	is_int(search("a SEARCH KEYWORD \\Seen", &m), 200 + IMAPP_EBAD,
	    "KEYWORD \\Seen");
	is_int(search("a SEARCH UID 1:x", &m), 200 + IMAPP_EBAD, "UID 1:x");
	{
		struct sbuf b;
		int i;

		sbuf_init(&b, 1 << 20);
		(void)sbuf_cat_s(&b, "a SEARCH");
		for (i = 0; i < 31; i++)
			(void)sbuf_cat_s(&b, " NOT");
		(void)sbuf_cat_s(&b, " ALL");
		is_int(search(sbuf_str(&b), &m), 0, "31 NOTs");
		sbuf_reset(&b);
		(void)sbuf_cat_s(&b, "a SEARCH");
		for (i = 0; i < 5000; i++)
			(void)sbuf_cat_s(&b, " NOT");
		(void)sbuf_cat_s(&b, " ALL");
		is_int(search(sbuf_str(&b), &m), 200 + IMAPP_ELIMIT,
		    "5,000 NOTs");
		sbuf_reset(&b);
		(void)sbuf_cat_s(&b, "a SEARCH");
		for (i = 0; i < 3000; i++)
			(void)sbuf_cat_s(&b, " OR ALL");
		(void)sbuf_cat_s(&b, " ALL");
		is_int(search(sbuf_str(&b), &m), 200 + IMAPP_ELIMIT,
		    "3,000 ORs");
		sbuf_fini(&b);
	}

	is_int(parse("a UID SORT (REVERSE DATE subject) UTF-8 ALL"), 0,
	    "SORT");
	is_int(imapp_sort_parse(&C, imapp_arg(&C, 0), &so, &S, &why), 0,
	    "sort ok");
	ok(so.n == 2 && so.reverse[0] && so.key[0] == IMAPP_SORT_DATE &&
	    !so.reverse[1] && so.key[1] == IMAPP_SORT_SUBJECT && S.nnode == 2,
	    "sort values");
	is_int(parse("a SORT (DISPLAYFROM REVERSE DISPLAYTO) US-ASCII OR "
	    "SEEN FLAGGED"), 0, "SORT display");
	is_int(imapp_sort_parse(&C, imapp_arg(&C, 0), &so, &S, &why), 0,
	    "display ok");
	is_int(parse("a SORT (REVERSE) UTF-8 ALL"), 0, "SORT REVERSE");
	is_int(imapp_sort_parse(&C, imapp_arg(&C, 0), &so, &S, &why),
	    IMAPP_EBAD, "REVERSE alone");
	is_int(parse("a SORT (DATE) KOI8-R ALL"), 0, "SORT KOI8-R");
	is_int(imapp_sort_parse(&C, imapp_arg(&C, 0), &so, &S, &why),
	    IMAPP_EBADCHARSET, "sort charset");
	is_int(parse("a SORT (DATE) UTF-8"), 0, "SORT no keys");
	is_int(imapp_sort_parse(&C, imapp_arg(&C, 0), &so, &S, &why),
	    IMAPP_EBAD, "sort needs keys");
	is_int(parse("a UID THREAD REFERENCES UTF-8 SINCE 1-Jan-2024"), 0,
	    "THREAD");
	is_int(imapp_thread_parse(&C, imapp_arg(&C, 0), &alg, &S, &why), 0,
	    "thread ok");
	ok(alg == IMAPP_THREAD_REFERENCES && S.node[1].key == IMAPP_SK_SINCE,
	    "thread values");
	is_int(parse("a THREAD X UTF-8 ALL"), 0, "THREAD X");
	is_int(imapp_thread_parse(&C, imapp_arg(&C, 0), &alg, &S, &why),
	    IMAPP_EBAD, "unknown algorithm");
}

/* Real commands as clients send them; each must parse, and its typed
 * helper (H_*) must accept its arguments. */
enum helper { H_NONE, H_FETCH, H_STORE, H_SEARCH, H_LIST, H_SELECT,
    H_APPEND, H_STATUS, H_ID, H_SORT, H_THREAD, H_ENABLE, H_FETCHMODS };

static const struct {
	const char	*client, *cmd;
	enum helper	 h;
} clients[] = {
	{ "mbsync", "1 CAPABILITY", H_NONE },
	{ "mbsync", "2 LOGIN \"user@example.org\" \"p\\\"w\"", H_NONE },
	{ "mbsync", "3 LIST \"\" \"*\"", H_LIST },
	{ "mbsync", "4 SELECT \"INBOX\"", H_SELECT },
	{ "mbsync", "5 UID FETCH 1:1000000000 (UID FLAGS)", H_FETCH },
	{ "mbsync", "6 UID FETCH 17 (BODY.PEEK[])", H_FETCH },
	{ "mbsync", "7 UID FETCH 18:* (UID BODY.PEEK[HEADER.FIELDS (X-TUID)])",
	    H_FETCH },
	{ "mbsync", "8 UID STORE 12 +FLAGS.SILENT (\\Deleted)", H_STORE },
	{ "mbsync", "9 APPEND \"INBOX\" (\\Seen) {5+}\r\nhello", H_APPEND },
	{ "mbsync", "10 UID SEARCH HEADER X-TUID 0123456789ab", H_SEARCH },
	{ "mbsync", "11 UID EXPUNGE 3:5", H_NONE },
	{ "mbsync", "12 UID SEARCH UID 1:* NOT DELETED", H_SEARCH },
	{ "Thunderbird", "1 capability", H_NONE },
	{ "Thunderbird", "3 ID (\"name\" \"Thunderbird\" \"version\" "
	    "\"115.3.1\")", H_ID },
	{ "Thunderbird", "4 select \"INBOX\" (CONDSTORE)", H_SELECT },
	{ "Thunderbird", "5 UID fetch 1:* (FLAGS)", H_FETCH },
	{ "Thunderbird", "6 UID fetch 56 (UID RFC822.SIZE BODY.PEEK[])",
	    H_FETCH },
	{ "Thunderbird", "7 UID fetch 56 (UID RFC822.SIZE BODY.PEEK[]<0.10240>)",
	    H_FETCH },
	{ "Thunderbird", "8 UID store 56 +Flags (\\Seen)", H_STORE },
	{ "Thunderbird", "9 list (subscribed) \"\" \"*\" return (special-use)",
	    H_LIST },
	{ "Thunderbird", "10 lsub \"\" \"*\"", H_LIST },
	{ "Thunderbird", "11 UID fetch 1:* (FLAGS) (CHANGEDSINCE 1234)",
	    H_FETCHMODS },
	{ "Thunderbird", "12 UID store 1:3,7 +FLAGS ($label1 NonJunk)",
	    H_STORE },
	{ "Thunderbird", "13 STATUS \"Sent\" (UIDNEXT MESSAGES UNSEEN RECENT)",
	    H_STATUS },
	{ "Thunderbird", "14 UID MOVE 56 \"Trash\"", H_NONE },
	{ "Thunderbird", "15 getquotaroot \"INBOX\"", H_NONE },
	{ "Thunderbird", "16 UID fetch 56 (UID RFC822.SIZE FLAGS BODY.PEEK["
	    "HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority "
	    "X-Priority References Newsgroups In-Reply-To Content-Type "
	    "Reply-To)])", H_FETCH },
	{ "Thunderbird", "17 uid fetch 56 (UID RFC822.SIZE BODY.PEEK[1.2.MIME]"
	    " BODY.PEEK[1.2])", H_FETCH },
	{ "Roundcube", "A0001 ID (\"name\" \"Roundcube\" \"version\" \"1.6.5\""
	    " \"php\" \"8.2.7\" \"os\" \"Linux\" \"command\" \"/index.php\")",
	    H_ID },
	{ "Roundcube", "A0003 LIST \"\" \"*\" RETURN (SPECIAL-USE STATUS "
	    "(MESSAGES UNSEEN))", H_LIST },
	{ "Roundcube", "A0004 SELECT INBOX", H_SELECT },
	{ "Roundcube", "A0005 UID SORT (DATE) UTF-8 ALL", H_SORT },
	{ "Roundcube", "A0006 UID SORT (REVERSE ARRIVAL) US-ASCII ALL "
	    "UNDELETED", H_SORT },
	{ "Roundcube", "A0007 UID FETCH 1:10 (UID RFC822.SIZE FLAGS "
	    "BODY.PEEK[HEADER.FIELDS (DATE FROM TO SUBJECT CONTENT-TYPE CC "
	    "REPLY-TO LIST-POST DISPOSITION-NOTIFICATION-TO X-PRIORITY)])",
	    H_FETCH },
	{ "Roundcube", "A0008 UID SEARCH ALL UNSEEN", H_SEARCH },
	{ "Roundcube", "A0009 UID THREAD REFERENCES UTF-8 ALL", H_THREAD },
	{ "Roundcube", "A0010 UID SEARCH RETURN (COUNT) UNSEEN", H_SEARCH },
	{ "Roundcube", "A0011 UID SEARCH CHARSET UTF-8 OR OR HEADER SUBJECT "
	    "{4}\r\nmeet HEADER FROM \"bob\" BODY \"x\"", H_SEARCH },
	{ "Roundcube", "A0012 UID FETCH 5 (BODY.PEEK[2]<0.2048>)", H_FETCH },
	{ "Roundcube", "A0013 UID STORE 5 +FLAGS.SILENT (\\Deleted)", H_STORE },
	{ "mutt", "a0004 LIST \"\" \"\"", H_LIST },
	{ "mutt", "a0005 SELECT \"INBOX\"", H_SELECT },
	{ "mutt", "a0006 FETCH 1:5 (UID FLAGS)", H_FETCH },
	{ "mutt", "a0008 UID STORE 3 +FLAGS.SILENT (\\Seen \\Answered)",
	    H_STORE },
	{ "mutt", "a0009 UID FETCH 3 BODY.PEEK[]", H_FETCH },
	{ "mutt", "a0010 STATUS \"INBOX\" (MESSAGES)", H_STATUS },
	{ "mutt", "a0011 UID SEARCH SUBJECT {3}\r\nfoo", H_SEARCH },
	{ "Apple Mail", "1.1 CAPABILITY", H_NONE },
	{ "Apple Mail", "2.2 ID (\"name\" \"iPhone Mail\" \"version\" "
	    "\"20A362\" \"os\" \"iOS\" \"os-version\" \"16.0 (20A362)\")",
	    H_ID },
	{ "Apple Mail", "4.2 LIST \"\" \"*\"", H_LIST },
	{ "Apple Mail", "5.1 SELECT INBOX (CONDSTORE)", H_SELECT },
	{ "Apple Mail", "6.3 UID FETCH 1:* (FLAGS UID) (CHANGEDSINCE 100)",
	    H_FETCHMODS },
	{ "Apple Mail", "8.4 UID FETCH 1:12 (BODYSTRUCTURE BODY.PEEK[HEADER] "
	    "INTERNALDATE RFC822.SIZE FLAGS)", H_FETCH },
	{ "Apple Mail", "9.5 UID FETCH 5 BODY.PEEK[1]<0.32768>", H_FETCH },
	{ "Apple Mail", "10.1 UID SEARCH 1:* NOT DELETED", H_SEARCH },
	{ "Apple Mail", "11.2 ENABLE QRESYNC", H_ENABLE },
	{ "Apple Mail", "12.2 SELECT INBOX (QRESYNC (1700000000 5000 1:300))",
	    H_SELECT },
	{ "Outlook", "HQVB3 LIST \"\" \"*\"", H_LIST },
	{ "Outlook", "5RY8 UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK["
	    "HEADER.FIELDS (DATE FROM SUBJECT CONTENT-TYPE X-MS-TNEF-Correlator "
	    "CONTENT-CLASS IMPORTANCE PRIORITY X-PRIORITY THREAD-TOPIC "
	    "REPLY-TO)] BODYSTRUCTURE INTERNALDATE)", H_FETCH },
	{ "Outlook", "6ABC UID STORE 12 +FLAGS (\\Deleted \\Seen)", H_STORE },
	{ "Outlook", "7ABC APPEND \"Sent Items\" (\\Seen) "
	    "\" 9-Nov-2026 08:05:00 +0000\" {4}\r\nbody", H_APPEND },
	{ "Outlook", "8ABC EXPUNGE", H_NONE },
	{ "Outlook", "9ABC UID FETCH 12 (UID RFC822.SIZE BODY.PEEK[] "
	    "BINARY.PEEK[1])", H_FETCH },
	{ "K-9", "12 UID SEARCH 1:5 NOT DELETED SINCE 10-Nov-2026", H_SEARCH },
	{ "K-9", "13 UID FETCH 1:3 (UID INTERNALDATE RFC822.SIZE BODY.PEEK["
	    "HEADER.FIELDS (date subject from content-type to cc reply-to "
	    "message-id references in-reply-to X-K9mail-Identity)])", H_FETCH }
};

static void
test_clients(void)
{
	struct imapp_fetch f;
	struct imapp_fetch_mods fm;
	struct imapp_store st;
	struct imapp_list l;
	struct imapp_select se;
	struct imapp_append a;
	struct imapp_id id;
	struct imapp_sort so;
	enum imapp_thread_alg alg;
	unsigned u;
	size_t i;
	int r;

	for (i = 0; i < sizeof(clients) / sizeof(clients[0]); i++) {
		const struct imapp_tok *a0, *a1;

		r = parse(clients[i].cmd);
		if (!ok(r == 0, "%s: %.*s", clients[i].client,
		    (int)(strcspn(clients[i].cmd, "\r") < 50 ?
		    strcspn(clients[i].cmd, "\r") : 50), clients[i].cmd)) {
			diag("why: %s", why);
			continue;
		}
		a0 = imapp_arg(&C, 0);
		a1 = imapp_arg(&C, 1);
		switch (clients[i].h) {
		case H_NONE:
			r = 0;
			break;
		case H_FETCH:
			r = imapp_fetch_parse(&C, a1, &f, &why);
			break;
		case H_FETCHMODS:
			r = imapp_fetch_parse(&C, a1, &f, &why);
			if (r == 0)
				r = imapp_fetch_mods_parse(&C, imapp_arg(&C, 2),
				    C.uid, &fm, &why);
			break;
		case H_STORE:
			r = imapp_store_parse(&C, a1, &st, &why);
			break;
		case H_SEARCH:
			r = imapp_search_parse(&C, a0, 0, &S, &why);
			break;
		case H_LIST:
			r = imapp_list_parse(&C, a0, &l, &why);
			break;
		case H_SELECT:
			r = imapp_select_parse(&C, a0, &se, &why);
			break;
		case H_APPEND:
			r = imapp_append_parse(&C, a0, &a, &why);
			break;
		case H_STATUS:
			r = imapp_status_items_parse(&C, a1, &u, &why);
			break;
		case H_ID:
			r = imapp_id_parse(&C, a0, &id, &why);
			break;
		case H_SORT:
			r = imapp_sort_parse(&C, a0, &so, &S, &why);
			break;
		case H_THREAD:
			r = imapp_thread_parse(&C, a0, &alg, &S, &why);
			break;
		case H_ENABLE:
			r = imapp_enable_parse(&C, a0, &u, &why);
			break;
		}
		if (!is_int(r, 0, "  its arguments"))
			diag("why: %s", why);
	}
}

/* The server's reading loop, simulated: lines from a stream, a literal
 * announced at a line's end is read as n raw bytes, and the assembled
 * command goes to imapp_parse.  Returns the number of commands parsed. */
static int
serve(const char *stream, size_t len, const char **names, int max)
{
	struct sbuf cmd;
	size_t i = 0;
	int got = 0;

	sbuf_init(&cmd, 1 << 20);
	while (i < len && got < max) {
		const char *nl = memchr(stream + i, '\n', len - i);
		size_t ll;
		uint64_t n;
		int ns, bin, r;

		if (nl == NULL)
			break;
		ll = (size_t)(nl - (stream + i)) + 1;
		(void)sbuf_cat_n(&cmd, stream + i, ll);
		r = imapp_line_literal(stream + i, ll, 0, &n, &ns, &bin);
		i += ll;
		if (r < 0)
			break;
		if (r == 1) {
			if (n > len - i)
				break;
			(void)sbuf_cat_n(&cmd, stream + i, (size_t)n);
			i += (size_t)n;
			continue;
		}
		if (imapp_parse(cmd.s, cmd.len, NULL, &C, &why) != 0 ||
		    strcmp(C.name, names[got]) != 0)
			break;
		got++;
		sbuf_reset(&cmd);
	}
	sbuf_fini(&cmd);
	return got;
}

static void
test_stream(void)
{
	static const char stream[] =
	    "a1 LOGIN {5}\r\nalice {6+}\r\nsecret\r\n"
	    "a2 APPEND Sent (\\Seen) {12}\r\nSubject: x\r\n"
	    " (\\Draft) ~{3}\r\nab}\r\n"
	    "a3 UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (From)])\r\n"
	    "a4 SEARCH SUBJECT {5}\r\n{5}\r\n SINCE 1-Jan-2020\r\n"
	    "a5 LOGOUT\r\n";
	static const char *names[] = { "LOGIN", "APPEND", "FETCH", "SEARCH",
	    "LOGOUT" };
	struct imapp_append a;

	is_int(serve(stream, sizeof(stream) - 1, names, 5), 5,
	    "a stream of commands with literals, line by line");
	is_int(parse("a2 APPEND Sent (\\Seen) {12}\r\nSubject: x\r\n"
	    " (\\Draft) ~{3}\r\nab}\r\n"), 0, "APPEND as the server builds it");
	is_int(imapp_append_parse(&C, imapp_arg(&C, 0), &a, &why), 0,
	    "two messages");
	ok(a.n == 2 && a.msg[0].data->n == 12 && a.msg[1].data->n == 3 &&
	    memcmp(a.msg[1].data->p, "ab}", 3) == 0, "literal bytes");
}

int
main(void)
{
	imapp_cmd_init(&C);
	test_tokenizer();
	test_line_literal();
	test_seqset();
	test_dates();
	test_fetch();
	test_store();
	test_commands();
	imapp_search_init(&S);
	test_search();
	test_clients();
	test_stream();
	imapp_search_fini(&S);
	imapp_cmd_fini(&C);
	return done_testing();
}
