/*
 * lspawn.h - the records tern-qmgr sends to tern-lspawn (the root launcher
 * of local deliveries), the records tern-lspawn hands each tern-local on
 * fd 3, and the results that come back; plus the client qmgr calls.
 *
 * WIRE FORMAT.  A stream of records, each: one type byte, a 4-byte
 * big-endian payload length, the payload; closed by an END record ('E',
 * length 0).  Nothing may follow END.  Strings carry no NUL and no
 * control byte below 0x20 (except where said); numbers are 8-byte
 * big-endian.  A reader rejects an unknown type, a record out of order or
 * repeated, a length over the type's maximum, a truncated record, a
 * missing END and any byte after END.
 *
 * Request (qmgr -> lspawn, and lspawn -> tern-local on fd 3), in order:
 *   'Q' queue id        1..LSPAWN_QID_MAX bytes of [A-Za-z0-9._-]  once
 *   'P' message path    absolute, 1..LSPAWN_PATH_MAX               0 or 1
 *                       (lspawn requires it; tern-local ignores it)
 *   'S' sender          0..LSPAWN_ADDR_MAX (empty: the null sender) once
 *   'R' recipient       1..LSPAWN_ADDR_MAX, a final local account address
 *   'O' orig. recipient 1..LSPAWN_ADDR_MAX, optional after its 'R'
 *                       ('R' 'O'? repeated 1..LSPAWN_RCPT_MAX times)
 *   'L' linked name     the tmp/ name of a single-instance copy already
 *                       linked into the Maildir by lspawn          0 or 1
 *   'U' quota           8 bytes, bytes; 0 = none                   0 or 1
 *   'E' END
 * 'L' and 'U' are set only by tern-lspawn for tern-local (which gets
 * exactly one 'R'); tern-lspawn refuses a request from qmgr carrying them.
 *
 * Response (lspawn -> qmgr), one pair per recipient in request order:
 *   'R' recipient  as requested
 *   'X' result     the tern-local result line: "ok NAME",
 *                  "defer X.Y.Z text", "bounce X.Y.Z text"
 *                  (1..LSPAWN_TEXT_MAX)
 *   'E' END
 *
 * Return convention: encoders and lspawn_read_records return 0 / -1 with
 * errno; decoders return 0, or -1 with errno EPROTO and a static message
 * in *why_r.  lspawn_deliver returns 0 (results filled, one per recipient,
 * each may still be a defer or a bounce) or -1 with errno (the caller
 * defers every recipient).  Ownership: the caller owns the structs;
 * *_init before use, *_fini frees what decoding allocated.
 */
#ifndef TERN_LSPAWN_H
#define TERN_LSPAWN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

#define LSPAWN_QID_MAX	64	/* queue ids are short hex/alnum names */
#define LSPAWN_PATH_MAX	1024	/* message path inside queue_dir */
#define LSPAWN_ADDR_MAX	256	/* RFC 5321 4.5.3.1.3: path */
#define LSPAWN_NAME_MAX	255	/* a file name (NAME_MAX) */
#define LSPAWN_TEXT_MAX	512	/* a result line */
#define LSPAWN_RCPT_MAX	1000	/* recipients per request */
/* Largest encoded request or response: every record at its maximum. */
#define LSPAWN_MSG_MAX	((size_t)LSPAWN_RCPT_MAX * \
	    (2 * (LSPAWN_ADDR_MAX + 5) + LSPAWN_TEXT_MAX + 5) + 4096)
#define LSPAWN_CLIENT_TIMEOUT_MS (3600 * 1000)	/* lspawn_deliver budget */

/* Record types. */
#define LSPAWN_T_QID	'Q'
#define LSPAWN_T_PATH	'P'
#define LSPAWN_T_SENDER	'S'
#define LSPAWN_T_RCPT	'R'
#define LSPAWN_T_ORCPT	'O'
#define LSPAWN_T_LINKED	'L'
#define LSPAWN_T_QUOTA	'U'
#define LSPAWN_T_RESULT	'X'
#define LSPAWN_T_END	'E'

struct lspawn_rcpt {
	char		*addr;
	char		*orcpt;		/* NULL: none */
};

struct lspawn_req {
	char		*qid;
	char		*path;		/* NULL: none */
	char		*sender;	/* "" for the null sender */
	struct lspawn_rcpt *rcpt;
	size_t		 nrcpt;
	char		*linked;	/* NULL: none ('L') */
	uint64_t	 quota;		/* 'U'; 0: none */
	int		 has_quota;
};

enum lspawn_status {
	LSPAWN_OK = 0,
	LSPAWN_DEFER,
	LSPAWN_BOUNCE
};

struct lspawn_result {
	char		*addr;
	enum lspawn_status status;
	char		*line;		/* the whole result line */
	const char	*text;		/* into line: after the status word */
};

struct lspawn_results {
	struct lspawn_result *r;
	size_t		 n;
};

void	lspawn_req_init(struct lspawn_req *);
void	lspawn_req_fini(struct lspawn_req *);
/* Building a request: copies of the strings are made. */
int	lspawn_req_set(struct lspawn_req *, const char *qid, const char *path,
	    const char *sender);
int	lspawn_req_add_rcpt(struct lspawn_req *, const char *addr,
	    const char *orcpt);
int	lspawn_req_set_linked(struct lspawn_req *, const char *name);
int	lspawn_req_encode(const struct lspawn_req *, struct sbuf *out);
int	lspawn_req_decode(const void *, size_t, struct lspawn_req *,
	    const char **why_r);

void	lspawn_results_init(struct lspawn_results *);
void	lspawn_results_fini(struct lspawn_results *);
/* Append one result; line is a result line as tern-local prints it. */
int	lspawn_results_add(struct lspawn_results *, const char *addr,
	    const char *line, size_t linelen);
int	lspawn_results_encode(const struct lspawn_results *, struct sbuf *out);
int	lspawn_results_decode(const void *, size_t, struct lspawn_results *,
	    const char **why_r);

/*
 * Check a result line ("ok NAME", "defer 4.x.x text", "bounce 5.x.x
 * text"; no control bytes): 0 with the status and the offset of the text,
 * or -1 with *why_r.
 */
int	lspawn_result_parse(const char *, size_t, enum lspawn_status *,
	    size_t *text_off_r, const char **why_r);
const char *lspawn_status_name(enum lspawn_status);

/*
 * Read records from fd into out (reset first) up to and including END,
 * never past it, at most max bytes, before the deadline (io_now_ms()
 * based; IO_NO_DEADLINE for none).  Only the framing is checked here;
 * decode afterwards.  -1 with errno EPROTO on EOF before END, E2BIG over
 * max, ETIMEDOUT.
 */
int	lspawn_read_records(int fd, struct sbuf *out, size_t max,
	    int64_t deadline);

/*
 * The client.  lspawn_deliver() connects to the Unix socket sockpath,
 * sends the request, reads the response (blocking, at most
 * LSPAWN_CLIENT_TIMEOUT_MS) and checks that it names the request's
 * recipients in order.  A poll loop (tern-qmgr) uses the two halves
 * instead: lspawn_send() returns the connected descriptor (close-on-exec,
 * blocking) after writing the request; when it polls readable,
 * lspawn_recv() reads up to END before the deadline, decodes and checks;
 * the caller closes the descriptor.  No SIGPIPE is ever raised.  The
 * launcher answers only when every recipient is done: allow at least
 * recipients x local_timeout.
 */
int	lspawn_deliver(const char *sockpath, const struct lspawn_req *,
	    struct lspawn_results *results_r);
/*
 * lspawn_deliver_kept() is lspawn_deliver() over a connection kept in *fdp
 * between calls (-1: none yet; it connects).  The launcher serves any
 * number of requests per connection and closes an idle one; a kept
 * connection found closed before any answer is replaced once.  On -1 the
 * connection is closed (*fdp = -1); the caller closes it when done.
 */
int	lspawn_deliver_kept(int *fdp, const char *sockpath,
	    const struct lspawn_req *, struct lspawn_results *results_r);
int	lspawn_send(const char *sockpath, const struct lspawn_req *);
int	lspawn_recv(int fd, const struct lspawn_req *,
	    struct lspawn_results *results_r, int64_t deadline);

#endif
