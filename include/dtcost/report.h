/* report.h: what `dtcost report` computes from the database: per subscription
 * the budget burn and our projection with an uncertainty band next to
 * Dynatrace's forecast; spend by capability and environment with the change
 * against the period before (the biggest movers first); and anomalies, days
 * whose cost jumps away from the same weekdays of the weeks before. */
#ifndef DTCOST_REPORT_H
#define DTCOST_REPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/chargeback.h"
#include "dtcost/errors.h"
#include "dtcost/license.h"
#include "dtcost/store.h"

/* What an as-of budget could not rebuild from the database. */
#define DTC_ASOF_NO_FORECAST 1u /* no Dynatrace forecast stored on or before that day */
#define DTC_ASOF_OLD_PERIOD                                                                        \
    2u /* the day lies in an earlier period: its commitment is not stored, the                     \
        * current one is shown */

typedef struct dtc_budget {
    char subscription[64], name[128], status[16], currency[8], account[64];
    int64_t period_start, period_end, days_remaining; /* days */
    int64_t total, used;                              /* micro-units */
    int64_t remaining;                                /* total - used; negative when overspent */
    /* Used against the commitment and the period gone by the report's today:
     * used_pct is dtc_report_pct(used, total), unrounded, for the tables'
     * one decimal; used_pct_centi and elapsed_pct_centi are hundredths of a
     * percent rounded half away from zero (elapsed: dtc_report_pct_elapsed)
     * for the exact formats; ahead_of_pace when used_pct is more than half a
     * point above the period gone (less is a rounding's worth). */
    double used_pct;
    int64_t used_pct_centi, elapsed_pct_centi;
    bool ahead_of_pace;
    /* The period's cost line: `spent` is the cost of the days from
     * period_start to the last day with cost (not after the report's today),
     * dtc_report_sum_days; projected where the 30-day burn takes it by
     * period_end, spent + burn30 x the days left, and its band at burn30 +
     * 2 burn_se and burn30 - 2 burn_se (never below spent). */
    int64_t spent, projected, projected_low, projected_high;
    int64_t burn7, burn30; /* micro-units per day */
    int64_t burn_se;       /* standard error of burn30 */
    int64_t last_day;      /* last day with cost, or -1 */
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
    /* As of a past day (the report's today before the last day synced):
     * used, days remaining, burn, projection and forecast are rebuilt from
     * the stored history as they stood that day; `asof` says what the
     * database could not know then (DTC_ASOF_* bits). */
    bool as_of;
    unsigned asof_gaps;
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
    int64_t change;            /* current - previous */
} dtc_spend;

typedef struct dtc_anomaly {
    char subscription[64], environment[64], capability[64], day[16], currency[8];
    char environment_name[256],
        capability_name[256]; /* the names, or the id / key when none is stored */
    int64_t cost, expected;   /* micro-units: the day's cost and its seasonal baseline */
    int64_t jump;             /* cost - expected */
    double score;             /* robust z-score */
} dtc_anomaly;

/* Cost per cost centre or product (Dynatrace's cost allocation) over the
 * spend window and the window before. */
typedef struct dtc_alloc_spend {
    char field[16]; /* "COSTCENTER" or "PRODUCT" */
    char key[128], currency[8];
    int64_t current, previous; /* micro-units */
    int64_t change;            /* current - previous */
    /* The current cost of all rows of this field and currency, and this
     * row's share of it: dtc_report_pct(current, group_total). */
    int64_t group_total;
    double share;
} dtc_alloc_spend;

/* Usage quantity of one subscription's capability over the spend window and
 * the window before, in the capability's billing unit. */
typedef struct dtc_usage {
    char subscription[64], capability[64], name[128], unit[32];
    double current, previous;
} dtc_usage;

typedef struct dtc_report {
    int64_t today; /* the last day the report covers */
    int window;    /* days in the spend window */
    int64_t
        window_first; /* its first day, today - window + 1; the window before ends the day before */
    dtc_budget *budgets;
    size_t nbudgets;
    dtc_spend *by_capability, *by_environment; /* sorted by |current - previous|, largest first */
    size_t ncap, nenv;
    dtc_anomaly *anomalies; /* by day, then size */
    size_t nanomalies;
    dtc_capday *capdays;   /* the last DTC_REPORT_CHART_DAYS days, by budget, day, capability */
    int64_t capdays_first; /* the first of those days: today - DTC_REPORT_CHART_DAYS + 1 */
    size_t ncapdays;
    dtc_alloc_spend *allocations; /* by field, currency, current cost (largest first), key */
    size_t nalloc;
    dtc_usage *usage; /* by subscription, capability name */
    size_t nusage;
    char last_sync[32]; /* when the last successful sync finished (RFC 3339), "" if none recorded */
} dtc_report;

#define DTC_REPORT_HISTORY_DAYS 400 /* days of budget->daily */
#define DTC_REPORT_CHART_DAYS 90

typedef struct dtc_report_opts {
    int64_t today;    /* days; the report's "now" */
    int64_t since;    /* first day to look for anomalies */
    int window;       /* spend window in days (default 30) */
    double threshold; /* robust z-score above which a day is an anomaly (default 6) */
} dtc_report_opts;

/* Compute the report of the store s into *out (the caller's struct; dispose
 * with dtc_report_dispose). DTC_EDB with the message on the store. */
int dtc_report_build(dtc_store *s, dtc_report *out, const dtc_report_opts *o) DTC_MUST_CHECK;
void dtc_report_dispose(dtc_report *r);

/* The report's arithmetic, one rule each, used by every writer. A grain is
 * 'd' (a day), 'w' (a week from Monday) or 'm' (a calendar month). */

/* The first day of the bucket of `grain` that holds `day`. */
int64_t dtc_report_bucket_start(int64_t day, char grain);

/* Cost of b's days from..to, inclusive: days without a row, with a negative
 * cost or outside b's history count 0. */
int64_t dtc_report_sum_days(const dtc_budget *b, int64_t from, int64_t to);

/* The last n buckets up to and including today's: starts[i] their first day,
 * costs[i] their cost (micro-units, today's bucket only up to today), oldest
 * first. Returns how many were filled (fewer when b's history is shorter). */
size_t dtc_report_buckets(int64_t *starts, int64_t *costs, const dtc_budget *b, int64_t today,
                          char grain, size_t n);

/* How much of b's period has passed by `today`, in hundredths of a percent
 * (0 to 10000, rounded half away from zero): today counts as elapsed. */
int64_t dtc_report_pct_elapsed(const dtc_budget *b, int64_t today);

/* part as a percentage of whole, 100 * part / whole in double precision and
 * unrounded (a writer rounds it for display, e.g. to one decimal); 0 when
 * whole <= 0, which has no share to give. Budget used, cost allocation and
 * chargeback shares all use this rule. */
double dtc_report_pct(int64_t part, int64_t whole);

/* The change from previous to current as a percentage of previous,
 * 100 * (current - previous) / previous, unrounded, into *out. Returns false
 * and leaves *out alone when previous <= 0: there is nothing to compare with
 * (writers show the change in money only, or "new"). Money in micro-units
 * converts to double exactly up to 2^53. */
bool dtc_report_change_pct(double *out, double current, double previous);

/* Movers first: rows grouped by currency (ascending), then by
 * |current - previous| largest first, ties by key. Sorts in place. */
void dtc_report_rank_movers(dtc_spend *rows, size_t n);

/* The at most `max` rows of `currency` with the largest current cost, ties by
 * key; rows with no current cost are left out. *out (the caller frees it with
 * dtc_free()) points into rows; *nout is how many. DTC_ENOMEM. */
int dtc_report_top(const dtc_spend ***out, size_t *nout, const dtc_spend *rows, size_t n,
                   const char *currency, size_t max) DTC_MUST_CHECK;

/* Capability keys ranked by their current cost summed over currencies (a
 * ranking only: amounts of different currencies are never shown added up),
 * largest first, ties by key; keys whose sum is not positive are left out.
 * At most `max` keys into keys[] (they point into r->by_capability); *nout
 * is how many. DTC_ENOMEM. */
int dtc_report_rank_capabilities(const char **keys, size_t *nout, const dtc_report *r,
                                 size_t max) DTC_MUST_CHECK;

/* Chargeback rows of one currency: rows[first .. first + n - 1] of
 * dtc_chargeback's result, and the sum of their totals (micro-units). */
typedef struct dtc_charge_sum {
    char currency[8];
    size_t first, n;
    int64_t total;
} dtc_charge_sum;

/* Group dtc_chargeback's rows (sorted by currency, see chargeback.h) per
 * currency, in their order. *out (the caller frees it with dtc_free) is
 * NULL when n is 0; *nout is how many groups. DTC_ENOMEM, and then *out is
 * NULL and *nout 0. */
int dtc_report_charge_sums(dtc_charge_sum **out, size_t *nout, const dtc_charge *rows,
                           size_t n) DTC_MUST_CHECK;

/* License rows of the summary's environments, largest first (money, or
 * host-unit hours when nothing is priced), ties in the summary's order. *out
 * (dtc_free() it) points into x->envs. DTC_ENOMEM. */
int dtc_report_lic_ranked(const dtc_lic_day ***out, const dtc_lic_summary *x) DTC_MUST_CHECK;

/* The summary's days added up per bucket of `grain`, oldest first, at most n
 * (the latest); a bucket's day is its start, or x->from for a bucket cut by
 * the window. Returns how many were filled. */
size_t dtc_report_lic_buckets(dtc_lic_day *out, const dtc_lic_summary *x, char grain, size_t n);

#endif
