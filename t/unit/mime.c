/*
 * Unit tests for lib/mime: parse, BODY/BODYSTRUCTURE (the expected
 * strings follow RFC 3501 7.4.2 and what Dovecot prints), ENVELOPE,
 * sections, header filters, decoding, search folding and dates.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mime.h"
#include "lib/sbuf.h"
#include "t/tap.h"

struct bs_case {
	const char	*name;
	const char	*msg;
	const char	*bodystructure;
	const char	*body;
};

static const struct bs_case bs_cases[] = {
	{ "plain",
	    "Subject: plain\r\n"
	    "From: \"Doe, John\" <john.doe@example.com>\r\n"
	    "\r\n"
	    "line one\r\n"
	    "line two\r\n",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7b"
	    "it\" 20 2 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7b"
	    "it\" 20 2)" },
	{ "alt",
	    "From: a@b.c\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/alternative; boundary=XYZ\r\n"
	    "\r\n"
	    "--XYZ\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n"
	    "\r\n"
	    "Hello =C3=A9t=C3=A9\r\n"
	    "--XYZ\r\n"
	    "Content-Type: text/html; charset=\"utf-8\"\r\n"
	    "\r\n"
	    "<b>Hi</b>\r\n"
	    "--XYZ--\r\n",
	    "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quot"
	    "ed-printable\" 19 0 NIL NIL NIL NIL)(\"text\" \"html\" (\"c"
	    "harset\" \"utf-8\") NIL NIL \"7bit\" 9 0 NIL NIL NIL NIL) \"a"
	    "lternative\" (\"boundary\" \"XYZ\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"UTF-8\") NIL NIL \"quot"
	    "ed-printable\" 19 0)(\"text\" \"html\" (\"charset\" \"utf-8"
	    "\") NIL NIL \"7bit\" 9 0) \"alternative\")" },
	{ "mixed",
	    "From: a@b.c\n"
	    "Content-Type: multipart/mixed; boundary=\"=_b1\"\n"
	    "\n"
	    "preamble --=_b1 not a boundary\n"
	    "--=_b1\n"
	    "\n"
	    "body text\n"
	    "--=_b1\n"
	    "Content-Type: application/pdf; name=\"r.pdf\"\n"
	    "Content-Disposition: attachment;\n"
	    " filename*0*=utf-8''%C3%A9t;\n"
	    " filename*1=\"e.pdf\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "\n"
	    "JVBERi0x\n"
	    "LjQK\n"
	    "--=_b1--\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 9 0 NIL NIL NIL NIL)(\"application\" \"pdf\" (\"name\" "
	    "\"r.pdf\") NIL NIL \"base64\" 14 NIL (\"attachment\" (\"fil"
	    "ename*\" \"utf-8''%C3%A9te.pdf\")) NIL NIL) \"mixed\" (\"bo"
	    "undary\" \"=_b1\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 9 0)(\"application\" \"pdf\" (\"name\" \"r.pdf\") NIL"
	    " NIL \"base64\" 14) \"mixed\")" },
	{ "digest",
	    "From: d@e.f\n"
	    "Content-Type: multipart/digest; boundary=D\n"
	    "\n"
	    "--D\n"
	    "\n"
	    "From: x@y.z\n"
	    "Subject: one\n"
	    "\n"
	    "first\n"
	    "--D\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "not a message\n"
	    "--D--\n",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 34 (NIL \"one"
	    "\" ((NIL NIL \"x\" \"y.z\")) ((NIL NIL \"x\" \"y.z\")) ((NI"
	    "L NIL \"x\" \"y.z\")) NIL NIL NIL NIL NIL) (\"text\" \"plai"
	    "n\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL"
	    " NIL NIL) 3 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 13 0 NIL NIL NIL NIL) \"dige"
	    "st\" (\"boundary\" \"D\") NIL NIL NIL)",
	    "((\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 34 (NIL \"one"
	    "\" ((NIL NIL \"x\" \"y.z\")) ((NIL NIL \"x\" \"y.z\")) ((NI"
	    "L NIL \"x\" \"y.z\")) NIL NIL NIL NIL NIL) (\"text\" \"plai"
	    "n\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 0) 3)(\"t"
	    "ext\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "13 0) \"digest\")" },
	{ "broken",
	    "Content-Type: multipart/mixed; boundary=B\n"
	    "\n"
	    "--B\n"
	    "Content-Type: text/plain\n"
	    "\n"
	    "unterminated\n"
	    "--B\n"
	    "Content-Type: multipart/related; boundary=C\n"
	    "\n"
	    "--C\n"
	    "\n"
	    "inner\n"
	    "--B\n"
	    "\n"
	    "after inner\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 12 0 NIL NIL NIL NIL)((\"text\" \"plain\" (\"charset\" "
	    "\"us-ascii\") NIL NIL \"7bit\" 5 0 NIL NIL NIL NIL) \"relat"
	    "ed\" (\"boundary\" \"C\") NIL NIL NIL)(\"text\" \"plain\" ("
	    "\"charset\" \"us-ascii\") NIL NIL \"7bit\" 13 1 NIL NIL NIL"
	    " NIL) \"mixed\" (\"boundary\" \"B\") NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 12 0)((\"text\" \"plain\" (\"charset\" \"us-ascii\") "
	    "NIL NIL \"7bit\" 5 0) \"related\")(\"text\" \"plain\" (\"ch"
	    "arset\" \"us-ascii\") NIL NIL \"7bit\" 13 1) \"mixed\")" },
	{ "nobnd",
	    "Content-Type: multipart/mixed\n"
	    "\n"
	    "no boundary here\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0 NIL NIL NIL NIL) \"mixed\" NIL NIL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" "
	    "0 0) \"mixed\")" },
	{ "noparts",
	    "Content-Type: multipart/mixed; boundary=Q\n"
	    "\n"
	    "no parts at all\n",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 0 0 NIL NIL NIL NIL) \"mixed\" (\"boundary\" \"Q\") N"
	    "IL NIL NIL)",
	    "((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7"
	    "bit\" 0 0) \"mixed\")" },
	{ "hdronly",
	    "Subject: only header\n"
	    "To: x@y",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7b"
	    "it\" 0 0 NIL NIL NIL NIL)",
	    "(\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7b"
	    "it\" 0 0)" },
	{ "nested",
	    "From: user@domain.org\n"
	    "Date: Sat, 24 Mar 2007 23:00:00 +0200\n"
	    "Mime-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"foo\n"
	    " bar\"\n"
	    "\n"
	    "top-level preamble\n"
	    "\n"
	    "--foo bar\n"
	    "Content-Type: text/x-custom; charset=us-ascii; foo=\"quoted"
	    "\\\"string\"\n"
	    "Content-ID: <part1@example.net>\n"
	    "Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n"
	    "Content-Disposition: inline; foo=bar\n"
	    "Content-Description: a description\n"
	    "Content-Language: en, fi, se\n"
	    "Content-Location: http://example.com/test.txt\n"
	    "\n"
	    "hello\n"
	    "\n"
	    "--foo bar\n"
	    "Content-Type: message/rfc822\n"
	    "\n"
	    "From: sub@domain.org\n"
	    "To: alice@domain.org, bob@domain.org\n"
	    "Date: Sun, 12 Aug 2011 10:11:12 +0300\n"
	    "Subject: forwarded\n"
	    "Content-Type: multipart/alternative; boundary=\"sub1\"\n"
	    "\n"
	    "inner preamble\n"
	    "--sub1\n"
	    "Content-Type: text/html\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "\n"
	    "<p>Hello world</p>\n"
	    "\n"
	    "--sub1\n"
	    "Content-Type: text/plain\n"
	    "Content-Transfer-Encoding: ?invalid\n"
	    "\n"
	    "second alternative\n"
	    "\n"
	    "--sub1--\n"
	    "inner epilogue\n"
	    "\n"
	    "--foo bar--\n"
	    "top-level epilogue text\n",
	    "((\"text\" \"x-custom\" (\"charset\" \"us-ascii\" \"foo\" \"q"
	    "uoted\\\"string\") \"<part1@example.net>\" \"a description\" "
	    "\"7bit\" 7 1 \"Q2hlY2sgSW50ZWdyaXR5IQ==\" (\"inline\" (\"fo"
	    "o\" \"bar\")) (\"en\" \"fi\" \"se\") \"http://example.com/t"
	    "est.txt\")(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 402 "
	    "(\"Sun, 12 Aug 2011 10:11:12 +0300\" \"forwarded\" ((NIL NI"
	    "L \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.org\")"
	    ") ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"alice\" \"d"
	    "omain.org\")(NIL NIL \"bob\" \"domain.org\")) NIL NIL NIL N"
	    "IL) ((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL NIL "
	    "\"8bit\" 20 1 NIL NIL NIL NIL)(\"text\" \"plain\" (\"charse"
	    "t\" \"us-ascii\") NIL NIL \"7bit\" 20 1 NIL NIL NIL NIL) \"a"
	    "lternative\" (\"boundary\" \"sub1\") NIL NIL NIL) 21 NIL NI"
	    "L NIL NIL) \"mixed\" (\"boundary\" \"foo bar\") NIL NIL NIL"
	    ")",
	    "((\"text\" \"x-custom\" (\"charset\" \"us-ascii\" \"foo\" \"q"
	    "uoted\\\"string\") \"<part1@example.net>\" \"a description\" "
	    "\"7bit\" 7 1)(\"message\" \"rfc822\" NIL NIL NIL \"7bit\" 4"
	    "02 (\"Sun, 12 Aug 2011 10:11:12 +0300\" \"forwarded\" ((NIL"
	    " NIL \"sub\" \"domain.org\")) ((NIL NIL \"sub\" \"domain.or"
	    "g\")) ((NIL NIL \"sub\" \"domain.org\")) ((NIL NIL \"alice\" "
	    "\"domain.org\")(NIL NIL \"bob\" \"domain.org\")) NIL NIL NI"
	    "L NIL) ((\"text\" \"html\" (\"charset\" \"us-ascii\") NIL N"
	    "IL \"8bit\" 20 1)(\"text\" \"plain\" (\"charset\" \"us-asci"
	    "i\") NIL NIL \"7bit\" 20 1) \"alternative\") 21) \"mixed\")" },
	{ "signed",
	    "From: =?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be"
	    ">\r\n"
	    "To: Team: a@example.org, \"B. Person\" <b@example.org>;\r\n"
	    "Subject: =?utf-8?B?U2lnbmVk?= report\r\n"
	    "Date: Tue, 3 Mar 2020 10:00:00 +0100\r\n"
	    "Message-ID: <signed.1@example.org>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/signed; micalg=pgp-sha256;\r\n"
	    " protocol=\"application/pgp-signature\"; boundary=\"sig\"\r\n"
	    "\r\n"
	    "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)\r\n"
	    "--sig\r\n"
	    "Content-Type: multipart/mixed; boundary=\"mix\"\r\n"
	    "\r\n"
	    "--mix\r\n"
	    "Content-Type: text/plain; charset=utf-8; format=flowed\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n"
	    "\r\n"
	    "R\xc3" "\xa9" "sum\xc3" "\xa9" " attached.\r\n"
	    "\r\n"
	    "--mix\r\n"
	    "Content-Type: application/pdf; name=\"=?utf-8?q?r=C3=A9sum="
	    "C3=A9?=.pdf\"\r\n"
	    "Content-Disposition: attachment; filename*=utf-8''r%C3%A9su"
	    "m%C3%A9.pdf\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Description: CV\r\n"
	    "\r\n"
	    "JVBERi0xLjQK\r\n"
	    "--mix--\r\n"
	    "\r\n"
	    "--sig\r\n"
	    "Content-Type: application/pgp-signature; name=\"signature.a"
	    "sc\"\r\n"
	    "Content-Description: OpenPGP digital signature\r\n"
	    "Content-Disposition: attachment; filename=\"signature.asc\"\r\n"
	    "\r\n"
	    "-----BEGIN PGP SIGNATURE-----\r\n"
	    "wsB5BAABCAAjFiEE\r\n"
	    "-----END PGP SIGNATURE-----\r\n"
	    "--sig--\r\n",
	    "(((\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"f"
	    "lowed\") NIL NIL \"8bit\" 20 1 NIL NIL NIL NIL)(\"applicati"
	    "on\" \"pdf\" (\"name\" \"=?utf-8?q?r=C3=A9sum=C3=A9?=.pdf\")"
	    " NIL \"CV\" \"base64\" 12 NIL (\"attachment\" (\"filename*\" "
	    "\"utf-8''r%C3%A9sum%C3%A9.pdf\")) NIL NIL) \"mixed\" (\"bou"
	    "ndary\" \"mix\") NIL NIL NIL)(\"application\" \"pgp-signatu"
	    "re\" (\"name\" \"signature.asc\") NIL \"OpenPGP digital sig"
	    "nature\" \"7bit\" 76 NIL (\"attachment\" (\"filename\" \"si"
	    "gnature.asc\")) NIL NIL) \"signed\" (\"micalg\" \"pgp-sha25"
	    "6\" \"protocol\" \"application/pgp-signature\" \"boundary\" "
	    "\"sig\") NIL NIL NIL)",
	    "(((\"text\" \"plain\" (\"charset\" \"utf-8\" \"format\" \"f"
	    "lowed\") NIL NIL \"8bit\" 20 1)(\"application\" \"pdf\" (\"n"
	    "ame\" \"=?utf-8?q?r=C3=A9sum=C3=A9?=.pdf\") NIL \"CV\" \"ba"
	    "se64\" 12) \"mixed\")(\"application\" \"pgp-signature\" (\"n"
	    "ame\" \"signature.asc\") NIL \"OpenPGP digital signature\" "
	    "\"7bit\" 76) \"signed\")" },
};

static struct mime_part *
parse(const char *msg, size_t len)
{
	struct mime_part *root = NULL;

	if (mime_parse(msg, len, NULL, &root) < 0)
		abort();
	return root;
}

static void
test_bodystructure(void)
{
	struct mime_part *root;
	struct sbuf o;
	size_t i, len;

	sbuf_init(&o, 1 << 20);
	for (i = 0; i < sizeof(bs_cases) / sizeof(bs_cases[0]); i++) {
		const struct bs_case *c = &bs_cases[i];

		len = strlen(c->msg);
		root = parse(c->msg, len);
		sbuf_reset(&o);
		is_int(mime_bodystructure(&o, c->msg, root, 1), 0, c->name);
		is_str(sbuf_str(&o), c->bodystructure, c->name);
		sbuf_reset(&o);
		is_int(mime_bodystructure(&o, c->msg, root, 0), 0, c->name);
		is_str(sbuf_str(&o), c->body, c->name);
		mime_free(&root);
		ok(root == NULL, "mime_free NULLs the root");
	}
	sbuf_fini(&o);
}

struct env_case {
	const char	*hdr;
	const char	*want;
};

static const struct env_case env_cases[] = {
	{ "From: \"Doe, John\" <john.doe@example.com>\r\nSubject: hi\r\n"
	  "Date: Mon, 7 Feb 1994 21:52:25 -0800\r\n\r\n",
	  "(\"Mon, 7 Feb 1994 21:52:25 -0800\" \"hi\" "
	  "((\"Doe, John\" NIL \"john.doe\" \"example.com\")) "
	  "((\"Doe, John\" NIL \"john.doe\" \"example.com\")) "
	  "((\"Doe, John\" NIL \"john.doe\" \"example.com\")) "
	  "NIL NIL NIL NIL NIL)" },
	{ "To: undisclosed-recipients:;\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"undisclosed-recipients\" NIL)"
	  "(NIL NIL NIL NIL)) NIL NIL NIL NIL)" },
	{ "To: Team: a@b.c, \"Q, R\" <q@r.s>; , z@y.x\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"b.c\")"
	  "(\"Q, R\" NIL \"q\" \"r.s\")(NIL NIL NIL NIL)"
	  "(NIL NIL \"z\" \"y.x\")) NIL NIL NIL NIL)" },
	{ "From: user@host (Real Name)\n\n",
	  "(NIL NIL ((\"Real Name\" NIL \"user\" \"host\")) "
	  "((\"Real Name\" NIL \"user\" \"host\")) "
	  "((\"Real Name\" NIL \"user\" \"host\")) NIL NIL NIL NIL NIL)" },
	{ "Sender: <@r1,@r2:u@h>\n\n",
	  "(NIL NIL NIL ((NIL \"@r1,@r2\" \"u\" \"h\")) NIL NIL NIL NIL NIL "
	  "NIL)" },
	{ "Reply-To: <>\n\n",
	  "(NIL NIL NIL NIL ((NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) "
	  "NIL NIL NIL NIL NIL)" },
	{ "Cc: =?utf-8?q?J=C3=B6rg?= <j@x.de>\n\n",
	  "(NIL NIL NIL NIL NIL NIL ((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" "
	  "\"x.de\")) NIL NIL NIL)" },
	{ "Bcc: broken <a@b\n\n",
	  "(NIL NIL NIL NIL NIL NIL NIL ((\"broken\" NIL \"a\" "
	  "\"SYNTAX_ERROR\")) NIL NIL)" },
	{ "To: @@@,,;;<<>>\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"MISSING_MAILBOX\" "
	  "\"MISSING_DOMAIN\")(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"MISSING_MAILBOX\" \"SYNTAX_ERROR\")) NIL NIL NIL NIL)" },
	{ "To: just text\n\n",
	  "(NIL NIL NIL NIL NIL ((\"just text\" NIL \"MISSING_MAILBOX\" "
	  "\"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	{ "To: user, a@b junk, <c@d> junk, x@y, , z@w\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL NIL \"user\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"a\" \"b\")(NIL NIL \"c\" \"d\")(NIL NIL \"x\" \"y\")"
	  "(NIL NIL \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")"
	  "(NIL NIL \"z\" \"w\")) NIL NIL NIL NIL)" },
	{ "To: \"unterminated <x@y>\nFrom: a@b\nReply-To: \n\n",
	  "(NIL NIL ((NIL NIL \"a\" \"b\")) ((NIL NIL \"a\" \"b\")) "
	  "((NIL NIL \"a\" \"b\")) ((NIL NIL \"MISSING_MAILBOX\" "
	  "\"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	{ "To: <@only.host>\n\n",
	  "(NIL NIL NIL NIL NIL ((NIL \"INVALID_ROUTE\" \"MISSING_MAILBOX\" "
	  "\"MISSING_DOMAIN\")) NIL NIL NIL NIL)" },
	{ "To: \"a\\\"b\" <c@d>, e@[1.2.3.4]\n\n",
	  "(NIL NIL NIL NIL NIL ((\"a\\\"b\" NIL \"c\" \"d\")"
	  "(NIL NIL \"e\" \"[1.2.3.4]\")) NIL NIL NIL NIL)" },
	{ "To: John \"the man\" Doe <jd@x>\n\n",
	  "(NIL NIL NIL NIL NIL ((\"John the man Doe\" NIL \"jd\" \"x\")) "
	  "NIL NIL NIL NIL)" },
	{ "Cc: (comment only)\nTo:   \nSubject:\n\n",
	  "(NIL \"\" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "Subject: multi\n line\n\tfold  \n\n",
	  "(NIL \"multi line fold  \" NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "Subject: caf\xc3\xa9\n\n",
	  "(NIL {5}\r\ncaf\xc3\xa9 NIL NIL NIL NIL NIL NIL NIL NIL)" },
	{ "Message-ID: <abc@def>\nIn-Reply-To: <x@y>\nReply-To: r@s\n"
	  "Sender: s@t\nBcc: b@c\nFrom: f@g\nfrom: second@g\n\n",
	  "(NIL NIL ((NIL NIL \"f\" \"g\")(NIL NIL \"second\" \"g\")) "
	  "((NIL NIL \"s\" \"t\")) "
	  "((NIL NIL \"r\" \"s\")) NIL NIL ((NIL NIL \"b\" \"c\")) "
	  "\"<x@y>\" \"<abc@def>\")" },
	{ "To: x<\nCc: <@\n\n",
	  "(NIL NIL NIL NIL NIL ((\"x\" NIL \"MISSING_MAILBOX\" "
	  "\"SYNTAX_ERROR\")) ((NIL "
	  "\"INVALID_ROUTE\" \"MISSING_MAILBOX\" \"MISSING_DOMAIN\")) NIL NIL "
	  "NIL)" },
	{ "", "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)" },
};

static void
test_envelope(void)
{
	struct sbuf o;
	size_t i;
	char name[64];

	sbuf_init(&o, 1 << 16);
	for (i = 0; i < sizeof(env_cases) / sizeof(env_cases[0]); i++) {
		if (snprintf(name, sizeof(name), "envelope case %zu", i) < 0)
			abort();
		sbuf_reset(&o);
		is_int(mime_envelope(&o, env_cases[i].hdr,
		    strlen(env_cases[i].hdr)), 0, name);
		is_str(sbuf_str(&o), env_cases[i].want, name);
	}
	sbuf_fini(&o);
}

static const char *
find_case(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(bs_cases) / sizeof(bs_cases[0]); i++)
		if (strcmp(bs_cases[i].name, name) == 0)
			return bs_cases[i].msg;
	abort();
}

static void
sec(const char *msg, const struct mime_part *root, const char *spec,
    int kind, const char *want)
{
	size_t off = 99, len = 99;
	int k = mime_section(msg, root, spec, strlen(spec), &off, &len);

	is_int(k, kind, spec);
	if (want != NULL)
		is_mem(msg + off, len, want, strlen(want), spec);
}

static void
test_sections(void)
{
	const char *m = find_case("nested");
	struct mime_part *r = parse(m, strlen(m));

	sec(m, r, "", MIME_SEC_FULL, m);
	sec(m, r, "1", MIME_SEC_PART, "hello\n");
	sec(m, r, "1.MIME", MIME_SEC_MIME, NULL);
	sec(m, r, "2.1", MIME_SEC_PART, "<p>Hello world</p>\n");
	sec(m, r, "2.2", MIME_SEC_PART, "second alternative\n");
	sec(m, r, "2.2.MIME", MIME_SEC_MIME,
	    "Content-Type: text/plain\nContent-Transfer-Encoding: ?invalid\n\n");
	sec(m, r, "2.HEADER.FIELDS (From)", MIME_SEC_FIELDS, NULL);
	sec(m, r, "2.header.fields.not (From)", MIME_SEC_FIELDS_NOT, NULL);
	sec(m, r, "2.TEXT", MIME_SEC_TEXT, NULL);
	sec(m, r, "1.HEADER", MIME_SEC_NONE, "");
	sec(m, r, "1.1", MIME_SEC_NONE, "");
	sec(m, r, "3", MIME_SEC_NONE, "");
	sec(m, r, "2.3", MIME_SEC_NONE, "");
	sec(m, r, "2.1.5.HEADER", MIME_SEC_NONE, "");
	sec(m, r, "HEADER.FIELDS (Date)", MIME_SEC_FIELDS, NULL);
	sec(m, r, "0", -1, NULL);
	sec(m, r, "1.", -1, NULL);
	sec(m, r, "MIME", -1, NULL);
	sec(m, r, "BOGUS", -1, NULL);
	sec(m, r, "1.HEADERX", -1, NULL);
	mime_free(&r);

	m = find_case("plain");
	r = parse(m, strlen(m));
	sec(m, r, "1", MIME_SEC_PART, "line one\r\nline two\r\n");
	sec(m, r, "TEXT", MIME_SEC_TEXT, "line one\r\nline two\r\n");
	sec(m, r, "HEADER", MIME_SEC_HEADER,
	    "Subject: plain\r\nFrom: \"Doe, John\" <john.doe@example.com>"
	    "\r\n\r\n");
	sec(m, r, "2", MIME_SEC_NONE, "");
	sec(m, r, "1.1", MIME_SEC_NONE, "");
	mime_free(&r);

	m = find_case("digest");
	r = parse(m, strlen(m));
	sec(m, r, "1.1", MIME_SEC_PART, "first");
	sec(m, r, "1.HEADER", MIME_SEC_HEADER, "From: x@y.z\nSubject: one\n\n");
	sec(m, r, "1.TEXT", MIME_SEC_TEXT, "first");
	sec(m, r, "2", MIME_SEC_PART, "not a message");
	mime_free(&r);
}

static void
test_header(void)
{
	static const char h[] =
	    "Received: from a\r\n\tby b\r\nSubject: one\r\n two\r\n"
	    "X-Empty:\nno colon here\nsubject: second\n\nbody: not a field\n";
	static const char *const names[] = { "SUBJECT", "x-empty" };
	struct mime_hdr_iter it;
	struct mime_field f;
	struct sbuf o;
	int n = 0;

	sbuf_init(&o, 4096);
	is_int(mime_header_get(&o, h, sizeof(h) - 1, "subject"), 1, "get");
	is_str(sbuf_str(&o), "one two", "value unfolded");
	sbuf_reset(&o);
	is_int(mime_header_get(&o, h, sizeof(h) - 1, "body"), 0,
	    "no field after the blank line");
	is_int(mime_header_get(&o, h, sizeof(h) - 1, "x-empty"), 1, "empty");
	is_int((long long)o.len, 0, "empty value");
	mime_hdr_iter_init(&it, h, sizeof(h) - 1);
	while (mime_hdr_next(&it, &f))
		n++;
	is_int(n, 5, "five fields");
	sbuf_reset(&o);
	is_int(mime_header_filter(&o, h, sizeof(h) - 1, names, 2, 0), 0,
	    "filter");
	is_str(sbuf_str(&o), "Subject: one\r\n two\r\nX-Empty:\r\n"
	    "subject: second\r\n\r\n", "HEADER.FIELDS");
	sbuf_reset(&o);
	is_int(mime_header_filter(&o, h, sizeof(h) - 1, names, 2, 1), 0,
	    "filter not");
	is_str(sbuf_str(&o), "Received: from a\r\n\tby b\r\nno colon here\r\n"
	    "\r\n", "HEADER.FIELDS.NOT");
	sbuf_reset(&o);
	is_int(mime_header_filter(&o, "A: b", 4, names, 0, 1), 0,
	    "no final line end");
	is_str(sbuf_str(&o), "A: b\r\n\r\n", "line end added");
	sbuf_fini(&o);
}

static void
test_signed_envelope(void)
{
	const char *m = find_case("signed");
	struct mime_part *r = parse(m, strlen(m));
	struct sbuf o;

	sbuf_init(&o, 4096);
	is_int(mime_envelope(&o, m + r->hdr_off, r->hdr_len), 0, "envelope");
	is_str(sbuf_str(&o),
	    "(\"Tue, 3 Mar 2020 10:00:00 +0100\" \"=?utf-8?B?U2lnbmVk?= "
	    "report\" ((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" NIL \"PIRARD"
	    "\" \"vm1.ulg.ac.be\")) ((\"=?ISO-8859-1?Q?Andr=E9?= Pirard\" "
	    "NIL \"PIRARD\" \"vm1.ulg.ac.be\")) ((\"=?ISO-8859-1?Q?Andr="
	    "E9?= Pirard\" NIL \"PIRARD\" \"vm1.ulg.ac.be\")) ((NIL NIL "
	    "\"Team\" NIL)(NIL NIL \"a\" \"example.org\")(\"B. Person\" "
	    "NIL \"b\" \"example.org\")(NIL NIL NIL NIL)) NIL NIL NIL \"<"
	    "signed.1@example.org>\")",
	    "signed message envelope (as Dovecot 2.3.19)");
	sbuf_fini(&o);
	mime_free(&r);
}

static void
decode(const char *in, const char *want)
{
	struct sbuf o;

	sbuf_init(&o, 4096);
	is_int(mime_header_decode(&o, in, strlen(in)), 0, "decode");
	is_str(sbuf_str(&o), want, "decoded");
	sbuf_fini(&o);
}

static void
test_decode(void)
{
	decode("plain text", "plain text");
	decode("=?utf-8?q?J=C3=B6rg_M?=", "J\xc3\xb6rg M");
	decode("=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xc3\xa9 Pirard");
	decode("=?UTF-8?B?w6l0w6k=?=", "\xc3\xa9t\xc3\xa9");
	decode("=?utf-8?q?a?= =?utf-8?q?b?=", "ab");
	decode("=?utf-8?q?a?=\r\n =?utf-8?q?b?= c", "ab c");
	decode("x =?utf-8?q?a?= y", "x a y");
	decode("=?x-unknown-cs?q?a?=", "=?x-unknown-cs?q?a?=");
	decode("=?utf-8?x?bad?=", "=?utf-8?x?bad?=");
	decode("=?utf-8?q?no end", "=?utf-8?q?no end");
	decode("=?koi8-r?b?8NLJ18XU?=",
	    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	decode("=?utf-8*en?q?lang?=", "lang");
}

static void
part_text(const char *msg, const char *spec, size_t max, const char *want)
{
	struct mime_part *r = parse(msg, strlen(msg)), *p;
	struct sbuf o;
	size_t off, len;

	/* Find the part whose body is the section's range. */
	if (mime_section(msg, r, spec, strlen(spec), &off, &len) !=
	    MIME_SEC_PART)
		abort();
	for (p = r; p != NULL && p->body_off != off;)
		p = p->is_multipart ? p->child : p->next;
	sbuf_init(&o, max);
	if (p == NULL) {
		ok(0, "part %s found", spec);
		return;
	}
	is_int(mime_part_text(&o, msg, p), 0, spec);
	is_str(sbuf_str(&o), want, spec);
	sbuf_fini(&o);
	mime_free(&r);
}

static void
test_part_text(void)
{
	static const char qp[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: text/plain; charset=iso-8859-1\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "Caf=E9 soft=\nbreak =3D x=\n--b\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: BASE64\n\n"
	    "w6l0w6k=\n--b\n"
	    "Content-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
	    "iVBORw0K\n--b--\n";

	part_text(qp, "1", 100, "Caf\xc3\xa9 softbreak = x");
	part_text(qp, "2", 100, "\xc3\xa9t\xc3\xa9");
	part_text(qp, "2", 3, "\xc3\xa9t");
	part_text(qp, "2", 4, "\xc3\xa9t");
	part_text(qp, "3", 100, "");
}

static void
test_find(void)
{
	ok(mime_text_find("Hello World", 11, "world", 5), "ascii fold");
	ok(!mime_text_find("Hello World", 11, "worlds", 6), "longer needle");
	ok(mime_text_find("x", 1, "", 0), "empty needle");
	ok(mime_text_find("\xc3\x89T\xc3\x89", 5, "\xc3\xa9t\xc3\xa9", 5),
	    "Latin-1 fold");
	ok(mime_text_find("\xd0\x9f\xd0\xa0\xd0\x98", 6,
	    "\xd0\xbf\xd1\x80\xd0\xb8", 6), "Cyrillic fold");
	ok(mime_text_find("\xce\xa3\xce\x9f\xce\xa6", 6,
	    "\xcf\x83\xce\xbf\xcf\x86", 6), "Greek fold");
	ok(mime_text_find("\xc5\x81\xc3\xb3" "d\xc5\xba", 6,
	    "\xc5\x82\xc3\x93" "D\xc5\xb9", 6), "Latin Extended-A fold");
	ok(!mime_text_find("abc", 3, "\xff", 1), "invalid byte no match");
	ok(mime_text_find("a\xff" "b", 3, "\xff" "B", 2),
	    "invalid bytes match themselves");
	ok(!mime_text_find("ab", 2, "abc", 3), "hay too short");
}

static void
date(const char *s, int rc, int64_t t, int tz)
{
	int64_t got = -1;
	int gtz = -1;

	is_int(mime_date_parse(s, strlen(s), &got, &gtz), rc, s);
	if (rc == 0) {
		is_int(got, t, s);
		is_int(gtz, tz, s);
	}
}

static void
test_date(void)
{
	date("Mon, 7 Feb 1994 21:52:25 -0800", 0, 760686745, -480);
	date("7 Feb 1994 21:52:25 -0800", 0, 760686745, -480);
	date("Mon, 07 Feb 94 21:52 PST", 0, 760686720, -480);
	date("Thu, 1 Jan 1970 00:00:00 GMT", 0, 0, 0);
	date("  Sat , 24 Mar 2007 23:00:00 +0200 (CEST)", 0, 1174770000, 120);
	date("1 Jan 49 00:00:00 +0000", 0, 2493072000LL, 0);
	date("1 Jan 050 00:00:00 Z", 0, -631152000LL, 0);
	date("29 Feb 2000 12:00:00 EDT", 0, 951840000, -240);
	date("32 Jan 2000 00:00:00 +0000", -1, 0, 0);
	date("1 Foo 2000 00:00:00 +0000", -1, 0, 0);
	date("1 Jan 2000 24:00:00 +0000", -1, 0, 0);
	date("1 Jan 2000 00:00:00 +0099", -1, 0, 0);
	date("", -1, 0, 0);
	date("garbage", -1, 0, 0);
}

/* Every prefix of every message parses, and every view of it is valid
 * output (byte-at-a-time: the parser never reads past len). */
static void
test_prefixes(void)
{
	struct mime_part *r;
	struct sbuf o;
	size_t i, n, cut, off, len;
	char *copy;
	int bad = 0;

	sbuf_init(&o, 1 << 20);
	for (i = 0; i < sizeof(bs_cases) / sizeof(bs_cases[0]); i++) {
		n = strlen(bs_cases[i].msg);
		for (cut = 0; cut <= n; cut++) {
			copy = malloc(cut + 1);
			if (copy == NULL)
				abort();
			memcpy(copy, bs_cases[i].msg, cut);
			if (mime_parse(copy, cut, NULL, &r) < 0)
				bad++;
			sbuf_reset(&o);
			if (mime_bodystructure(&o, copy, r, 1) < 0 ||
			    mime_envelope(&o, copy, r->hdr_len) < 0)
				bad++;
			if (mime_section(copy, r, "2.1", 3, &off, &len) < 0 ||
			    off + len > cut)
				bad++;
			mime_free(&r);
			free(copy);
		}
	}
	is_int(bad, 0, "every prefix gives a valid tree");
	sbuf_fini(&o);
}

static void
test_limits(void)
{
	struct mime_limits lim = { 2, 3 };
	struct mime_part *r;
	struct sbuf o;
	const char *m = find_case("nested");
	static const char deep[] =
	    "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Type: multipart/mixed; boundary=c\n\n--c\n\nx\n--c--\n"
	    "--b--\n--a--\n";

	sbuf_init(&o, 1 << 16);
	is_int(mime_parse(deep, sizeof(deep) - 1, &lim, &r), 0, "deep");
	is_int(mime_bodystructure(&o, deep, r, 0), 0, "deep body");
	is_str(sbuf_str(&o), "(((\"multipart\" \"mixed\" (\"boundary\" \"c\") "
	    "NIL NIL \"7bit\" 15) \"mixed\") \"mixed\")",
	    "depth limit: a leaf");
	mime_free(&r);
	lim.depth = 0;
	sbuf_reset(&o);
	is_int(mime_parse(m, strlen(m), &lim, &r), 0, "few parts");
	is_int(mime_bodystructure(&o, m, r, 0), 0, "few parts body");
	ok(strstr(o.s, "\"message\" \"rfc822\"") != NULL &&
	    strstr(o.s, "\"html\"") == NULL, "parts limit: message kept, "
	    "its body empty: %s", o.s);
	mime_free(&r);
	sbuf_fini(&o);
}

static void
test_sizes(void)
{
	static const char m[] = "A: b\nC: d\r\n\nx\r\ny\nz";
	struct mime_part *r = parse(m, sizeof(m) - 1);

	is_int((long long)r->hdr_len, 12, "header length");
	is_int((long long)r->hdr_vsize, 14, "header CRLF size");
	is_int((long long)r->body_len, 6, "body length");
	is_int((long long)r->body_vsize, 7, "body CRLF size");
	is_int((long long)r->body_lines, 2, "body lines");
	is_int((long long)mime_crlf_len(m, sizeof(m) - 1), 21, "crlf len");
	mime_free(&r);
}

/* BINARY: the part numbers' part, its body decoded. */
static void
binary(const struct mime_part *r, const char *msg, const uint32_t *part,
    size_t n, int want_r, const char *want, size_t want_len,
    const char *name)
{
	const struct mime_part *p = mime_part_find(r, part, n);
	struct sbuf o;

	if (p == NULL) {
		ok(want_r == -2, "%s: no such part", name);
		return;
	}
	sbuf_init(&o, 1000);
	is_int(mime_part_decode(&o, msg, p), want_r, name);
	ok(o.len == want_len && (want_len == 0 || memcmp(o.s, want,
	    want_len) == 0), "%s: %zu bytes", name, o.len);
	sbuf_fini(&o);
}

static void
test_binary(void)
{
	static const char m[] =
	    "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    "Content-Transfer-Encoding: quoted-printable\n\n"
	    "a=3Db soft=\nbreak\nline2=0Aend\n--b\n"
	    "Content-Type: application/octet-stream\n"
	    "Content-Transfer-Encoding: Base64\n\n"
	    "AAEC/w==\n--b\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "caf\xc3\xa9\nx\r\ny\n--b\n"
	    "Content-Transfer-Encoding: x-uuencode\n\nbegin\n--b\n"
	    "Content-Type: message/rfc822\n\n"
	    "Subject: in\nMIME-Version: 1.0\nContent-Transfer-Encoding: base64\n\naGk=\n"
	    "--b--\n";
	struct mime_part *r = parse(m, sizeof m - 1);
	static const uint32_t p1[] = { 1 }, p2[] = { 2 }, p3[] = { 3 },
	    p4[] = { 4 }, p51[] = { 5, 1 }, p6[] = { 6 }, p11[] = { 1, 1 };
	struct sbuf o;

	binary(r, m, p1, 1, 0, "a=b softbreak\r\nline2\nend", 24,
	    "quoted-printable: CRLF line ends, =0A kept");
	binary(r, m, p2, 1, 0, "\0\1\2\xff", 4, "base64 with a NUL");
	binary(r, m, p3, 1, 0, "caf\xc3\xa9\r\nx\r\ny", 11,
	    "8bit: bare LF as CRLF");
	binary(r, m, p4, 1, 1, "", 0, "x-uuencode: unknown");
	ok(mime_cte_known(mime_part_find(r, p2, 1)) &&
	    !mime_cte_known(mime_part_find(r, p4, 1)), "mime_cte_known");
	binary(r, m, p51, 2, 0, "hi", 2, "inside message/rfc822");
	binary(r, m, p6, 1, -2, "", 0, "part 6");
	binary(r, m, p11, 2, -2, "", 0, "part 1.1 of a leaf");
	ok(mime_part_find(r, NULL, 0) == r, "no numbers: the root");
	sbuf_init(&o, 100);
	ok(mime_crlf_cat(&o, "a\nb\r\nc\n", 7) == 0 && o.len == 9 &&
	    memcmp(o.s, "a\r\nb\r\nc\r\n", 9) == 0, "mime_crlf_cat");
	sbuf_fini(&o);
	mime_free(&r);
}

int
main(void)
{
	test_bodystructure();
	test_envelope();
	test_sections();
	test_signed_envelope();
	test_header();
	test_decode();
	test_part_text();
	test_find();
	test_date();
	test_prefixes();
	test_limits();
	test_sizes();
	test_binary();
	return done_testing();
}
