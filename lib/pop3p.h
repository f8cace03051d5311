/*
 * pop3p.h - the POP3 command parser (RFC 1939, RFC 2449, RFC 2595,
 * RFC 5034) shared by tern-pop3d's pre-auth and post-auth halves.
 *
 * pop3p_parse(line, n, &cmd, &why) takes one command line WITHOUT its
 * CRLF (a pointer and a length: no NUL needed, nothing read past n) and
 * fills cmd: the verb (case-insensitive keyword) and its arguments as
 * slices into the line.  Arguments are separated by SP (RFC 1939 3 says
 * one; runs of SP and SP at the end of the line are taken, as Dovecot
 * takes them); each is 1..POP3P_ARG_MAX printable ASCII bytes (0x21..0x7e),
 * except PASS, whose single argument is the rest of the line (passwords
 * may hold blanks; any byte but NUL, CR and LF), and the AUTH initial
 * response, which may be up to POP3P_LINE_MAX bytes.  The number of
 * arguments is checked per verb.  It returns 0, or -1 with a static reason
 * in *why_r (cmd->verb then says which verb was recognised, POP3_UNKNOWN
 * if none).
 *
 * pop3p_msgnum(p, n, &num) parses a message number: 1..POP3P_MSGNUM_MAX,
 * digits only, no sign, no leading zero.  pop3p_count parses a TOP line
 * count: digits only (leading zeros allowed), and any value of
 * POP3P_COUNT_MAX or more gives POP3P_COUNT_MAX ("TOP 1 99999999" is how
 * fetchmail asks for a whole message).  Both return 0 or -1 (errno
 * EINVAL/ERANGE).
 */
#ifndef TERN_POP3P_H
#define TERN_POP3P_H

#include <stddef.h>
#include <stdint.h>

/* RFC 2449 4 allows 255 octets; AUTH PLAIN with a PASSWD_PASSWORD_MAX
 * password and a long address needs more (RFC 5034 4 lets the server
 * choose): 2048 holds base64 of 254 + 254 + 511 bytes. */
#define POP3P_LINE_MAX		2048
#define POP3P_ARG_MAX		255	/* RFC 1939 3 says 40; be generous */
#define POP3P_MSGNUM_MAX	10000000	/* far above any mailbox */
#define POP3P_ARGS		2
#define POP3P_COUNT_MAX		(UINT64_MAX / 16)	/* "all the lines" */

enum pop3p_verb {
	POP3_UNKNOWN = 0,
	POP3_USER,
	POP3_PASS,
	POP3_STAT,
	POP3_LIST,
	POP3_RETR,
	POP3_DELE,
	POP3_NOOP,
	POP3_RSET,
	POP3_QUIT,
	POP3_TOP,
	POP3_UIDL,
	POP3_CAPA,
	POP3_STLS,
	POP3_AUTH,
	POP3_APOP
};

struct pop3p_arg {
	const char	*p;
	size_t		 n;
};

struct pop3p_cmd {
	enum pop3p_verb	 verb;
	size_t		 nargs;
	struct pop3p_arg arg[POP3P_ARGS];
};

int	pop3p_parse(const char *line, size_t n, struct pop3p_cmd *cmd,
	    const char **why_r);
int	pop3p_msgnum(const char *p, size_t n, uint64_t *num_r);
int	pop3p_count(const char *p, size_t n, uint64_t *num_r);
const char *pop3p_verb_name(enum pop3p_verb);

#endif
