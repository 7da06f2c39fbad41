/* metrics.h: the Prometheus text exposition of `dtcost serve` (format 0.0.4):
 * budget, cost of the last complete day per environment and capability, the
 * last sync, the outbox backlog (from the database), and the process's own
 * counters (cycles, requests, retries, records pushed). */
#ifndef DTCOST_METRICS_H
#define DTCOST_METRICS_H
#include <stdbool.h>
#include <stdint.h>

#include "dtcost/errors.h"
#include "dtcost/store.h"

typedef struct dtc_buf dtc_buf; /* src/util/buf.h */

typedef struct dtc_metrics_counters {
    long cycles, cycles_failed;
    long sync_ok, sync_failed;
    long sync_requests, sync_retries;
    long push_requests, push_retries;
    long push_records, push_batches, push_dead, push_failed;
    int64_t last_cycle_end;   /* epoch s, 0 before the first */
    double last_cycle_seconds;
    int64_t next_cycle;       /* epoch s */
    bool ready;               /* the first cycle completed */
} dtc_metrics_counters;

/* Append the database's families to out. today (days since 1970) bounds the
 * last complete day: the latest day before today with cost records. */
int dtc_metrics_store(dtc_buf *out, dtc_store *s, int64_t today) DTC_MUST_CHECK;
/* Append the process counters' families to out. */
int dtc_metrics_process(dtc_buf *out, const dtc_metrics_counters *c) DTC_MUST_CHECK;

#endif
