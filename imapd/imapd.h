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
#define IMAP_FOLDER_NAME_MAX	64	/* a special-use folder name from tern.conf */

#define IMAP_CAPA_COMMON	"IMAP4rev1 SASL-IR ID ENABLE IDLE LITERAL+"
#define IMAP_CAPA_AUTHED	IMAP_CAPA_COMMON " NAMESPACE UIDPLUS MOVE " \
	"UNSELECT CHILDREN SPECIAL-USE"

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
/* Is there a literal at the end of the line?  1 with *n_r and *plus_r,
 * 0 none, -1 malformed ({} with junk, overflow). */
int	imapd_line_literal(const char *p, size_t n, uint64_t *n_r, int *plus_r);

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
};

int	imap_preauth(struct imap_pre *);

/* ---- the post-auth worker (imapd_session.c and the commands) ---- */

enum imap_special {
	IMAP_SP_DRAFTS, IMAP_SP_SENT, IMAP_SP_TRASH, IMAP_SP_JUNK,
	IMAP_SP_ARCHIVE, IMAP_SPECIAL_N
};

struct imap {
	struct bio	*b;
	const char	*user;
	struct imapd_reader rd;
	struct sbuf	 cmd;		/* the command as read */
	struct sbuf	 line;		/* one response line being built */
	char		 tag[IMAP_TAG_MAX + 1];
	int64_t		 timeout_ms, idle_ms;
	uint64_t	 literal_max;
	char		 sep;
	char		 special_buf[8 * IMAP_FOLDER_NAME_MAX];
	const char	*special[IMAP_SPECIAL_N];	/* NULL: none */
	int		 errors;	/* bad commands */
	int		 done;		/* LOGOUT */
	unsigned	 enabled;	/* ENABLEd extensions */
	struct imap_box	*box;		/* the selected mailbox, or NULL */
	struct imap_acct *acct;		/* the account's folders */
};

/* The worker: returns the process exit code. */
int	imap_worker(void);

/* Responses.  imap_out: one untagged/continuation line (buffered);
 * imap_tagged: the tagged completion, flushed.  -1: the client is gone. */
int	imap_out(struct imap *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	imap_tagged(struct imap *, const char *what, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
int	imap_bad(struct imap *, const char *why);
int	imap_no(struct imap *, const char *why);
int	imap_ok(struct imap *, const char *what);

/* Dispatch one command in s->cmd (imapd_cmd.c); -1 ends the session. */
int	imap_dispatch(struct imap *);
/* Announce changes of the selected mailbox (EXISTS, RECENT, EXPUNGE,
 * FETCH FLAGS); expunges only when may_expunge. */
int	imap_untagged_updates(struct imap *, int may_expunge);
int	imap_account_open(struct imap *);
void	imap_account_close(struct imap *);
void	imap_close_mailbox(struct imap *);

#endif
