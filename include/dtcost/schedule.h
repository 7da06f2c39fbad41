/* schedule.h: when `dtcost serve` runs: every N seconds, or at the times of a
 * five-field cron expression (minute hour day-of-month month day-of-week, in
 * UTC; lists, ranges, steps, names, and @hourly/@daily/@weekly/@monthly). */
#ifndef DTCOST_SCHEDULE_H
#define DTCOST_SCHEDULE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/errors.h"

typedef struct dtc_schedule {
    int interval;                /* seconds; 0 when a cron expression rules */
    uint64_t minutes;            /* bit m: minute m (0-59) */
    uint32_t hours;              /* bit h (0-23) */
    uint32_t days;               /* bit d (1-31) */
    uint16_t months;             /* bit m (1-12) */
    uint8_t weekdays;            /* bit w: 0 Sunday ... 6 Saturday */
    bool days_any, weekdays_any; /* '*' (cron's day-of-month OR day-of-week rule) */
} dtc_schedule;

/* Either cron (non-NULL) or interval (> 0). DTC_EINVAL with a one-line
 * message naming the field when the expression is wrong. */
int dtc_schedule_parse(dtc_schedule *s, const char *cron, int interval, char *err,
                       size_t errlen) DTC_MUST_CHECK;
/* The first run time strictly after `after` (epoch seconds), or -1 when the
 * expression never matches within five years (e.g. 30 February). */
int64_t dtc_schedule_next(const dtc_schedule *s, int64_t after);

#endif
