/*
 * log.h - one line per event, to syslog (facility mail) or stderr.
 *
 * Lines read "prog[pid]: event key=value key=value".  Callers put the queue
 * or session id first when there is one ("3F2A9C1B0000 accepted size=812").
 * Untrusted strings must go through log_esc() (or sbuf_cat_escaped), which
 * escapes control bytes as \xNN and cuts them to LOG_ESC_MAX bytes.  Never
 * log passwords, AUTH data, keys or message bodies.
 *
 * log_init() once in main.  LOG_STDERR sends lines to stderr (with -d, or
 * under tern-supervise, which sets TERN_LOG=stderr); otherwise syslog.
 * die() and die_sys() log and exit with the given code (0/100/111, see
 * STYLE 7); panic() is for broken invariants only: it logs and aborts.
 * Only this module among lib/ prints or exits.
 */
#ifndef TERN_LOG_H
#define TERN_LOG_H

#include <stddef.h>

#define LOG_STDERR	0x01	/* write to stderr instead of syslog */
#define LOG_DEBUG_ON	0x02	/* log_debug() lines are emitted */

#define LOG_ESC_MAX	256	/* STYLE 8: untrusted strings cut to this */

/* Exit codes, STYLE 7. */
#define EXIT_OK		0
#define EXIT_PERM	100
#define EXIT_TEMP	111

void	log_init(const char *prog, int flags);
/* Honour TERN_LOG=stderr|syslog from the environment, then log_init(). */
void	log_init_env(const char *prog, int flags);
/*
 * After descriptors were closed behind syslog's back (proc_init,
 * closefrom): forget the syslog socket and connect again.  glibc keeps
 * the number of the socket openlog() made; once it is closed the number
 * goes to the next file opened, and the first syslog() line fails on it,
 * closes it (a map, a listening socket) and reconnects.  Call it right
 * after the close, before anything is opened.  Nothing with LOG_STDERR.
 */
void	log_reopen(void);
const char *log_prog(void);
void	log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_err_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	die(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	die_sys(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	panic(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escape untrusted bytes for a log line into one of a few rotating static
 * slots (so up to LOG_ESC_SLOTS calls may appear in one log_* call).  The
 * result is always a valid, NUL-terminated, printable string.
 */
#define LOG_ESC_SLOTS	4
const char *log_esc(const void *, size_t);
const char *log_esc_s(const char *);

#endif
