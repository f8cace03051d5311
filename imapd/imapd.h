/*
 * imapd.h - tern-imapd's internal interfaces.
 *
 *   tern-imapd.c       main, the set-up as root, the monitor (lib/login)
 *   imapd_login.c      the pre-auth child: greeting, CAPABILITY, NOOP,
 *                      LOGOUT, ID, STARTTLS, LOGIN, AUTHENTICATE PLAIN
 *   imapd_read.c       reading one command with its literals, bounded
 *   imapd_session.c    the post-auth worker: state, dispatch, updates
 *   imapd_cmd_*.c      the commands of the authenticated/selected states
 *   imapd_fetch.c      FETCH, imapd_search.c SEARCH, imapd_idle.c IDLE
 *
 * Limits (every one named here, STYLE.md 6).
 */
#ifndef TERN_IMAPD_H
#define TERN_IMAPD_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

struct bio;
struct tls_ctx;
struct login;

/* RFC 7162 3.2.1 recommends accepting lines of 8192 octets at least. */
#define IMAP_LINE_MAX		65536
#define IMAP_PRE_LINE_MAX	8192	/* before login: tiny */
#define IMAP_PRE_LITERAL_MAX	2048	/* before login (RFC 7888 LITERAL-) */
#define IMAP_LITERALS_MAX	64	/* literals in one command */
#define IMAP_CMD_MAX		(1024 * 1024)	/* a command without APPEND
						 * data: line bytes + literals */
#define IMAP_TAG_MAX		64	/* LOGIN_TAG_MAX */
#define IMAP_PREAUTH_CMDS_MAX	50	/* commands before login */
#define IMAP_ERRORS_MAX		50	/* bad commands in a row */
#define IMAP_LITERAL_DEFAULT	(64ULL * 1024 * 1024)
#define IMAP_TIMEOUT_DEFAULT	1800000	/* RFC 3501 5.4: 30 minutes */

/* IMAP4rev2 is advertised before login too (RFC 9051 6.1.1), so it is
 * part of the common list; empty until everything it folds in works. */
#define IMAP_CAPA_REV2_BASE	" IMAP4rev2"
#define IMAP_CAPA_COMMON	"IMAP4rev1" IMAP_CAPA_REV2_BASE \
	" SASL-IR ID ENABLE IDLE LITERAL+"
/*
 * After login.  One macro per extension family, each on its own line, so
 * that what is advertised is exactly what is built: an extension adds
 * its words to its own macro when it works (a leading space each).
 */
#define IMAP_CAPA_CONDSTORE	" CONDSTORE QRESYNC"
#define IMAP_CAPA_SEARCH	" ESEARCH SEARCHRES SORT SORT=DISPLAY " \
	"THREAD=ORDEREDSUBJECT THREAD=REFERENCES"
#define IMAP_CAPA_LIST		" LIST-EXTENDED LIST-STATUS CREATE-SPECIAL-USE"
#define IMAP_CAPA_QUOTA		" QUOTA QUOTA=RES-STORAGE"
#define IMAP_CAPA_STATUS	" STATUS=SIZE"
#define IMAP_CAPA_APPEND	" APPENDLIMIT=%llu"	/* IMAP_CAPA_ARG */
#define IMAP_CAPA_COMPRESS	" COMPRESS=DEFLATE"
#define IMAP_CAPA_REV2		" BINARY UTF8=ACCEPT"
#define IMAP_CAPA_AUTHED	IMAP_CAPA_COMMON " NAMESPACE UIDPLUS MOVE " \
	"UNSELECT CHILDREN SPECIAL-USE" \
	IMAP_CAPA_CONDSTORE \
	IMAP_CAPA_SEARCH \
	IMAP_CAPA_LIST \
	IMAP_CAPA_QUOTA \
	IMAP_CAPA_STATUS \
	IMAP_CAPA_APPEND \
	IMAP_CAPA_COMPRESS \
	IMAP_CAPA_REV2
/* IMAP_CAPA_AUTHED is a format: its argument (RFC 7889 APPENDLIMIT, the
 * literal limit that bounds an APPEND). */
#define IMAP_CAPA_ARG(s)	((unsigned long long)(s)->literal_max)

/*
 * What ENABLE (RFC 5161) accepts: IMAPP_EN_* bits, one line per family;
 * s->enabled keeps what the client enabled.
 */
#define IMAP_EN_CONDSTORE_OK	(IMAPP_EN_CONDSTORE | IMAPP_EN_QRESYNC)
#define IMAP_EN_REV2_OK		(IMAPP_EN_IMAP4REV2 | IMAPP_EN_UTF8_ACCEPT)
#define IMAP_EN_OK		(IMAP_EN_CONDSTORE_OK | IMAP_EN_REV2_OK)

/* ---- reading commands (imapd_read.c) ---- */

enum imapd_rd {
	RD_OK = 0,	/* a whole command in cmd */
	RD_EOF,		/* the client closed */
	RD_ERR,		/* I/O error or timeout (errno): end the session */
	RD_BAD,		/* answered already ("tag BAD ..."): read the next */
	RD_FATAL	/* answered with BYE: close the session */
};

struct imapd_reader {
	struct bio	*b;
	size_t		 line_max;	/* one line */
	uint64_t	 literal_max;	/* one literal */
	size_t		 cmd_max;	/* the whole command */
	uint64_t	 bytes_in;
};

/*
 * Read one command: its first line, and for each literal {n} / {n+} at
 * the end of a line, "+ ..." (synchronizing), n bytes, and the next line.
 * cmd holds the command as sent, line ends CRLF removed from the last
 * line only (literal markers and the CRLF after them kept), ready for
 * imapp_parse().  A literal over the limit: "tag NO [TOOBIG]" without
 * reading it (RD_BAD) or, for {n+}, "* BYE" (RD_FATAL).
 */
enum imapd_rd imapd_read_cmd(struct imapd_reader *, struct sbuf *cmd);
/* The tag at the front of a line (an atom-ish run), "*" when none. */
size_t	imapd_tag_len(const char *p, size_t n);

/* ---- the pre-auth child (imapd_login.c) ---- */

struct imap_pre {
	struct bio	*b;
	struct tls_ctx	*tls_ctx;	/* NULL: no TLS configured */
	struct login	*login;
	int		 implicit_tls;	/* imaps: TLS from the first byte */
	int		 plain_ok;	/* plaintext passwords allowed here */
	int		 tls;		/* TLS active */
	const char	*ip;
	int64_t		 login_ms;	/* whole pre-auth phase */
	int64_t		 session_ms;	/* relay idle limit */
	uint64_t	 max_failures;
	/* proxy: the peer is in login_trusted_proxies (doc/proxy.md): it
	 * may send ID "x-originating-ip" and log in with AUTHENTICATE PLAIN
	 * as another account (authzid).  Always 0 in tern-proxy. */
	int		 trusted_peer;
	char		 origin[46];	/* proxy: x-originating-ip, or "" */
};

int	imap_preauth(struct imap_pre *);

/* ---- the post-auth worker (imapd_session.c and the commands) ---- */

#include "lib/imapp.h"

struct mstore;
struct mbox;
struct mbox_msg;

/* When a command may announce expunges (RFC 3501 7.4.1). */
enum imap_upd {
	UPD_NONE,		/* no sync after the command (LOGOUT) */
	UPD_NO_EXPUNGE,		/* FETCH, STORE, SEARCH and their UID forms */
	UPD_ALL
};

struct imap {
	struct bio	*b;
	const char	*user;
	struct imapd_reader rd;
	struct sbuf	 cmd;		/* the command as read */
	struct imapp_cmd pc;		/* ... parsed */
	struct sbuf	 line;		/* one response line being built */
	struct sbuf	 resp;		/* the tagged completion ("OK ...") */
	char		 tag[IMAP_TAG_MAX + 1];
	int64_t		 timeout_ms, idle_ms;
	uint64_t	 literal_max;
	char		 sep;
	int		 errors;	/* bad commands */
	int		 done;		/* LOGOUT */
	struct mstore	*ms;		/* the account's folders */
	struct mbox	*mb;		/* the selected folder, or NULL */
	int		 rdonly;	/* EXAMINE */
	uint32_t	 exists, recent;	/* as last announced */
	unsigned	 nkeywords;	/* keyword names announced in FLAGS */
	unsigned	 enabled;	/* IMAPP_EN_* the client ENABLEd */
	uint32_t	*van;		/* QRESYNC: expunged UIDs to announce */
	size_t		 nvan, capvan;	/* in one VANISHED */
	uint32_t	*saved;		/* SEARCHRES "$": UIDs, ascending */
	size_t		 nsaved;
};

/* The worker: returns the process exit code. */
int	imap_worker(void);

/* Responses.  imap_out: one untagged or continuation line (buffered);
 * imap_reply: the tagged completion ("OK", "NO", "BAD" + text), sent by
 * the dispatcher after the untagged updates; returns 0. */
int	imap_out(struct imap *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	imap_reply(struct imap *, const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	imap_tagged(struct imap *, const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	imap_bad(struct imap *, const char *why);
int	imap_no(struct imap *, const char *why);
int	imap_ok(struct imap *, const char *cmdname);
/* "NO" with a response code from errno after a failed mstore call. */
int	imap_no_errno(struct imap *, const char *what);

/* Dispatch the command in s->cmd (imapd_cmd.c); -1 ends the session. */
int	imap_dispatch(struct imap *);
int	imap_account_open(struct imap *);
void	imap_account_close(struct imap *);

/* Arguments. */
/* An astring argument (mailbox name, ...) as a C string in out: -1 BAD
 * (not an astring or holds a NUL). */
int	imap_arg_str(struct imap *, const struct imapp_tok *, struct sbuf *out);

/* The selected mailbox (imapd_cmd_select.c). */
int	imap_updates(struct imap *, enum imap_upd);
void	imap_unselect(struct imap *);
int	imap_flags_out(struct imap *, struct sbuf *, const struct mbox_msg *);
/* Messages named by a sequence set (uid: a UID set), ascending seqs. */
int	imap_set_seqs(struct imap *, const struct imapp_tok *, int uid,
	    uint32_t **seqs_r, size_t *n_r);
/* The keyword bits of the flags of a STORE/APPEND (create new names). */
int	imap_keywords(struct imap *, struct mbox *, const struct imapp_flags *,
	    int create, uint32_t *bits_r);
uint32_t imap_sysflags(unsigned imapp_bits);

/* Commands: each returns 0 (s->resp holds the completion) or -1 (end). */
int	imap_cmd_list(struct imap *);
int	imap_cmd_lsub(struct imap *);
int	imap_cmd_status(struct imap *);
int	imap_cmd_create(struct imap *);
int	imap_cmd_delete(struct imap *);
int	imap_cmd_rename(struct imap *);
int	imap_cmd_subscribe(struct imap *);
int	imap_cmd_unsubscribe(struct imap *);
int	imap_cmd_select(struct imap *);
int	imap_cmd_examine(struct imap *);
int	imap_cmd_close(struct imap *);
int	imap_cmd_unselect(struct imap *);
int	imap_cmd_expunge(struct imap *);
int	imap_cmd_append(struct imap *);
int	imap_cmd_copy(struct imap *);
int	imap_cmd_move(struct imap *);
int	imap_cmd_store(struct imap *);
int	imap_cmd_fetch(struct imap *);
int	imap_cmd_search(struct imap *);
int	imap_cmd_idle(struct imap *);

/* ---- CONDSTORE and QRESYNC, RFC 7162 (imapd_condstore.c) ---- */
struct imapp_select;
struct mbox_uidrange;
/* A CONDSTORE enabling command (3.1): from now on MODSEQ in every FETCH
 * of a flag change; the first one with a mailbox selected says its
 * HIGHESTMODSEQ. */
int	imap_condstore_enable(struct imap *);
/* " MODSEQ (n)" into l when CONDSTORE is enabled. */
int	imap_modseq_out(struct imap *, struct sbuf *l, const struct mbox_msg *);
/* The expunge callback of mbox_sync/mbox_expunge: "* n EXPUNGE", or the
 * UID kept for one "* VANISHED" once QRESYNC is enabled, sent by
 * imap_expunged_flush() after the call. */
int	imap_expunged(void *arg, uint32_t seq, uint32_t uid);
int	imap_expunged_flush(struct imap *);
int	imap_vanished_out(struct imap *, int earlier,
	    const struct mbox_uidrange *, size_t);
/* SELECT (QRESYNC ...): VANISHED (EARLIER) and FETCHes of what changed. */
int	imap_qresync_select(struct imap *, const struct imapp_select *);
/* UID FETCH (CHANGEDSINCE n VANISHED): VANISHED (EARLIER) in the set t. */
int	imap_fetch_vanished(struct imap *, const struct imapp_tok *t,
	    uint64_t since);
void	imap_condstore_fini(struct imap *);

/* ---- ESEARCH, SEARCHRES, SORT, THREAD (imapd_search.c, imapd_sort.c) */
/* The messages matching q (expunged ones left out), ascending seqs;
 * *seqs_r is the caller's to free. */
int	imap_search_seqs(struct imap *, const struct imapp_search *q,
	    uint32_t **seqs_r, size_t *n_r);
/* SEARCHRES "$": forget it (SELECT, EXAMINE, CLOSE, UNSELECT), test a
 * UID, and its messages still in the view as ascending seqs. */
void	imap_saved_clear(struct imap *);
int	imap_saved_has(const struct imap *, uint32_t uid);
int	imap_saved_seqs(struct imap *, uint32_t **seqs_r, size_t *n_r);
int	imap_cmd_sort(struct imap *);
int	imap_cmd_thread(struct imap *);

/* ---- QUOTA, LIST-EXTENDED, COMPRESS (imapx) ---- */
int	imap_cmd_getquotaroot(struct imap *);
int	imap_cmd_getquota(struct imap *);
int	imap_cmd_setquota(struct imap *);
int	imap_cmd_compress(struct imap *);
/* After the completion of COMPRESS: start compressing (-1 ends). */
int	imap_compress_after(struct imap *);

/* ---- IMAP4rev2 (RFC 9051) and UTF8=ACCEPT (RFC 6855): imapd_rev2.c,
 * imapd_binary.c ---- */

/* What the client ENABLEd: IMAP4rev2 behaviour; UTF-8 mailbox names. */
#define IMAP_REV2(s)		(((s)->enabled & IMAPP_EN_IMAP4REV2) != 0)
#define IMAP_UTF8_NAMES(s)	(((s)->enabled & (IMAPP_EN_IMAP4REV2 | \
	    IMAPP_EN_UTF8_ACCEPT)) != 0)

/* A mailbox name argument (C string in name) into the wire name mstore
 * takes: UTF-8 to modified UTF-7 when names are UTF-8; -1 invalid. */
int	imap_name_in(struct imap *, struct sbuf *name);
/* A wire mailbox name appended for a response (UTF-8 when on). */
int	imap_name_fmt(struct imap *, struct sbuf *out, const char *wire,
	    size_t n);
/* IMAP4rev2 SELECT/EXAMINE: "* LIST (attrs) sep name" (no-op for rev1). */
int	imap_select_list(struct imap *, const char *wire);
/* 1 when a search uses RECENT, NEW or OLD (not IMAP4rev2 keys). */
int	imap_search_uses_recent(const struct imapp_search *);
/* 1 when SEARCH names a CHARSET (refused after ENABLE UTF8=ACCEPT). */
int	imap_search_has_charset(const struct imap *);

struct mime_part;
/* FETCH BINARY[...]<partial> / BINARY.PEEK / BINARY.SIZE of one message
 * msg[0..len) parsed as root: the item appended to s->line, for BINARY
 * with its data sent (the line flushed first; *started_r set then).
 * -1 with errno, ENOTSUP for an encoding we cannot undo. */
int	imap_fetch_binary(struct imap *, const char *msg, size_t len,
	    const struct mime_part *root, const struct imapp_fetch_item *,
	    int *started_r);
/* Before a message's answer: -1 (ENOTSUP) when a BINARY item names a
 * part whose encoding we cannot undo ([UNKNOWN-CTE]). */
int	imap_binary_check(const char *msg, const struct mime_part *root,
	    const struct imapp_fetch *);

#endif
