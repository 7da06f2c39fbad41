/* cmd_verify.c: `dtcost verify`, reconcile the database and print every
 * discrepancy with its size; exit 0 only when everything reconciles. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/store.h"
#include "dtcost/verify.h"
#include "jw.h"
#include "opts.h"
#include "record.h"

static const char *db_path;
static const char *config_path;
static const char *out_format;

static const opt verify_opts[] = {
    {"db", OPT_STR, &db_path, "PATH", OPT_DB_HELP},
    {"config", OPT_STR, &config_path, "FILE",
     "INI file whose [dtcost] database is read when --db is not given (or DTCOST_CONFIG)"},
    {"format|json", OPT_CHOICE, &out_format, "table|json|csv",
     "one line per discrepancy and a summary; one JSON object per discrepancy then a summary "
     "object; or CSV, a row per discrepancy (the summary then goes to stderr) (default table)"},
    {NULL, 0, NULL, NULL, NULL},
};

const cmd_spec verify_spec = {
    "verify",
    "",
    "Reconcile the database: per subscription and day the per-environment costs\n"
    "equal the daily cost, and the cost allocation of a record its cost; the\n"
    "budget's used amount equals the cost booked in the current period; no day,\n"
    "environment day or allocation is missing inside a synced range; one currency\n"
    "per subscription. A sum of N rows may differ from its total by the rounding\n"
    "of micro-units, ceil((N + 1) / 2) micro-units, and no more. Prints each\n"
    "discrepancy on one line (check, where, expected, actual, why), then each\n"
    "check with its count. Exit 0 when everything reconciles, 65 when something\n"
    "does not, 66 when the database holds no subscription, 74 when it cannot be\n"
    "read.",
    verify_opts,
};

/* Exact decimal of micro-units: -12.345678 */
static void decimal(char *dst, size_t n, int64_t micro)
{
    uint64_t a = micro < 0 ? (uint64_t)0 - (uint64_t)micro : (uint64_t)micro;
    snprintf(dst, n, "%s%" PRIu64 ".%06" PRIu64, micro < 0 ? "-" : "", a / 1000000, a % 1000000);
}

/* The fields of a discrepancy for JSON and CSV; money as exact decimals in
 * dec (null where the check compares no money). */
#define DISC_FIELDS 12
static void discrepancy_fields(rec_field f[DISC_FIELDS], char dec[3][32], const dtc_discrepancy *d)
{
    bool money = d->check != DTC_CHECK_CURRENCY && d->check != DTC_CHECK_MISSING_DAY;
    const int64_t v[3] = {d->expected, d->actual, d->tolerance};
    for (int i = 0; i < 3; i++) {
        dec[i][0] = '\0';
        if (money) decimal(dec[i], sizeof(dec[i]), v[i]);
    }
    const rec_field all[DISC_FIELDS] = {
        REC_S("check", d->what),        REC_S("subscription", d->subscription),
        REC_S("day", d->day),           REC_S("table", d->table),
        REC_S("currency", d->currency), REC_N("expected", dec[0]),
        REC_N("actual", dec[1]),        REC_N("tolerance", dec[2]),
        REC_I("rows", d->rows),         REC_S("environment", d->environment),
        REC_S("field", d->field),       REC_S("capability", d->capability),
    };
    memcpy(f, all, sizeof(all));
}

static bool rows_written; /* CSV: the header row precedes the first discrepancy */

static void print_discrepancy(const dtc_discrepancy *d)
{
    rec_field f[DISC_FIELDS];
    char dec[3][32];
    discrepancy_fields(f, dec, d);
    (void)rec_write(stdout, out_format, f, DISC_FIELDS, !rows_written);
    rows_written = true;
}

/* One compact JSON object and a newline on stdout. */
static void json_line(dtc_buf *b)
{
    if (dtc_buf_addc(b, '\n') == 0) fwrite(b->data, 1, b->len, stdout);
    dtc_buf_reset(b);
}

/* "subscription S, environment E, field F, capability C, day D", leaving
 * out what the discrepancy is not about. */
static void where(char *dst, size_t n, const dtc_discrepancy *d)
{
    int k = snprintf(dst, n, "subscription %s", d->subscription);
    const char *parts[][2] = {{"environment", d->environment},
                              {"field", d->field},
                              {"capability", d->capability},
                              {"day", d->day}};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
        if (parts[i][1][0] && k >= 0 && (size_t)k < n)
            k += snprintf(dst + k, n - (size_t)k, ", %s %s", parts[i][0], parts[i][1]);
}

/* Why the numbers are a discrepancy: past the rounding, or rows missing. */
static void why(char *dst, size_t n, const dtc_discrepancy *d)
{
    char diff[32], tol[32];
    switch (d->check) {
    case DTC_CHECK_ENV_SUM:
    case DTC_CHECK_BUDGET_USED:
    case DTC_CHECK_ALLOC_SUM:
        decimal(diff, sizeof(diff),
                d->actual > d->expected ? d->actual - d->expected : d->expected - d->actual);
        decimal(tol, sizeof(tol), d->tolerance);
        snprintf(dst, n,
                 "differs by %s, more than the %s that rounding %ld row%s to micro-units allows%s",
                 diff, tol, d->rows, d->rows == 1 ? "" : "s",
                 d->check == DTC_CHECK_ALLOC_SUM && strcmp(d->table, "env_cost_day") == 0
                     ? "; the record has no row in env_cost_day"
                     : "");
        break;
    case DTC_CHECK_ENV_DAY:
        snprintf(dst, n, "no row in %s that day (missing rows have no tolerance)", d->table);
        break;
    case DTC_CHECK_ENV_GAP:
        snprintf(dst, n,
                 "no row of the environment in %s that day, actual is the other %ld row%s"
                 " (missing rows have no tolerance)",
                 d->table, d->rows, d->rows == 1 ? "" : "s");
        break;
    case DTC_CHECK_ENV_ORPHAN:
        snprintf(dst, n,
                 "%ld row%s in env_cost_day, no row in cost_day (orphan rows have no tolerance)",
                 d->rows, d->rows == 1 ? "" : "s");
        break;
    case DTC_CHECK_ALLOC_MISSING:
        snprintf(dst, n, "no row in %s for the field (missing rows have no tolerance)", d->table);
        break;
    default:
        snprintf(dst, n, "in %s", d->table);
    }
}

static void on_discrepancy(void *ctx, const dtc_discrepancy *d)
{
    (void)ctx;
    if (!opt_is(out_format, "table")) {
        print_discrepancy(d);
        return;
    }
    char at[320], e[32], a[32], because[200];
    where(at, sizeof(at), d);
    switch (d->check) {
    case DTC_CHECK_MISSING_DAY:
        printf("%s: %s: no row in %s\n", d->what, at, d->table);
        break;
    case DTC_CHECK_CURRENCY:
        printf("%s: subscription %s, %" PRId64 " rows of %s in %s from %s on\n", d->what,
               d->subscription, d->actual, d->currency, d->table, d->day);
        break;
    default:
        decimal(e, sizeof(e), d->expected);
        decimal(a, sizeof(a), d->actual);
        why(because, sizeof(because), d);
        printf("%s: %s: expected %s, actual %s %s: %s\n", d->what, at, e, a, d->currency, because);
    }
}

int cmd_verify(int argc, char **argv)
{
    db_path = NULL;
    config_path = NULL;
    out_format = NULL;
    rows_written = false;
    int npos = 0;
    int code = opt_parse(&verify_spec, argc, argv, &npos);
    if (!out_format) out_format = "table";
    if (code >= 0) return code;
    if (npos > 0) return opt_usage_error(&verify_spec, "unexpected argument '%s'", argv[1]);
    dtc_config_file file = {0}; /* [dtcost] database only */
    dtc_store *db = NULL;
    char err[512];
    int rc = dtc_config_file_load(&file, config_path);
    if (rc) {
        fprintf(stderr, "dtcost verify: %s\n", file.err);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    db_path = dtc_config_db_path(db_path, &file);
    if ((rc = dtc_config_db_require(db_path, err, sizeof(err))) == 0)
        rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        dtc_config_file_dispose(&file);
        fprintf(stderr, "dtcost verify: %s\n", err);
        return rc == DTC_ENOTFOUND ? DTC_EXIT_NOINPUT : opt_exit_for(rc);
    }
    dtc_verify_summary sum;
    dtc_buf b;
    dtc_buf_init(&b, DTC_CAP_SMALL);
    rc = dtc_verify_run(db, &sum, on_discrepancy, &b);
    if (rc) {
        fflush(stdout);
        fprintf(stderr, "dtcost verify: %s\n", dtc_store_errmsg(db));
        dtc_buf_dispose(&b);
        dtc_store_close(db);
        dtc_config_file_dispose(&file);
        return opt_exit_for(rc);
    }
    if (opt_is(out_format, "csv")) {
        if (!rows_written) { /* a table with no rows still has its header */
            dtc_discrepancy none;
            memset(&none, 0, sizeof(none));
            rec_field f[DISC_FIELDS];
            char dec[3][32];
            discrepancy_fields(f, dec, &none);
            rec_csv_header(stdout, f, DISC_FIELDS);
        }
        if (sum.subscriptions > 0)
            fprintf(stderr, "dtcost verify: %ld checks over %ld subscription%s and %ld days: %s\n",
                    sum.checks, sum.subscriptions, sum.subscriptions == 1 ? "" : "s", sum.days,
                    sum.discrepancies ? "discrepancies in the rows" : "everything reconciles");
    } else if (opt_is(out_format, "json")) {
        dtc_jw w;
        dtc_jw_init(&w, &b);
        dtc_jw_obj(&w);
        dtc_jw_key(&w, "subscriptions");
        dtc_jw_int(&w, sum.subscriptions);
        dtc_jw_key(&w, "days");
        dtc_jw_int(&w, sum.days);
        dtc_jw_key(&w, "checks");
        dtc_jw_int(&w, sum.checks);
        dtc_jw_key(&w, "discrepancies");
        dtc_jw_int(&w, sum.discrepancies);
        /* a list, not an object keyed by the checks' names: keys stay snake_case */
        dtc_jw_key(&w, "by_check");
        dtc_jw_arr(&w);
        for (int c = 0; c < DTC_CHECK_COUNT; c++) {
            dtc_jw_obj(&w);
            dtc_jw_key(&w, "check");
            dtc_jw_str(&w, dtc_verify_check_name((dtc_check)c));
            dtc_jw_key(&w, "discrepancies");
            dtc_jw_int(&w, sum.by_check[c]);
            dtc_jw_obj_end(&w);
        }
        dtc_jw_arr_end(&w);
        dtc_jw_obj_end(&w);
        json_line(&b);
    } else if (sum.subscriptions > 0) {
        for (int c = 0; c < DTC_CHECK_COUNT; c++)
            printf("  %8ld  %s\n", sum.by_check[c], dtc_verify_check_name((dtc_check)c));
        printf("dtcost verify: %ld checks over %ld subscription%s and %ld days: %s\n", sum.checks,
               sum.subscriptions, sum.subscriptions == 1 ? "" : "s", sum.days,
               sum.discrepancies ? "discrepancies above" : "everything reconciles");
    }
    fflush(stdout);
    if (sum.subscriptions == 0)
        fprintf(stderr, "dtcost verify: %s holds no subscription yet: run dtcost sync first\n",
                db_path);
    dtc_buf_dispose(&b);
    dtc_store_close(db);
    dtc_config_file_dispose(&file);
    return sum.discrepancies   ? DTC_EXIT_DATAERR
           : sum.subscriptions ? DTC_EXIT_OK
                               : DTC_EXIT_NOINPUT;
}
