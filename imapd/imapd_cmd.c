/*
 * imapd_cmd.c - the worker's command table: which command runs in which
 * state, and the small commands (CAPABILITY, NOOP, LOGOUT, ID, ENABLE,
 * NAMESPACE).
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/sbuf.h"

#include "imapd/imapd.h"

static int
is_cmd(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && strncasecmp(name, want, n) == 0;
}

int
imap_dispatch(struct imap *s)
{
	const char *p = s->cmd.s, *end = s->cmd.s + s->cmd.len, *name;
	size_t t = imapd_tag_len(p, s->cmd.len), n;

	if (t == 0) {
		(void)strlcpy(s->tag, "*", sizeof s->tag);
		return imap_bad(s, "Missing tag");
	}
	memcpy(s->tag, p, t);
	s->tag[t] = '\0';
	name = p + t + 1;
	for (n = 0; name + n < end && name[n] != ' '; n++)
		;
	if (is_cmd(name, n, "CAPABILITY")) {
		if (imap_out(s, "* CAPABILITY " IMAP_CAPA_AUTHED) < 0)
			return -1;
		return imap_ok(s, "CAPABILITY");
	}
	if (is_cmd(name, n, "NOOP"))
		return imap_ok(s, "NOOP");
	if (is_cmd(name, n, "LOGOUT")) {
		s->done = 1;
		if (imap_out(s, "* BYE tern IMAP server signing off") < 0)
			return -1;
		return imap_ok(s, "LOGOUT");
	}
	return imap_bad(s, "Unknown command");
}

int
imap_untagged_updates(struct imap *s, int may_expunge)
{
	(void)s;
	(void)may_expunge;
	return 0;
}

int
imap_account_open(struct imap *s)
{
	(void)s;
	return 0;
}

void
imap_account_close(struct imap *s)
{
	(void)s;
}

void
imap_close_mailbox(struct imap *s)
{
	(void)s;
}
