/* report_out.h: what `dtcost report` hands to its writers: the terminal
 * tables (report_table.c), one JSON document (report_json.c), CSV rows
 * (report_csv.c) and the HTML page (report_html.c). The figures come from
 * the library (dtcost/report.h); writers only lay them out. */
#ifndef DTC_CLI_REPORT_OUT_H
#define DTC_CLI_REPORT_OUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dtcost/chargeback.h"
#include "dtcost/license.h"
#include "dtcost/report.h"

typedef struct report_view {
    const dtc_report *r;
    int64_t as_of; /* the day the table's and the page's titles give: r->today, or the license
                      data's last day when there is no subscription */
    const dtc_charge *charges; /* NULL when the config has no [allocation] rules */
    size_t ncharges;
    const dtc_charge_sum *charge_sums; /* the charges per currency (dtc_report_charge_sums) */
    size_t ncharge_sums;
    int64_t cb_from, cb_to;     /* the chargeback's days */
    char grain;                 /* 'd', 'w' or 'm': spend over time */
    int top;                    /* rows per table */
    const dtc_lic_summary *lic; /* license data (classic Managed); ndays 0 when none */
    const char *lic_currency;   /* the [license] price list's currency */
    bool color;                 /* ANSI bold and red in the terminal tables */
    int width;                  /* terminal columns the tables must fit */
} report_view;

/* Each writer returns 0, DTC_EIO when writing failed (errno says why),
 * DTC_ENOMEM or DTC_ETOOBIG; nothing is written after the first failure. */
int report_table_write(FILE *f, const report_view *v) DTC_MUST_CHECK;
int report_json_write(FILE *f, const report_view *v) DTC_MUST_CHECK;
int report_csv_write(FILE *f, const report_view *v) DTC_MUST_CHECK;

/* Write the page to path (through a temporary file renamed into place, so
 * a failure leaves no page and no temporary file). 0, DTC_EIO (errno says
 * why) or DTC_ENOMEM, with a one-line reason naming the path in err. */
int report_html_write(const report_view *v, const char *path, char *err,
                      size_t errlen) DTC_MUST_CHECK;

/* "day", "week" or "month". */
const char *report_grain_name(char grain);

/* A bucket's label: 2026-11, week of 2026-11-16, 2026-11-22. */
void report_bucket_label(char dst[24], char grain, int64_t start);

/* A figure that is a double (a usage quantity, a score, an axis value) as
 * the integer v x 10^places, places 0 to 6, rounded half away from zero:
 * what the fixed-point formatters (fmt_units, dtc_jw_fixed, the CSV's
 * decimals) print with `places` decimals. */
int64_t report_scaled(double v, int places);

/* A license row's figures for people: Full-Stack, Infrastructure and
 * application-only host-unit hours, DEM units, DDUs, money. */
#define REPORT_LIC_CELLS 6
void report_lic_cells(const dtc_lic_day *d, char cells[REPORT_LIC_CELLS][40]);

#endif
