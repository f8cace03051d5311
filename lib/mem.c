/* mem.c - checked allocation; see mem.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <bsd/stdlib.h>

#include "lib/mem.h"

void *
mem_alloc(size_t n, size_t size)
{
	void *p;

	if (n == 0 || size == 0)
		n = size = 1;
	p = calloc(n, size);
	if (p == NULL)
		errno = ENOMEM;
	return p;
}

void *
mem_realloc(void *p, size_t n, size_t size)
{
	void *q;

	if (n == 0 || size == 0)
		n = size = 1;
	q = reallocarray(p, n, size);
	if (q == NULL && errno != ENOMEM)
		errno = ENOMEM;
	return q;
}

char *
mem_strndup(const char *s, size_t n)
{
	char *p;

	if (n == SIZE_MAX) {
		errno = EOVERFLOW;
		return NULL;
	}
	p = malloc(n + 1);
	if (p == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
mem_strdup(const char *s)
{
	return mem_strndup(s, strlen(s));
}

void
mem_free_ptr(void **pp)
{
	free(*pp);
	*pp = NULL;
}

void
mem_free_secret(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
