/*
 * local_deliver.c - one local delivery into the working folder's Maildir
 * (deliver/local.h): what tern-local does once it has its request, and
 * what tern-lspawn's delivery child does in place of an exec of it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lib/conf.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/lspawn.h"
#include "lib/maildir.h"
#include "lib/sbuf.h"
#include "deliver/local.h"

#define PREFIX_MAX	(2 * LSPAWN_ADDR_MAX + 64)
#define PEEK_MAX	998	/* RFC 5322 2.1.1: longest line */

struct job {
	struct lspawn_req *req;
	struct maildir_quota q;
	int		 bounce_over;	/* quota_exceeded = bounce */
	int		 md;
	int		 missing;	/* tmp/ or new/ was missing (ENOENT) */
	int		 retried;	/* second attempt, after maildir_make */
	struct sbuf	*line;		/* the result line */
};

/*
 * Crash tests (t/deliver/lspawn-parallel.t): TERN_CRASH_AT=STEP:ADDR
 * kills the delivery to ADDR at STEP with SIGKILL ("after-deliver": the
 * message is in new/ and fsynced, the result not sent).  Honoured only
 * when the process is not set-id, like tern-qmgr's.
 */
static void
crash_at(const char *step, const char *addr)
{
	const char *want = getenv("TERN_CRASH_AT");
	size_t n = strlen(step);

	if (want != NULL && strncmp(want, step, n) == 0 && want[n] == ':' &&
	    strcasecmp(want + n + 1, addr) == 0 && getuid() == geteuid())
		(void)raise(SIGKILL);
}

/* The result line (head + tail + newline) into line; code returned. */
static int
result(struct sbuf *line, int code, const char *head, const char *tail)
{
	sbuf_reset(line);
	if (sbuf_cat_s(line, head) == -1 || sbuf_cat_s(line, tail) == -1 ||
	    sbuf_cat_c(line, '\n') == -1)
		die(EXIT_TEMP, "result line too long");
	return code;
}

/* Print the result line and exit with code. */
static void __attribute__((noreturn))
finish(int code, const struct sbuf *line)
{
	if (io_write_full(1, line->s, line->len) == -1)
		log_warn_sys("cannot write the result line");
	exit(code);
}

void
local_defer(const char *why)
{
	struct sbuf b;

	sbuf_init(&b, LSPAWN_TEXT_MAX + 1);
	finish(result(&b, EXIT_TEMP, "defer 4.3.0 ", why), &b);
}

static int
defer(struct job *j, const char *why)
{
	return result(j->line, EXIT_TEMP, "defer 4.3.0 ", why);
}

/* Does the message use CRLF line ends?  Look at its first line. */
static int
is_crlf(int fd)
{
	char buf[PEEK_MAX + 2];
	ssize_t n;
	char *nl;

	n = pread(fd, buf, sizeof(buf), 0);
	if (n <= 0)
		return 0;
	nl = memchr(buf, '\n', (size_t)n);
	return nl != NULL && nl > buf && nl[-1] == '\r';
}

static void
build_prefix(const struct job *j, struct sbuf *p, int crlf)
{
	const char *eol = crlf ? "\r\n" : "\n";

	if (sbuf_printf(p, "Return-Path: <%s>%sDelivered-To: %s%s",
	    j->req->sender, eol, j->req->rcpt[0].addr, eol) == -1)
		die_sys(EXIT_TEMP, "prefix");
}

static int
over_quota(const struct job *j)
{
	log_info("%s over_quota to=%s quota=%llu action=%s", j->req->qid,
	    log_esc_s(j->req->rcpt[0].addr), (unsigned long long)j->q.bytes,
	    j->bounce_over ? "bounce" : "defer");
	if (j->bounce_over)
		return result(j->line, EXIT_PERM, "bounce 5.2.2 ",
		    "mailbox full");
	return result(j->line, EXIT_TEMP, "defer 4.2.2 ", "mailbox full");
}

static void
delivered(const struct job *j, const char *name, uint64_t size,
    const char *warn)
{
	char cwd[4096];

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		memcpy(cwd, "?", 2);
	if (warn != NULL)
		log_warn("%s quota: %s", j->req->qid, warn);
	log_info("%s delivered to=%s maildir=%s size=%llu file=%s uid=%lu%s",
	    j->req->qid, log_esc_s(j->req->rcpt[0].addr), log_esc_s(cwd),
	    (unsigned long long)size, name, (unsigned long)getuid(),
	    j->req->linked ? " sis=yes" : "");
}

/* A single-instance copy is already in tmp/: quota, rename, fsync. */
static int
commit_linked(struct job *j)
{
	struct sbuf name;
	struct stat st;
	const char *warn;
	int tmp, r;

	sbuf_init(&name, MAILDIR_NAME_MAX);
	if ((tmp = maildir_open_sub(j->md, "tmp")) == -1 ||
	    fstatat(tmp, j->req->linked, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode)) {
		/* tern-lspawn linked the copy into tmp/: a missing tmp/
		 * means a missing copy, which making tmp/ cannot bring. */
		log_err_sys("%s linked copy tmp/%s", j->req->qid,
		    log_esc_s(j->req->linked));
		(void)io_close(&tmp);
		sbuf_fini(&name);
		return defer(j, "shared copy missing");
	}
	if (maildir_commit(j->md, j->req->linked, (uint64_t)st.st_size, &j->q,
	    &name, &warn) == -1) {
		if (errno == EDQUOT) {
			(void)unlinkat(tmp, j->req->linked, 0);	/* ours */
			r = over_quota(j);
		} else if (errno == ENOENT && !j->retried &&
		    faccessat(tmp, j->req->linked, F_OK,
		    AT_SYMLINK_NOFOLLOW) == 0) {
			j->missing = 1;	/* new/ missing: made, then again */
			r = EXIT_TEMP;
		} else {
			log_err_sys("%s commit tmp/%s", j->req->qid,
			    log_esc_s(j->req->linked));
			r = defer(j, "cannot write to the mailbox");
		}
	} else {
		delivered(j, sbuf_str(&name), (uint64_t)st.st_size, warn);
		r = result(j->line, EXIT_OK, "ok ", sbuf_str(&name));
	}
	(void)io_close(&tmp);
	sbuf_fini(&name);
	return r;
}

static int
deliver(struct job *j)
{
	struct sbuf prefix, name;
	const char *warn;
	struct stat st;
	uint64_t size;
	int r;

	sbuf_init(&prefix, PREFIX_MAX);
	sbuf_init(&name, MAILDIR_NAME_MAX);
	build_prefix(j, &prefix, is_crlf(0));
	if (lseek(0, 0, SEEK_SET) == -1 && errno != ESPIPE)
		die_sys(EXIT_TEMP, "lseek fd 0");
	if (maildir_deliver_fd(j->md, prefix.s, prefix.len, 0, &j->q, &name,
	    &warn) == -1) {
		if (errno == EDQUOT) {
			r = over_quota(j);
		} else if (errno == ENOENT && !j->retried &&
		    lseek(0, 0, SEEK_SET) == 0) {
			j->missing = 1;	/* made, then tried again */
			r = EXIT_TEMP;
		} else {
			log_err_sys("%s delivery to=%s", j->req->qid,
			    log_esc_s(j->req->rcpt[0].addr));
			r = defer(j, "cannot write to the mailbox");
		}
	} else {
		if (maildir_name_size(name.s, name.len, &size) == -1)
			size = fstat(0, &st) == 0 ? (uint64_t)st.st_size : 0;
		delivered(j, sbuf_str(&name), size, warn);
		r = result(j->line, EXIT_OK, "ok ", sbuf_str(&name));
	}
	sbuf_fini(&prefix);
	sbuf_fini(&name);
	return r;
}

/* One try; a second (j->retried) after maildir_make when one failed for
 * a missing tmp/ or new/. */
static int
attempt(struct job *j)
{
	if (j->missing) {
		j->missing = 0;
		j->retried = 1;
	}
	return j->req->linked != NULL ? commit_linked(j) : deliver(j);
}

int
local_bounce_over(const struct conf *c)
{
	const char *v;

	v = conf_str(c, "quota_exceeded");
	if (v != NULL && strcmp(v, "bounce") == 0)
		return 1;
	if (v == NULL || strcmp(v, "defer") != 0)
		log_warn("quota_exceeded = %s: neither defer nor bounce; "
		    "deferring", v ? log_esc_s(v) : "?");
	return 0;
}

int
local_deliver_one(struct lspawn_req *req, int bounce_over, struct sbuf *line)
{
	struct job j;
	int r;

	memset(&j, 0, sizeof(j));
	j.req = req;
	j.bounce_over = bounce_over;
	j.line = line;
	j.md = -1;
	if (geteuid() == 0) {
		log_err("refusing to deliver as root");
		return defer(&j, "local delivery as root refused");
	}
	if (req->nrcpt != 1) {
		log_err("request names %zu recipients, not 1", req->nrcpt);
		return defer(&j, "local delivery request invalid");
	}
	if (req->has_quota)
		j.q.bytes = req->quota;
	/*
	 * tmp/ and new/ are made only when the delivery finds one missing
	 * (the account may have removed it): tern-lspawn made them when it
	 * opened this Maildir, so checking all three first (three mkdirs,
	 * three opens) was work repeated at every delivery.  A failed first
	 * attempt leaves nothing behind, so it is simply made again.
	 */
	if ((j.md = maildir_open_sub(AT_FDCWD, ".")) == -1) {
		log_err_sys("%s maildir %s", req->qid,
		    log_esc_s(req->rcpt[0].addr));
		return defer(&j, "cannot open the mailbox");
	}
	/* A message that cannot be read twice (a pipe on fd 0): the
	 * folders are checked first, as a second attempt could not be. */
	if (req->linked == NULL && lseek(0, 0, SEEK_CUR) == -1)
		j.missing = 1;
	else
		r = attempt(&j);
	if (j.missing) {
		if (maildir_make(j.md) == -1) {
			log_err_sys("%s maildir %s", req->qid,
			    log_esc_s(req->rcpt[0].addr));
			(void)io_close(&j.md);
			return defer(&j, "cannot open the mailbox");
		}
		r = attempt(&j);
	}
	crash_at("after-deliver", req->rcpt[0].addr);
	(void)io_close(&j.md);
	return r;
}

void
local_deliver(struct lspawn_req *req, int bounce_over)
{
	struct sbuf line;

	if (geteuid() == 0)
		die(EXIT_TEMP, "refusing to deliver as root");
	sbuf_init(&line, LSPAWN_TEXT_MAX + 1);
	finish(local_deliver_one(req, bounce_over, &line), &line);
}
