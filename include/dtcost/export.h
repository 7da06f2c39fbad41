/* export.h: per-environment daily cost and usage out of the database as CSV,
 * JSON Lines or FOCUS (FinOps Open Cost and Usage Specification) 1.2, 1.3 or
 * 1.4 CSV, streamed row by row so memory does not grow with the row count;
 * for FOCUS 1.3 and 1.4 also the ContractCommitment dataset and the recency
 * metadata. docs/focus.md holds the FOCUS mapping decisions. */
#ifndef DTCOST_EXPORT_H
#define DTCOST_EXPORT_H
#include <stdint.h>
#include <stdio.h>

#include "dtcost/errors.h"
#include "dtcost/license.h"
#include "dtcost/store.h"

typedef enum dtc_export_format {
    DTC_EXPORT_CSV,
    DTC_EXPORT_JSONL,
    DTC_EXPORT_FOCUS
} dtc_export_format;

#define DTC_FOCUS_NEWEST 4 /* FOCUS 1.4 */

/* The cost-allocation fields FOCUS rows are split by (--focus-split): a
 * record allocated to m cost centres and n products becomes up to
 * (m+1)(n+1) rows with both, m+1 or n+1 with one, 1 with none. */
#define DTC_FOCUS_SPLIT_COSTCENTER 1
#define DTC_FOCUS_SPLIT_PRODUCT 2
#define DTC_FOCUS_SPLIT_NONE 4 /* 0 in the options and config means both */

typedef struct dtc_export_opts {
    dtc_export_format format;
    int64_t from, to;                 /* days, inclusive; -1 for open */
    int focus_minor;                  /* FOCUS 1.2 (2), 1.3 (3) or 1.4 (4) */
    const char *invoice_issuer;       /* InvoiceIssuerName; default "Dynatrace" */
    const char *billing_account_name; /* BillingAccountName; default names the account UUID */
    int focus_split;                  /* DTC_FOCUS_SPLIT_* bits; 0: cost centre and product */
    /* [license] (classic Managed licensing): with a price list, FOCUS also
     * gets one usage row per priced license unit, cluster, environment and
     * day (docs/focus.md); NULL or no price: none, the file as without it. */
    const dtc_license_config *license;
} dtc_export_opts;

typedef struct dtc_export_stats {
    long rows, corrections;
    int64_t effective_micro, billed_micro; /* sums of what was written */
    char err[256];     /* one line when the export failed, "" when the detail is on the store */
    long license_rows; /* FOCUS rows of classic license units (counted in rows too) */
    /* One line for stderr when license units were left out of the FOCUS
     * file (no price for them, no usable currency); "" otherwise. */
    char warning[256];
} dtc_export_stats;

/* The [export] section of a config file: defaults for the options above. */
typedef struct dtc_export_config {
    int focus_minor;            /* 0 when not set */
    char *billing_account_name; /* NULL when not set */
    char *invoice_issuer;       /* NULL when not set */
    int focus_split;            /* 0 when not set */
} dtc_export_config;

/* Filled by dtc_config_file_load (config.h) through its .export target; a
 * zeroed struct is "nothing set". Frees what it holds. */
void dtc_export_config_dispose(dtc_export_config *c);

/* "1.2" -> 2, "1.3" -> 3, "1.4" -> 4; -1 for anything else. */
int dtc_export_focus_minor(const char *version);

/* "costcenter,product" (either order) -> both bits, "costcenter",
 * "product", "none" -> their DTC_FOCUS_SPLIT_* bit; -1 for anything else. */
int dtc_export_focus_split(const char *fields);

/* The three writers take the store first (the handle: a database error's
 * message is on it unless st->err says otherwise), then their outputs, the
 * stream they write first (out, borrowed, flushed, not closed), then the
 * options.
 *
 * Write every row of the range to out (for FOCUS: the cost-and-usage
 * dataset, a record with cost allocation split over its cost centres and
 * products, the rows' EffectiveCost summing to the record exactly,
 * docs/focus.md). Streams: memory holds one record's allocations at a time,
 * whatever the row count. Returns 0, DTC_EINVAL (a focus_minor not 2-4;
 * st->err), DTC_EDB (message in st->err, else on the store), DTC_ENOMEM
 * (st->err), or DTC_EIO when writing failed (errno says why, also when the
 * write failed on the export's writing thread). st gets the counts and
 * sums of what was written. */
int dtc_export_write(dtc_store *s, FILE *out, dtc_export_stats *st,
                     const dtc_export_opts *o) DTC_MUST_CHECK;

/* FOCUS 1.3/1.4 only: the ContractCommitment dataset to out, one row per DPS
 * commitment period (ContractCommitmentId as in the cost rows'
 * ContractApplied); *rows the rows written. DTC_EDB (message on the store),
 * DTC_ENOMEM, DTC_EIO. */
int dtc_export_commitments(dtc_store *s, FILE *out, long *rows,
                           const dtc_export_opts *o) DTC_MUST_CHECK;

/* FOCUS 1.3/1.4 only: the recency metadata to out as a JSON object naming
 * the dataset files (as given), the version, the last sync and the last
 * complete day and month. DTC_EDB (message on the store), DTC_ENOMEM,
 * DTC_EIO. */
int dtc_export_metadata(dtc_store *s, FILE *out, const dtc_export_opts *o, const char *cost_file,
                        const char *commit_file) DTC_MUST_CHECK;

#endif
