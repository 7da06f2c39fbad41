/* dps.c: Account Management API client (subscriptions, budget, cost). */
#include "dtcost/dps.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "hash.h"
#include "timeutil.h"

struct dtc_dps {
    char *api_url, *account;
    dtc_auth *auth;
    dtc_http *http;
    long requests, retries, last_status;
    int attempts, seconds, base_ms;
    uint64_t rng;
    char deprecation[64], sunset[64];
    char err[768];
};

int dtc_dps_new(dtc_dps **out, const dtc_dps_opts *o)
{
    dtc_dps *c = dtc_calloc(1, sizeof(*c));
    if (!c)
        return DTC_ENOMEM;
    c->api_url = dtc_strdup(o->api_url);
    c->account = dtc_strdup(o->account_uuid);
    c->auth = o->auth;
    c->http = o->http;
    c->attempts = o->retry_attempts > 0 ? o->retry_attempts : 8;
    c->seconds = o->retry_seconds > 0 ? o->retry_seconds : 300;
    c->base_ms = o->retry_base_ms > 0 ? o->retry_base_ms : 500;
    c->rng = (uint64_t)dtc_mono_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();
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
    if (!c)
        return;
    dtc_free(c->api_url);
    dtc_free(c->account);
    dtc_free(c);
}

long dtc_dps_requests(const dtc_dps *c) { return c->requests; }
long dtc_dps_retries(const dtc_dps *c) { return c->retries; }
long dtc_dps_last_status(const dtc_dps *c) { return c->last_status; }
const char *dtc_dps_errmsg(const dtc_dps *c) { return c->err; }
const char *dtc_dps_deprecation(const dtc_dps *c) { return c->deprecation; }
const char *dtc_dps_sunset(const dtc_dps *c) { return c->sunset; }

/* Exact micro-units of a JSON number: money has at most 6 decimals and is far
 * below 2^53 / 10^6, so rounding the double recovers the decimal exactly. */
static int64_t money(json_t *v)
{
    return (int64_t)llround(json_number_value(v) * 1e6);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* Backoff before retry k (0-based): full jitter over base * 2^k, capped at
 * 30 s; a Retry-After from the server wins when it is longer. */
static int64_t backoff_ms(dtc_dps *c, int k, long retry_after)
{
    int64_t cap = (int64_t)c->base_ms << (k < 16 ? k : 16);
    if (cap > 30000)
        cap = 30000;
    c->rng = dtc_mix64(c->rng + 0x9e3779b97f4a7c15ULL);
    int64_t d = cap / 2 + (int64_t)(dtc_unit(c->rng) * (double)(cap / 2 + 1));
    if (retry_after >= 0 && retry_after * 1000 > d)
        d = retry_after * 1000;
    return d;
}

static bool retryable_status(long st)
{
    return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

/* GET path (relative to the API URL), parse JSON. A 401 refreshes the token
 * once; 429, 5xx, transport failures and malformed JSON are retried with
 * backoff within the attempt and time budget. *status gets the final HTTP
 * status (404 is returned as DTC_ENOTFOUND so callers can fall back). */
static int get_json(dtc_dps *c, const char *path, json_t **out)
{
    char url[4096];
    snprintf(url, sizeof(url), "%s%s", c->api_url, path);
    const char *shown = path; /* messages name the endpoint without its query */
    char endpoint[512];
    snprintf(endpoint, sizeof(endpoint), "%s%.*s", c->api_url, (int)strcspn(shown, "?"), shown);
    dtc_http_resp resp;
    int64_t t0 = dtc_mono_ms();
    bool refreshed = false, malformed = false, transport = false;
    int tries = 0;
    char last[256] = "";
    for (;;) {
        const char *hdr;
        long retry_after = -1;
        int rc = dtc_auth_header(c->auth, c->http, &hdr);
        if (rc == DTC_EAUTH || rc == DTC_ENOMEM) {
            snprintf(c->err, sizeof(c->err), "%s", dtc_auth_errmsg(c->auth));
            c->last_status = 0;
            return rc;
        }
        malformed = rc == DTC_EPARSE;
        if (rc) {
            snprintf(last, sizeof(last), "%s", dtc_auth_errmsg(c->auth));
        } else {
            c->requests++;
            rc = dtc_http_get(c->http, url, hdr, &resp);
            transport = rc != 0;
            if (rc == DTC_ETOOBIG) {
                /* Not transient: say so at once instead of retrying. */
                snprintf(c->err, sizeof(c->err), "%s (a hostile or broken server? dtcost refuses it)",
                         dtc_http_errmsg(c->http));
                c->last_status = 0;
                return DTC_EPARSE;
            }
            if (rc) {
                snprintf(last, sizeof(last), "%s", dtc_http_errmsg(c->http));
            } else if (resp.status == 401 && !refreshed) {
                refreshed = true; /* expired or revoked: one fresh token */
                dtc_auth_invalidate(c->auth);
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
                snprintf(last, sizeof(last), "malformed JSON at byte %d: %s", jerr.position, jerr.text);
                malformed = true;
            }
        }
        int64_t wait = backoff_ms(c, tries, retry_after);
        tries++;
        if ((tries >= c->attempts || dtc_mono_ms() - t0 + wait > (int64_t)c->seconds * 1000) && malformed) {
            snprintf(c->err, sizeof(c->err),
                     "GET %s: malformed answer %d times in a row, last: %s (something between here "
                     "and Dynatrace may be cutting answers short; run again later)", endpoint, tries, last);
            c->last_status = 200;
            return DTC_EPARSE;
        }
        if ((tries >= c->attempts || dtc_mono_ms() - t0 + wait > (int64_t)c->seconds * 1000) && transport) {
            snprintf(c->err, sizeof(c->err), "%s (tried %d times; check DT_API_URL / --api-url and the network)",
                     last, tries);
            c->last_status = 0;
            return DTC_EHTTP;
        }
        if (tries >= c->attempts || dtc_mono_ms() - t0 + wait > (int64_t)c->seconds * 1000) {
            snprintf(c->err, sizeof(c->err),
                     "GET %s: gave up after %d attempts in %.0f s, last: %s (Dynatrace is "
                     "throttling or unavailable; run again later)",
                     endpoint, tries, (double)(dtc_mono_ms() - t0) / 1000.0, last);
            c->last_status = rc ? 0 : resp.status;
            return DTC_ERETRY;
        }
        c->retries++;
        sleep_ms(wait);
    }
    c->last_status = resp.status;
    const char *hint = "";
    int rc = DTC_EHTTP;
    switch (resp.status) {
    case 400: hint = " (the request was refused as malformed; this is a dtcost bug if it persists)"; break;
    case 401: hint = " (token refused: check that DT_ACCOUNT_UUID is the OAuth client's account)"; rc = DTC_EAUTH; break;
    case 403: hint = " (the OAuth client lacks a scope: account-uac-read for cost, account-env-read for environments)"; rc = DTC_EAUTH; break;
    case 404: hint = " (unknown subscription or account: check the UUIDs)"; rc = DTC_ENOTFOUND; break;
    case 410: hint = " (endpoint removed by Dynatrace)"; rc = DTC_EGONE; break;
    }
    snprintf(c->err, sizeof(c->err), "GET %s: HTTP %ld%s", endpoint, resp.status, hint);
    return rc;
}

/* GET path and allocate one zeroed element of elem bytes per item of the
 * document's `field` array (the document itself when field is NULL). On
 * success the caller owns *doc and *out. */
static int get_array(dtc_dps *c, const char *path, const char *field, size_t elem, json_t **doc,
                     json_t **items, void **out)
{
    int rc = get_json(c, path, doc);
    if (rc)
        return rc;
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

static void copy_str(char *dst, size_t n, json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, n, "%s", s ? s : "");
}

static int parse_summary(json_t *o, dtc_subscription *s)
{
    memset(s, 0, sizeof(*s));
    copy_str(s->uuid, sizeof(s->uuid), json_object_get(o, "uuid"));
    copy_str(s->name, sizeof(s->name), json_object_get(o, "name"));
    copy_str(s->status, sizeof(s->status), json_object_get(o, "status"));
    if (!s->uuid[0] || dtc_parse_date(json_string_value(json_object_get(o, "startTime")), &s->start_day) ||
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
    if (rc)
        return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        if (parse_summary(json_array_get(data, i), &subs[i])) {
            snprintf(c->err, sizeof(c->err), "GET %s%s: subscription %zu lacks uuid or dates", c->api_url, path, i);
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

int dtc_dps_get_subscription(dtc_dps *c, const char *uuid, dtc_subscription *out)
{
    dtc_subscription_detail d;
    int rc = dtc_dps_get_detail(c, uuid, &d);
    if (rc == 0)
        *out = d.sub;
    dtc_dps_detail_dispose(&d);
    return rc;
}

int dtc_dps_cost(dtc_dps *c, const char *uuid, dtc_cost_day **out, size_t *n)
{
    char(*booking)[32] = NULL;
    int rc = dtc_dps_cost_booked(c, uuid, out, &booking, n);
    dtc_free(booking);
    return rc;
}

/* ---- detail, usage, per-environment records, and the rest ---- */

static int64_t day_of(json_t *v, int *bad)
{
    int64_t t;
    const char *s = json_string_value(v);
    if (!s || dtc_parse_datetime(s, &t) != 0) {
        if (s && dtc_parse_date(s, &t) == 0)
            return t;
        *bad = 1;
        return 0;
    }
    return t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
}

static int parse_error(dtc_dps *c, const char *path, const char *what)
{
    snprintf(c->err, sizeof(c->err), "GET %s%.*s: unexpected answer: %s", c->api_url,
             (int)strcspn(path, "?"), path, what);
    return DTC_EPARSE;
}

void dtc_dps_detail_dispose(dtc_subscription_detail *d)
{
    dtc_free(d->periods);
    dtc_free(d->caps);
    d->periods = NULL;
    d->caps = NULL;
}

int dtc_dps_get_detail(dtc_dps *c, const char *uuid, dtc_subscription_detail *out)
{
    char path[256];
    json_t *doc = NULL;
    memset(out, 0, sizeof(*out));
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s", c->account, uuid);
    int rc = get_json(c, path, &doc);
    if (rc)
        return rc;
    json_t *budget = json_object_get(doc, "budget"), *cp = json_object_get(doc, "currentPeriod");
    if (parse_summary(doc, &out->sub) || !json_is_number(json_object_get(budget, "total")) ||
        !json_is_number(json_object_get(budget, "used")) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "startTime")), &out->sub.period_start) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "endTime")), &out->sub.period_end)) {
        rc = parse_error(c, path, "budget or currentPeriod missing or malformed");
        goto done;
    }
    out->sub.budget_total = money(json_object_get(budget, "total"));
    out->sub.budget_used = money(json_object_get(budget, "used"));
    copy_str(out->sub.currency, sizeof(out->sub.currency), json_object_get(budget, "currencyCode"));
    out->sub.days_remaining = (int64_t)json_number_value(json_object_get(cp, "daysRemaining"));
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
        copy_str(out->periods[i].start, sizeof(out->periods[i].start), json_object_get(p, "startTime"));
        copy_str(out->periods[i].end, sizeof(out->periods[i].end), json_object_get(p, "endTime"));
    }
    for (size_t i = 0; i < nc; i++) {
        json_t *p = json_array_get(caps, i);
        copy_str(out->caps[i].key, sizeof(out->caps[i].key), json_object_get(p, "key"));
        copy_str(out->caps[i].name, sizeof(out->caps[i].name), json_object_get(p, "name"));
    }
    out->nperiods = np;
    out->ncaps = nc;
done:
    if (rc)
        dtc_dps_detail_dispose(out);
    json_decref(doc);
    return rc;
}

int dtc_dps_cost_booked(dtc_dps *c, const char *uuid, dtc_cost_day **out, char (**booking)[32],
                        size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_cost_day *days = NULL;
    char(*book)[32] = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s/cost", c->account, uuid);
    int rc = get_array(c, path, "data", sizeof(*days), &doc, &data, (void **)&days);
    if (rc)
        return rc;
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
            rc = parse_error(c, path, "a cost item lacks startTime or value");
            goto done;
        }
        days[i].cost = money(json_object_get(o, "value"));
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

/* Fill one record from a usage or cost item. */
static int record_of(json_t *o, int cost, dtc_record *r)
{
    int bad = 0;
    r->day = day_of(json_object_get(o, "startTime"), &bad);
    json_t *v = json_object_get(o, "value");
    if (bad || !json_is_number(v))
        return -1;
    copy_str(r->cap, sizeof(r->cap), json_object_get(o, "capabilityKey"));
    copy_str(r->cap_name, sizeof(r->cap_name), json_object_get(o, "capabilityName"));
    if (!r->cap[0])
        return -1;
    if (cost) {
        r->cost = money(v);
        copy_str(r->unit, sizeof(r->unit), json_object_get(o, "currencyCode"));
        copy_str(r->booking, sizeof(r->booking), json_object_get(o, "bookingDate"));
    } else {
        r->value = json_number_value(v);
        copy_str(r->unit, sizeof(r->unit), json_object_get(o, "unitMeasure"));
    }
    return 0;
}

int dtc_dps_usage(dtc_dps *c, const char *uuid, dtc_record **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_record *recs = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s/usage", c->account, uuid);
    int rc = get_array(c, path, "data", sizeof(*recs), &doc, &data, (void **)&recs);
    if (rc)
        return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++)
        if (record_of(json_array_get(data, i), 0, &recs[i]) != 0) {
            rc = parse_error(c, path, "a usage item lacks startTime, value or capabilityKey");
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
static int env_page(dtc_dps *c, const char *path, json_t *doc, int cost, dtc_record_fn fn, void *ctx)
{
    json_t *data = json_object_get(doc, "data");
    if (!json_is_array(data))
        return parse_error(c, path, "no data array");
    size_t total = 0, i, k;
    json_t *e;
    json_array_foreach(data, i, e) total += json_array_size(json_object_get(e, cost ? "cost" : "usage"));
    dtc_record *recs = dtc_calloc(total ? total : 1, sizeof(*recs));
    if (!recs)
        return DTC_ENOMEM;
    size_t n = 0;
    int rc = 0;
    json_array_foreach(data, i, e) {
        json_t *items = json_object_get(e, cost ? "cost" : "usage"), *o;
        char env[64], cluster[64];
        copy_str(env, sizeof(env), json_object_get(e, "environmentId"));
        copy_str(cluster, sizeof(cluster), json_object_get(e, "clusterId"));
        if (!env[0]) {
            rc = parse_error(c, path, "an entry lacks environmentId");
            goto done;
        }
        json_array_foreach(items, k, o) {
            dtc_record *r = &recs[n++];
            snprintf(r->env, sizeof(r->env), "%s", env);
            snprintf(r->cluster, sizeof(r->cluster), "%s", cluster);
            if (record_of(o, cost, r) != 0) {
                rc = parse_error(c, path, "a record lacks startTime, value or capabilityKey");
                goto done;
            }
        }
    }
    rc = fn(ctx, recs, n);
done:
    dtc_free(recs);
    return rc;
}

int dtc_dps_env_records(dtc_dps *c, const char *uuid, int cost, int64_t from, int64_t to,
                        int page_size, dtc_record_fn fn, void *ctx, int *used_v2)
{
    char f[16], t[16], path[2048];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to + 1);
    const char *kind = cost ? "cost" : "usage";
    snprintf(path, sizeof(path),
             "/sub/v3/accounts/%s/subscriptions/%s/environments/%s?startTime=%sT00:00:00Z"
             "&endTime=%sT00:00:00Z&page-size=%d",
             c->account, uuid, kind, f, t, page_size > 0 ? page_size : 500);
    *used_v2 = 0;
    for (int pages = 0;; pages++) {
        json_t *doc = NULL;
        int rc = get_json(c, path, &doc);
        if (rc == DTC_ENOTFOUND && pages == 0) {
            /* No v3 here: the deprecated v2 answers the whole range at once. */
            snprintf(path, sizeof(path),
                     "/sub/v2/accounts/%s/subscriptions/%s/environments/%s?startTime=%sT00:00:00Z"
                     "&endTime=%sT00:00:00Z", c->account, uuid, kind, f, t);
            if ((rc = get_json(c, path, &doc)) != 0)
                return rc;
            *used_v2 = 1;
            rc = env_page(c, path, doc, cost, fn, ctx);
            json_decref(doc);
            return rc;
        }
        if (rc)
            return rc;
        rc = env_page(c, path, doc, cost, fn, ctx);
        const char *key = json_string_value(json_object_get(doc, "nextPageKey"));
        char *esc = key && *key && rc == 0 ? dtc_http_escape(key) : NULL;
        if (esc)
            snprintf(path, sizeof(path), "/sub/v3/accounts/%s/subscriptions/%s/environments/%s?page-key=%s",
                     c->account, uuid, kind, esc);
        free(esc);
        bool more = key && *key;
        json_decref(doc);
        if (rc || !more)
            return rc;
        if (pages > 1000000)
            return parse_error(c, path, "more than a million pages; the page keys do not end");
    }
}

int dtc_dps_environments(dtc_dps *c, dtc_environment **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_environment *envs = NULL;
    json_t *data;
    snprintf(path, sizeof(path), "/env/v2/accounts/%s/environments", c->account);
    int rc = get_array(c, path, "data", sizeof(*envs), &doc, &data, (void **)&envs);
    if (rc)
        return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        copy_str(envs[i].id, sizeof(envs[i].id), json_object_get(o, "id"));
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
    if (rc)
        return rc;
    if (!json_is_number(json_object_get(doc, "forecastMedian"))) {
        rc = parse_error(c, path, "no forecastMedian");
        goto done;
    }
    out->median = money(json_object_get(doc, "forecastMedian"));
    out->lower = money(json_object_get(doc, "forecastLower"));
    out->upper = money(json_object_get(doc, "forecastUpper"));
    out->budget = money(json_object_get(doc, "budget"));
    out->budget_pct = json_number_value(json_object_get(doc, "forecastBudgetPct"));
    copy_str(out->budget_date, sizeof(out->budget_date), json_object_get(doc, "forecastBudgetDate"));
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
    if (rc)
        return rc;
    size_t total = 0, i, k;
    json_t *card, *cap;
    json_array_foreach(doc, i, card) total += json_array_size(json_object_get(card, "capabilities"));
    rates = dtc_calloc(total ? total : 1, sizeof(*rates));
    if (!rates) {
        rc = DTC_ENOMEM;
        goto done;
    }
    size_t m = 0;
    json_array_foreach(doc, i, card) {
        json_array_foreach(json_object_get(card, "capabilities"), k, cap) {
            dtc_rate *r = &rates[m++];
            copy_str(r->quote, sizeof(r->quote), json_object_get(card, "quoteNumber"));
            copy_str(r->currency, sizeof(r->currency), json_object_get(card, "currencyCode"));
            copy_str(r->cap, sizeof(r->cap), json_object_get(cap, "key"));
            copy_str(r->cap_name, sizeof(r->cap_name), json_object_get(cap, "name"));
            copy_str(r->price, sizeof(r->price), json_object_get(cap, "price"));
            copy_str(r->quoted_price, sizeof(r->quoted_price), json_object_get(cap, "quotedPrice"));
            copy_str(r->unit, sizeof(r->unit), json_object_get(cap, "quotedUnitOfMeasure"));
            copy_str(r->start, sizeof(r->start), json_object_get(cap, "startTime"));
            copy_str(r->end, sizeof(r->end), json_object_get(cap, "endTime"));
            copy_str(r->deployment, sizeof(r->deployment), json_object_get(cap, "deploymentType"));
        }
    }
    *out = rates;
    *n = m;
    rates = NULL;
done:
    dtc_free(rates);
    json_decref(doc);
    return rc;
}

int dtc_dps_events(dtc_dps *c, int64_t from, int64_t to, dtc_event **out, size_t *n)
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
    if (rc)
        return rc;
    size_t cnt = json_array_size(data);
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        dtc_event *e = &evs[i];
        copy_str(e->type, sizeof(e->type), json_object_get(o, "eventType"));
        copy_str(e->env, sizeof(e->env), json_object_get(o, "environmentUuid"));
        copy_str(e->capability, sizeof(e->capability), json_object_get(o, "capability"));
        copy_str(e->date, sizeof(e->date), json_object_get(o, "date"));
        copy_str(e->created_at, sizeof(e->created_at), json_object_get(o, "createdAt"));
        copy_str(e->severity, sizeof(e->severity), json_object_get(o, "severity"));
        copy_str(e->message, sizeof(e->message), json_object_get(o, "message"));
        copy_str(e->level, sizeof(e->level), json_object_get(o, "notificationLevel"));
    }
    *out = evs;
    *n = cnt;
    json_decref(doc);
    return 0;
}

int dtc_dps_cost_allocation(dtc_dps *c, const char *uuid, const char *env, const char *field,
                            int64_t from, int64_t to, dtc_allocation_fn fn, void *ctx)
{
    char path[2048], f[16], t[16];
    dtc_fmt_date(f, from);
    dtc_fmt_date(t, to);
    char *eenv = dtc_http_escape(env);
    if (!eenv)
        return DTC_ENOMEM;
    snprintf(path, sizeof(path), "/v1/subscriptions/%s/cost-allocation?field=%s&environment-id=%s"
                                 "&from=%s&to=%s&page-size=1000", uuid, field, eenv, f, t);
    free(eenv);
    for (int pages = 0; pages < 1000000; pages++) {
        json_t *doc = NULL;
        int rc = get_json(c, path, &doc);
        if (rc)
            return rc;
        json_t *recs = json_object_get(doc, "records"), *o;
        size_t cnt = json_array_size(recs), i;
        dtc_allocation *a = dtc_calloc(cnt ? cnt : 1, sizeof(*a));
        if (!a) {
            json_decref(doc);
            return DTC_ENOMEM;
        }
        json_array_foreach(recs, i, o) {
            int bad = 0;
            a[i].day = day_of(json_object_get(o, "date"), &bad);
            copy_str(a[i].capability, sizeof(a[i].capability), json_object_get(o, "capability"));
            copy_str(a[i].key, sizeof(a[i].key), json_object_get(o, "key"));
            if (bad || !json_is_number(json_object_get(o, "costs"))) {
                dtc_free(a);
                json_decref(doc);
                return parse_error(c, path, "an allocation record lacks date or costs");
            }
            a[i].cost = money(json_object_get(o, "costs"));
        }
        rc = fn(ctx, a, cnt);
        dtc_free(a);
        const char *key = json_string_value(json_object_get(doc, "nextPageKey"));
        char *esc = key && *key && rc == 0 ? dtc_http_escape(key) : NULL;
        if (esc)
            snprintf(path, sizeof(path), "/v1/subscriptions/%s/cost-allocation?page-key=%s", uuid, esc);
        bool more = esc != NULL;
        free(esc);
        json_decref(doc);
        if (rc || !more)
            return rc;
    }
    return parse_error(c, path, "more than a million pages; the page keys do not end");
}
