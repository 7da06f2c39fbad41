/* export.h: per-environment daily cost and usage out of the database as CSV,
 * JSON Lines or FOCUS (FinOps Open Cost and Usage Specification) CSV,
 * streamed row by row so memory does not grow with the row count.
 * docs/focus.md holds the FOCUS mapping decisions. */
#ifndef DTCOST_EXPORT_H
#define DTCOST_EXPORT_H
#include <stdint.h>
#include <stdio.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef enum dtc_export_format { DTC_EXPORT_CSV, DTC_EXPORT_JSONL, DTC_EXPORT_FOCUS } dtc_export_format;

typedef struct dtc_export_opts {
    dtc_export_format format;
    int64_t from, to;            /* days, inclusive; -1 for open */
    int focus_minor;             /* FOCUS 1.2 (2) or 1.3 (3) */
    const char *invoice_issuer;  /* InvoiceIssuerName; default "Dynatrace" */
} dtc_export_opts;

typedef struct dtc_export_stats {
    long rows, corrections;
    int64_t effective_micro, billed_micro; /* sums of what was written */
    char err[256]; /* one line when the export failed, "" when the detail is on the store */
} dtc_export_stats;

/* Write every row of the range to out. Returns 0, DTC_EDB (message in
 * st->err, else on the store), DTC_ENOMEM (st->err), or DTC_EIO when
 * writing failed. */
int dtc_export_write(dtc_store *s, const dtc_export_opts *o, FILE *out, dtc_export_stats *st) DTC_MUST_CHECK;

#endif
