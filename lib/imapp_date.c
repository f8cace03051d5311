/*
 * imapp_date.c - IMAP date and date-time (RFC 9051 date, date-time):
 * strict parsing (calendar-checked) and the INTERNALDATE output form.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/imapp.h"
#include "lib/imapp_int.h"

static const char *const months[12] = { "Jan", "Feb", "Mar", "Apr", "May",
    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };

	return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
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

static void
civil_from_days(int64_t z, int64_t *y_r, int *m_r, int *d_r)
{
	int64_t era, doe, yoe, y, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d_r = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m_r = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y_r = y + (*m_r <= 2);
}

/* n digits at p into *v (no sign). */
static int
digits(const char *p, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (!imapp_is_digit((unsigned char)p[i]))
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* "Mon-yyyy" at p (8 bytes), then the day d checked against it. */
static int
month_year(const char *p, int d, int64_t *days_r)
{
	int m, y;

	for (m = 0; m < 12; m++)
		if (imapp_eq(p, 3, months[m]))
			break;
	if (m == 12 || p[3] != '-' || digits(p + 4, 4, &y) < 0 ||
	    y < 1900 || d < 1 || d > mdays(y, m + 1))
		return -1;
	*days_r = days_from_civil(y, m + 1, d);
	return 0;
}

int
imapp_date_parse(const char *p, size_t n, int64_t *day_r,
    const char **why_r)
{
	int d;
	size_t dl;

	dl = n == 10 ? 1 : n == 11 ? 2 : 0;
	if (dl == 0 || digits(p, dl, &d) < 0 || p[dl] != '-' ||
	    month_year(p + dl + 1, d, day_r) < 0) {
		*why_r = "invalid date";
		return -1;
	}
	return 0;
}

int
imapp_datetime_parse(const char *p, size_t n, int64_t *utc_r,
    int *zone_min_r, const char **why_r)
{
	int d, hh, mm, ss, zh, zm, zone;
	int64_t days;
	char fixed[IMAPP_DATETIME_LEN];

	/* A one-digit day without its leading space ("1-Jan-2024 ...") is
	 * outside the grammar (date-day-fixed), but some clients send it
	 * and Dovecot takes it: read it as " 1-Jan-2024 ...". */
	if (n == IMAPP_DATETIME_LEN - 1 && n > 1 && p[1] == '-') {
		fixed[0] = ' ';
		memcpy(fixed + 1, p, n);
		p = fixed;
		n++;
	}
	if (n != IMAPP_DATETIME_LEN)
		goto bad;
	if (p[0] == ' ') {
		if (digits(p + 1, 1, &d) < 0)
			goto bad;
	} else if (digits(p, 2, &d) < 0)
		goto bad;
	if (p[2] != '-' || month_year(p + 3, d, &days) < 0 || p[11] != ' ' ||
	    digits(p + 12, 2, &hh) < 0 || p[14] != ':' ||
	    digits(p + 15, 2, &mm) < 0 || p[17] != ':' ||
	    digits(p + 18, 2, &ss) < 0 || p[20] != ' ' ||
	    (p[21] != '+' && p[21] != '-') || digits(p + 22, 2, &zh) < 0 ||
	    digits(p + 24, 2, &zm) < 0)
		goto bad;
	if (hh > 23 || mm > 59 || ss > 60 || zh > 14 || zm > 59 ||
	    zh * 60 + zm > 14 * 60)
		goto bad;
	zone = (zh * 60 + zm) * (p[21] == '-' ? -1 : 1);
	*utc_r = days * 86400 + hh * 3600 + mm * 60 + ss - zone * 60;
	*zone_min_r = zone;
	return 0;
bad:
	*why_r = "invalid date-time";
	return -1;
}

int
imapp_datetime_format(int64_t utc, int zone_min,
    char out[IMAPP_DATETIME_LEN + 1])
{
	int64_t t, days, secs, y;
	int m, d, z;

	if (zone_min < -14 * 60 || zone_min > 14 * 60 ||
	    utc < -((int64_t)1 << 40) || utc > ((int64_t)1 << 40))
		return -1;
	t = utc + (int64_t)zone_min * 60;
	days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	secs = t - days * 86400;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999)
		return -1;
	z = zone_min < 0 ? -zone_min : zone_min;
	if (snprintf(out, IMAPP_DATETIME_LEN + 1,
	    "%02d-%s-%04d %02d:%02d:%02d %c%02d%02d", d, months[m - 1],
	    (int)y, (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60),
	    zone_min < 0 ? '-' : '+', z / 60, z % 60) != IMAPP_DATETIME_LEN)
		return -1;
	return 0;
}

/* The calendar day of utc seen in zone (minutes east). */
int64_t
imapp_day_of(int64_t utc, int zone_min)
{
	int64_t t = utc + (int64_t)zone_min * 60;

	return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}
