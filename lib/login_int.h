/*
 * login_int.h - private to lib/login*.c: what the login modules share
 * and nothing else includes.
 */
#ifndef TERN_LOGIN_INT_H
#define TERN_LOGIN_INT_H

/* *why_r = why (when why_r is not NULL), errno = err; returns -1. */
int	login_fail(const char **why_r, const char *why, int err);

#endif
