/* limiter.c: AIMD request slots per account with a shared Retry-After pause. */
#include "limiter.h"

#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "alloc.h"
#include "timeutil.h"

#define PAUSE_CAP_MS (300 * 1000) /* a longer Retry-After is the caller's budget to judge */

struct dtc_limiter {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    int limit, max, inflight, peak;
    int successes;        /* in a row since the last change of limit */
    uint64_t round;       /* bumped at each halving: older tickets do not halve again */
    int64_t paused_until; /* monotonic ms */
    long requests, throttled, halvings;
};

int dtc_limiter_new(dtc_limiter **out, int max_inflight)
{
    if (max_inflight < 1 || max_inflight > 64) return DTC_EINVAL;
    dtc_limiter *l = dtc_calloc(1, sizeof(*l));
    if (!l) return DTC_ENOMEM;
    pthread_mutex_init(&l->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->changed, &ca);
    pthread_condattr_destroy(&ca);
    l->limit = l->max = max_inflight;
    *out = l;
    return 0;
}

void dtc_limiter_free(dtc_limiter *l)
{
    if (!l) return;
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->changed);
    dtc_free(l);
}

static void wait_until(dtc_limiter *l, int64_t deadline_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ms = deadline_ms - dtc_mono_ms();
    if (ms < 0) ms = 0;
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&l->changed, &l->mu, &ts);
}

int dtc_limiter_acquire(dtc_limiter *l, int64_t max_wait_ms, uint64_t *ticket)
{
    int64_t deadline = dtc_mono_ms() + (max_wait_ms > 0 ? max_wait_ms : 0);
    pthread_mutex_lock(&l->mu);
    for (;;) {
        int64_t now = dtc_mono_ms();
        if (l->inflight < l->limit && now >= l->paused_until) break;
        if (now >= deadline) {
            pthread_mutex_unlock(&l->mu);
            return DTC_ERETRY;
        }
        int64_t until =
            l->paused_until > now && l->paused_until < deadline ? l->paused_until : deadline;
        wait_until(l, until);
    }
    l->inflight++;
    if (l->inflight > l->peak) l->peak = l->inflight;
    l->requests++;
    *ticket = l->round;
    pthread_mutex_unlock(&l->mu);
    return 0;
}

void dtc_limiter_release(dtc_limiter *l, uint64_t ticket, bool throttled, long retry_after_s)
{
    pthread_mutex_lock(&l->mu);
    l->inflight--;
    if (throttled) {
        l->throttled++;
        int64_t pause = retry_after_s >= 0 ? (int64_t)retry_after_s * 1000 : 1000;
        if (pause > PAUSE_CAP_MS) pause = PAUSE_CAP_MS;
        if (dtc_mono_ms() + pause > l->paused_until) l->paused_until = dtc_mono_ms() + pause;
        if (ticket == l->round) { /* the first 429 of this round halves */
            l->limit = l->limit > 1 ? l->limit / 2 : 1;
            l->round++;
            l->halvings++;
        }
        l->successes = 0;
    } else if (++l->successes >= l->limit && l->limit < l->max) {
        l->limit++;
        l->successes = 0;
    }
    pthread_cond_broadcast(&l->changed);
    pthread_mutex_unlock(&l->mu);
}

void dtc_limiter_stats_get(dtc_limiter *l, dtc_limiter_stats *out)
{
    pthread_mutex_lock(&l->mu);
    *out = (dtc_limiter_stats){l->limit, l->max, l->peak, l->requests, l->throttled, l->halvings};
    pthread_mutex_unlock(&l->mu);
}
