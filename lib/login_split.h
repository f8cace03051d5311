/*
 * login_split.h - the glue between a split service and its login monitor
 * (tern-imapd, tern-pop3d; doc/login.md, tern-login(8)): what both did
 * line for line around lib/login.h's login_split_* calls, once.
 *
 * A split service's connection is two processes: the pre-auth child
 * (this program, dropped to login_user in the jail) and the monitor (the
 * worker program started with arguments, struct login_splitter's program
 * and argv).  Either tern-supervise's fork server starts both for every
 * connection (login_splitter_serve: the socket pairs made before the fork,
 * the monitor started by vfork+exec after it), or the connection's own
 * process forks the child and execs the monitor in place
 * (login_splitter_child, when no fork server made the pairs).
 *
 * Contract.  The caller fills program, argv, login_user, jail and fail
 * (the only differences between the services) with login_splitter_init
 * and keeps the struct alive for the process's life (the fork server's
 * hooks and the child read it).  Nothing here logs or exits: a failure
 * inside the fork server is reported through fail(why) with errno set
 * (the caller logs it: the server goes on with the next connection);
 * every other failure is -1 with errno and a static reason in *why_r,
 * and the caller dies (111).
 */
#ifndef TERN_LOGIN_SPLIT_H
#define TERN_LOGIN_SPLIT_H

#include <stdint.h>

#include "lib/login.h"

struct conf;

struct login_splitter {
	const char	*program;	/* the monitor: absolute path */
	char *const	*argv;		/* its arguments (tern-login(8)) */
	const char	*login_user;	/* the pre-auth child's user */
	const char	*jail;		/* its empty chroot folder */
	void		(*fail)(const char *why);	/* errno set */
	int		 jail_made;	/* the fork server made it once */
	int		 share_text;	/* fork server: forkserver_share_text
					 * (1 after init; the caller sets 0
					 * for a plaintext port: its
					 * children run little of OpenSSL) */
	struct login_split sp;		/* this connection's pairs */
	/* Fork server: the monitor zygote (below), or -1. */
	int		 zsock;		/* its socket */
	int		 zpidfd;	/* a pidfd of it */
	int64_t		 zretry;	/* io_now_ms() of the next start */
};

void	login_splitter_init(struct login_splitter *, const char *program,
	    char *const *argv, const char *login_user, const char *jail,
	    void (*fail)(const char *why));

/*
 * In tern-supervise's fork server (forkserver_fd() >= 0), after the
 * per-service set-up: the jail made (as root) and login_user resolved
 * once, the monitor zygote started, then forkserver_serve_split with the
 * hooks below.  The zygote (tern-login(8) -Z, doc/login.md) is the
 * monitor program exec'd once; each connection's monitor is a copy of
 * it (clone with CLONE_PARENT: the fork server's child, reaped and
 * reported as before) instead of a vfork and exec of the program: no
 * exec, no start-up of a static image per login.  When the zygote
 * cannot be used (gone, stuck 5 s, not started) the monitor is spawned
 * as before, and a new zygote is tried a second later.  Returns like
 * forkserver_serve_split: 0 in a connection's pre-auth child (go on with
 * login_splitter_child), 1 when the server should exit 0, -1 on error.
 */
int	login_splitter_serve(struct login_splitter *, struct conf *cf,
	    char **argv, const char **why_r);

/*
 * In the pre-auth child (or the connection's process when there is no
 * fork server: it forks here, and the parent becomes the monitor by
 * execve and does not return): the jail made if not yet, the child's
 * ends taken, privileges dropped (login_split_child; *dropped_r says
 * PRIV_SKIPPED when not root), and root refused.  0, or -1 (exit 111).
 */
int	login_splitter_child(struct login_splitter *, struct login *l,
	    int *dropped_r, const char **why_r);

#endif
