/*
 * pop3d_cmd.c - the post-auth worker of tern-pop3d: exec'd by the monitor
 * as the account's uid, its cwd the account's Maildir, the client channel
 * (relayed by the pre-auth child) on descriptors 0 and 1.  It holds no TLS
 * key and reads no configuration: what it needs comes in the environment
 * (LOGIN_USER, POP3_TIMEOUT, POP3_EXPIRE, POP3_LOGIN_DELAY).
 *
 * It answers the PASS (or AUTH) that logged in, then serves the
 * TRANSACTION state (RFC 1939 5) and, at QUIT, the UPDATE state (6).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/log.h"
#include "lib/pop3p.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "pop3d/pop3d.h"

#define WORKER_TIMEOUT_DEFAULT	600000	/* RFC 1939 3: 10 minutes */

struct work {
	struct pop3_box	 box;
	struct bio	*b;
	const char	*user;
	char		 expire[POP3_EXPIRE_MAX + 1];
	uint64_t	 login_delay;
	int		 errors;
	uint64_t	 retr, dele;
};

enum wstep { W_GO, W_QUIT, W_END };

static int
say(struct work *w, const char *line)
{
	return bio_puts(w->b, line) < 0 || bio_puts(w->b, "\r\n") < 0 ||
	    bio_flush(w->b) < 0 ? -1 : 0;
}

static enum wstep
err(struct work *w, const char *line)
{
	w->errors++;
	return say(w, line) < 0 ? W_END : W_GO;
}

/* A message number argument: its index, or -1 after answering. */
static ssize_t
msg_arg(struct work *w, const struct pop3p_arg *a, enum wstep *st)
{
	uint64_t num;

	if (pop3p_msgnum(a->p, a->n, &num) < 0 || num > w->box.n ||
	    w->box.m[num - 1].deleted) {
		*st = err(w, "-ERR No such message");
		return -1;
	}
	return (ssize_t)(num - 1);
}

static int
totals(struct work *w, uint64_t *count_r, uint64_t *size_r)
{
	uint64_t s;
	size_t i;

	*count_r = *size_r = 0;
	for (i = 0; i < w->box.n; i++) {
		if (w->box.m[i].deleted)
			continue;
		if (box_size(&w->box, i, &s) < 0)
			s = 0;	/* vanished under us: RETR will say so */
		(*count_r)++;
		*size_r += s;
	}
	return 0;
}

static enum wstep
do_list(struct work *w, const struct pop3p_cmd *c, int uidl)
{
	enum wstep st = W_GO;
	uint64_t s;
	ssize_t k;
	size_t i;
	int r = 0;

	if (c->nargs == 1) {
		if ((k = msg_arg(w, &c->arg[0], &st)) < 0)
			return st;
		if (uidl)
			r = bio_printf(w->b, "+OK %zd %.*s\r\n", k + 1,
			    (int)w->box.m[k].uid_len, w->box.m[k].uid);
		else if (box_size(&w->box, (size_t)k, &s) < 0)
			return err(w, "-ERR [SYS/TEMP] Cannot read the message");
		else
			r = bio_printf(w->b, "+OK %zd %llu\r\n", k + 1,
			    (unsigned long long)s);
		return r < 0 || bio_flush(w->b) < 0 ? W_END : W_GO;
	}
	r = bio_puts(w->b, "+OK\r\n");
	for (i = 0; i < w->box.n && r == 0; i++) {
		if (w->box.m[i].deleted)
			continue;
		if (uidl)
			r = bio_printf(w->b, "%zu %.*s\r\n", i + 1,
			    (int)w->box.m[i].uid_len, w->box.m[i].uid);
		else {
			if (box_size(&w->box, i, &s) < 0)
				s = 0;
			r = bio_printf(w->b, "%zu %llu\r\n", i + 1,
			    (unsigned long long)s);
		}
	}
	if (r < 0 || bio_puts(w->b, ".\r\n") < 0 || bio_flush(w->b) < 0)
		return W_END;
	return W_GO;
}

static enum wstep
do_retr(struct work *w, const struct pop3p_cmd *c)
{
	enum wstep st = W_GO;
	const char *why = NULL;
	uint64_t lines = UINT64_MAX;
	ssize_t k;
	int r;

	if ((k = msg_arg(w, &c->arg[0], &st)) < 0)
		return st;
	if (c->verb == POP3_TOP && pop3p_count(c->arg[1].p, c->arg[1].n,
	    &lines) < 0)
		return err(w, "-ERR Invalid line count");
	r = box_send(&w->box, (size_t)k, w->b, lines, &why);
	if (r < 0)
		return W_END;
	if (r > 0)
		return err(w, why);
	if (c->verb == POP3_RETR) {
		w->retr++;
		if (box_seen(&w->box, (size_t)k) < 0)
			log_warn_sys("account=%s cannot mark message %zd seen",
			    log_esc_s(w->user), k + 1);
	}
	return W_GO;
}

static enum wstep
do_quit(struct work *w)
{
	uint64_t cnt = 0, size = 0;
	size_t bad;

	bad = box_expunge(&w->box);
	(void)totals(w, &cnt, &size);
	/*
	 * UPDATE is over: release the maildrop lock before the answer, so a
	 * client that logs in again as soon as it reads it is not refused
	 * [IN-USE] by this session still on its way out (RFC 1939 6).
	 */
	box_unlock(&w->box);
	log_info("logout account=%s retr=%llu dele=%llu left=%llu%s",
	    log_esc_s(w->user), (unsigned long long)w->retr,
	    (unsigned long long)w->dele, (unsigned long long)cnt,
	    bad ? " status=some_deletes_failed" : "");
	if (bad > 0)
		(void)say(w, "-ERR [SYS/TEMP] Some deleted messages not removed");
	else if (bio_printf(w->b, "+OK tern POP3 server signing off (%llu "
	    "messages left)\r\n", (unsigned long long)cnt) < 0 ||
	    bio_flush(w->b) < 0)
		return W_END;
	return W_QUIT;
}

static enum wstep
do_cmd(struct work *w, const struct pop3p_cmd *c)
{
	enum wstep st = W_GO;
	uint64_t cnt, size;
	ssize_t k;
	size_t i;

	switch (c->verb) {
	case POP3_STAT:
		(void)totals(w, &cnt, &size);
		return bio_printf(w->b, "+OK %llu %llu\r\n",
		    (unsigned long long)cnt, (unsigned long long)size) < 0 ||
		    bio_flush(w->b) < 0 ? W_END : W_GO;
	case POP3_LIST:
		return do_list(w, c, 0);
	case POP3_UIDL:
		return do_list(w, c, 1);
	case POP3_RETR:
	case POP3_TOP:
		return do_retr(w, c);
	case POP3_DELE:
		if ((k = msg_arg(w, &c->arg[0], &st)) < 0)
			return st;
		w->box.m[k].deleted = 1;
		w->dele++;
		return bio_printf(w->b, "+OK Message %zd deleted\r\n", k + 1)
		    < 0 || bio_flush(w->b) < 0 ? W_END : W_GO;
	case POP3_RSET:
		for (i = 0; i < w->box.n; i++)
			w->box.m[i].deleted = 0;
		w->dele = 0;
		(void)totals(w, &cnt, &size);
		return bio_printf(w->b, "+OK maildrop has %llu messages (%llu "
		    "octets)\r\n", (unsigned long long)cnt,
		    (unsigned long long)size) < 0 || bio_flush(w->b) < 0 ?
		    W_END : W_GO;
	case POP3_NOOP:
		return say(w, "+OK") < 0 ? W_END : W_GO;
	case POP3_QUIT:
		return do_quit(w);
	case POP3_CAPA:
		return pop3_capa(w->b, 0, 0, 0, w->expire, w->login_delay) < 0
		    || bio_flush(w->b) < 0 ? W_END : W_GO;
	case POP3_USER:
	case POP3_PASS:
	case POP3_AUTH:
	case POP3_APOP:
	case POP3_STLS:
		return err(w, "-ERR Already logged in");
	case POP3_UNKNOWN:
		return err(w, "-ERR Unknown command");
	}
	return W_END;
}

static void
env_settings(struct work *w, int64_t *timeout_r)
{
	const char *t = getenv("POP3_TIMEOUT"), *e = getenv("POP3_EXPIRE");
	const char *d = getenv("POP3_LOGIN_DELAY");
	uint64_t v;

	*timeout_r = WORKER_TIMEOUT_DEFAULT;
	if (t != NULL && scan_u64_s(t, &v) == 0 && v > 0 && v < INT32_MAX)
		*timeout_r = (int64_t)v;
	if (e != NULL && strlen(e) <= POP3_EXPIRE_MAX &&
	    (strcmp(e, "NEVER") == 0 || scan_u64_s(e, &v) == 0))
		(void)strlcpy(w->expire, e, sizeof w->expire);	/* fits */
	if (d != NULL && scan_u64_s(d, &v) == 0)
		w->login_delay = v;
}

static void
serve(struct work *w)
{
	struct sbuf line;
	struct pop3p_cmd c;
	const char *why;
	enum wstep st = W_GO;
	int eol, r;

	sbuf_init(&line, POP3P_LINE_MAX);
	while (st == W_GO) {
		if (w->errors >= POP3_ERRORS_MAX) {
			(void)say(w, "-ERR Too many errors, bye");
			break;
		}
		r = bio_getline(w->b, &line, POP3P_LINE_MAX, &eol);
		if (r == BIO_TOOLONG) {
			st = err(w, "-ERR Line too long");
			continue;
		}
		if (r != BIO_OK) {
			if (r < 0 && errno == ETIMEDOUT) {
				(void)say(w, "-ERR Autologout; idle for too "
				    "long");
				log_info("autologout account=%s",
				    log_esc_s(w->user));
			}
			break;	/* no UPDATE state: deletions are dropped */
		}
		if (pop3p_parse(line.s, line.len, &c, &why) < 0) {
			w->errors++;
			if (bio_printf(w->b, "-ERR %s\r\n", why) < 0 ||
			    bio_flush(w->b) < 0)
				break;
			continue;
		}
		st = do_cmd(w, &c);
	}
	sbuf_fini(&line);
}

int
pop3_worker(void)
{
	static struct work w;
	const char *why = "";
	int64_t timeout;

	w.user = getenv("LOGIN_USER");
	if (w.user == NULL || w.user[0] == '\0')
		die(EXIT_PERM, "worker: no LOGIN_USER (run by the monitor "
		    "only)");
	if (getuid() == 0 || geteuid() == 0)
		die(EXIT_TEMP, "worker: refusing to run as root");
	env_settings(&w, &timeout);
	if ((w.b = bio_new(0, 1)) == NULL)
		die_sys(EXIT_TEMP, "bio_new");
	bio_set_timeout(w.b, timeout, timeout);
	if (box_open(&w.box, &why) < 0) {
		if (errno == EWOULDBLOCK) {
			log_info("in-use account=%s", log_esc_s(w.user));
			(void)say(&w, "-ERR [IN-USE] Mailbox is locked by "
			    "another POP3 session");
		} else {
			log_err_sys("account=%s %s", log_esc_s(w.user), why);
			(void)say(&w, "-ERR [SYS/TEMP] Cannot open the "
			    "mailbox");
		}
		box_close(&w.box);
		bio_free(&w.b);
		return EXIT_OK;
	}
	log_info("login account=%s uid=%lu messages=%zu", log_esc_s(w.user),
	    (unsigned long)getuid(), w.box.n);
	if (say(&w, "+OK Logged in.") == 0)
		serve(&w);
	box_close(&w.box);
	bio_free(&w.b);
	return EXIT_OK;
}
