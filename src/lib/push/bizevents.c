/* bizevents.c: the Dynatrace business-events sink: a record as one flat
 * CloudEvent (contract section 4.2: top-level fields of `data` become
 * top-level Grail fields; nested values would become strings, so there are
 * none), and the ingest URL of an environment. */
#include <stdio.h>
#include <string.h>

#include "jw.h"
#include "push_impl.h"

int dtc_bizevents__event(dtc_buf *out, const dtc_push_dest *d, const dtc_push_rec *r, const char *idem)
{
    char when[32];
    snprintf(when, sizeof(when), "%.10sT00:00:00Z", r->day);
    int rc = dtc_buf_printf(out, "{\"specversion\":\"1.0\",\"id\":");
    if (rc || (rc = dtc_json_quote(out, idem, strlen(idem))) || (rc = dtc_buf_adds(out, ",\"source\":")) ||
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

void dtc_push_ingest_url(const dtc_push_dest *d, char *out, size_t n)
{
    const char *u = d->url ? d->url : "";
    size_t len = strlen(u);
    while (len && u[len - 1] == '/')
        len--;
    static const char tail[] = "/api/v2/bizevents/ingest";
    if (len >= sizeof(tail) - 1 && strncmp(u + len - (sizeof(tail) - 1), tail, sizeof(tail) - 1) == 0) {
        snprintf(out, n, "%.*s", (int)len, u);
        return;
    }
    /* The platform domain serves the classic API under a prefix (OAuth only). */
    const char *host = strstr(u, "://");
    host = host ? host + 3 : u;
    size_t hl = strcspn(host, "/");
    bool platform = false;
    for (size_t i = 0; i + 6 <= hl; i++)
        if (strncmp(host + i, ".apps.", 6) == 0)
            platform = true;
    snprintf(out, n, "%.*s%s", (int)len, u,
             platform ? "/platform/classic/environment-api/v2/bizevents/ingest" : tail);
}
