/*
 * sm_msg.c - the message on standard input: lines end in LF (or CR LF)
 * and are stored with CR LF, as tern-smtpd stores them; a line holding
 * only "." ends the input unless -i.  The header section is kept (at most
 * SM_HDR_MAX bytes) so that -t can take its recipients and missing
 * From:, Date: and Message-ID: fields can be added (as Postfix's cleanup
 * does for local mail); Bcc: and Resent-Bcc: fields are removed; the
 * body is streamed.
 */
#include <sys/types.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>
#include <bsd/stdlib.h>

#include "lib/bio.h"
#include "lib/hdraddr.h"
#include "lib/log.h"
#include "lib/mem.h"

#include "sendmail/sendmail.h"

#define DATE_MAX	64
#define LIST_MAX	ENV_RCPT_MAX	/* addresses in one list */

/* The next input line into m->line: 1, or 0 at the end of the input. */
static int
next_line(struct sm *m)
{
	int eol = BIO_EOL_NONE, r;
	size_t i;

	if (m->eof)
		return 0;
	r = bio_getline(m->in, &m->line, SM_LINE_MAX, &eol);
	if (r == BIO_EOF) {
		m->eof = 1;
		return 0;
	}
	if (r == BIO_TOOLONG)
		sm_die(EX_DATAERR, "a line of the message is longer than %d "
		    "bytes", SM_LINE_MAX);
	if (r < 0)
		sm_die(EX_IOERR, "reading the message: %s", strerror(errno));
	if (!m->opt_i && m->line.len == 1 && m->line.s[0] == '.') {
		m->eof = 1;
		return 0;
	}
	for (i = 0; i < m->line.len && !m->eightbit; i++)
		if ((unsigned char)m->line.s[i] >= 0x80)
			m->eightbit = 1;
	return 1;
}

/* "Name:" with name bytes %d33-126? */
static int
is_field(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n && p[i] != ':'; i++)
		if ((unsigned char)p[i] < 33 || (unsigned char)p[i] > 126)
			return 0;
	return i > 0 && i < n;
}

void
sm_read_header(struct sm *m)
{
	int first = 1;

	while (next_line(m)) {
		/* An mbox "From " line is not a field: drop it. */
		if (first && m->line.len >= 5 &&
		    memcmp(m->line.s, "From ", 5) == 0) {
			first = 0;
			continue;
		}
		first = 0;
		if (m->line.len == 0)
			return;		/* the empty line: the body follows */
		if ((m->hdr.len > 0 &&
		    (m->line.s[0] == ' ' || m->line.s[0] == '\t')) ||
		    is_field(m->line.s, m->line.len)) {
			if (sbuf_cat_n(&m->hdr, m->line.s, m->line.len) < 0 ||
			    sbuf_cat_n(&m->hdr, "\r\n", 2) < 0)
				sm_die(EX_DATAERR, "the header section is "
				    "longer than %d bytes", SM_HDR_MAX);
			continue;
		}
		m->pending = 1;		/* no empty line: body starts here */
		return;
	}
}

/* Is a (formatted) already a recipient? */
static int
have(const struct sm *m, const char *a)
{
	size_t i;

	for (i = 0; i < m->env.nrcpt; i++)
		if (strcasecmp(m->env.rcpt[i].addr, a) == 0)
			return 1;
	return 0;
}

void
sm_add_list(struct sm *m, const char *p, size_t n, const char *what)
{
	struct addr *a;
	struct sbuf f;
	const char *why = "";
	size_t cnt, i;

	if ((a = mem_alloc(LIST_MAX, sizeof *a)) == NULL)
		sm_die(EX_OSERR, "out of memory");
	if (hdr_addr_list(p, n, m->origin, ADDR_UTF8, a, LIST_MAX, &cnt,
	    &why) < 0)
		sm_die(strcmp(what, "command line") == 0 ? EX_USAGE :
		    EX_DATAERR, "bad recipient address in the %s: %s: %s",
		    what, log_esc(p, n), why);
	sbuf_init(&f, ADDR_FORMAT_MAX + 1);
	for (i = 0; i < cnt; i++) {
		if (addr_format(&a[i], &f) < 0 || sbuf_str(&f) == NULL)
			sm_die(EX_DATAERR, "recipient address too long");
		if (have(m, f.s))
			continue;
		if (a[i].is_utf8)
			m->env.flags |= ENV_F_SMTPUTF8;
		if (envelope_add_rcpt(&m->env, f.s, NULL, m->notify, NULL) < 0)
			sm_die(errno == E2BIG ? EX_USAGE : EX_DATAERR,
			    "cannot take recipient %s: %s", log_esc_s(f.s),
			    errno == E2BIG ? "too many recipients" :
			    "bad address");
	}
	sbuf_fini(&f);
	free(a);
}

void
sm_recipients(struct sm *m)
{
	struct hdr_field f;
	size_t off = 0;
	int i, r;

	for (i = 0; i < m->nargs; i++)
		sm_add_list(m, m->args[i], strlen(m->args[i]), "command line");
	while (m->opt_t && (r = hdr_next(m->hdr.s, m->hdr.len, &off, &f)) != 0)
		if (r == 1 && (hdr_is(&f, "to") || hdr_is(&f, "cc") ||
		    hdr_is(&f, "bcc")))
			sm_add_list(m, f.value, f.value_len, "header");
	if (m->env.nrcpt == 0)
		sm_die(EX_USAGE, "no recipients%s", m->opt_t ? " (none in "
		    "To:, Cc: or Bcc: either)" : "; give some, or -t");
}

static void
put_s(struct sm *m, const char *s)
{
	sm_enq_write(m, s, strlen(s));
}

/* A display name as a quoted-string (RFC 5322 3.2.4), controls dropped. */
static void
put_name(struct sm *m, const char *name)
{
	struct sbuf q;
	const unsigned char *p;

	sbuf_init(&q, 2 * SM_NAME_MAX + 4);
	(void)sbuf_cat_c(&q, '"');	/* fits: max is twice the name */
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue;
		if ((*p == '"' || *p == '\\') && sbuf_cat_c(&q, '\\') < 0)
			break;
		if (sbuf_cat_c(&q, *p) < 0)
			break;
	}
	(void)sbuf_cat_s(&q, "\" ");
	sm_enq_write(m, q.s, q.len);
	sbuf_fini(&q);
}

static void
date_now(char *buf, size_t size)
{
	struct tm tm;
	time_t now = time(NULL);

	if (localtime_r(&now, &tm) == NULL ||
	    strftime(buf, size, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		sm_die(EX_OSERR, "cannot format the date");
}

/* The fields we add: Received: first, the missing ones after the rest. */
static void
added(struct sm *m, int from, int date, int msgid)
{
	char d[DATE_MAX], buf[512];
	int r;

	date_now(d, sizeof d);
	if (!date) {
		put_s(m, "Date: ");
		put_s(m, d);
		put_s(m, "\r\n");
	}
	if (!from) {
		put_s(m, "From: ");
		if (m->fullname[0] != '\0')
			put_name(m, m->fullname);
		put_s(m, "<");
		put_s(m, m->env.sender[0] != '\0' ? m->env.sender : m->login);
		put_s(m, ">\r\n");
	}
	if (!msgid) {
		r = snprintf(buf, sizeof buf, "Message-ID: <%s.%08x@%s>\r\n",
		    m->qid, arc4random(), m->origin);
		if (r < 0 || (size_t)r >= sizeof buf)
			sm_die(EX_SOFTWARE, "Message-ID too long");
		put_s(m, buf);
	}
}

void
sm_received(struct sm *m, const char *how)
{
	char d[DATE_MAX], buf[1024];
	int r;

	date_now(d, sizeof d);
	r = snprintf(buf, sizeof buf, "Received: by %s (%s, from "
	    "userid %lu)\r\n\tid %s; %s\r\n", m->origin, how,
	    (unsigned long)m->uid, m->qid, d);
	if (r < 0 || (size_t)r >= sizeof buf)
		sm_die(EX_SOFTWARE, "Received: too long");
	put_s(m, buf);
}

void
sm_write_message(struct sm *m)
{
	struct hdr_field f;
	size_t off = 0, prev = 0;
	int r, from = 0, date = 0, msgid = 0;

	sm_received(m, "tern-sendmail");
	while ((r = hdr_next(m->hdr.s, m->hdr.len, &off, &f)) != 0) {
		/* RFC 5322 3.6.3, 3.6.6: both are blind; never sent on. */
		if (r == 1 && (hdr_is(&f, "bcc") ||
		    hdr_is(&f, "resent-bcc"))) {
			prev = off;
			continue;
		}
		if (r == 1) {
			from |= hdr_is(&f, "from");
			date |= hdr_is(&f, "date");
			msgid |= hdr_is(&f, "message-id");
		}
		sm_enq_write(m, m->hdr.s + prev, off - prev);
		prev = off;
	}
	added(m, from, date, msgid);
	put_s(m, "\r\n");
	if (m->pending) {
		sm_enq_write(m, m->line.s, m->line.len);
		put_s(m, "\r\n");
	}
	while (next_line(m)) {
		sm_enq_write(m, m->line.s, m->line.len);
		put_s(m, "\r\n");
	}
}
