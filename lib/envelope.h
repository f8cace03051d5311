/*
 * envelope.h - the queue envelope: typed, length-prefixed records closed by
 * an END record (STYLE 6, doc/queue.md "Envelope format").
 *
 * A record is one type byte, a 4-byte big-endian length, then that many
 * bytes of value.  An envelope is exactly this sequence of records, in
 * this order, each once (the recipient group repeats 1..ENV_RCPT_MAX
 * times):
 *   'V' version     1 byte, ENV_VERSION
 *   'Q' queue id    0 bytes (not yet assigned) or QID_LEN bytes
 *   'T' arrival     8 bytes, big-endian seconds since the epoch (0: not
 *                   yet assigned)
 *   'B' body type   1 byte, enum env_body
 *   'F' flags       1 byte, ENV_F_* bits
 *   'E' ENVID       0..ENV_ENVID_MAX bytes (RFC 3461, xtext decoded)
 *   'X' RET         1 byte, enum env_ret
 *   'S' sender      0..ENV_ADDR_MAX bytes, a mailbox as addr_format writes
 *                   it; empty is the null sender <>
 *   'I' client ip   0..ENV_IP_MAX bytes, an IPv4 or IPv6 address in text
 *                   (empty: submitted locally)
 *   'H' helo        0..ENV_HELO_MAX bytes
 *   'U' auth user   0..ENV_AUTH_MAX bytes (empty: not authenticated)
 *   then per recipient:
 *   'R' recipient   1..ENV_ADDR_MAX bytes, a mailbox
 *   'O' ORCPT       0..ENV_ORCPT_MAX bytes, "addr-type;xtext" as received
 *   'N' NOTIFY      1 byte, ENV_N_* bits (0: not given)
 *   'A' original    0..ENV_ADDR_MAX bytes, the address before rewriting
 *   'Z' END         0 bytes, and nothing may follow it.
 * Every text field is free of NUL and other control bytes (< 0x20, 0x7f);
 * ENVID is printable ASCII or space, ORCPT printable ASCII; sender and recipients must pass
 * addr_parse (with ADDR_UTF8 when ENV_F_SMTPUTF8 is set; a recipient may
 * be a bare "postmaster").  The whole encoding is at most ENV_FILE_MAX
 * bytes.
 *
 * envelope_read(buf, len, flags, env, &why) decodes and validates; it
 * rejects anything unknown, out of order, repeated, truncated, oversized
 * or trailing after END.  With ENV_R_QUEUED it also requires an assigned
 * queue id and arrival time (a queued envelope).  It returns 0, or a
 * negative ENV_E* code with a static reason in *why_r.  env must have been
 * envelope_init()ed; it is reset first and holds the result (valid only
 * on success; envelope_fini() in every case).
 * envelope_encode(env, out) replaces out with the records after the same
 * checks (so a writer can never produce what a reader refuses): 0, or -1
 * with errno (EINVAL for an invalid field, E2BIG, ENOMEM).
 * envelope_write(fd, env) encodes and writes it all: 0 or -1 with errno.
 *
 * The record framing is shared with the queue manager's status file:
 * envelope_rec_put() appends one record; envelope_rec_get() takes the
 * next record from a cursor (0, or -1 at a truncated record).
 *
 * Ownership: struct envelope holds its strings in fixed arrays (the
 * limits above, NUL-terminated) and its recipients in one heap array that
 * envelope_fini() frees; envelope_add_rcpt() appends one.
 */
#ifndef TERN_ENVELOPE_H
#define TERN_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/qid.h"
#include "lib/sbuf.h"

#define ENV_VERSION	1
#define ENV_ADDR_MAX	254	/* RFC 5321 4.5.3.1.3: path 256 less "<>" */
#define ENV_IP_MAX	45	/* INET6_ADDRSTRLEN - 1 */
#define ENV_HELO_MAX	504	/* RFC 5321 command line 512 less "EHLO \r\n" */
#define ENV_AUTH_MAX	255	/* an account name: an address or a login */
#define ENV_ENVID_MAX	100	/* RFC 3461 4.4 */
#define ENV_ORCPT_MAX	500	/* RFC 3461 4.2 */
#define ENV_RCPT_MAX	1000	/* per message; RFC 5321 4.5.3.1.8 asks 100 */
#define ENV_REC_HDR	5	/* type byte + 4-byte length */
/* Largest header part and recipient group, and the whole file. */
#define ENV_HEAD_MAX	(11 * ENV_REC_HDR + 1 + QID_LEN + 8 + ENV_ADDR_MAX + \
	    ENV_IP_MAX + ENV_HELO_MAX + ENV_AUTH_MAX + 1 + 1 + \
	    ENV_ENVID_MAX + 1)
#define ENV_RCPT_REC_MAX (4 * ENV_REC_HDR + ENV_ADDR_MAX + ENV_ORCPT_MAX + \
	    1 + ENV_ADDR_MAX)
#define ENV_FILE_MAX	(ENV_HEAD_MAX + ENV_RCPT_MAX * ENV_RCPT_REC_MAX + \
	    ENV_REC_HDR)

/* Record types. */
#define ENV_REC_VERSION	'V'
#define ENV_REC_QID	'Q'
#define ENV_REC_TIME	'T'
#define ENV_REC_SENDER	'S'
#define ENV_REC_IP	'I'
#define ENV_REC_HELO	'H'
#define ENV_REC_AUTH	'U'
#define ENV_REC_BODY	'B'
#define ENV_REC_FLAGS	'F'
#define ENV_REC_ENVID	'E'
#define ENV_REC_RET	'X'
#define ENV_REC_RCPT	'R'
#define ENV_REC_ORCPT	'O'
#define ENV_REC_NOTIFY	'N'
#define ENV_REC_ORIG	'A'
#define ENV_REC_END	'Z'

enum env_body {
	ENV_BODY_NONE = 0,	/* no BODY= given (7BIT) */
	ENV_BODY_7BIT = 1,
	ENV_BODY_8BITMIME = 2,
	ENV_BODY_BINARYMIME = 3,
};

enum env_ret {
	ENV_RET_NONE = 0,	/* no RET= given */
	ENV_RET_FULL = 1,
	ENV_RET_HDRS = 2,
};

#define ENV_F_SMTPUTF8	0x01
#define ENV_F_ALL	0x01

#define ENV_N_NEVER	0x01
#define ENV_N_SUCCESS	0x02
#define ENV_N_FAILURE	0x04
#define ENV_N_DELAY	0x08
#define ENV_N_ALL	0x0f

/* envelope_read flags. */
#define ENV_R_QUEUED	0x01	/* queue id and arrival time required */

/* envelope_read results. */
#define ENV_OK		0
#define ENV_ETRUNC	(-1)	/* a record or the END is missing */
#define ENV_ETYPE	(-2)	/* unknown or out-of-order record */
#define ENV_ELEN	(-3)	/* a value too long or of the wrong size */
#define ENV_EVALUE	(-4)	/* a value that does not check out */
#define ENV_ETRAIL	(-5)	/* bytes after END */
#define ENV_EBIG	(-6)	/* too many recipients or bytes */
#define ENV_ENOMEM	(-7)	/* out of memory (temporary) */

struct envelope_rcpt {
	char		addr[ENV_ADDR_MAX + 1];
	char		orcpt[ENV_ORCPT_MAX + 1];
	unsigned	notify;			/* ENV_N_* */
	char		orig[ENV_ADDR_MAX + 1];
};

struct envelope {
	char		qid[QID_LEN + 1];	/* "" when not assigned */
	uint64_t	arrival;		/* 0 when not assigned */
	char		sender[ENV_ADDR_MAX + 1]; /* "" for <> */
	char		client_ip[ENV_IP_MAX + 1];
	char		helo[ENV_HELO_MAX + 1];
	char		auth_user[ENV_AUTH_MAX + 1];
	enum env_body	body;
	unsigned	flags;			/* ENV_F_* */
	char		envid[ENV_ENVID_MAX + 1];
	enum env_ret	ret;
	struct envelope_rcpt *rcpt;
	size_t		nrcpt;
	size_t		rcpt_cap;
};

void	envelope_init(struct envelope *);
void	envelope_fini(struct envelope *);
/* Append a recipient (orcpt and orig may be NULL or ""): 0 or -1 with
 * errno (EINVAL: a field too long; E2BIG: ENV_RCPT_MAX; ENOMEM). */
int	envelope_add_rcpt(struct envelope *, const char *addr,
	    const char *orcpt, unsigned notify, const char *orig);
int	envelope_read(const void *buf, size_t len, int flags,
	    struct envelope *, const char **why_r);
int	envelope_encode(const struct envelope *, struct sbuf *out);
int	envelope_write(int fd, const struct envelope *);

/* The DSN fields' checks, 1 when valid (lib/remote shares them):
 * ENVID decoded, printable ASCII or space; ORCPT "type;xtext", printable
 * ASCII without space; NOTIFY ENV_N_* bits, NEVER alone (0: not given). */
int	envelope_envid_ok(const void *, size_t);
int	envelope_orcpt_ok(const void *, size_t);
int	envelope_notify_ok(unsigned);

int	envelope_rec_put(struct sbuf *, int type, const void *, size_t);
struct envelope_cursor {
	const unsigned char *p;
	size_t		 left;
};
int	envelope_rec_get(struct envelope_cursor *, int *type_r,
	    const unsigned char **val_r, size_t *len_r);

#endif
