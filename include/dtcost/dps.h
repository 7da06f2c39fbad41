/* dps.h: the Dynatrace Platform Subscription (Account Management) API:
 * subscriptions with budget and period, and daily cost. Money is exact
 * integer micro-units (1/1,000,000 of the currency). */
#ifndef DTCOST_DPS_H
#define DTCOST_DPS_H
#include <stddef.h>
#include <stdint.h>

#include "dtcost/auth.h"
#include "dtcost/errors.h"
#include "dtcost/http.h"

typedef struct dtc_dps dtc_dps;
struct dtc_limiter; /* src/lib/limiter.h: an account's shared request budget */

typedef struct dtc_dps_opts {
    const char *api_url; /* e.g. https://api.dynatrace.com */
    const char *account_uuid;
    dtc_auth *auth;              /* borrowed */
    dtc_http *http;              /* borrowed; one handle per thread */
    struct dtc_limiter *limiter; /* borrowed, shared by the account's handles; NULL: none */
    /* Retries of 429, 5xx, dropped connections and malformed answers:
     * exponential backoff with jitter from retry_base_ms, honouring
     * Retry-After, at most retry_attempts tries and retry_seconds in all
     * per request (0 picks the defaults: 8 tries, 300 s, 500 ms). */
    int retry_attempts, retry_seconds, retry_base_ms;
} dtc_dps_opts;

typedef struct dtc_subscription {
    char uuid[40];
    char name[128];
    char status[24];
    char currency[8];
    int64_t start_day, end_day;       /* days since 1970-01-01 */
    int64_t period_start, period_end; /* current period, days */
    int64_t days_remaining;
    int64_t budget_total, budget_used; /* micro-units */
} dtc_subscription;

/* Subscription detail beyond the summary: periods and capabilities. */
typedef struct dtc_period {
    char start[32], end[32]; /* as the API gives them (date-time) */
} dtc_period;
typedef struct dtc_capability {
    char key[64], name[128];
} dtc_capability;
typedef struct dtc_subscription_detail {
    dtc_subscription sub;
    char type[32], sub_type[32];
    dtc_period *periods; /* freed by dtc_dps_detail_dispose */
    size_t nperiods;
    dtc_capability *caps;
    size_t ncaps;
} dtc_subscription_detail;

/* One day's usage of a capability (subscription-wide or per environment),
 * or one day's cost of a capability in an environment. */
typedef struct dtc_record {
    char env[64], cluster[64];
    char cap[64], cap_name[128];
    int64_t day;
    double value;     /* usage, in unit */
    int64_t cost;     /* cost, micro-units */
    char unit[64];    /* usage unit, or currency for cost */
    char booking[32]; /* bookingDate of a cost record, "" when absent */
} dtc_record;

typedef struct dtc_environment {
    char id[64], name[256], url[256];
    int has_name, active;
} dtc_environment;

typedef struct dtc_forecast {
    int64_t median, lower, upper, budget; /* micro-units */
    double budget_pct;
    char budget_date[32], created_at[32];
} dtc_forecast;

typedef struct dtc_rate {
    char quote[64], cap[64], cap_name[128], price[32], quoted_price[32], unit[64], currency[8];
    char start[32], end[32], deployment[32];
} dtc_rate;

typedef struct dtc_event {
    char type[32], env[64], capability[64], date[32], created_at[32], severity[32];
    char message[512], level[32];
} dtc_event;

typedef struct dtc_cost_allocation {
    int64_t day;
    char capability[64], key[128];
    int64_t cost; /* micro-units */
} dtc_cost_allocation;

/* A defined value of a cost-allocation field (a cost centre or a product). */
typedef struct dtc_alloc_value {
    char key[128];
} dtc_alloc_value;

/* Called once per page with that page's records (borrowed: valid during the
 * call only); non-zero stops the walk and is returned. */
typedef int (*dtc_record_fn)(void *ctx, const dtc_record *recs, size_t n);
typedef int (*dtc_cost_allocation_fn)(void *ctx, const dtc_cost_allocation *recs, size_t n);

typedef struct dtc_cost_day {
    int64_t day;
    int64_t cost; /* micro-units */
    char currency[8];
} dtc_cost_day;

int dtc_dps_new(dtc_dps **out, const dtc_dps_opts *opts) DTC_MUST_CHECK;
void dtc_dps_free(dtc_dps *c);

/* The account's subscriptions (summary fields only); *out freed with dtc_free(). */
int dtc_dps_list_subscriptions(dtc_dps *c, dtc_subscription **out, size_t *n) DTC_MUST_CHECK;
/* One subscription with budget and current period. */
int dtc_dps_get_subscription(dtc_dps *c, dtc_subscription *out, const char *uuid) DTC_MUST_CHECK;
/* Daily cost of a subscription, oldest first; *out freed with dtc_free(). */
int dtc_dps_cost(dtc_dps *c, dtc_cost_day **out, size_t *n, const char *uuid) DTC_MUST_CHECK;
/* Subscription with periods and capabilities; dispose with dtc_dps_detail_dispose. */
int dtc_dps_get_detail(dtc_dps *c, dtc_subscription_detail *out, const char *uuid) DTC_MUST_CHECK;
void dtc_dps_detail_dispose(dtc_subscription_detail *d);
/* Daily cost with the last booking date of each day (booking[i], may be "");
 * *out and *booking each freed with dtc_free(). */
int dtc_dps_cost_booked(dtc_dps *c, dtc_cost_day **out, char (**booking)[32], size_t *n,
                        const char *uuid) DTC_MUST_CHECK;
/* Usage per capability and day, whole subscription; *out freed with dtc_free(). */
int dtc_dps_usage(dtc_dps *c, dtc_record **out, size_t *n, const char *uuid) DTC_MUST_CHECK;
/* Per-environment cost (cost = 1) or usage of days [from, to], page by page
 * (v3, following nextPageKey whether it ends absent, null or ""). Each page
 * request repeats the whole query with its page-key, as live accounts
 * demand; when one is refused with 400 the documented form (page-key alone)
 * is tried once and, if it works, kept for this handle. A page size above
 * 50 refused on the first page is retried once at 50. A page-key seen
 * before in the walk stops it (DTC_EPARSE): the server's keys cycle. When
 * v3 answers 404 it falls back to v2 in one "page" and *used_v2 is set. */
int dtc_dps_env_records(dtc_dps *c, const char *uuid, int cost, int64_t from, int64_t to,
                        int page_size, dtc_record_fn fn, void *ctx, int *used_v2) DTC_MUST_CHECK;
/* The account's environments; *out freed with dtc_free(). */
int dtc_dps_environments(dtc_dps *c, dtc_environment **out, size_t *n) DTC_MUST_CHECK;
/* Dynatrace's cost forecast for the account, into the caller's *out
 * (nothing to free). */
int dtc_dps_forecast(dtc_dps *c, dtc_forecast *out) DTC_MUST_CHECK;
/* The account's rate cards; *out freed with dtc_free(). */
int dtc_dps_rate_cards(dtc_dps *c, dtc_rate **out, size_t *n) DTC_MUST_CHECK;
/* Cost, budget and forecast events of days [from, to]; *out freed with
 * dtc_free(). */
int dtc_dps_events(dtc_dps *c, dtc_event **out, size_t *n, int64_t from, int64_t to) DTC_MUST_CHECK;
/* Cost allocation of one environment by field (COSTCENTER or PRODUCT) for
 * days [from, to], page_size records a page (0: 1000). `to` is sent as
 * to + 1 and records outside [from, to] are dropped, so an inclusive and an
 * exclusive reading of it give the same days. A first page refused with 400
 * is asked again with 50 records a page (and so is every later walk of c).
 * Page requests carry page-key alone, as documented; refused with 400, the
 * repeated query is tried once. A repeated page-key stops the walk
 * (DTC_EPARSE). */
int dtc_dps_cost_allocation(dtc_dps *c, const char *uuid, const char *env, const char *field,
                            int64_t from, int64_t to, int page_size, dtc_cost_allocation_fn fn,
                            void *ctx) DTC_MUST_CHECK;
/* The defined values of a cost-allocation field ("costcenters" or
 * "products"), following page numbers while hasNextPage; *out freed with
 * dtc_free(). */
int dtc_dps_alloc_values(dtc_dps *c, dtc_alloc_value **out, size_t *n,
                         const char *field) DTC_MUST_CHECK;
/* HTTP status of the last failed request (0 for transport failures). */
long dtc_dps_last_status(const dtc_dps *c);
/* The last failed request's refusal without dtc_dps_errmsg's advice,
 * `HTTP 404 "the server's message"`; "" when it got no HTTP error status.
 * For callers that give their own reading of a refusal. */
const char *dtc_dps_refusal(const dtc_dps *c);
/* Deprecation / Sunset headers seen (first ones), "" when none. */
const char *dtc_dps_deprecation(const dtc_dps *c);
const char *dtc_dps_sunset(const dtc_dps *c);

/* Requests sent so far, and how many of them were retries. */
long dtc_dps_requests(const dtc_dps *c);
long dtc_dps_retries(const dtc_dps *c);
/* Last error: one line naming the endpoint, the cause and what to do. */
const char *dtc_dps_errmsg(const dtc_dps *c);

#endif
