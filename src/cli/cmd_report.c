/* cmd_report.c: `dtcost report`: reads the options and the config, builds
 * the report with the library (dtcost/report.h) and hands it to one writer:
 * report_table.c, report_json.c, report_csv.c, and report_html.c for --html. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "commands.h"
#include "dtcost/config.h"
#include "dtcost/chargeback.h"
#include "dtcost/license.h"
#include "dtcost/report.h"
#include "dtcost/store.h"
#include "opts.h"
#include "report_out.h"

static const char *db_path, *format, *config_path, *by, *html_path;
static int64_t since, until;
static int window, top;

static const opt report_opts[] = {
    {"db", OPT_STR, &db_path, "PATH", OPT_DB_HELP},
    {"config", OPT_STR, &config_path, "FILE",
     "config with [allocation] (chargeback) and [license] (prices) sections (or DTCOST_CONFIG)"},
    {"format|json", OPT_CHOICE, &format, "table|json|csv",
     "aligned tables for people, one JSON document, or CSV rows (default table)"},
    {"html", OPT_STR, &html_path, "FILE",
     "also write a self-contained HTML page with charts to FILE"},
    {"by", OPT_STR, &by, "day|week|month",
     "spend over time in days, weeks or months (default month)"},
    {"since", OPT_TIME, &since, "DATE",
     "look for anomalies from this day (default: the spend window)"},
    {"until", OPT_TIME, &until, "DATE", "report as of this day (default: the last day with data)"},
    {"window", OPT_INT, &window, "DAYS",
     "spend window compared with the one before it (default 30)"},
    {"top", OPT_INT, &top, "N", "rows per spend table (default 10)"},
    {NULL, 0, NULL, NULL, NULL},
};

/* Columns the terminal tables may use: COLUMNS, else the terminal's width,
 * else 120 (a pipe or a file). */
static int terminal_width(void)
{
    const char *c = getenv("COLUMNS");
    char *end = NULL;
    long n = c && *c ? strtol(c, &end, 10) : 0;
    if (end && *end == '\0' && n >= 20 && n <= 1000) return (int)n;
    struct winsize ws;
    if (isatty(1) && ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 120;
}

const cmd_spec report_spec = {
    "report",
    "",
    "Budget per subscription (commitment, used, remaining, burn over 7 and 30\n"
    "days, when the budget runs out with an uncertainty band, Dynatrace's\n"
    "forecast, the overage to expect), spend by capability and environment\n"
    "against the window before (biggest movers first), this week and month\n"
    "against the last, spend over time, anomalies (days whose cost jumps away\n"
    "from the same weekday of the six weeks before) and, with an [allocation]\n"
    "section in the config, chargeback per team over the spend window.\n"
    "License data from dtcost license (classic Managed) adds host-unit hours,\n"
    "DEM units and DDUs by environment and day, priced with [license] prices.\n"
    "Details: docs/report.md.",
    report_opts,
};

int cmd_report(int argc, char **argv)
{
    db_path = format = config_path = by = html_path = NULL;
    since = until = 0;
    window = 30;
    top = 10;
    int npos = 0;
    int code = opt_parse(&report_spec, argc, argv, &npos);
    if (code >= 0) return code;
    if (npos > 0) return opt_usage_error(&report_spec, "unexpected argument '%s'", argv[1]);
    if (!format) format = "table";
    if (strcmp(format, "table") && strcmp(format, "json") && strcmp(format, "csv"))
        return opt_usage_error(&report_spec, "--format takes table, json or csv, not '%s'", format);
    if (by && strcmp(by, "day") && strcmp(by, "week") && strcmp(by, "month"))
        return opt_usage_error(&report_spec, "--by takes day, week or month, not '%s'", by);
    if (window < 1 || window > 366 || top < 1)
        return opt_usage_error(&report_spec,
                               "--window takes 1 to 366 days and --top a positive number");
    bool color = strcmp(format, "table") == 0 && isatty(1) &&
                 !(getenv("NO_COLOR") && *getenv("NO_COLOR")) &&
                 !(getenv("TERM") && strcmp(getenv("TERM"), "dumb") == 0);
    dtc_allocation alloc;
    dtc_license_config lc;
    dtc_config_file file = {.allocation = &alloc, .license = &lc};
    char err[512];
    int rc = dtc_config_file_load(&file, config_path);
    code = opt_exit_for(rc);
    if (rc == 0 && dtc_config_db_require(db_path = dtc_config_db_path(db_path, &file), file.err,
                                         sizeof(file.err)))
        code = DTC_EXIT_NOINPUT; /* a report reads; only sync and license import create */
    if (code != DTC_EXIT_OK) {
        fprintf(stderr, "dtcost report: %s\n", file.err);
        dtc_license_config_dispose(&lc);
        dtc_allocation_dispose(&alloc);
        dtc_config_file_dispose(&file);
        return code;
    }
    dtc_lic_summary lic;
    memset(&lic, 0, sizeof(lic));
    lic.from = lic.to = -1;
    dtc_store *db = NULL;
    dtc_report r;
    memset(&r, 0, sizeof(r));
    report_view v = {.r = &r,
                     .grain = by ? by[0] : 'm',
                     .top = top,
                     .lic = &lic,
                     .lic_currency = lc.currency,
                     .color = color,
                     .width = terminal_width()};
    dtc_charge *charges = NULL;
    dtc_charge_sum *sums = NULL;
    code = DTC_EXIT_OK;
    rc = dtc_store_open(&db, db_path, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "dtcost report: %s\n", err);
        code = opt_exit_for(rc);
        goto done;
    }
    dtc_report_opts o = {.today = until ? until / 86400 : (int64_t)time(NULL) / 86400,
                         .since = since ? since / 86400 : -1,
                         .window = window};
    if ((rc = dtc_report_build(db, &r, &o)) != 0) {
        fprintf(stderr, "dtcost report: %s\n",
                rc == DTC_EDB ? dtc_store_errmsg(db) : dtc_strerror(rc));
        code = opt_exit_for(rc);
        goto done;
    }
    if ((rc = dtc_lic_summarize(db, &lic, &lc, until ? until / 86400 : -1, window)) != 0) {
        fprintf(stderr, "dtcost report: license data: %s\n", dtc_store_errmsg(db));
        code = opt_exit_for(rc);
        goto done;
    }
    if (r.nbudgets == 0 && lic.from < 0) {
        fprintf(stderr,
                "dtcost report: %s holds no subscription and no license data yet: run dtcost sync "
                "(or dtcost license import for a Managed cluster) first\n",
                db_path);
        code = DTC_EXIT_NOINPUT;
        goto done;
    }
    v.as_of = r.nbudgets == 0 && lic.to >= 0 ? lic.to : r.today;
    if (alloc.nrules) { /* over the spend window */
        v.cb_from = r.window_first;
        v.cb_to = r.today;
        if ((rc = dtc_chargeback(&alloc, &charges, &v.ncharges, db, v.cb_from, v.cb_to)) != 0) {
            fprintf(stderr, "dtcost report: %s\n", alloc.err);
            code = opt_exit_for(rc);
            goto done;
        }
        v.charges = charges;
        if ((rc = dtc_report_charge_sums(&sums, &v.ncharge_sums, charges, v.ncharges)) != 0) {
            fprintf(stderr, "dtcost report: chargeback totals per currency: %s\n",
                    dtc_strerror(rc));
            code = opt_exit_for(rc);
            goto done;
        }
        v.charge_sums = sums;
    }
    if (html_path && (rc = report_html_write(&v, html_path, err, sizeof(err))) != 0) {
        fprintf(stderr, "dtcost report: %s\n", err);
        code = DTC_EXIT_IOERR;
        goto done;
    }
    int (*write)(FILE *, const report_view *) = strcmp(format, "json") == 0  ? report_json_write
                                                : strcmp(format, "csv") == 0 ? report_csv_write
                                                                             : report_table_write;
    errno = 0;
    if ((rc = write(stdout, &v)) != 0) {
        if (rc == DTC_EIO)
            fprintf(stderr,
                    "dtcost report: writing the %s report to standard output failed: %s (check the "
                    "disk "
                    "or the pipe it goes to)\n",
                    format, strerror(errno ? errno : EIO));
        else
            fprintf(
                stderr,
                "dtcost report: the %s report does not fit in memory (%s): narrow it with --until, "
                "--window or --top\n",
                format, dtc_strerror(rc));
        code = DTC_EXIT_IOERR;
    }
done:
    dtc_free(sums);
    dtc_free(charges);
    dtc_lic_summary_dispose(&lic);
    dtc_license_config_dispose(&lc);
    dtc_report_dispose(&r);
    dtc_allocation_dispose(&alloc);
    dtc_store_close(db);
    dtc_config_file_dispose(&file);
    return code;
}
