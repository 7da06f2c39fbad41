/* report_out.h: what `dtcost report` hands to its writers (terminal, JSON,
 * CSV in cmd_report.c; the HTML page in report_html.c). */
#ifndef DTC_CLI_REPORT_OUT_H
#define DTC_CLI_REPORT_OUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dtcost/chargeback.h"
#include "dtcost/license.h"
#include "dtcost/report.h"

typedef struct report_view {
    const dtc_report *r;
    const dtc_charge *charges; /* NULL when the config has no [allocation] rules */
    size_t ncharges;
    int64_t cb_from, cb_to;    /* the chargeback's days */
    char grain;                /* 'd', 'w' or 'm': spend over time */
    int top;                   /* rows per table */
    const dtc_lic_summary *lic; /* license data (classic Managed); ndays 0 when none */
    const char *lic_currency;   /* the [license] price list's currency */
} report_view;

/* License rows of the summary's environments, largest first (money, or host
 * units when nothing is priced); the caller frees the array. */
const dtc_lic_day **report_lic_ranked(const dtc_lic_summary *x);

/* A license row's figures for people: Full-Stack, Infrastructure and
 * application-only host-unit hours, DEM units, DDUs, money. */
#define REPORT_LIC_CELLS 6
void report_lic_cells(const dtc_lic_day *d, char cells[REPORT_LIC_CELLS][40]);

/* The license summary's days added up per bucket of `grain` ('d', 'w', 'm'),
 * oldest first, at most n (the latest). Returns how many were filled. */
size_t report_lic_buckets(const dtc_lic_summary *x, char grain, size_t n, dtc_lic_day *out);

/* The last n buckets (days, Monday weeks or calendar months) up to today:
 * starts[i] their first day, costs[i] their cost (micro-units), oldest first.
 * Returns how many were filled (fewer when the history is shorter). */
size_t report_buckets(const dtc_budget *b, int64_t today, char grain, size_t n, int64_t *starts, int64_t *costs);

/* Write the page to path (through a temporary file renamed into place).
 * 0, or -1 with a one-line reason in err. */
int report_html_write(const report_view *v, const char *path, char *err, size_t errlen);

#endif
