/* bizevents.c: the Dynatrace business-events sink: a record as one flat
 * CloudEvent (contract section 4.2: top-level fields of `data` become
 * top-level Grail fields; nested values would become strings, so there are
 * none), and the ingest URL of an environment. */
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "sink.h"

static int bizevents_record(dtc_buf *out, const dtc_push_dest *d, const dtc_push_rec *r,
                            const char *idem)
{
    char when[32];
    snprintf(when, sizeof(when), "%.10sT00:00:00Z", r->day);
    int rc = dtc_buf_printf(out, "{\"specversion\":\"1.0\",\"id\":");
    if (rc || (rc = dtc_json_quote(out, idem, strlen(idem))) ||
        (rc = dtc_buf_adds(out, ",\"source\":")) ||
        (rc = dtc_json_quote(out, d->event_provider, strlen(d->event_provider))) ||
        (rc = dtc_buf_adds(out, ",\"type\":")) ||
        (rc = dtc_json_quote(out, d->event_type, strlen(d->event_type))) ||
        (rc = dtc_buf_printf(out, ",\"time\":\"%s\",\"subject\":", when)) ||
        (rc = dtc_json_quote(out, r->key, strlen(r->key))) ||
        (rc = dtc_buf_adds(out, ",\"datacontenttype\":\"application/json\",\"data\":")) ||
        (rc = dtc_webhook__record(out, r, idem)) || (rc = dtc_buf_addc(out, '}')))
        return rc;
    return 0;
}

static void ingest_url(const dtc_push_dest *d, char *out, size_t n)
{
    const char *u = d->url ? d->url : "";
    size_t len = strlen(u);
    while (len && u[len - 1] == '/')
        len--;
    static const char tail[] = "/api/v2/bizevents/ingest";
    if (len >= sizeof(tail) - 1 &&
        strncmp(u + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0) {
        snprintf(out, n, "%.*s", (int)len, u);
        return;
    }
    /* The platform domain serves the classic API under a prefix (OAuth only). */
    const char *host = strstr(u, "://");
    host = host ? host + 3 : u;
    size_t hl = strcspn(host, "/");
    bool platform = false;
    for (size_t i = 0; i + 6 <= hl; i++)
        if (strncmp(host + i, ".apps.", 6) == 0) platform = true;
    snprintf(out, n, "%.*s%s", (int)len, u,
             platform ? "/platform/classic/environment-api/v2/bizevents/ingest" : tail);
}

void dtc_push_ingest_url(const dtc_push_dest *d, char *out, size_t n)
{
    ingest_url(d, out, n);
}

/* Without an Api-Token the account's OAuth client signs the requests. */
static bool bizevents_needs_oauth(const dtc_push_dest *d)
{
    return !d->api_token;
}

static bool bizevents_lines(const dtc_push_dest *d)
{
    (void)d;
    return false;
}

static int bizevents_request(const dtc_push_dest *d, const char *body, size_t len,
                             dtc_sink_req *out, char *why, size_t whylen)
{
    (void)body, (void)len, (void)why, (void)whylen;
    out->content_type = "application/cloudevent-batch+json";
    out->header[0] = '\0';
    out->authorization[0] = '\0';
    if (d->api_token)
        snprintf(out->authorization, sizeof(out->authorization), "Api-Token %s", d->api_token);
    return 0;
}

/* A 401 on an OAuth token may be an expired one: push.c fetches one fresh. */
static dtc_sink_verdict bizevents_classify(const dtc_push_dest *d, long status, long records)
{
    if (status == 401 && bizevents_needs_oauth(d)) return DTC_SINK_REFRESH;
    return dtc_sink__classify_http(status, records);
}

static const char *const bizevents_keys[] = {"api_token_file", "event_type", "event_provider",
                                             NULL};

const dtc_sink dtc_sink__bizevents = {
    .kind = DTC_PUSH_BIZEVENTS,
    .name = "bizevents",
    .url_what = "environment URL",
    .batch_bytes = DTC_PUSH_BIZEVENTS_BATCH_BYTES,
    .batch_records = 0,
    .oauth_scope = "storage:events:write",
    .refused_hint = " (the token needs bizevents.ingest, the OAuth client storage:events:write)",
    .keys = bizevents_keys,
    .needs_oauth = bizevents_needs_oauth,
    .url = ingest_url,
    .record = bizevents_record,
    .lines = bizevents_lines,
    .request = bizevents_request,
    .classify = bizevents_classify,
};
