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

int
main(void)
{
	imapp_cmd_init(&C);
	test_tokenizer();
	test_line_literal();
	imapp_cmd_fini(&C);
	return done_testing();
}
