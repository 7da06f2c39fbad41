/* verify.h: reconcile the database the way a FinOps analyst would: per
 * subscription and day the per-environment costs equal the daily cost; the
 * budget's used amount equals the cost booked in the current period; no day
 * is missing inside a synced range; one currency per subscription. */
#ifndef DTCOST_VERIFY_H
#define DTCOST_VERIFY_H
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef enum dtc_check {
    DTC_CHECK_ENV_SUM,      /* per-environment costs of a day != the day's total */
    DTC_CHECK_ENV_ORPHAN,   /* per-environment costs on a day with no daily total */
    DTC_CHECK_BUDGET_USED,  /* budget.used != cost in the current period */
    DTC_CHECK_MISSING_DAY,  /* a day without a row inside a synced range */
    DTC_CHECK_CURRENCY,     /* a row in another currency than its subscription */
    DTC_CHECK_COUNT
} dtc_check;

typedef struct dtc_discrepancy {
    dtc_check check;
    const char *what;        /* the check's name, e.g. "environment costs != daily cost" */
    char subscription[64];
    char day[16];            /* "" when not about one day */
    char table[32];          /* where the gap or odd row is */
    char currency[8];
    int64_t expected, actual; /* micro-units (or rows, for currency) */
} dtc_discrepancy;

typedef struct dtc_verify_summary {
    long subscriptions, days, checks, discrepancies;
} dtc_verify_summary;

/* Run every check; fn gets each discrepancy (may be NULL). Returns 0 when the
 * checks could run (look at sum->discrepancies), DTC_EDB otherwise. */
int dtc_verify_run(dtc_store *s, void (*fn)(void *ctx, const dtc_discrepancy *d), void *ctx,
                   dtc_verify_summary *sum) DTC_MUST_CHECK;

/* The check's name. */
const char *dtc_verify_check_name(dtc_check c);

#endif
