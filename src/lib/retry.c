/* retry.c: exponential backoff with jitter, Retry-After, and a cancellable
 * sleep, shared by every retrying caller. */
#include "dtcost/retry.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "hash.h"

#define DAY_MS (86400LL * 1000)
#define SLICE_MS 100

static int64_t at_least(int64_t v, int64_t lo)
{
    return v < lo ? lo : v;
}

void dtc_backoff_init(dtc_backoff *out, int64_t base_ms, int64_t cap_ms, int64_t retry_after_cap_ms,
                      dtc_jitter jitter, uint64_t seed)
{
    out->cap_ms = at_least(cap_ms, 1);
    out->base_ms = at_least(base_ms, 1);
    if (out->base_ms > out->cap_ms) out->base_ms = out->cap_ms;
    out->retry_after_cap_ms = at_least(retry_after_cap_ms, 0);
    out->jitter = jitter;
    out->rng = seed;
    out->prev_ms = out->base_ms;
    out->retry_after_exact = false;
}

/* A uniform double in [0, 1) from the next state of the generator. */
static double next_unit(dtc_backoff *b)
{
    b->rng = dtc_mix64(b->rng + 0x9e3779b97f4a7c15ULL);
    return dtc_unit(b->rng);
}

/* Uniform in [lo, hi] (lo <= hi, both far below 2^53). */
static int64_t uniform(dtc_backoff *b, int64_t lo, int64_t hi)
{
    int64_t d = lo + (int64_t)(next_unit(b) * (double)(hi - lo + 1));
    return d > hi ? hi : d;
}

int64_t dtc_backoff_jitter(dtc_backoff *b, int64_t max_ms)
{
    return max_ms > 0 ? uniform(b, 0, max_ms) : 0;
}

int64_t dtc_backoff_next(dtc_backoff *b, int k, long retry_after_s)
{
    /* base * 2^k without overflow: stop doubling at the cap. */
    int64_t exp = b->base_ms;
    for (int i = 0; i < k && exp < b->cap_ms; i++)
        exp = exp > b->cap_ms / 2 ? b->cap_ms : exp * 2;
    if (exp > b->cap_ms) exp = b->cap_ms;
    int64_t d = exp;
    switch (b->jitter) {
    case DTC_JITTER_NONE:
        break;
    case DTC_JITTER_EQUAL:
        d = exp / 2 + uniform(b, 0, exp - exp / 2);
        break;
    case DTC_JITTER_FULL:
        d = uniform(b, 0, exp);
        break;
    case DTC_JITTER_DECORRELATED: {
        int64_t hi = b->prev_ms > b->cap_ms / 3 ? b->cap_ms : b->prev_ms * 3;
        d = uniform(b, b->base_ms, hi < b->base_ms ? b->base_ms : hi);
        break;
    }
    }
    b->prev_ms = d;
    if (retry_after_s >= 0) {
        /* Compare in seconds first: retry_after_s * 1000 may not fit. */
        int64_t ra = retry_after_s >= b->retry_after_cap_ms / 1000 + 1
                         ? b->retry_after_cap_ms
                         : (int64_t)retry_after_s * 1000;
        if (ra > b->retry_after_cap_ms) ra = b->retry_after_cap_ms;
        if (ra > d || b->retry_after_exact) d = ra;
    }
    return d;
}

int dtc_retry_after_parse(long *out_s, const char *value, time_t now_s)
{
    *out_s = -1;
    if (!value) return DTC_EPARSE;
    while (*value == ' ' || *value == '\t')
        value++;
    size_t n = strlen(value);
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t' || value[n - 1] == '\r' ||
                 value[n - 1] == '\n'))
        n--;
    if (!n) return DTC_EPARSE;
    if (isdigit((unsigned char)value[0])) {
        long s = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)value[i])) return DTC_EPARSE;
            if (s < DTC_RETRY_AFTER_MAX_S) /* saturate: the digits go on, the value stops */
                s = s * 10 + (value[i] - '0');
        }
        *out_s = s > DTC_RETRY_AFTER_MAX_S ? DTC_RETRY_AFTER_MAX_S : s;
        return 0;
    }
    /* An HTTP-date; libcurl's parser knows the three formats RFC 9110
     * requires recipients to accept. */
    char date[64];
    if (n >= sizeof(date)) return DTC_EPARSE;
    memcpy(date, value, n);
    date[n] = '\0';
    time_t t = curl_getdate(date, NULL);
    if (t == (time_t)-1) return DTC_EPARSE;
    if (t <= now_s)
        *out_s = 0;
    else
        *out_s = t - now_s > DTC_RETRY_AFTER_MAX_S ? DTC_RETRY_AFTER_MAX_S : (long)(t - now_s);
    return 0;
}

int dtc_sleep_ms(int64_t ms, const volatile sig_atomic_t *cancel)
{
    if (ms > DAY_MS) ms = DAY_MS;
    while (ms > 0) {
        if (cancel && *cancel) return 1;
        int64_t step = ms < SLICE_MS ? ms : SLICE_MS;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)step * 1000000L};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            if (cancel && *cancel) return 1;
        ms -= step;
    }
    return cancel && *cancel ? 1 : 0;
}
