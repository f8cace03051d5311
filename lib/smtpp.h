/*
 * smtpp.h - SMTP/LMTP command parsing for the server side (RFC 5321 4.1.1,
 * RFC 1870 SIZE, RFC 6152 8BITMIME, RFC 3030 CHUNKING/BINARYMIME, RFC 3461
 * DSN, RFC 4954 AUTH, RFC 6531 SMTPUTF8, RFC 3207 STARTTLS, RFC 2033 LHLO),
 * plus the RFC 3461 section 4 xtext codec.  Pure parsing: no I/O.
 *
 * smtpp_parse_cmd() takes one command line WITHOUT its terminator (as
 * bio_getline gives it; the line length limit is the caller's) and fills a
 * struct smtp_cmd.  The rules, strict on purpose:
 *   - NUL, CR or LF anywhere -> SMTPP_EBADCHAR (500 5.5.2), checked first.
 *   - The verb is matched case-insensitively; an unknown verb -> SMTPP_EUNKNOWN
 *     (500 5.5.1).  Whether a known verb is allowed now (LHLO only in LMTP,
 *     AUTH only after EHLO, ...) is the caller's state machine.
 *   - Exactly one SP separates the verb from its argument; verbs without an
 *     argument (DATA RSET QUIT STARTTLS) take nothing, not even a trailing
 *     space.  "MAIL FROM:" and "RCPT TO:" (any case) carry the colon; the
 *     path follows it directly, or after ONE space, which Postfix also
 *     tolerates (real clients send it).  Nothing else is lax.
 *   - MAIL: the reverse-path through addr_parse_path with ADDR_NULL_OK;
 *     RCPT: the forward-path with ADDR_POSTMASTER_OK (never "<>").  UTF-8
 *     in a MAIL path needs the SMTPUTF8 parameter on the same command; in a
 *     RCPT path it needs SMTPP_F_UTF8 (the transaction said SMTPUTF8);
 *     otherwise SMTPP_EUTF8 (553 5.6.7).  A bad path -> SMTPP_EADDR
 *     (501 5.1.7 for MAIL, 501 5.1.3 for RCPT).
 *   - ESMTP parameters: SP-separated esmtp-keyword ["=" esmtp-value]
 *     (keyword = ALNUM *(ALNUM / "-"), value = 1*(%d33-60 / %d62-126)).
 *     Malformed -> SMTPP_ESYNTAX (501 5.5.4).  An unknown keyword ->
 *     SMTPP_EPARAM (555 5.5.4).  A duplicate, or a known keyword with a bad
 *     value -> SMTPP_EPARAMVAL (501 5.5.4).  Known, and recorded as
 *     SMTPP_P_* bits in cmd->params (the caller refuses those it did not
 *     advertise, e.g. RET without DSN):
 *       MAIL: SIZE=digits (RFC 1870; a number above UINT64_MAX saturates, so
 *             the caller answers 552 5.3.4), BODY=7BIT|8BITMIME|BINARYMIME,
 *             SMTPUTF8 (no value), AUTH=xtext(addr-spec) or AUTH=<>,
 *             RET=FULL|HDRS, ENVID=xtext (decoded: printable ASCII,
 *             at most SMTPP_ENVID_MAX bytes);
 *       RCPT: NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY (no
 *             repeats), ORCPT=rfc822;xtext (decoded: an address per
 *             addr_parse, at most SMTPP_ORCPT_MAX bytes).
 *     Values are matched case-insensitively.
 *   - BDAT SP chunk-size [SP "LAST"]: digits only, overflow -> SMTPP_ESYNTAX.
 *   - AUTH SP mechanism [SP initial-response]: mechanism 1..20 of A-Z a-z
 *     0-9 "-" "_" (RFC 4422 3.1); the response is "=" (empty) or strict
 *     base64 (base64_check).  It is not decoded here.
 *   - HELO/EHLO/LHLO SP (Domain / address-literal): the domain through
 *     addr_parse_domain (ASCII), else, as Postfix and Exim (with '_')
 *     take them, labels of LDH and '_' with an optional final dot
 *     ("my_pc", "host.example."); a literal "[IPv4]" or "[IPv6:...]"
 *     through inet_pton.  cmd->arg keeps it as given; it holds only LDH,
 *     '_', '.', ':', '[' and ']', but escape it anyway (sbuf_cat_escaped) when it goes into
 *     a Received header or a log.
 *   - VRFY and EXPN SP string, NOOP and HELP [SP string]: the string is
 *     1*(%d32-126) and is only pointed at (cmd->arg).
 *
 * Return convention: SMTPP_OK (0) or a negative SMTPP_E* code, with a static
 * reason in *why_r; smtpp_reply() maps a code to the reply to send.  Every
 * validator returns success from one place, at its end.
 *
 * Ownership: cmd->arg, cmd->mech and cmd->initial point INTO the caller's
 * line, which must outlive the struct; everything else is copied into the
 * struct (fixed arrays bounded by the limits below).
 *
 * xtext (RFC 3461 4): xchar = "!".."~" except "+" and "="; "+" must be
 * followed by two UPPERCASE hex digits.  smtpp_xtext_decode() replaces out
 * with the decoded bytes (0, or -1 with errno EINVAL and *why_r, E2BIG,
 * ENOMEM); smtpp_xtext_encode() appends the encoding of any bytes
 * ("+XX" for "+", "=", controls, space and bytes >= 127).
 */
#ifndef TERN_SMTPP_H
#define TERN_SMTPP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/addr.h"

struct sbuf;

/* Suggested bio_getline limits (the caller enforces them). */
#define SMTPP_CMD_LINE_MAX	2048	/* RFC 5321 4.5.3.1.4 says 512, and
					 * extensions may raise it: DSN's
					 * ORCPT alone may take 500 */
#define SMTPP_AUTH_LINE_MAX	12288	/* RFC 4954 4: AUTH and responses */

#define SMTPP_ENVID_MAX		100	/* RFC 3461 4.4 */
#define SMTPP_ORCPT_MAX		500	/* RFC 3461 4.2 */
#define SMTPP_MECH_MAX		20	/* RFC 4422 3.1 */

enum smtp_verb {
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_LHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_BDAT,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH
};

enum smtp_body {
	SMTP_BODY_NONE,		/* no BODY= parameter */
	SMTP_BODY_7BIT,
	SMTP_BODY_8BITMIME,
	SMTP_BODY_BINARYMIME
};

enum smtp_ret {
	SMTP_RET_NONE,		/* no RET= parameter */
	SMTP_RET_FULL,
	SMTP_RET_HDRS
};

/* Flags for smtpp_parse_cmd(). */
#define SMTPP_F_UTF8		0x01	/* the transaction is SMTPUTF8 */

/* cmd->params bits: which ESMTP parameters were given. */
#define SMTPP_P_SIZE		0x001
#define SMTPP_P_BODY		0x002
#define SMTPP_P_SMTPUTF8	0x004
#define SMTPP_P_AUTH		0x008
#define SMTPP_P_RET		0x010
#define SMTPP_P_ENVID		0x020
#define SMTPP_P_NOTIFY		0x040
#define SMTPP_P_ORCPT		0x080

/* cmd->notify bits (RFC 3461 4.1). */
#define SMTPP_NOTIFY_NEVER	0x01
#define SMTPP_NOTIFY_SUCCESS	0x02
#define SMTPP_NOTIFY_FAILURE	0x04
#define SMTPP_NOTIFY_DELAY	0x08

/* Results; the reply each one calls for is in the comment. */
#define SMTPP_OK		0
#define SMTPP_EUNKNOWN		(-1)	/* 500 5.5.1 unrecognised command */
#define SMTPP_EBADCHAR		(-2)	/* 500 5.5.2 NUL or bare CR/LF */
#define SMTPP_ESYNTAX		(-3)	/* 501 5.5.4 (5.5.2) bad arguments */
#define SMTPP_EADDR		(-4)	/* 501 5.1.7 MAIL / 5.1.3 RCPT */
#define SMTPP_EUTF8		(-5)	/* 553 5.6.7 UTF-8 without SMTPUTF8 */
#define SMTPP_EPARAM		(-6)	/* 555 5.5.4 unknown parameter */
#define SMTPP_EPARAMVAL		(-7)	/* 501 5.5.4 duplicate or bad value */

struct smtp_cmd {
	enum smtp_verb verb;
	/* HELO/EHLO/LHLO domain or literal, VRFY/EXPN/NOOP/HELP string:
	 * points into the line, NULL/0 when absent. */
	const char	*arg;
	size_t		 arg_len;
	int		 arg_is_literal;	/* HELO/EHLO/LHLO [literal] */

	/* MAIL and RCPT. */
	struct addr	 path;
	unsigned	 params;		/* SMTPP_P_* */
	uint64_t	 size;			/* SIZE= */
	enum smtp_body	 body;
	enum smtp_ret	 ret;
	struct addr	 auth;			/* AUTH=; auth.is_null for <> */
	char		 envid[SMTPP_ENVID_MAX + 1];	/* decoded, NUL-ended */
	size_t		 envid_len;
	unsigned	 notify;		/* SMTPP_NOTIFY_* */
	char		 orcpt[SMTPP_ORCPT_MAX + 1];	/* decoded, NUL-ended */
	size_t		 orcpt_len;

	/* BDAT. */
	uint64_t	 chunk_size;
	int		 last;

	/* AUTH: the mechanism (as given) and the initial response (the
	 * base64 text, not decoded; "=" gives has_initial with length 0). */
	const char	*mech;
	size_t		 mech_len;
	const char	*initial;
	size_t		 initial_len;
	int		 has_initial;
};

int	smtpp_parse_cmd(const char *line, size_t len, unsigned flags,
	    struct smtp_cmd *out, const char **why_r);
/* The verb's name in upper case ("MAIL"). */
const char *smtpp_verb_name(enum smtp_verb);
/* The reply code and enhanced status (RFC 3463) for an SMTPP_E* result of
 * a command with the given verb: 500/"5.5.1", 501/"5.1.3", ... */
void	smtpp_reply(int rc, enum smtp_verb, int *code_r, const char **enh_r);

int	smtpp_xtext_decode(const char *p, size_t n, struct sbuf *out,
	    const char **why_r);
int	smtpp_xtext_encode(const void *p, size_t n, struct sbuf *out);

#endif
