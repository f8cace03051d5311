/*
 * qmgr.h - what the parts of tern-qmgr share: the settings read once in
 * main, the worker that makes one delivery attempt for one message
 * (qmgr_work.c), local delivery (qmgr_deliver.c), remote delivery
 * (qmgr_remote.c) and delivery status
 * notifications (qmgr_dsn.c).  See tern-qmgr(8) and doc/queue.md.
 *
 * The parent process (tern-qmgr.c) schedules; each attempt runs in one
 * of its long-lived workers, one message per worker at a time; that
 * worker alone reads and writes the message's state file while it runs.
 * Nothing of a message is kept in a worker between attempts.
 */
#ifndef TERN_QMGR_H
#define TERN_QMGR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/qstate.h"
#include "lib/resolve.h"

#define QMGR_HOST_MAX	255
#define QMGR_SCHED_MAX	32		/* entries of queue_retry_schedule */
#define QMGR_PATH_MAX	4096
/* ENVID of a bounce of a bounce: never reported again (no loop). */
#define QMGR_DOUBLE_ENVID "tern-double-bounce"
#define QMGR_BROKEN_RETRY 3600		/* recheck a broken message hourly */
#define QMGR_DSN_RETRY	300		/* retry a DSN tern-enqueue refused */

struct qmgr {
	const char	*conf_dir;	/* folder of tern.conf: TERN_HOME */
	const char	*queue_dir;
	const char	*program_dir;
	const char	*map_dir;
	const char	*lspawn_socket;
	const char	*delims;
	char		 hostname[QMGR_HOST_MAX + 1];
	int		 storage;	/* roles has storage: tern-lspawn here */
	char		 postmaster[ENV_ADDR_MAX + 1];
	uint64_t	 lifetime;
	uint64_t	 sched[QMGR_SCHED_MAX];
	size_t		 nsched;
	uint64_t	 rescan;
	uint64_t	 concurrency;
	uint64_t	 size_limit;
	/* Remote delivery (qmgr_remote.c). */
	const char	*run_dir;
	const char	*relay_host;	/* "" for none */
	char		**tls_words;	/* tls_policy, DOMAIN:POLICY */
	size_t		 ntls;
	int		 tls_default;	/* enum remote_tls */
	uint64_t	 remote_concurrency;	/* per destination; 0 none */
	const char	*remote_socket;	/* tern-remote -S; "": none */
};

/* What a worker tells the parent. */
enum qmgr_outcome {
	QW_DUE = 0,		/* still queued; try again at *due_r */
	QW_REMOVED,		/* every recipient final: removed */
	QW_GONE,		/* no such message (removed meanwhile) */
	QW_BROKEN		/* unreadable envelope or state: left alone */
};

/* One delivery attempt for message qid (force: ignore retry times). */
enum qmgr_outcome qmgr_work(const struct qmgr *, const char *qid, int force,
	    int64_t *due_r);

/* The worker's view of one message during an attempt. */
struct qmgr_msg {
	const struct qmgr *q;
	const char	*qid;
	struct envelope	 env;
	struct qstate	 st;
	int64_t		 now;
	int		 force;
	int		 dirty;		/* state changed since the last write */
	int		 rewritten;	/* an alias or forward expanded: record
					 * before delivering (resolve_all) */
};

/* A deliverable item: a target, or a recipient not yet resolved. */
struct qmgr_item {
	struct qstate_item *it;
	size_t		 rcpt;		/* envelope recipient index */
	const char	*addr;
	enum qstate_kind kind;
	const char	*host;
	int		 relayed;	/* sent to a next hop without DSN */
};

/* Item events (the state x event table in qmgr_work.c). */
enum qmgr_event {
	QE_SENT = 0,		/* the agent reported success */
	QE_DEFER,		/* temporary failure: retry per schedule */
	QE_FAIL,		/* permanent failure: a DSN is due */
	QE_EXPIRE,		/* queue_lifetime passed */
	QE_DSN_QUEUED,		/* the DSN naming it was enqueued */
	QE_NO_DSN		/* no DSN is due (NOTIFY, null sender) */
};
#define QE_NEVENT	6

/* Apply an event to an item, log the line, set m->dirty. */
void	qmgr_event(struct qmgr_msg *, const struct qmgr_item *,
	    enum qmgr_event, const char *relay, const char *diag);

/* Deliver the local items in one or more tern-lspawn requests. */
void	qmgr_deliver_local(struct qmgr_msg *, struct qmgr_item *, size_t n);
/*
 * Hold (1) or let through (0) SIGTERM and SIGINT: held from the end of a
 * local delivery until its outcome is recorded (the state saved or the
 * message removed), so a stop cannot lose it.
 */
void	qmgr_hold_stop(int hold);
/*
 * Deliver the remote items through tern-remote (qmgr_remote.c): grouped by
 * destination (next hop and TLS policy), one run per group.
 */
void	qmgr_deliver_remote(struct qmgr_msg *, struct qmgr_item *, size_t n);

enum qmgr_dsn_kind {
	QMGR_DSN_FAILED = 0,	/* to the sender: Action failed */
	QMGR_DSN_DOUBLE,	/* a null sender's failures, to postmaster */
	QMGR_DSN_DELIVERED	/* NOTIFY=SUCCESS: Action delivered */
};

/*
 * Build the DSN for the items and enqueue it (null sender) to rcpt
 * through tern-enqueue.  0 with the new id in newqid, or -1 (logged).
 */
int	qmgr_dsn_send(struct qmgr_msg *, struct qmgr_item *, size_t n,
	    const char *rcpt, enum qmgr_dsn_kind, char newqid[QID_LEN + 1]);

/* "X.Y.Z" at the start of diag into code (else def): for logs and DSNs. */
void	qmgr_dsn_code(const char *diag, const char *def, char code[16]);
/* Copy text into a diagnostic: printable ASCII only, cut to the max. */
void	qmgr_diag_set(char diag[QSTATE_DIAG_MAX + 1], const char *text);

#endif
