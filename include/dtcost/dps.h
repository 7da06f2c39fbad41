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

typedef struct dtc_dps_opts {
    const char *api_url; /* e.g. https://api.dynatrace.com */
    const char *account_uuid;
    dtc_auth *auth;      /* borrowed */
    dtc_http *http;      /* borrowed */
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

typedef struct dtc_cost_day {
    int64_t day;
    int64_t cost;            /* micro-units */
    char currency[8];
} dtc_cost_day;

int dtc_dps_new(dtc_dps **out, const dtc_dps_opts *opts) DTC_MUST_CHECK;
void dtc_dps_free(dtc_dps *c);

/* The account's subscriptions (summary fields only); *out freed with free(). */
int dtc_dps_list_subscriptions(dtc_dps *c, dtc_subscription **out, size_t *n) DTC_MUST_CHECK;
/* One subscription with budget and current period. */
int dtc_dps_get_subscription(dtc_dps *c, const char *uuid, dtc_subscription *out) DTC_MUST_CHECK;
/* Daily cost of a subscription, oldest first; *out freed with free(). */
int dtc_dps_cost(dtc_dps *c, const char *uuid, dtc_cost_day **out, size_t *n) DTC_MUST_CHECK;
/* Requests sent so far. */
long dtc_dps_requests(const dtc_dps *c);
/* Last error: one line naming the endpoint, the cause and what to do. */
const char *dtc_dps_errmsg(const dtc_dps *c);

#endif
