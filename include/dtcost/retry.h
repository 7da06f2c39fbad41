/* retry.h: the one backoff every retrying caller uses (account API, push
 * sinks, license fetch, serve's schedule jitter): exponential delays with a
 * cap and jitter, a server's Retry-After honoured up to its own cap, and a
 * bounded sleep a signal flag can cut short. */
#ifndef DTCOST_RETRY_H
#define DTCOST_RETRY_H
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dtcost/errors.h"

/* The longest Retry-After dtc_retry_after_parse returns, in seconds: a day is
 * already "not now" for every caller, and each caller caps it lower. */
#define DTC_RETRY_AFTER_MAX_S 86400

typedef enum dtc_jitter {
    DTC_JITTER_NONE,         /* exactly base * 2^k (license fetch: the cluster's export queue) */
    DTC_JITTER_EQUAL,        /* half of base * 2^k plus a random share of the other half */
    DTC_JITTER_FULL,         /* uniform in [0, base * 2^k] */
    DTC_JITTER_DECORRELATED, /* uniform in [base, 3 * previous delay] (AWS "decorrelated jitter") */
} dtc_jitter;

/* A caller-owned backoff (no allocation, nothing to dispose). Fill it with
 * dtc_backoff_init; one per retry loop or per thread (not thread-safe). */
typedef struct dtc_backoff {
    int64_t base_ms;            /* first delay, > 0 */
    int64_t cap_ms;             /* no computed delay is longer */
    int64_t retry_after_cap_ms; /* a server's Retry-After is honoured up to this */
    dtc_jitter jitter;
    uint64_t rng;           /* state of the seeded generator */
    int64_t prev_ms;        /* the last computed delay (decorrelated jitter) */
    bool retry_after_exact; /* false (init): Retry-After wins when longer than the computed
                             * delay; true: it replaces it, shorter or longer */
} dtc_backoff;

/* Initialise out. Delays below 1 ms become 1 ms; a base_ms above cap_ms
 * becomes cap_ms (the cap wins); retry_after_cap_ms below 0 becomes 0. The
 * same seed gives the same delays. */
void dtc_backoff_init(dtc_backoff *out, int64_t base_ms, int64_t cap_ms, int64_t retry_after_cap_ms,
                      dtc_jitter jitter, uint64_t seed);

/* The delay before retry k (0-based) in ms, never negative and never above
 * max(cap_ms, min(retry_after_s * 1000, retry_after_cap_ms)). A
 * Retry-After (seconds, -1 when absent) wins when it is longer than the
 * computed delay (or always, with retry_after_exact). Overflow-safe for
 * every k and every retry_after_s. */
int64_t dtc_backoff_next(dtc_backoff *b, int k, long retry_after_s);

/* A uniform random delay in [0, max_ms] from the backoff's generator (serve's
 * schedule jitter); 0 when max_ms <= 0. */
int64_t dtc_backoff_jitter(dtc_backoff *b, int64_t max_ms);

/* Parse a Retry-After header value (RFC 9110: delay-seconds or an HTTP-date)
 * into *out_s, seconds from now_s, clamped to [0, DTC_RETRY_AFTER_MAX_S] (a
 * date in the past is 0; a number of any length saturates). Surrounding
 * blanks are allowed. Returns 0, or DTC_EPARSE for anything else (*out_s
 * is then -1). */
int dtc_retry_after_parse(long *out_s, const char *value, time_t now_s) DTC_MUST_CHECK;

/* Sleep ms milliseconds (at most a day; negative is 0) in slices of at most
 * 100 ms, so setting *cancel (may be NULL) from a signal handler or another
 * thread ends the wait within a slice. Returns 0 after the full wait, 1 when
 * cancelled. */
int dtc_sleep_ms(int64_t ms, const volatile sig_atomic_t *cancel);

#endif
