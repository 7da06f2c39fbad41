/* auth.c: client-credentials token requests and the token cache. */
#include "dtcost/auth.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "buf.h"
#include "timeutil.h"

struct dtc_auth {
    char *token_url, *client_id, *client_secret, *account_uuid, *scope;
    int refresh_margin;
    char *header;        /* "Bearer <token>" */
    int64_t expires_ms;  /* monotonic */
    int fetches;
    char err[512];
};

int dtc_auth_new(dtc_auth **out, const dtc_auth_opts *o)
{
    dtc_auth *a = dtc_calloc(1, sizeof(*a));
    if (!a)
        return DTC_ENOMEM;
    a->token_url = dtc_strdup(o->token_url);
    a->client_id = dtc_strdup(o->client_id);
    a->client_secret = dtc_strdup(o->client_secret);
    a->account_uuid = dtc_strdup(o->account_uuid);
    a->scope = o->scope ? dtc_strdup(o->scope) : NULL;
    a->refresh_margin = o->refresh_margin > 0 ? o->refresh_margin : 60;
    if (!a->token_url || !a->client_id || !a->client_secret || !a->account_uuid ||
        (o->scope && !a->scope)) {
        dtc_auth_free(a);
        return DTC_ENOMEM;
    }
    *out = a;
    return 0;
}

void dtc_auth_free(dtc_auth *a)
{
    if (!a)
        return;
    dtc_free(a->token_url);
    dtc_free(a->client_id);
    dtc_free_secret(a->client_secret);
    dtc_free(a->account_uuid);
    dtc_free(a->scope);
    dtc_free_secret(a->header);
    dtc_free(a);
}

void dtc_auth_invalidate(dtc_auth *a)
{
    a->expires_ms = 0;
}

const char *dtc_auth_errmsg(const dtc_auth *a)
{
    return a->err;
}

int dtc_auth_fetches(const dtc_auth *a)
{
    return a->fetches;
}

static int add_field(dtc_buf *b, const char *name, const char *value)
{
    char *e = dtc_http_escape(value);
    if (!e)
        return DTC_ENOMEM;
    int rc = dtc_buf_printf(b, "%s%s=%s", b->len ? "&" : "", name, e);
    free(e);
    return rc;
}

static int fetch(dtc_auth *a, dtc_http *h)
{
    int rc;
    dtc_buf form;
    json_t *doc = NULL;
    dtc_buf_init(&form, DTC_CAP_SMALL);
    char resource[96];
    snprintf(resource, sizeof(resource), "urn:dtaccount:%s", a->account_uuid);
    if ((rc = add_field(&form, "grant_type", "client_credentials")) ||
        (rc = add_field(&form, "client_id", a->client_id)) ||
        (rc = add_field(&form, "client_secret", a->client_secret)) ||
        (rc = add_field(&form, "resource", resource)) ||
        (a->scope && (rc = add_field(&form, "scope", a->scope))))
        goto done;
    dtc_http_resp resp;
    rc = dtc_http_post(h, a->token_url, NULL, "application/x-www-form-urlencoded", form.data,
                       form.len, &resp);
    if (rc) {
        snprintf(a->err, sizeof(a->err), "token request failed: %s (check the SSO URL and network)",
                 dtc_http_errmsg(h));
        goto done;
    }
    a->fetches++;
    json_error_t jerr;
    doc = json_loadb(resp.body, resp.body_len, 0, &jerr);
    if (resp.status != 200) {
        const char *e = doc ? json_string_value(json_object_get(doc, "error")) : NULL;
        const char *d = doc ? json_string_value(json_object_get(doc, "error_description")) : NULL;
        const char *hint = "check DT_CLIENT_ID / DT_CLIENT_SECRET";
        if (e && strcmp(e, "invalid_request") == 0 && d && strstr(d, "scope"))
            hint = "give the OAuth client the missing scope in Account Management";
        else if (e && strcmp(e, "invalid_request") == 0 && d && strstr(d, "resource"))
            hint = "check DT_ACCOUNT_UUID: it must be the account the client belongs to";
        snprintf(a->err, sizeof(a->err), "token request to %s failed: HTTP %ld %s%s%.200s (%s)",
                 a->token_url, resp.status, e ? e : "", d ? ": " : "", d ? d : "", hint);
        rc = resp.status >= 500 || resp.status == 429 ? DTC_EHTTP : DTC_EAUTH;
        goto done;
    }
    const char *tok = doc ? json_string_value(json_object_get(doc, "access_token")) : NULL;
    if (!tok || !*tok) {
        snprintf(a->err, sizeof(a->err), "token response from %s has no access_token", a->token_url);
        rc = DTC_EPARSE;
        goto done;
    }
    json_t *exp = json_object_get(doc, "expires_in");
    int64_t ttl = json_is_integer(exp) ? (int64_t)json_integer_value(exp) : 300;
    if (ttl < 1)
        ttl = 300;
    int64_t margin = a->refresh_margin;
    if (margin > ttl / 2)
        margin = ttl / 2;
    size_t n = strlen(tok) + 8;
    char *hdr = dtc_malloc(n);
    if (!hdr) {
        rc = DTC_ENOMEM;
        goto done;
    }
    snprintf(hdr, n, "Bearer %s", tok);
    dtc_free_secret(a->header);
    a->header = hdr;
    a->expires_ms = dtc_mono_ms() + (ttl - margin) * 1000;
done:
    if (form.data)
        memset(form.data, 0, form.len); /* the form held the secret */
    dtc_buf_dispose(&form);
    json_decref(doc);
    return rc;
}

int dtc_auth_header(dtc_auth *a, dtc_http *h, const char **out)
{
    if (!a->header || dtc_mono_ms() >= a->expires_ms) {
        int rc = fetch(a, h);
        if (rc)
            return rc;
    }
    *out = a->header;
    return 0;
}
