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

#endif
