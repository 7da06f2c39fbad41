/* report.h: what `dtcost report` computes from the database: per subscription
 * the budget burn and our projection with an uncertainty band next to
 * Dynatrace's forecast; spend by capability and environment with the change
 * against the period before (the biggest movers first); and anomalies, days
 * whose cost jumps away from the same weekdays of the weeks before. */
#ifndef DTCOST_REPORT_H
#define DTCOST_REPORT_H
#include <stddef.h>
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef struct dtc_budget {
    char subscription[64], name[128], status[16], currency[8];
    int64_t period_start, period_end, days_remaining; /* days */
    int64_t total, used;                              /* micro-units */
    int64_t burn7, burn30;                            /* micro-units per day */
    int64_t burn_se;                                  /* standard error of burn30 */
    int64_t last_day;                                 /* last day with cost, or -1 */
    /* Our projection at the 30-day burn: the day the budget runs out (-1: it
     * lasts the period) and the band from the burn's spread; the cost expected
     * beyond the commitment by the period's end. */
    int64_t runs_out, runs_out_early, runs_out_late;
    int64_t expected_overage;
    /* Dynatrace's forecast for the account, when synced (forecast_median < 0: none). */
    int64_t forecast_median, forecast_lower, forecast_upper;
    char forecast_budget_date[32];
    /* Period over period: this week (Monday to today) against the same days
     * of last week; this month to date against the same days of last month. */
    int64_t week_cur, week_prev, month_cur, month_prev;
    /* Cost per day from daily_first to the report's today (-1: no row). */
    int64_t *daily, daily_first;
    size_t ndaily;
} dtc_budget;

/* Cost of one subscription, day and capability, for the charts. */
typedef struct dtc_capday {
    size_t budget; /* index into budgets */
    int64_t day, cost;
    char capability[64];
} dtc_capday;

typedef struct dtc_spend {
    char key[128], name[256]; /* capability key / environment id, and its name */
    char currency[8];
    int64_t current, previous; /* micro-units in the window and the window before */
} dtc_spend;

typedef struct dtc_anomaly {
    char subscription[64], environment[64], capability[64], day[16], currency[8];
    int64_t cost, expected; /* micro-units: the day's cost and its seasonal baseline */
    double score;           /* robust z-score */
} dtc_anomaly;

typedef struct dtc_report {
    int64_t today;           /* the last day the report covers */
    int window;              /* days in the spend window */
    dtc_budget *budgets;
    size_t nbudgets;
    dtc_spend *by_capability, *by_environment; /* sorted by |current - previous|, largest first */
    size_t ncap, nenv;
    dtc_anomaly *anomalies;  /* by day, then size */
    size_t nanomalies;
    dtc_capday *capdays;     /* the last DTC_REPORT_CHART_DAYS days, by budget, day, capability */
    size_t ncapdays;
} dtc_report;

#define DTC_REPORT_HISTORY_DAYS 400 /* days of budget->daily */
#define DTC_REPORT_CHART_DAYS 90

typedef struct dtc_report_opts {
    int64_t today;       /* days; the report's "now" */
    int64_t since;       /* first day to look for anomalies */
    int window;          /* spend window in days (default 30) */
    double threshold;    /* robust z-score above which a day is an anomaly (default 6) */
} dtc_report_opts;

/* Compute the report; dispose with dtc_report_dispose. DTC_EDB with the
 * message on the store. */
int dtc_report_build(dtc_store *s, const dtc_report_opts *o, dtc_report *out) DTC_MUST_CHECK;
void dtc_report_dispose(dtc_report *r);

#endif
