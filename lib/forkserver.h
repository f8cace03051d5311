/*
 * forkserver.h - the program side of tern-supervise's fork server.
 *
 * A TCP service with NAME.forkserver = yes is started once by
 * tern-supervise (as the service's user, like a connection process) with
 * TERN_FORKSERVER=3: fd 3 is a SOCK_SEQPACKET socket to the supervisor.
 * The program does its per-service set-up (configuration, certificate,
 * OpenSSL start-up) once, then calls forkserver_serve().  For each
 * connection the supervisor accepted it sends one message:
 *
 *	"c ID" NUL "NAME=VALUE" NUL ...		with the socket (SCM_RIGHTS)
 *
 * (the UCSPI variables it would otherwise put in a fresh environment), and
 * forkserver_serve() forks: in the child it returns 0 with the connection
 * on fd 0 and 1, the variables set, a session of its own (setsid), no
 * signal blocked and SIGCHLD at its default (other dispositions are what
 * the program set before), as if tern-supervise had exec'd the program
 * for this connection; the caller goes on with its per-connection code
 * (unless the configuration changed: see forkserver_serve below).
 * The program must keep fd 3 open through its start-up (proc_init's keep
 * list: forkserver_fd() tells).  The server itself never returns while
 * the supervisor is there: it says "r" (ready) first, and the supervisor
 * hands it nothing before that (a program that does not speak the
 * protocol is never used); it answers "s ID PID" after each fork, "f ID" when a connection could not
 * be served, and "x PID STATUS" (the wait status) when a child ends, so the
 * supervisor's connection limits keep counting.  It returns 1 when the
 * supervisor closes the socket (reload or stop: the children live on and
 * the supervisor, their subreaper, reaps them), -1 with errno on error.
 *
 * Why: an exec per connection costs the dynamic linking of OpenSSL, the
 * reading of tern.conf and the building of the TLS context (bench/smtp,
 * bench/pop3: most of a session's CPU); a fork of a ready process does not.
 * The fork keeps the per-connection process model, so nothing one session
 * does is seen by the next.
 */
#ifndef TERN_FORKSERVER_H
#define TERN_FORKSERVER_H

#define FORKSERVER_ENV		"TERN_FORKSERVER"
#define FORKSERVER_MSG_MAX	2048	/* one message, either way */

/* The socket named by TERN_FORKSERVER, or -1 when not started as one. */
int	forkserver_fd(void);
/*
 * stale (may be NULL) is asked before each fork: when it says 1 (tern.conf
 * changed: conf_changed()), that connection's child execs the program
 * afresh (/proc/self/exe with argv, the variables set, no TERN_FORKSERVER)
 * so it reads the new settings, and the server returns 1 to end; the
 * supervisor starts a new one.  So an edit of tern.conf reaches the next
 * connection, as it does without a fork server.
 */
int	forkserver_serve(int fd, int (*stale)(void *), void *arg,
	    char **argv);
/*
 * forkserver_serve, with forkserver_share_text() (below) only when
 * share_text is 1.  0: for a service whose children run little of the
 * libraries' code (tern-smtpd on ports 25 and 24: a plain session paid
 * more for the entries copied at fork and freed at exit than for the
 * faults they saved; bench/RESULTS.md, smtpfork).
 *
 * It also keeps a spare: a child forked before its connection arrives,
 * waiting on a socket pair of its own; the server forwards the next
 * connection's message and descriptor to it, answers "s ID PID" with its
 * pid, and forks the next spare after that.  So no fork stands between a
 * client's connect and its greeting: it is made while the last session
 * runs (bench/smtp's one-session row: an SMTP client waits for the
 * greeting).  The spare is the copy a fork at the connection would have
 * made, as the server's user; still one process per connection.  A
 * spare that died, or none (a fork failed), costs the connection the
 * fork as before; a dead spare's end is reported as an unknown pid's.
 * For the short sessions of tern-smtpd; not for long sessions, where one
 * fork in the greeting's path does not matter.
 */
int	forkserver_serve_text(int fd, int (*stale)(void *), void *arg,
	    char **argv, int share_text);
/*
 * Split services (tern-pop3d, tern-imapd: doc/login.md): the forked child
 * is not the connection's process but a helper of it (the pre-auth
 * child), and the process the supervisor counts is started by split->post.
 * pre(arg, conn) runs in the server before the fork (e.g. makes socket
 * pairs both will hold; -1: the connection is not served).  post(arg,
 * child, conn, env) runs in the server after it: it starts the
 * connection's process (vfork and exec: cheap) with env (the variables
 * the child has, a NULL-terminated array freed after the call; NULL when
 * it could not be built: fail), closes what pre made, and returns its
 * pid, reported to the supervisor as the connection's ("s ID PID"); or
 * -1, and the server kills the child and says "f ID".  child is -1 when
 * the fork failed (post only undoes pre).  The child's own end is also
 * reported ("x PID STATUS": a pid the supervisor does not know, so it
 * counts nothing); the server reaps both.  A stale connection (below)
 * gets neither call: its fresh image splits itself.
 */
struct forkserver_split {
	int		(*pre)(void *arg, int conn);
	long		(*post)(void *arg, long child, int conn, char **env);
	void		*arg;
	/* 1: serve without forkserver_share_text() (below).  A plaintext
	 * service's child runs little of the libraries' code, and every
	 * shared entry costs at each fork (copied) and exit (freed): more
	 * than the faults it saves (bench/RESULTS.md, imaplogin3).  0 (a
	 * TLS service's child runs much of libcrypto): shared. */
	int		 no_share_text;
};
int	forkserver_serve_split(int fd, int (*stale)(void *), void *arg,
	    char **argv, const struct forkserver_split *split);
/*
 * Before serving (once, after the start-up and warm-up; not for a split
 * with no_share_text nor forkserver_serve_text's 0): have fork() copy
 * the page-table entries of the program's and libraries' code instead of
 * letting every child fault them in again.  fork() copies no entry of a
 * file mapping that has no anonymous page (an anon_vma), so a child took
 * a page fault for every 16 pages of libcrypto, libssl and libc code it
 * ran, though the server had them mapped (bench/RESULTS.md, imaptls).
 * Each executable file mapping is made writable for a moment, one byte
 * of it written with its own value (that page becomes a private copy,
 * the mapping gets its anon_vma), and read-only again.  Skipped where
 * SELinux is on.  The number of mappings changed, or -1 with errno
 * (a mapping could not be made read-only again: the caller ends).
 */
int	forkserver_share_text(void);
/* The usual stale: conf_changed() of the struct conf * in arg. */
int	forkserver_conf_stale(void *conf);

/* The supervisor's side: parse one reply ("r", "s", "f", "x"); 0 / -1. */
struct forkserver_reply {
	char			 kind;	/* 'r', 's', 'f' or 'x' */
	unsigned long long	 id;	/* 's', 'f' */
	long			 pid;	/* 's', 'x' */
	int			 status;	/* 'x' */
};
int	forkserver_reply_parse(const char *p, size_t n,
	    struct forkserver_reply *r);

#endif
