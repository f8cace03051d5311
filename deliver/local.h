/*
 * local.h - private to deliver/: one local delivery (tern-local(8)), the
 * code tern-local runs after reading its request and the code tern-lspawn's
 * delivery child runs without an exec.
 *
 * local_deliver(req, bounce_over) delivers the message on descriptor 0
 * (read from offset 0) into the Maildir that is the working folder, for
 * the single recipient of req (its quota in req->quota when req->has_quota;
 * req->linked: a single-instance copy already in tmp/ to commit instead of
 * writing one), writes one result line on descriptor 1 ("ok NAME",
 * "defer ...", "bounce ...": lib/lspawn) and exits: EXIT_OK only after the
 * final fsync, EXIT_PERM for a bounce, EXIT_TEMP for a deferral.  It never
 * returns.  It refuses to run as root (a deferral).  bounce_over: a full
 * mailbox bounces (quota_exceeded = bounce) rather than defers.
 *
 * local_deliver_one(req, bounce_over, line) is the same delivery without
 * the exit: the result line (with its newline) goes into line and the
 * exit code that goes with it is returned, so a process can deliver one
 * message after another (tern-lspawn's kept delivery children).  It
 * still ends the process on a fault local_deliver would (die()).
 *
 * local_defer(why) writes "defer 4.3.0 WHY" on descriptor 1 and exits
 * EXIT_TEMP.
 *
 * local_bounce_over(conf) reads quota_exceeded: 1 for bounce, 0 for defer
 * (anything else is logged and deferred).
 */
#ifndef TERN_DELIVER_LOCAL_H
#define TERN_DELIVER_LOCAL_H

struct conf;
struct lspawn_req;
struct sbuf;

void	local_deliver(struct lspawn_req *req, int bounce_over)
	    __attribute__((noreturn));
int	local_deliver_one(struct lspawn_req *req, int bounce_over,
	    struct sbuf *line);
void	local_defer(const char *why) __attribute__((noreturn));
int	local_bounce_over(const struct conf *);

#endif
