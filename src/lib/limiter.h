/* limiter.h: the request budget of one Dynatrace account, shared by every
 * walk of that account. Dynatrace limits requests per account, whatever the
 * token, and answers 429 with Retry-After beyond it, so concurrent walks
 * must slow down together: at most `limit` requests in flight; a 429 halves
 * the limit (once per round of requests, not once per answer) and pauses
 * every walk of the account for its Retry-After; after `limit` successes in
 * a row the limit grows by one, up to the configured maximum (additive
 * increase, multiplicative decrease, as TCP does). Thread-safe. */
#ifndef DTC_LIMITER_H
#define DTC_LIMITER_H
#include <stdbool.h>
#include <stdint.h>

#include "dtcost/errors.h"

typedef struct dtc_limiter dtc_limiter;

/* A limiter starting at max_inflight (1..64). */
int dtc_limiter_new(dtc_limiter **out, int max_inflight) DTC_MUST_CHECK;
void dtc_limiter_free(dtc_limiter *l);

/* Wait for a slot: fewer than the limit in flight and no pause in force.
 * Waits at most max_wait_ms, then DTC_ERETRY. *ticket identifies the round
 * the slot belongs to; give it back to release. */
int dtc_limiter_acquire(dtc_limiter *l, int64_t max_wait_ms, uint64_t *ticket) DTC_MUST_CHECK;
/* Give the slot back. throttled: the answer was 429 (retry_after_s its
 * Retry-After in seconds, -1 when absent: then a pause of one second). */
void dtc_limiter_release(dtc_limiter *l, uint64_t ticket, bool throttled, long retry_after_s);

/* What happened so far, for progress and benchmarks. */
typedef struct dtc_limiter_stats {
    int limit, max, peak_inflight;
    long requests, throttled, halvings;
} dtc_limiter_stats;
void dtc_limiter_stats_get(dtc_limiter *l, dtc_limiter_stats *out);

#endif
