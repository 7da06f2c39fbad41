/* auth.c: client-credentials token requests and the token cache, shared by
 * the threads of one account under one lock. */
#include "dtcost/auth.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "text.h"
#include "timeutil.h"

#define NEEDED_SCOPES "account-uac-read account-env-read"
#define MINIMAL_SCOPES "account-uac-read"
#define TTL_MAX (24 * 3600) /* an expires_in beyond a day is not believed */

struct dtc_auth {
    pthread_mutex_t mu;
    char *token_url, *client_id, *client_secret, *account_uuid, *scope;
    bool scope_auto; /* no scope configured: NEEDED_SCOPES, then MINIMAL_SCOPES */
    int refresh_margin;
    char *header;       /* "Bearer <token>" */
    int64_t expires_ms; /* monotonic */
    int fetches;
    char granted[256];
    char err[768];
};

int dtc_auth_new(dtc_auth **out, const dtc_auth_opts *o)
{
    dtc_auth *a = dtc_calloc(1, sizeof(*a));
    if (!a) return DTC_ENOMEM;
    pthread_mutex_init(&a->mu, NULL);
    a->token_url = dtc_strdup(o->token_url);
    a->client_id = dtc_strdup(o->client_id);
    a->client_secret = dtc_strdup(o->client_secret);
    a->account_uuid = dtc_strdup(o->account_uuid);
    a->scope_auto = !o->scope || !*o->scope;
    a->scope = dtc_strdup(a->scope_auto ? NEEDED_SCOPES : o->scope);
    a->refresh_margin = o->refresh_margin > 0 ? o->refresh_margin : 60;
    if (!a->token_url || !a->client_id || !a->client_secret || !a->account_uuid || !a->scope) {
        dtc_auth_free(a);
        return DTC_ENOMEM;
    }
    *out = a;
    return 0;
}

void dtc_auth_free(dtc_auth *a)
{
    if (!a) return;
    dtc_free(a->token_url);
    dtc_free(a->client_id);
    dtc_free_secret(a->client_secret);
    dtc_free(a->account_uuid);
    dtc_free(a->scope);
    dtc_free_secret(a->header);
    pthread_mutex_destroy(&a->mu);
    dtc_free(a);
}

void dtc_auth_invalidate(dtc_auth *a, const char *used)
{
    pthread_mutex_lock(&a->mu);
    if (a->header && (!used || strcmp(a->header, used) == 0)) a->expires_ms = 0;
    pthread_mutex_unlock(&a->mu);
}

const char *dtc_auth_errmsg(const dtc_auth *a)
{
    return a->err;
}

void dtc_auth_errmsg_copy(dtc_auth *a, char *out, size_t n)
{
    pthread_mutex_lock(&a->mu);
    snprintf(out, n, "%s", a->err);
    pthread_mutex_unlock(&a->mu);
}

int dtc_auth_fetches(const dtc_auth *a)
{
    return a->fetches;
}

void dtc_auth_scopes(dtc_auth *a, char *out, size_t n)
{
    pthread_mutex_lock(&a->mu);
    snprintf(out, n, "%s", a->granted);
    pthread_mutex_unlock(&a->mu);
}

static void scrub_locked(dtc_auth *a, char *s, size_t n)
{
    const char *secrets[2] = {a->client_secret, a->header ? a->header + 7 : NULL};
    char tmp[1024];
    dtc_text_oneline(tmp, sizeof(tmp), s, strlen(s),
                     n - 1 < sizeof(tmp) - 1 ? n - 1 : sizeof(tmp) - 1, secrets, 2);
    snprintf(s, n, "%s", tmp);
}

void dtc_auth_scrub(dtc_auth *a, char *s, size_t n)
{
    if (n == 0) return;
    pthread_mutex_lock(&a->mu);
    scrub_locked(a, s, n);
    pthread_mutex_unlock(&a->mu);
}

static int add_field(dtc_buf *b, const char *name, const char *value)
{
    char *e = dtc_http_escape(value);
    if (!e) return DTC_ENOMEM;
    int rc = dtc_buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, e);
    dtc_free(e);
    return rc;
}

/* The SSO's own words about a refusal: error and error_description (or
 * message), untrusted: one line, short, secrets removed. */
static void sso_says(dtc_auth *a, json_t *doc, const dtc_http_resp *resp, char *out, size_t n)
{
    const char *e = json_string_value(json_object_get(doc, "error"));
    const char *d = json_string_value(json_object_get(doc, "error_description"));
    if (!d) d = json_string_value(json_object_get(doc, "message"));
    char raw[1024];
    if (e || d)
        snprintf(raw, sizeof(raw), "%s%s%s", e ? e : "", e && d ? ": " : "", d ? d : "");
    else
        snprintf(raw, sizeof(raw), "%.*s", (int)(resp->body_len < 400 ? resp->body_len : 400),
                 resp->body ? resp->body : "");
    const char *secrets[1] = {a->client_secret};
    dtc_text_oneline(out, n, raw, strlen(raw), 240, secrets, 1);
}

/* One token request with a->scope; the lock is held. */
static int fetch(dtc_auth *a, dtc_http *h, bool *scope_refused)
{
    int rc;
    dtc_buf form;
    json_t *doc = NULL;
    dtc_buf_init(&form, DTC_CAP_SMALL);
    char resource[96];
    *scope_refused = false;
    snprintf(resource, sizeof(resource), "urn:dtaccount:%s", a->account_uuid);
    if ((rc = add_field(&form, "grant_type", "client_credentials")) ||
        (rc = add_field(&form, "client_id", a->client_id)) ||
        (rc = add_field(&form, "client_secret", a->client_secret)) ||
        (rc = add_field(&form, "scope", a->scope)) || (rc = add_field(&form, "resource", resource)))
        goto done;
    dtc_http_resp resp;
    rc = dtc_http_post(h, &resp, a->token_url, NULL, "application/x-www-form-urlencoded", form.data,
                       form.len);
    if (rc) {
        snprintf(a->err, sizeof(a->err),
                 "token request failed: %s (check DT_SSO_URL / --sso-url and the network)",
                 dtc_http_errmsg(h));
        rc = DTC_EHTTP;
        goto done;
    }
    a->fetches++;
    json_error_t jerr;
    doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (resp.status != 200) {
        char says[256];
        sso_says(a, doc, &resp, says, sizeof(says));
        const char *hint = "check DT_CLIENT_ID / DT_CLIENT_SECRET";
        /* A missing scope may come back as a bare 400 (contract 1.3): with
         * no scope configured, any 400 is worth one retry with the minimal
         * scope (dtc_auth_header). */
        *scope_refused = resp.status == 400 || strstr(says, "scope");
        if (strstr(says, "scope")) {
            hint = a->scope_auto
                       ? "give the OAuth client the scope account-uac-read in Account Management"
                       : "ask only for scopes the OAuth client holds (scopes= / DT_SCOPES / "
                         "--scopes), "
                         "or grant them in Account Management";
        } else if (strstr(says, "resource")) {
            hint = "check DT_ACCOUNT_UUID: it must be the account the client belongs to";
        }
        snprintf(a->err, sizeof(a->err),
                 "token request to %s (scope \"%s\") failed: HTTP %ld \"%s\" (%s)", a->token_url,
                 a->scope, resp.status, says, hint);
        rc = resp.status >= 500 || resp.status == 429 ? DTC_ERETRY : DTC_EAUTH;
        goto done;
    }
    const char *tok = json_string_value(json_object_get(doc, "access_token"));
    if (!tok || !*tok || strlen(tok) > 8000) {
        snprintf(a->err, sizeof(a->err), "token response from %s has no usable access_token",
                 a->token_url);
        rc = DTC_EPARSE;
        goto done;
    }
    json_t *exp = json_object_get(doc, "expires_in");
    json_int_t ttl = json_is_integer(exp) ? json_integer_value(exp) : 300;
    if (ttl < 1) ttl = 300;
    if (ttl > TTL_MAX) ttl = TTL_MAX;
    int64_t margin = a->refresh_margin;
    if (margin > ttl / 2) margin = ttl / 2;
    size_t n = strlen(tok) + 8;
    char *hdr = dtc_malloc(n);
    if (!hdr) {
        rc = DTC_ENOMEM;
        goto done;
    }
    snprintf(hdr, n, "Bearer %s", tok);
    dtc_free_secret(a->header);
    a->header = hdr;
    a->expires_ms = dtc_mono_ms() + ((int64_t)ttl - margin) * 1000;
    const char *granted = json_string_value(json_object_get(doc, "scope"));
    char g[256];
    snprintf(g, sizeof(g), "%s", granted ? granted : a->scope);
    dtc_text_oneline(a->granted, sizeof(a->granted), g, strlen(g), sizeof(a->granted) - 1, NULL, 0);
done:
    if (rc) scrub_locked(a, a->err, sizeof(a->err));    /* whatever path wrote it */
    if (form.data) explicit_bzero(form.data, form.len); /* the form held the secret */
    dtc_buf_dispose(&form);
    json_decref(doc);
    return rc;
}

int dtc_auth_header(dtc_auth *a, char *out, size_t n, dtc_http *h)
{
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    if (!a->header || dtc_mono_ms() >= a->expires_ms) {
        bool refused;
        rc = fetch(a, h, &refused);
        if (rc == DTC_EAUTH && refused && a->scope_auto && strcmp(a->scope, MINIMAL_SCOPES) != 0) {
            /* The SSO refuses a scope the client lacks: ask for the one that
             * matters; environment names are then skipped with a warning. */
            char *minimal = dtc_strdup(MINIMAL_SCOPES);
            if (!minimal) {
                rc = DTC_ENOMEM;
            } else {
                dtc_free(a->scope);
                a->scope = minimal;
                rc = fetch(a, h, &refused);
            }
        }
    }
    if (rc == 0) {
        size_t len = strlen(a->header);
        if (len >= n)
            rc = DTC_ETOOBIG;
        else
            memcpy(out, a->header, len + 1);
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}
