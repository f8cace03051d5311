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

void	local_deliver(struct lspawn_req *req, int bounce_over)
	    __attribute__((noreturn));
void	local_defer(const char *why) __attribute__((noreturn));
int	local_bounce_over(const struct conf *);

#endif
