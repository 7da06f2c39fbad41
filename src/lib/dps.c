/* dps.c: Account Management API client (subscriptions, budget, cost). */
#include "dtcost/dps.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "timeutil.h"

struct dtc_dps {
    char *api_url, *account;
    dtc_auth *auth;
    dtc_http *http;
    long requests;
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
const char *dtc_dps_errmsg(const dtc_dps *c) { return c->err; }

/* Exact micro-units of a JSON number: money has at most 6 decimals and is far
 * below 2^53 / 10^6, so rounding the double recovers the decimal exactly. */
static int64_t money(json_t *v)
{
    return (int64_t)llround(json_number_value(v) * 1e6);
}

/* GET path (relative to the API URL), parse JSON; one token refresh on 401. */
static int get_json(dtc_dps *c, const char *path, json_t **out)
{
    char url[2048];
    snprintf(url, sizeof(url), "%s%s", c->api_url, path);
    dtc_http_resp resp;
    for (int attempt = 0;; attempt++) {
        const char *hdr;
        int rc = dtc_auth_header(c->auth, c->http, &hdr);
        if (rc) {
            snprintf(c->err, sizeof(c->err), "%s", dtc_auth_errmsg(c->auth));
            return rc;
        }
        c->requests++;
        rc = dtc_http_get(c->http, url, hdr, &resp);
        if (rc) {
            snprintf(c->err, sizeof(c->err), "%s (is the API URL right and reachable?)",
                     dtc_http_errmsg(c->http));
            return rc;
        }
        if (resp.status == 401 && attempt == 0) {
            dtc_auth_invalidate(c->auth);
            continue;
        }
        break;
    }
    if (resp.status != 200) {
        const char *hint = "";
        int rc = DTC_EHTTP;
        switch (resp.status) {
        case 401: hint = " (token refused: check DT_ACCOUNT_UUID matches the OAuth client's account)"; rc = DTC_EAUTH; break;
        case 403: hint = " (the OAuth client lacks scope account-uac-read)"; rc = DTC_EAUTH; break;
        case 404: hint = " (unknown subscription or account: list them with the subscriptions call)"; rc = DTC_ENOTFOUND; break;
        case 410: hint = " (endpoint removed by Dynatrace)"; rc = DTC_EGONE; break;
        }
        snprintf(c->err, sizeof(c->err), "GET %s%s: HTTP %ld%s", c->api_url, path, resp.status, hint);
        return rc;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (!doc) {
        snprintf(c->err, sizeof(c->err), "GET %s%s: malformed JSON at byte %d: %s", c->api_url,
                 path, jerr.position, jerr.text);
        return DTC_EPARSE;
    }
    *out = doc;
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
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions", c->account);
    int rc = get_json(c, path, &doc);
    if (rc)
        return rc;
    json_t *data = json_object_get(doc, "data");
    size_t cnt = json_array_size(data);
    subs = dtc_calloc(cnt ? cnt : 1, sizeof(*subs));
    if (!subs) {
        rc = DTC_ENOMEM;
        goto done;
    }
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
    char path[256];
    json_t *doc = NULL;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s", c->account, uuid);
    int rc = get_json(c, path, &doc);
    if (rc)
        return rc;
    json_t *budget = json_object_get(doc, "budget"), *cp = json_object_get(doc, "currentPeriod");
    if (parse_summary(doc, out) || !json_is_number(json_object_get(budget, "total")) ||
        !json_is_number(json_object_get(budget, "used")) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "startTime")), &out->period_start) ||
        dtc_parse_date(json_string_value(json_object_get(cp, "endTime")), &out->period_end)) {
        snprintf(c->err, sizeof(c->err), "GET %s%s: budget or currentPeriod missing or malformed", c->api_url, path);
        rc = DTC_EPARSE;
        goto done;
    }
    out->budget_total = money(json_object_get(budget, "total"));
    out->budget_used = money(json_object_get(budget, "used"));
    copy_str(out->currency, sizeof(out->currency), json_object_get(budget, "currencyCode"));
    out->days_remaining = (int64_t)json_number_value(json_object_get(cp, "daysRemaining"));
done:
    json_decref(doc);
    return rc;
}

int dtc_dps_cost(dtc_dps *c, const char *uuid, dtc_cost_day **out, size_t *n)
{
    char path[256];
    json_t *doc = NULL;
    dtc_cost_day *days = NULL;
    snprintf(path, sizeof(path), "/sub/v2/accounts/%s/subscriptions/%s/cost", c->account, uuid);
    int rc = get_json(c, path, &doc);
    if (rc)
        return rc;
    json_t *data = json_object_get(doc, "data");
    size_t cnt = json_array_size(data);
    days = dtc_calloc(cnt ? cnt : 1, sizeof(*days));
    if (!days) {
        rc = DTC_ENOMEM;
        goto done;
    }
    for (size_t i = 0; i < cnt; i++) {
        json_t *o = json_array_get(data, i);
        int64_t t;
        if (dtc_parse_datetime(json_string_value(json_object_get(o, "startTime")), &t) ||
            !json_is_number(json_object_get(o, "value"))) {
            snprintf(c->err, sizeof(c->err), "GET %s%s: cost item %zu lacks startTime or value", c->api_url, path, i);
            rc = DTC_EPARSE;
            goto done;
        }
        days[i].day = t / 86400;
        days[i].cost = money(json_object_get(o, "value"));
        copy_str(days[i].currency, sizeof(days[i].currency), json_object_get(o, "currencyCode"));
    }
    *out = days;
    *n = cnt;
    days = NULL;
done:
    dtc_free(days);
    json_decref(doc);
    return rc;
}
