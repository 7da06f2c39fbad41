/* cmd_verify.c: `dtcost verify`, reconcile the database and print every
 * discrepancy with its size; exit 0 only when everything reconciles. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dtcost/store.h"
#include "dtcost/verify.h"
#include "opts.h"

static const char *db_path;
static bool json;

static const opt verify_opts[] = {
    {"db", OPT_STR, &db_path, "PATH", "SQLite database file (or DTCOST_DB; default dtcost.db)"},
    {"json", OPT_FLAG, &json, NULL, "one JSON object per discrepancy, then a summary object, on stdout"},
    {NULL, 0, NULL, NULL, NULL},
};

static const cmd_spec verify_spec = {
    "verify", "",
    "Reconcile the database: per subscription and day the per-environment costs\n"
    "equal the daily cost; the budget's used amount equals the cost booked in the\n"
    "current period; no day is missing inside a synced range; one currency per\n"
    "subscription. Prints each discrepancy with its size. Exit 0 when everything\n"
    "reconciles, 65 when something does not, 74 when the database cannot be read.",
    verify_opts,
};

/* Exact decimal of micro-units: -12.345678 */
static void decimal(char *dst, size_t n, int64_t micro)
{
    uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
    snprintf(dst, n, "%s%" PRIu64 ".%06" PRIu64, micro < 0 ? "-" : "", a / 1000000, a % 1000000);
}

static void on_discrepancy(void *ctx, const dtc_discrepancy *d)
{
    (void)ctx;
    char e[32], a[32], diff[32];
    decimal(e, sizeof(e), d->expected);
    decimal(a, sizeof(a), d->actual);
    decimal(diff, sizeof(diff), d->actual - d->expected);
    if (json) {
        printf("{\"check\":\"%s\",\"subscription\":\"%s\",\"day\":\"%s\",\"table\":\"%s\",\"currency\":\"%s\","
               "\"expected\":%s,\"actual\":%s}\n",
               d->what, d->subscription, d->day, d->table, d->currency,
               d->check == DTC_CHECK_CURRENCY || d->check == DTC_CHECK_MISSING_DAY ? "0" : e,
               d->check == DTC_CHECK_CURRENCY ? "0" : a);
        return;
    }
    switch (d->check) {
    case DTC_CHECK_MISSING_DAY:
        printf("%s: subscription %s, %s, in %s\n", d->what, d->subscription, d->day, d->table);
        break;
    case DTC_CHECK_CURRENCY:
        printf("%s: subscription %s, %" PRId64 " rows of %s in %s from %s on\n", d->what, d->subscription,
               d->actual, d->currency, d->table, d->day);
        break;
    default:
        printf("%s: subscription %s%s%s: expected %s, found %s, difference %s %s\n", d->what, d->subscription,
               d->day[0] ? ", " : "", d->day, e, a, diff, d->currency);
    }
}

int cmd_verify(int argc, char **argv)
{
    db_path = NULL;
    json = false;
    int npos = 0;
    int code = opt_parse(&verify_spec, argc, argv, &npos);
    if (code >= 0)
        return code;
    if (npos > 0)
        return opt_usage_error(&verify_spec, "unexpected argument '%s'", argv[1]);
    if (!db_path)
        db_path = getenv("DTCOST_DB") && *getenv("DTCOST_DB") ? getenv("DTCOST_DB") : "dtcost.db";
    dtc_store *db = NULL;
    char err[512];
    int rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dtcost verify: %s\n", err);
        return opt_exit_for(rc);
    }
    dtc_verify_summary sum;
    rc = dtc_verify_run(db, on_discrepancy, NULL, &sum);
    if (rc) {
        fprintf(stderr, "dtcost verify: %s\n", dtc_store_errmsg(db));
        dtc_store_close(db);
        return opt_exit_for(rc);
    }
    if (json)
        printf("{\"subscriptions\":%ld,\"days\":%ld,\"checks\":%ld,\"discrepancies\":%ld}\n", sum.subscriptions,
               sum.days, sum.checks, sum.discrepancies);
    else if (sum.subscriptions == 0)
        printf("dtcost verify: %s holds no subscription yet: run dtcost sync first\n", db_path);
    else
        printf("dtcost verify: %ld checks over %ld subscription%s and %ld days: %s\n", sum.checks,
               sum.subscriptions, sum.subscriptions == 1 ? "" : "s", sum.days,
               sum.discrepancies ? "discrepancies above" : "everything reconciles");
    dtc_store_close(db);
    return sum.discrepancies ? DTC_EXIT_DATAERR : sum.subscriptions ? DTC_EXIT_OK : DTC_EXIT_NOINPUT;
}
