/* dps.c: Account Management API client (subscriptions, budget, cost). */
#include "dtcost/dps.h"

#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "dps_test.h"
#include "dtcost/retry.h"
#include "hash.h"
#include "limiter.h"
#include "text.h"
#include "timeutil.h"

struct dtc_dps {
    char *api_url, *account;
    dtc_auth *auth;
    dtc_http *http;
    dtc_limiter *limiter;
    bool v3_key_alone;    /* v3 page requests carry page-key alone (documented form) */
    bool alloc_key_alone; /* cost-allocation page requests carry page-key alone (documented form) */
    int v3_max_page;      /* a page size the server refused made this the largest (0: none) */
    int alloc_max_page;   /* the same for cost allocation */
    long requests, retries, last_status;
    int attempts, seconds;
    dtc_backoff backoff;
    char deprecation[64], sunset[64];
    char err[1024];
    char refusal[320];  /* the last refusal without advice: HTTP 404 "message" */
    const char *canned; /* dtc_dps__canned: every answer is this body (fuzzers, tests) */
    size_t canned_len;
    int canned_left;
};

void dtc_dps__canned(dtc_dps *c, const char *body, size_t len, int answers)
{
    c->canned = body;
    c->canned_len = len;
    c->canned_left = answers;
}

int dtc_dps_new(dtc_dps **out, const dtc_dps_opts *o)
{
    dtc_dps *c = dtc_calloc(1, sizeof(*c));
    if (!c) return DTC_ENOMEM;
    c->api_url = dtc_strdup(o->api_url);
    c->account = dtc_strdup(o->account_uuid);
    c->auth = o->auth;
    c->http = o->http;
    c->limiter = o->limiter;
    c->alloc_key_alone = true;
    c->attempts = o->retry_attempts > 0 ? o->retry_attempts : 8;
    c->seconds = o->retry_seconds > 0 ? o->retry_seconds : 300;
    /* Equal jitter over base * 2^k, capped at 30 s; a Retry-After from the
     * server wins when it is longer, up to a day. */
    dtc_backoff_init(&c->backoff, o->retry_base_ms > 0 ? o->retry_base_ms : 500, 30000,
                     DTC_RETRY_AFTER_MAX_S * 1000LL, DTC_JITTER_EQUAL,
                     (uint64_t)dtc_mono_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid());
    if (!c->api_url || !c->account) {
        dtc_dps_free(c);
        return DTC_ENOMEM;
    }
    size_t n = strlen(c->api_url);
    while (n && c->api_url[n - 1] == '/')
        c->api_url[--n] = '\0';
    *out = c;
    return 0;
}

void dtc_dps_free(dtc_dps *c)
{
    if (!c) return;
    dtc_free(c->api_url);
    dtc_free(c->account);
    dtc_free(c);
}

long dtc_dps_requests(const dtc_dps *c)
{
    return c->requests;
}
long dtc_dps_retries(const dtc_dps *c)
{
    return c->retries;
}
long dtc_dps_last_status(const dtc_dps *c)
{
    return c->last_status;
}
const char *dtc_dps_refusal(const dtc_dps *c)
{
    return c->last_status >= 400 ? c->refusal : "";
}
const char *dtc_dps_errmsg(const dtc_dps *c)
{
    return c->err;
}
const char *dtc_dps_deprecation(const dtc_dps *c)
{
    return c->deprecation;
}
const char *dtc_dps_sunset(const dtc_dps *c)
{
    return c->sunset;
}

/* Money from the API is believed up to this many currency units either way:
 * far beyond any account, and 10^18 micro-units leave int64 room for sums. */
#define MONEY_MAX_UNITS 1e12
/* Days remaining, usage values: beyond these a number is not believed. */
#define DAYS_MAX 1e6
#define USAGE_MAX 1e15

/* *out gets the exact micro-units of a JSON number (money has at most 6
 * decimals and stays below 2^53 / 10^6 within the range, so rounding the
 * double recovers the decimal). -1 when v is not a number or beyond
 * +-MONEY_MAX_UNITS; no conversion ever overflows. */
static int money(json_t *v, int64_t *out)
{
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d > MONEY_MAX_UNITS || d < -MONEY_MAX_UNITS)
        return -1;
    *out = (int64_t)llround(d * 1e6);
    return 0;
}

static bool retryable_status(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* What the server said about a refusal, read from every envelope Dynatrace
 * uses: {"error":true,"message":...} (account APIs, live), {"error":"...",
 * "error_description":...} (SSO), {"error":{"message":...}} (environment
 * APIs), else the body's text. Untrusted: one line, capped, and the client
 * secret and token scrubbed. */
static void server_says(dtc_dps *c, const dtc_http_resp *r, char *out, size_t n)
{
    char raw[512] = "";
    json_t *doc = r->body_len ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
    json_t *err = json_object_get(doc, "error");
    const char *m = json_string_value(json_object_get(doc, "message"));
    if (!m) m = json_string_value(err);
    if (!m) m = json_string_value(json_object_get(err, "message"));
    if (!m) m = json_string_value(json_object_get(doc, "error_description"));
    if (m)
        snprintf(raw, sizeof(raw), "%s", m);
    else if (!doc && r->body)
        snprintf(raw, sizeof(raw), "%.*s", (int)(r->body_len < 400 ? r->body_len : 400), r->body);
    json_decref(doc);
    dtc_text_oneline(out, n, raw, strlen(raw), 200, NULL, 0);
    dtc_auth_scrub(c->auth, out, n);
}

/* GET path (relative to the API URL), parse JSON. A 401 refreshes the token
 * once; 429, 5xx, transport failures and malformed JSON are retried with
 * backoff within the attempt and time budget; each request waits for a slot
 * of the account's limiter. 404 is DTC_ENOTFOUND (callers fall back), 400
 * DTC_EREQUEST with the server's words in the message. */
static int get_json_with(dtc_dps *c, const char *path, json_t **out, char *hdr, size_t hdrlen)
{
    char url[4096];
    if ((size_t)snprintf(url, sizeof(url), "%s%s", c->api_url, path) >= sizeof(url)) {
        snprintf(c->err, sizeof(c->err), "GET %.200s...: request longer than %zu bytes", url,
                 sizeof(url));
        return DTC_EINVAL;
    }
    char endpoint[512]; /* messages name the endpoint without its query */
    snprintf(endpoint, sizeof(endpoint), "%s%.*s", c->api_url, (int)strcspn(path, "?"), path);
    if (c->canned) {
        json_error_t jerr;
        if (c->canned_left-- <= 0 || !(*out = json_loadb(c->canned, c->canned_len, 0, &jerr))) {
            snprintf(c->err, sizeof(c->err), "GET %s: malformed answer", endpoint);
            return DTC_EPARSE;
        }
        return 0;
    }
    dtc_http_resp resp = {.status = 0};
    int64_t t0 = dtc_mono_ms(), budget = (int64_t)c->seconds * 1000;
    int refreshed = 0; /* tokens renewed for this request: several threads share them */
    bool malformed = false, transport = false;
    int tries = 0;
    char last[256] = "";
    for (;;) {
        long retry_after = -1;
        int rc = dtc_auth_header(c->auth, hdr, hdrlen, c->http);
        if (rc == DTC_EAUTH || rc == DTC_ENOMEM || rc == DTC_ETOOBIG) {
            dtc_auth_errmsg_copy(c->auth, c->err, sizeof(c->err));
            c->last_status = 0;
            return rc;
        }
        malformed = rc == DTC_EPARSE;
        transport = rc == DTC_EHTTP;
        if (rc) {
            dtc_auth_errmsg_copy(c->auth, last, sizeof(last));
        } else {
            uint64_t ticket = 0;
            if (c->limiter &&
                dtc_limiter_acquire(c->limiter, budget - (dtc_mono_ms() - t0), &ticket) != 0) {
                snprintf(c->err, sizeof(c->err),
                         "GET %s: no request slot within %d s: Dynatrace keeps throttling "
                         "this account (429); run again later or lower --concurrency",
                         endpoint, c->seconds);
                c->last_status = 429;
                return DTC_ERETRY;
            }
            c->requests++;
            rc = dtc_http_get(c->http, &resp, url, hdr);
            if (c->limiter)
                dtc_limiter_release(c->limiter, ticket, rc == 0 && resp.status == 429,
                                    rc == 0 ? resp.retry_after : -1);
            transport = rc != 0;
            if (rc == DTC_ETOOBIG) {
                /* Not transient: say so at once instead of retrying. */
                snprintf(c->err, sizeof(c->err),
                         "%s (a hostile or broken server? dtcost refuses it)",
                         dtc_http_errmsg(c->http));
                c->last_status = 0;
                return DTC_EPARSE;
            }
            if (rc) {
                snprintf(last, sizeof(last), "%s", dtc_http_errmsg(c->http));
            } else if (resp.status == 401 && refreshed < 3) {
                refreshed++; /* expired or revoked: a fresh token */
                dtc_auth_invalidate(c->auth, hdr);
                continue;
            } else if (retryable_status(resp.status)) {
                retry_after = resp.retry_after;
                snprintf(last, sizeof(last), "HTTP %ld", resp.status);
            } else if (resp.status != 200) {
                break;
            } else {
                if (resp.deprecation[0] && !c->deprecation[0])
                    snprintf(c->deprecation, sizeof(c->deprecation), "%s", resp.deprecation);
                if (resp.sunset[0] && !c->sunset[0])
                    snprintf(c->sunset, sizeof(c->sunset), "%s", resp.sunset);
                json_error_t jerr;
                json_t *doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
                if (doc) {
                    *out = doc;
                    c->last_status = 200;
                    return 0;
                }
                snprintf(last, sizeof(last), "malformed JSON at byte %d: %s", jerr.position,
                         jerr.text);
                malformed = true;
            }
        }
        int64_t wait = dtc_backoff_next(&c->backoff, tries, retry_after);
        tries++;
        bool spent = tries >= c->attempts || dtc_mono_ms() - t0 + wait > budget;
        if (spent && malformed) {
            snprintf(c->err, sizeof(c->err),
                     "GET %s: malformed answer %d times in a row, last: %s (something between here "
                     "and Dynatrace may be cutting answers short; run again later)",
                     endpoint, tries, last);
            c->last_status = 200;
            return DTC_EPARSE;
        }
        if (spent && transport) {
            snprintf(c->err, sizeof(c->err),
                     "%s (tried %d times; check DT_API_URL / --api-url, DT_SSO_URL / "
                     "--sso-url and the network)",
                     last, tries);
            c->last_status = 0;
            return DTC_EHTTP;
        }
        if (spent) {
            snprintf(c->err, sizeof(c->err),
                     "GET %s: gave up after %d attempts in %.0f s, last: %s (Dynatrace is "
                     "throttling or unavailable; run again later)",
                     endpoint, tries, (double)(dtc_mono_ms() - t0) / 1000.0, last);
            c->last_status = resp.status;
            return DTC_ERETRY;
        }
        c->retries++;
        dtc_sleep_ms(wait, NULL);
    }
    c->last_status = resp.status;
    char says[256];
    server_says(c, &resp, says, sizeof(says));
    const char *hint = "";
    int rc = DTC_EHTTP;
    switch (resp.status) {
    case 400:
        hint = " (Dynatrace refused this request; if it persists, report this line)";
        rc = DTC_EREQUEST;
        break;
    case 401:
        hint = " (token refused: check that DT_ACCOUNT_UUID is the OAuth client's account)";
        rc = DTC_EAUTH;
        break;
    case 403:
        hint = " (the OAuth client lacks a scope: account-uac-read for cost, account-env-read for "
               "environments)";
        rc = DTC_EAUTH;
        break;
    case 404:
        hint = " (unknown subscription or account: check the UUIDs)";
        rc = DTC_ENOTFOUND;
        break;
    case 410:
        hint = " (endpoint removed by Dynatrace)";
        rc = DTC_EGONE;
        break;
    }
    snprintf(c->refusal, sizeof(c->refusal), "HTTP %ld%s%s%s", resp.status, says[0] ? " \"" : "",
             says, says[0] ? "\"" : "");
    /* A refused request is named with its query (dates, filters, page key:
     * no secrets travel in account API URLs); other failures by endpoint. */
    if (rc == DTC_EREQUEST)
        snprintf(c->err, sizeof(c->err), "GET %.400s: HTTP 400%s%s%s%s", url, says[0] ? " \"" : "",
                 says, says[0] ? "\"" : "", hint);
    else
        snprintf(c->err, sizeof(c->err), "GET %s: HTTP %ld%s%s%s%s", endpoint, resp.status,
                 says[0] ? " \"" : "", says, says[0] ? "\"" : "", hint);
    return rc;
}

static int get_json(dtc_dps *c, const char *path, json_t **out)
{
    char hdr[8200]; /* "Bearer " and the token: it never leaves this frame */
    int rc = get_json_with(c, path, out, hdr, sizeof(hdr));
    explicit_bzero(hdr, sizeof(hdr));
    return rc;
}

/* GET path and allocate one zeroed element of elem bytes per item of the
 * document's `field` array (the document itself when field is NULL). On
 * success the caller owns *doc and *out. */
static int get_array(dtc_dps *c, const char *path, const char *field, size_t elem, json_t **doc,
                     json_t **items, void **out)
{
    int rc = get_json(c, path, doc);
    if (rc) return rc;
    *items = field ? json_object_get(*doc, field) : *doc;
    size_t cnt = json_array_size(*items);
    *out = dtc_calloc(cnt ? cnt : 1, elem);
    if (!*out) {
        json_decref(*doc);
        *doc = NULL;
        return DTC_ENOMEM;
    }
    return 0;
}

/* Display strings (names, messages) are cut to their field. */
static void copy_str(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, n, "%s", s ? s : "");
}

/* A price: documented as a decimal string and kept as that text; a JSON
 * number (an undocumented form) becomes the same plain decimal text, at most
 * 12 decimals, trailing zeros dropped (0.1 stays "0.1", 1e-05 is "0.00001"),
 * so readers that parse the text (the FOCUS export) see one form. Numbers
 * beyond +-10^15 or not finite are left empty, as a missing price is. */
static void copy_decimal(char *dst, size_t n, json_t *v)
{
    if (!json_is_number(v)) {
        copy_str(dst, n, v);
        return;
    }
    double d = json_number_value(v);
    dst[0] = '\0';
    if (!(d > -1e15 && d < 1e15)) return;
    int len = snprintf(dst, n, "%.12f", d);
    if (len < 0 || (size_t)len >= n) {
        dst[0] = '\0';
        return;
    }
    while (len > 1 && dst[len - 1] == '0')
        dst[--len] = '\0';
    if (dst[len - 1] == '.') dst[--len] = '\0';
    if (strcmp(dst, "-0") == 0) strcpy(dst, "0");
}

/* Natural keys (ids, capability keys) are never cut: two keys sharing
 * their first bytes would become one row. false (and dst "") when v does
 * not fit. */
static bool copy_key(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = s ? strlen(s) : 0;
    dst[0] = '\0';
    if (len >= n) return false;
    memcpy(dst, s ? s : "", len + 1);
    return true;
}

static int parse_error(dtc_dps *c, const char *path, const char *what);

/* A key longer than dtcost's field: refused, named, never truncated. */
static int key_too_long(dtc_dps *c, const char *path, const char *what, size_t n)
{
    char why[160];
    snprintf(why, sizeof(why),
             "%s longer than %zu bytes (dtcost refuses it rather than cut the key short; "
             "report this line)",
             what, n - 1);
    return parse_error(c, path, why);
}

static int parse_summary(json_t *o, dtc_subscription *s)
{
    memset(s, 0, sizeof(*s));
    if (!copy_key(s->uuid, sizeof(s->uuid), json_object_get(o, "uuid"))) return DTC_ETOOBIG;
    copy_str(s->name, sizeof(s->name), json_object_get(o, "name"));
    copy_str(s->status, sizeof(s->status), json_object_get(o, "status"));
    if (!s->uuid[0] ||
        dtc_parse_date(json_string_value(json_object_get(o, "startTime")), &s->start_day) ||
        dtc_parse_date(json_string_value(json_object_get(o, "endTime")), &s->end_day))
        return DTC_EPARSE;
    return 0;
}

int dtc_dps_list_subscriptions(dtc_dps *c, dtc_subscription **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_subscription *subs = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions", c->account);
    int rc = get_array(c, path, "data", sizeof(*subs), &doc, &data, (void **)&subs);
    if (rc) return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        if ((rc = parse_summary(json_array_get(data, i), &subs[i])) == DTC_ETOOBIG) {
            rc = key_too_long(c, path, "a subscription uuid", sizeof(subs[i].uuid));
            goto done;
        }
        if (rc) {
            snprintf(c->err, sizeof(c->err), "GET %s%s: subscription %zu lacks uuid or dates",
                     c->api_url, path, i);
            rc = DTC_EPARSE;
            goto done;
        }
    }
    *out = subs;
    *n = cnt;
    subs = NULL;
done:
    dtc_free(subs);
    json_decref(doc);
    return rc;
}

int dtc_dps_get_subscription(dtc_dps *c, dtc_subscription *out, const char *uuid)
{
    dtc_subscription_detail d;
    int rc = dtc_dps_get_detail(c, &d, uuid);
    if (rc == 0) *out = d.sub;
    dtc_dps_detail_dispose(&d);
    return rc;
}

int dtc_dps_cost(dtc_dps *c, dtc_cost_day **out, size_t *n, const char *uuid)
{
    char(*booking)[32] = NULL;
    int rc = dtc_dps_cost_booked(c, out, &booking, n, uuid);
    dtc_free(booking);
    return rc;
}

/* ---- detail, usage, per-environment records, and the rest ---- */

/* Days the API may talk about: 2000-01-01 .. 2199-12-31. */
#define DAY_MIN 10957
#define DAY_MAX 84006

/* The day of a date or date-time string; *bad set when it is missing,
 * malformed or outside DAY_MIN..DAY_MAX. */
static int64_t day_of(json_t *v, int *bad)
{
    int64_t t, day;
    const char *s = json_string_value(v);
    if (s && dtc_parse_datetime(s, &t) == 0)
        day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    else if (!s || dtc_parse_date(s, &day) != 0)
        day = DAY_MIN - 1;
    if (day < DAY_MIN || day > DAY_MAX) {
        *bad = 1;
        return 0;
    }
    return day;
}

static int parse_error(dtc_dps *c, const char *path, const char *what)
{
    snprintf(c->err, sizeof(c->err), "GET %s%.*s: unexpected answer: %s", c->api_url,
             (int)strcspn(path, "?"), path, what);
    return DTC_EPARSE;
}

/* The refusal of a number out of range, naming the field and the value. */
static int range_error(dtc_dps *c, const char *path, const char *field, json_t *v,
                       const char *range)
{
    char what[200];
    snprintf(what, sizeof(what), "%s is %.6g, outside %s (refused, nothing stored)", field,
             json_number_value(v), range);
    return parse_error(c, path, what);
}
#define MONEY_RANGE "+-10^12 currency units"

/* An optional money field: absent or null is 0. */
static int money_opt(dtc_dps *c, const char *path, json_t *doc, const char *field, int64_t *out)
{
    json_t *v = json_object_get(doc, field);
    *out = 0;
    if (!v || json_is_null(v)) return 0;
    if (money(v, out) != 0)
        return json_is_number(v) ? range_error(c, path, field, v, MONEY_RANGE)
                                 : parse_error(c, path, "a money field is not a number");
    return 0;
}

void dtc_dps_detail_dispose(dtc_subscription_detail *d)
{
    dtc_free(d->periods);
    dtc_free(d->caps);
    d->periods = NULL;
    d->caps = NULL;
}

int dtc_dps_get_detail(dtc_dps *c, dtc_subscription_detail *out, const char *uuid)
{
    char path[256];
    json_t *doc = NULL;
    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s", c->account, uuid);
    int rc = get_json(c, path, &doc);
    if (rc) return rc;
    json_t *budget = json_object_get(doc, "budget"), *cp = json_object_get(doc, "currentPeriod");
    if (parse_summary(doc, &out->sub) || !json_is_number(json_object_get(budget, "total")) ||
        !json_is_number(json_object_get(budget, "used")) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "startTime")),
                       &out->sub.period_start) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "endTime")), &out->sub.period_end)) {
        rc = parse_error(c, path, "budget or currentPeriod missing or malformed");
        goto done;
    }
    if (money(json_object_get(budget, "total"), &out->sub.budget_total) != 0) {
        rc = range_error(c, path, "budget.total", json_object_get(budget, "total"), MONEY_RANGE);
        goto done;
    }
    if (money(json_object_get(budget, "used"), &out->sub.budget_used) != 0) {
        rc = range_error(c, path, "budget.used", json_object_get(budget, "used"), MONEY_RANGE);
        goto done;
    }
    copy_str(out->sub.currency, sizeof(out->sub.currency), json_object_get(budget, "currencyCode"));
    double left = json_number_value(json_object_get(cp, "daysRemaining"));
    if (!isfinite(left) || left > DAYS_MAX || left < -DAYS_MAX) {
        rc = range_error(c, path, "currentPeriod.daysRemaining",
                         json_object_get(cp, "daysRemaining"), "+-10^6 days");
        goto done;
    }
    out->sub.days_remaining = (int64_t)left;
    copy_str(out->type, sizeof(out->type), json_object_get(doc, "type"));
    copy_str(out->sub_type, sizeof(out->sub_type), json_object_get(doc, "subType"));
    json_t *periods = json_object_get(doc, "periods"), *caps = json_object_get(doc, "capabilities");
    size_t np = json_array_size(periods), nc = json_array_size(caps);
    out->periods = dtc_calloc(np ? np : 1, sizeof(dtc_period));
    out->caps = dtc_calloc(nc ? nc : 1, sizeof(dtc_capability));
    if (!out->periods || !out->caps) {
        rc = DTC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        json_t *p = json_array_get(periods, i);
        copy_str(out->periods[i].start, sizeof(out->periods[i].start),
                 json_object_get(p, "startTime"));
        copy_str(out->periods[i].end, sizeof(out->periods[i].end), json_object_get(p, "endTime"));
    }
    for (size_t i = 0; i < nc; i++) {
        json_t *p = json_array_get(caps, i);
        if (!copy_key(out->caps[i].key, sizeof(out->caps[i].key), json_object_get(p, "key"))) {
            rc = key_too_long(c, path, "a capability key", sizeof(out->caps[i].key));
            goto done;
        }
        copy_str(out->caps[i].name, sizeof(out->caps[i].name), json_object_get(p, "name"));
    }
    out->nperiods = np;
    out->ncaps = nc;
done:
    if (rc) dtc_dps_detail_dispose(out);
    json_decref(doc);
    return rc;
}

int dtc_dps_cost_booked(dtc_dps *c, dtc_cost_day **out, char (**booking)[32], size_t *n,
                        const char *uuid)
{
    char path[256];
    json_t *doc = NULL;
    dtc_cost_day *days = NULL;
    char(*book)[32] = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s/cost", c->account, uuid);
    int rc = get_array(c, path, "data", sizeof(*days), &doc, &data, (void **)&days);
    if (rc) return rc;
    size_t cnt = json_array_size(data);
    book = dtc_calloc(cnt ? cnt : 1, sizeof(*book));
    if (!book) {
        rc = DTC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        int bad = 0;
        days[i].day = day_of(json_object_get(o, "startTime"), &bad);
        if (bad || !json_is_number(json_object_get(o, "value"))) {
            rc = parse_error(c, path, "a cost item lacks startTime (2000-2199) or value");
            goto done;
        }
        if (money(json_object_get(o, "value"), &days[i].cost) != 0) {
            rc = range_error(c, path, "a cost item's value", json_object_get(o, "value"),
                             MONEY_RANGE);
            goto done;
        }
        copy_str(days[i].currency, sizeof(days[i].currency), json_object_get(o, "currencyCode"));
        copy_str(book[i], sizeof(book[i]), json_object_get(o, "lastBookingDate"));
    }
    *out = days;
    *booking = book;
    *n = cnt;
    days = NULL;
    book = NULL;
done:
    dtc_free(days);
    dtc_free(book);
    json_decref(doc);
    return rc;
}

/* Fill one record from a usage or cost item: 0, -1 when a field is missing
 * or malformed, -2 when the value is out of range. */
static int record_of(json_t *o, int cost, dtc_record *r)
{
    int bad = 0;
    r->day = day_of(json_object_get(o, "startTime"), &bad);
    json_t *v = json_object_get(o, "value");
    if (bad || !json_is_number(v)) return -1;
    if (!copy_key(r->cap, sizeof(r->cap), json_object_get(o, "capabilityKey"))) return DTC_ETOOBIG;
    copy_str(r->cap_name, sizeof(r->cap_name), json_object_get(o, "capabilityName"));
    if (!r->cap[0]) return -1;
    if (!cost && (json_number_value(v) > USAGE_MAX || json_number_value(v) < -USAGE_MAX)) return -2;
    if (cost) {
        if (money(v, &r->cost) != 0) return -2;
        copy_str(r->unit, sizeof(r->unit), json_object_get(o, "currencyCode"));
        copy_str(r->booking, sizeof(r->booking), json_object_get(o, "bookingDate"));
    } else {
        r->value = json_number_value(v);
        copy_str(r->unit, sizeof(r->unit), json_object_get(o, "unitMeasure"));
    }
    return 0;
}

int dtc_dps_usage(dtc_dps *c, dtc_record **out, size_t *n, const char *uuid)
{
    char path[256];
    json_t *doc = NULL;
    dtc_record *recs = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s/usage", c->account, uuid);
    int rc = get_array(c, path, "data", sizeof(*recs), &doc, &data, (void **)&recs);
    if (rc) return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++)
        if ((rc = record_of(json_array_get(data, i), 0, &recs[i])) != 0) {
            rc = rc == -2
                     ? range_error(c, path, "a usage item's value",
                                   json_object_get(json_array_get(data, i), "value"), "+-10^15")
                 : rc == DTC_ETOOBIG
                     ? key_too_long(c, path, "a capabilityKey", sizeof(recs[i].cap))
                     : parse_error(c, path,
                                   "a usage item lacks startTime (2000-2199), value or "
                                   "capabilityKey");
            goto done;
        }
    *out = recs;
    *n = cnt;
    recs = NULL;
done:
    dtc_free(recs);
    json_decref(doc);
    return rc;
}

/* Records of one per-environment page (v2 or v3 shape) handed to fn. */
static int env_page(dtc_dps *c, const char *path, json_t *doc, int cost, dtc_record_fn fn,
                    void *ctx)
{
    json_t *data = json_object_get(doc, "data");
    if (!json_is_array(data)) return parse_error(c, path, "no data array");
    size_t total = 0, i, k;
    json_t *e;
    json_array_foreach(data, i, e) total +=
        json_array_size(json_object_get(e, cost ? "cost" : "usage"));
    dtc_record *recs = dtc_calloc(total ? total : 1, sizeof(*recs));
    if (!recs) return DTC_ENOMEM;
    size_t n = 0;
    int rc = 0;
    json_array_foreach(data, i, e)
    {
        json_t *items = json_object_get(e, cost ? "cost" : "usage"), *o;
        char env[sizeof(recs->env)], cluster[sizeof(recs->cluster)];
        if (!copy_key(env, sizeof(env), json_object_get(e, "environmentId")) ||
            !copy_key(cluster, sizeof(cluster), json_object_get(e, "clusterId"))) {
            rc = key_too_long(c, path, "an environmentId or clusterId", sizeof(env));
            goto done;
        }
        if (!env[0]) {
            rc = parse_error(c, path, "an entry lacks environmentId");
            goto done;
        }
        json_array_foreach(items, k, o)
        {
            dtc_record *r = &recs[n++];
            snprintf(r->env, sizeof(r->env), "%s", env);
            snprintf(r->cluster, sizeof(r->cluster), "%s", cluster);
            if ((rc = record_of(o, cost, r)) != 0) {
                rc = rc == -2
                         ? range_error(c, path,
                                       cost ? "a cost record's value" : "a usage record's value",
                                       json_object_get(o, "value"), cost ? MONEY_RANGE : "+-10^15")
                     : rc == DTC_ETOOBIG
                         ? key_too_long(c, path, "a capabilityKey", sizeof(r->cap))
                         : parse_error(c, path,
                                       "a record lacks startTime (2000-2199), value or "
                                       "capabilityKey");
                goto done;
            }
        }
    }
    rc = fn(ctx, recs, n);
done:
    dtc_free(recs);
    return rc;
}

/* The page keys of one walk, to stop a server whose keys cycle. */
typedef struct keyset {
    uint64_t *slot; /* open addressing; 0 is empty */
    size_t n, cap;
} keyset;

/* Add key; 1 when it was there already, 0 when new, DTC_ENOMEM. */
static int keyset_add(keyset *k, const char *key)
{
    uint64_t h = dtc_hash_bytes(0x9a6e, key, strlen(key)) | 1;
    if ((k->n + 1) * 2 > k->cap) {
        size_t ncap = k->cap ? k->cap * 2 : 256;
        uint64_t *ns = dtc_calloc(ncap, sizeof(uint64_t));
        if (!ns) return DTC_ENOMEM;
        for (size_t i = 0; i < k->cap; i++) {
            if (!k->slot[i]) continue;
            size_t j = k->slot[i] & (ncap - 1);
            while (ns[j])
                j = (j + 1) & (ncap - 1);
            ns[j] = k->slot[i];
        }
        dtc_free(k->slot);
        k->slot = ns;
        k->cap = ncap;
    }
    size_t j = h & (k->cap - 1);
    while (k->slot[j] && k->slot[j] != h)
        j = (j + 1) & (k->cap - 1);
    if (k->slot[j]) return 1;
    k->slot[j] = h;
    k->n++;
    return 0;
}

/* nextPageKey of a page: NULL when absent, null or "" (all end a walk).
 * *cycled when the key was seen before in this walk. */
static int next_key(dtc_dps *c, const char *path, json_t *doc, keyset *seen, int pages,
                    const char **key)
{
    *key = json_string_value(json_object_get(doc, "nextPageKey"));
    if (!*key || !**key) {
        *key = NULL;
        return 0;
    }
    int rc = keyset_add(seen, *key);
    if (rc == 1) {
        snprintf(c->err, sizeof(c->err),
                 "GET %s%.*s: page %d repeats an earlier nextPageKey: the server's page "
                 "keys cycle; nothing of this range was stored (run again later; report it if it "
                 "persists)",
                 c->api_url, (int)strcspn(path, "?"), path, pages + 1);
        return DTC_EPARSE;
    }
    return rc;
}

/* The request for a page: the walk's whole query, plus page-key unless it
 * is the first page; page-key alone when *key_alone. */
static int page_path(dtc_dps *c, char *path, size_t n, const char *base, const char *query,
                     const char *key, bool key_alone)
{
    char *esc = key ? dtc_http_escape(key) : NULL;
    if (key && !esc) return DTC_ENOMEM;
    size_t len = key && key_alone ? (size_t)snprintf(path, n, "%s?page-key=%s", base, esc)
                                  : (size_t)snprintf(path, n, "%s?%s%s%s", base, query,
                                                     key ? "&page-key=" : "", key ? esc : "");
    dtc_free(esc);
    if (len >= n) {
        snprintf(c->err, sizeof(c->err), "a page key of %zu bytes is too long for a request",
                 key ? strlen(key) : 0);
        return DTC_EPARSE;
    }
    return 0;
}

/* One walk: base?query, then the pages nextPageKey leads to, each handed to
 * page(). A page request refused with 400 is tried once in the other form
 * (*key_alone flipped, and kept for the handle when it works). A key seen
 * before stops the walk (DTC_EPARSE). *first_failed tells that the first
 * page failed (callers may retry the walk differently). */
static int walk_pages(dtc_dps *c, const char *base, const char *query, bool *key_alone,
                      int (*page)(dtc_dps *c, const char *path, json_t *doc, void *ctx), void *ctx,
                      bool *first_failed)
{
    char path[4096], key[2048] = "";
    keyset seen = {0};
    bool other_form_tried = false;
    *first_failed = false;
    int rc = page_path(c, path, sizeof(path), base, query, NULL, *key_alone);
    for (int pages = 0; rc == 0;) {
        json_t *doc = NULL;
        rc = get_json(c, path, &doc);
        if (rc == DTC_EREQUEST && pages > 0 && !other_form_tried) {
            other_form_tried = true;
            *key_alone = !*key_alone;
            rc = page_path(c, path, sizeof(path), base, query, key, *key_alone);
            continue;
        }
        if (rc) {
            *first_failed = pages == 0;
            break;
        }
        const char *next = NULL;
        if ((rc = page(c, path, doc, ctx)) == 0 &&
            (rc = next_key(c, path, doc, &seen, pages, &next)) == 0 && next) {
            if (strlen(next) >= sizeof(key)) {
                snprintf(c->err, sizeof(c->err),
                         "a page key of %zu bytes is too long for a request", strlen(next));
                rc = DTC_EPARSE;
            } else {
                snprintf(key, sizeof(key), "%s", next);
                rc = page_path(c, path, sizeof(path), base, query, key, *key_alone);
            }
        }
        json_decref(doc);
        if (rc || !next) break;
        pages++;
        other_form_tried = false;
    }
    dtc_free(seen.slot);
    return rc;
}

typedef struct env_walk {
    int cost;
    dtc_record_fn fn;
    void *ctx;
} env_walk;

static int on_env_page(dtc_dps *c, const char *path, json_t *doc, void *ud)
{
    env_walk *w = ud;
    return env_page(c, path, doc, w->cost, w->fn, w->ctx);
}

int dtc_dps_env_records(dtc_dps *c, const char *uuid, int cost, int64_t from, int64_t to,
                        int page_size, dtc_record_fn fn, void *ctx, int *used_v2)
{
    char f[16], t[16], base[512], query[256];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to + 1);
    const char *kind = cost ? "cost" : "usage";
    int ps = page_size > 0 ? page_size : 50;
    if (c->v3_max_page && ps > c->v3_max_page) ps = c->v3_max_page;
    env_walk w = {cost, fn, ctx};
    bool first_failed;
    *used_v2 = 0;
    snprintf(base, sizeof(base), "/sub/v3/accounts/%s/subscriptions/%s/environments/%s", c->account,
             uuid, kind);
    snprintf(query, sizeof(query), "startTime=%sT00:00:00Z&endTime=%sT00:00:00Z&page-size=%d", f, t,
             ps);
    int rc = walk_pages(c, base, query, &c->v3_key_alone, on_env_page, &w, &first_failed);
    if (rc == DTC_EREQUEST && first_failed && ps > 50) {
        /* Live accounts refuse pages over 50 entries. */
        c->v3_max_page = 50;
        snprintf(query, sizeof(query), "startTime=%sT00:00:00Z&endTime=%sT00:00:00Z&page-size=50",
                 f, t);
        rc = walk_pages(c, base, query, &c->v3_key_alone, on_env_page, &w, &first_failed);
    }
    if (rc == DTC_ENOTFOUND && first_failed) {
        /* No v3 here: the deprecated v2 answers the whole range at once. */
        char path[1024];
        json_t *doc = NULL;
        snprintf(path, sizeof(path),
                 "/sub/v2/accounts/%s/subscriptions/%s/environments/%s?startTime=%sT00:00:00Z"
                 "&endTime=%sT00:00:00Z",
                 c->account, uuid, kind, f, t);
        if ((rc = get_json(c, path, &doc)) != 0) return rc;
        *used_v2 = 1;
        rc = env_page(c, path, doc, cost, fn, ctx);
        json_decref(doc);
    }
    return rc;
}

int dtc_dps_environments(dtc_dps *c, dtc_environment **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_environment *envs = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/env/v2/accounts/%s/environments", c->account);
    int rc = get_array(c, path, "data", sizeof(*envs), &doc, &data, (void **)&envs);
    if (rc) return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        if (!copy_key(envs[i].id, sizeof(envs[i].id), json_object_get(o, "id"))) {
            rc = key_too_long(c, path, "an environment id", sizeof(envs[i].id));
            goto done;
        }
        envs[i].has_name = json_is_string(json_object_get(o, "name"));
        copy_str(envs[i].name, sizeof(envs[i].name), json_object_get(o, "name"));
        copy_str(envs[i].url, sizeof(envs[i].url), json_object_get(o, "url"));
        envs[i].active = json_is_true(json_object_get(o, "active"));
        if (!envs[i].id[0]) {
            rc = parse_error(c, path, "an environment lacks its id");
            goto done;
        }
    }
    *out = envs;
    *n = cnt;
    envs = NULL;
done:
    dtc_free(envs);
    json_decref(doc);
    return rc;
}

int dtc_dps_forecast(dtc_dps *c, dtc_forecast *out)
{
    char path[256];
    json_t *doc = NULL;
    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/forecast", c->account);
    int rc = get_json(c, path, &doc);
    if (rc) return rc;
    if (!json_is_number(json_object_get(doc, "forecastMedian"))) {
        rc = parse_error(c, path, "no forecastMedian");
        goto done;
    }
    if ((rc = money_opt(c, path, doc, "forecastMedian", &out->median)) != 0 ||
        (rc = money_opt(c, path, doc, "forecastLower", &out->lower)) != 0 ||
        (rc = money_opt(c, path, doc, "forecastUpper", &out->upper)) != 0 ||
        (rc = money_opt(c, path, doc, "budget", &out->budget)) != 0)
        goto done;
    out->budget_pct = json_number_value(json_object_get(doc, "forecastBudgetPct"));
    if (!isfinite(out->budget_pct) || out->budget_pct > 1e9 || out->budget_pct < -1e9) {
        rc = range_error(c, path, "forecastBudgetPct", json_object_get(doc, "forecastBudgetPct"),
                         "+-10^9");
        goto done;
    }
    copy_str(out->budget_date, sizeof(out->budget_date),
             json_object_get(doc, "forecastBudgetDate"));
    copy_str(out->created_at, sizeof(out->created_at), json_object_get(doc, "forecastCreatedAt"));
done:
    json_decref(doc);
    return rc;
}

int dtc_dps_rate_cards(dtc_dps *c, dtc_rate **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_rate *rates = NULL;
    snprintf(path, sizeof(path), "/sub/v1/accounts/%s/rate-cards", c->account);
    int rc = get_json(c, path, &doc);
    if (rc) return rc;
    size_t total = 0, i, k;
    json_t *card, *cap;
    json_array_foreach(doc, i, card) total +=
        json_array_size(json_object_get(card, "capabilities"));
    rates = dtc_calloc(total ? total : 1, sizeof(*rates));
    if (!rates) {
        rc = DTC_ENOMEM;
        goto done;
    }
    size_t m = 0;
    json_array_foreach(doc, i, card){
        json_array_foreach(json_object_get(card, "capabilities"), k, cap){dtc_rate *r = &rates[m++];
    /* quote, capability and start are the rate's natural key */
    if (!copy_key(r->quote, sizeof(r->quote), json_object_get(card, "quoteNumber")) ||
        !copy_key(r->cap, sizeof(r->cap), json_object_get(cap, "key")) ||
        !copy_key(r->start, sizeof(r->start), json_object_get(cap, "startTime"))) {
        rc = key_too_long(c, path, "a rate card's quoteNumber, capability key or startTime",
                          sizeof(r->start) < sizeof(r->cap) ? sizeof(r->start) : sizeof(r->cap));
        goto done;
    }
    copy_str(r->currency, sizeof(r->currency), json_object_get(card, "currencyCode"));
    copy_str(r->cap_name, sizeof(r->cap_name), json_object_get(cap, "name"));
    copy_decimal(r->price, sizeof(r->price), json_object_get(cap, "price"));
    copy_decimal(r->quoted_price, sizeof(r->quoted_price), json_object_get(cap, "quotedPrice"));
    copy_str(r->unit, sizeof(r->unit), json_object_get(cap, "quotedUnitOfMeasure"));
    copy_str(r->end, sizeof(r->end), json_object_get(cap, "endTime"));
    copy_str(r->deployment, sizeof(r->deployment), json_object_get(cap, "deploymentType"));
}
}
*out = rates;
*n = m;
rates = NULL;
done : dtc_free(rates);
json_decref(doc);
return rc;
}

int dtc_dps_events(dtc_dps *c, dtc_event **out, size_t *n, int64_t from, int64_t to)
{
    char path[512], f[16], t[16];
    json_t *doc = NULL;
    dtc_event *evs = NULL;
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to + 1);
    snprintf(path, sizeof(path),
             "/sub/v2/accounts/%s/subscriptions/events?startTime=%sT00:00:00Z&endTime=%sT00:00:00Z",
             c->account, f, t);
    json_t *data;
    int rc = get_array(c, path, NULL, sizeof(*evs), &doc, &data, (void **)&evs);
    if (rc) return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        dtc_event *e = &evs[i];
        /* type, environment, capability and date are the event's natural key */
        if (!copy_key(e->type, sizeof(e->type), json_object_get(o, "eventType")) ||
            !copy_key(e->env, sizeof(e->env), json_object_get(o, "environmentUuid")) ||
            !copy_key(e->capability, sizeof(e->capability), json_object_get(o, "capability")) ||
            !copy_key(e->date, sizeof(e->date), json_object_get(o, "date"))) {
            rc = key_too_long(c, path, "an event's eventType, environmentUuid, capability or date",
                              sizeof(e->type));
            goto done;
        }
        copy_str(e->created_at, sizeof(e->created_at), json_object_get(o, "createdAt"));
        copy_str(e->severity, sizeof(e->severity), json_object_get(o, "severity"));
        copy_str(e->message, sizeof(e->message), json_object_get(o, "message"));
        copy_str(e->level, sizeof(e->level), json_object_get(o, "notificationLevel"));
    }
    *out = evs;
    *n = cnt;
    evs = NULL;
done:
    dtc_free(evs);
    json_decref(doc);
    return rc;
}

/* One cost-allocation page's records handed to fn. */
typedef struct alloc_walk {
    dtc_cost_allocation_fn fn;
    void *ctx;
    int64_t from, to; /* the days asked for: records outside are dropped */
} alloc_walk;

static int alloc_page(dtc_dps *c, const char *path, json_t *doc, const alloc_walk *w)
{
    json_t *recs = json_object_get(doc, "records"), *o;
    if (!json_is_array(recs)) return parse_error(c, path, "no records array");
    size_t cnt = json_array_size(recs), i;
    dtc_cost_allocation *a = dtc_calloc(cnt ? cnt : 1, sizeof(*a));
    if (!a) return DTC_ENOMEM;
    int rc = 0;
    size_t kept = 0;
    json_array_foreach(recs, i, o)
    {
        int bad = 0;
        a[kept].day = day_of(json_object_get(o, "date"), &bad);
        if (!copy_key(a[kept].capability, sizeof(a[kept].capability),
                      json_object_get(o, "capability"))) {
            rc = key_too_long(c, path, "an allocation record's capability",
                              sizeof(a[kept].capability));
            goto done;
        }
        if (!copy_key(a[kept].key, sizeof(a[kept].key), json_object_get(o, "key"))) {
            rc = key_too_long(c, path, "an allocation record's key", sizeof(a[kept].key));
            goto done;
        }
        if (bad || !json_is_number(json_object_get(o, "costs"))) {
            rc = parse_error(c, path, "an allocation record lacks date (2000-2199) or costs");
            goto done;
        }
        if (money(json_object_get(o, "costs"), &a[kept].cost) != 0) {
            rc = range_error(c, path, "an allocation record's costs", json_object_get(o, "costs"),
                             MONEY_RANGE);
            goto done;
        }
        /* `to` is sent one day late (dtc_dps_cost_allocation): whether the
         * API reads it as inclusive is not documented, so both readings
         * give exactly [from, to]. */
        if (a[kept].day >= w->from && a[kept].day <= w->to) kept++;
    }
    rc = kept ? w->fn(w->ctx, a, kept) : 0;
done:
    dtc_free(a);
    return rc;
}

static int on_alloc_page(dtc_dps *c, const char *path, json_t *doc, void *ud)
{
    return alloc_page(c, path, doc, ud);
}

int dtc_dps_cost_allocation(dtc_dps *c, const char *uuid, const char *env, const char *field,
                            int64_t from, int64_t to, int page_size, dtc_cost_allocation_fn fn,
                            void *ctx)
{
    char base[256], query[512], f[16], t[16];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to + 1); /* inclusive or not, [from, to] is in the answer (alloc_page) */
    int ps = page_size > 0 ? page_size : 1000;
    if (c->alloc_max_page && ps > c->alloc_max_page) ps = c->alloc_max_page;
    char *eenv = dtc_http_escape(env);
    if (!eenv) return DTC_ENOMEM;
    snprintf(base, sizeof(base), "/v1/subscriptions/%s/cost-allocation", uuid);
    alloc_walk w = {fn, ctx, from, to};
    bool first_failed;
    int rc;
    for (;;) {
        snprintf(query, sizeof(query), "field=%s&environment-id=%s&from=%s&to=%s&page-size=%d",
                 field, eenv, f, t, ps);
        /* Documented: with page-key, no other parameter (the form tried first). */
        rc = walk_pages(c, base, query, &c->alloc_key_alone, on_alloc_page, &w, &first_failed);
        /* The page size is undocumented here; v3 on live accounts refuses
         * more than 50, so a refused first page is asked once more at 50. */
        if (!(rc == DTC_EREQUEST && first_failed && ps > 50)) break;
        c->alloc_max_page = ps = 50;
    }
    dtc_free(eenv);
    return rc;
}

int dtc_dps_alloc_values(dtc_dps *c, dtc_alloc_value **out, size_t *n, const char *field)
{
    dtc_alloc_value *vals = NULL;
    size_t nv = 0, cap = 0;
    int rc = 0;
    *out = NULL;
    *n = 0;
    /* Page numbers, bounded: 10,000 pages of values is no real account. */
    for (int page = 1; page <= 10000; page++) {
        char path[512];
        json_t *doc = NULL, *o;
        snprintf(path, sizeof(path), "/v1/accounts/%s/settings/%s?page=%d&page-size=500",
                 c->account, field, page);
        if ((rc = get_json(c, path, &doc)) != 0) break;
        json_t *recs = json_object_get(doc, "records");
        size_t i;
        if (!json_is_array(recs)) {
            json_decref(doc);
            rc = parse_error(c, path, "no records array");
            break;
        }
        json_array_foreach(recs, i, o)
        {
            const char *k = json_string_value(json_object_get(o, "key"));
            if (!k || !*k) continue;
            dtc_alloc_value *g = dtc_grow(vals, &cap, nv, sizeof(*vals));
            if (!g) {
                rc = DTC_ENOMEM;
                break;
            }
            vals = g;
            snprintf(vals[nv++].key, sizeof(vals->key), "%s", k);
        }
        bool more = json_is_true(json_object_get(doc, "hasNextPage")) && json_array_size(recs) > 0;
        json_decref(doc);
        if (rc || !more) break;
        if (page == 10000)
            rc = parse_error(c, path, "more than 10,000 pages of values; hasNextPage does not end");
    }
    if (rc) {
        dtc_free(vals);
        return rc;
    }
    *out = vals;
    *n = nv;
    return 0;
}
