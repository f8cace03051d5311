/* log.c - event logging; see log.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/log.h"

static const char *progname = "tern";
static int logflags = LOG_STDERR;

void
log_init(const char *prog, int flags)
{
	const char *slash = strrchr(prog, '/');

	progname = slash != NULL ? slash + 1 : prog;
	logflags = flags;
	if (!(flags & LOG_STDERR))
		openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_reopen(void)
{
	if (logflags & LOG_STDERR)
		return;
	closelog();	/* its descriptor is closed already: EBADF */
	openlog(progname, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_init_env(const char *prog, int flags)
{
	const char *e = getenv("TERN_LOG");

	if (e != NULL && strcmp(e, "stderr") == 0)
		flags |= LOG_STDERR;
	else if (e != NULL && strcmp(e, "syslog") == 0)
		flags &= ~LOG_STDERR;
	if (getenv("TERN_DEBUG") != NULL)
		flags |= LOG_DEBUG_ON;
	log_init(prog, flags);
}

const char *
log_prog(void)
{
	return progname;
}

static void vlog(int, const char *, int, const char *, va_list)
    __attribute__((format(printf, 4, 0)));

static void
vlog(int prio, const char *tag, int err, const char *fmt, va_list ap)
{
	char line[2048];
	size_t n;
	int r;

	r = vsnprintf(line, sizeof line, fmt, ap);
	if (r < 0) {
		r = snprintf(line, sizeof line, "(unformattable log line)");
		if (r < 0)
			return;
	}
	n = strlen(line);
	if (err != 0 && n < sizeof line) {
		r = snprintf(line + n, sizeof line - n, ": %s", strerror(err));
		(void)r;	/* truncation of a log line is acceptable */
	}
	if (logflags & LOG_STDERR) {
		/* One write per line so lines from many processes do not mix. */
		char out[2300];
		int m = snprintf(out, sizeof out, "%s[%ld]: %s%s\n", progname,
		    (long)getpid(), tag, line);

		if (m > 0) {
			size_t len = (size_t)m < sizeof out ? (size_t)m : sizeof out - 1;

			if (len == sizeof out - 1)
				out[len - 1] = '\n';
			if (write(STDERR_FILENO, out, len) < 0) {
				/* Nowhere left to report it. */
			}
		}
	} else
		syslog(prio, "%s%s", tag, line);
}

#define LOGFN(name, prio, tag, witherr)			\
void							\
name(const char *fmt, ...)				\
{							\
	int e = errno;					\
	va_list ap;					\
							\
	va_start(ap, fmt);				\
	vlog(prio, tag, witherr ? e : 0, fmt, ap);	\
	va_end(ap);					\
	errno = e;					\
}

LOGFN(log_info, LOG_INFO, "", 0)
LOGFN(log_warn, LOG_WARNING, "warning: ", 0)
LOGFN(log_err, LOG_ERR, "error: ", 0)
LOGFN(log_warn_sys, LOG_WARNING, "warning: ", 1)
LOGFN(log_err_sys, LOG_ERR, "error: ", 1)

void
log_debug(const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	if (!(logflags & LOG_DEBUG_ON))
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, "debug: ", 0, fmt, ap);
	va_end(ap);
	errno = e;
}

void
die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal: ", 0, fmt, ap);
	va_end(ap);
	exit(code);
}

void
die_sys(int code, const char *fmt, ...)
{
	int e = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERR, "fatal: ", e, fmt, ap);
	va_end(ap);
	exit(code);
}

void
panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, "panic: ", 0, fmt, ap);
	va_end(ap);
	abort();
}

const char *
log_esc(const void *p, size_t n)
{
	static char slots[LOG_ESC_SLOTS][LOG_ESC_MAX * 4 + 8];
	static unsigned next;
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = p;
	char *out = slots[next++ % LOG_ESC_SLOTS];
	size_t i, o = 0, use = n > LOG_ESC_MAX ? LOG_ESC_MAX : n;

	for (i = 0; i < use; i++) {
		if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '\\' && u[i] != '"') {
			out[o++] = (char)u[i];
			continue;
		}
		out[o++] = '\\';
		out[o++] = 'x';
		out[o++] = hex[u[i] >> 4];
		out[o++] = hex[u[i] & 15];
	}
	if (use < n) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

const char *
log_esc_s(const char *s)
{
	return log_esc(s, s != NULL ? strlen(s) : 0);
}
