/* tap.c - TAP producer; see tap.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "t/tap.h"

static int planned = -1;
static int run;
static int failed;

void
plan(int n)
{
	planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

static int
report(int cond, const char *name)
{
	run++;
	if (!cond)
		failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", run, name);
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	char name[512];
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(name, sizeof name, fmt, ap) < 0)
		name[0] = '\0';
	va_end(ap);
	return report(cond, name);
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\n", stdout);
	fflush(stdout);
}

int
is_int(long long got, long long want, const char *name)
{
	if (report(got == want, name))
		return 1;
	diag("  got: %lld", got);
	diag(" want: %lld", want);
	return 0;
}

int
is_str(const char *got, const char *want, const char *name)
{
	int same;

	if (got == NULL || want == NULL)
		same = got == want;
	else
		same = strcmp(got, want) == 0;
	if (report(same, name))
		return 1;
	diag("  got: \"%s\"", got ? got : "(null)");
	diag(" want: \"%s\"", want ? want : "(null)");
	return 0;
}

int
is_mem(const void *got, size_t gotlen, const void *want, size_t wantlen,
    const char *name)
{
	int same = gotlen == wantlen && (gotlen == 0 || memcmp(got, want, gotlen) == 0);

	if (report(same, name))
		return 1;
	diag("  got: %zu bytes \"%.*s\"", gotlen, (int)(gotlen > 200 ? 200 : gotlen),
	    got ? (const char *)got : "");
	diag(" want: %zu bytes \"%.*s\"", wantlen, (int)(wantlen > 200 ? 200 : wantlen),
	    want ? (const char *)want : "");
	return 0;
}

void
skip(int n, const char *why)
{
	while (n-- > 0) {
		run++;
		printf("ok %d # skip %s\n", run, why);
	}
	fflush(stdout);
}

int
done_testing(void)
{
	if (planned < 0)
		printf("1..%d\n", run);
	else if (planned != run)
		printf("# planned %d tests but ran %d\n", planned, run);
	fflush(stdout);
	return failed == 0 && (planned < 0 || planned == run) ? 0 : 1;
}
