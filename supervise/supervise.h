/*
 * supervise.h - tern-supervise internals (not a library: one program).
 *
 * The supervisor owns a list of services, each a small state machine
 * driven by sv_dispatch() through one state x event table (sv_state.c),
 * and a table of children (connection processes and daemons).  Every
 * event comes from the one poll() loop in tern-supervise.c: a readable
 * listener, the self-pipe (SIGCHLD, SIGTERM, SIGINT, SIGHUP) or a timer.
 *
 * Lifetimes: a service leaves the list only once it is GONE and no
 * connection child refers to it any more.
 */
#ifndef TERN_SUPERVISE_H
#define TERN_SUPERVISE_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "lib/sock.h"

#define SV_NAME_MAX	64		/* service name length */
#define SV_ARGS_MAX	64		/* words in *.args */
#define SV_LISTEN_MAX	16		/* addresses in *.listen */
#define SV_SESSION_CONN_DEFAULT 1000	/* IMAP/POP3 max_connections */
#define SV_REFUSE_MAX	512		/* length of *.refuse */
#define SV_DELAY_MAX_MS	60000		/* back-off ceiling (60 s) */
#define SV_STABLE_MS	60000		/* a daemon up this long resets back-off */
#define SV_STOP_WAIT_MS	5000		/* SIGTERM to SIGKILL on stop */
#define SV_BACKLOG	128		/* listen(2) backlog */
#define SV_ACCEPT_BURST	32		/* accepts per listener per wake-up */
#define SV_ACCEPT_PAUSE_MS 1000		/* no accept after EMFILE and the like */
#define SV_ERR_MAX	1024		/* config error message */
#define SV_ENV_MAX	32		/* variables in the base environment */

enum sv_type { SV_TCP, SV_DAEMON };

/* What tern.conf says about one enabled service. */
struct sv_spec {
	char	*name;
	enum sv_type type;
	struct sock_addr listen[SV_LISTEN_MAX];
	size_t	 nlisten;
	char	*program;		/* absolute path */
	char	*argv[SV_ARGS_MAX + 2];	/* argv[0] = program name */
	char	*user;			/* NULL when not set */
	uint64_t max_conn;		/* 0: no limit */
	uint64_t max_per_ip;		/* 0: no limit */
	char	**exempt;		/* max_per_ip_exempt networks */
	size_t	 nexempt;
	char	*refuse;		/* NULL: close without a word */
	uint64_t delay_ms;		/* restart_delay */
	int	 forkserver;		/* NAME.forkserver: tcp only */
};

struct sv_config {
	char	*path;			/* absolute path of tern.conf */
	char	*program_dir;
	char	*run_dir;
	int	 log_stderr;		/* log = stderr */
	struct sv_spec *specs;
	size_t	 nspecs;
};

enum sv_state {
	ST_DOWN,		/* not running; waits for a reload */
	ST_RUN,			/* listening, or daemon process alive */
	ST_BACKOFF,		/* waiting for the restart timer */
	ST_RESTART,		/* daemon killed for a new spec; respawn on exit */
	ST_STOPPING,		/* daemon killed for good; GONE on exit */
	ST_GONE,		/* finished; freed when no child refers to it */
	ST_NSTATES
};

enum sv_event {
	EV_START,		/* new in the configuration */
	EV_EXIT,		/* the daemon process exited */
	EV_TIMER,		/* the service's timer expired */
	EV_STOP,		/* removed from the configuration, or shutdown */
	EV_HUP,			/* reload, spec unchanged */
	EV_CHANGE,		/* reload, spec changed (already swapped in) */
	EV_NEVENTS
};

struct sv_listener {
	int	 fd;
	struct sock_addr addr;
};

struct service {
	struct sv_spec spec;
	enum sv_state state;
	int	 removed;		/* no longer in the configuration */
	struct sv_listener ls[SV_LISTEN_MAX];
	size_t	 nls;
	int	 have_ids;		/* uid/gid resolved (root only) */
	uid_t	 uid;
	gid_t	 gid;
	pid_t	 pid;			/* daemon process, 0 if none */
	int	 last_status;		/* wait status of the last exit */
	int64_t	 started_ms;
	uint64_t cur_delay_ms;		/* next back-off */
	int64_t	 timer_ms;		/* 0: no timer */
	unsigned nconn;			/* connection children alive */
	int	 fs_fd;			/* socket to the fork server, or -1 */
	pid_t	 fs_pid;		/* the fork server, 0 if none */
	int64_t	 fs_started_ms;
	int64_t	 fs_retry_ms;		/* no new fork server before this */
	uint64_t fs_seq;		/* last connection id handed over */
	int	 fs_ready;		/* it said "r": hand connections over */
	int	 fs_off;		/* the program is no fork server: not
					   until a reload */
	int	 fs_stopped;		/* we stopped it (a reload): an end
					   before ready is no verdict */
	struct service *next;
};

struct child {
	pid_t	 pid;
	struct service *svc;
	int	 is_conn;
	int	 is_fs;			/* a fork server */
	uint64_t fsid;			/* handed to the fork server: its id
					   (pid 0 until it reports the fork) */
	struct sock_addr peer;
};

struct sv {
	struct sv_config cfg;
	struct service *svcs;
	struct child *kids;
	size_t	 nkids, capkids;
	int	 is_root;
	int	 log_stderr;
	int	 stopping;
	int64_t	 stop_deadline_ms;
	int	 killed;		/* SIGKILL sent at the deadline */
	int64_t	 accept_pause_ms;	/* no accept before this time */
	char	**env;			/* base environment (lib/priv env_build) */
	size_t	 nenv;
};

/* sv_conf.c */
int	svconf_load(const char *path, struct sv_config *, struct sbuf *err);
void	svconf_free(struct sv_config *);
void	svspec_free(struct sv_spec *);
int	svspec_equal(const struct sv_spec *, const struct sv_spec *);
void	svspec_move(struct sv_spec *to, struct sv_spec *from);

/* sv_state.c */
int64_t	sv_now_ms(void);
void	sv_dispatch(struct sv *, struct service *, enum sv_event);
const char *sv_state_name(enum sv_state);
void	sv_apply_config(struct sv *, struct sv_config *);
void	sv_reap_gone(struct sv *);
void	sv_timers(struct sv *, int64_t now);
int	sv_next_timeout(const struct sv *, int64_t now);

/* sv_tcp.c */
int	sv_tcp_bind(struct sv *, struct service *);
void	sv_tcp_close(struct service *);
void	sv_tcp_accept(struct sv *, struct service *, struct sv_listener *);

/* sv_spawn.c */
int	sv_env_init(struct sv *, const char *conf_path);
int	sv_check_user(struct sv *, struct service *);
pid_t	sv_spawn(struct sv *, struct service *, int conn,
	    const struct sock_addr *peer);
int	sv_kid_add(struct sv *, pid_t, struct service *, int is_conn,
	    const struct sock_addr *);
void	sv_reap(struct sv *);
void	sv_kill_all(struct sv *, int sig);
void	sv_killpg(pid_t, int sig);
const char *sv_status(int status);

/* sv_fork.c: fork servers (lib/forkserver.h) */
#define SV_FS_RETRY_MS	1000		/* a fork server that died young */
void	sv_fs_tick(struct sv *, int64_t now);
void	sv_fs_stop(struct sv *, struct service *);
void	sv_fs_restart_all(struct sv *);
int	sv_fs_hand(struct sv *, struct service *, int conn,
	    const struct sock_addr *peer, uint64_t *id_r);
void	sv_fs_read(struct sv *, struct service *);
void	sv_fs_exited(struct sv *, struct service *);
void	sv_kid_gone(struct sv *, size_t i, int status);

/* sv_lock.c */
int	sv_lock(const char *run_dir, int *fd_r);
void	sv_unlock(const char *run_dir, int fd);

#endif
