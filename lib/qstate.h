/*
 * qstate.h - the per-recipient delivery state of a queued message
 * (doc/queue.md "The state file"), shared by tern-qmgr (the only writer)
 * and tern-mailq (a reader), and the removal of a finished message.
 *
 * The file state/XX/ID uses the envelope's record framing
 * (envelope_rec_put/get): one type byte, a 4-byte big-endian length, the
 * value.  Layout, in this order:
 *   'V' version (1 byte, QSTATE_VERSION)   'Q' queue id (QID_LEN bytes)
 *   then for each envelope recipient, in envelope order:
 *     'K' status (1)   'C' attempts (4)   'W' next attempt, seconds (8)
 *     'D' last diagnostic, printable ASCII, "X.Y.Z text" (0..QSTATE_DIAG_MAX)
 *     and, only when K is QS_EXPANDED, its targets (1..), each:
 *       'T' kind (1: QS_T_LOCAL or QS_T_REMOTE) then the address
 *       'H' storage host (0..QSTATE_HOST_MAX; empty for remote)
 *       'K' 'C' 'W' 'D' as above (the target's own progress)
 *   'Z' END
 * A recipient that is not yet resolved is QS_PENDING without targets.
 * Resolving it (aliases, lib/resolve) records the targets with the status
 * QS_EXPANDED, so a restart never resolves it again (maps may have
 * changed) and never redelivers a target already QS_DELIVERED.  The
 * reader refuses anything unknown, out of order, truncated or trailing, a
 * status that is not allowed where it stands (a recipient with targets
 * that is not QS_EXPANDED, a target that is), more than QSTATE_TARGETS_MAX
 * targets in all, and (qstate_decode) a queue id or recipient count that
 * differs from the envelope's.
 *
 * qstate_load() reads state/XX/ID (a missing file: every recipient
 * pending, no attempt).  qstate_write_sync() writes state/XX/ID.new
 * (O_EXCL, 0600; a stale one from a crash is removed first), fsyncs it,
 * renames it over state/XX/ID and fsyncs state/XX, so the file is the old
 * or the new state, never half of one.  qstate_remove() is doc/queue.md's
 * transitions 7 and 8: unlink env/XX/ID and fsync env/XX (no longer
 * committed), then unlink state/XX/ID and msg/XX/ID without an fsync (a
 * crash that undoes them leaves S6, which the cleaner removes); a file
 * already gone is not an error.
 *
 * Return convention: qstate_decode returns 0 or -1 with a static message
 * in *why_r (errno EPROTO, or ENOMEM); the others 0 or -1 with errno
 * (qstate_load: EPROTO and *why_r for a bad file).  Ownership: struct
 * qstate is the caller's; qstate_init before use, qstate_fini frees the
 * arrays.
 */
#ifndef TERN_QSTATE_H
#define TERN_QSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/sbuf.h"

#define QSTATE_VERSION		1
#define QSTATE_DIAG_MAX		512	/* doc/queue.md: last diagnostic */
#define QSTATE_HOST_MAX		253	/* a domain name (RFC 1035 2.3.4) */
#define QSTATE_TARGETS_MAX	10000	/* targets of one message, all aliases */
/* The largest file: every record at its maximum. */
#define QSTATE_FILE_MAX	(64 + (size_t)ENV_RCPT_MAX * (4 * 5 + 13 + \
	    QSTATE_DIAG_MAX) + (size_t)QSTATE_TARGETS_MAX * (6 * 5 + 14 + \
	    ENV_ADDR_MAX + QSTATE_HOST_MAX + QSTATE_DIAG_MAX))

enum qstate_status {
	QS_PENDING = 0,		/* not delivered yet (maybe not resolved) */
	QS_DELIVERED = 1,	/* its delivery agent reported success */
	QS_FAILED = 2,		/* failed for good: a DSN is due */
	QS_BOUNCED = 3,		/* failed and the DSN is queued (or none due) */
	QS_RELAYED = 4,		/* handed to an MTA without DSN support */
	QS_EXPANDED = 5		/* resolved: its targets carry the progress */
};
#define QS_NSTATUS	6

enum qstate_kind {
	QS_T_LOCAL = 0,		/* an account delivered by tern-lspawn */
	QS_T_REMOTE = 1		/* an address for tern-remote */
};

struct qstate_item {
	enum qstate_status status;
	uint32_t	 attempts;
	int64_t		 next;		/* seconds since the epoch; 0: now */
	char		 diag[QSTATE_DIAG_MAX + 1];
};

struct qstate_target {
	struct qstate_item it;
	enum qstate_kind kind;
	char		 addr[ENV_ADDR_MAX + 1];
	char		 host[QSTATE_HOST_MAX + 1];
};

struct qstate_rcpt {
	struct qstate_item it;
	size_t		 first;		/* its targets: t[first .. first+n) */
	size_t		 n;
};

struct qstate {
	char		 qid[QID_LEN + 1];
	struct qstate_rcpt *r;
	size_t		 nr;
	struct qstate_target *t;
	size_t		 nt;
	size_t		 tcap;
};

void	qstate_init(struct qstate *);
void	qstate_fini(struct qstate *);
/* A fresh state: nrcpt pending recipients, no targets. */
int	qstate_fresh(struct qstate *, const char *qid, size_t nrcpt);
/*
 * Record the n (>= 1) targets of recipient i, which must have none yet;
 * the recipient becomes QS_EXPANDED.  The targets are copied (their items
 * as given).  -1 with EINVAL, E2BIG (QSTATE_TARGETS_MAX) or ENOMEM.
 */
int	qstate_expand(struct qstate *, size_t i, const struct qstate_target *,
	    size_t n);
int	qstate_encode(const struct qstate *, struct sbuf *out);
int	qstate_decode(const void *, size_t, const char *qid, size_t nrcpt,
	    struct qstate *, const char **why_r);
int	qstate_load(const char *queue_dir, const char *qid, size_t nrcpt,
	    struct qstate *, const char **why_r);
/*
 * When does the message need a worker next?  0 when there is no state
 * file, or when something is failed (a DSN is due) or nothing is pending
 * (only the removal is left); else the earliest retry time of a pending
 * recipient or target.  Only the framing and the K and W records are
 * looked at; workers check the whole file.  0 or -1 with errno.
 */
int	qstate_next_due(const char *queue_dir, const char *qid,
	    int64_t *due_r);
int	qstate_write_sync(const char *queue_dir, const struct qstate *);
int	qstate_remove(const char *queue_dir, const char *qid);
/* Is the status final (delivered, bounced or relayed)? */
int	qstate_is_final(enum qstate_status);
const char *qstate_status_name(enum qstate_status);

#endif
