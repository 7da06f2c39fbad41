/* verify.h: reconcile the database the way a FinOps analyst would: per
 * subscription and day the per-environment costs equal the daily cost; the
 * cost allocation of a record equals the record's cost; the budget's used
 * amount equals the cost booked in the current period; no day, environment
 * day or allocation is missing inside a synced range; one currency per
 * subscription.
 *
 * Rounding. Money is stored as integer micro-units, each record rounded to
 * 1e-6 on its own, so a sum of N stored records may differ from the stored
 * total of the same costs by up to (N + 1) / 2 micro-units (half a unit per
 * record and half for the total) with nothing wrong. A sum is a discrepancy
 * only when |sum - total| > ceil((N + 1) / 2) micro-units, N being the number
 * of rows summed (environment rows of the day, allocation rows of the record,
 * daily rows of the budget period); that ceiling is the tolerance reported.
 *
 * Coverage. A subscription's per-environment rows cover the days from its
 * first day with any environment row to its last day with a daily total: a
 * day in there with a daily total that is not 0 and no environment row is
 * missing its environment rows (so is a deleted last day). An environment
 * covers the days from its first to its last day with rows: a day in there
 * without its rows, while the subscription has a daily total that is not 0
 * and rows of other environments, is missing that environment. An
 * (environment, field) of cost allocation covers the days from its first to
 * its last allocated day: an environment row in there with a cost that is not
 * 0 and no allocation row for the field is missing its allocation. Missing
 * rows have no tolerance. */
#ifndef DTCOST_VERIFY_H
#define DTCOST_VERIFY_H
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef enum dtc_check {
    DTC_CHECK_ENV_SUM,     /* per-environment costs of a day != the day's total, beyond rounding */
    DTC_CHECK_ENV_ORPHAN,  /* per-environment costs on a day with no daily total */
    DTC_CHECK_BUDGET_USED, /* budget.used != cost in the current period, beyond rounding */
    DTC_CHECK_MISSING_DAY, /* a day without a daily total inside the synced range */
    DTC_CHECK_CURRENCY,    /* a row in another currency than its subscription */
    DTC_CHECK_ENV_DAY,     /* a daily total, not 0, without any per-environment row */
    DTC_CHECK_ENV_GAP,     /* one environment's rows missing on a day inside its range */
    DTC_CHECK_ALLOC_SUM,   /* cost allocation of a record != the record's cost, beyond rounding */
    DTC_CHECK_ALLOC_MISSING, /* a record, cost not 0, without allocation for a field */
    DTC_CHECK_COUNT
} dtc_check;

typedef struct dtc_discrepancy {
    dtc_check check;
    const char *what; /* the check's name, e.g. "environment costs != daily cost" */
    char subscription[64];
    char environment[64]; /* "" when not about one environment */
    char field[64];       /* cost allocation field, e.g. "COSTCENTER"; "" when none */
    char capability[96];  /* "" when not about one capability */
    char day[16];         /* "" when not about one day */
    char table[32];       /* where the gap or odd row is */
    char currency[8];
    int64_t expected, actual; /* micro-units (or rows, for currency) */
    int64_t tolerance;        /* micro-units a sum may be off by rounding; 0 for missing rows */
    long rows;                /* rows summed into actual (N of the tolerance rule); for a
                               * missing environment, the other environments' rows */
} dtc_discrepancy;

typedef struct dtc_verify_summary {
    long subscriptions, days, checks, discrepancies;
    long by_check[DTC_CHECK_COUNT]; /* discrepancies per check */
} dtc_verify_summary;

/* ceil((rows + 1) / 2): the micro-units a sum of `rows` stored records may
 * differ from their stored total by rounding alone. */
int64_t dtc_verify_tolerance(long rows);

/* Run every check on the store, read-only, counting into *sum; fn gets each
 * discrepancy (may be NULL; the pointer is valid during the call only).
 * Returns 0 when the checks could run (look at sum->discrepancies), DTC_EDB
 * otherwise with the message on the store. */
int dtc_verify_run(dtc_store *s, dtc_verify_summary *sum,
                   void (*fn)(void *ctx, const dtc_discrepancy *d), void *ctx) DTC_MUST_CHECK;

/* The check's name. */
const char *dtc_verify_check_name(dtc_check c);

/* 1 when the check compares a sum with a total under the rounding
 * tolerance, 0 when it finds missing, orphan or odd rows. */
int dtc_verify_check_is_sum(dtc_check c);

#endif
