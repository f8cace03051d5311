/*
 * imapp_int.h - helpers shared by the imapp_*.c files; not for programs.
 */
#ifndef TERN_IMAPP_INT_H
#define TERN_IMAPP_INT_H

#include <stddef.h>
#include <stdint.h>

int	imapp_is_digit(int);
int	imapp_upper(int);
/* Case-insensitive: p/n equals the C string word. */
int	imapp_eq(const char *p, size_t n, const char *word);
int	imapp_is_tokchar(int);
int	imapp_is_atomchar(int);
int	imapp_is_astringchar(int);
/* 1*DIGIT into a uint64_t: 0, or -1 for empty, junk or overflow. */
int	imapp_num(const char *p, size_t n, uint64_t *v_r);
/* The calendar day (days since 1970-01-01) of utc seen in a zone. */
int64_t	imapp_day_of(int64_t utc, int zone_min);
/* Syntax check of a sequence set (no "$"), no allocation: 0 or -1. */
int	imapp_seqset_check(const char *p, size_t n);

#endif
