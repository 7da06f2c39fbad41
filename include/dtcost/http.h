/* http.h: one HTTP connection (libcurl easy handle, kept alive between
 * requests) with a capped response body and the headers dtcost cares about. */
#ifndef DTCOST_HTTP_H
#define DTCOST_HTTP_H
#include <stddef.h>
#include <stdio.h>

#include "dtcost/errors.h"

typedef struct dtc_http dtc_http;

typedef struct dtc_http_resp {
    long status;      /* 0 when the transport failed */
    const char *body; /* NUL-terminated; owned by the handle until the next request */
    size_t body_len;
    long retry_after;     /* seconds from Retry-After (a number or an HTTP-date, at most a
                           * day: dtc_retry_after_parse), -1 when absent or unreadable */
    char deprecation[64]; /* Deprecation / Sunset headers, "" when absent */
    char sunset[64];
    char content_type[96];
} dtc_http_resp;

/* Initialise libcurl for the process (curl_global_init), once however many
 * threads call it (pthread_once). dtc_http_new calls it, so a program need
 * not; one that wants a libcurl failure reported before its threads start
 * may call it first. DTC_EHTTP when libcurl cannot initialise. */
int dtc_http_global_init(void) DTC_MUST_CHECK;

/* New handle; free with dtc_http_free. body_cap limits each response body. */
int dtc_http_new(dtc_http **out, size_t body_cap) DTC_MUST_CHECK;
void dtc_http_free(dtc_http *h);

/* GET url with an optional Authorization header value ("Bearer ...") into
 * *resp (its body borrowed from the handle until its next request). On
 * transport failure returns DTC_EHTTP (message on the handle); any HTTP
 * status is a success here, the caller judges resp->status. The
 * authorization value never appears in messages. */
int dtc_http_get(dtc_http *h, dtc_http_resp *resp, const char *url,
                 const char *authorization) DTC_MUST_CHECK;
/* POST a body with a content type, the same way. */
int dtc_http_post(dtc_http *h, dtc_http_resp *resp, const char *url, const char *authorization,
                  const char *content_type, const char *body, size_t len) DTC_MUST_CHECK;
/* A request with everything the push sinks need: extra header lines
 * ("Name: value", never logged), timeouts in ms (0: 10 s connect, 300 s
 * total). method is "GET" or "POST". */
typedef struct dtc_http_req {
    const char *method, *url, *authorization, *content_type;
    const char *body;
    size_t len;
    const char *const *headers;
    size_t nheaders;
    long timeout_ms, connect_timeout_ms;
    /* Downloads: a 2xx body is written to sink (at most sink_cap bytes, else
     * DTC_ETOOBIG) instead of memory; other answers stay in resp->body.
     * accept replaces "application/json". */
    FILE *sink;
    unsigned long long sink_cap;
    const char *accept;
    unsigned long long sink_len; /* out: bytes written to sink */
} dtc_http_req;
/* Send req into *resp, as dtc_http_get; req is read, except for sink_len. */
int dtc_http_send(dtc_http *h, dtc_http_resp *resp, dtc_http_req *req) DTC_MUST_CHECK;
/* Last error, one line naming the URL (without its query) and the cause. */
const char *dtc_http_errmsg(const dtc_http *h);
/* URL-encode s into a newly allocated string (free with dtc_free()); NULL
 * when out of memory. */
char *dtc_http_escape(const char *s);

#endif
