/*
 * pop3p.c - POP3 command parser.  See pop3p.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lib/pop3p.h"

struct verb_def {
	const char	*name;
	enum pop3p_verb	 verb;
	size_t		 min, max;	/* arguments */
};

static const struct verb_def verbs[] = {
	{ "USER", POP3_USER, 1, 1 },
	{ "PASS", POP3_PASS, 1, 1 },
	{ "STAT", POP3_STAT, 0, 0 },
	{ "LIST", POP3_LIST, 0, 1 },
	{ "RETR", POP3_RETR, 1, 1 },
	{ "DELE", POP3_DELE, 1, 1 },
	{ "NOOP", POP3_NOOP, 0, 0 },
	{ "RSET", POP3_RSET, 0, 0 },
	{ "QUIT", POP3_QUIT, 0, 0 },
	{ "TOP", POP3_TOP, 2, 2 },
	{ "UIDL", POP3_UIDL, 0, 1 },
	{ "CAPA", POP3_CAPA, 0, 0 },
	{ "STLS", POP3_STLS, 0, 0 },
	{ "AUTH", POP3_AUTH, 0, 2 },
	{ "APOP", POP3_APOP, 2, 2 },
	{ NULL, POP3_UNKNOWN, 0, 0 }
};

const char *
pop3p_verb_name(enum pop3p_verb v)
{
	size_t i;

	for (i = 0; verbs[i].name != NULL; i++)
		if (verbs[i].verb == v)
			return verbs[i].name;
	return "?";
}

static int
upper(int c)
{
	return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c;
}

static const struct verb_def *
find_verb(const char *p, size_t n)
{
	size_t i, j;

	for (i = 0; verbs[i].name != NULL; i++) {
		if (strlen(verbs[i].name) != n)
			continue;
		for (j = 0; j < n; j++)
			if (upper((unsigned char)p[j]) != verbs[i].name[j])
				break;
		if (j == n)
			return &verbs[i];
	}
	return NULL;
}

static int
fail(const char **why_r, const char *why)
{
	*why_r = why;
	errno = EINVAL;
	return -1;
}

/* PASS: the rest of the line, any byte but NUL, CR and LF. */
static int
parse_rest(const char *p, size_t n, struct pop3p_cmd *cmd, const char **why_r)
{
	size_t i;

	if (n == 0)
		return fail(why_r, "missing argument");
	for (i = 0; i < n; i++)
		if (p[i] == '\0' || p[i] == '\r' || p[i] == '\n')
			return fail(why_r, "bad byte in argument");
	cmd->arg[0].p = p;
	cmd->arg[0].n = n;
	cmd->nargs = 1;
	return 0;
}

static int
parse_args(const char *p, size_t n, const struct verb_def *d,
    struct pop3p_cmd *cmd, const char **why_r)
{
	size_t i = 0, start, lim;

	while (i < n) {
		if (cmd->nargs == d->max)
			return fail(why_r, "too many arguments");
		start = i;
		while (i < n && p[i] != ' ') {
			if ((unsigned char)p[i] < 0x21 ||
			    (unsigned char)p[i] > 0x7e)
				return fail(why_r, "bad byte in argument");
			i++;
		}
		lim = d->verb == POP3_AUTH && cmd->nargs == 1 ?
		    POP3P_LINE_MAX : POP3P_ARG_MAX;
		if (i == start)
			return fail(why_r, "empty argument");
		if (i - start > lim)
			return fail(why_r, "argument too long");
		cmd->arg[cmd->nargs].p = p + start;
		cmd->arg[cmd->nargs].n = i - start;
		cmd->nargs++;
		while (i < n && p[i] == ' ')
			i++;
	}
	if (cmd->nargs < d->min)
		return fail(why_r, "missing argument");
	return 0;
}

int
pop3p_parse(const char *line, size_t n, struct pop3p_cmd *cmd,
    const char **why_r)
{
	const struct verb_def *d;
	size_t vlen;

	memset(cmd, 0, sizeof *cmd);
	cmd->verb = POP3_UNKNOWN;
	if (n > POP3P_LINE_MAX)
		return fail(why_r, "line too long");
	for (vlen = 0; vlen < n && line[vlen] != ' '; vlen++)
		;
	if (vlen == 0)
		return fail(why_r, "empty command");
	if ((d = find_verb(line, vlen)) == NULL)
		return fail(why_r, "unknown command");
	cmd->verb = d->verb;
	if (d->verb == POP3_PASS && vlen < n)
		return parse_rest(line + vlen + 1, n - vlen - 1, cmd, why_r);
	/* Blanks at the end and runs of blanks between arguments are
	 * taken, as Dovecot takes them ("STAT ", "TOP 1  0"): RFC 1939 asks
	 * for one SP, but a client that sends more means nothing else. */
	while (n > vlen && line[n - 1] == ' ')
		n--;
	for (vlen++; vlen < n && line[vlen] == ' '; vlen++)
		;
	if (vlen >= n)
		return d->min == 0 ? 0 : fail(why_r, "missing argument");
	return parse_args(line + vlen, n - vlen, d, cmd, why_r);
}

static int
parse_num(const char *p, size_t n, uint64_t min, uint64_t *num_r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || (n > 1 && p[0] == '0')) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
		if (v > POP3P_MSGNUM_MAX) {
			errno = ERANGE;
			return -1;
		}
	}
	if (v < min) {
		errno = ERANGE;
		return -1;
	}
	*num_r = v;
	return 0;
}

int
pop3p_msgnum(const char *p, size_t n, uint64_t *num_r)
{
	return parse_num(p, n, 1, num_r);
}

int
pop3p_count(const char *p, size_t n, uint64_t *num_r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > POP3P_ARG_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		if (v < POP3P_COUNT_MAX)
			v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*num_r = v < POP3P_COUNT_MAX ? v : POP3P_COUNT_MAX;
	return 0;
}
