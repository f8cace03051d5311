/*
 * qmgr_dsn.c - delivery status notifications (RFC 3464, RFC 3462
 * multipart/report) for recipients that failed, enqueued with the null
 * sender through tern-enqueue (doc/queue.md transition 6).
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "lib/envelope.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/priv.h"
#include "lib/qid.h"
#include "lib/queue.h"
#include "lib/sbuf.h"

#include "queue/qmgr.h"

#define DSN_HEAD_MAX	(1024 * 1024)	/* the DSN's own text parts */
#define DSN_HDRS_MAX	(256 * 1024)	/* original headers returned */
#define DSN_ROOM	(64 * 1024)	/* kept below message_size_limit */
#define COPY_BUF	65536

void
qmgr_dsn_code(const char *diag, const char *def, char code[16])
{
	size_t i = 0, part, n;

	/* class "." subject(1-3 digits) "." detail(1-3 digits) */
	if (diag[0] != '2' && diag[0] != '4' && diag[0] != '5')
		goto def;
	i = 1;
	for (part = 0; part < 2; part++) {
		if (diag[i++] != '.')
			goto def;
		for (n = 0; diag[i] >= '0' && diag[i] <= '9' && n < 4; n++)
			i++;
		if (n == 0 || n > 3)
			goto def;
	}
	if (diag[i] != '\0' && diag[i] != ' ')
		goto def;
	memcpy(code, diag, i);
	code[i] = '\0';
	return;
def:
	(void)strlcpy(code, def, 16);
}

static int
date_822(time_t t, char *out, size_t n)
{
	struct tm tm;

	if (localtime_r(&t, &tm) == NULL ||
	    strftime(out, n, "%a, %d %b %Y %H:%M:%S %z", &tm) == 0)
		return -1;
	return 0;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* ORCPT "type;xtext" as "type;decoded" (RFC 3461 4.2), or as received. */
static int
cat_orcpt(struct sbuf *b, const char *orcpt)
{
	struct sbuf d;
	const char *p;
	int hi, lo, r;

	sbuf_init(&d, ENV_ORCPT_MAX + 1);
	for (p = orcpt; *p != '\0'; p++) {
		if (*p == '+' && (hi = hexval(p[1])) >= 0 &&
		    (lo = hexval(p[2])) >= 0) {
			int c = hi * 16 + lo;

			if (c < 0x21 || c > 0x7e)
				goto raw;
			if (sbuf_cat_c(&d, c) < 0)
				goto raw;
			p += 2;
		} else if (sbuf_cat_c(&d, *p) < 0) {
			goto raw;
		}
	}
	r = sbuf_printf(b, "Original-Recipient: %.*s\r\n", (int)d.len,
	    d.len > 0 ? d.s : "");
	sbuf_fini(&d);
	return r;
raw:
	sbuf_fini(&d);
	return sbuf_printf(b, "Original-Recipient: %s\r\n", orcpt);
}

static int
human_part(struct sbuf *b, struct qmgr_msg *m, const struct qmgr_item *x,
    size_t n, const char *boundary, enum qmgr_dsn_kind kind)
{
	size_t i;

	if (sbuf_printf(b, "--%s\r\nContent-Description: Notification\r\n"
	    "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
	    "This is the mail system at host %s.\r\n\r\n"
	    "Your message (queue id %s) %s\r\n\r\n",
	    boundary, m->q->hostname, m->qid, kind == QMGR_DSN_DELIVERED ?
	    "was delivered to the recipients below,\r\nas you asked "
	    "(NOTIFY=SUCCESS)." : "could not be delivered to one or\r\n"
	    "more recipients.  It is attached below.") < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (sbuf_printf(b, "<%s>: %s%s\r\n", x[i].addr,
		    x[i].relayed ? "relayed to a mail system that sends no "
		    "delivery notifications: " : "", x[i].it->diag) < 0)
			return -1;
	return sbuf_cat_s(b, "\r\n");
}

static int
status_part(struct sbuf *b, struct qmgr_msg *m, const struct qmgr_item *x,
    size_t n, const char *boundary, enum qmgr_dsn_kind kind)
{
	int ok = kind == QMGR_DSN_DELIVERED;
	char date[64], code[16];
	size_t i;

	if (date_822((time_t)m->env.arrival, date, sizeof(date)) < 0 ||
	    sbuf_printf(b, "--%s\r\nContent-Description: Delivery report\r\n"
	    "Content-Type: message/delivery-status\r\n\r\n"
	    "Reporting-MTA: dns; %s\r\nX-Tern-Queue-ID: %s\r\n",
	    boundary, m->q->hostname, m->qid) < 0)
		return -1;
	if (m->env.envid[0] != '\0' && sbuf_printf(b,
	    "Original-Envelope-Id: %s\r\n", m->env.envid) < 0)
		return -1;
	if (sbuf_printf(b, "Arrival-Date: %s\r\n", date) < 0 ||
	    date_822((time_t)m->now, date, sizeof(date)) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const struct envelope_rcpt *r = &m->env.rcpt[x[i].rcpt];

		qmgr_dsn_code(x[i].it->diag, ok ? "2.0.0" : "5.0.0", code);
		if ((code[0] == '2') != ok)	/* a failure is never 2.x.x */
			(void)strlcpy(code, ok ? "2.0.0" : "5.0.0",
			    sizeof(code));
		if (sbuf_printf(b, "\r\nFinal-Recipient: rfc822; %s\r\n",
		    x[i].addr) < 0 ||
		    (r->orcpt[0] != '\0' && cat_orcpt(b, r->orcpt) < 0) ||
		    sbuf_printf(b, "Action: %s\r\nStatus: %s\r\n"
		    "Diagnostic-Code: X-tern; %s\r\n"
		    "Last-Attempt-Date: %s\r\n", !ok ? "failed" :
		    x[i].relayed ? "relayed" : "delivered",
		    code, x[i].it->diag, date) < 0)
			return -1;
	}
	return sbuf_cat_s(b, "\r\n");
}

/* The original's header (up to and with the empty line), bounded. */
static int
read_headers(int fd, struct sbuf *h)
{
	char buf[COPY_BUF];
	const char *p;
	ssize_t k;
	size_t i;

	sbuf_reset(h);
	while (h->len < DSN_HDRS_MAX && (k = io_read(fd, buf, sizeof(buf))) > 0)
		if (sbuf_cat_n(h, buf, (size_t)k) < 0)
			return -1;
	p = h->s;
	for (i = 0; i + 1 < h->len; i++) {
		if (p[i] != '\n')
			continue;
		if (p[i + 1] == '\n') {
			sbuf_truncate(h, i + 2);
			return 0;
		}
		if (p[i + 1] == '\r' && i + 2 < h->len && p[i + 2] == '\n') {
			sbuf_truncate(h, i + 3);
			return 0;
		}
	}
	/* No empty line: the whole message is header, or it is too long. */
	while (h->len > 0 && h->s[h->len - 1] != '\n')
		sbuf_truncate(h, h->len - 1);
	return 0;
}

/* Write the DSN (headers, three parts) into fd. */
static int
write_dsn(int fd, struct qmgr_msg *m, const struct qmgr_item *x, size_t n,
    const char *to, enum qmgr_dsn_kind kind, int hdrs_only)
{
	struct sbuf b, path;
	struct stat sb;
	char date[64], boundary[80], buf[COPY_BUF];
	int mfd = -1, full, r = -1;
	ssize_t k;
	char last = '\n';

	sbuf_init(&b, DSN_HEAD_MAX);
	sbuf_init(&path, QMGR_PATH_MAX);
	if (snprintf(boundary, sizeof(boundary), "=_tern_%s_%lld_%ld", m->qid,
	    (long long)m->now, (long)getpid()) >= (int)sizeof(boundary) ||
	    date_822((time_t)m->now, date, sizeof(date)) < 0 ||
	    qid_path(m->q->queue_dir, QID_MSG, m->qid, &path) < 0)
		goto out;
	if ((mfd = open(path.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(mfd, &sb) < 0)
		goto out;
	full = kind == QMGR_DSN_FAILED && !hdrs_only &&
	    m->env.ret != ENV_RET_HDRS &&
	    m->env.body != ENV_BODY_BINARYMIME &&
	    (uint64_t)sb.st_size + DSN_ROOM <= m->q->size_limit;
	if (sbuf_printf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\r\n"
	    "To: <%s>\r\nSubject: %s\r\nDate: %s\r\n"
	    "Message-ID: <%s.%lld.%d.dsn@%s>\r\nAuto-Submitted: auto-replied\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/report; "
	    "report-type=delivery-status;\r\n\tboundary=\"%s\"\r\n\r\n"
	    "This is a MIME-encapsulated message.\r\n\r\n", m->q->hostname, to,
	    kind == QMGR_DSN_DOUBLE ? "Undeliverable bounce" :
	    kind == QMGR_DSN_DELIVERED ? "Successful Mail Delivery Report" :
	    "Undelivered Mail Returned to Sender", date, m->qid,
	    (long long)m->now, (int)kind, m->q->hostname, boundary) < 0 ||
	    human_part(&b, m, x, n, boundary, kind) < 0 ||
	    status_part(&b, m, x, n, boundary, kind) < 0 ||
	    sbuf_printf(&b, "--%s\r\nContent-Description: %s\r\n"
	    "Content-Type: %s\r\n\r\n", boundary, full ?
	    "Undelivered Message" : "Undelivered Message Headers",
	    full ? "message/rfc822" : "text/rfc822-headers") < 0 ||
	    io_write_full(fd, b.s, b.len) < 0)
		goto out;
	if (full) {
		while ((k = io_read(mfd, buf, sizeof(buf))) > 0) {
			if (io_write_full(fd, buf, (size_t)k) < 0)
				goto out;
			last = buf[k - 1];
		}
		if (k < 0)
			goto out;
	} else {
		if (read_headers(mfd, &b) < 0 ||
		    io_write_full(fd, b.s, b.len) < 0)
			goto out;
		last = b.len > 0 ? b.s[b.len - 1] : '\n';
	}
	sbuf_reset(&b);
	if (sbuf_printf(&b, "%s\r\n--%s--\r\n", last == '\n' ? "" : "\r\n",
	    boundary) < 0 || io_write_full(fd, b.s, b.len) < 0)
		goto out;
	r = 0;
out:
	if (mfd >= 0)
		(void)close(mfd);	/* read only */
	sbuf_fini(&b);
	sbuf_fini(&path);
	return r;
}

static int
dsn_envelope(struct qmgr_msg *m, const char *to, enum qmgr_dsn_kind kind,
    struct envelope *e)
{
	e->body = m->env.body == ENV_BODY_NONE ? ENV_BODY_NONE :
	    ENV_BODY_8BITMIME;
	e->flags = m->env.flags;
	if (kind == QMGR_DSN_DOUBLE)
		(void)strlcpy(e->envid, QMGR_DOUBLE_ENVID, sizeof(e->envid));
	return envelope_add_rcpt(e, to, NULL, 0, NULL);
}

/* Run tern-enqueue (queue_submit) with TERN_HOME at our tern.conf. */
static int
enqueue(const struct qmgr *q, int msgfd, const struct envelope *e,
    char newqid[QID_LEN + 1])
{
	static const char *const allow[] = { "TERN_LOG", "TERN_DEBUG", NULL };
	const char *extra[2];
	char path[QMGR_PATH_MAX], home[QMGR_PATH_MAX + 16];
	char **envp;
	int status, r;

	if (snprintf(path, sizeof(path), "%s/tern-enqueue", q->program_dir) >=
	    (int)sizeof(path) || snprintf(home, sizeof(home), "TERN_HOME=%s",
	    q->conf_dir) >= (int)sizeof(home)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	extra[0] = home;
	extra[1] = NULL;
	if ((envp = env_build(allow, extra)) == NULL)
		return -1;
	r = queue_submit(path, msgfd, e, envp, newqid, &status);
	env_free(&envp);
	if (r < 0)
		return -1;
	if (status != ENQUEUE_EX_OK) {
		log_warn("dsn: tern-enqueue exited %d", status);
		/* 100: refused for good; 101: too large; else temporary. */
		errno = status == ENQUEUE_EX_BADENV ? EINVAL :
		    status == ENQUEUE_EX_TOOBIG ? EFBIG : EIO;
		return -1;
	}
	return 0;
}

/* Build the DSN into a memory file and enqueue it. */
static int
send_once(struct qmgr_msg *m, struct qmgr_item *x, size_t n,
    const char *rcpt, enum qmgr_dsn_kind kind, int hdrs_only,
    char newqid[QID_LEN + 1])
{
	struct envelope e;
	int fd, r = -1, saved;

	envelope_init(&e);
	if ((fd = memfd_create("tern-dsn", MFD_CLOEXEC)) < 0) {
		log_err_sys("%s dsn: memfd", m->qid);
		goto out;
	}
	if (write_dsn(fd, m, x, n, rcpt, kind, hdrs_only) < 0) {
		log_err_sys("%s dsn: cannot build it", m->qid);
		goto out;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    dsn_envelope(m, rcpt, kind, &e) < 0) {
		log_err_sys("%s dsn: envelope to <%s>", m->qid,
		    log_esc_s(rcpt));
		errno = EINVAL;
		goto out;
	}
	r = enqueue(m->q, fd, &e, newqid);
out:
	saved = errno;
	if (fd >= 0)
		(void)close(fd);	/* memory only */
	envelope_fini(&e);
	errno = saved;
	return r;
}

int
qmgr_dsn_send(struct qmgr_msg *m, struct qmgr_item *x, size_t n,
    const char *rcpt, enum qmgr_dsn_kind kind, char newqid[QID_LEN + 1])
{
	int r;

	r = send_once(m, x, n, rcpt, kind, 0, newqid);
	if (r < 0 && errno == EFBIG)	/* too large: the header only */
		r = send_once(m, x, n, rcpt, kind, 1, newqid);
	if (r < 0) {
		int saved = errno;

		log_err_sys("%s dsn: cannot enqueue it", m->qid);
		errno = saved;
	}
	return r;
}
