/* schedule.c: cron expressions and intervals for `dtcost serve`. */
#include "dtcost/schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "timeutil.h"

typedef struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names for lo..hi, or NULL */
} field;

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const day_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun"};

static const field fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, day_names},
};

static int value(const field *f, const char **p, int *out)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        char *end;
        long n = strtol(s, &end, 10);
        if (n < f->lo || n > f->hi) return -1;
        *out = (int)n;
        *p = end;
        return 0;
    }
    for (int i = 0; f->names && i <= f->hi - f->lo; i++) {
        if (strncasecmp(s, f->names[i], 3) == 0 && !isalpha((unsigned char)s[3])) {
            *out = f->lo + i;
            *p = s + 3;
            return 0;
        }
    }
    return -1;
}

/* One field: comma-separated items of *, N, N-M, each with an optional /STEP. */
static int parse_field(const field *f, const char *text, uint64_t *bits, bool *any)
{
    *bits = 0;
    *any = strcmp(text, "*") == 0 || strcmp(text, "?") == 0;
    const char *p = text;
    for (;;) {
        int a, b, step = 1;
        if (*p == '*' || *p == '?') {
            a = f->lo;
            b = f->hi;
            p++;
        } else {
            if (value(f, &p, &a)) return -1;
            b = a;
            if (*p == '-') {
                p++;
                if (value(f, &p, &b) || b < a) return -1;
            }
        }
        if (*p == '/') {
            char *end;
            p++;
            long n = strtol(p, &end, 10);
            if (end == p || n < 1 || n > f->hi) return -1;
            step = (int)n;
            p = end;
            if (a == b) /* "5/15": from 5 to the end */
                b = f->hi;
        }
        for (int v = a; v <= b; v += step)
            *bits |= (uint64_t)1 << v;
        if (*p == '\0') return 0;
        if (*p++ != ',') return -1;
    }
}

int dtc_schedule_parse(dtc_schedule *s, const char *cron, int interval, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    if (!cron) {
        if (interval < 1) {
            snprintf(err, errlen, "the interval must be at least 1 second");
            return DTC_EINVAL;
        }
        s->interval = interval;
        return 0;
    }
    static const struct {
        const char *macro, *expr;
    } macros[] = {{"@hourly", "0 * * * *"},  {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
                  {"@weekly", "0 0 * * 0"},  {"@monthly", "0 0 1 * *"}, {"@yearly", "0 0 1 1 *"},
                  {"@annually", "0 0 1 1 *"}};
    for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
        if (strcmp(cron, macros[i].macro) == 0) cron = macros[i].expr;
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", cron);
    char *save = NULL, *part[6];
    int n = 0;
    for (char *t = strtok_r(copy, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
        if (n < 6)
            part[n++] = t;
        else
            n++;
    if (n != 5) {
        snprintf(err, errlen,
                 "cron expression '%.100s' has %d fields; it needs 5 (minute hour "
                 "day-of-month month day-of-week)",
                 cron, n);
        return DTC_EINVAL;
    }
    uint64_t bits[5];
    bool any[5];
    for (int i = 0; i < 5; i++) {
        if (parse_field(&fields[i], part[i], &bits[i], &any[i]) != 0) {
            snprintf(err, errlen, "cron expression '%.100s': bad %s field '%.40s' (%d-%d%s)", cron,
                     fields[i].name, part[i], fields[i].lo, fields[i].hi,
                     fields[i].names ? " or a name" : "");
            return DTC_EINVAL;
        }
    }
    s->minutes = bits[0];
    s->hours = (uint32_t)bits[1];
    s->days = (uint32_t)bits[2];
    s->months = (uint16_t)bits[3];
    s->weekdays = (uint8_t)((bits[4] | (bits[4] >> 7)) & 0x7f); /* 7 is Sunday too */
    s->days_any = any[2];
    s->weekdays_any = any[4];
    return 0;
}

static bool day_matches(const dtc_schedule *s, int64_t day)
{
    int y, m, d;
    dtc_civil_from_days(day, &y, &m, &d);
    if (!(s->months >> m & 1)) return false;
    int wd = (dtc_weekday(day) + 1) % 7; /* dtc_weekday: 0 Monday; cron: 0 Sunday */
    bool dm = s->days >> d & 1, wm = s->weekdays >> wd & 1;
    /* cron: when both are restricted, either may match */
    if (s->days_any || s->weekdays_any) return dm && wm;
    return dm || wm;
}

int64_t dtc_schedule_next(const dtc_schedule *s, int64_t after)
{
    if (s->interval > 0) return after + s->interval;
    int64_t t = (after / 60 + 1) * 60; /* the next whole minute */
    int64_t limit = after + 5 * 366 * 86400LL;
    while (t <= limit) {
        int64_t day = t / 86400, sec = t % 86400;
        if (!day_matches(s, day)) {
            t = (day + 1) * 86400;
            continue;
        }
        int h = (int)(sec / 3600), m = (int)(sec % 3600 / 60);
        if (!(s->hours >> h & 1)) {
            t = day * 86400 + (int64_t)(h + 1) * 3600;
            continue;
        }
        if (!(s->minutes >> m & 1)) {
            t += 60;
            continue;
        }
        return t;
    }
    return -1;
}
