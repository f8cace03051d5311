/*
 * tap.h - a small TAP producer for tern's C unit tests.
 *
 * plan() or done_testing() once; every check prints "ok N - name" or
 * "not ok N - name" with a diagnostic.  tap_exit() returns 0 only when every
 * planned test ran and passed, so prove notices a crash or a missing test.
 */
#ifndef TERN_TAP_H
#define TERN_TAP_H

#include <stddef.h>

void	plan(int n);
int	ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int	is_int(long long got, long long want, const char *name);
int	is_str(const char *got, const char *want, const char *name);
int	is_mem(const void *got, size_t gotlen, const void *want, size_t wantlen,
	    const char *name);
void	diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	skip(int n, const char *why);
int	done_testing(void);

#endif
