/*
 * prefork.h - a pool of pre-forked workers accepting on one listening
 * socket (tern-enqueue -S, tern-remote -S).
 *
 * The master keeps lim.idle workers forked and waiting in accept() on
 * lfd, at most lim.max in all (beyond it clients wait in the backlog).
 * A worker that takes a connection says so on the busy pipe (its pid),
 * so the master forks another when too few are left idle; when it is done
 * and may serve again it says so too (minus its pid), and waits in
 * accept() once more.  A worker serves at most lim.requests requests
 * (0: no bound) and lives at most lim.secs seconds (0: no bound), then
 * ends; the master reaps it and forks a fresh one.  So no slow leak or
 * stale state of one request lives long, and a failed request simply ends
 * its worker.
 *
 * The master:
 *	prefork_init(p, &lim, lfd, cf)	once: the busy pipe, and the
 *					self-pipe (lib/selfpipe) for SIGCHLD,
 *					SIGTERM, SIGINT and SIGHUP; cf is the
 *					configuration the service runs on
 *	prefork_master(p)		runs the loop (forks, reaps, reads the
 *					busy pipe) until something to say:
 *	    PREFORK_WORKER	in a new worker (returns in the child: the
 *				self-pipe gone, the signals at their defaults)
 *	    PREFORK_STOP	SIGTERM or SIGINT, or SIGHUP with cf changed
 *				on disk (conf_changed: the supervisor starts
 *				the service anew; a SIGHUP without a change is
 *				ignored): the caller removes its socket and
 *				exits; idle workers die with the master
 *				(PR_SET_PDEATHSIG), busy ones finish
 *	    PREFORK_FORKFAIL	fork failed (errno): the caller logs it and calls
 *				again; the next fork is tried after
 *				lim.pause_ms
 *	    -1			poll failed (errno)
 * A worker:
 *	prefork_accept(p)	idle (it dies with the master, and with the
 *				default SIGTERM, SIGHUP and SIGINT, which
 *				are blocked from the accept on until
 *				prefork_busy: a worker holding a client never
 *				dies of them; lfd is made non-blocking by
 *				prefork_init), waits: a
 *				connection (close-on-exec), or -1: errno ESRCH
 *				when the master is gone, else accept's (EINTR
 *				and ECONNABORTED are retried)
 *	prefork_busy(p)		the connection taken: the master is told, and
 *				the worker no longer dies with the master nor on
 *				SIGTERM, SIGHUP or SIGINT (ignored: a caller may
 *				set its own handler afterwards).  After its last
 *				request (lim.requests) the worker closes lfd and
 *				the busy pipe.  0, or -1 when the master could
 *				not be told (errno; the request goes on)
 *	prefork_again(p)	the request done: 1 when it may serve another
 *				(the master told), 0 when it must end (its
 *				bound of requests or time reached, or the pipe
 *				gone)
 * A connection refused by the caller before prefork_busy() is closed by
 * it, and prefork_accept() called again.
 *
 * One pool per process.  lib/ rule: nothing here prints or exits.
 */
#ifndef TERN_PREFORK_H
#define TERN_PREFORK_H

#include <sys/types.h>

#include <time.h>

struct conf;

#define PREFORK_MAX	256	/* workers in all, at the most */

enum prefork_event {
	PREFORK_WORKER = 1,
	PREFORK_STOP,
	PREFORK_FORKFAIL
};

struct prefork_limits {
	unsigned	 idle;		/* workers kept waiting, 1..max */
	unsigned	 max;		/* workers in all, 1..PREFORK_MAX */
	unsigned long	 requests;	/* per worker; 0: no bound */
	unsigned	 secs;		/* per worker; 0: no bound */
	int		 pause_ms;	/* after a failed fork */
};

struct prefork {
	struct prefork_limits lim;
	int		 lfd;		/* the listening socket */
	const struct conf *cf;		/* SIGHUP: stop when it changed */
	int		 busy[2];	/* pid: busy; -pid: idle again */
	pid_t		 master;
	int		 paused;	/* the last fork failed */
	pid_t		 pid[PREFORK_MAX];
	unsigned char	 st[PREFORK_MAX];
	unsigned long	 served;	/* in a worker: requests taken */
	time_t		 born;		/* in a worker: when forked */
};

int	prefork_init(struct prefork *, const struct prefork_limits *, int lfd,
	    const struct conf *cf);
int	prefork_master(struct prefork *);
int	prefork_accept(struct prefork *);
int	prefork_busy(struct prefork *);
int	prefork_again(struct prefork *);

#endif
