/*
 * sendmail.h - tern-sendmail's private interface (tern-sendmail(8)): the
 * sendmail command line of cron, PHP's mail(), git send-email and
 * scripts, on top of tern-enqueue.
 *
 * tern-sendmail.c  main: arguments, configuration, -bp/-bi, exit codes
 * sm_msg.c         the message on stdin: header section, -t recipients,
 *                  added From/Date/Message-ID/Received, LF -> CR LF
 * sm_enqueue.c     fork+execve tern-enqueue, stream, envelope, reap
 * sm_smtp.c        -bs: an SMTP dialogue on stdin/stdout, a message per
 *                  transaction
 */
#ifndef TERN_SENDMAIL_H
#define TERN_SENDMAIL_H

#include <stdint.h>
#include <sys/types.h>

#include "lib/envelope.h"
#include "lib/qid.h"
#include "lib/sbuf.h"

#define SM_LINE_MAX	65536		/* one input line; longer: EX_DATAERR */
#define SM_HDR_MAX	(1024 * 1024)	/* the header section */
#define SM_NAME_MAX	256		/* a full name (-F or GECOS) */
#define SM_HOST_MAX	253		/* the origin domain */

struct bio;
struct conf;

struct sm {
	struct conf	*cf;
	const char	*opt_conf;	/* -C */
	int		 opt_t, opt_i;
	const char	*opt_f;		/* -f / -r */
	const char	*opt_F;
	unsigned	 notify;	/* -N: ENV_N_* for every recipient */
	char *const	*args;		/* recipients on the command line */
	int		 nargs;

	char		 origin[SM_HOST_MAX + 1];
	char		 login[ENV_ADDR_MAX + 1];	/* the invoking user */
	char		 fullname[SM_NAME_MAX + 1];
	uid_t		 uid;
	struct envelope	 env;
	char		 qid[QID_LEN + 1];

	/* The message. */
	struct bio	*in;
	struct sbuf	 line;
	struct sbuf	 hdr;		/* the input's header section, CR LF */
	int		 pending;	/* line holds the first body line */
	int		 eof;		/* input ended (EOF or a lone ".") */
	int		 eightbit;

	/* tern-enqueue. */
	pid_t		 pid;
	int		 msg_fd, env_fd;
	int		 write_failed;
};

/* sm_msg.c: each returns 0 or exits with a sysexits code after a message. */
void	sm_read_header(struct sm *);
void	sm_recipients(struct sm *);
void	sm_write_message(struct sm *);
/* Add one address list (a command-line argument or a header value). */
void	sm_add_list(struct sm *, const char *, size_t, const char *what);
/* The Received: field (how: "tern-sendmail", "tern-sendmail -bs"). */
void	sm_received(struct sm *, const char *how);

/* sm_smtp.c: the -bs dialogue until QUIT or end of input; a sysexits code. */
int	sm_smtp(struct sm *);

/* sm_enqueue.c */
void	sm_enq_start(struct sm *);
void	sm_enq_write(struct sm *, const void *, size_t);
int	sm_enq_finish(struct sm *);	/* a sysexits code */

void	sm_die(int code, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));

#endif
