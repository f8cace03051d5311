/*
 * Fuzz target: SMTP replies from a hostile server.  The input is split at
 * LF (a CR before it dropped) and fed line by line until the reply is done
 * or refused, then read as EHLO capabilities; the line counts and text
 * size must stay within their bounds.  The same bytes, as reply text, go
 * through smtp_reply_fmt(): the output must hold CR only before LF and must
 * read back as one complete reply with the same code.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/sbuf.h"
#include "lib/smtp_reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
read_lines(const char *p, size_t n)
{
	struct smtp_reply r;
	struct smtp_caps c;
	const char *why;
	size_t i = 0, j, len;
	int rc = SMTP_REPLY_MORE;

	smtp_reply_init(&r);
	while (i < n) {
		for (j = i; j < n && p[j] != '\n'; j++)
			continue;
		len = j - i;
		if (len > 0 && p[i + len - 1] == '\r')
			len--;
		why = NULL;
		rc = smtp_reply_feed_line(&r, p + i, len, &why);
		if (rc < 0 && why == NULL)
			abort();
		if (r.nlines > SMTP_REPLY_LINES_MAX ||
		    r.text.len > SMTP_REPLY_TEXT_MAX)
			abort();
		if (rc != SMTP_REPLY_MORE)
			break;
		i = j + 1;
	}
	if (rc == SMTP_REPLY_DONE) {
		if (r.code < 200 || r.code > 559 || !r.done ||
		    r.text_off > r.text.len)
			abort();
		if (smtp_caps_parse(&r, &c) != (r.code == 250 ? 0 : -1))
			abort();
		smtp_reply_reset(&r);
	}
	smtp_reply_fini(&r);
}

static void
fmt_back(const char *p, size_t n)
{
	struct sbuf o;
	struct smtp_reply r;
	char *text;
	const char *why;
	size_t i = 0, j;
	int rc = SMTP_REPLY_MORE, code = 200 + (int)(n % 360);

	if ((code / 10) % 10 > 5)
		code = 250;
	text = malloc(n + 1);
	if (text == NULL)
		abort();
	memcpy(text, p, n);
	text[n] = '\0';
	sbuf_init(&o, 1 << 20);
	smtp_reply_init(&r);
	if (smtp_reply_fmt(&o, code, NULL, text) == 0) {
		for (i = 0; i < o.len; i++)
			if (o.s[i] == '\r' && (i + 1 == o.len ||
			    o.s[i + 1] != '\n'))
				abort();
		i = 0;
		while (i < o.len && rc == SMTP_REPLY_MORE) {
			for (j = i; o.s[j] != '\r'; j++)
				continue;
			why = NULL;
			rc = smtp_reply_feed_line(&r, o.s + i, j - i, &why);
			i = j + 2;
		}
		if (rc == SMTP_REPLY_EPROTO || (rc == SMTP_REPLY_DONE &&
		    (r.code != code || i != o.len)))
			abort();
	}
	smtp_reply_fini(&r);
	sbuf_fini(&o);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	read_lines((const char *)data, size);
	fmt_back((const char *)data, size);
	return 0;
}
