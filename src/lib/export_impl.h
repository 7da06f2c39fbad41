/* export_impl.h: what export.c shares with the files that add rows to its
 * FOCUS cost-and-usage output (export_license.c): a row sink that owns the
 * column table, so the columns, their order and the versions that have them
 * stay written once, in export.c. */
#ifndef DTC_EXPORT_IMPL_H
#define DTC_EXPORT_IMPL_H
#include <stddef.h>
#include <stdint.h>

#include "dtcost/export.h"
#include "dtcost/store.h"

typedef struct dtc_export__sink {
    void *ctx;
    size_t ncolumns; /* the length of every row's value array */
    /* The index of a FOCUS column in the value array by its name; -1 for a
     * name the table does not have. */
    int (*column)(const char *name);
    /* Write one row: values[i] for column i (NULL: null); columns the
     * version lacks are left out. The costs go into the export's stats.
     * Returns 0, or the export's error (DTC_ENOMEM, DTC_EIO). */
    int (*row)(void *ctx, const char *const *values, int64_t effective_micro, int64_t billed_micro);
} dtc_export__sink;

/* Classic (Managed) license units as FOCUS usage rows when o->license has a
 * price list: one row per cluster, environment, day and priced unit, written
 * through sink after every other row; units without a price and an unusable
 * currency are named in st->warning instead. No price list, no rows and no
 * query. Returns 0, DTC_EDB (detail on the store), DTC_ENOMEM (st->err),
 * DTC_ENOTFOUND (st->err) when a column it fills is not in the table, or the sink's
 * error. */
int dtc_export__license_rows(dtc_store *db, const dtc_export_opts *o, const dtc_export__sink *sink,
                             dtc_export_stats *st) DTC_MUST_CHECK;

#endif
