/* RFC 5322 3.3 date-time with the obsolete forms of 4.3; see mime.h. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "lib/mime.h"
#include "lib/mime_int.h"

struct dlex {
	const char	*s;
	size_t		 n, i;
};

static void
dskip(struct dlex *d)
{
	mime_skip_cfws(d->s, d->n, &d->i);
}

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

static int
isalph(char c)
{
	return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* Digits at d->i: value and count (at most 'max' digits). */
static int
number(struct dlex *d, unsigned max, int *v_r)
{
	unsigned k = 0;
	int v = 0;

	while (d->i < d->n && isdig(d->s[d->i]) && k < max) {
		v = v * 10 + (d->s[d->i] - '0');
		d->i++;
		k++;
	}
	*v_r = v;
	return (int)k;
}

static size_t
word(struct dlex *d, const char **w)
{
	size_t s = d->i;

	while (d->i < d->n && isalph(d->s[d->i]))
		d->i++;
	*w = d->s + s;
	return d->i - s;
}

static int
month(const char *w, size_t n)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	int m;

	if (n < 3)
		return -1;
	for (m = 0; m < 12; m++)
		if (strncasecmp(w, names + 3 * m, 3) == 0)
			return m + 1;
	return -1;
}

static int
zone_name(const char *w, size_t n, int *tz)
{
	static const struct {
		const char	*name;
		int		 min;
	} z[] = {
		{ "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
		{ "EST", -300 }, { "EDT", -240 }, { "CST", -360 },
		{ "CDT", -300 }, { "MST", -420 }, { "MDT", -360 },
		{ "PST", -480 }, { "PDT", -420 },
	};
	size_t k;

	for (k = 0; k < sizeof(z) / sizeof(z[0]); k++)
		if (mime_eq(w, n, z[k].name)) {
			*tz = z[k].min;
			return 0;
		}
	if (n == 1) {		/* military zones: RFC 5322 says +0000 */
		*tz = 0;
		return 0;
	}
	return -1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int
parse_zone(struct dlex *d, int *tz)
{
	const char *w;
	size_t wl;
	int sign, v;

	*tz = 0;
	dskip(d);
	if (d->i >= d->n)
		return 0;	/* no zone: taken as -0000 */
	if (d->s[d->i] == '+' || d->s[d->i] == '-') {
		sign = d->s[d->i] == '-' ? -1 : 1;
		d->i++;
		if (number(d, 4, &v) != 4 || v % 100 > 59)
			return -1;
		*tz = sign * ((v / 100) * 60 + v % 100);
		return 0;
	}
	wl = word(d, &w);
	if (wl == 0 || zone_name(w, wl, tz) < 0)
		return -1;
	return 0;
}

int
mime_date_parse(const char *s, size_t n, int64_t *t_r, int *tz_min_r)
{
	struct dlex d = { s, n, 0 };
	const char *w;
	size_t wl;
	int day, mon, year, hh, mm, ss = 0, tz, nd;

	dskip(&d);
	if (d.i < d.n && isalph(d.s[d.i])) {	/* day of week */
		(void)word(&d, &w);
		dskip(&d);
		if (d.i < d.n && d.s[d.i] == ',')
			d.i++;
		dskip(&d);
	}
	if (number(&d, 2, &day) == 0 || day < 1 || day > 31)
		goto bad;
	dskip(&d);
	if (d.i < d.n && d.s[d.i] == '-')
		d.i++;
	wl = word(&d, &w);
	if ((mon = month(w, wl)) < 0)
		goto bad;
	dskip(&d);
	if (d.i < d.n && d.s[d.i] == '-')
		d.i++;
	nd = number(&d, 4, &year);
	if (nd < 2)
		goto bad;
	if (nd == 2)
		year += year < 50 ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	dskip(&d);
	if (number(&d, 2, &hh) == 0 || hh > 23)
		goto bad;
	dskip(&d);
	if (d.i >= d.n || d.s[d.i] != ':')
		goto bad;
	d.i++;
	dskip(&d);
	if (number(&d, 2, &mm) != 2 || mm > 59)
		goto bad;
	dskip(&d);
	if (d.i < d.n && d.s[d.i] == ':') {
		d.i++;
		dskip(&d);
		if (number(&d, 2, &ss) != 2 || ss > 60)
			goto bad;
	}
	if (parse_zone(&d, &tz) < 0)
		goto bad;
	*t_r = days_from_civil(year, mon, day) * 86400 + hh * 3600 +
	    mm * 60 + ss - (int64_t)tz * 60;
	*tz_min_r = tz;
	return 0;
bad:
	errno = EINVAL;
	return -1;
}
