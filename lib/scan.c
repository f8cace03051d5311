/* scan.c - strict number parsing; see scan.h. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "lib/scan.h"

int
scan_u64_n(const char *p, size_t n, uint64_t *r)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			errno = EINVAL;
			return -1;
		}
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(p[i] - '0'), &v)) {
			errno = ERANGE;
			return -1;
		}
	}
	*r = v;
	return 0;
}

int
scan_u64_s(const char *s, uint64_t *r)
{
	return scan_u64_n(s, strlen(s), r);
}

int
scan_u64_max_s(const char *s, uint64_t max, uint64_t *r)
{
	uint64_t v;

	if (scan_u64_s(s, &v) < 0)
		return -1;
	if (v > max) {
		errno = ERANGE;
		return -1;
	}
	*r = v;
	return 0;
}

/* A number followed by at most one unit letter looked up in units/mults. */
static int
scan_unit(const char *s, const char *units, const uint64_t *mults, uint64_t *r)
{
	size_t n = strlen(s);
	const char *u;
	uint64_t v, m = 1;

	if (n > 1 && (s[n - 1] < '0' || s[n - 1] > '9')) {
		u = strchr(units, s[n - 1]);
		if (u == NULL) {
			errno = EINVAL;
			return -1;
		}
		m = mults[u - units];
		n--;
	}
	if (scan_u64_n(s, n, &v) < 0)
		return -1;
	if (__builtin_mul_overflow(v, m, &v)) {
		errno = ERANGE;
		return -1;
	}
	*r = v;
	return 0;
}

int
scan_duration_s(const char *s, uint64_t *r)
{
	static const uint64_t m[] = { 1, 60, 3600, 86400, 604800 };

	return scan_unit(s, "smhdw", m, r);
}

int
scan_size_s(const char *s, uint64_t *r)
{
	static const uint64_t m[] = { 1024, 1024, 1048576, 1073741824ULL,
	    1099511627776ULL };

	return scan_unit(s, "kKMGT", m, r);
}

int
scan_bool_s(const char *s, int *r)
{
	static const char *yes[] = { "yes", "true", "on", "1" };
	static const char *no[] = { "no", "false", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*r = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*r = 0;
			return 0;
		}
	}
	errno = EINVAL;
	return -1;
}
