/*
 * imapd_cmd.c - the worker's command table (which command runs in which
 * state, and whether expunges may be announced after it), the dispatcher
 * that parses a command (lib/imapp), runs it, announces the selected
 * mailbox's changes and sends the tagged completion; and the small
 * commands: CAPABILITY, NOOP, CHECK, LOGOUT, ID, ENABLE, NAMESPACE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <bsd/string.h>

#include "lib/bio.h"
#include "lib/imapp.h"
#include "lib/io.h"
#include "lib/log.h"
#include "lib/maildir.h"
#include "lib/mstore.h"
#include "lib/sbuf.h"
#include "lib/scan.h"

#include "imapd/imapd.h"

#define S_AUTH		0x01	/* authenticated state */
#define S_SEL		0x02	/* selected state */
#define S_ANY		(S_AUTH | S_SEL)

struct cmd {
	const char	*name;
	unsigned	 states;
	enum imap_upd	 upd;
	int		(*fn)(struct imap *);
};

static int
cmd_capability(struct imap *s)
{
	if (imap_out(s, "* CAPABILITY " IMAP_CAPA_AUTHED,
	    IMAP_CAPA_ARG(s)) < 0)
		return -1;
	return imap_ok(s, "CAPABILITY");
}

static int
cmd_noop(struct imap *s)
{
	return imap_ok(s, s->pc.name);
}

static int
cmd_logout(struct imap *s)
{
	s->done = 1;
	if (imap_out(s, "* BYE tern IMAP server signing off") < 0)
		return -1;
	return imap_ok(s, "LOGOUT");
}

static int
cmd_id(struct imap *s)
{
	struct imapp_id id;
	const char *why = "";

	if (s->pc.nargs != 1 ||
	    imapp_id_parse(&s->pc, imapp_arg(&s->pc, 0), &id, &why) < 0)
		return imap_bad(s, s->pc.nargs != 1 ? "ID takes one argument" :
		    why);
	if (imap_out(s, "* ID (\"name\" \"tern\" \"version\" \"%s\")",
	    TERN_VERSION) < 0)
		return -1;
	return imap_ok(s, "ID");
}

static int
cmd_enable(struct imap *s)
{
	const char *why = "";
	unsigned caps = 0;

	if (s->pc.nargs < 1 ||
	    imapp_enable_parse(&s->pc, imapp_arg(&s->pc, 0), &caps, &why) < 0)
		return imap_bad(s, s->pc.nargs < 1 ? "ENABLE needs a "
		    "capability" : why);
	/* Only what we advertise is enabled (RFC 5161 3.1); the answer
	 * names what this command newly enabled. */
	caps &= IMAP_EN_OK & ~s->enabled;
	s->enabled |= caps & ~IMAPP_EN_CONDSTORE;
	if (imap_out(s, "* ENABLED%s%s%s%s",
	    caps & IMAPP_EN_CONDSTORE ? " CONDSTORE" : "",
	    caps & IMAPP_EN_QRESYNC ? " QRESYNC" : "",
	    caps & IMAPP_EN_IMAP4REV2 ? " IMAP4rev2" : "",
	    caps & IMAPP_EN_UTF8_ACCEPT ? " UTF8=ACCEPT" : "") < 0)
		return -1;
	/* QRESYNC implies CONDSTORE (RFC 7162 3.2.3). */
	if ((caps & (IMAPP_EN_CONDSTORE | IMAPP_EN_QRESYNC)) &&
	    imap_condstore_enable(s) < 0)
		return -1;
	return imap_ok(s, "ENABLE");
}

static int
cmd_namespace(struct imap *s)
{
	if (s->pc.nargs != 0)
		return imap_bad(s, "NAMESPACE takes no arguments");
	if (imap_out(s, "* NAMESPACE ((\"\" \"%c\")) NIL NIL", s->sep) < 0)
		return -1;
	return imap_ok(s, "NAMESPACE");
}

static int
cmd_loggedin(struct imap *s)
{
	return imap_bad(s, "Already logged in");
}

static const struct cmd cmds[] = {
	{ "CAPABILITY",	S_ANY,	UPD_ALL,	cmd_capability },
	{ "NOOP",	S_ANY,	UPD_ALL,	cmd_noop },
	{ "LOGOUT",	S_ANY,	UPD_NONE,	cmd_logout },
	{ "ID",		S_ANY,	UPD_ALL,	cmd_id },
	{ "ENABLE",	S_ANY,	UPD_ALL,	cmd_enable },
	{ "NAMESPACE",	S_ANY,	UPD_ALL,	cmd_namespace },
	{ "LIST",	S_ANY,	UPD_ALL,	imap_cmd_list },
	{ "LSUB",	S_ANY,	UPD_ALL,	imap_cmd_lsub },
	{ "STATUS",	S_ANY,	UPD_ALL,	imap_cmd_status },
	/* SELECT and EXAMINE have just synced: no second one. */
	{ "SELECT",	S_ANY,	UPD_NONE,	imap_cmd_select },
	{ "EXAMINE",	S_ANY,	UPD_NONE,	imap_cmd_examine },
	{ "CREATE",	S_ANY,	UPD_ALL,	imap_cmd_create },
	{ "DELETE",	S_ANY,	UPD_ALL,	imap_cmd_delete },
	{ "RENAME",	S_ANY,	UPD_ALL,	imap_cmd_rename },
	{ "SUBSCRIBE",	S_ANY,	UPD_ALL,	imap_cmd_subscribe },
	{ "UNSUBSCRIBE", S_ANY,	UPD_ALL,	imap_cmd_unsubscribe },
	{ "APPEND",	S_ANY,	UPD_ALL,	imap_cmd_append },
	{ "IDLE",	S_ANY,	UPD_ALL,	imap_cmd_idle },
	{ "GETQUOTAROOT", S_ANY, UPD_ALL,	imap_cmd_getquotaroot },
	{ "GETQUOTA",	S_ANY,	UPD_ALL,	imap_cmd_getquota },
	{ "SETQUOTA",	S_ANY,	UPD_ALL,	imap_cmd_setquota },
	{ "COMPRESS",	S_ANY,	UPD_ALL,	imap_cmd_compress },
	{ "CHECK",	S_SEL,	UPD_ALL,	cmd_noop },
	{ "CLOSE",	S_SEL,	UPD_NONE,	imap_cmd_close },
	{ "UNSELECT",	S_SEL,	UPD_NONE,	imap_cmd_unselect },
	{ "EXPUNGE",	S_SEL,	UPD_ALL,	imap_cmd_expunge },
	{ "SEARCH",	S_SEL,	UPD_NO_EXPUNGE,	imap_cmd_search },
	{ "SORT",	S_SEL,	UPD_NO_EXPUNGE,	imap_cmd_sort },
	{ "THREAD",	S_SEL,	UPD_NO_EXPUNGE,	imap_cmd_thread },
	{ "FETCH",	S_SEL,	UPD_NO_EXPUNGE,	imap_cmd_fetch },
	{ "STORE",	S_SEL,	UPD_NO_EXPUNGE,	imap_cmd_store },
	{ "COPY",	S_SEL,	UPD_ALL,	imap_cmd_copy },
	{ "MOVE",	S_SEL,	UPD_ALL,	imap_cmd_move },
	{ "LOGIN",	S_ANY,	UPD_ALL,	cmd_loggedin },
	{ "AUTHENTICATE", S_ANY, UPD_ALL,	cmd_loggedin },
	{ "STARTTLS",	S_ANY,	UPD_ALL,	cmd_loggedin },
};

static const struct cmd *
cmd_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static int
send_completion(struct imap *s)
{
	if (bio_puts(s->b, s->tag) < 0 || bio_puts(s->b, " ") < 0 ||
	    bio_write(s->b, s->resp.s, s->resp.len) < 0 ||
	    bio_puts(s->b, "\r\n") < 0 || bio_flush(s->b) < 0)
		return -1;
	return 0;
}

static void
set_tag(struct imap *s)
{
	size_t n = s->pc.tag_len;

	if (n == 0 || n > IMAP_TAG_MAX) {
		(void)strlcpy(s->tag, "*", sizeof s->tag);
		return;
	}
	memcpy(s->tag, s->pc.tag, n);
	s->tag[n] = '\0';
}

int
imap_dispatch(struct imap *s)
{
	struct imapp_limits lim;
	const struct cmd *c;
	const char *why = "";
	enum imap_upd upd = UPD_ALL;
	int r;

	memset(&lim, 0, sizeof lim);
	lim.max_literal = s->literal_max;
	sbuf_reset(&s->resp);
	r = imapp_parse(s->cmd.s, s->cmd.len, &lim, &s->pc, &why);
	set_tag(s);
	if (r == IMAPP_EBADCHARSET)
		(void)imap_reply(s, "NO", "[BADCHARSET (UTF-8 US-ASCII)] %s",
		    why);
	else if (r == IMAPP_ENOMEM)
		(void)imap_reply(s, "NO", "[LIMIT] %s", why);
	else if (r < 0)
		(void)imap_bad(s, why);
	else if ((c = cmd_find(s->pc.name)) == NULL)
		(void)imap_bad(s, "Unknown command");
	else if (c->states == S_SEL && s->mb == NULL)
		(void)imap_bad(s, "No mailbox selected");
	else if (s->pc.uid && !(c->states == S_SEL))
		(void)imap_bad(s, "Unknown UID command");
	else if (c->states == S_SEL && c->fn != imap_cmd_close &&
	    c->fn != imap_cmd_unselect && mbox_view_load(s->mb) < 0) {
		/* The view is decoded when first needed (lib/mstore.h). */
		log_warn_sys("account=%s decode the index of %s",
		    log_esc_s(s->user), log_esc_s(mbox_name(s->mb)));
		if (errno == ESTALE) {
			(void)imap_out(s, "* BYE [UNAVAILABLE] The mailbox "
			    "index was damaged; please reconnect");
			return -1;
		}
		(void)imap_reply(s, "NO", "[SERVERBUG] Cannot read the "
		    "mailbox index");
	} else {
		upd = c->upd;
		if (c->fn(s) < 0)
			return -1;
	}
	if (s->resp.len == 0)
		(void)imap_ok(s, s->pc.name);
	if (s->mb != NULL && upd != UPD_NONE && imap_updates(s, upd) < 0)
		return -1;
	if (send_completion(s) < 0 || imap_compress_after(s) < 0)
		return -1;
	return 0;
}

int
imap_arg_str(struct imap *s, const struct imapp_tok *t, struct sbuf *out)
{
	sbuf_reset(out);
	if (t == NULL || !imapp_tok_is_astring(t) ||
	    memchr(t->p, '\0', t->n) != NULL)
		return -1;
	if (sbuf_cat_n(out, t->p, t->n) < 0 || sbuf_nul(out) < 0)
		return -1;
	return imap_name_in(s, out);	/* UTF-8 names (IMAP4rev2) */
}

int
imap_account_open(struct imap *s)
{
	struct maildir_quota q = { 0, 0 };
	const char *v;
	uint64_t n;
	int fd;

	fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		log_err_sys("account=%s open the Maildir", log_esc_s(s->user));
		return -1;
	}
	if (mstore_new(fd, s->sep, &s->ms) < 0) {
		log_err_sys("account=%s mstore", log_esc_s(s->user));
		(void)close(fd);
		return -1;
	}
	(void)close(fd);	/* mstore_new dup'd it */
	/* APPEND and COPY honour the quota tern-local enforces. */
	if ((v = getenv("LOGIN_QUOTA")) != NULL &&
	    scan_u64_s(v, &q.bytes) == 0 && q.bytes > 0 &&
	    mstore_set_quota(s->ms, &q) < 0)
		log_warn_sys("account=%s quota", log_esc_s(s->user));
	if ((v = getenv("IMAP_VANISHED_MAX")) != NULL &&
	    (scan_u64_s(v, &n) < 0 || mstore_set_vanished_max(s->ms,
	    (size_t)n) < 0))
		log_warn("account=%s bad IMAP_VANISHED_MAX",
		    log_esc_s(s->user));
	if (mstore_special_use_init(s->ms) < 0)
		log_warn_sys("account=%s cannot create the special-use "
		    "folders", log_esc_s(s->user));
	return 0;
}

void
imap_account_close(struct imap *s)
{
	imap_unselect(s);
	imap_condstore_fini(s);
	if (s->ms != NULL)
		mstore_free(&s->ms);
}
