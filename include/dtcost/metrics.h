/* metrics.h: the Prometheus text exposition of `dtcost serve` (format 0.0.4),
 * named by the Prometheus conventions (counters end in _total, timestamps in
 * _timestamp_seconds, money in the currency's units with a currency label,
 * display names only on _info series): budget, burn rate, the projected day
 * it runs out, Dynatrace's forecast, cost of the last complete day per
 * environment and capability (capped), the last sync, the outbox backlog
 * (from the database), and the process's own counters. docs/push.md lists
 * every family. */
#ifndef DTCOST_METRICS_H
#define DTCOST_METRICS_H
#include <stdbool.h>
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef struct dtc_metrics_counters {
    long cycles, cycles_failed;
    long sync_ok, sync_failed;
    long sync_requests, sync_retries;
    long push_requests, push_retries;
    long push_records, push_batches, push_dead, push_failed;
    int64_t last_cycle_end; /* epoch s, 0 before the first */
    double last_cycle_seconds;
    int64_t next_cycle;  /* epoch s */
    bool ready;          /* the first cycle completed */
    const char *version; /* dtcost_build_info's version label */
} dtc_metrics_counters;

/* The default of dtc_metrics_opts.max_cost_series ([serve] metrics_max_series). */
#define DTC_METRICS_MAX_COST_SERIES 500

typedef struct dtc_metrics_opts {
    int64_t today;       /* days since 1970: the last complete day is the latest before it */
    int max_cost_series; /* dtcost_cost_last_complete_day keeps the largest this many series
                          * and sums the rest per subscription and currency; 0: the default */
} dtc_metrics_opts;

/* The database's families as Prometheus text: *out (NUL-terminated, freed
 * with dtc_free) and its length *len; NULL and 0 on failure. DTC_EDB with the
 * message on the store, DTC_ENOMEM. */
int dtc_metrics_store(dtc_store *s, char **out, size_t *len,
                      const dtc_metrics_opts *opts) DTC_MUST_CHECK;
/* The process counters' families, the same way. DTC_ENOMEM. */
int dtc_metrics_process(char **out, size_t *len, const dtc_metrics_counters *c) DTC_MUST_CHECK;

#endif
