/*
 * mem.h - allocation with checked size arithmetic.
 *
 * lib/ never exits, so these return NULL with errno = ENOMEM (or EOVERFLOW
 * when n * size overflows) and the caller decides.  mem_free(&p) frees and
 * NULLs p; mem_free_secret(&p, n) wipes n bytes first.
 */
#ifndef TERN_MEM_H
#define TERN_MEM_H

#include <stddef.h>

void	*mem_alloc(size_t n, size_t size);	/* zeroed */
void	*mem_realloc(void *p, size_t n, size_t size);
char	*mem_strdup(const char *);
char	*mem_strndup(const char *, size_t);
void	 mem_free_ptr(void **);
void	 mem_free_secret(void *, size_t);
#define mem_free(pp)	mem_free_ptr((void **)(pp))

#endif
