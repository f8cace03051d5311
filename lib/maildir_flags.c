/*
 * maildir_flags.c - the ":2,FLAGS" info part of Maildir file names.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "lib/maildir.h"
#include "lib/sbuf.h"

size_t
maildir_base_len(const char *p, size_t n)
{
	const char *c = memchr(p, ':', n);

	return c == NULL ? n : (size_t)(c - p);
}

int
maildir_flags_parse(const char *p, size_t n, uint64_t *flags_r)
{
	size_t i = maildir_base_len(p, n);
	uint64_t f = 0;

	*flags_r = 0;
	if (i == n)
		return 0;
	if (n - i < 3 || p[i + 1] != '2' || p[i + 2] != ',') {
		errno = EINVAL;
		return -1;
	}
	for (i += 3; i < n; i++) {
		if (p[i] >= 'A' && p[i] <= 'Z')
			f |= MAILDIR_FLAG(p[i]);
		else if (p[i] >= 'a' && p[i] <= 'z')
			f |= MAILDIR_FLAG(p[i]);
		else {
			errno = EINVAL;
			return -1;
		}
	}
	*flags_r = f;
	return 0;
}

int
maildir_flags_format(struct sbuf *out, uint64_t flags)
{
	int c;

	if (sbuf_cat_s(out, ":2,") == -1)
		return -1;
	for (c = 'A'; c <= 'Z'; c++)
		if ((flags & MAILDIR_FLAG(c)) && sbuf_cat_c(out, c) == -1)
			return -1;
	for (c = 'a'; c <= 'z'; c++)
		if ((flags & MAILDIR_FLAG(c)) && sbuf_cat_c(out, c) == -1)
			return -1;
	return 0;
}

int
maildir_name_set_flags(struct sbuf *out, const char *p, size_t n,
    uint64_t flags)
{
	sbuf_reset(out);
	if (sbuf_cat_n(out, p, maildir_base_len(p, n)) == -1)
		return -1;
	return maildir_flags_format(out, flags);
}
