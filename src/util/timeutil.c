/* timeutil.c: civil-date arithmetic (Howard Hinnant's algorithms) and formats. */
#include "timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t dtc_days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void dtc_civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yy + (*m <= 2));
}

int dtc_weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3 with Monday = 0). */
    int64_t w = (days + 3) % 7;
    return (int)(w < 0 ? w + 7 : w);
}

static int month_len(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : len[m - 1];
}

int64_t dtc_days_add_months(int64_t days, int months)
{
    int y, m, d;
    dtc_civil_from_days(days, &y, &m, &d);
    int total = y * 12 + (m - 1) + months;
    y = total / 12;
    m = total % 12 + 1;
    if (d > month_len(y, m)) d = month_len(y, m);
    return dtc_days_from_civil(y, m, d);
}

static int64_t floordiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void dtc_fmt_date(char dst[11], int64_t days)
{
    int y, m, d;
    dtc_civil_from_days(days, &y, &m, &d);
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", y % 10000, m, d);
    memcpy(dst, tmp, 10);
    dst[10] = '\0';
}

void dtc_fmt_datetime(char dst[21], int64_t t)
{
    int64_t days = floordiv(t, 86400), sec = t - days * 86400;
    int y, m, d;
    dtc_civil_from_days(days, &y, &m, &d);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02dZ", y % 10000, m, d, (int)(sec / 3600),
             (int)(sec / 60 % 60), (int)(sec % 60));
    memcpy(dst, tmp, 20);
    dst[20] = '\0';
}

void dtc_fmt_http_date(char dst[30], int64_t t)
{
    static const char *wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char *mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days = floordiv(t, 86400), sec = t - days * 86400;
    int y, m, d;
    dtc_civil_from_days(days, &y, &m, &d);
    char tmp[64];
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", wd[dtc_weekday(days)], d,
             mn[m - 1], y % 10000, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    memcpy(dst, tmp, 29);
    dst[29] = '\0';
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int parse_ymd(const char *s, int64_t *out)
{
    int y, m, d;
    if (strlen(s) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        digits(s + 8, 2, &d))
        return DTC_EPARSE;
    if (m < 1 || m > 12 || d < 1 || d > month_len(y, m)) return DTC_EPARSE;
    *out = dtc_days_from_civil(y, m, d);
    return 0;
}

int dtc_parse_date(const char *s, int64_t *out)
{
    if (!s || strlen(s) != 10) return DTC_EPARSE;
    return parse_ymd(s, out);
}

int dtc_parse_datetime(const char *s, int64_t *out)
{
    int64_t days;
    if (!s || parse_ymd(s, &days)) return DTC_EPARSE;
    const char *p = s + 10;
    int hh = 0, mm = 0, ss = 0;
    if (*p == '\0') {
        *out = days * 86400;
        return 0;
    }
    if ((*p != 'T' && *p != ' ') || digits(p + 1, 2, &hh) || p[3] != ':' || digits(p + 4, 2, &mm))
        return DTC_EPARSE;
    p += 6;
    if (*p == ':') {
        if (digits(p + 1, 2, &ss)) return DTC_EPARSE;
        p += 3;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    int offset = 0;
    if (strcmp(p, "Z") != 0 && strcmp(p, "z") != 0) {
        /* RFC 3339 numeric offset: +HH:MM (ISO 8601's +HHMM accepted too) */
        int oh, om;
        if ((*p != '+' && *p != '-') || digits(p + 1, 2, &oh)) return DTC_EPARSE;
        const char *q = p + 3 + (p[3] == ':');
        if (digits(q, 2, &om) || q[2] != '\0' || oh > 23 || om > 59) return DTC_EPARSE;
        offset = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    if (hh > 23 || mm > 59 || ss > 60) return DTC_EPARSE;
    *out = days * 86400 + hh * 3600 + mm * 60 + ss - offset;
    return 0;
}

int dtc_parse_when(const char *s, int64_t now, int64_t *out)
{
    if (!s || !*s) return DTC_EPARSE;
    int64_t today = floordiv(now, 86400);
    if (strcmp(s, "today") == 0 || strcmp(s, "yesterday") == 0) {
        *out = (today - (s[0] == 'y')) * 86400;
        return 0;
    }
    if (s[0] == '@' || s[0] == '-') {
        /* @EPOCH or -Nd: digits only, bounded so the arithmetic cannot overflow */
        size_t n = strlen(s + 1), nd = n - (s[0] == '-');
        if (n < 1 || nd < 1 || nd > 12 || (s[0] == '-' && s[n] != 'd')) return DTC_EPARSE;
        int64_t v = 0;
        for (size_t i = 1; i <= nd; i++) {
            if (s[i] < '0' || s[i] > '9') return DTC_EPARSE;
            v = v * 10 + (s[i] - '0');
        }
        if (s[0] == '-' && v > 400 * 366) return DTC_EPARSE;
        *out = s[0] == '@' ? v : (today - v) * 86400;
        return 0;
    }
    int y, m;
    if (strlen(s) == 7 && s[4] == '-' && digits(s, 4, &y) == 0 && digits(s + 5, 2, &m) == 0) {
        if (m < 1 || m > 12) return DTC_EPARSE;
        *out = dtc_days_from_civil(y, m, 1) * 86400;
        return 0;
    }
    return dtc_parse_datetime(s, out);
}

int64_t dtc_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
