/* Unit tests for lib/smtp_reply: reading replies, EHLO caps, formatting. */
#include <errno.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/smtp_reply.h"
#include "t/tap.h"

/* Feed LF-separated lines; return the last result. */
static int
feed(struct smtp_reply *r, const char *lines)
{
	const char *why = NULL, *p = lines, *e;
	int rc = SMTP_REPLY_MORE;

	smtp_reply_reset(r);
	while (*p != '\0') {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		rc = smtp_reply_feed_line(r, p, (size_t)(e - p), &why);
		if (rc != SMTP_REPLY_MORE)
			break;
		p = *e ? e + 1 : e;
	}
	if (rc < 0 && why == NULL)
		rc = -100;	/* a failure without a reason fails the test */
	return rc;
}

static void
test_read(void)
{
	struct smtp_reply r;
	const char *why = NULL;
	static const char nul[] = "250 a\0b";

	smtp_reply_init(&r);
	is_int(feed(&r, "220 mx.example.org ESMTP ready"), SMTP_REPLY_DONE,
	    "one-line reply");
	is_int(r.code, 220, "code 220");
	is_str(sbuf_str(&r.text), "mx.example.org ESMTP ready", "text");
	ok(!r.enh.present, "no enhanced code");
	is_int(feed(&r, "250-first\n250-second\n250 third"), SMTP_REPLY_DONE,
	    "multi-line");
	is_int((long long)r.nlines, 3, "three lines");
	is_str(sbuf_str(&r.text), "first\nsecond\nthird", "joined text");
	is_int(feed(&r, "250"), SMTP_REPLY_DONE, "bare code");
	is_str(sbuf_str(&r.text), "", "empty text");
	is_int(feed(&r, "250-"), SMTP_REPLY_MORE, "\"250-\" continues");
	is_int(feed(&r, "550 5.1.1 <x@y>: user unknown"), SMTP_REPLY_DONE,
	    "enhanced code");
	ok(r.enh.present && r.enh.cls == 5 && r.enh.subject == 1 &&
	    r.enh.detail == 1, "5.1.1 parsed");
	is_str(r.enh.str, "5.1.1", "enhanced string");
	is_str(sbuf_str(&r.text) + r.text_off, "<x@y>: user unknown",
	    "text after the enhanced code");
	is_int(feed(&r, "451 4.3.0"), SMTP_REPLY_DONE, "enhanced code alone");
	ok(r.enh.present, "present");
	is_int(feed(&r, "550 2.1.1 mismatched class"), SMTP_REPLY_DONE,
	    "class mismatch");
	ok(!r.enh.present, "mismatched class ignored");
	is_int(feed(&r, "250 2.1.1000 x"), SMTP_REPLY_DONE, "4-digit detail");
	ok(!r.enh.present, "not an enhanced code");
	is_int(feed(&r, "250 2.1.0x"), SMTP_REPLY_DONE, "junk after detail");
	ok(!r.enh.present, "not an enhanced code");
	is_int(feed(&r, "250-a\n251 b"), SMTP_REPLY_EPROTO,
	    "mismatched codes");
	is_int(feed(&r, "250-a\n550 b"), SMTP_REPLY_EPROTO,
	    "mismatched first digit");
	is_int(feed(&r, "25"), SMTP_REPLY_EPROTO, "short code");
	smtp_reply_reset(&r);
	is_int(smtp_reply_feed_line(&r, "", 0, &why), SMTP_REPLY_EPROTO,
	    "empty line");
	is_int(feed(&r, "2500 x"), SMTP_REPLY_EPROTO, "four digits");
	is_int(feed(&r, "150 x"), SMTP_REPLY_EPROTO, "first digit 1");
	is_int(feed(&r, "650 x"), SMTP_REPLY_EPROTO, "first digit 6");
	is_int(feed(&r, "260 x"), SMTP_REPLY_EPROTO, "second digit 6");
	is_int(feed(&r, "2a0 x"), SMTP_REPLY_EPROTO, "letter in code");
	is_int(feed(&r, "250_x"), SMTP_REPLY_EPROTO, "bad separator");
	is_int(feed(&r, " 250 x"), SMTP_REPLY_EPROTO, "leading space");
	is_int(feed(&r, "250 a\rb"), SMTP_REPLY_EPROTO, "CR in text");
	is_int(feed(&r, "250 a\x1b[2Jb"), SMTP_REPLY_EPROTO, "ESC in text");
	is_int(feed(&r, "250 a\x7f"), SMTP_REPLY_EPROTO, "DEL in text");
	is_int(feed(&r, "250 a\tb caf\xc3\xa9"), SMTP_REPLY_DONE,
	    "TAB and UTF-8 allowed");
	is_int(feed(&r, "GARBAGE"), SMTP_REPLY_EPROTO, "garbage");
	is_int(feed(&r, "HTTP/1.1 400 Bad Request"), SMTP_REPLY_EPROTO,
	    "HTTP");
	smtp_reply_reset(&r);
	is_int(smtp_reply_feed_line(&r, nul, sizeof nul - 1, &why),
	    SMTP_REPLY_EPROTO, "NUL in text");
	smtp_reply_reset(&r);
	is_int(smtp_reply_feed_line(&r, "250 ok", 6, &why), SMTP_REPLY_DONE,
	    "done");
	is_int(smtp_reply_feed_line(&r, "250 again", 9, &why),
	    SMTP_REPLY_EPROTO, "a line after the last needs a reset");
	smtp_reply_reset(&r);
	is_int(smtp_reply_feed_line(&r, "250 okay", 6, &why),
	    SMTP_REPLY_DONE, "length respected");
	is_str(sbuf_str(&r.text), "ok", "text cut at n");
	smtp_reply_fini(&r);
}

static void
test_limits(void)
{
	struct smtp_reply r;
	struct sbuf line;
	const char *why = NULL;
	unsigned i;
	int rc = 0;

	smtp_reply_init(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++) {
		rc = smtp_reply_feed_line(&r, "250-x", 5, &why);
		if (rc != SMTP_REPLY_MORE)
			break;
	}
	is_int(rc, SMTP_REPLY_MORE, "SMTP_REPLY_LINES_MAX lines accepted");
	is_int(smtp_reply_feed_line(&r, "250-x", 5, &why), SMTP_REPLY_ETOOBIG,
	    "one line more is too many");
	smtp_reply_reset(&r);
	for (i = 0; i < SMTP_REPLY_LINES_MAX; i++) {
		rc = smtp_reply_feed_line(&r, "250-x", 5, &why);
		if (rc != SMTP_REPLY_MORE)
			break;
	}
	is_int(smtp_reply_feed_line(&r, "250 x", 5, &why), SMTP_REPLY_ETOOBIG,
	    "even as the last line");
	sbuf_init(&line, 4096);
	(void)sbuf_cat_s(&line, "250-");
	for (i = 0; i < 2000; i++)
		(void)sbuf_cat_c(&line, 'a');
	smtp_reply_reset(&r);
	for (i = 0; i < 20; i++) {
		rc = smtp_reply_feed_line(&r, line.s, line.len, &why);
		if (rc != SMTP_REPLY_MORE)
			break;
	}
	is_int(rc, SMTP_REPLY_ETOOBIG, "total text bounded");
	ok(i == SMTP_REPLY_TEXT_MAX / 2001, "after %u long lines", i);
	ok(r.text.len <= SMTP_REPLY_TEXT_MAX, "text within its max");
	sbuf_fini(&line);
	smtp_reply_fini(&r);
}

static void
test_caps(void)
{
	struct smtp_reply r;
	struct smtp_caps c;

	smtp_reply_init(&r);
	is_int(feed(&r, "250-mx.example.org Hello\n"
	    "250-PIPELINING\n"
	    "250-SIZE 52428800\n"
	    "250-8BITMIME\n"
	    "250-STARTTLS\n"
	    "250-ENHANCEDSTATUSCODES\n"
	    "250-AUTH PLAIN login XOAUTH2 SOMETHING-NEW\n"
	    "250-dsn\n"
	    "250-SMTPUTF8\n"
	    "250-CHUNKING\n"
	    "250-BINARYMIME\n"
	    "250-X-UNKNOWN foo\n"
	    "250 DSN"), SMTP_REPLY_DONE, "EHLO reply");
	is_int(smtp_caps_parse(&r, &c), 0, "caps parsed");
	is_int(c.flags, SMTP_CAP_PIPELINING | SMTP_CAP_SIZE |
	    SMTP_CAP_8BITMIME | SMTP_CAP_STARTTLS | SMTP_CAP_ENHANCED |
	    SMTP_CAP_AUTH | SMTP_CAP_DSN | SMTP_CAP_SMTPUTF8 |
	    SMTP_CAP_CHUNKING | SMTP_CAP_BINARYMIME, "every capability");
	is_int((long long)c.size, 52428800, "SIZE value");
	is_int(c.auth, SMTP_AUTH_PLAIN | SMTP_AUTH_LOGIN | SMTP_AUTH_XOAUTH2,
	    "AUTH mechanisms");
	is_int(feed(&r, "250-mx PIPELINING\n250-SIZE\n250-AUTH=CRAM-MD5\n"
	    "250-STARTTLS now\n250 8BITMIMEX"), SMTP_REPLY_DONE, "odd EHLO");
	is_int(smtp_caps_parse(&r, &c), 0, "parsed");
	is_int(c.flags, SMTP_CAP_SIZE | SMTP_CAP_AUTH,
	    "greeting line, junk and near-misses ignored");
	is_int((long long)c.size, 0, "SIZE without a value");
	is_int(c.auth, SMTP_AUTH_CRAM_MD5, "old AUTH= form");
	is_int(feed(&r, "250-mx\n250 SIZE 99999999999999999999999"),
	    SMTP_REPLY_DONE, "huge SIZE");
	is_int(smtp_caps_parse(&r, &c), 0, "parsed");
	is_int((long long)c.size, 0, "unparseable SIZE ignored");
	is_int(feed(&r, "250 mx.example.org"), SMTP_REPLY_DONE, "HELO-like");
	is_int(smtp_caps_parse(&r, &c), 0, "parsed");
	is_int(c.flags, 0, "no capabilities");
	is_int(feed(&r, "502 5.5.1 no EHLO"), SMTP_REPLY_DONE, "EHLO refused");
	is_int(smtp_caps_parse(&r, &c), -1, "caps of a 502 refused");
	is_int(feed(&r, "250-mx"), SMTP_REPLY_MORE, "incomplete");
	is_int(smtp_caps_parse(&r, &c), -1, "caps of an incomplete reply");
	smtp_reply_fini(&r);
}

static void
test_fmt(void)
{
	struct sbuf o;
	char big[600];

	sbuf_init(&o, 8192);
	is_int(smtp_reply_fmt(&o, 250, "2.1.0", "Sender ok"), 0, "one line");
	is_str(sbuf_str(&o), "250 2.1.0 Sender ok\r\n", "formatted");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 250, NULL, "mx.example.org\nPIPELINING\n"
	    "SIZE 1000\n"), 0, "multi-line");
	is_str(sbuf_str(&o), "250-mx.example.org\r\n250-PIPELINING\r\n"
	    "250 SIZE 1000\r\n", "multi-line formatted");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 550, "5.7.1", "a\nb"), 0, "enh multi");
	is_str(sbuf_str(&o), "550-5.7.1 a\r\n550 5.7.1 b\r\n", "enh on each");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 354, NULL, "End data with <CR><LF>.<CR><LF>"),
	    0, "354");
	is_int(smtp_reply_fmt(&o, 221, "2.0.0", NULL), 0, "no text");
	is_str(sbuf_str(&o), "354 End data with <CR><LF>.<CR><LF>\r\n"
	    "221 2.0.0\r\n", "appended, no text");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 501, "5.5.2", "bad\rline\x01\x7f"), 0,
	    "control bytes");
	is_str(sbuf_str(&o), "501 5.5.2 bad\\x0dline\\x01\\x7f\r\n",
	    "CR and controls escaped");
	sbuf_reset(&o);
	(void)sbuf_cat_s(&o, "keep");
	errno = 0;
	is_int(smtp_reply_fmt(&o, 199, NULL, "x"), -1, "code 199 refused");
	is_int(errno, EINVAL, "EINVAL");
	is_int(smtp_reply_fmt(&o, 600, NULL, "x"), -1, "code 600 refused");
	is_int(smtp_reply_fmt(&o, 260, NULL, "x"), -1, "code 260 refused");
	is_int(smtp_reply_fmt(&o, 550, "4.1.1", "x"), -1, "class mismatch");
	is_int(smtp_reply_fmt(&o, 550, "5.1", "x"), -1, "bad enhanced");
	is_int(smtp_reply_fmt(&o, 550, "5.1.1 ", "x"), -1, "enhanced + SP");
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	errno = 0;
	is_int(smtp_reply_fmt(&o, 250, NULL, big), -1, "line over 512");
	is_int(errno, E2BIG, "E2BIG");
	is_str(sbuf_str(&o), "keep", "out unchanged after failures");
	big[512 - 6] = '\0';
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 250, NULL, big), 0, "line of exactly 512");
	is_int((long long)o.len, 512, "512 bytes");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 250, NULL, "a\n"), 0, "trailing LF");
	is_str(sbuf_str(&o), "250 a\r\n", "trailing LF ignored");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 250, NULL, ""), 0, "empty text");
	is_str(sbuf_str(&o), "250\r\n", "code alone, no SP");
	sbuf_reset(&o);
	is_int(smtp_reply_fmt(&o, 250, NULL, "\nb"), 0, "empty first line");
	is_str(sbuf_str(&o), "250-\r\n250 b\r\n", "\"250-\" line");
	sbuf_fini(&o);
}

/* What the server writes, the client reads back. */
static void
test_roundtrip(void)
{
	struct sbuf o;
	struct smtp_reply r;
	const char *why = NULL;
	size_t i = 0, j;
	int rc = SMTP_REPLY_MORE;

	sbuf_init(&o, 8192);
	smtp_reply_init(&r);
	(void)smtp_reply_fmt(&o, 452, "4.5.3", "Too many\nrecipients");
	while (i < o.len && rc == SMTP_REPLY_MORE) {
		for (j = i; j + 1 < o.len && !(o.s[j] == '\r' &&
		    o.s[j + 1] == '\n'); j++)
			continue;
		rc = smtp_reply_feed_line(&r, o.s + i, j - i, &why);
		i = j + 2;
	}
	is_int(rc, SMTP_REPLY_DONE, "round trip");
	is_int(r.code, 452, "code");
	is_str(r.enh.str, "4.5.3", "enhanced");
	is_str(sbuf_str(&r.text), "4.5.3 Too many\n4.5.3 recipients", "text");
	smtp_reply_fini(&r);
	sbuf_fini(&o);
}

int
main(void)
{
	test_read();
	test_limits();
	test_caps();
	test_fmt();
	test_roundtrip();
	return done_testing();
}
