/* Unit tests for lib/smtpp: command parsing, ESMTP parameters, xtext. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/smtpp.h"
#include "t/tap.h"

struct vec {
	const char	*line;
	unsigned	 flags;
	int		 rc;
};

static const struct vec vecs[] = {
	/* Verbs. */
	{ "HELO mx.example.org", 0, SMTPP_OK },
	{ "helo mx.example.org", 0, SMTPP_OK },
	{ "EhLo mx.example.org", 0, SMTPP_OK },
	{ "LHLO storage1", 0, SMTPP_OK },
	{ "EHLO [192.0.2.1]", 0, SMTPP_OK },
	{ "EHLO [IPv6:2001:db8::1]", 0, SMTPP_OK },
	{ "EHLO [ipv6:2001:db8::1]", 0, SMTPP_OK },
	{ "EHLO [IPv6:192.0.2.1]", 0, SMTPP_ESYNTAX },
	{ "EHLO [192.0.2.256]", 0, SMTPP_ESYNTAX },
	{ "EHLO [192.0.2]", 0, SMTPP_ESYNTAX },
	{ "EHLO []", 0, SMTPP_ESYNTAX },
	{ "EHLO [192.0.2.1", 0, SMTPP_ESYNTAX },
	{ "EHLO my_pc", 0, SMTPP_OK },
	{ "EHLO bad_name.example", 0, SMTPP_OK },
	{ "EHLO host.example.", 0, SMTPP_OK },
	{ "EHLO host..example", 0, SMTPP_ESYNTAX },
	{ "EHLO .", 0, SMTPP_ESYNTAX },
	{ "EHLO .example", 0, SMTPP_ESYNTAX },
	{ "EHLO bad!name", 0, SMTPP_ESYNTAX },
	{ "EHLO b\xc3\xa4" "d.example", 0, SMTPP_ESYNTAX },
	{ "EHLO", 0, SMTPP_ESYNTAX },
	{ "EHLO ", 0, SMTPP_ESYNTAX },
	{ "EHLO  mx.example.org", 0, SMTPP_ESYNTAX },
	{ "EHLO mx.example.org ", 0, SMTPP_OK },
	{ "EHLO mx.example.org \t ", 0, SMTPP_OK },
	{ "EHLO mx.example.org extra", 0, SMTPP_ESYNTAX },
	{ "EHLO\tmx.example.org", 0, SMTPP_EUNKNOWN },
	{ "XEHLO a", 0, SMTPP_EUNKNOWN },
	{ "", 0, SMTPP_EUNKNOWN },
	{ " EHLO a", 0, SMTPP_EUNKNOWN },
	{ "MAILFROM:<>", 0, SMTPP_EUNKNOWN },
	{ "DATA", 0, SMTPP_OK },
	{ "data", 0, SMTPP_OK },
	{ "DATA ", 0, SMTPP_OK },
	{ "DATA x", 0, SMTPP_ESYNTAX },
	{ "RSET", 0, SMTPP_OK },
	{ "RSET now", 0, SMTPP_ESYNTAX },
	{ "QUIT", 0, SMTPP_OK },
	{ "QUIT ", 0, SMTPP_OK },
	{ "STARTTLS", 0, SMTPP_OK },
	{ "STARTTLS x", 0, SMTPP_ESYNTAX },
	{ "NOOP", 0, SMTPP_OK },
	{ "NOOP hello there", 0, SMTPP_OK },
	{ "NOOP ", 0, SMTPP_OK },
	{ "HELP", 0, SMTPP_OK },
	{ "HELP MAIL", 0, SMTPP_OK },
	{ "VRFY postmaster", 0, SMTPP_OK },
	{ "VRFY", 0, SMTPP_ESYNTAX },
	{ "EXPN staff", 0, SMTPP_OK },
	{ "EXPN sta\x01" "ff", 0, SMTPP_ESYNTAX },
	{ "VRFY caf\xc3\xa9", 0, SMTPP_ESYNTAX },
	/* NUL and CR anywhere: their own error. */
	{ "MAIL FROM:<a@b.example>\r", 0, SMTPP_EBADCHAR },
	{ "RCPT TO:<a@b.ex\rample>", 0, SMTPP_EBADCHAR },
	{ "NO\rOP", 0, SMTPP_EBADCHAR },
	{ "QUIT\n", 0, SMTPP_EBADCHAR },
	{ "\r", 0, SMTPP_EBADCHAR },
	/* MAIL. */
	{ "MAIL FROM:<>", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example>", 0, SMTPP_OK },
	{ "mail from:<a@b.example>", 0, SMTPP_OK },
	{ "MAIL FROM: <a@b.example>", 0, SMTPP_OK },
	{ "MAIL FROM:  <a@b.example>", 0, SMTPP_EADDR },
	{ "MAIL FROM :<a@b.example>", 0, SMTPP_ESYNTAX },
	{ "MAIL  FROM:<a@b.example>", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM<a@b.example>", 0, SMTPP_ESYNTAX },
	{ "MAIL TO:<a@b.example>", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:a@b.example", 0, SMTPP_EADDR },
	{ "MAIL FROM:<a@b.example", 0, SMTPP_EADDR },
	{ "MAIL FROM:<@r.example:a@b.example>", 0, SMTPP_OK },
	{ "MAIL FROM:<Postmaster>", 0, SMTPP_EADDR },
	{ "MAIL FROM:<a@b.example> ", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> SIZE=1  ", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example>  SIZE=1", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> SIZE=1   BODY=7BIT", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example>SIZE=1", 0, SMTPP_ESYNTAX },
	{ "MAIL", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:", 0, SMTPP_EADDR },
	{ "MAIL FROM:<j\xc3\xb6rg@b.example>", 0, SMTPP_EUTF8 },
	{ "MAIL FROM:<j\xc3\xb6rg@b.example> SMTPUTF8", 0, SMTPP_OK },
	{ "MAIL FROM:<j\xc3\xb6rg@b.example> smtputf8", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> SMTPUTF8=yes", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=0", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> SIZE=10485760", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> size=100", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> SIZE=", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> SIZE", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=-1", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=+1", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=1k", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=1 SIZE=2", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE=1 size=1", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> SIZE==1", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> =1", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> -X=1", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> X_Y=1", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> X-Y=1", 0, SMTPP_EPARAM },
	{ "MAIL FROM:<a@b.example> FOO", 0, SMTPP_EPARAM },
	{ "MAIL FROM:<a@b.example> FOO=\x7f", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> FOO=a\tb", 0, SMTPP_ESYNTAX },
	{ "MAIL FROM:<a@b.example> NOTIFY=NEVER", 0, SMTPP_EPARAM },
	{ "MAIL FROM:<a@b.example> BODY=8BITMIME", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> BODY=7bit", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> BODY=BINARYMIME", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> BODY=8BIT", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> BODY", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> RET=FULL", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> RET=hdrs", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> RET=ALL", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> RET=FULL RET=HDRS", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=abc+2Bdef", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> ENVID=abc+2bdef", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=abc+2", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=abc+", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=abc+GG", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=a+00b", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> ENVID=a+20b", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> ENVID=a+C3+A9", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> AUTH=<>", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> AUTH=user+40b.example", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> AUTH=user@b.example", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> AUTH=nobody", 0, SMTPP_EPARAMVAL },
	{ "MAIL FROM:<a@b.example> AUTH=+3C+3E", 0, SMTPP_OK },
	{ "MAIL FROM:<a@b.example> AUTH=j+C3+B6rg@b.example", 0,
	    SMTPP_EUTF8 },
	{ "MAIL FROM:<a@b.example> AUTH=j+C3+B6rg@b.example SMTPUTF8", 0,
	    SMTPP_OK },
	{ "MAIL FROM:<> SIZE=1 BODY=8BITMIME SMTPUTF8 RET=HDRS ENVID=x "
	    "AUTH=<>", 0, SMTPP_OK },
	/* RCPT. */
	{ "RCPT TO:<a@b.example>", 0, SMTPP_OK },
	{ "rcpt to:<a@b.example>", 0, SMTPP_OK },
	{ "RCPT TO: <a@b.example>", 0, SMTPP_OK },
	{ "RCPT TO:<>", 0, SMTPP_EADDR },
	{ "RCPT TO:<Postmaster>", 0, SMTPP_OK },
	{ "RCPT TO:<postMASTER>", 0, SMTPP_OK },
	{ "RCPT TO:<abuse>", 0, SMTPP_EADDR },
	{ "RCPT FROM:<a@b.example>", 0, SMTPP_ESYNTAX },
	{ "RCPT TO:a@b.example", 0, SMTPP_EADDR },
	{ "RCPT TO:<j\xc3\xb6rg@b.example>", 0, SMTPP_EUTF8 },
	{ "RCPT TO:<j\xc3\xb6rg@b.example>", SMTPP_F_UTF8, SMTPP_OK },
	{ "RCPT TO:<a@b.example> SMTPUTF8", 0, SMTPP_EPARAM },
	{ "RCPT TO:<a@b.example> SIZE=1", 0, SMTPP_EPARAM },
	{ "RCPT TO:<a@b.example> NOTIFY=NEVER", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> NOTIFY=SUCCESS,FAILURE,DELAY", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> notify=failure,delay", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> NOTIFY=NEVER,SUCCESS", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY=SUCCESS,SUCCESS", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY=SUCCESS,", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY=,SUCCESS", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY=ALWAYS", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> NOTIFY=NEVER NOTIFY=NEVER", 0,
	    SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=rfc822;a@b.example", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=RFC822;a+2Bx@b.example", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=rfc822;not-an-address", 0,
	    SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=utf-8;a@b.example", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=x400;c+3Dus;a+3Db", 0, SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{FC}rgen@b.example", 0,
	    SMTPP_OK },
	{ "RCPT TO:<a@b.example> ORCPT=a@b.example", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=;a@b.example", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=rfc 822;a@b.example", 0,
	    SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=rfc822;", 0, SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=rfc822;a+2@b.example", 0,
	    SMTPP_EPARAMVAL },
	{ "RCPT TO:<a@b.example> ORCPT=rfc822;a@b.example "
	    "NOTIFY=DELAY", 0, SMTPP_OK },
	/* BDAT. */
	{ "BDAT 0", 0, SMTPP_OK },
	{ "BDAT 1000", 0, SMTPP_OK },
	{ "BDAT 1000 LAST", 0, SMTPP_OK },
	{ "bdat 1000 last", 0, SMTPP_OK },
	{ "BDAT 18446744073709551615 LAST", 0, SMTPP_OK },
	{ "BDAT 18446744073709551616", 0, SMTPP_ESYNTAX },
	{ "BDAT 99999999999999999999999", 0, SMTPP_ESYNTAX },
	{ "BDAT", 0, SMTPP_ESYNTAX },
	{ "BDAT ", 0, SMTPP_ESYNTAX },
	{ "BDAT -1", 0, SMTPP_ESYNTAX },
	{ "BDAT 0x10", 0, SMTPP_ESYNTAX },
	{ "BDAT 10 ", 0, SMTPP_OK },
	{ "BDAT 10  LAST", 0, SMTPP_ESYNTAX },
	{ "BDAT 10 LAST ", 0, SMTPP_OK },
	{ "BDAT 10 FIRST", 0, SMTPP_ESYNTAX },
	{ "BDAT LAST", 0, SMTPP_ESYNTAX },
	/* AUTH. */
	{ "AUTH PLAIN", 0, SMTPP_OK },
	{ "AUTH PLAIN AHVzZXIAcGFzcw==", 0, SMTPP_OK },
	{ "AUTH PLAIN =", 0, SMTPP_OK },
	{ "AUTH SCRAM-SHA-256", 0, SMTPP_OK },
	{ "AUTH X_TOKEN", 0, SMTPP_OK },
	{ "AUTH PLAIN ", 0, SMTPP_OK },
	{ "AUTH PLAIN AHVzZXIAcGFzcw", 0, SMTPP_ESYNTAX },
	{ "AUTH PLAIN AHVz ZXIA", 0, SMTPP_ESYNTAX },
	{ "AUTH PLAIN ==", 0, SMTPP_ESYNTAX },
	{ "AUTH", 0, SMTPP_ESYNTAX },
	{ "AUTH ", 0, SMTPP_ESYNTAX },
	{ "AUTH PL@IN", 0, SMTPP_ESYNTAX },
	{ "AUTH ABCDEFGHIJKLMNOPQRSTU", 0, SMTPP_ESYNTAX },
	{ "AUTH ABCDEFGHIJKLMNOPQRST", 0, SMTPP_OK },
};

static void
test_vectors(void)
{
	struct smtp_cmd c;
	struct sbuf name;
	const char *why;
	size_t i;
	int rc;

	sbuf_init(&name, 1024);
	for (i = 0; i < sizeof vecs / sizeof vecs[0]; i++) {
		why = NULL;
		rc = smtpp_parse_cmd(vecs[i].line, strlen(vecs[i].line),
		    vecs[i].flags, &c, &why);
		sbuf_reset(&name);
		(void)sbuf_cat_escaped(&name, vecs[i].line,
		    strlen(vecs[i].line), 200);
		if (!is_int(rc, vecs[i].rc, sbuf_str(&name)))
			diag("why: %s", why ? why : "(none)");
		if (rc != SMTPP_OK)
			ok(why != NULL, "  ...with a reason");
	}
	sbuf_fini(&name);
}

static int
parse(const char *line, unsigned flags, struct smtp_cmd *c)
{
	const char *why = NULL;

	return smtpp_parse_cmd(line, strlen(line), flags, c, &why);
}

static void
test_fields(void)
{
	struct smtp_cmd c;
	const char *why = NULL;
	static const char nul[] = "NOOP a\0b";

	is_int(parse("MAIL FROM:<Joe@Example.ORG> SIZE=123 BODY=8BITMIME "
	    "RET=HDRS ENVID=Q+2B1 AUTH=joe+2Bx@example.org", 0, &c), 0,
	    "full MAIL");
	is_int(c.verb, SMTP_VERB_MAIL, "verb MAIL");
	is_str(c.path.local, "Joe", "local part kept");
	is_str(c.path.domain, "Example.ORG", "domain kept");
	is_int((long long)c.size, 123, "SIZE value");
	is_int(c.body, SMTP_BODY_8BITMIME, "BODY value");
	is_int(c.ret, SMTP_RET_HDRS, "RET value");
	is_str(c.envid, "Q+1", "ENVID decoded");
	is_int((long long)c.envid_len, 3, "ENVID length");
	is_str(c.auth.local, "joe+x", "AUTH= decoded");
	is_int(c.params, SMTPP_P_SIZE | SMTPP_P_BODY | SMTPP_P_RET |
	    SMTPP_P_ENVID | SMTPP_P_AUTH, "params bits");
	is_int(parse("MAIL FROM:<>", 0, &c), 0, "null path");
	ok(c.path.is_null, "is_null");
	is_int(c.params, 0, "no params");
	is_int(c.body, SMTP_BODY_NONE, "no BODY");
	is_int(parse("MAIL FROM:<a@b.example> AUTH=<>", 0, &c), 0, "AUTH=<>");
	ok(c.auth.is_null, "AUTH null");
	is_int(parse("MAIL FROM:<a@b.example> SIZE=99999999999999999999999",
	    0, &c), 0, "huge SIZE accepted");
	ok(c.size == UINT64_MAX, "huge SIZE saturates");
	is_int(parse("RCPT TO:<x@y.example> NOTIFY=SUCCESS,DELAY "
	    "ORCPT=rfc822;x+2By@y.example", 0, &c), 0, "RCPT with DSN");
	is_int(c.notify, SMTPP_NOTIFY_SUCCESS | SMTPP_NOTIFY_DELAY,
	    "notify bits");
	is_str(c.orcpt, "x+y@y.example", "ORCPT decoded");
	is_int(parse("RCPT TO:<a@b.example> ORCPT=rfc822;fred", 0, &c), 0,
	    "ORCPT that is no address (RFC 3461 4.2)");
	is_str(c.orcpt, "fred", "... kept as given");
	is_int(parse("RCPT TO:<a@b.example> ORCPT=utf-8;a@b.example", 0, &c),
	    0, "ORCPT utf-8 (RFC 6533), ASCII");
	is_str(c.orcpt, "a@b.example", "... kept");
	is_int(parse("RCPT TO:<a@b.example> ORCPT=utf-8;j\\x{FC}r@b.example",
	    0, &c), 0, "ORCPT utf-8 with \\x{FC}");
	ok(c.orcpt_len == 0 && (c.params & SMTPP_P_ORCPT),
	    "... dropped, the recipient taken");
	is_int(parse("RCPT TO:<a@b.example> ORCPT=x400;c+3Dus", 0, &c), 0,
	    "ORCPT of another type");
	ok(c.orcpt_len == 0, "... dropped");
	is_int(parse("RCPT TO:<a@b.example> ORCPT=rfc822;a+09b", 0, &c), 0,
	    "ORCPT with a control byte");
	ok(c.orcpt_len == 0, "... dropped");
	is_int(parse("RCPT TO:<Postmaster>", 0, &c), 0, "postmaster");
	is_str(c.path.local, "Postmaster", "postmaster local");
	is_int((long long)c.path.domain_len, 0, "no domain");
	is_int(parse("BDAT 4096 LAST", 0, &c), 0, "BDAT");
	is_int((long long)c.chunk_size, 4096, "chunk size");
	is_int(c.last, 1, "LAST");
	is_int(parse("BDAT 7", 0, &c), 0, "BDAT not last");
	is_int(c.last, 0, "not LAST");
	is_int(parse("AUTH plain dGVzdA==", 0, &c), 0, "AUTH");
	is_mem(c.mech, c.mech_len, "plain", 5, "mechanism as given");
	is_mem(c.initial, c.initial_len, "dGVzdA==", 8, "initial response");
	ok(c.has_initial, "has initial");
	is_int(parse("AUTH LOGIN =", 0, &c), 0, "AUTH =");
	ok(c.has_initial && c.initial_len == 0, "empty initial response");
	is_int(parse("AUTH LOGIN", 0, &c), 0, "AUTH no initial");
	ok(!c.has_initial, "no initial");
	is_int(parse("EHLO [192.0.2.7]", 0, &c), 0, "EHLO literal");
	ok(c.arg_is_literal, "literal flagged");
	is_mem(c.arg, c.arg_len, "[192.0.2.7]", 11, "literal as given");
	is_int(parse("HELO Mx.Example.Org", 0, &c), 0, "HELO");
	is_mem(c.arg, c.arg_len, "Mx.Example.Org", 14, "domain as given");
	ok(!c.arg_is_literal, "not a literal");
	is_int(parse("VRFY <x@y>", 0, &c), 0, "VRFY");
	is_mem(c.arg, c.arg_len, "<x@y>", 5, "VRFY string");
	is_int(smtpp_parse_cmd(nul, sizeof nul - 1, 0, &c, &why),
	    SMTPP_EBADCHAR, "NUL in a command");
	is_int(smtpp_parse_cmd("QUIT", 2, 0, &c, &why), SMTPP_EUNKNOWN,
	    "length respected (no NUL needed)");
	is_str(smtpp_verb_name(SMTP_VERB_STARTTLS), "STARTTLS", "verb name");
}

static void
test_reply_map(void)
{
	int code;
	const char *enh;

	smtpp_reply(SMTPP_EBADCHAR, SMTP_VERB_MAIL, &code, &enh);
	ok(code == 500 && strcmp(enh, "5.5.2") == 0, "bad char -> 500 5.5.2");
	smtpp_reply(SMTPP_EPARAM, SMTP_VERB_MAIL, &code, &enh);
	ok(code == 555 && strcmp(enh, "5.5.4") == 0, "unknown -> 555 5.5.4");
	smtpp_reply(SMTPP_EADDR, SMTP_VERB_RCPT, &code, &enh);
	ok(code == 501 && strcmp(enh, "5.1.3") == 0, "RCPT addr -> 5.1.3");
	smtpp_reply(SMTPP_EADDR, SMTP_VERB_MAIL, &code, &enh);
	ok(code == 501 && strcmp(enh, "5.1.7") == 0, "MAIL addr -> 5.1.7");
	smtpp_reply(SMTPP_EUTF8, SMTP_VERB_MAIL, &code, &enh);
	ok(code == 553 && strcmp(enh, "5.6.7") == 0, "UTF-8 -> 553 5.6.7");
	smtpp_reply(SMTPP_EUNKNOWN, SMTP_VERB_MAIL, &code, &enh);
	ok(code == 500 && strcmp(enh, "5.5.1") == 0, "unknown -> 500 5.5.1");
}

static void
test_xtext(void)
{
	struct sbuf b, e;
	const char *why = NULL;
	unsigned char all[256];
	size_t i;
	int good = 1;

	sbuf_init(&b, 1024);
	sbuf_init(&e, 1024);
	is_int(smtpp_xtext_decode("", 0, &b, &why), 0, "empty xtext");
	is_int((long long)b.len, 0, "decodes to nothing");
	is_int(smtpp_xtext_decode("a+2Bb+3Dc", 9, &b, &why), 0, "escapes");
	is_mem(b.s, b.len, "a+b=c", 5, "decoded");
	is_int(smtpp_xtext_decode("+00", 3, &b, &why), 0, "NUL escape");
	is_mem(b.s, b.len, "\0", 1, "NUL byte decoded (binary-safe)");
	is_int(smtpp_xtext_decode("+FF", 3, &b, &why), 0, "FF escape");
	errno = 0;
	is_int(smtpp_xtext_decode("+ff", 3, &b, &why), -1, "lowercase hex");
	is_int(errno, EINVAL, "EINVAL");
	is_int(smtpp_xtext_decode("+2", 2, &b, &why), -1, "short escape");
	is_int(smtpp_xtext_decode("+", 1, &b, &why), -1, "lone plus");
	is_int(smtpp_xtext_decode("a=b", 3, &b, &why), -1, "'=' refused");
	is_int(smtpp_xtext_decode("a b", 3, &b, &why), -1, "space refused");
	is_int(smtpp_xtext_decode("a\x7f", 2, &b, &why), -1, "DEL refused");
	is_int(smtpp_xtext_decode("\xc3\xa9", 2, &b, &why), -1,
	    "raw non-ASCII refused");
	is_int(smtpp_xtext_decode("+2G", 3, &b, &why), -1, "bad hex digit");
	is_int(smtpp_xtext_decode("+2B", 2, &b, &why), -1,
	    "length respected");
	is_int(smtpp_xtext_encode("a+b=c d\x01\xff~!", 11, &e), 0, "encode");
	is_str(sbuf_str(&e), "a+2Bb+3Dc+20d+01+FF~!", "encoded form");
	for (i = 0; i < sizeof all; i++)
		all[i] = (unsigned char)i;
	sbuf_reset(&e);
	if (smtpp_xtext_encode(all, sizeof all, &e) != 0 ||
	    smtpp_xtext_decode(e.s, e.len, &b, &why) != 0 ||
	    b.len != sizeof all || memcmp(b.s, all, sizeof all) != 0)
		good = 0;
	ok(good, "all bytes round-trip");
	sbuf_fini(&b);
	sbuf_init(&b, 2);
	is_int(smtpp_xtext_decode("abc", 3, &b, &why), -1, "decode over max");
	sbuf_fini(&b);
	sbuf_fini(&e);
}

static void
test_envid_limits(void)
{
	struct sbuf l;
	struct smtp_cmd c;
	const char *why = NULL;
	int i;

	sbuf_init(&l, 4096);
	(void)sbuf_cat_s(&l, "MAIL FROM:<> ENVID=");
	for (i = 0; i < 100; i++)
		(void)sbuf_cat_s(&l, "+41");
	is_int(smtpp_parse_cmd(l.s, l.len, 0, &c, &why), 0,
	    "ENVID of 100 decoded bytes");
	is_int((long long)c.envid_len, 100, "length 100");
	(void)sbuf_cat_c(&l, 'x');
	is_int(smtpp_parse_cmd(l.s, l.len, 0, &c, &why), SMTPP_EPARAMVAL,
	    "ENVID of 101 refused");
	sbuf_reset(&l);
	(void)sbuf_cat_s(&l, "RCPT TO:<a@b.example> ORCPT=rfc822;");
	for (i = 0; i < 501; i++)
		(void)sbuf_cat_c(&l, 'a');
	is_int(smtpp_parse_cmd(l.s, l.len, 0, &c, &why), SMTPP_EPARAMVAL,
	    "ORCPT over 500 refused");
	sbuf_fini(&l);
}

/* Every prefix of a valid command, given as an exact-length copy. */
static void
test_prefixes(void)
{
	static const char line[] = "MAIL FROM:<a@b.example> SIZE=10 "
	    "BODY=8BITMIME ENVID=x+2By AUTH=<>";
	struct smtp_cmd c;
	const char *why;
	size_t n;
	int good = 1;

	for (n = 0; n < sizeof line - 1; n++) {
		why = NULL;
		if (smtpp_parse_cmd(line, n, 0, &c, &why) != SMTPP_OK &&
		    why == NULL)
			good = 0;
	}
	ok(good, "every prefix parses or gives a reason");
	ok(smtpp_parse_cmd(line, sizeof line - 1, 0, &c, &why) == 0,
	    "whole line parses");
}

int
main(void)
{
	test_vectors();
	test_fields();
	test_reply_map();
	test_xtext();
	test_envid_limits();
	test_prefixes();
	return done_testing();
}
