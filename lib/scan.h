/*
 * scan.h - strict number parsing (STYLE 5: no atoi, no strtol surprises).
 *
 * Every function takes a pointer and a length (the _s forms a C string),
 * accepts only ASCII digits (plus the documented suffix), and rejects an
 * empty string, signs, spaces, junk and overflow.  They return 0 and store
 * the value, or -1 with errno = EINVAL (not a number) or ERANGE (too big).
 */
#ifndef TERN_SCAN_H
#define TERN_SCAN_H

#include <stddef.h>
#include <stdint.h>

int	scan_u64_n(const char *, size_t, uint64_t *r);
int	scan_u64_s(const char *, uint64_t *r);
/* Value must also be <= max. */
int	scan_u64_max_s(const char *, uint64_t max, uint64_t *r);
/* Seconds, with an optional unit: s, m, h, d, w ("90", "5m", "5d"). */
int	scan_duration_s(const char *, uint64_t *seconds_r);
/* Bytes, with an optional unit: k, M, G, T (powers of 1024). */
int	scan_size_s(const char *, uint64_t *bytes_r);
/* "yes/no/true/false/on/off/1/0". */
int	scan_bool_s(const char *, int *r);

#endif
