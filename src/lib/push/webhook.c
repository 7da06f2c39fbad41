/* webhook.c: the webhook sink: a record as a flat JSON object, bodies as
 * JSON Lines or one array, and the HMAC-SHA256 signature over the body
 * (libcrypto). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "sink.h"

int dtc_webhook__record(dtc_buf *out, const dtc_push_rec *r, const char *idem)
{
    dtc_jw w;
    dtc_jw_init(&w, out);
    dtc_jw_obj(&w);
    dtc_jw_key(&w, "recordKey");
    dtc_jw_str(&w, r->key);
    dtc_jw_key(&w, "idempotencyKey");
    dtc_jw_str(&w, idem);
    dtc_jw_key(&w, "revision");
    dtc_jw_int(&w, r->version);
    dtc_jw_key(&w, "change");
    dtc_jw_str(&w, r->version > 1 ? "update" : "new");
    dtc_jw_key(&w, "kind");
    dtc_jw_str(&w, r->kind);
    dtc_jw_key(&w, "day");
    dtc_jw_str(&w, r->day);
    dtc_jw_key(&w, "accountUuid");
    dtc_jw_str(&w, r->account);
    dtc_jw_key(&w, "subscriptionUuid");
    dtc_jw_str(&w, r->subscription);
    if (r->environment) {
        dtc_jw_key(&w, "environmentId");
        dtc_jw_str(&w, r->environment);
        dtc_jw_key(&w, "environmentName");
        dtc_jw_str(&w, r->environment_name);
        dtc_jw_key(&w, "capabilityKey");
        dtc_jw_str(&w, r->capability);
        dtc_jw_key(&w, "capabilityName");
        dtc_jw_str(&w, r->capability_name);
    }
    dtc_jw_key(&w, "cost");
    dtc_jw_fixed(&w, r->cost_micro, 6);
    dtc_jw_key(&w, "costMicro");
    dtc_jw_int(&w, r->cost_micro);
    dtc_jw_key(&w, "currency");
    dtc_jw_str(&w, r->currency);
    dtc_jw_key(&w, "bookingDate");
    dtc_jw_str(&w, r->booking);
    if (r->has_usage) {
        /* Usage is kept in 1/100 units by Dynatrace; two decimals are exact. */
        dtc_jw_key(&w, "usage");
        double u = r->usage * 100.0;
        dtc_jw_fixed(&w, (int64_t)(u < 0 ? u - 0.5 : u + 0.5), 2);
        dtc_jw_key(&w, "usageUnit");
        dtc_jw_str(&w, r->unit);
    }
    dtc_jw_obj_end(&w);
    return w.err;
}

int dtc_webhook__sign(const char *secret, const char *body, size_t len, char *dst)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, md,
              &mdlen) ||
        mdlen != 32)
        return DTC_EINVAL;
    memcpy(dst, "sha256=", 7);
    for (unsigned i = 0; i < mdlen; i++)
        snprintf(dst + 7 + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static int webhook_record(dtc_buf *out, const dtc_push_dest *d, const dtc_push_rec *r,
                          const char *idem)
{
    (void)d;
    return dtc_webhook__record(out, r, idem);
}

static bool webhook_lines(const dtc_push_dest *d)
{
    return d->format == DTC_PUSH_JSONL;
}

static int webhook_request(const dtc_push_dest *d, const char *body, size_t len, dtc_sink_req *out,
                           char *why, size_t whylen)
{
    out->content_type = webhook_lines(d) ? "application/x-ndjson" : "application/json";
    out->authorization[0] = '\0';
    out->header[0] = '\0';
    if (!d->secret) return 0;
    char mac[80];
    if (dtc_webhook__sign(d->secret, body, len, mac) != 0) {
        snprintf(why, whylen, "cannot compute the HMAC signature");
        return DTC_EINVAL;
    }
    snprintf(out->header, sizeof(out->header), "%s: %s", d->signature_header, mac);
    return 0;
}

static bool webhook_needs_oauth(const dtc_push_dest *d)
{
    (void)d;
    return false;
}

static void webhook_url(const dtc_push_dest *d, char *out, size_t n)
{
    snprintf(out, n, "%s", d->url ? d->url : "");
}

static dtc_sink_verdict webhook_classify(const dtc_push_dest *d, long status, long records)
{
    (void)d;
    return dtc_sink__classify_http(status, records);
}

static const char *const webhook_keys[] = {"format", "secret_file", "signature_header", NULL};

const dtc_sink dtc_sink__webhook = {
    .kind = DTC_PUSH_WEBHOOK,
    .name = "webhook",
    .url_what = "webhook URL",
    .batch_bytes = DTC_PUSH_WEBHOOK_BATCH_BYTES,
    .batch_records = DTC_PUSH_WEBHOOK_BATCH_RECORDS,
    .oauth_scope = NULL,
    .refused_hint = " (check the headers the receiver expects)",
    .keys = webhook_keys,
    .needs_oauth = webhook_needs_oauth,
    .url = webhook_url,
    .record = webhook_record,
    .lines = webhook_lines,
    .request = webhook_request,
    .classify = webhook_classify,
};
